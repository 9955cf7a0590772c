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
 *                 the task that runs the step, prctl(PR_SET_NAME), for the step)
 * Read back after the step: hits= (calls counted per site), fired= (1 when the
 * site's Nth call was failed). The probe prints both: a run whose injection
 * never fired is INCONCLUSIVE, never REPRODUCED.
 *
 * How a call is failed: the kprobe's pre-handler sits at the function's entry
 * (the fentry site), where the stack holds the caller's return address; it
 * sets the return value and points the instruction pointer at a bare return
 * (mmcheck_inject_ret), and returns 1 so the kprobe does not single-step. The
 * function's body never runs: exactly what x86's
 * override_function_with_return() (arch/x86/lib/error-inject.c, used by
 * bpf_override_return) does, which these kernels do not build.
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
static char *comm = "mmcheck-inj";
module_param(comm, charp, 0444);

static unsigned int hits[MMCHECK_SITES];
static int nhits;
module_param_array(hits, uint, &nhits, 0444);
static unsigned int fired[MMCHECK_SITES];
static int nfired;
module_param_array(fired, uint, &nfired, 0444);

static atomic_t counted[MMCHECK_SITES];
static struct kprobe kps[MMCHECK_SITES];
static int registered;

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

	if (!in_task() || strcmp(current->comm, comm) != 0)
		return 0;
	ra = *(unsigned long *)regs->sp; /* at the entry: the return address */
	if (caller[i] && strcmp(caller[i], "-") != 0 && !from_caller(ra, caller[i]))
		return 0;
	c = atomic_inc_return(&counted[i]);
	WRITE_ONCE(hits[i], c);
	if (c != nth[i])
		return 0;
	WRITE_ONCE(fired[i], 1);
	regs->ax = (unsigned long)ret[i];
	regs->ip = (unsigned long)&mmcheck_inject_ret;
	return 1; /* ip changed: no single-step, no post handler */
}
NOKPROBE_SYMBOL(pre);

static int __init mmcheck_inject_init(void)
{
	int i, err;

	if (nsym < 1 || nnth != nsym || nret != nsym || (ncaller != 0 && ncaller != nsym)) {
		pr_err("mmcheck_inject: sym=, nth=, ret= (and caller=) need one entry per site\n");
		return -EINVAL;
	}
	nhits = nfired = nsym;
	for (i = 0; i < nsym; i++) {
		kps[i].symbol_name = sym[i];
		kps[i].pre_handler = pre;
		err = register_kprobe(&kps[i]);
		if (err) {
			pr_err("mmcheck_inject: register_kprobe(%s): %d\n", sym[i], err);
			while (--i >= 0)
				unregister_kprobe(&kps[i]);
			return err;
		}
	}
	registered = nsym;
	pr_info("mmcheck_inject: %d site(s) armed for comm %s\n", nsym, comm);
	return 0;
}

static void __exit mmcheck_inject_exit(void)
{
	int i;

	for (i = 0; i < registered; i++)
		unregister_kprobe(&kps[i]);
}

module_init(mmcheck_inject_init);
module_exit(mmcheck_inject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmcheck: fail one kernel function for one task on its Nth call (kprobe)");
