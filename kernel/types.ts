/**
 * The real-kernel loop: the contract between the parts that boot a kernel
 * (kernel/runner, kernel/probe) and the parts that decide what to run and how
 * to judge it (reproduce, conform, shrink).
 *
 * A script is the same sequential op list `mmcheck run --script` takes. A
 * subsystem that can be driven from userspace provides a `KernelMapping`
 * (subsystems/<sub>/probe.ts): how each op becomes C in the probe and how a
 * kernel observation compares with the implementation's prediction.
 */
import type { Script } from '../checker/scenario-file.js';
import type { Args, RetValue, Subsystem } from '../checker/types.js';
import type { KernelConfig } from './kconfig.js';
import type { Injection, KernelInjectSite } from './inject.js';

/**
 * A script as the kernel runs it. With `concurrency`, its steps are not run
 * one after another: model thread threadOf[k] runs step k on a real thread,
 * after the steps after[k] finished (what the counterexample finished before
 * step k began), racing everything else.
 */
export interface KernelScript extends Script {
  readonly concurrency?: { readonly threadOf: readonly number[]; readonly after: readonly (readonly number[])[] };
  /** Failures to inject (kernel/inject.ts): the probe loads kernel/inject/mmcheck_inject.ko around those steps. */
  readonly injections?: readonly Injection[];
}

/** A kernel as the user names it: `6.1`, `6.12` (newest Debian package) or a bzImage path. */
export interface ResolvedKernel {
  /** What the user asked for, e.g. `6.1` or `/path/bzImage`. */
  readonly request: string;
  /** Full release string the kernel reports (`uname -r`) once known, else the package's. */
  readonly release: string;
  /** The implementation behaviour to compare against: a key of the subsystem's kernel versions ('' if none). */
  readonly modelVersion: string;
  /** The implementation compared against (Subsystem.implName), when the subsystem has several. */
  readonly modelImpl?: string;
  /** How implementation and version were chosen (kernel/model-choice.ts), for reports. */
  readonly modelHow?: string;
  /** Path of the kernel image on this machine. */
  readonly image: string;
  /** The Debian package it came from, when it came from one. */
  readonly debianPackage?: string;
  /** Its kernel configuration, when known (the package's, or the build tree's): kernel/kconfig.ts. */
  readonly config?: KernelConfig;
  /** Module files the probe may load (kernel/modules.ts), by module name: extracted from the package or the build tree. */
  readonly modules?: Readonly<Record<string, string>>;
}

/** What the kernel did at one step of a script. */
export interface KernelStepObservation {
  readonly step: number;
  /** Return value in the implementation's encoding (0, a count, or an errno name such as 'ENOMEM'). */
  readonly ret: number | string | boolean | null;
  /** True when the step raised SIGBUS (caught by the probe). */
  readonly sigbus: boolean;
  /** Named counters read after the step (HugePages_Rsvd, subpool usage, kpagecount of a page, ...). */
  readonly counters: Readonly<Record<string, number>>;
}

export type KernelScriptResult =
  | {
      readonly kind: 'ran';
      readonly steps: readonly KernelStepObservation[];
      readonly poolRestored: boolean;
      /** Counters after the probe's restore between scripts (what outlived the script), when printed. */
      readonly after?: Readonly<Record<string, number>>;
      /** A concurrent script's counters once every thread finished (the race's outcome). */
      readonly final?: Readonly<Record<string, number>>;
      /** What the probe noted without stopping the script (kernel/serial.ts NOTE lines). */
      readonly notes?: readonly string[];
    }
  | { readonly kind: 'error'; readonly detail: string };

export type KernelBatchOutcome =
  | { readonly kind: 'ran'; readonly results: readonly KernelScriptResult[]; readonly seconds: number }
  | { readonly kind: 'boot-failed' | 'timeout'; readonly detail: string; readonly log: string };

/** Runs many scripts in one boot, each in its own mount and child process. */
export interface KernelBatchRunner {
  readonly kernel: ResolvedKernel;
  runBatch(subsystem: string, scripts: readonly KernelScript[]): Promise<KernelBatchOutcome>;
}

/**
 * How one subsystem's scripts become C and how the kernel's answer is judged
 * (subsystems/<sub>/probe.ts). The generic compiler (kernel/compile.ts)
 * calls these; C text returned here may use the runtime in kernel/probe/runtime.c
 * (emit, meminfo, touch, task_fork, run_in, obs_add, errname, write_long).
 */
/** A known finding's name, or why no known finding explains a disagreement (KernelMapping.explain). */
export type Explanation = string | { readonly notExplained: string };

export interface KernelMapping<P = unknown> {
  readonly subsystem: string;
  /** C helpers shared by every script of this subsystem (after the runtime). */
  readonly cHelpers: string;
  /** Kernel command-line words the scripts need (e.g. transparent_hugepage=never). */
  cmdline(scripts: readonly Script[]): readonly string[];
  /**
   * The known finding (a finding scenario's name) that explains a disagreement at `step` where the
   * kernel and the implementation agree against the spec, from the implementation's run of the
   * script; undefined when none does, or `notExplained` with what is known (a known finding at an
   * earlier step): conform then reports it as unexplained.
   */
  explain?(
    script: Script,
    step: number,
    run: {
      readonly initial: unknown;
      readonly steps: readonly { readonly ret: RetValue; readonly impl: unknown; readonly invariant?: string }[];
    },
  ): Explanation | undefined;
  /** NUMA nodes the VM needs for these scripts (default 1; THP migrate needs a second node to move to). */
  numaNodes?(scripts: readonly Script[]): number;
  /**
   * A script runs only on a VM with exactly numaNodes([script]) nodes: the runner boots once per node count
   * (hugetlb: a one-node script's pool must not spread over a second node). Default: the batch's count for all.
   */
  readonly exactNodes?: boolean;
  /**
   * MiB of hotpluggable memory per NUMA node these scripts need (default 0: none; kernel/qemu.ts hotplugArgs):
   * memory offline (hugetlb dissolve) needs blocks with nothing unmovable in them.
   */
  hotplugMiB?(scripts: readonly Script[]): number;
  /**
   * The script needs a swap device (a RAM disk, kernel/modules.ts): the probe turns swap on before its setup
   * and off after its restore; a boot without such a script has no swap at all.
   */
  needsSwap?(script: Script): boolean;
  /** Why this script cannot be run on a kernel, or undefined. */
  unsupported?(script: KernelScript): string | undefined;
  /**
   * The kernel function that fails for the implementation's fault site `site` on a kernel of `release`
   * (kernel/inject.ts), or why that site cannot be failed there.
   */
  injectSite?(site: string, release: string): KernelInjectSite | string;
  /** C statements run first in a script's process: pool, mounts, files. `i` is the script index. */
  setup(params: P, i: number): string;
  /**
   * C statements of one step: must set `const char *ret` (an errno name, 'ok', 'SIGBUS', ...)
   * and `int bus` (1 when the access raised SIGBUS).
   */
  step(op: string, args: Args, params: P): string;
  /** C expression: the task (process) index that runs this step; '0' for the script's main process. */
  task(op: string, args: Args): string;
  /** C statement after each step: fill the observation (obs_reset/obs_add). */
  readonly observe: string;
  /** C statements of the restore function of script `i` (probe process; return 1 when the pool is clean). */
  restore(params: P, i: number): string;
  /**
   * The counters the implementation predicts after a step (same names as the probe prints). `sub` is the
   * implementation that produced the state (Subsystem.impls: its own abstraction reads it).
   */
  predict(implState: unknown, params: P, sub?: Subsystem): Record<string, number>;
  /**
   * The implementation's return value in the probe's encoding. `op` is the
   * operation that returned it: a mapping may merge values userspace cannot
   * tell apart for that op.
   */
  retOf(ret: RetValue, op?: string): string;
  /** A one-paragraph description of how the op language maps onto system calls (for reproducers). */
  readonly describe: string;
}
