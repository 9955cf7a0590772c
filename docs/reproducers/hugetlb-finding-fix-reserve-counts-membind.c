/*
 * mmcheck reproducer: hugetlb/finding-fix-reserve-counts-membind (hugetlb)
 * Build and run as root on a disposable machine or VM (it changes /proc/sys/vm/nr_hugepages and mounts hugetlbfs under /mnt/mmcheck):
 *   gcc -static -O1 -o repro repro.c && ./repro
 * hugetlbfs mounts under /mnt/mmcheck, files f<N> on them, mapping slot v at a fixed address; after each step /proc/meminfo HugePages_* and statfs(mount) used pages are printed.
 *
 * Expected (the implementation, per step) and observed (the kernel):
 *   step 0 set_nr_node(nid=1,n=1)
 *     expected: ok Total=5 Free=5 Rsvd=0 Surp=0 spool0_used=0 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=5 Rsvd=0 Surp=0 spool0_used=0 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=5 Rsvd=0 Surp=0 spool0_used=0 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 1 mmap(v=0,kind=shared,f=0,from=0,to=3)
 *     expected: ok Total=5 Free=5 Rsvd=3 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=5 Rsvd=3 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=5 Rsvd=3 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=4 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 2 fault(v=0,i=0,write=true)
 *     expected: ok Total=5 Free=4 Rsvd=2 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=3 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=4 Rsvd=2 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=3 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=4 Rsvd=2 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=3 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 3 fault(v=0,i=1,write=true)
 *     expected: ok Total=5 Free=3 Rsvd=1 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=2 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=3 Rsvd=1 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=2 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=3 Rsvd=1 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=2 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 4 fault(v=0,i=2,write=true)
 *     expected: ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=3 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 5 fallocate(f=0,from=3,to=4)
 *     expected: ok Total=5 Free=1 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=0 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=1 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=0 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=1 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=0 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *   step 6 punch(f=0,from=1,to=2)   <- spec violated here
 *     expected: ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.12.118 (linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1): ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 *     observed on 6.1.192 (linux-image-6.1.0-57-amd64-unsigned 6.1.192-3): ok Total=5 Free=2 Rsvd=0 Surp=0 spool0_used=4 N0_nr_hugepages=4 N0_free_hugepages=1 N0_surplus_hugepages=0 N1_nr_hugepages=1 N1_free_hugepages=1 N1_surplus_hugepages=0
 * After the script on 6.12.118, with its processes gone, its hugetlbfs unmounted and nr_hugepages set to 0: Total=5 Free=5 Rsvd=-1 Surp=5 (not restored)
 * After the script on 6.1.192, with its processes gone, its hugetlbfs unmounted and nr_hugepages set to 0: Total=5 Free=5 Rsvd=-1 Surp=5 (not restored)
 * Verdict on 6.12.118: REPRODUCED
 * Verdict on 6.1.192: REPRODUCED
 * The spec is violated at step 6: refinement: at quiescence, abstraction(impl) matches none of the 1 spec state(s) that linearizations of the history allow
 * It injects allocation failures with kernel/inject/mmcheck_inject.c (mmcheck's repository), built for 6.1.192: build it against that kernel's headers and run with MMCHECK_INJECT_KO=/path/mmcheck_inject.ko
 */

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


/* ---- hugetlb ---- */


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


#include <linux/userfaultfd.h>

/* A userfaultfd with UFFD_FEATURE_SIGBUS (+ MINOR_HUGETLBFS): faults its handler would get are SIGBUS. */
static int h_uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_HUGETLBFS };
	int u = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u >= 0 && ioctl(u, UFFDIO_API, &api)) {
		close(u);
		return -1;
	}
	return u;
}

/* The slot's userfaultfd, or a fresh one with page i registered in mode (the caller closes it). */
static int h_uffd_for(int v, int i, int mode, const char **ret)
{
	struct uffdio_register reg;
	int u;

	if (B->ufd[v])
		return B->ufd[v] - 1;
	u = h_uffd_open();
	if (u < 0) {
		*ret = errname(errno);
		return -1;
	}
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	reg.range.len = HPAGE;
	reg.mode = mode;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		*ret = errname(errno);
		close(u);
		return -1;
	}
	return u;
}

/* The slot's mapping is gone: close its userfaultfd unless a split piece still uses it. */
static void h_uffd_drop(int v)
{
	int u = B->ufd[v];
	B->ufd[v] = 0;
	if (!u)
		return;
	for (int s = 0; s < H_NV; s++)
		if (B->live[s] && s != v && B->ufd[s] == u)
			return;
	close(u - 1);
}

/* UFFDIO_REGISTER of the whole mapping of slot v: 0 missing, 1 minor. */
static const char *h_uffd_register(int v, int minor)
{
	struct uffdio_register reg;
	int u;

	if (v < 0 || v >= H_NV || !B->live[v])
		return "EINVAL";
	u = B->ufd[v] ? B->ufd[v] - 1 : h_uffd_open();
	if (u < 0)
		return errname(errno);
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)B->from[v] * HPAGE);
	reg.range.len = (unsigned long)(B->to[v] - B->from[v]) * HPAGE;
	reg.mode = minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		const char *ret = errname(errno);
		if (!B->ufd[v])
			close(u);
		return ret;
	}
	B->ufd[v] = u + 1;
	B->umode[v] = reg.mode;
	return "ok";
}

static const char *h_uffd_continue(int v, int i)
{
	struct uffdio_continue cont;
	const char *ret = "ok";
	int u;

	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "ENOENT";
	u = h_uffd_for(v, i, UFFDIO_REGISTER_MODE_MINOR, &ret);
	if (u < 0)
		return ret;
	cont.range.start = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	cont.range.len = HPAGE;
	cont.mode = 0;
	cont.mapped = 0;
	if (ioctl(u, UFFDIO_CONTINUE, &cont))
		ret = errname(errno);
	if (!B->ufd[v])
		close(u);
	return ret;
}

/* src: 0 resident (written before), 1 unpopulated (fresh anonymous memory never touched), 2 unmapped */
static const char *h_uffd_copy(int v, int i, int srcmode)
{
	static char *resident;
	char *src, *fresh = NULL;
	struct uffdio_copy cp;
	const char *ret = "ok";
	int u;

	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "ENOENT";
	if (!resident) {
		resident = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (resident == MAP_FAILED) {
			resident = NULL;
			return "ENOMEM";
		}
		memset(resident, 0x5a, HPAGE);
	}
	src = resident;
	if (srcmode != 0) {
		fresh = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fresh == MAP_FAILED)
			return "ENOMEM";
		src = fresh;
		if (srcmode == 2) {
			munmap(fresh, HPAGE); /* the address is now unmapped: copy_from_user fails */
			fresh = NULL;
		}
	}
	u = h_uffd_for(v, i, UFFDIO_REGISTER_MODE_MISSING, &ret);
	if (u < 0)
		return ret;
	cp.dst = (unsigned long)(B->base[v] + (unsigned long)i * HPAGE);
	cp.src = (unsigned long)src;
	cp.len = HPAGE;
	cp.mode = 0;
	cp.copy = 0;
	if (ioctl(u, UFFDIO_COPY, &cp))
		ret = errname(errno);
	if (!B->ufd[v])
		close(u);
	if (fresh)
		munmap(fresh, HPAGE);
	return ret;
}

static const char *h_madvise_dontneed(int v, int from, int to)
{
	if (v < 0 || v >= H_NV || from < 0)
		return "EINVAL";
	/* the slot's addresses (a split-off piece lives at its original's); nothing mapped: ENOMEM */
	char *base = B->live[v] ? B->base[v] : VBASE(v);
	if (madvise(base + (unsigned long)from * HPAGE, (size_t)((long)to - from) * HPAGE, MADV_DONTNEED))
		return errname(errno);
	return "ok";
}

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
static const char *h_soft_offline(int v, int i)
{
	if (v < 0 || v >= H_NV || i < 0)
		return "EINVAL";
	/* madvise_inject_error: get_user_pages_fast of the address, no VMA check of its own (unmapped: EFAULT) */
	char *base = B->live[v] ? B->base[v] : VBASE(v);
	if (madvise(base + (unsigned long)i * HPAGE, HPAGE, MADV_SOFT_OFFLINE))
		return errname(errno);
	return "ok";
}

/* The lowest free slot not a or b (-1: none). */
static int h_free_slot(int a, int b)
{
	for (int s = 0; s < H_NV; s++)
		if (!B->live[s] && s != a && s != b)
			return s;
	return -1;
}

/* Book [from, to) of slot v's mapping into slot s (same base, task, registration and protection). */
static void h_piece(int s, int v, int from, int to)
{
	B->live[s] = 1;
	B->kind[s] = B->kind[v];
	B->from[s] = from;
	B->to[s] = to;
	B->base[s] = B->base[v];
	B->task[s] = B->task[v];
	B->peer[s] = -1;
	B->ufd[s] = B->ufd[v];
	B->umode[s] = B->umode[v];
	B->ro[s] = B->ro[v];
	B->file[s] = B->file[v];
}

static const char *h_mprotect(int v, int from, int to, int ro, int c, int d, int misalign)
{
	if (to == from)
		return "ok";
	if (v < 0 || v >= H_NV || !B->live[v] || to < from || from < B->from[v] || to > B->to[v])
		return "ENOMEM";
	int splits = (from > B->from[v]) + (to < B->to[v]);
	if (B->ro[v] != ro && !misalign) {
		if (splits > 0 && c < 0)
			c = h_free_slot(v, -1);
		if (splits > 1 && d < 0)
			d = h_free_slot(v, c);
		if ((splits > 0 && (c < 0 || c >= H_NV || B->live[c] || c == v || B->peer[v] != -1)) ||
		    (splits > 1 && (d < 0 || d >= H_NV || B->live[d] || d == v || d == c)))
			return "ENOMEM";
	}
	/* misalign: one base page past the start, the same end */
	long off = misalign ? 4096 : 0;
	if (mprotect(B->base[v] + (unsigned long)from * HPAGE + off, (size_t)(to - from) * HPAGE - off,
		     ro ? PROT_READ : PROT_READ | PROT_WRITE))
		return errname(errno);
	if (B->ro[v] == ro)
		return "ok";
	int hi = B->to[v], mid = v;
	if (from > B->from[v]) {
		h_piece(c, v, from, to);
		B->to[v] = from;
		mid = c;
	}
	if (to < hi)
		h_piece(from > B->from[v] ? d : c, v, to, hi);
	B->from[mid] = from;
	B->to[mid] = to;
	B->ro[mid] = ro;
	return "ok";
}

static const char *h_mremap(int v, int from, int to, int len, int c, int misalign)
{
	if (len == 0 || to <= from)
		return "EINVAL";
	if (v < 0 || v >= H_NV || !B->live[v] || from < B->from[v] || from >= B->to[v] || to > B->to[v])
		return "EFAULT";
	int hole = -1;
	if (c >= 0) {
		if (c >= H_NV || B->live[c])
			return "EINVAL";
		int split = to < B->to[v] && (len < to - from || from > B->from[v]);
		hole = h_free_slot(c, -1);
		if (B->peer[v] != -1 || (split && hole < 0))
			return "ENOMEM";
	} else if (len < to - from && to < B->to[v]) {
		hole = h_free_slot(-1, -1);
		if (hole < 0 || B->peer[v] != -1)
			return "ENOMEM";
	}
	char *old = B->base[v] + (unsigned long)from * HPAGE + (misalign ? 4096 : 0);
	void *p = c >= 0 ? mremap(old, (size_t)(to - from) * HPAGE, (size_t)len * HPAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
				  VBASE(c) + (unsigned long)from * HPAGE)
			 : mremap(old, (size_t)(to - from) * HPAGE, (size_t)len * HPAGE, 0);
	if (p == MAP_FAILED)
		return errname(errno);
	int end = from + len, hi = B->to[v];
	if (end < to && to < hi) /* the shrink's hole: its upper piece */
		h_piece(hole, v, to, hi);
	B->to[v] = end < to ? end : B->to[v];
	if (c < 0)
		return "ok";
	h_piece(c, v, from, end);
	B->base[c] = VBASE(c);
	B->ufd[c] = 0; /* the moved VMA drops the uffd context (no UFFD_FEATURE_EVENT_REMAP) */
	if (from == B->from[v] && end == B->to[v]) {
		h_uffd_drop(v);
		B->live[v] = 0;
	} else if (from > B->from[v] && end < B->to[v]) {
		h_piece(h_free_slot(-1, -1), v, end, B->to[v]);
		B->to[v] = from;
	} else if (from == B->from[v])
		B->from[v] = end;
	else
		B->to[v] = from;
	return "ok";
}

/* UFFDIO_REGISTER of [from, to) of slot v (a split: v keeps the lowest piece, then c, d), 0 missing, 1 minor. */
static const char *h_uffd_register_range(int v, int minor, int from, int to, int c, int d)
{
	struct uffdio_register reg;
	int mode = minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;

	if (v < 0 || v >= H_NV || !B->live[v] || to <= from || from < B->from[v] || to > B->to[v])
		return "EINVAL";
	if (B->ufd[v] && B->umode[v] == mode)
		return "ok"; /* same ctx and flags: no split */
	int splits = (from > B->from[v]) + (to < B->to[v]);
	if (splits > 0 && c < 0)
		c = h_free_slot(v, -1);
	if (splits > 1 && d < 0)
		d = h_free_slot(v, c);
	if ((splits > 0 && (c < 0 || c >= H_NV || B->live[c] || c == v || B->peer[v] != -1)) ||
	    (splits > 1 && (d < 0 || d >= H_NV || B->live[d] || d == v || d == c)))
		return "ENOMEM";
	int u = B->ufd[v] ? B->ufd[v] - 1 : h_uffd_open();
	if (u < 0)
		return errname(errno);
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)from * HPAGE);
	reg.range.len = (unsigned long)(to - from) * HPAGE;
	reg.mode = mode;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		const char *ret = errname(errno);
		if (!B->ufd[v])
			close(u);
		return ret;
	}
	int hi = B->to[v], mid = v;
	if (from > B->from[v]) {
		h_piece(c, v, from, to);
		B->to[v] = from;
		mid = c;
	}
	if (to < hi)
		h_piece(from > B->from[v] ? d : c, v, to, hi);
	B->from[mid] = from;
	B->to[mid] = to;
	B->ufd[mid] = u + 1;
	B->umode[mid] = mode;
	return "ok";
}

static void h_internal(int m)
{
	B->internal[m] = 1;
	B->mounted[m] = 1;
}

static const char *h_memfd_create(int f)
{
	if (f < 0 || f >= B->nfiles || !B->internal[B->file_mount[f]])
		return "EINVAL";
	int busy = B->fd[f] >= 0;
	for (int s = 0; s < H_NV; s++)
		if (B->live[s] && B->file[s] == f)
			busy = 1;
	if (busy)
		return "EBUSY";
	B->fd[f] = memfd_create("mmcheck", MFD_HUGETLB | MFD_ALLOW_SEALING) /* the default hstate: 2 MiB */;
	return B->fd[f] < 0 ? errname(errno) : "ok";
}

#include <sys/uio.h>

#define H_NPIN 2
static int h_ring[H_NPIN] = { -1, -1 };
static int h_is_dmabuf[H_NPIN]; /* slot k holds a udmabuf (closing it unpins), not an io_uring ring */

static const char *h_pin(int k, int v, int i)
{
	const char *err;
	int fd;
	if (k < 0 || k >= H_NPIN || h_ring[k] >= 0)
		return "EBUSY";
	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "EFAULT";
	if ((B->kind[v] != K_SHARED && B->kind[v] != K_NORESERVE) || B->has_min[B->file_mount[B->file[v]]])
		return "EINVAL";
	fd = uring_pin(B->base[v] + (unsigned long)i * HPAGE, HPAGE, &err);
	if (fd < 0)
		return err;
	h_ring[k] = fd;
	return "ok";
}

static const char *h_unpin(int k)
{
	int fd;
	if (k < 0 || k >= H_NPIN || h_ring[k] < 0)
		return "EINVAL";
	fd = h_ring[k];
	h_ring[k] = -1;
	if (h_is_dmabuf[k]) {
		h_is_dmabuf[k] = 0;
		return close(fd) ? errname(errno) : "ok"; /* dma_buf_release -> release_udmabuf -> unpin_folios */
	}
	return uring_unpin(fd);
}

/* struct udmabuf_create and UDMABUF_CREATE of include/uapi/linux/udmabuf.h */
struct h_udmabuf_create {
	__u32 memfd;
	__u32 flags;
	__u64 offset;
	__u64 size;
};
#define H_UDMABUF_CREATE _IOW('u', 0x42, struct h_udmabuf_create)

static const char *h_udmabuf(int k, int f, int i)
{
	struct h_udmabuf_create c;
	struct stat st;
	int dev, fd, e;
	if (k < 0 || k >= H_NPIN || h_ring[k] >= 0)
		return "EBUSY";
	if (f < 0 || f >= B->nfiles || !B->internal[B->file_mount[f]])
		return "EINVAL";
	if (B->fd[f] < 0)
		return "EBADF";
	if (fstat(B->fd[f], &st))
		return errname(errno);
	if (i < 0 || (long long)i * HPAGE >= (long long)st.st_size)
		return "EINVAL";
	/* udmabuf_create wants F_SEAL_SHRINK and no F_SEAL_WRITE */
	if (fcntl(B->fd[f], F_ADD_SEALS, F_SEAL_SHRINK))
		return errname(errno);
	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0)
		return errname(errno);
	memset(&c, 0, sizeof(c));
	c.memfd = (__u32)B->fd[f];
	c.offset = (__u64)i * HPAGE;
	c.size = HPAGE;
	fd = ioctl(dev, H_UDMABUF_CREATE, &c);
	e = errno;
	close(dev);
	if (fd < 0)
		return errname(e);
	h_ring[k] = fd;
	h_is_dmabuf[k] = 1;
	return "ok";
}


#define H_NODE_DIR "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/%s"
static int h_nnodes = 1;

static long long h_node_read(int nid, const char *what)
{
	char p[128], b[32];
	long long v = -1;
	snprintf(p, sizeof(p), H_NODE_DIR, nid, what);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	if (n > 0) {
		b[n] = 0;
		v = strtoll(b, NULL, 10);
	}
	close(fd);
	return v;
}

static int h_node_write(int nid, long n)
{
	char p[128];
	snprintf(p, sizeof(p), H_NODE_DIR, nid, "nr_hugepages");
	return write_long(p, n);
}

static void h_observe_nodes(void)
{
	static const char *const what[] = { "nr_hugepages", "free_hugepages", "surplus_hugepages" };
	char name[48];
	if (h_nnodes < 2)
		return;
	for (int nid = 0; nid < h_nnodes; nid++)
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "N%d_%s", nid, what[k]);
			obs_add(name, h_node_read(nid, what[k]));
		}
}

static void h_nodes_setup(int script, int nnodes, long pool, int membind)
{
	h_nnodes = nnodes;
	if (h_node_read(nnodes - 1, "nr_hugepages") < 0) {
		emit("MMCHECK S %d ERROR the VM has no NUMA node %d (params.nodePool %d)", script, nnodes - 1, nnodes);
		return;
	}
	if (h_node_write(0, 1) || h_node_write(0, 0) || h_node_write(0, pool))
		emit("MMCHECK S %d ERROR cannot write node0 nr_hugepages: %s", script, strerror(errno));
	if (meminfo("HugePages_Total") != pool || h_node_read(0, "nr_hugepages") != pool)
		emit("MMCHECK S %d ERROR node 0 pool not %ld at start: Total=%lld node0=%lld", script, pool,
		     meminfo("HugePages_Total"), h_node_read(0, "nr_hugepages"));
	if (membind >= 0) {
		unsigned long mask = 1UL << membind;
		/* MPOL_BIND = 2 (include/uapi/linux/mempolicy.h); no libnuma in the static build */
		if (syscall(SYS_set_mempolicy, 2, &mask, 8 * sizeof(mask)))
			emit("MMCHECK S %d ERROR set_mempolicy(MPOL_BIND, {%d}): %s", script, membind, strerror(errno));
	}
}

#include <dirent.h>

static const char *h_dissolve(void)
{
	int nid = -1, top = -1;
	for (int k = 0; k < h_nnodes && nid < 0; k++)
		if ((h_nnodes > 1 ? h_node_read(k, "free_hugepages") : meminfo("HugePages_Free")) > 0)
			nid = k;
	if (nid < 0)
		return "EBUSY";
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%d", nid);
	DIR *d = opendir(dir);
	if (!d)
		return "ENOENT";
	struct dirent *ent;
	while ((ent = readdir(d))) {
		int n;
		if (sscanf(ent->d_name, "memory%d", &n) == 1 && n > top)
			top = n; /* the hotplugged pc-dimm: above boot memory */
	}
	closedir(d);
	if (top < 0)
		return "ENOENT";
	char st[96];
	snprintf(st, sizeof(st), "/sys/devices/system/memory/memory%d/state", top);
	int r = write_file(st, "offline");
	if (r) /* offline_pages failed: the free huge pages dissolved before the failure stay dissolved */
		return errname(-r);
	int back = write_file(st, "online_movable");
	if (back) /* the block stays offline: say so rather than go on with less memory */
		return errname(-back);
	return "ok";
}

static const char *h_set_nr_node(int nid, long n)
{
	if (nid < 0 || nid >= h_nnodes)
		return "EINVAL";
	int e = h_node_write(nid, n);
	return e ? errname(-e) : "ok";
}


static void s0_step(int k)
{
	switch (k) {
	case 0: { /* set_nr_node {"nid":1,"n":1} */
		const char *ret = "ok"; int bus = 0;
		ret = h_set_nr_node(1, 1);
		h_observe();
		step_line(0, ret, bus);
		break;
	}
	case 1: { /* mmap {"v":0,"kind":"shared","f":0,"from":0,"to":3} */
		const char *ret = "ok"; int bus = 0;
		ret = h_mmap(0, K_SHARED, 0, 0, 3);
		h_observe();
		step_line(1, ret, bus);
		break;
	}
	case 2: { /* fault {"v":0,"i":0,"write":true} */
		const char *ret = "ok"; int bus = 0;
		ret = h_fault(0, 0, 1, &bus);
		h_observe();
		step_line(2, ret, bus);
		break;
	}
	case 3: { /* fault {"v":0,"i":1,"write":true} */
		const char *ret = "ok"; int bus = 0;
		ret = h_fault(0, 1, 1, &bus);
		h_observe();
		step_line(3, ret, bus);
		break;
	}
	case 4: { /* fault {"v":0,"i":2,"write":true} */
		const char *ret = "ok"; int bus = 0;
		ret = h_fault(0, 2, 1, &bus);
		h_observe();
		step_line(4, ret, bus);
		break;
	}
	case 5: { /* fallocate {"f":0,"from":3,"to":4} */
		const char *ret = "ok"; int bus = 0;
		ret = h_fallocate(0, 3, 4);
		h_observe();
		step_line(5, ret, bus);
		break;
	}
	case 6: { /* punch {"f":0,"from":1,"to":2} */
		const char *ret = "ok"; int bus = 0;
		/* injected: region_del_split #1 -> kmalloc_trace */ inject_arm(1, "sym=kmalloc_trace caller=region_del nth=1 ret=0 comm=mmcheck-inj");
		ret = h_punch(0, 1, 2);
		inject_disarm();
		h_observe();
		inject_obs();
		step_line(6, ret, bus);
		break;
	}
	}
}

static int s0_task(int k)
{
	switch (k) {
	case 0: return 0;
	case 1: return h_task_of(0);
	case 2: return h_task_of(0);
	case 3: return h_task_of(0);
	case 4: return h_task_of(0);
	case 5: return 0;
	case 6: return 0;
	}
	return 0;
}

static void s0_run(void)
{
	cur_step = s0_step;
	static const int fm[] = { 0 };
	static const long msize[] = { 6 };
	static const long mmin[] = { -1 };
	static const int mon[] = { 1 };
	h_nodes_setup(0, 2, 4, 0);
	h_setup(0, 4, 0, 4, 1, fm, 1, msize, mmin, mon);
	for (int k = 0; k < 7; k++)
		run_in(s0_task(k), k);
}

static int s0_restore(void)
{
	return h_restore(0, 1);
}

static const struct script scripts[] = {
	{ s0_run, s0_restore },
};

int main(int argc, char **argv)
{
	return probe_main(scripts, 1, argc, argv);
}
