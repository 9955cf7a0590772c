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
 * Thread 1 (main), per iteration: mmap one MAP_PRIVATE|MAP_HUGETLB page (with
 * nr_hugepages 0 and nr_overcommit_hugepages 1 it is a surplus page, so the
 * pool has no free page), write it (fault), soft-offline it (the migration
 * needs the temporary page), check /proc/meminfo, munmap, check again.
 * Thread 2 writes 0 to /proc/sys/vm/nr_hugepages in a loop: outside the window
 * that changes nothing (the pool holds only surplus pages).
 *
 * Stops at the first iteration that shows HugePages_Surp > HugePages_Total
 * (printed with the counters), or after MMCHECK_ITERS iterations (default 2000)
 * or MMCHECK_SECS seconds (default 170). MMCHECK_CONTROL=1 runs the same loop
 * without thread 2 (the control: soft offline alone keeps the counters right). Each soft offline takes one 4 KiB page
 * out of service for good, so run it on a disposable machine or VM:
 *   gcc -static -O1 -pthread -o race race.c && ./race     (as root)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-temp-page-counted-persistent
 * --kernel K) it is /init of a 2-vCPU qemu guest and reports on /dev/ttyS1.
 *
 * Output lines (MMCHECK RACE ...):
 *   BEGIN iters=N secs=S cpus=C control=0|1 Total= Free= Rsvd= Surp=   the pool before
 *   HIT iter=K at=offline|munmap Total= Free= Rsvd= Surp=
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V     writer stopped, mapping gone, 0 written
 *   END iters=K offlined=M offline_failed=F mmap_failed=E writes=W hit=0|1 ms=T
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
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

static int out_fd = 1;
static volatile int stop_writer;
static volatile unsigned long writes;

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
	if (!f)
		return -1;
	p->total = p->free = p->rsvd = p->surp = -1;
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
	close(fd);
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
	while (!stop_writer) {
		write_file("/proc/sys/vm/nr_hugepages", "0");
		writes++;
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
	struct pool p;
	int hit = 0;
	long k = 0, offlined = 0, off_failed = 0, mmap_failed = 0;
	long t0 = now_ms();
	if (write_file("/proc/sys/vm/nr_hugepages", "0") || write_file("/proc/sys/vm/nr_overcommit_hugepages", "1") ||
	    read_pool(&p)) {
		emit("MMCHECK RACE ERROR cannot set up the pool (root? hugetlb? /proc mounted?): %s", strerror(errno));
		goto out;
	}
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !with_writer, POOL_ARGS(p));
	if (p.total != 0 || p.surp != 0) {
		emit("MMCHECK RACE ERROR the pool is not empty before the race");
		goto out;
	}
	pthread_t w;
	if (with_writer && pthread_create(&w, NULL, writer, NULL)) {
		emit("MMCHECK RACE ERROR pthread_create failed");
		goto out;
	}
	for (k = 1; k <= iters && now_ms() - t0 < secs * 1000L; k++) {
		char *a = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (a == MAP_FAILED) {
			/* the pool's overcommit page could not come from buddy (memory taken by earlier offlines) */
			if (++mmap_failed > 50)
				break;
			continue;
		}
		memset(a, 1, 64);
		if (madvise(a, HPAGE, MADV_SOFT_OFFLINE) == 0)
			offlined++;
		else
			off_failed++;
		if (read_pool(&p) == 0 && p.surp > p.total) {
			emit("MMCHECK RACE HIT iter=%ld at=offline " POOL_FMT, k, POOL_ARGS(p));
			hit = 1;
		}
		munmap(a, HPAGE);
		if (read_pool(&p) == 0 && p.surp > p.total) {
			emit("MMCHECK RACE HIT iter=%ld at=munmap " POOL_FMT, k, POOL_ARGS(p));
			hit = 1;
		}
		if (hit)
			break;
		if (k % 100 == 0)
			emit("MMCHECK RACE PROGRESS iter=%ld offlined=%ld writes=%lu ms=%ld", k, offlined, writes,
			     now_ms() - t0);
	}
	if (k > iters)
		k = iters;
	stop_writer = 1;
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
	emit("MMCHECK RACE END iters=%ld offlined=%ld offline_failed=%ld mmap_failed=%ld writes=%lu hit=%d ms=%ld", k,
	     offlined, off_failed, mmap_failed, writes, hit, now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
