/*
 * mmcheck probe runtime: the subsystem-independent half of every probe and
 * C reproducer that mmcheck generates (kernel/compile.ts prepends it).
 *
 * One probe runs many scripts per boot. Each script runs in its own child
 * process (its mappings die with it); a script may fork further "task"
 * processes that execute the steps addressed to them, one step at a time,
 * driven over a pipe, so steps stay strictly sequential. After each step the
 * executing process prints one line:
 *
 *   MMCHECK S <script> STEP <k> ret=<value> sigbus=<0|1> <name>=<int> ...
 *
 * to the probe channel (/dev/ttyS1 under qemu, stdout otherwise). Each line
 * is written with one write(2) so lines of different processes never mix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/io_uring.h>

#define HPAGE (2UL << 20)
#define MAX_TASKS 8

static int out_fd = 1;
static int cur_script = -1;

/* One line, one write(2). */
static void emit(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(out_fd, buf, n) < 0)
		_exit(99);
}

/* ---- step observations ------------------------------------------------ */

/* per thread: concurrent scripts run one pthread per model thread */
static __thread char obs[3072];
static __thread size_t obs_len;

static void obs_reset(void)
{
	obs[0] = 0;
	obs_len = 0;
}

static void obs_add(const char *name, long long v)
{
	int n = snprintf(obs + obs_len, sizeof(obs) - obs_len, " %s=%lld", name, v);
	if (n > 0 && obs_len + n < sizeof(obs))
		obs_len += n;
}

/* A counter of /proc/meminfo; an unsigned underflow reads as a negative number. */
static long long meminfo(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = (long long)strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int write_long(const char *path, long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%ld", v);
	return write_file(path, b);
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case ENOSPC: return "ENOSPC";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSYS: return "ENOSYS";
	case EBADF: return "EBADF";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EFBIG: return "EFBIG";
	default: return "EUNKNOWN";
	}
}

/* ---- long-term pins through io_uring ----------------------------------- */

/*
 * A user-reachable FOLL_LONGTERM pin: a ring whose one fixed buffer is
 * [addr, addr+len) (IORING_REGISTER_BUFFERS -> io_sqe_buffers_register ->
 * pin_user_pages(FOLL_WRITE | FOLL_LONGTERM), io_uring/rsrc.c @ v6.12).
 * Returns the ring's fd, or -1 with *err set to the errno's name.
 */
/*
 * Rings holding a registered buffer, with the process that registered it.
 * Closing a ring (or exiting) does not unpin in time for the probe's check
 * of the pool: io_uring_release -> io_ring_ctx_wait_and_kill only queues
 * io_ring_exit_work on a workqueue, and io_ring_ctx_free unregisters the
 * buffers from there (io_uring/io_uring.c @ v6.1 and v6.12). So a script's
 * process unregisters what it still holds, synchronously, before it exits
 * (uring_release_all), as a user's unpin would.
 */
#define URING_MAX 16
static struct { int fd; pid_t owner; } urings[URING_MAX];
static int nurings;

static void uring_forget(int fd)
{
	for (int j = 0; j < nurings; j++)
		if (urings[j].fd == fd) {
			urings[j] = urings[--nurings];
			return;
		}
}

static const char *uring_unpin(int fd);

/* Unpin every ring this process registered and still holds (at a script's or a task's end). */
static void uring_release_all(void)
{
	pid_t me = getpid();
	for (int j = nurings - 1; j >= 0; j--)
		if (urings[j].owner == me)
			uring_unpin(urings[j].fd); /* forgets it: nurings shrinks past j */
}

static int uring_pin(void *addr, size_t len, const char **err)
{
	struct io_uring_params prm;
	struct iovec iov;
	int fd;
	memset(&prm, 0, sizeof(prm));
	fd = syscall(SYS_io_uring_setup, 1, &prm);
	if (fd < 0) {
		*err = errname(errno);
		return -1;
	}
	iov.iov_base = addr;
	iov.iov_len = len;
	if (syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1)) {
		*err = errname(errno);
		close(fd);
		return -1;
	}
	if (nurings < URING_MAX)
		urings[nurings++] = (typeof(urings[0])){ fd, getpid() };
	return fd;
}

/* Unpin: IORING_UNREGISTER_BUFFERS (io_buffer_unmap -> unpin_user_page), then close the ring. */
static const char *uring_unpin(int fd)
{
	const char *ret = "ok";
	if (syscall(SYS_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
		ret = errname(errno);
	uring_forget(fd);
	close(fd);
	return ret;
}

/* ---- SIGBUS-safe memory access ---------------------------------------- */

static __thread sigjmp_buf bus_jmp;
static __thread volatile sig_atomic_t bus_armed;

static void on_fault(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, sig);
	_exit(98);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* Touch one byte: 0 ok, SIGBUS or SIGSEGV when the access raised it. */
static int touch(volatile char *p, int write)
{
	int sig = sigsetjmp(bus_jmp, 1);

	if (sig) {
		bus_armed = 0;
		return sig;
	}
	bus_armed = 1;
	if (write)
		*p = 1;
	else
		(void)*p;
	bus_armed = 0;
	return 0;
}

/* ---- task processes (fork in a script) -------------------------------- */

struct task {
	pid_t pid;
	int cmd;	/* parent -> task: step number, -1 = exit */
	int ack;	/* task -> parent: one byte per step */
};

static struct task tasks[MAX_TASKS];
static pthread_mutex_t task_mx[MAX_TASKS];
static int ntasks;
static int my_task;	/* 0 = the script's main process */
static void (*cur_step)(int k);

static void task_loop(void)
{
	int k;

	for (;;) {
		if (read(tasks[my_task].cmd, &k, sizeof(k)) != sizeof(k) || k < 0) {
			uring_release_all();
			_exit(0);
		}
		cur_step(k);
		if (write(tasks[my_task].ack, "", 1) != 1)
			_exit(97);
	}
}

/* fork(2) a task; returns the task index in the parent, 0 in the child (after `in_child`). */
static int task_fork(void (*in_child)(void))
{
	int c2p[2], p2c[2];
	pid_t pid;
	int idx = ++ntasks;

	if (idx >= MAX_TASKS || pipe(c2p) || pipe(p2c))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		my_task = idx;
		tasks[idx].cmd = p2c[0];
		tasks[idx].ack = c2p[1];
		close(p2c[1]);
		close(c2p[0]);
		if (in_child)
			in_child();
		task_loop();
	}
	pthread_mutex_init(&task_mx[idx], NULL);
	tasks[idx].pid = pid;
	tasks[idx].cmd = p2c[1];
	tasks[idx].ack = c2p[0];
	close(p2c[0]);
	close(c2p[1]);
	return idx;
}

/* Run step k in task t (0 = here). A task that died makes the step an error. */
static void run_in(int t, int k)
{
	char b;

	if (t == my_task) {
		cur_step(k);
		return;
	}
	pthread_mutex_lock(&task_mx[t]);
	if (write(tasks[t].cmd, &k, sizeof(k)) != sizeof(k) || read(tasks[t].ack, &b, 1) != 1)
		emit("MMCHECK S %d ERROR task %d died at step %d", cur_script, t, k);
	pthread_mutex_unlock(&task_mx[t]);
}

/*
 * Concurrent scripts: one pthread per model thread, each running its steps in
 * order; step k starts only after the steps the counterexample finished before
 * k began (after[k]), and otherwise races the others for real. done[] is in a
 * MAP_SHARED page so a forked task's steps count too.
 */
struct conc {
	int nthreads, nsteps;
	const int *thread_of;		/* step -> model thread */
	const int *after;		/* flattened: after_at[k]..after_at[k+1] */
	const int *after_at;
	int (*task_of)(int k);
};
static const struct conc *CONC;
static volatile int *conc_done;

static void *conc_thread(void *arg)
{
	int me = (int)(long)arg;
	for (int k = 0; k < CONC->nsteps; k++) {
		if (CONC->thread_of[k] != me)
			continue;
		for (int j = CONC->after_at[k]; j < CONC->after_at[k + 1]; j++)
			while (!__atomic_load_n(&conc_done[CONC->after[j]], __ATOMIC_ACQUIRE))
				sched_yield();
		run_in(CONC->task_of(k), k);
		__atomic_store_n(&conc_done[k], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void run_concurrent(const struct conc *c)
{
	pthread_t th[16];
	CONC = c;
	conc_done = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int t = 0; t < c->nthreads && t < 16; t++)
		pthread_create(&th[t], NULL, conc_thread, (void *)(long)t);
	for (int t = 0; t < c->nthreads && t < 16; t++)
		pthread_join(th[t], NULL);
}

static void tasks_exit(void)
{
	int k = -1;

	for (int t = 1; t <= ntasks; t++) {
		if (write(tasks[t].cmd, &k, sizeof(k)) < 0)
			kill(tasks[t].pid, SIGKILL);
		waitpid(tasks[t].pid, NULL, 0);
		close(tasks[t].cmd);
		close(tasks[t].ack);
	}
	ntasks = 0;
}

/* ---- scripts ---------------------------------------------------------- */

struct script {
	void (*run)(void);		/* setup + every step, in the script's process */
	int (*restore)(void);		/* in the probe's process: 1 when the pool is as before */
};

static void step_line(int k, const char *ret, int sigbus)
{
	emit("MMCHECK S %d STEP %d ret=%s sigbus=%d%s", cur_script, k, ret, sigbus, obs);
}

/* a concurrent script's outcome: the observation once every thread finished */
static void final_line(void)
{
	emit("MMCHECK S %d FINAL%s", cur_script, obs);
}

/* ---- injected failures (kernel/inject.ts, kernel/inject/mmcheck_inject.c) ---- */

#include <sys/prctl.h>

static int injecting;		/* set while a step with an injected failure runs (a fault then populates) */
static char inject_saved[17];	/* the task's name before the step */
static long long inject_hits[4], inject_fired[4];
static int inject_n;

/* "a,b,c" from a module parameter file into out[] (missing entries: -1) */
static void inject_read(const char *param, long long *out, int n)
{
	char path[96], buf[128];
	int fd, len = 0;

	for (int j = 0; j < n; j++)
		out[j] = -1;
	snprintf(path, sizeof(path), "/sys/module/mmcheck_inject/parameters/%s", param);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = 0;
	char *p = buf;
	for (int j = 0; j < n && *p && *p != '\n'; j++) {
		out[j] = strtoll(p, &p, 10);
		if (*p == ',')
			p++;
	}
}

/*
 * Load the module with the step's sites (finit_module(2): its kprobes are armed for tasks named
 * "mmcheck-inj") and name this task so. Returns 0 when it could not be loaded: the step still runs,
 * the injection is reported as not fired and the verdict is INCONCLUSIVE.
 */
static int inject_arm(int n, const char *params)
{
	/* the initramfs has it at /; a standalone reproducer names it with MMCHECK_INJECT_KO */
	const char *ko = getenv("MMCHECK_INJECT_KO") ? getenv("MMCHECK_INJECT_KO") : "/mmcheck_inject.ko";
	int fd = open(ko, O_RDONLY | O_CLOEXEC);

	inject_n = n;
	for (int j = 0; j < n; j++)
		inject_hits[j] = inject_fired[j] = -1;
	if (fd < 0) {
		emit("MMCHECK S %d NOTE inject: cannot open %s: %s", cur_script, ko, strerror(errno));
		return 0;
	}
	if (syscall(SYS_finit_module, fd, params, 0) != 0) {
		emit("MMCHECK S %d NOTE inject: finit_module(%s, %s): %s", cur_script, ko, params,
		     strerror(errno));
		close(fd);
		return 0;
	}
	close(fd);
	prctl(PR_GET_NAME, inject_saved, 0, 0, 0);
	prctl(PR_SET_NAME, "mmcheck-inj", 0, 0, 0);
	injecting = 1;
	return 1;
}

/* After the step: the task's own name back, the module's counts read, the module removed. */
static void inject_disarm(void)
{
	if (!injecting)
		return;
	injecting = 0;
	prctl(PR_SET_NAME, inject_saved, 0, 0, 0);
	inject_read("hits", inject_hits, inject_n);
	inject_read("fired", inject_fired, inject_n);
	if (syscall(SYS_delete_module, "mmcheck_inject", O_NONBLOCK) != 0)
		emit("MMCHECK S %d NOTE inject: delete_module: %s", cur_script, strerror(errno));
}

/* The counts into the step's observation (after the subsystem's observe, which resets it). */
static void inject_obs(void)
{
	char name[32];

	for (int j = 0; j < inject_n; j++) {
		snprintf(name, sizeof(name), "inject%d_hits", j);
		obs_add(name, inject_hits[j]);
		snprintf(name, sizeof(name), "inject%d_fired", j);
		obs_add(name, inject_fired[j]);
	}
	inject_n = 0;
}

/* ---- swap device (scripts that need one: KernelMapping.needsSwap) ------ */

#define SWAP_DEV "/dev/ram0"
#define SWAP_KIB 16384	/* rd_size: 16 MiB, 8 swap clusters of 2 MiB (a THP takes a whole one) */
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The RAM disk brd (drivers/block/brd.c) as swap: its module from the
 * initramfs when the kernel builds it as one (kernel/modules.ts), then a swap
 * header as mkswap writes it (include/linux/swap.h union swap_header: version 1,
 * last_page, "SWAPSPACE2" in the last 10 bytes of page 0). Returns NULL or why not.
 */
static const char *swap_prepare(void)
{
	static char why[160];
	static unsigned char hdr[4096];
	struct stat st;
	uint64_t bytes = 0;
	uint32_t word;
	int fd;

	if (stat(SWAP_DEV, &st) != 0) {
		fd = open("/brd.ko", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return SWAP_DEV " missing and no /brd.ko in the initramfs";
		if (syscall(SYS_finit_module, fd, "rd_nr=1 rd_size=" STR(SWAP_KIB), 0) != 0 && errno != EEXIST) {
			snprintf(why, sizeof(why), "finit_module(brd.ko): %s", strerror(errno));
			close(fd);
			return why;
		}
		close(fd);
		if (stat(SWAP_DEV, &st) != 0 && mknod(SWAP_DEV, S_IFBLK | 0600, makedev(1, 0)) != 0) {
			snprintf(why, sizeof(why), "mknod " SWAP_DEV ": %s", strerror(errno));
			return why;
		}
	}
	fd = open(SWAP_DEV, O_WRONLY | O_CLOEXEC);
	/*
	 * swapon trusts last_page (setup_swap_extents() of a block device adds
	 * one extent of sis->max pages unchecked): size it to the disk, which
	 * may be smaller than rd_size when brd was already there (built in).
	 */
	if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
		snprintf(why, sizeof(why), "BLKGETSIZE64 " SWAP_DEV ": %s", strerror(errno));
		close(fd);
		return why;
	}
	if (bytes > (uint64_t)SWAP_KIB * 1024)
		bytes = (uint64_t)SWAP_KIB * 1024;
	if (fd >= 0 && bytes < 2 * sizeof(hdr)) {
		snprintf(why, sizeof(why), SWAP_DEV " holds %llu bytes: too small for swap", (unsigned long long)bytes);
		close(fd);
		return why;
	}
	memset(hdr, 0, sizeof(hdr));
	word = 1;						/* version */
	memcpy(hdr + 1024, &word, sizeof(word));
	word = (uint32_t)(bytes / sizeof(hdr) - 1);		/* last_page */
	memcpy(hdr + 1024 + sizeof(word), &word, sizeof(word));
	memcpy(hdr + sizeof(hdr) - 10, "SWAPSPACE2", 10);
	if (fd < 0 || pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || fsync(fd) != 0) {
		snprintf(why, sizeof(why), "mkswap " SWAP_DEV ": %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return why;
	}
	close(fd);
	return NULL;
}

/*
 * Swap on for script i (in its process, before its setup): when it cannot be,
 * an ERROR line and the script ends there (nothing was set up yet), so no
 * step runs without the swap device it was generated for.
 */
static void swap_on(int i)
{
	const char *why = swap_prepare();
	if (!why && syscall(SYS_swapon, SWAP_DEV, 0) != 0)
		why = strerror(errno);
	if (why) {
		emit("MMCHECK S %d ERROR swapon " SWAP_DEV ": %s", i, why);
		_exit(1);
	}
}

/* Swap off after script i (in the probe's process, its processes gone): 0 when it stays on. */
static int swap_off(int i)
{
	/* EINVAL: it was never on; ENOENT: there never was a device (swap_on said so) */
	if (syscall(SYS_swapoff, SWAP_DEV) == 0 || errno == EINVAL || errno == ENOENT)
		return 1;
	emit("MMCHECK S %d ERROR swapoff " SWAP_DEV ": %s", i, strerror(errno));
	return 0;
}

/* Run every script, each in its own process, with a time limit. */
static int run_scripts(const struct script *s, int n, int first, int seconds)
{
	for (int i = first; i < n; i++) {
		pid_t pid;
		int status = 0, waited = 0;

		cur_script = i;
		emit("MMCHECK S %d BEGIN", i);
		pid = fork();
		if (pid == 0) {
			install_handlers();
			s[i].run();
			uring_release_all();
			tasks_exit();
			_exit(0);
		}
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (waited++ > seconds * 100) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				emit("MMCHECK S %d ERROR timeout after %d s", i, seconds);
				break;
			}
			usleep(10000);
		}
		if (WIFSIGNALED(status) && waited <= seconds * 100)
			emit("MMCHECK S %d ERROR script process killed by signal %d", i, WTERMSIG(status));
		/* a script's task processes are its children: reap any orphans re-parented to init */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		int ok = s[i].restore();
		emit("MMCHECK S %d END restored=%d", i, ok);
		if (!ok)
			return i + 1;	/* the pool is damaged: the runner reboots for the rest */
	}
	return n;
}

/* As /init under qemu: mount what the probe reads, run, power off. */
static void probe_boot(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/mnt", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	if (fd >= 0)
		out_fd = fd;
}

static int probe_main(const struct script *s, int n, int argc, char **argv)
{
	int as_init = getpid() == 1;
	int first = argc > 1 ? atoi(argv[1]) : 0;
	const char *skip = getenv("MMCHECK_FIRST");

	if (skip)
		first = atoi(skip);
	if (as_init)
		probe_boot();
	{
		struct utsname_like { char s[6][65]; } u;
		if (syscall(SYS_uname, &u) == 0)
			emit("MMCHECK UNAME %s", u.s[2]);
	}
	emit("MMCHECK BEGIN %d FIRST %d", n, first);
	int next = run_scripts(s, n, first, 60);
	emit("MMCHECK END NEXT %d", next);
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
