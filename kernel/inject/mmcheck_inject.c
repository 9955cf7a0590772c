// SPDX-License-Identifier: GPL-2.0
/*
 * mmcheck_inject: make one named kernel function fail, for one task only, on
 * its Nth call, so that `mmcheck reproduce` can run a counterexample that
 * needs an injected allocation failure on a stock Debian kernel (which has
 * neither CONFIG_FAULT_INJECTION nor CONFIG_FUNCTION_ERROR_INJECTION, but has
 * CONFIG_KPROBES and CONFIG_KPROBES_ON_FTRACE). Built against the kernel's own
 * headers (kernel/inject-module.ts), loaded by the probe with finit_module(2)
 * just before the step that must fail and removed right after it
 * (kernel/probe/runtime.c inject_arm / inject_disarm).
 *
 * Parameters (one entry per site, at most MMCHECK_SITES):
 *   sym=a,b       the functions to fail (a kprobe at each one's entry)
 *   caller=x,y    "-" or the symbol the call must return into (the %ps name of
 *                 the return address, without its +offset): a kmalloc_trace()
 *                 call counts only when allocate_file_region_entries() made it
 *   nth=1,1       the Nth counted call fails (counted per site)
 *   ret=-12,0     what the failed call returns (-ENOMEM; 0 is a NULL pointer)
 *   comm=NAME     only calls made by a task of this name count (the probe names
 *                 the task that runs the step, prctl(PR_SET_NAME), for the step);
 *                 one name for every site, or one per site (comm=a,b): a name is
 *                 a thread's own (PR_SET_NAME names the calling thread), so each
 *                 thread of a race can have its sites
 *   act=fail,hold what the Nth call does, per site (default fail):
 *                   fail      return ret= at once (the function's body never runs)
 *                   hold      wait (sleeping) until released, then run the function
 *                   holdfail  wait until released, then return ret=
 *   hold_ms=N     the longest wait of a hold (default 5000): a hold never blocks
 *                 for longer, released or not
 *   release=MASK  writable (/sys/module/mmcheck_inject/parameters/release): bit i
 *                 set releases site i's hold
 * Read back: hits= (calls counted per site), fired= (1 when the site's Nth call
 * was acted on), held= (per site: 0 not held, 1 holding now, 2 released,
 * 3 gave up after hold_ms). The probe prints hits and fired: a run whose
 * injection never fired is INCONCLUSIVE, never REPRODUCED; a race loop
 * (the .race.c loops in docs/reproducers) waits for held=1 to order its threads.
 *
 * How a call is failed: the kprobe's pre-handler sits at the function's entry
 * (the fentry site), where the stack holds the caller's return address; it
 * sets the return value and points the instruction pointer at a bare return
 * (mmcheck_inject_ret), and returns 1 so the kprobe does not single-step. The
 * function's body never runs: exactly what x86's
 * override_function_with_return() (arch/x86/lib/error-inject.c, used by
 * bpf_override_return) does, which these kernels do not build.
 *
 * How a call is held: the same redirection, to mmcheck_hold_tramp, which runs in
 * the task's own context once the probe has returned (preemptible, as the hooked
 * function's caller was: a hold site must be a function that may sleep, e.g. one
 * that allocates with GFP_KERNEL). It saves the argument registers, sleeps in
 * mmcheck_hold_wait() (msleep(1) steps until its release bit or hold_ms), restores
 * them and continues at the function's body past its fentry call (the probe's
 * address + MCOUNT_INSN_SIZE, where an unhooked call goes on), or returns ret=
 * (holdfail). It is entered and left by `ret`, never an indirect jump (no ENDBR
 * is needed at either end). So a hold site must be ftrace-based (a kprobe on the
 * fentry call, KPROBE_FLAG_FTRACE) and take at most 6 arguments, all in
 * registers. The module holds a reference on itself while a task is held, so it
 * cannot be removed under it (delete_module fails with EWOULDBLOCK until then).
 * objtool warns "return with modified stack frame" at the trampoline's last ret:
 * that ret is its jump, on purpose.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/kallsyms.h>
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <linux/atomic.h>
#include <linux/preempt.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ftrace.h>

#define MMCHECK_SITES 4

asmlinkage void mmcheck_inject_ret(void);
asm(".text\n"
    ".type mmcheck_inject_ret, @function\n"
    ".globl mmcheck_inject_ret\n"
    "mmcheck_inject_ret:\n"
    ANNOTATE_NOENDBR
    ASM_RET
    ".size mmcheck_inject_ret, .-mmcheck_inject_ret\n");

static char *sym[MMCHECK_SITES];
static int nsym;
module_param_array(sym, charp, &nsym, 0444);
static char *caller[MMCHECK_SITES];
static int ncaller;
module_param_array(caller, charp, &ncaller, 0444);
static int nth[MMCHECK_SITES];
static int nnth;
module_param_array(nth, int, &nnth, 0444);
static long ret[MMCHECK_SITES];
static int nret;
module_param_array(ret, long, &nret, 0444);
static char *comm[MMCHECK_SITES] = { "mmcheck-inj" };
static int ncomm = 1;
module_param_array(comm, charp, &ncomm, 0444);
static char *act[MMCHECK_SITES];
static int nact;
module_param_array(act, charp, &nact, 0444);
static unsigned int hold_ms = 5000;
module_param(hold_ms, uint, 0444);
static unsigned int release;
module_param(release, uint, 0644);

static unsigned int hits[MMCHECK_SITES];
static int nhits;
module_param_array(hits, uint, &nhits, 0444);
static unsigned int fired[MMCHECK_SITES];
static int nfired;
module_param_array(fired, uint, &nfired, 0444);
static unsigned int held[MMCHECK_SITES];
static int nheld;
module_param_array(held, uint, &nheld, 0444);

enum { ACT_FAIL, ACT_HOLD, ACT_HOLDFAIL };
static int mode[MMCHECK_SITES];
/* the task held at site i (set by the probe, cleared by the wait) */
static struct task_struct *holder[MMCHECK_SITES];
static atomic_t holding = ATOMIC_INIT(0);

static atomic_t counted[MMCHECK_SITES];
static struct kprobe kps[MMCHECK_SITES];
static int registered;

/*
 * Entered by `ret` from the probe, with the hooked function's stack (its return
 * address on top) and argument registers. Seven pushes keep the stack 16-byte
 * aligned for the call; the wait returns where to go on: the function's body, or
 * mmcheck_inject_ret with the saved %rax slot (frame[0]) set to ret=.
 */
asmlinkage void mmcheck_hold_tramp(void);
asm(".text\n"
    ".type mmcheck_hold_tramp, @function\n"
    ".globl mmcheck_hold_tramp\n"
    "mmcheck_hold_tramp:\n"
    ANNOTATE_NOENDBR
    "push %rdi\n push %rsi\n push %rdx\n push %rcx\n push %r8\n push %r9\n push %rax\n"
    "mov %rsp, %rdi\n"
    "call mmcheck_hold_wait\n"
    "mov %rax, %r11\n"
    "pop %rax\n pop %r9\n pop %r8\n pop %rcx\n pop %rdx\n pop %rsi\n pop %rdi\n"
    "push %r11\n"
    ASM_RET
    ".size mmcheck_hold_tramp, .-mmcheck_hold_tramp\n");

static const char *site_comm(int i)
{
	return ncomm == 1 ? comm[0] : comm[i];
}

asmlinkage unsigned long mmcheck_hold_wait(unsigned long *frame);
asmlinkage unsigned long mmcheck_hold_wait(unsigned long *frame)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(hold_ms);
	unsigned long to;
	int i;

	for (i = 0; i < nsym; i++)
		if (READ_ONCE(holder[i]) == current && READ_ONCE(held[i]) == 1)
			break;
	if (WARN_ON_ONCE(i == nsym))
		i = 0; /* cannot happen: the probe set holder[] for this task just before */
	while (!(READ_ONCE(release) & (1u << i)) && time_before(jiffies, deadline))
		msleep(1);
	WRITE_ONCE(held[i], (READ_ONCE(release) & (1u << i)) ? 2 : 3);
	WRITE_ONCE(holder[i], NULL);
	if (mode[i] == ACT_HOLDFAIL) {
		frame[0] = (unsigned long)ret[i];
		to = (unsigned long)&mmcheck_inject_ret;
	} else {
		to = (unsigned long)kps[i].addr + MCOUNT_INSN_SIZE;
	}
	atomic_dec(&holding);
	module_put(THIS_MODULE);
	return to;
}

/* Does the call return into `want` (the return address's symbol, offset off)? */
static bool from_caller(unsigned long ra, const char *want)
{
	char buf[KSYM_SYMBOL_LEN];
	size_t n = strlen(want);

	sprint_symbol_no_offset(buf, ra);
	/* "allocate_file_region_entries" also matches a compiler clone such as "allocate_file_region_entries.isra.0" */
	return strncmp(buf, want, n) == 0 && (buf[n] == '\0' || buf[n] == '.');
}

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	int i = p - kps;
	unsigned long ra;
	int c;

	if (!in_task() || strcmp(current->comm, site_comm(i)) != 0)
		return 0;
	ra = *(unsigned long *)regs->sp; /* at the entry: the return address */
	if (caller[i] && strcmp(caller[i], "-") != 0 && !from_caller(ra, caller[i]))
		return 0;
	c = atomic_inc_return(&counted[i]);
	WRITE_ONCE(hits[i], c);
	if (c != nth[i])
		return 0;
	WRITE_ONCE(fired[i], 1);
	if (mode[i] != ACT_FAIL) {
		/* the task waits in mmcheck_hold_tramp, in its own context, after this handler */
		if (!try_module_get(THIS_MODULE))
			return 0;
		atomic_inc(&holding);
		WRITE_ONCE(holder[i], current);
		WRITE_ONCE(held[i], 1);
		regs->ip = (unsigned long)&mmcheck_hold_tramp;
		return 1;
	}
	regs->ax = (unsigned long)ret[i];
	regs->ip = (unsigned long)&mmcheck_inject_ret;
	return 1; /* ip changed: no single-step, no post handler */
}
NOKPROBE_SYMBOL(pre);

static int __init mmcheck_inject_init(void)
{
	int i, err;

	if (nsym < 1 || nnth != nsym || nret != nsym || (ncaller != 0 && ncaller != nsym) ||
	    (ncomm != 1 && ncomm != nsym) || (nact != 0 && nact != nsym)) {
		pr_err("mmcheck_inject: sym=, nth=, ret= (and caller=, act=) need one entry per site, comm= one or one per site\n");
		return -EINVAL;
	}
	for (i = 0; i < nact; i++) {
		if (!strcmp(act[i], "fail"))
			mode[i] = ACT_FAIL;
		else if (!strcmp(act[i], "hold"))
			mode[i] = ACT_HOLD;
		else if (!strcmp(act[i], "holdfail"))
			mode[i] = ACT_HOLDFAIL;
		else {
			pr_err("mmcheck_inject: act=%s: fail, hold or holdfail\n", act[i]);
			return -EINVAL;
		}
	}
	nhits = nfired = nheld = nsym;
	for (i = 0; i < nsym; i++) {
		kps[i].symbol_name = sym[i];
		kps[i].pre_handler = pre;
		err = register_kprobe(&kps[i]);
		/* a held call goes on past the fentry call: only an ftrace-based probe sits there */
		if (!err && mode[i] == ACT_HOLD && !kprobe_ftrace(&kps[i])) {
			pr_err("mmcheck_inject: %s: a hold needs an ftrace-based kprobe (fentry)\n", sym[i]);
			unregister_kprobe(&kps[i]);
			err = -EINVAL;
		}
		if (err) {
			pr_err("mmcheck_inject: register_kprobe(%s): %d\n", sym[i], err);
			while (--i >= 0)
				unregister_kprobe(&kps[i]);
			return err;
		}
	}
	registered = nsym;
	pr_info("mmcheck_inject: %d site(s) armed for comm %s%s\n", nsym, site_comm(0), ncomm > 1 ? ",..." : "");
	return 0;
}

static void __exit mmcheck_inject_exit(void)
{
	int i;

	for (i = 0; i < registered; i++)
		unregister_kprobe(&kps[i]);
	/* a held task owns a module reference, so none is left here; let the last one leave the trampoline */
	while (atomic_read(&holding) > 0)
		msleep(1);
	msleep(10);
}

module_init(mmcheck_inject_init);
module_exit(mmcheck_inject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmcheck: fail or hold kernel functions for named tasks on their Nth call (kprobe)");
