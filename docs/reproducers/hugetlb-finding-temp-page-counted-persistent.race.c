/*
 * mmcheck race reproducer: hugetlb/finding-temp-page-counted-persistent
 *
 * Soft offline (madvise MADV_SOFT_OFFLINE) of an in-use huge page when no free
 * huge page is available migrates it to a temporary page from buddy
 * (mm/hugetlb.c alloc_migrate_hugetlb_folio(), alloc_migrate_huge_page() in
 * v6.1): counted in nr_huge_pages, flagged temporary, not counted as surplus.
 * A concurrent write of 0 to /proc/sys/vm/nr_hugepages in that window
 * (set_max_huge_pages(): persistent_huge_pages() = nr - surplus counts the
 * temporary page as a persistent page in use) makes adjust_pool_surplus() count
 * it as surplus too; move_hugetlb_state() then hands the temporary flag to the
 * old page, whose free (free_huge_folio(), free_huge_page() in v6.1) lowers
 * nr_huge_pages but not surplus_huge_pages. Seen from user space:
 * HugePages_Surp > HugePages_Total, and once the mapping is gone
 * HugePages_Total 0 with HugePages_Surp 1, for good.
 *
 * Thread 1 (main), per iteration: set up the pool (MMCHECK_POOL, below), mmap one
 * MAP_PRIVATE|MAP_HUGETLB page, write it (fault), soft-offline it (the pool has
 * no free page, so the migration needs the temporary page), munmap. The
 * counters are read after every step, so the damage is reported (HIT) at the
 * step of the iteration where it shows.
 * Thread 2 writes 0 to /proc/sys/vm/nr_hugepages in a loop, by default only
 * while thread 1 is inside madvise(MADV_SOFT_OFFLINE) (MMCHECK_WRITER=window):
 * thread 1 opens the window before the call, closes it after, and waits until
 * no write is in progress before its next step. A writer that runs all the time
 * (MMCHECK_WRITER=free) also races the surplus page allocation of mmap
 * (alloc_surplus_hugetlb_folio(): prep_new_hugetlb_folio counts the fresh page
 * in nr_huge_pages, then the lock is dropped before surplus_huge_pages++), a
 * different window with the same effect: HIT at=mmap, and the following mmaps
 * fail (surplus_huge_pages >= nr_overcommit_huge_pages). That is what CI saw
 * (session 14's free writer: END iters=51 offlined=0 mmap_failed=51, the damage
 * in the AFTER line and no HIT).
 *
 * MMCHECK_WRITER=mmap (finding-surplus-alloc-counted-persistent, with MMCHECK_POOL=surplus): the
 * writer only while thread 1 is inside mmap, whose reservation allocates the surplus page
 * (gather_surplus_pages -> alloc_surplus_hugetlb_folio), and no soft offline: mmap, fault,
 * munmap per iteration; END's mmaps= counts the windows opened.
 * MMCHECK_POOL:
 *   persistent (default)  nr_hugepages 1, nr_overcommit_hugepages 0: the
 *                         finding's counterexample (one persistent page, in use)
 *   surplus               nr_hugepages 0, nr_overcommit_hugepages 1: the page
 *                         mmap reserves is a surplus page
 * Each iteration starts from its form's pool (nr_hugepages written again when
 * it is not there, never while the writer may run).
 *
 * Stops at the first iteration whose counters show HugePages_Surp >
 * HugePages_Total, after MMCHECK_ITERS iterations (default 2000) or MMCHECK_SECS
 * seconds (default 170), or when it cannot go on (50 failures in a row of
 * mmap, soft offline or the pool's set-up: an ERROR line with the errno and
 * the counters). END's stop= says which. MMCHECK_CONTROL=1 runs the same loop
 * without thread 2 (the control: soft offline alone keeps the counters right).
 * Each soft offline takes one 4 KiB page out of service for good, so run it on a
 * disposable machine or VM:
 *   gcc -static -O1 -pthread -o race race.c && ./race     (as root)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-temp-page-counted-persistent
 * --kernel K [--race-form surplus]) it is /init of a 2-vCPU qemu guest and reports on /dev/ttyS1.
 *
 * Output lines (MMCHECK RACE ...):
 *   BEGIN iters=N secs=S cpus=C control=0|1 pool=P writer=W Total= Free= Rsvd= Surp=   the pool before
 *   HIT iter=K at=pool|mmap|fault|offline|munmap Total= Free= Rsvd= Surp=             the step whose counters show it
 *   ERROR iter=K <what failed 50 times in a row> errno=E Total= Free= Rsvd= Surp=
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V     writer stopped, mapping gone, 0 written
 *   END iters=K stop=hit|iterations|seconds|mmap_failed|offline_failed|pool_failed offlined=M
 *       offline_failed=F mmap_failed=E writes=W window_writes=X hit=0|1 ms=T
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#define HPAGE (2UL << 20)
#define IN_A_ROW 50

static int out_fd = 1;
static atomic_int stop_writer;
/* 1 while thread 1 is inside madvise(MADV_SOFT_OFFLINE) (or always, MMCHECK_WRITER=free) */
static atomic_int window;
/* 1 while thread 2 may be inside a write */
static atomic_int writing;
static atomic_ulong writes;

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
	long total, free, rsvd, surp;
};

static int read_pool(struct pool *p)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	p->total = p->free = p->rsvd = p->surp = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &p->total);
		sscanf(line, "HugePages_Free: %ld", &p->free);
		sscanf(line, "HugePages_Rsvd: %ld", &p->rsvd);
		sscanf(line, "HugePages_Surp: %ld", &p->surp);
	}
	fclose(f);
	return p->total < 0 || p->surp < 0 ? -1 : 0;
}

#define POOL_FMT "Total=%ld Free=%ld Rsvd=%ld Surp=%ld"
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

static void *writer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_writer)) {
		if (!atomic_load(&window)) {
			sched_yield();
			continue;
		}
		/* announce the write, then look at the window again: thread 1 closes the window and then waits for
		 * writing == 0, so (sequentially consistent atomics) no write starts after it has looked */
		atomic_store(&writing, 1);
		if (atomic_load(&window)) {
			write_file("/proc/sys/vm/nr_hugepages", "0");
			atomic_fetch_add(&writes, 1);
		}
		atomic_store(&writing, 0);
	}
	return NULL;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
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

static int hit;
static long k;

/* the counters after step `at`: a HIT line when they show the damage; 1 when they do */
static int check(const char *at, struct pool *p)
{
	if (read_pool(p) == 0 && p->surp > p->total) {
		emit("MMCHECK RACE HIT iter=%ld at=%s " POOL_FMT, k, at, POOL_ARGS(*p));
		hit = 1;
	}
	return hit;
}

/* wait until thread 2 is outside its write (the window closed first) */
static void close_window(int free_writer)
{
	if (free_writer)
		return;
	atomic_store(&window, 0);
	while (atomic_load(&writing))
		sched_yield();
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
	/* MMCHECK_CONTROL=1: the control run, the same loop without the concurrent writer */
	int with_writer = env_long("MMCHECK_CONTROL", 0) == 0;
	const char *pool_form = env_str("MMCHECK_POOL", "persistent");
	const char *writer_form = env_str("MMCHECK_WRITER", "window");
	int persistent = strcmp(pool_form, "persistent") == 0;
	int free_writer = strcmp(writer_form, "free") == 0;
	/* MMCHECK_WRITER=mmap: the writer only inside mmap (its surplus page allocation,
	 * alloc_surplus_hugetlb_folio: nr_huge_pages counted a lock cycle before surplus_huge_pages), and
	 * no soft offline: finding-surplus-alloc-counted-persistent */
	int mmap_writer = strcmp(writer_form, "mmap") == 0;
	struct pool p;
	long offlined = 0, off_failed = 0, mmap_failed = 0, pool_failed = 0, mmaps = 0;
	long off_row = 0, mmap_row = 0, pool_row = 0;
	const char *stop = "iterations";
	unsigned long window_writes = 0;
	long t0 = now_ms();
	if ((!persistent && strcmp(pool_form, "surplus") != 0) || (!free_writer && !mmap_writer && strcmp(writer_form, "window") != 0)) {
		emit("MMCHECK RACE ERROR MMCHECK_POOL=%s MMCHECK_WRITER=%s: expected persistent|surplus and window|free|mmap",
		     pool_form, writer_form);
		goto out;
	}
	if (write_file("/proc/sys/vm/nr_hugepages", "0") ||
	    write_file("/proc/sys/vm/nr_overcommit_hugepages", persistent ? "0" : "1") || read_pool(&p)) {
		emit("MMCHECK RACE ERROR cannot set up the pool (root? hugetlb? /proc mounted?): %s", strerror(errno));
		goto out;
	}
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d pool=%s writer=%s " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !with_writer, pool_form, with_writer ? writer_form : "none",
	     POOL_ARGS(p));
	if (p.total != 0 || p.surp != 0) {
		emit("MMCHECK RACE ERROR the pool is not empty before the race");
		goto out;
	}
	atomic_store(&window, free_writer);
	pthread_t w;
	if (with_writer && pthread_create(&w, NULL, writer, NULL)) {
		emit("MMCHECK RACE ERROR pthread_create failed");
		goto out;
	}
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
		if (persistent) {
			/* one persistent page, free; 1 is written again when a race-free iteration's page left as surplus
			 * (a write in the window before the temporary page made the page in use surplus) */
			read_pool(&p);
			if (p.total != 1 || p.surp != 0) {
				int e = write_file("/proc/sys/vm/nr_hugepages", "1") ? errno : 0;
				if (check("pool", &p))
					break;
				if (e || p.total != 1 || p.free != 1) {
					pool_failed++;
					if (++pool_row >= IN_A_ROW) {
						emit("MMCHECK RACE ERROR iter=%ld nr_hugepages 1 did not give one free page %d "
						     "times in a row: errno=%d " POOL_FMT,
						     k, IN_A_ROW, e, POOL_ARGS(p));
						stop = "pool_failed";
						break;
					}
					continue;
				}
			}
			pool_row = 0;
		}
		unsigned long mw0 = atomic_load(&writes);
		if (with_writer && mmap_writer)
			atomic_store(&window, 1);
		char *a = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		int e = errno;
		if (with_writer && mmap_writer)
			close_window(0);
		if (mmap_writer) {
			mmaps++;
			window_writes += atomic_load(&writes) - mw0;
		}
		if (a == MAP_FAILED) {
			mmap_failed++;
			if (check("mmap", &p))
				break;
			/* surplus form: the overcommit page could not come from buddy (memory taken by earlier offlines) */
			if (++mmap_row >= IN_A_ROW) {
				emit("MMCHECK RACE ERROR iter=%ld mmap failed %d times in a row: errno=%d " POOL_FMT, k,
				     IN_A_ROW, e, POOL_ARGS(p));
				stop = "mmap_failed";
				break;
			}
			continue;
		}
		mmap_row = 0;
		if (check("mmap", &p)) {
			munmap(a, HPAGE);
			break;
		}
		memset(a, 1, 64);
		if (check("fault", &p)) {
			munmap(a, HPAGE);
			break;
		}
		if (mmap_writer) {
			munmap(a, HPAGE);
			if (check("munmap", &p))
				break;
			if (k % 100 == 0)
				emit("MMCHECK RACE PROGRESS iter=%ld mmaps=%ld writes=%lu ms=%ld", k, mmaps,
				     atomic_load(&writes), now_ms() - t0);
			continue;
		}
		unsigned long w0 = atomic_load(&writes);
		if (with_writer && !free_writer)
			atomic_store(&window, 1);
		int r = madvise(a, HPAGE, MADV_SOFT_OFFLINE);
		e = errno;
		if (with_writer)
			close_window(free_writer);
		window_writes += atomic_load(&writes) - w0;
		if (r == 0) {
			offlined++;
			off_row = 0;
		} else {
			off_failed++;
			off_row++;
		}
		check("offline", &p);
		munmap(a, HPAGE);
		check("munmap", &p);
		if (hit)
			break;
		if (off_row >= IN_A_ROW) {
			emit("MMCHECK RACE ERROR iter=%ld soft offline failed %d times in a row: errno=%d " POOL_FMT, k,
			     IN_A_ROW, e, POOL_ARGS(p));
			stop = "offline_failed";
			break;
		}
		if (k % 100 == 0)
			emit("MMCHECK RACE PROGRESS iter=%ld offlined=%ld writes=%lu ms=%ld", k, offlined,
			     atomic_load(&writes), now_ms() - t0);
	}
	if (hit)
		stop = "hit";
	atomic_store(&stop_writer, 1);
	if (with_writer)
		pthread_join(w, NULL);
	/* what outlives the race: no mapping, no writer, overcommit 0 and 0 written once more */
	write_file("/proc/sys/vm/nr_overcommit_hugepages", "0");
	write_file("/proc/sys/vm/nr_hugepages", "0");
	if (read_pool(&p) == 0) {
		char nr[64];
		read_file("/proc/sys/vm/nr_hugepages", nr, sizeof(nr));
		emit("MMCHECK RACE AFTER " POOL_FMT " nr_hugepages=%s", POOL_ARGS(p), nr);
	}
	emit("MMCHECK RACE END iters=%ld stop=%s offlined=%ld offline_failed=%ld mmap_failed=%ld pool_failed=%ld "
	     "mmaps=%ld writes=%lu window_writes=%lu hit=%d ms=%ld",
	     k, stop, offlined, off_failed, mmap_failed, pool_failed, mmaps, atomic_load(&writes), window_writes, hit,
	     now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
