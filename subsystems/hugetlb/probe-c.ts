/**
 * The C half of the hugetlb kernel mapping: helpers every compiled hugetlb
 * script calls (subsystems/hugetlb/probe.ts emits the calls). One function
 * per op of the script language, each doing what a real hugetlbfs user does:
 *
 *   mmap          shared/noreserve: mmap(MAP_SHARED[|MAP_NORESERVE]) of file f at offset from;
 *                 private/private_noreserve: a new unlinked file on mount f, mmap(MAP_PRIVATE[..]),
 *                 closed; private_file: mmap(MAP_PRIVATE) of file f (madvise: probe-c-madvise.ts)
 *   fault         one read or write of the first byte of huge page i (SIGBUS caught)
 *   uffd_copy, uffd_continue, uffd_register  (probe-c-uffd.ts) userfaultfd
 *   munmap        munmap of the whole mapping
 *   truncate      ftruncate(size * 2 MiB)
 *   punch         fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
 *   fork          fork(2): the child keeps only the forked mapping, runs the steps of slot c
 *   set_nr        write /proc/sys/vm/nr_hugepages
 *   set_overcommit write /proc/sys/vm/nr_overcommit_hugepages
 *   set_nr_node   a node's nr_hugepages (probe-c-nodes.ts)
 *   mount         mount -t hugetlbfs -o size=,min_size= and create its files
 *   munmap range  munmap of [from, to) (a middle hole books the upper piece in slot c)
 *   close/unlink/umount/fallocate  close(2), unlink(2), umount(2), fallocate(fd, 0, ..)
 *   mprotect, mremap (probe-c-surgery.ts)
 *   pin, unpin    io_uring fixed buffers (probe-c-pin.ts)
 *
 * Mapping slots (the model's `v`) live at fixed addresses so page i of slot v
 * is always VBASE(v) + i * 2 MiB; a forked slot shares its parent's address in
 * the child. Slot bookkeeping is in a MAP_SHARED page so every task sees it;
 * an op on a slot the model would reject (free slot, index outside the
 * mapping) gets the model's answer without a system call, because that is
 * bookkeeping of the script language, not kernel behaviour.
 */
export const HUGETLB_C = String.raw`
#include <sys/ioctl.h>

#define H_NV 8
#define H_NF 8
#define H_NM 4
#define VBASE(v) ((char *)0x200000000000UL + (unsigned long)(v) * (1UL << 32))

enum { K_SHARED = 1, K_NORESERVE, K_PRIVATE, K_PRIVATE_NORESERVE, K_PRIVATE_FILE };

struct hbook {
	int live[H_NV], kind[H_NV], from[H_NV], to[H_NV], task[H_NV], peer[H_NV];
	int ufd[H_NV]; /* userfaultfd the slot is registered on, + 1 (0: none; probe-c-uffd.ts) */
	int umode[H_NV]; /* its UFFDIO_REGISTER_MODE_* while ufd is set */
	int ro[H_NV]; /* mprotect(PROT_READ) (probe-c-surgery.ts) */
	char *base[H_NV];
	int mounted[H_NM], has_size[H_NM], internal[H_NM]; /* internal: memfd_create's (probe-c-memfd.ts) */
	int has_min[H_NM]; /* mounted with min_size= (pins refuse it: probe-c-pin.ts) */
	int file[H_NV]; /* the file a shared or private-file slot maps */
	int fd[H_NF];
	int file_mount[H_NF];
	int nfiles, fsize, nprivate;
	char dir[H_NM][64];
};
static struct hbook *B;
static void h_uffd_drop(int v);
static void h_observe_nodes(void); /* probe-c-nodes.ts */

static void h_observe(void)
{
	obs_reset();
	obs_add("HugePages_Total", meminfo("HugePages_Total"));
	obs_add("HugePages_Free", meminfo("HugePages_Free"));
	obs_add("HugePages_Rsvd", meminfo("HugePages_Rsvd"));
	obs_add("HugePages_Surp", meminfo("HugePages_Surp"));
	for (int m = 0; m < H_NM; m++) {
		struct statfs st;
		char name[32];
		if (!B->mounted[m] || !B->has_size[m] || statfs(B->dir[m], &st))
			continue;
		/* hugetlbfs_statfs: f_blocks = max_hpages, f_bfree = max_hpages - used_hpages */
		snprintf(name, sizeof(name), "spool%d_used", m);
		obs_add(name, (long long)st.f_blocks - (long long)st.f_bfree);
	}
	h_observe_nodes();
}

static void h_open_files(int m)
{
	for (int f = 0; f < B->nfiles; f++) {
		char p[96];
		if (B->file_mount[f] != m)
			continue;
		snprintf(p, sizeof(p), "%s/f%d", B->dir[m], f);
		B->fd[f] = open(p, O_RDWR | O_CREAT, 0600);
		if (B->fd[f] < 0 || ftruncate(B->fd[f], (off_t)B->fsize * HPAGE))
			emit("MMCHECK S %d ERROR cannot create %s: %s", cur_script, p, strerror(errno));
	}
}

static int h_do_mount(int m, long size, long min)
{
	char opts[96] = "pagesize=2M";
	if (size >= 0)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",size=%ldM", size * 2);
	if (min >= 0)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",min_size=%ldM", min * 2);
	mkdir(B->dir[m], 0755);
	if (mount("none", B->dir[m], "hugetlbfs", 0, opts))
		return errno;
	B->mounted[m] = 1;
	B->has_size[m] = size >= 0;
	B->has_min[m] = min >= 0;
	h_open_files(m);
	return 0;
}

static void h_setup(int script, long pool, long over, int fsize, int nfiles, const int *file_mount,
		    int nmounts, const long *size, const long *min, const int *mounted)
{
	B = mmap(NULL, sizeof(*B), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (B == MAP_FAILED)
		_exit(96);
	memset(B, 0, sizeof(*B));
	B->fsize = fsize;
	B->nfiles = nfiles;
	for (int f = 0; f < nfiles; f++) {
		B->file_mount[f] = file_mount[f];
		B->fd[f] = -1;
	}
	mkdir("/mnt/mmcheck", 0755);
	for (int m = 0; m < nmounts; m++)
		snprintf(B->dir[m], sizeof(B->dir[m]), "/mnt/mmcheck/s%d-m%d", script, m);
	write_long("/proc/sys/vm/nr_overcommit_hugepages", over);
	write_long("/proc/sys/vm/nr_hugepages", pool);
	if (meminfo("HugePages_Total") != pool || meminfo("HugePages_Free") != pool || meminfo("HugePages_Rsvd") != 0 ||
	    meminfo("HugePages_Surp") != 0)
		emit("MMCHECK S %d ERROR pool not clean at start: Total=%lld Free=%lld Rsvd=%lld Surp=%lld (asked %ld)",
		     script, meminfo("HugePages_Total"), meminfo("HugePages_Free"), meminfo("HugePages_Rsvd"),
		     meminfo("HugePages_Surp"), pool);
	for (int m = 0; m < nmounts; m++) {
		int e;
		if (!mounted[m])
			continue;
		e = h_do_mount(m, size[m], min[m]);
		if (e)
			emit("MMCHECK S %d ERROR mount %d failed: %s", script, m, errname(e));
	}
}

/* Unmount the script's mounts (evicts its files, releases min_size) and empty the pool. */
static int h_restore(int script, int nmounts)
{
	char d[64];
	for (int m = 0; m < nmounts; m++) {
		snprintf(d, sizeof(d), "/mnt/mmcheck/s%d-m%d", script, m);
		umount2(d, MNT_DETACH);
	}
	write_long("/proc/sys/vm/nr_overcommit_hugepages", 0);
	write_long("/proc/sys/vm/nr_hugepages", 0);
	emit("MMCHECK S %d AFTER HugePages_Total=%lld HugePages_Free=%lld HugePages_Rsvd=%lld HugePages_Surp=%lld", script,
	     meminfo("HugePages_Total"), meminfo("HugePages_Free"), meminfo("HugePages_Rsvd"), meminfo("HugePages_Surp"));
	return meminfo("HugePages_Total") == 0 && meminfo("HugePages_Free") == 0 && meminfo("HugePages_Rsvd") == 0 &&
	       meminfo("HugePages_Surp") == 0;
}

static int h_task_of(int v)
{
	return v >= 0 && v < H_NV && B->live[v] ? B->task[v] : 0;
}

static const char *h_mmap(int v, int kind, int f, int from, int to)
{
	int shared = kind == K_SHARED || kind == K_NORESERVE;
	int file = shared || kind == K_PRIVATE_FILE;
	int m = file ? (f >= 0 && f < B->nfiles ? B->file_mount[f] : -1) : f;
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED_NOREPLACE;
	int fd;
	char *p;

	if (v < 0 || v >= H_NV || B->live[v] || from < 0 || from >= to || to > B->fsize || m < 0 || m >= H_NM ||
	    !B->mounted[m])
		return "EINVAL";
	if (kind == K_NORESERVE || kind == K_PRIVATE_NORESERVE)
		flags |= MAP_NORESERVE;
	if (file) {
		fd = B->fd[f];
	} else if (B->internal[m]) {
		fd = -1; /* MAP_ANONYMOUS | MAP_HUGETLB: hugetlb_file_setup on the internal mount */
		flags |= MAP_ANONYMOUS | MAP_HUGETLB;
	} else {
		char path[96];
		snprintf(path, sizeof(path), "%s/private%d", B->dir[m], B->nprivate++);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			return errname(errno);
		unlink(path);
	}
	p = mmap(VBASE(v) + (unsigned long)from * HPAGE, (size_t)(to - from) * HPAGE, PROT_READ | PROT_WRITE, flags,
		 fd, fd < 0 ? 0 : (off_t)from * HPAGE);
	int e = errno;
	if (!file && fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		return errname(e);
	B->live[v] = 1;
	B->kind[v] = kind;
	B->from[v] = from;
	B->to[v] = to;
	B->base[v] = VBASE(v);
	B->task[v] = my_task;
	B->peer[v] = -1;
	B->ro[v] = 0;
	B->file[v] = file ? f : -1;
	return "ok";
}

static const char *h_fault(int v, int i, int write, int *bus)
{
	*bus = 0;
	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "SIGSEGV";
	if (injecting) {
		/* injected failure (kernel/inject.ts): MADV_POPULATE_(READ|WRITE) runs hugetlb_fault as the access does but
		 * returns VM_FAULT_OOM as ENOMEM (an access retries the fault, arch/x86/mm/fault.c), VM_FAULT_SIGBUS as EFAULT */
		if (!madvise(B->base[v] + (unsigned long)i * HPAGE, HPAGE, write ? 23 /* MADV_POPULATE_WRITE */ : 22))
			return "ok";
		if (errno == ENOMEM)
			return "OOM";
		if (errno == EFAULT) {
			*bus = 1;
			return "SIGBUS";
		}
		return errname(errno);
	}
	int sig = touch(B->base[v] + (unsigned long)i * HPAGE, write);
	if (sig == SIGBUS) {
		*bus = 1;
		return "SIGBUS";
	}
	return sig ? "SIGSEGV" : "ok";
}

static const char *h_munmap(int v)
{
	if (v < 0 || v >= H_NV || !B->live[v])
		return "EINVAL";
	if (munmap(B->base[v] + (unsigned long)B->from[v] * HPAGE, (size_t)(B->to[v] - B->from[v]) * HPAGE))
		return errname(errno);
	h_uffd_drop(v);
	B->live[v] = 0;
	for (int s = 0; s < H_NV; s++)
		if (B->live[s] && B->peer[s] == v)
			B->peer[s] = -1;
	return "ok";
}

static const char *h_truncate(int f, int size)
{
	if (f < 0 || f >= B->nfiles || size < 0 || size > B->fsize || !B->mounted[B->file_mount[f]])
		return "EINVAL";
	return ftruncate(B->fd[f], (off_t)size * HPAGE) ? errname(errno) : "ok";
}

static const char *h_punch(int f, int from, int to)
{
	if (f < 0 || f >= B->nfiles || from < 0 || from >= to || to > B->fsize || !B->mounted[B->file_mount[f]])
		return "EINVAL";
	if (fallocate(B->fd[f], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from * HPAGE,
		      (off_t)(to - from) * HPAGE))
		return errname(errno);
	return "ok";
}

static int fork_keep;

/* In the new child: drop every mapping but the forked one (the model's child has one VMA). */
static void h_child_init(void)
{
	for (int s = 0; s < H_NV; s++)
		if (s != fork_keep && B->live[s] && B->task[s] == 0)
			munmap(B->base[s] + (unsigned long)B->from[s] * HPAGE,
			       (size_t)(B->to[s] - B->from[s]) * HPAGE);
}

static const char *h_fork(int v, int c)
{
	if (v < 0 || v >= H_NV || c < 0 || c >= H_NV || v == c || !B->live[v] || B->live[c] ||
	    B->kind[v] == K_SHARED || B->kind[v] == K_NORESERVE || B->peer[v] != -1)
		return "EINVAL";
	fork_keep = v;
	int t = task_fork(h_child_init);
	if (t < 0)
		return errname(errno);
	B->live[c] = 1;
	B->kind[c] = B->kind[v];
	B->from[c] = B->from[v];
	B->to[c] = B->to[v];
	B->base[c] = B->base[v];
	B->task[c] = t;
	B->peer[c] = v;
	B->ro[c] = B->ro[v];
	B->file[c] = B->file[v];
	B->peer[v] = c;
	return "ok";
}

static const char *h_sysctl(const char *path, long n)
{
	if (n < 0)
		return "EINVAL";
	int e = write_long(path, n);
	return e ? errname(-e) : "ok";
}

static const char *h_mount(int m, long size, long min)
{
	if (m < 0 || m >= H_NM || !B->dir[m][0] || B->internal[m])
		return "EINVAL";
	if (B->mounted[m])
		return "EBUSY";
	if (size != -1 && min > size)
		return "EINVAL";
	int e = h_do_mount(m, size, min);
	return e ? errname(e) : "ok";
}

static const char *h_munmap_range(int v, int from, int to, int c)
{
	if (v < 0 || v >= H_NV || !B->live[v] || from >= to)
		return "EINVAL";
	int start = from > B->from[v] ? from : B->from[v];
	int end = to < B->to[v] ? to : B->to[v];
	if (start >= end)
		return "ok";
	if (start == B->from[v] && end == B->to[v])
		return h_munmap(v);
	int middle = start > B->from[v] && end < B->to[v];
	if (middle) {
		if (c < 0)
			for (int s = 0; s < H_NV && c < 0; s++)
				if (!B->live[s])
					c = s;
		/* the model's slots stand for vm.max_map_count; it keeps one fork partner per VMA */
		if (c < 0 || c >= H_NV || B->live[c] || B->peer[v] != -1)
			return "ENOMEM";
	}
	if (munmap(B->base[v] + (unsigned long)start * HPAGE, (size_t)(end - start) * HPAGE))
		return errname(errno);
	if (middle) {
		B->live[c] = 1;
		B->kind[c] = B->kind[v];
		B->from[c] = end;
		B->to[c] = B->to[v];
		B->base[c] = B->base[v];
		B->task[c] = B->task[v];
		B->peer[c] = -1;
		B->ufd[c] = B->ufd[v]; /* both pieces stay registered */
		B->umode[c] = B->umode[v];
		B->ro[c] = B->ro[v];
		B->file[c] = B->file[v];
		B->to[v] = start;
	} else if (start == B->from[v])
		B->from[v] = end;
	else
		B->to[v] = start;
	return "ok";
}

static const char *h_close(int f)
{
	if (f < 0 || f >= B->nfiles || B->fd[f] < 0)
		return "EBADF";
	close(B->fd[f]);
	B->fd[f] = -1;
	return "ok";
}

static const char *h_unlink(int f)
{
	char p[96];
	if (f < 0 || f >= B->nfiles)
		return "ENOENT";
	snprintf(p, sizeof(p), "%s/f%d", B->dir[B->file_mount[f]], f);
	return unlink(p) ? errname(errno) : "ok";
}

static const char *h_umount(int m)
{
	if (m < 0 || m >= H_NM || !B->mounted[m] || B->internal[m])
		return "EINVAL";
	if (umount(B->dir[m]))
		return errname(errno);
	B->mounted[m] = 0;
	return "ok";
}

static const char *h_fallocate(int f, int from, int to)
{
	if (f < 0 || f >= B->nfiles || from < 0 || from >= to || to > B->fsize || !B->mounted[B->file_mount[f]])
		return "EINVAL";
	if (B->fd[f] < 0)
		return "EBADF";
	return fallocate(B->fd[f], 0, (off_t)from * HPAGE, (off_t)(to - from) * HPAGE) ? errname(errno) : "ok";
}

`;
