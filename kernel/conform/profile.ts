/**
 * What `mmcheck conform` needs from a subsystem to generate scripts: one
 * fast-check arbitrary per user-level operation (kernel/conform/arbitraries/
 * <sub>/<op>.ts) and one for the scenario parameters, plus a small generation
 * model that keeps a script meaningful (a fault goes to a mapping that was
 * made, a fork copies a private mapping into a free slot).
 *
 * An op generator draws raw arguments (`draw`), then `resolve` turns them into
 * concrete arguments against the generation model, or drops the step when it
 * does not apply (nothing mapped yet). Because resolution happens after
 * drawing, fast-check's shrinking (dropping steps, smaller numbers) always
 * yields a valid script again, the way fc.commands() skips commands whose
 * check() fails.
 */
import type fc from 'fast-check';
import type { Script } from '../../checker/scenario-file.js';
import type { Args } from '../../checker/types.js';
import type { KernelStepObservation } from '../types.js';

export interface OpGen<P, M> {
  /** The operation's name in the script language. */
  readonly op: string;
  /** Relative frequency among the subsystem's ops (default 1). */
  readonly weight?: number;
  /**
   * A device the op opens, which a kernel has only when `config` is built in (kernel/kconfig.ts), or
   * built as `module` when the probe can load that module (kernel/modules.ts, ResolvedKernel.modules):
   * conform does not generate the op for a kernel that lacks it, and says so. `alsoBuiltin`: options the
   * op needs built in besides (CONFIG_SWAP for a swap device).
   */
  readonly needs?: {
    readonly config: string;
    readonly device: string;
    readonly module?: string;
    readonly alsoBuiltin?: readonly string[];
  };
  /**
   * The implementations that model the op (Subsystem.implName / ImplChoice.name), when not all do:
   * conform does not generate it for a kernel compared with another one, and says so.
   */
  readonly models?: readonly string[];
  /** Raw, unresolved arguments (independent of the parameters, so the two shrink independently). */
  draw(): fc.Arbitrary<Record<string, number | boolean | string>>;
  /** Concrete arguments in the current generation model, or undefined to drop the step. */
  resolve(m: Readonly<M>, raw: Readonly<Record<string, number | boolean | string>>, p: P): Args | undefined;
  /**
   * When `resolve` finds nothing to apply to: the steps of other ops (in order) that make this op
   * applicable (a pin's MAP_SHARED mapping), from the same raw arguments; undefined to drop the
   * step as usual. Biases generation towards ops that need a state few scripts reach by chance.
   */
  setup?(
    m: Readonly<M>,
    raw: Readonly<Record<string, number | boolean | string>>,
    p: P,
  ): { op: string; args: Args }[] | undefined;
  /** Update the generation model as if the step succeeded. */
  apply(m: M, args: Args, p: P): void;
}

export interface ConformProfile<P = any, M = any> {
  readonly subsystem: string;
  /** Raw scenario parameters (as a script file holds them); the subsystem's parseParams validates them. */
  params(): fc.Arbitrary<Record<string, unknown>>;
  readonly ops: readonly OpGen<P, M>[];
  /** A fresh generation model for parameters `p`. */
  model(p: P): M;
  /**
   * Implementation operations that userspace cannot drive (or that the kernel at hand
   * cannot run: profileForKernel) and that conform therefore never generates, with the
   * reason (printed in the coverage summary).
   */
  readonly internalOps: Readonly<Record<string, string>>;
  /**
   * What generation leaves out of the ops it does generate (argument values,
   * parameter values, states), each with the reason; printed in the coverage
   * summary so a user sees what a run cannot have exercised.
   */
  readonly restrictions?: readonly string[];
  /**
   * Named events a kernel step shows (surplus pages, COW, split, ...), for the
   * coverage summary; `prev` is the previous step's observation.
   */
  events?(
    script: Script,
    step: number,
    obs: KernelStepObservation,
    prev: KernelStepObservation | undefined,
  ): readonly string[];
  /** Events a run of the default size should show; the summary lists those it never saw. */
  readonly expectedEvents?: readonly string[];
}
