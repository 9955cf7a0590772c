/**
 * The userfaultfd helpers of the hugetlb probe (appended to probe-c.ts's
 * HUGETLB_C, whose slot bookkeeping they use):
 *
 *   uffd_register a userfaultfd (UFFD_FEATURE_SIGBUS, and MINOR_HUGETLBFS for
 *                 minor) kept for the slot, the whole mapping registered MISSING or
 *                 MINOR: the faults its handler would get are SIGBUS
 *   uffd_copy     UFFDIO_COPY of one huge page from a resident buffer, a fresh
 *                 never-touched one (the copy under the kernel's locks fails and is
 *                 retried, see impl/hugetlb/uffd.ts) or an unmapped address, on the
 *                 slot's userfaultfd, or on a fresh one with page i registered
 *                 MISSING for the copy when the slot has none
 *   uffd_continue UFFDIO_CONTINUE of page i, likewise (MINOR for a fresh one)
 */
export const HUGETLB_UFFD_C = String.raw`
#include <linux/userfaultfd.h>

/* A userfaultfd with UFFD_FEATURE_SIGBUS (+ MINOR_HUGETLBFS): faults its handler would get are SIGBUS. */
static int h_uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_HUGETLBFS };
	int u = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u >= 0 && ioctl(u, UFFDIO_API, &api)) {
		close(u);
		return -1;
	}
	return u;
}

/* The slot's userfaultfd, or a fresh one with page i registered in mode (the caller closes it). */
static int h_uffd_for(int v, int i, int mode, const char **ret)
{
	struct uffdio_register reg;
	int u;

	if (B->ufd[v])
		return B->ufd[v] - 1;
	u = h_uffd_open();
	if (u < 0) {
		*ret = errname(errno);
		return -1;
	}
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	reg.range.len = HPAGE;
	reg.mode = mode;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		*ret = errname(errno);
		close(u);
		return -1;
	}
	return u;
}

/* The slot's mapping is gone: close its userfaultfd unless a split piece still uses it. */
static void h_uffd_drop(int v)
{
	int u = B->ufd[v];
	B->ufd[v] = 0;
	if (!u)
		return;
	for (int s = 0; s < H_NV; s++)
		if (B->live[s] && s != v && B->ufd[s] == u)
			return;
	close(u - 1);
}

/* UFFDIO_REGISTER of the whole mapping of slot v: 0 missing, 1 minor. */
static const char *h_uffd_register(int v, int minor)
{
	struct uffdio_register reg;
	int u;

	if (v < 0 || v >= H_NV || !B->live[v])
		return "EINVAL";
	u = B->ufd[v] ? B->ufd[v] - 1 : h_uffd_open();
	if (u < 0)
		return errname(errno);
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)B->from[v] * HPAGE);
	reg.range.len = (unsigned long)(B->to[v] - B->from[v]) * HPAGE;
	reg.mode = minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		const char *ret = errname(errno);
		if (!B->ufd[v])
			close(u);
		return ret;
	}
	B->ufd[v] = u + 1;
	B->umode[v] = reg.mode;
	return "ok";
}

static const char *h_uffd_continue(int v, int i)
{
	struct uffdio_continue cont;
	const char *ret = "ok";
	int u;

	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "ENOENT";
	u = h_uffd_for(v, i, UFFDIO_REGISTER_MODE_MINOR, &ret);
	if (u < 0)
		return ret;
	cont.range.start = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	cont.range.len = HPAGE;
	cont.mode = 0;
	cont.mapped = 0;
	if (ioctl(u, UFFDIO_CONTINUE, &cont))
		ret = errname(errno);
	if (!B->ufd[v])
		close(u);
	return ret;
}

/* src: 0 resident (written before), 1 unpopulated (fresh anonymous memory never touched), 2 unmapped */
static const char *h_uffd_copy(int v, int i, int srcmode)
{
	static char *resident;
	char *src, *fresh = NULL;
	struct uffdio_copy cp;
	const char *ret = "ok";
	int u;

	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "ENOENT";
	if (!resident) {
		resident = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (resident == MAP_FAILED) {
			resident = NULL;
			return "ENOMEM";
		}
		memset(resident, 0x5a, HPAGE);
	}
	src = resident;
	if (srcmode != 0) {
		fresh = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fresh == MAP_FAILED)
			return "ENOMEM";
		src = fresh;
		if (srcmode == 2) {
			munmap(fresh, HPAGE); /* the address is now unmapped: copy_from_user fails */
			fresh = NULL;
		}
	}
	u = h_uffd_for(v, i, UFFDIO_REGISTER_MODE_MISSING, &ret);
	if (u < 0)
		return ret;
	cp.dst = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	cp.src = (unsigned long)src;
	cp.len = HPAGE;
	cp.mode = 0;
	cp.copy = 0;
	if (ioctl(u, UFFDIO_COPY, &cp))
		ret = errname(errno);
	if (!B->ufd[v])
		close(u);
	if (fresh)
		munmap(fresh, HPAGE);
	return ret;
}
`;
