/**
 * The C half of the THP kernel mapping: helpers every compiled THP script
 * calls (subsystems/thp/probe.ts emits the calls). The model's one huge page
 * of `nr` subpages is one real 2 MiB anonymous THP; model subpage i is the
 * group of G = 512 / nr consecutive 4 KiB pages [i*G, (i+1)*G), and every op
 * on subpage i acts on its whole group, so a group stays uniform and the
 * probe can check that it did.
 *
 *   setup      THP mode "madvise", defrag "madvise" and use_zero_page 1 (the
 *              kernel's defaults, which it clears on the 512 MiB VM) through
 *              sysfs; mmap of an aligned 2 MiB
 *              private anonymous range at a fixed address + MADV_HUGEPAGE in
 *              the script's process (mm 0); initial 'pmd'/'forked' run the
 *              fault (and the fork) as the model's initial state has them
 *   fault      a write to every 4 KiB page of the range (a fresh THP by PMD
 *              when the kernel allocates one), then MADV_NOHUGEPAGE on the
 *              whole VMA (no VMA split) so khugepaged never collapses the
 *              range behind the script's back; the model has one huge page
 *   wp_fault   a store of val to byte 0 of every page of the group
 *   read       a load of byte 0 of every page of the group (a swap entry is swapped in)
 *   fork       fork(2) in src's process; the child is mm dst
 *   munmap     munmap(2) of the groups [from, to)
 *   madvise_pageout  madvise(MADV_PAGEOUT) of the groups [from, to): the script runs with
 *              swap on (a RAM disk, kernel/modules.ts); reclaimed pages show as swap entries
 *   mprotect   mprotect(2) of [from, to) to PROT_READ|PROT_WRITE|PROT_EXEC: new VMA
 *              flags (a VMA border inside the THP), and writes keep working as
 *              in the model; exec 0: back to PROT_READ|PROT_WRITE, the original
 *              flags (the VMAs merge again)
 *   mremap     mremap(2) of the whole 2 MiB to 4 MiB further on (PMD-aligned or one page
 *              off) and back to the fixed address
 *   populate_read  madvise(MADV_POPULATE_READ) of the whole range (zero pages where unmapped)
 *   force_*, migrate  /proc/self/mem pwrite/pread (FOLL_FORCE); move_pages(2) (probe-vma-c.ts)
 *   mlock      mlock2(MLOCK_ONFAULT) of [from, to): VM_LOCKED without populating
 *              (plain mlock's populate would write-fault and break COW)
 *   munlock    munlock(2) of [from, to)
 *   pin        write=1: io_uring_register(IORING_REGISTER_BUFFERS) of the group: a
 *              FOLL_WRITE | FOLL_LONGTERM pin held until unpin; write=0: a read-only
 *              FOLL_PIN held by a process_vm_readv(2) blocked on a userfaultfd
 *              buffer (probe-pin-c.ts)
 *   unpin      the group's oldest pin: IORING_UNREGISTER_BUFFERS (synchronous unpin) +
 *              close of that ring, or the blocked read let go and joined
 *   split      debugfs split_huge_pages "<pid>,0x<start>,0x<end>" on a process
 *              mapping the THP at the group (or "1", every THP, when none maps it)
 *
 * A fresh THP is zero-filled; every page gets a non-zero marker in byte 1 at
 * the fault, so no subpage is ever all zeroes (6.12 remaps all-zero subpages
 * of a split anon THP to the shared zeropage, which this model does not
 * have). The model's data is byte 0.
 *
 * wp_fault, read and pin act only where the group is mapped (pagemap
 * present): the model's write/read/pin of an unmapped address answers
 * nomap/EFAULT without faulting memory in, while the kernel would demand-fault
 * a fresh page (that is the fault op). Whether the kernel had it mapped is
 * itself compared (page[][]), so this hides nothing.
 *
 * After every step (in the process that ran it) the probe prints:
 *   AnonHugePages           /proc/meminfo, kB (PMD-mapped anon THPs)
 *   compound                /proc/kpageflags KPF_THP of the THP's page 0 (its head while compound)
 *   mapcount[i]             /proc/kpagecount of the THP's pages of group i (-1 when
 *                           they differ within the group)
 *   page[m][i]              what mm m maps at group i, from /proc/<pid>/pagemap:
 *                           -1 nothing, i the THP's own pages of group i, nr + k the
 *                           k-th other page set in (m, i) order (a private copy;
 *                           equal numbers = the same physical pages), -3 the (huge
 *                           or small) zero page (kpageflags KPF_ZERO_PAGE), -4 a
 *                           group of swap entries (pagemap bit 62: whose page, in the swap
 *                           cache or on the device, userspace cannot see), -9 a group
 *                           mapped only in part (or partly swapped)
 */
import { THP_OBSERVE_C } from './probe-observe-c.js';
import { THP_PIN_C } from './probe-pin-c.js';
import { THP_VMA_C } from './probe-vma-c.js';

export const THP_C = String.raw`
#include <sys/prctl.h>
#include <sys/uio.h>

#define T_NM 8
#define T_NR 16
#define T_PINS 4
#define T_PAGE 4096UL
#define T_BASE ((char *)0x300000000000UL)
#define KPF_SWAPCACHE_BIT 13
#define KPF_THP_BIT 22
#define KPF_ZERO_PAGE_BIT 24
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN ((1ULL << 55) - 1)

struct tbook {
	int nr, g, mms;
	int live[T_NM];
	int ro[T_NM];		/* mprotect_ro: the process's VMA is PROT_READ */
	pid_t pid[T_NM];
	int cfd[T_NM][2];	/* child ends of task t's pipes: cmd (read), ack (write) */
	unsigned long head;	/* pfn of the THP's head page, 0 before the fault */
	unsigned long pfn[512];	/* pfn of the THP's page k (group k / g): head + k until its pages move one by one; 0 once not ours */
};
static struct tbook *TB;

static char *t_addr(int i)
{
	return T_BASE + (unsigned long)i * TB->g * T_PAGE;
}

static unsigned long long t_u64(const char *path, unsigned long idx)
{
	unsigned long long v = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &v, sizeof(v), (off_t)(idx * 8)) != sizeof(v))
		v = 0;
	close(fd);
	return v;
}

/* pagemap entries of group i in mm m (g of them); 0 when it cannot be read. */
static int t_pagemap(int m, int i, unsigned long long *pm)
{
	char path[64];
	int fd, ok;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)TB->pid[m]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ok = pread(fd, pm, TB->g * 8, (off_t)((unsigned long)t_addr(i) / T_PAGE * 8)) == TB->g * 8;
	close(fd);
	return ok;
}

/* 1 when every page of group i is mapped in mm m, 0 when none is, -1 in between. */
static int t_present(int m, int i, unsigned long long *pm)
{
	int n = 0;
	if (!t_pagemap(m, i, pm))
		return 0;
	for (int j = 0; j < TB->g; j++)
		n += (pm[j] & PM_PRESENT) != 0;
	return n == TB->g ? 1 : n == 0 ? 0 : -1;
}

${THP_PIN_C}
${THP_OBSERVE_C}
static void t_child_loop(int dst)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	my_task = dst;
	tasks[dst].cmd = TB->cfd[dst][0];
	tasks[dst].ack = TB->cfd[dst][1];
	t_pins_forget();
	task_loop();
}

/* The task that runs a step of mm m; in the script's process, it also learns the tasks forked so far. */
static int t_task_of(int m)
{
	int n = 0;
	for (int t = 1; t < TB->mms; t++)
		if (TB->live[t]) {
			tasks[t].pid = TB->pid[t];
			n = t;
		}
	ntasks = n;
	return m >= 0 && m < TB->mms && TB->live[m] ? m : 0;
}

static const char *t_fault(int m)
{
	unsigned long long pm;
	if (m < 0 || m >= TB->mms || !TB->live[m])
		return "EINVAL";
	for (unsigned long off = 0; off < HPAGE; off += T_PAGE) {
		int sig = touch(T_BASE + off, 1);
		if (sig)
			return sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
		T_BASE[off] = 0;
		T_BASE[off + 1] = (char)0xa5;
	}
	madvise(T_BASE, HPAGE, MADV_NOHUGEPAGE);
	pm = t_u64("/proc/self/pagemap", (unsigned long)T_BASE / T_PAGE);
	if ((pm & PM_PRESENT) && ((t_u64("/proc/kpageflags", pm & PM_PFN) >> KPF_THP_BIT) & 1)) {
		TB->head = pm & PM_PFN;
		for (int k = 0; k < 512; k++)
			TB->pfn[k] = TB->head + (unsigned long)k;
		return "pmd";
	}
	return "ENOMEM";
}

static const char *t_fork(int src, int dst)
{
	pid_t pid;
	if (src < 0 || src >= TB->mms || dst < 0 || dst >= TB->mms || src == dst || !TB->live[src] || TB->live[dst])
		return "EINVAL";
	pid = fork();
	if (pid < 0)
		return errname(errno);
	if (pid == 0)
		t_child_loop(dst);
	TB->pid[dst] = pid;
	TB->ro[dst] = TB->ro[src];
	TB->live[dst] = 1;
	return "ok";
}

static const char *t_wp_fault(int m, int i, int val, int *bus)
{
	unsigned long long pm[512];
	unsigned long before;
	*bus = 0;
	/* a store to a read-only VMA faults (SIGSEGV) whether or not a page is there, and maps none */
	if (!TB->ro[m] && t_present(m, i, pm) != 1)
		return "nomap";
	before = pm[0] & PM_PFN;
	for (int j = 0; j < TB->g; j++) {
		int sig;
		volatile char *p = t_addr(i) + j * T_PAGE;
		sig = touch(p, 1);
		if (sig) {
			*bus = sig == SIGBUS;
			return sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
		}
		*p = (char)val;
	}
	t_pagemap(m, i, pm);
	return (pm[0] & PM_PFN) == before ? "reuse" : "copy";
}

static char t_retbuf[16];

static const char *t_read(int m, int i)
{
	unsigned long long pm[512];
	int v = -1;
	if (!t_mapped(m, i, pm))
		return "nomap";
	for (int j = 0; j < TB->g; j++) {
		int b = (unsigned char)t_addr(i)[j * T_PAGE];
		if (v >= 0 && b != v)
			return "mixed";
		v = b;
	}
	snprintf(t_retbuf, sizeof(t_retbuf), "%d", v);
	return t_retbuf;
}

static const char *t_range(int m, int op, int from, int to)
{
	int r;
	if (from < 0 || to > TB->nr || from >= to)
		return "EINVAL";
	char *a = t_addr(from);
	size_t len = (size_t)(to - from) * TB->g * T_PAGE;
	if (op == 0)
		r = munmap(a, len);
	else if (op == 1)
		r = mprotect(a, len, PROT_READ | (TB->ro[m] ? 0 : PROT_WRITE) | PROT_EXEC);
	else if (op == 2)
		r = syscall(SYS_mlock2, a, len, MLOCK_ONFAULT);
	else if (op == 3)
		r = madvise(a, len, MADV_DONTNEED);
	else if (op == 5)
		r = munlock(a, len);
	else if (op == 6)
		r = mprotect(a, len, PROT_READ | (TB->ro[m] ? 0 : PROT_WRITE));
	else
		r = madvise(a, len, MADV_PAGEOUT);
	return r ? errname(errno) : "ok";
}

${THP_VMA_C}
/* mprotect(PROT_READ) of the whole range: the VMA is read-only from now on */
static const char *t_mprotect_ro(int m)
{
	if (mprotect(T_BASE, HPAGE, PROT_READ))
		return errname(errno);
	TB->ro[m] = 1;
	return "ok";
}

static const char *t_split(int i)
{
	unsigned long pfn;
	unsigned long long pm[512];
	char cmd[96];
	int by = -1, e;
	if (i < 0 || i >= TB->nr || !TB->head)
		return "nothp";
	pfn = t_pfn(i, 0);
	if (!t_is_thp(pfn))
		return "nothp";
	for (int m = 0; m < TB->mms && by < 0; m++)
		if (TB->live[m] && t_pagemap(m, i, pm) && (pm[0] & PM_PRESENT) && (pm[0] & PM_PFN) == pfn)
			by = m;
	if (by >= 0)
		snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", (int)TB->pid[by], (unsigned long)t_addr(i),
			 (unsigned long)t_addr(i) + T_PAGE);
	else
		snprintf(cmd, sizeof(cmd), "1");
	e = write_file("/sys/kernel/debug/split_huge_pages", cmd);
	if (e)
		return errname(-e);
	return t_is_thp(pfn) ? "EBUSY" : "ok";
}

static void t_setup(int script, int nr, int mms, int initial)
{
	TB = mmap(NULL, sizeof(*TB), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (TB == MAP_FAILED)
		_exit(96);
	memset(TB, 0, sizeof(*TB));
	TB->nr = nr;
	TB->g = 512 / nr;
	TB->mms = mms;
	TB->live[0] = 1;
	TB->pid[0] = getpid();
	for (int t = 1; t < mms; t++) {
		int c[2], a[2];
		if (pipe(c) || pipe(a))
			emit("MMCHECK S %d ERROR pipe: %s", script, strerror(errno));
		tasks[t].cmd = c[1];
		tasks[t].ack = a[0];
		TB->cfd[t][0] = c[0];
		TB->cfd[t][1] = a[1];
	}
	/*
	 * The kernel's THP defaults: hugepage_init() (mm/huge_memory.c @ v6.1, v6.12) clears every THP flag
	 * under 512 MiB of RAM, as in the probe VM; without use_zero_page a read fault of an unmapped
	 * MADV_HUGEPAGE range allocates a fresh THP where the model maps the huge zero page
	 */
	if (write_file("/sys/kernel/mm/transparent_hugepage/enabled", "madvise") ||
	    write_file("/sys/kernel/mm/transparent_hugepage/defrag", "madvise") ||
	    write_file("/sys/kernel/mm/transparent_hugepage/use_zero_page", "1"))
		emit("MMCHECK S %d ERROR THP sysfs defaults could not be set", script);
	if (meminfo("AnonHugePages") != 0)
		emit("MMCHECK S %d ERROR AnonHugePages not 0 at start: %lld kB", script, meminfo("AnonHugePages"));
	if (mmap(T_BASE, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
	    T_BASE)
		emit("MMCHECK S %d ERROR mmap of the THP range: %s", script, strerror(errno));
	if (madvise(T_BASE, HPAGE, MADV_HUGEPAGE))
		emit("MMCHECK S %d ERROR MADV_HUGEPAGE: %s", script, strerror(errno));
	if (initial >= 1) {
		const char *r = t_fault(0);
		if (strcmp(r, "pmd"))
			emit("MMCHECK S %d ERROR initial fault: %s (no THP)", script, r);
	}
	if (initial == 2 && strcmp(t_fork(0, 1), "ok"))
		emit("MMCHECK S %d ERROR initial fork failed", script);
}

/* In the probe's process, after the script's processes are gone: every THP must be gone too. */
static int t_restore(int script)
{
	long long a = 0;
	for (int k = 0; k < 200; k++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		a = meminfo("AnonHugePages");
		if (a == 0)
			break;
		usleep(10000);
	}
	emit("MMCHECK S %d AFTER AnonHugePages=%lld", script, a);
	return a == 0;
}
`;
