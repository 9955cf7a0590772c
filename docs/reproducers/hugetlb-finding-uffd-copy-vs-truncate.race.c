/*
 * mmcheck race reproducer: hugetlb/finding-uffd-copy-vs-truncate
 *
 * UFFDIO_COPY into a reserved index of a MAP_SHARED hugetlbfs mapping while ftruncate shrinks the file below
 * it. hugetlb_mfill_atomic_pte() (mm/hugetlb.c @ v6.12; hugetlb_mcopy_atomic_pte() @ v6.1) allocates first:
 * alloc_hugetlb_folio() finds the mmap's reserve-map entry (vma_needs_reservation: 0), takes a free page as
 * reserved (resv_huge_pages--, restore_reserve flag) and commits the entry; then it copies 2 MiB from user
 * space, and only then checks i_size (-EFAULT beyond EOF). ftruncate (hugetlb_vmtruncate: i_size_write,
 * remove_inode_hugepages) takes no fault mutex for an index without a page, so its hugetlb_unreserve_pages()
 * deletes the entry and gives the reservation back (resv_huge_pages-- again) while the copy is in flight:
 * resv_huge_pages underflows (HugePages_Rsvd reads 18446744073709551615) until the failed copy frees its page.
 * That copy's restore_reserve_on_error() finds no entry (vma_needs_reservation 1) and adds one back
 * (vma_add_reservation), and the free restores the count to 0: the file keeps a reserve-map entry beyond EOF
 * that no count backs. Its lasting effect: extend the file again and mmap the index MAP_SHARED, and the mmap
 * reserves nothing (region_chg finds the entry: Rsvd stays 0); the first fault then consumes a reservation
 * nobody made (resv_huge_pages-- from 0: Rsvd 2^64-1 while the page lives), and the file's eviction keeps it
 * (hugetlb_unreserve_pages: chg 1 - freed 1 = 0): Rsvd 2^64-1 for good.
 *
 * Per iteration: create /hugetlbfs/f (one huge page long), mmap it MAP_SHARED (Rsvd 1), register the mapping
 * with a userfaultfd (MISSING); the main thread runs UFFDIO_COPY of a 2 MiB buffer into it while thread 2 runs
 * ftruncate(f, 0) after a delay swept over the iterations and then reads /proc/meminfo until the copy returns
 * (the concurrent reader of the transient underflow). Then, every iteration (race or control): munmap,
 * ftruncate(f, 2 MiB), mmap MAP_SHARED again ("remap": a reservation must show as Rsvd 1), write it ("fault"),
 * munmap, close and unlink ("close": the inode is evicted). The counters are read after each step; a HIT line
 * is printed at each step whose counters show HugePages_Rsvd > HugePages_Free (only an underflow does that
 * here: no surplus pages, no min_size mount), and the loop stops after the iteration with a HIT.
 * MMCHECK_CONTROL=1: no thread 2; the main thread truncates before the copy on odd iterations (copy -EFAULT)
 * and after it on even ones (copy 0): both orders without the race.
 *
 *   gcc -static -O1 -pthread -o race race.c && ./race     (as root, on a disposable machine or VM)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-uffd-copy-vs-truncate --kernel K) it is /init of a
 * 2-vCPU qemu guest and reports on /dev/ttyS1.
 *
 * Output lines (MMCHECK RACE ...); counters are printed as the kernel prints them (unsigned):
 *   BEGIN iters=N secs=S cpus=C control=0|1 Total= Free= Rsvd= Surp=
 *   HIT iter=K at=truncate|copy|remap|fault|close Total= Free= Rsvd= Surp=
 *   ERROR <what failed> errno=E ...
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V            (after writing 0 to nr_hugepages)
 *   END iters=K stop=hit|iterations|seconds|setup_failed inside=I copied=C efault=F other=O unreserved=U
 *       readings=R hit=0|1 ms=T
 * inside: iterations whose ftruncate ran entirely inside the UFFDIO_COPY call (the window opened);
 * copied/efault/other: the copies' results; unreserved: remaps whose mmap reserved nothing (Rsvd 0 after it);
 * readings: /proc/meminfo readings of thread 2 while a copy was in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define HPAGE (2UL << 20)
#define DIR "/hugetlbfs"
#define FILE_PATH DIR "/f"
/* the delay of thread 2's ftruncate after the copy starts: swept over 0 .. MAX_DELAY spins */
#define MAX_DELAY 4000

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

/* HugePages_* as the kernel prints them (%lu: an underflowed count reads 2^64 - 1) */
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

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	return s && *s ? atol(s) : dflt;
}

static long k;
static int hit;

/* the counters after step `at`: a HIT line when HugePages_Rsvd > HugePages_Free */
static void check(const char *at, struct pool *p)
{
	if (read_pool(p) == 0 && p->rsvd > p->free) {
		emit("MMCHECK RACE HIT iter=%ld at=%s " POOL_FMT, k, at, POOL_ARGS(*p));
		hit = 1;
	}
}

/* thread 2 */
static atomic_long go;        /* iteration thread 2 may truncate in */
static atomic_long done;      /* iteration thread 2 finished */
static atomic_int in_copy;    /* 1 while the main thread is inside UFFDIO_COPY */
static atomic_int stop_thread;
static atomic_long delay;
static int file_fd = -1;
static atomic_long inside, readings;
/* thread 2's worst reading while the copy was in flight, and whether it showed the damage */
static struct pool t_seen;
static int t_hit;

static void *truncater(void *arg)
{
	(void)arg;
	long last = 0;
	while (!atomic_load(&stop_thread)) {
		long g = atomic_load(&go);
		if (g == last) {
			sched_yield();
			continue;
		}
		last = g;
		for (volatile long i = 0, d = atomic_load(&delay); i < d; i++)
			;
		int before = atomic_load(&in_copy);
		if (ftruncate(file_fd, 0))
			emit("MMCHECK RACE ERROR iter=%ld ftruncate(0) errno=%d", g, errno);
		int after = atomic_load(&in_copy);
		if (before && after)
			atomic_fetch_add(&inside, 1);
		/* the concurrent reader: /proc/meminfo until the copy returns */
		do {
			struct pool p;
			if (read_pool(&p) == 0) {
				atomic_fetch_add(&readings, 1);
				if (p.rsvd > p.free && !t_hit) {
					t_seen = p;
					t_hit = 1;
				}
			}
		} while (atomic_load(&in_copy));
		atomic_store(&done, g);
	}
	return NULL;
}

static int uffd_open(void)
{
	int u = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	if (u < 0 || ioctl(u, UFFDIO_API, &api))
		return -1;
	return u;
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
	struct pool p;
	long copied = 0, efault = 0, other = 0, unreserved = 0;
	const char *stop = "iterations";
	long t0 = now_ms();
	pthread_t t;
	int thread = 0, uffd = -1;
	char *src = MAP_FAILED;
	mkdir(DIR, 0755);
	if (mount("none", DIR, "hugetlbfs", 0, NULL) && errno != EBUSY) {
		emit("MMCHECK RACE ERROR cannot mount hugetlbfs on " DIR ": %s", strerror(errno));
		goto out;
	}
	if (write_file("/proc/sys/vm/nr_overcommit_hugepages", "0") || write_file("/proc/sys/vm/nr_hugepages", "2") ||
	    read_pool(&p) || p.total != 2) {
		emit("MMCHECK RACE ERROR cannot set up a pool of 2 pages (root? hugetlb? /proc mounted?): %s",
		     strerror(errno));
		goto out;
	}
	uffd = uffd_open();
	src = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd < 0 || src == MAP_FAILED) {
		emit("MMCHECK RACE ERROR userfaultfd or the source buffer: %s", strerror(errno));
		goto out;
	}
	memset(src, 0x5a, HPAGE); /* present: the copy runs inline (copy_folio_from_user without faults) */
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !race, POOL_ARGS(p));
	if (p.rsvd != 0 || p.surp != 0 || p.free != 2) {
		emit("MMCHECK RACE ERROR the pool is not 2 free unreserved pages before the race");
		goto out;
	}
	if (race && pthread_create(&t, NULL, truncater, NULL) == 0)
		thread = 1;
	else if (race) {
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
		int fd = open(FILE_PATH, O_CREAT | O_RDWR | O_TRUNC, 0600);
		char *a = MAP_FAILED;
		if (fd >= 0 && ftruncate(fd, HPAGE) == 0)
			a = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		struct uffdio_register reg = { .range = { .start = (unsigned long)a, .len = HPAGE },
					       .mode = UFFDIO_REGISTER_MODE_MISSING };
		if (a == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			read_pool(&p);
			emit("MMCHECK RACE ERROR iter=%ld open, ftruncate, mmap or UFFDIO_REGISTER failed: errno=%d " POOL_FMT,
			     k, errno, POOL_ARGS(p));
			stop = "setup_failed";
			break;
		}
		check("mmap", &p);
		struct uffdio_copy c = { .dst = (unsigned long)a, .src = (unsigned long)src, .len = HPAGE, .mode = 0 };
		int r, e;
		if (race) {
			file_fd = fd;
			atomic_store(&delay, (k * 97) % MAX_DELAY);
			t_hit = 0;
			atomic_store(&in_copy, 1);
			atomic_store(&go, k);
			r = ioctl(uffd, UFFDIO_COPY, &c);
			e = errno;
			atomic_store(&in_copy, 0);
			while (atomic_load(&done) != k)
				sched_yield();
			if (t_hit) {
				emit("MMCHECK RACE HIT iter=%ld at=truncate " POOL_FMT, k, POOL_ARGS(t_seen));
				hit = 1;
			}
		} else if (k % 2) {
			if (ftruncate(fd, 0))
				emit("MMCHECK RACE ERROR iter=%ld ftruncate(0) errno=%d", k, errno);
			r = ioctl(uffd, UFFDIO_COPY, &c);
			e = errno;
		} else {
			r = ioctl(uffd, UFFDIO_COPY, &c);
			e = errno;
			if (ftruncate(fd, 0))
				emit("MMCHECK RACE ERROR iter=%ld ftruncate(0) errno=%d", k, errno);
		}
		if (r == 0)
			copied++;
		else if (e == EFAULT)
			efault++;
		else
			other++;
		check("copy", &p);
		/* the lasting effect of an entry left beyond EOF */
		munmap(a, HPAGE);
		char *b = MAP_FAILED;
		if (ftruncate(fd, HPAGE) == 0)
			b = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED) {
			read_pool(&p);
			emit("MMCHECK RACE ERROR iter=%ld the remap failed: errno=%d " POOL_FMT, k, errno, POOL_ARGS(p));
			stop = "setup_failed";
			close(fd);
			unlink(FILE_PATH);
			break;
		}
		check("remap", &p);
		if (p.rsvd == 0)
			unreserved++;
		memset(b, 1, 64);
		check("fault", &p);
		munmap(b, HPAGE);
		close(fd);
		unlink(FILE_PATH);
		check("close", &p);
		if (hit)
			break;
		if (k % 100 == 0)
			emit("MMCHECK RACE PROGRESS iter=%ld inside=%ld copied=%ld efault=%ld ms=%ld", k, inside, copied,
			     efault, now_ms() - t0);
	}
	if (hit)
		stop = "hit";
	atomic_store(&stop_thread, 1);
	if (thread)
		pthread_join(t, NULL);
	/* what outlives the race: no file, no mapping, 0 written to nr_hugepages */
	write_file("/proc/sys/vm/nr_hugepages", "0");
	if (read_pool(&p) == 0) {
		char nr[64];
		read_file("/proc/sys/vm/nr_hugepages", nr, sizeof(nr));
		emit("MMCHECK RACE AFTER " POOL_FMT " nr_hugepages=%s", POOL_ARGS(p), nr);
	}
	emit("MMCHECK RACE END iters=%ld stop=%s inside=%ld copied=%ld efault=%ld other=%ld unreserved=%ld readings=%ld "
	     "hit=%d ms=%ld",
	     k, stop, inside, copied, efault, other, unreserved, readings, hit, now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
