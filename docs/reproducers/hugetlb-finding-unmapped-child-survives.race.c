/*
 * mmcheck race reproducer: hugetlb/finding-unmapped-child-survives
 *
 * A MAP_PRIVATE hugetlb mapping's owner (the process that mmapped it) COWs a page its fork child still maps
 * while the pool has no page to spare: hugetlb_wp() (mm/hugetlb.c @ v6.12; hugetlb_cow() @ v6.1) cannot
 * allocate, so it calls unmap_ref_private(), which unmaps the page from the child and marks the child's VMA
 * HPAGE_RESV_UNMAPPED; from then on every fault of the child in that VMA is SIGBUS (hugetlb_no_page(): "PID %d
 * killed due to inadequate hugepage pool"). hugetlb_no_page() tests the flag once, before it allocates, and the
 * owner's COW shares no lock with a child fault at another index (another fault mutex; a private child VMA has
 * no VMA lock). A child fault that passed the test before the flag was set and allocates after a page became
 * free (here: the owner's munmap after its COW) maps a new page into a VMA that was marked: the child survives.
 *
 * Per iteration: the parent (pinned to CPU 0) mmaps 2 huge pages MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB (the pool
 * is nr_hugepages 2: both reserved), writes index 0 and forks. The child (pinned to CPU 1) reads index 1 while the
 * parent writes index 0 (the COW that fails and marks the child) and then munmaps everything (a page becomes
 * free only now). Before the race no page is available to the child (HugePages_Free - HugePages_Rsvd = 0: the
 * one free page is the owner's reservation for index 1), so a child read of index 1 can succeed only by
 * allocating after the owner's munmap, which comes after the owner's COW marked the child. After the parent's
 * munmap the child reads index 0: SIGBUS shows that the COW did unmap and mark it. A HIT line is printed when
 * the child read index 1 without SIGBUS and then got SIGBUS at index 0 (kept=1), with avail= the pages
 * available to it before the race: the damage is kept > avail. (A child whose read of index 1 came before the
 * COW gets SIGBUS: no page is available; one whose read came after the COW gets SIGBUS: the flag.) The child
 * also reads index 1 again and looks at /proc/self/pagemap (present=1: the marked child keeps the page).
 *
 * The window (the flag test .. the allocation, a few microseconds) has to outlast the owner's COW and munmap.
 * MMCHECK_HOG=rt (the default form, booted with preempt=full): a SCHED_FIFO thread of the parent on the child's
 * CPU sleeps on a futex; after go the parent waits a delay swept over the iterations (0 .. MMCHECK_DELAY_NS,
 * default 60000) and wakes it, and its wake-up preempts the child wherever the child is (a fully preemptible
 * kernel preempts the fault path there: it holds only the fault mutex); the hog spins until the parent's COW and
 * munmap are done (at most MMCHECK_HOG_US, default 5000). MMCHECK_HOG=none leaves the timing to the machine.
 * MMCHECK_CONTROL=1: the same loop, the child's read of index 1 after the parent's COW and munmap on odd
 * iterations and before the parent's COW on even ones: never kept.
 *
 *   gcc -static -O1 -pthread -o race race.c && ./race     (as root, on a disposable machine or VM)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-unmapped-child-survives --kernel K) it is /init of a
 * 2-vCPU qemu guest and reports on /dev/ttyS1.
 *
 * Output lines (MMCHECK RACE ...):
 *   BEGIN iters=N secs=S cpus=C control=0|1 hog=H Total= Free= Rsvd= Surp=
 *   HIT iter=K at=child kept=1 avail=A present=P again=G delay_ns=D Total= Free= Rsvd= Surp=
 *   ERROR <what failed> ...
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V
 *   END iters=K stop=hit|iterations|seconds|setup_failed overlaps=O sigbus1=B ok1=K1 marked=M hit=0|1 ms=T
 * overlaps: iterations whose child read of index 1 overlapped the parent's COW (the window could open);
 * sigbus1/ok1: the child's reads of index 1; marked: iterations whose child got SIGBUS at index 0 afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#define HPAGE (2UL << 20)

static int out_fd = 1;

static void emit(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(out_fd, buf, n) < 0)
		return;
}

struct pool {
	unsigned long total, free, rsvd, surp;
};

static int read_pool(struct pool *p)
{
	char line[256];
	int seen = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		seen += sscanf(line, "HugePages_Total: %lu", &p->total);
		seen += sscanf(line, "HugePages_Free: %lu", &p->free);
		seen += sscanf(line, "HugePages_Rsvd: %lu", &p->rsvd);
		seen += sscanf(line, "HugePages_Surp: %lu", &p->surp);
	}
	fclose(f);
	return seen == 4 ? 0 : -1;
}

#define POOL_FMT "Total=%lu Free=%lu Rsvd=%lu Surp=%lu"
#define POOL_ARGS(p) (p).total, (p).free, (p).rsvd, (p).surp

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static void read_file(const char *path, char *out, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r = fd < 0 ? -1 : read(fd, out, n - 1);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		r = 0;
	out[r] = 0;
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	if (!out[0])
		strcpy(out, "?");
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	return s && *s ? atol(s) : dflt;
}

static const char *env_str(const char *name, const char *dflt)
{
	const char *s = getenv(name);
	return s && *s ? s : dflt;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* parent and child, in a MAP_SHARED page */
struct shared {
	atomic_long ready;   /* iteration the child is ready in */
	atomic_long go;      /* iteration both may start */
	atomic_long p_done;  /* iteration whose parent COW and munmap are done */
	atomic_long c_read;  /* iteration whose child read index 1 */
	atomic_long c_done;  /* iteration whose child finished its reads */
	atomic_long exit_ok; /* iteration whose child may exit */
	atomic_long c_start, c_end, p_start, p_end;
	atomic_int ok1, ok0, again, present;
};
static struct shared *sh;

static sigjmp_buf jb;
static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* 1 when the read of p returned, 0 on SIGBUS */
static int try_read(volatile char *p)
{
	if (sigsetjmp(jb, 1) == 0) {
		(void)*p;
		return 1;
	}
	return 0;
}

static int page_present(void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t r = pread(fd, &e, sizeof(e), ((uintptr_t)addr / 4096) * sizeof(e));
	close(fd);
	return r == sizeof(e) ? (int)(e >> 63) : -1;
}

static void wait_for(atomic_long *v, long k)
{
	while (atomic_load(v) != k)
		sched_yield();
}

/* the child of iteration k; mode 0: the race, 1: read after the parent's COW and munmap, 2: read before the COW */
static void child(long k, char *a, int mode)
{
	pin(1);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	atomic_store(&sh->ready, k);
	if (mode == 1)
		wait_for(&sh->p_done, k);
	else
		while (atomic_load(&sh->go) != k)
			;
	atomic_store(&sh->c_start, now_ns());
	int ok1 = try_read(a + HPAGE);
	atomic_store(&sh->c_end, now_ns());
	atomic_store(&sh->ok1, ok1);
	atomic_store(&sh->c_read, k);
	wait_for(&sh->p_done, k);
	atomic_store(&sh->ok0, try_read(a));
	atomic_store(&sh->again, ok1 ? try_read(a + HPAGE) : 0);
	atomic_store(&sh->present, page_present(a + HPAGE));
	atomic_store(&sh->c_done, k);
	wait_for(&sh->exit_ok, k);
	_exit(0);
}

static atomic_int hog_stop;
static atomic_long hog_seq; /* futex word: the iteration the hog is woken for */
static long hog_max_us;

/*
 * SCHED_FIFO on CPU 1, asleep on a futex until the parent wakes it in the middle of the child's read: the wake-up
 * (a reschedule IPI to CPU 1) preempts the child wherever it is preemptible, and the hog spins until the parent's
 * COW and munmap are done (at most hog_max_us), then sleeps again
 */
static void *hog(void *arg)
{
	(void)arg;
	pin(1);
	struct sched_param sp = { .sched_priority = 1 };
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
		emit("MMCHECK RACE ERROR hog: SCHED_FIFO refused (errno %d)", errno);
	long last = 0;
	while (!atomic_load(&hog_stop)) {
		long s = atomic_load(&hog_seq);
		if (s == last) {
			syscall(SYS_futex, &hog_seq, FUTEX_WAIT_PRIVATE, (int)last, NULL, NULL, 0);
			continue;
		}
		last = s;
		long end = now_ns() + hog_max_us * 1000L;
		while (atomic_load(&sh->p_done) != s && now_ns() < end)
			;
	}
	return NULL;
}

int main(void)
{
	int as_init = getpid() == 1;
	if (as_init) {
		mkdir("/proc", 0755);
		mkdir("/sys", 0755);
		mkdir("/dev", 0755);
		mount("proc", "/proc", "proc", 0, NULL);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
		if (fd >= 0)
			out_fd = fd;
	}
	struct utsname u;
	if (uname(&u) == 0)
		emit("MMCHECK UNAME %s", u.release);
	long iters = env_long("MMCHECK_ITERS", 2000), secs = env_long("MMCHECK_SECS", 170);
	int race = env_long("MMCHECK_CONTROL", 0) == 0;
	const char *hog_form = env_str("MMCHECK_HOG", "rt");
	hog_max_us = env_long("MMCHECK_HOG_US", 5000);
	/* the parent wakes the hog MMCHECK_DELAY_NS * (k * 1237 % 1000) / 1000 after go: swept over the iterations */
	long delay_ns = env_long("MMCHECK_DELAY_NS", 60000);
	int hit = 0, hogging = 0;
	long k = 0, overlaps = 0, sigbus1 = 0, ok1 = 0, marked = 0;
	const char *stop = "iterations";
	struct pool p;
	pthread_t ht;
	long t0 = now_ms();
	if (strcmp(hog_form, "rt") != 0 && strcmp(hog_form, "none") != 0) {
		emit("MMCHECK RACE ERROR MMCHECK_HOG=%s: expected rt|none", hog_form);
		goto out;
	}
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || write_file("/proc/sys/vm/nr_overcommit_hugepages", "0") ||
	    write_file("/proc/sys/vm/nr_hugepages", "2") || read_pool(&p)) {
		emit("MMCHECK RACE ERROR cannot set up a pool of 2 pages (root? hugetlb? /proc mounted?): %s",
		     strerror(errno));
		goto out;
	}
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d hog=%s " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !race, hog_form, POOL_ARGS(p));
	if (p.total != 2 || p.free != 2 || p.rsvd != 0 || p.surp != 0) {
		emit("MMCHECK RACE ERROR the pool is not 2 free unreserved pages before the race");
		goto out;
	}
	if (strcmp(hog_form, "rt") == 0) {
		if (pthread_create(&ht, NULL, hog, NULL)) {
			emit("MMCHECK RACE ERROR pthread_create failed");
			goto out;
		}
		hogging = 1;
	}
	pin(0);
	for (k = 1;; k++) {
		if (k > iters) {
			k = iters;
			break;
		}
		if (now_ms() - t0 >= secs * 1000L) {
			k--;
			stop = "seconds";
			break;
		}
		char *a = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (a == MAP_FAILED) {
			read_pool(&p);
			emit("MMCHECK RACE ERROR iter=%ld mmap of 2 huge pages failed: errno=%d " POOL_FMT, k, errno,
			     POOL_ARGS(p));
			stop = "setup_failed";
			break;
		}
		memset(a, 1, 64); /* index 0: the owner's page, its reservation used */
		read_pool(&p);
		/* pages the child could get before the race: free and not reserved (0: the free one is index 1's) */
		long avail = (long)p.free - (long)p.rsvd;
		int mode = race ? 0 : (k % 2 ? 1 : 2);
		pid_t pid = fork();
		if (pid < 0) {
			emit("MMCHECK RACE ERROR iter=%ld fork failed: errno=%d", k, errno);
			stop = "setup_failed";
			break;
		}
		if (pid == 0)
			child(k, a, mode);
		wait_for(&sh->ready, k);
		if (mode == 2) {
			atomic_store(&sh->go, k);
			wait_for(&sh->c_read, k);
		}
		long d = delay_ns * (k * 1237 % 1000) / 1000;
		long t_go = now_ns();
		atomic_store(&sh->p_start, t_go);
		atomic_store(&sh->go, k);
		if (hogging) {
			while (now_ns() < t_go + d)
				;
			atomic_store(&hog_seq, k);
			syscall(SYS_futex, &hog_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		}
		a[0] = 2; /* the owner's COW: no page to spare, so unmap_ref_private marks the child */
		atomic_store(&sh->p_end, now_ns());
		munmap(a, 2 * HPAGE); /* a page becomes free only now */
		atomic_store(&sh->p_done, k);
		wait_for(&sh->c_done, k);
		int r1 = atomic_load(&sh->ok1), r0 = atomic_load(&sh->ok0);
		if (atomic_load(&sh->c_start) < atomic_load(&sh->p_end) && atomic_load(&sh->c_end) > atomic_load(&sh->p_start))
			overlaps++;
		if (r1)
			ok1++;
		else
			sigbus1++;
		if (!r0)
			marked++;
		read_pool(&p);
		if (r1 && !r0) {
			emit("MMCHECK RACE HIT iter=%ld at=child kept=1 avail=%ld present=%d again=%d delay_ns=%ld " POOL_FMT, k,
			     avail, atomic_load(&sh->present), atomic_load(&sh->again), d, POOL_ARGS(p));
			hit = 1;
		}
		atomic_store(&sh->exit_ok, k);
		int st;
		waitpid(pid, &st, 0);
		if (hit)
			break;
		if (k % 100 == 0)
			emit("MMCHECK RACE PROGRESS iter=%ld overlaps=%ld ok1=%ld marked=%ld ms=%ld", k, overlaps, ok1, marked,
			     now_ms() - t0);
	}
	if (hit)
		stop = "hit";
	atomic_store(&hog_stop, 1);
	if (hogging) {
		atomic_store(&hog_seq, -1);
		syscall(SYS_futex, &hog_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		pthread_join(ht, NULL);
	}
	write_file("/proc/sys/vm/nr_hugepages", "0");
	if (read_pool(&p) == 0) {
		char nr[64];
		read_file("/proc/sys/vm/nr_hugepages", nr, sizeof(nr));
		emit("MMCHECK RACE AFTER " POOL_FMT " nr_hugepages=%s", POOL_ARGS(p), nr);
	}
	emit("MMCHECK RACE END iters=%ld stop=%s overlaps=%ld sigbus1=%ld ok1=%ld marked=%ld hit=%d ms=%ld", k, stop,
	     overlaps, sigbus1, ok1, marked, hit, now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
