/*
 * mmcheck race reproducer: hugetlb/finding-fix-reserve-counts-full-pool
 *
 * A hole punch of index 1 of a MAP_SHARED hugetlbfs file whose every page is reserved or in use, while a fault
 * of index 0 is between its vma_needs_reservation() and vma_commit_reservation() (alloc_hugetlb_folio(),
 * mm/hugetlb.c @ v6.12 and v6.1). The fault's region_chg() holds the inode map's one cached descriptor
 * (adds_in_progress 1 = region_cache_count 1), so the punch's region_del() of [1, 2) from [0, 3), which must
 * split the entry, finds no cached descriptor (region_cache_count > adds_in_progress is false), drops the lock
 * and kmallocs one. If that kmalloc fails, hugetlb_unreserve_pages() returns -ENOMEM with the entry left, and
 * remove_inode_single_folio() (fs/hugetlbfs/inode.c) calls hugetlb_fix_reserve_counts(), whose
 * hugetlb_acct_memory(h, 1) must find a page for a new reservation: every free page is already reserved and the
 * punched page is not freed yet (the folio batch holds it), nr_overcommit_hugepages is 0, so it fails and the
 * kernel prints "hugetlb: Huge Page Reserved count may go negative.". The file keeps a reserve-map entry for
 * index 1 that no HugePages_Rsvd count backs: the next fault of index 1 consumes a reservation nobody made,
 * and HugePages_Rsvd underflows when the last reserved page is faulted (reads 18446744073709551615), for good
 * (the file's eviction gives back entries minus pages: 0).
 *
 * The window is held open with kernel/inject/mmcheck_inject.ko (mmcheck's repository), three sites:
 *   0. filemap_get_folios, the punch thread (named mmcheck-punch), hold: the punch waits at the start of
 *      remove_inode_hugepages(), after hugetlb_vmdelete_list() unmapped index 1 and i_mmap_rwsem is dropped
 *      (the model's order: the fault starts after the unmap; before it, the unmap's trylock of the VMA lock
 *      would skip the VMA and the punch would then wait for the held fault's VMA lock);
 *   1. the kmalloc of region_del() (MMCHECK_INJ_REGION_DEL_SPLIT: kmalloc_trace on 6.1, __kmalloc_cache_noprof
 *      on 6.12, called from region_del), the punch thread, fail: returns NULL;
 *   2. hugetlb_cgroup_charge_cgroup, the fault thread (named mmcheck-fault), hold: alloc_hugetlb_folio() calls
 *      it after vma_needs_reservation() and before vma_commit_reservation() (both kernels), where the fault
 *      holds the map's cached descriptor.
 * Both held functions may sleep where they are called (remove_inode_hugepages() under inode_lock; the fault
 * before it takes hugetlb_lock): a hold is that task being slow, nothing a kernel cannot do.
 *
 * Per iteration: pool of 3 pages, hugetlbfs mounted size=12M (the model's mount); create /hugetlbfs/f (3 huge
 * pages), mmap it MAP_SHARED (Rsvd 3), write index 1 (Rsvd 2); load the module; thread P punches index 1
 * (fallocate PUNCH_HOLE); once P is held, thread F writes index 0 (MADV_POPULATE_WRITE); once F is held, P is
 * released and runs to its end (its region_del kmalloc fails); then F is released. "race": the counters (both
 * orders end with Total=3 Free=2 Rsvd=1). Then index 1 and index 2 are written ("fault1", "fault2") and the file
 * is unmapped, closed and removed ("close"); a HIT at each step whose counters show HugePages_Rsvd >
 * HugePages_Free (no surplus pages, no min_size mount: only an underflow does that).
 * MMCHECK_CONTROL=1: the module fails the same kmalloc (site 1 only, no holds); F's fault runs wholly before the
 * punch (odd iterations) or after it (even ones): the two orders without the race. region_del() then takes the
 * cached descriptor: the kmalloc is never called (fired=0).
 *
 *   gcc -static -O1 -pthread -o race race.c && MMCHECK_INJECT_KO=mmcheck_inject.ko ./race
 *   (as root, on a disposable machine or VM, with the module built for the running kernel)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-fix-reserve-counts-full-pool --kernel K) it is
 * /init of a 2-vCPU qemu guest with the module beside it, and reports on /dev/ttyS1.
 *
 * Environment: MMCHECK_ITERS, MMCHECK_SECS, MMCHECK_CONTROL, MMCHECK_INJECT_KO (default /mmcheck_inject.ko),
 * MMCHECK_INJ_REGION_DEL_SPLIT=sym:caller:ret (what kernel/inject.ts resolves for the model's region_del_split
 * site; default: kmalloc_trace on a 6.1 to 6.9 kernel, __kmalloc_cache_noprof from 6.11, caller region_del, 0).
 *
 * Output lines (MMCHECK RACE ...):
 *   BEGIN iters=N secs=S cpus=C control=0|1 Total= Free= Rsvd= Surp=
 *   HIT iter=K at=race|fault1|fault2|close Total= Free= Rsvd= Surp=
 *   ERROR <what failed> ...
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V
 *   END iters=K stop=hit|iterations|seconds|setup_failed|pool_dirty opened=O fired=F timeouts=T late=L hit=0|1
 *       ms=T
 * opened: iterations in which P was held, F was held inside its window, P ran to its end meanwhile and region_del's
 * kmalloc failed (the window opened); fired: iterations whose kmalloc failure fired; timeouts: holds that ended
 * after hold_ms without a release; late: iterations in which P did not finish while F was held (one possible
 * cause: the two indexes' fault mutexes are one, hugetlb_fault_mutex_hash); PROGRESS punch_stack= then shows
 * where P waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HPAGE (2UL << 20)
#define DIR "/hugetlbfs"
#define FILE_PATH DIR "/f"
#define PARAM "/sys/module/mmcheck_inject/parameters/"
#define HOLD_MS 3000

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

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	return s && *s ? atol(s) : dflt;
}

/* ---- the inject module (kernel/inject/mmcheck_inject.c) ---- */

static int inj_load(const char *params)
{
	const char *ko = getenv("MMCHECK_INJECT_KO") ? getenv("MMCHECK_INJECT_KO") : "/mmcheck_inject.ko";
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = syscall(SYS_finit_module, fd, params, 0);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* entry j of a module parameter array ("a,b,c"), -1 when missing */
static long inj_get(const char *param, int j)
{
	char path[128], buf[128];
	snprintf(path, sizeof(path), PARAM "%s", param);
	read_file(path, buf, sizeof(buf));
	char *p = buf;
	for (int i = 0; *p && *p != '?'; i++) {
		long v = strtol(p, &p, 10);
		if (i == j)
			return v;
		if (*p != ',')
			break;
		p++;
	}
	return -1;
}

static void inj_release(unsigned mask)
{
	char s[16];
	snprintf(s, sizeof(s), "%u", mask);
	write_file(PARAM "release", s);
}

/* wait until site j is held (held=1) or `stop` is set; 1 when held */
static int inj_wait_held(int j, atomic_int *stop, long ms)
{
	long t0 = now_ms();
	while (now_ms() - t0 < ms) {
		if (inj_get("held", j) == 1)
			return 1;
		if (stop && atomic_load(stop))
			return 0;
		usleep(500);
	}
	return 0;
}

static int inj_unload(void)
{
	for (int i = 0; i < 1000; i++) {
		if (syscall(SYS_delete_module, "mmcheck_inject", O_NONBLOCK) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EAGAIN && errno != EBUSY)
			return -1;
		usleep(10000);
	}
	return -1;
}


#define KM_DEFAULT_612 "__kmalloc_cache_noprof"
#define KM_DEFAULT_61 "kmalloc_trace"

static char ksym[64], kcaller[64] = "region_del", kret[16] = "0";

static void site_from_env(void)
{
	struct utsname u;
	int a = 0, b = 0;
	strcpy(ksym, KM_DEFAULT_612);
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 && a == 6 && b <= 9)
		strcpy(ksym, KM_DEFAULT_61);
	const char *s = getenv("MMCHECK_INJ_REGION_DEL_SPLIT");
	if (s && *s)
		sscanf(s, "%63[^:]:%63[^:]:%15s", ksym, kcaller, kret);
}

static char *v0;
static int file_fd = -1;
static atomic_int p_done, f_done;
static int p_ret, p_errno, f_ret, f_errno;
static atomic_int p_tid;

static void *punch_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "mmcheck-punch", 0, 0, 0);
	atomic_store(&p_tid, (int)syscall(SYS_gettid));
	p_ret = fallocate(file_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, HPAGE, HPAGE);
	p_errno = p_ret ? errno : 0;
	atomic_store(&p_done, 1);
	return NULL;
}

static void *fault_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "mmcheck-fault", 0, 0, 0);
	f_ret = madvise(v0, HPAGE, MADV_POPULATE_WRITE);
	f_errno = f_ret ? errno : 0;
	atomic_store(&f_done, 1);
	return NULL;
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

static int wait_flag(atomic_int *f, long ms)
{
	long t0 = now_ms();
	while (!atomic_load(f) && now_ms() - t0 < ms)
		usleep(500);
	return atomic_load(f);
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
	long iters = env_long("MMCHECK_ITERS", 20), secs = env_long("MMCHECK_SECS", 170);
	int race = env_long("MMCHECK_CONTROL", 0) == 0;
	site_from_env();
	struct pool p;
	long opened = 0, fired = 0, timeouts = 0, late = 0;
	const char *stop = "iterations";
	long t0 = now_ms();
	mkdir(DIR, 0755);
	if (mount("none", DIR, "hugetlbfs", 0, "size=12M") && errno != EBUSY) {
		emit("MMCHECK RACE ERROR cannot mount hugetlbfs on " DIR ": %s", strerror(errno));
		goto out;
	}
	if (write_file("/proc/sys/vm/nr_overcommit_hugepages", "0") || write_file("/proc/sys/vm/nr_hugepages", "3") ||
	    read_pool(&p) || p.total != 3) {
		emit("MMCHECK RACE ERROR cannot set up a pool of 3 pages (root? hugetlb? /proc mounted?): %s",
		     strerror(errno));
		goto out;
	}
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !race, POOL_ARGS(p));
	if (p.rsvd != 0 || p.surp != 0 || p.free != 3) {
		emit("MMCHECK RACE ERROR the pool is not 3 free unreserved pages before the race");
		goto out;
	}
	char params[384];
	if (race)
		snprintf(params, sizeof(params),
			 "sym=filemap_get_folios,%s,hugetlb_cgroup_charge_cgroup caller=-,%s,- nth=1,1,1 ret=0,%s,0 "
			 "act=hold,fail,hold comm=mmcheck-punch,mmcheck-punch,mmcheck-fault hold_ms=%d",
			 ksym, kcaller, kret, HOLD_MS);
	else
		snprintf(params, sizeof(params), "sym=%s caller=%s nth=1 ret=%s act=fail comm=mmcheck-punch", ksym,
			 kcaller, kret);
	int km = race ? 1 : 0; /* the kmalloc site's index */
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
		file_fd = open(FILE_PATH, O_CREAT | O_RDWR | O_TRUNC, 0600);
		v0 = MAP_FAILED;
		if (file_fd >= 0 && ftruncate(file_fd, 3 * HPAGE) == 0)
			v0 = mmap(NULL, 3 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, file_fd, 0);
		if (v0 == MAP_FAILED || madvise(v0 + HPAGE, HPAGE, MADV_POPULATE_WRITE) || inj_load(params)) {
			read_pool(&p);
			emit("MMCHECK RACE ERROR iter=%ld open, mmap, the write of index 1 or loading the module (%s): errno=%d "
			     POOL_FMT, k, params, errno, POOL_ARGS(p));
			stop = "setup_failed";
			break;
		}
		pthread_t tp, tf;
		atomic_store(&p_done, 0);
		atomic_store(&f_done, 0);
		int ok = 1, p_first = !race && k % 2 == 0;
		if (race) {
			ok = pthread_create(&tp, NULL, punch_thread, NULL) == 0;
			int ph = ok && inj_wait_held(0, &p_done, 2000);
			ok = ok && pthread_create(&tf, NULL, fault_thread, NULL) == 0;
			int fh = ok && inj_wait_held(2, &f_done, 2000);
			inj_release(1);
			/* the punch runs to its end while the fault waits in its window (unless they share a fault mutex) */
			int pd = wait_flag(&p_done, 1000);
			if (!pd) {
				/* where the punch waits (its kernel stack), for the END's late= */
				char path[64], st[1024];
				snprintf(path, sizeof(path), "/proc/self/task/%d/stack", atomic_load(&p_tid));
				int sfd = open(path, O_RDONLY);
				ssize_t n = sfd < 0 ? 0 : read(sfd, st, sizeof(st) - 1);
				if (sfd >= 0)
					close(sfd);
				st[n > 0 ? n : 0] = 0;
				for (char *c = st; *c; c++)
					if (*c == '\n' || *c == ' ')
						*c = *c == '\n' ? '|' : '_';
				emit("MMCHECK RACE PROGRESS iter=%ld punch_stack=%s", k, st[0] ? st : "?");
			}
			inj_release(1 | 4);
			if (ph && fh && !pd)
				late++;
			if (ok) {
				pthread_join(tp, NULL);
				pthread_join(tf, NULL);
			}
			long fi = inj_get("fired", 1), h0 = inj_get("held", 0), h2 = inj_get("held", 2);
			if (ph && fh && pd && fi == 1 && h0 == 2 && h2 == 2)
				opened++;
			emit("MMCHECK RACE PROGRESS iter=%ld punch_held=%d fault_held=%d punch_done_first=%d fired=%ld held=%ld,%ld "
			     "kmalloc_calls=%ld", k, ph, fh, pd, fi, h0, h2, inj_get("hits", 1));
		} else {
			for (int j = 0; j < 2 && ok; j++) {
				int punch = (j == 0) == p_first;
				ok = pthread_create(&tp, NULL, punch ? punch_thread : fault_thread, NULL) == 0;
				if (ok)
					pthread_join(tp, NULL);
			}
		}
		if (!ok) {
			emit("MMCHECK RACE ERROR iter=%ld pthread_create", k);
			stop = "setup_failed";
			break;
		}
		fired += inj_get("fired", km) == 1;
		for (int j = 0; race && j < 3; j += 2)
			timeouts += inj_get("held", j) == 3;
		if (inj_unload())
			emit("MMCHECK RACE ERROR iter=%ld delete_module: errno=%d", k, errno);
		if (p_ret || f_ret)
			emit("MMCHECK RACE ERROR iter=%ld punch=%d fault=%d (errno)", k, p_errno, f_errno);
		check("race", &p);
		/* the entry left for index 1: its fault consumes a reservation nobody made */
		int w1 = madvise(v0 + HPAGE, HPAGE, MADV_POPULATE_WRITE) ? errno : 0;
		check("fault1", &p);
		int w2 = madvise(v0 + 2 * HPAGE, HPAGE, MADV_POPULATE_WRITE) ? errno : 0;
		check("fault2", &p);
		if (w1 || w2)
			emit("MMCHECK RACE ERROR iter=%ld the writes of index 1 and 2: errno %d %d", k, w1, w2);
		munmap(v0, 3 * HPAGE);
		close(file_fd);
		unlink(FILE_PATH);
		check("close", &p);
		if (hit)
			break;
		if (read_pool(&p) == 0 && (p.free != 3 || p.rsvd != 0 || p.surp != 0 || p.total != 3)) {
			emit("MMCHECK RACE ERROR iter=%ld the pool is not 3 free unreserved pages after the iteration: " POOL_FMT,
			     k, POOL_ARGS(p));
			stop = "pool_dirty";
			break;
		}
	}
	if (hit)
		stop = "hit";
	write_file("/proc/sys/vm/nr_hugepages", "0");
	if (read_pool(&p) == 0) {
		char nr[64];
		read_file("/proc/sys/vm/nr_hugepages", nr, sizeof(nr));
		emit("MMCHECK RACE AFTER " POOL_FMT " nr_hugepages=%s", POOL_ARGS(p), nr);
	}
	emit("MMCHECK RACE END iters=%ld stop=%s opened=%ld fired=%ld timeouts=%ld late=%ld hit=%d ms=%ld", k, stop,
	     opened, fired, timeouts, late, hit, now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
