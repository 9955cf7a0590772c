/**
 * C helpers of the THP probe (part of THP_C in probe-c.ts) for the pin ops.
 *
 *   pin write=1  io_uring_register(IORING_REGISTER_BUFFERS) of the group: a FOLL_WRITE | FOLL_LONGTERM pin
 *                (io_uring/rsrc.c io_sqe_buffer_register() @ v6.1, io_uring/memmap.c io_pin_pages() @ v6.12)
 *   pin write=0  a read-only FOLL_PIN held until unpin: a thread of the process calls process_vm_readv(2) on
 *                its own pid with the group as the remote range. mm/process_vm_access.c
 *                process_vm_rw_single_vec() @ v6.1 and @ v6.12 pins up to 1024 remote pages per loop with
 *                pin_user_pages_remote(mm, pa, n, vm_write ? FOLL_WRITE : 0, ...) (a short-term FOLL_PIN,
 *                no FOLL_LONGTERM: gup_must_unshare() unshares a non-exclusive anon page), drops mmap_lock,
 *                copies into the local buffer, and unpins afterwards. The local buffer is a userfaultfd
 *                MISSING range, so the copy blocks in handle_userfault() with every page of the group
 *                pinned; the probe waits for that fault's message on the uffd, so the pin is taken when
 *                the op returns. unpin fills the buffer (UFFDIO_ZEROPAGE), which wakes the copy, and joins
 *                the thread: unpin_user_pages_dirty_lock(.., false) has run when the op returns.
 *   unpin        the oldest pin of the group that this process holds (as the model's unpin_user_page,
 *                which drops the first pin recorded for (mm, sub))
 */
export const THP_PIN_C = String.raw`
#include <linux/userfaultfd.h>
#include <poll.h>

struct t_pin_rec {
	int fd;			/* io_uring ring (write pin), or the uffd (read-only pin) */
	int ro;
	pthread_t th;
	int done[2];		/* the reader thread writes one byte here when process_vm_readv returned */
	int err;		/* its errno (0: it read the whole group) */
	char *buf;		/* the userfaultfd-registered local buffer */
	char *addr;		/* the group */
};
/* malloc'ed: a reader thread keeps its record's address while unpin reorders the list */
static struct t_pin_rec *t_pins[T_NR][T_PINS];
static int nrings[T_NR];	/* this process's pins, per group */

static void *t_ro_thread(void *a)
{
	struct t_pin_rec *r = a;
	size_t len = (size_t)TB->g * T_PAGE;
	struct iovec local = { r->buf, len }, remote = { r->addr, len };
	ssize_t n = syscall(SYS_process_vm_readv, getpid(), &local, 1UL, &remote, 1UL, 0UL);
	r->err = n < 0 ? errno : (size_t)n == len ? 0 : EIO;
	if (write(r->done[1], "", 1) != 1)
		r->err = r->err ? r->err : EIO;
	return NULL;
}

static void t_ro_free(struct t_pin_rec *r, size_t len)
{
	close(r->fd);
	close(r->done[0]);
	close(r->done[1]);
	munmap(r->buf, len);
}

/* A read-only FOLL_PIN of group i (see the header): "ok" once the reader thread is blocked with the pages pinned. */
static const char *t_ro_pin(int i, struct t_pin_rec *r)
{
	size_t len = (size_t)TB->g * T_PAGE;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct pollfd pf[2];
	struct uffd_msg msg;
	r->buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->buf == MAP_FAILED)
		return errname(errno);
	r->fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0 || pipe(r->done)) {
		munmap(r->buf, len);
		return "uffd";
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)r->buf;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(r->fd, UFFDIO_API, &api) || ioctl(r->fd, UFFDIO_REGISTER, &reg)) {
		t_ro_free(r, len);
		return "uffd";
	}
	r->ro = 1;
	r->err = 0;
	r->addr = t_addr(i);
	if (pthread_create(&r->th, NULL, t_ro_thread, r)) {
		t_ro_free(r, len);
		return "thread";
	}
	pf[0] = (struct pollfd){ .fd = r->fd, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = r->done[0], .events = POLLIN };
	if (poll(pf, 2, 20000) <= 0 || !(pf[0].revents & POLLIN) ||
	    read(r->fd, &msg, sizeof(msg)) != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT) {
		/* the read ended without blocking: the pin failed (its errno), or the copy did not fault */
		struct uffdio_zeropage z = { .range = { (unsigned long)r->buf, len } };
		const char *e;
		ioctl(r->fd, UFFDIO_ZEROPAGE, &z);
		pthread_join(r->th, NULL);
		e = r->err ? errname(r->err) : "nofault";
		t_ro_free(r, len);
		return e;
	}
	return "ok";
}

static const char *t_pin(int m, int i, int write)
{
	unsigned long long pm[512];
	const char *err;
	struct t_pin_rec *r;
	if (i < 0 || i >= TB->nr)
		return "EINVAL";
	if (t_present(m, i, pm) != 1)
		return "EFAULT";
	if (nrings[i] >= T_PINS)
		return "E2BIG";
	r = calloc(1, sizeof(*r));
	if (!r)
		return "ENOMEM";
	if (!write) {
		err = t_ro_pin(i, r);
		if (strcmp(err, "ok")) {
			free(r);
			return err;
		}
	} else {
		r->fd = uring_pin(t_addr(i), TB->g * T_PAGE, &err);
		if (r->fd < 0) {
			free(r);
			return err;
		}
	}
	t_pins[i][nrings[i]++] = r;
	return "ok";
}

static const char *t_unpin(int i)
{
	struct t_pin_rec *r;
	size_t len = (size_t)TB->g * T_PAGE;
	const char *ret = "ok";
	if (i < 0 || i >= TB->nr || nrings[i] == 0)
		return "EINVAL";
	r = t_pins[i][0];
	nrings[i]--;
	memmove(&t_pins[i][0], &t_pins[i][1], sizeof(r) * (size_t)nrings[i]);
	if (!r->ro) {
		ret = uring_unpin(r->fd);
	} else {
		struct uffdio_zeropage z = { .range = { (unsigned long)r->buf, len } };
		if (ioctl(r->fd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST)
			ret = errname(errno);
		pthread_join(r->th, NULL);
		if (r->err && !strcmp(ret, "ok"))
			ret = errname(r->err);
		t_ro_free(r, len);
	}
	free(r);
	return ret;
}

/* In a forked child: the pins are the parent's (its ring fds and uffds are only copies, its reader threads are not there). */
static void t_pins_forget(void)
{
	for (int i = 0; i < T_NR; i++) {
		for (int k = 0; k < nrings[i]; k++) {
			struct t_pin_rec *r = t_pins[i][k];
			close(r->fd);
			if (r->ro) {
				close(r->done[0]);
				close(r->done[1]);
			}
			free(r);
		}
		nrings[i] = 0;
	}
}
`;
