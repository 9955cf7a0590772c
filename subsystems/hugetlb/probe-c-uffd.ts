/**
 * The userfaultfd helpers of the hugetlb probe (appended to probe-c.ts's
 * HUGETLB_C, whose slot bookkeeping they use):
 *
 *   uffd_copy     a fresh userfaultfd, page i registered MISSING, UFFDIO_COPY of
 *                 one huge page from a resident buffer, a fresh never-touched one
 *                 (the copy under the kernel's locks fails and is retried, see
 *                 impl/hugetlb/uffd.ts) or an unmapped address; then closed
 */
export const HUGETLB_UFFD_C = String.raw`
#include <linux/userfaultfd.h>

/* src: 0 resident (written before), 1 unpopulated (fresh anonymous memory never touched), 2 unmapped */
static const char *h_uffd_copy(int v, int i, int srcmode)
{
	static char *resident;
	char *src, *fresh = NULL;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
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
	u = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u < 0 || ioctl(u, UFFDIO_API, &api))
		return u < 0 ? errname(errno) : "EUNKNOWN";
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	reg.range.len = HPAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		ret = errname(errno);
		close(u);
		return ret;
	}
	cp.dst = reg.range.start;
	cp.src = (unsigned long)src;
	cp.len = HPAGE;
	cp.mode = 0;
	cp.copy = 0;
	if (ioctl(u, UFFDIO_COPY, &cp))
		ret = errname(errno);
	close(u);
	if (fresh)
		munmap(fresh, HPAGE);
	return ret;
}
`;
