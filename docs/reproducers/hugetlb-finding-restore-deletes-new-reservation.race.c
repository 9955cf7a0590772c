/*
 * mmcheck race reproducer: hugetlb/finding-restore-deletes-new-reservation
 *
 * A MAP_SHARED|MAP_NORESERVE fault of index 1 of a hugetlbfs file commits a reserve-map entry for it
 * (alloc_hugetlb_folio(): vma_needs_reservation 1, a free page taken without a reservation,
 * vma_commit_reservation adds [1, 2) to the inode's map); then hugetlb_add_to_page_cache() fails, and
 * hugetlb_no_page() (mm/hugetlb.c @ v6.12 and v6.1) calls restore_reserve_on_error(), which finds the entry
 * (vma_needs_reservation 0) on a page without the restore_reserve flag and deletes it (vma_del_reservation ->
 * region_del): "there is an entry in the reserve map not added by alloc_hugetlb_folio". If another process
 * mmaps the file MAP_SHARED between the commit and that deletion, hugetlb_reserve_pages()'s region_chg counts
 * index 1 as already reserved (chg 1 for 2 pages): HugePages_Rsvd rises by 1 only, and region_add() merges
 * the entries into [0, 2). The deletion then removes index 1's entry: the mapping, made without
 * MAP_NORESERVE, has a reservation for index 0 only. Its promise is broken for the user: once another task
 * takes the free page nobody reserved, its write to index 1 gets SIGBUS although mmap succeeded.
 * The mmap must come from another process: in one process it waits for the faulting thread's mmap_lock.
 *
 * The window (the commit .. the deletion) is held open with kernel/inject/mmcheck_inject.ko (mmcheck's
 * repository): a kprobe on hugetlb_add_to_page_cache() holds the faulting thread (named mmcheck-inj) there,
 * sleeping, until this program releases it, and then fails the call with -ENOMEM (act=holdfail: its body, the
 * page-cache insert, never runs; an insert can fail with -ENOMEM after sleeping in reclaim).
 *
 * Per iteration: create /hugetlbfs/f (2 huge pages, mount size=12M as the model's), fork process B; A mmaps it
 * MAP_SHARED|MAP_NORESERVE (Rsvd 0) and loads the module; thread F of A (named mmcheck-inj) writes index 1 with
 * MADV_POPULATE_WRITE; when the module says F is held (held=1), B mmaps the file MAP_SHARED (2 pages, no
 * MAP_NORESERVE); then F is released (its fault fails: -EFAULT, the kernel's VM_FAULT_SIGBUS). "race": the
 * counters: B's mapping has 2 pages without a page yet, so 2 reservations must exist (promised=2); a HIT when
 * HugePages_Rsvd (backed=) is lower. "bite": A takes one page with a MAP_HUGETLB|MAP_NORESERVE anonymous write
 * (it gets one only if a free page is unreserved), then B writes index 0 and 1: a HIT when B's mapping got fewer
 * pages (backed=) than promised. Then everything is unmapped and removed ("close": the pool must be 2 free
 * unreserved pages again).
 * MMCHECK_CONTROL=1: the same with the module failing the insert at once (act=fail, no hold) and B's mmap wholly
 * after F's fault (odd iterations) or before it (even ones): the two orders without the race.
 *
 *   gcc -static -O1 -pthread -o race race.c && MMCHECK_INJECT_KO=mmcheck_inject.ko ./race
 *   (as root, on a disposable machine or VM, with the module built for the running kernel)
 * Under mmcheck (mmcheck reproduce hugetlb --scenario finding-restore-deletes-new-reservation --kernel K) it is
 * /init of a 2-vCPU qemu guest with the module beside it, and reports on /dev/ttyS1.
 *
 * Environment: MMCHECK_ITERS, MMCHECK_SECS, MMCHECK_CONTROL, MMCHECK_INJECT_KO (default /mmcheck_inject.ko),
 * MMCHECK_INJ_ADD_TO_PAGE_CACHE=sym:caller:ret (the kernel function of the model's add_to_page_cache site;
 * default hugetlb_add_to_page_cache:-:-12, what kernel/inject.ts resolves for 6.1 and 6.12).
 *
 * Output lines (MMCHECK RACE ...):
 *   BEGIN iters=N secs=S cpus=C control=0|1 Total= Free= Rsvd= Surp=
 *   HIT iter=K at=race|bite promised=2 backed=B Total= Free= Rsvd= Surp=
 *   ERROR <what failed> ...
 *   AFTER Total= Free= Rsvd= Surp= nr_hugepages=V
 *   END iters=K stop=hit|iterations|seconds|setup_failed|pool_dirty opened=O fired=F timeouts=T mmap_ok=M
 *       fault_efault=E anon_ok=A b_sigbus=S hit=0|1 ms=T
 * opened: iterations in which F was held at the insert, B's mmap ran and succeeded meanwhile, and F was then
 * released (the window opened); fired: iterations whose injected failure fired; timeouts: holds that ended
 * after hold_ms without a release.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
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

/* ---- the two processes ---- */

static char sym[64] = "hugetlb_add_to_page_cache", caller[64] = "-", ret[16] = "-12";

static void site_from_env(void)
{
	const char *s = getenv("MMCHECK_INJ_ADD_TO_PAGE_CACHE");
	if (s && *s)
		sscanf(s, "%63[^:]:%63[^:]:%15s", sym, caller, ret);
}

/* F: the NORESERVE fault of index 1, named so the module acts on it */
static char *v1;
static atomic_int f_done;
static int f_ret, f_errno;

static void *fault_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "mmcheck-inj", 0, 0, 0);
	f_ret = madvise(v1 + HPAGE, HPAGE, MADV_POPULATE_WRITE);
	f_errno = f_ret ? errno : 0;
	atomic_store(&f_done, 1);
	return NULL;
}

/* B: another process; commands on a pipe, one result byte each (errno, 0 for success) */
static void process_b(int fd, int cmd, int res)
{
	char *v2 = MAP_FAILED;
	char c;
	while (read(cmd, &c, 1) == 1) {
		unsigned char r[2] = { 0, 0 };
		if (c == 'm') {
			v2 = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			r[0] = v2 == MAP_FAILED ? errno : 0;
			if (write(res, r, 1) != 1)
				break;
		} else if (c == 'w') {
			for (int i = 0; i < 2; i++)
				r[i] = v2 == MAP_FAILED ? EINVAL
				       : madvise(v2 + i * HPAGE, HPAGE, MADV_POPULATE_WRITE) ? errno : 0;
			if (write(res, r, 2) != 2)
				break;
		} else
			break;
	}
	_exit(0);
}

static long k;
static int hit;

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
	signal(SIGPIPE, SIG_IGN);
	struct utsname u;
	if (uname(&u) == 0)
		emit("MMCHECK UNAME %s", u.release);
	long iters = env_long("MMCHECK_ITERS", 20), secs = env_long("MMCHECK_SECS", 170);
	int race = env_long("MMCHECK_CONTROL", 0) == 0;
	site_from_env();
	struct pool p;
	long opened = 0, fired = 0, timeouts = 0, mmap_ok = 0, fault_efault = 0, anon_ok = 0, b_sigbus = 0;
	const char *stop = "iterations";
	long t0 = now_ms();
	mkdir(DIR, 0755);
	if (mount("none", DIR, "hugetlbfs", 0, "size=12M") && errno != EBUSY) {
		emit("MMCHECK RACE ERROR cannot mount hugetlbfs on " DIR ": %s", strerror(errno));
		goto out;
	}
	if (write_file("/proc/sys/vm/nr_overcommit_hugepages", "0") || write_file("/proc/sys/vm/nr_hugepages", "2") ||
	    read_pool(&p) || p.total != 2) {
		emit("MMCHECK RACE ERROR cannot set up a pool of 2 pages (root? hugetlb? /proc mounted?): %s",
		     strerror(errno));
		goto out;
	}
	emit("MMCHECK RACE BEGIN iters=%ld secs=%ld cpus=%ld control=%d " POOL_FMT, iters, secs,
	     sysconf(_SC_NPROCESSORS_ONLN), !race, POOL_ARGS(p));
	if (p.rsvd != 0 || p.surp != 0 || p.free != 2) {
		emit("MMCHECK RACE ERROR the pool is not 2 free unreserved pages before the race");
		goto out;
	}
	char params[256];
	snprintf(params, sizeof(params), "sym=%s caller=%s nth=1 ret=%s act=%s comm=mmcheck-inj hold_ms=%d", sym,
		 caller, ret, race ? "holdfail" : "fail", HOLD_MS);
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
		int cmd[2], res[2];
		if (fd < 0 || ftruncate(fd, 2 * HPAGE) || pipe(cmd) || pipe(res)) {
			emit("MMCHECK RACE ERROR iter=%ld open, ftruncate or pipe: errno=%d", k, errno);
			stop = "setup_failed";
			break;
		}
		pid_t b = fork();
		if (b == 0) {
			close(cmd[1]);
			close(res[0]);
			process_b(fd, cmd[0], res[1]);
		}
		close(cmd[0]);
		close(res[1]);
		v1 = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (b < 0 || v1 == MAP_FAILED || inj_load(params)) {
			emit("MMCHECK RACE ERROR iter=%ld fork, mmap NORESERVE or loading the module (%s): errno=%d", k,
			     params, errno);
			stop = "setup_failed";
			break;
		}
		unsigned char mr = 255, wr[2] = { 255, 255 };
		pthread_t f;
		atomic_store(&f_done, 0);
		int b_first = !race && k % 2 == 0;
		if (b_first && (write(cmd[1], "m", 1) != 1 || read(res[0], &mr, 1) != 1))
			mr = 255;
		if (pthread_create(&f, NULL, fault_thread, NULL)) {
			emit("MMCHECK RACE ERROR iter=%ld pthread_create", k);
			stop = "setup_failed";
			break;
		}
		int held = 0;
		if (race) {
			held = inj_wait_held(0, &f_done, 2000);
			if (held && (write(cmd[1], "m", 1) != 1 || read(res[0], &mr, 1) != 1))
				mr = 255;
			inj_release(1);
		}
		pthread_join(f, NULL);
		if (!race && !b_first && (write(cmd[1], "m", 1) != 1 || read(res[0], &mr, 1) != 1))
			mr = 255;
		long fi = inj_get("fired", 0), he = inj_get("held", 0);
		if (inj_unload())
			emit("MMCHECK RACE ERROR iter=%ld delete_module: errno=%d", k, errno);
		fired += fi == 1;
		timeouts += he == 3;
		mmap_ok += mr == 0;
		fault_efault += f_ret && f_errno == EFAULT;
		if (race && held && he == 2 && mr == 0)
			opened++;
		/* B's mapping: 2 pages, none instantiated (F's insert failed), made without MAP_NORESERVE */
		unsigned long promised = mr == 0 ? 2 : 0;
		if (read_pool(&p) == 0 && promised > p.rsvd) {
			emit("MMCHECK RACE HIT iter=%ld at=race promised=%lu backed=%lu fired=%ld held=%ld fault=%d " POOL_FMT,
			     k, promised, p.rsvd, fi, he, f_ret ? f_errno : 0, POOL_ARGS(p));
			hit = 1;
		}
		/* the bite: another task takes the one page nobody reserved, then B writes both pages */
		char *anon = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
		int aok = anon != MAP_FAILED && madvise(anon, HPAGE, MADV_POPULATE_WRITE) == 0;
		anon_ok += aok;
		if (mr == 0 && (write(cmd[1], "w", 1) != 1 || read(res[0], wr, 2) != 2))
			wr[0] = wr[1] = 255;
		unsigned long got = (wr[0] == 0) + (wr[1] == 0);
		b_sigbus += (wr[0] == EFAULT) + (wr[1] == EFAULT);
		if (read_pool(&p) == 0 && promised > got) {
			emit("MMCHECK RACE HIT iter=%ld at=bite promised=%lu backed=%lu anon=%d w0=%d w1=%d " POOL_FMT, k,
			     promised, got, aok, wr[0], wr[1], POOL_ARGS(p));
			hit = 1;
		}
		if (anon != MAP_FAILED)
			munmap(anon, HPAGE);
		if (write(cmd[1], "q", 1) != 1)
			kill(b, SIGKILL);
		waitpid(b, NULL, 0);
		close(cmd[1]);
		close(res[0]);
		munmap(v1, 2 * HPAGE);
		close(fd);
		unlink(FILE_PATH);
		if (read_pool(&p) == 0 && (p.free != 2 || p.rsvd != 0 || p.surp != 0 || p.total != 2)) {
			emit("MMCHECK RACE ERROR iter=%ld the pool is not 2 free unreserved pages after the iteration: " POOL_FMT,
			     k, POOL_ARGS(p));
			if (!hit) {
				stop = "pool_dirty";
				break;
			}
		}
		if (hit)
			break;
	}
	if (hit)
		stop = "hit";
	write_file("/proc/sys/vm/nr_hugepages", "0");
	if (read_pool(&p) == 0) {
		char nr[64];
		read_file("/proc/sys/vm/nr_hugepages", nr, sizeof(nr));
		emit("MMCHECK RACE AFTER " POOL_FMT " nr_hugepages=%s", POOL_ARGS(p), nr);
	}
	emit("MMCHECK RACE END iters=%ld stop=%s opened=%ld fired=%ld timeouts=%ld mmap_ok=%ld fault_efault=%ld "
	     "anon_ok=%ld b_sigbus=%ld hit=%d ms=%ld",
	     k, stop, opened, fired, timeouts, mmap_ok, fault_efault, anon_ok, b_sigbus, hit, now_ms() - t0);
out:
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return hit ? 0 : 1;
}
