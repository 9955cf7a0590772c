/**
 * The context a Product hands to implementation steps (ThreadCtx): the
 * thread's args and locals, the choice odometer that enumerates choose()
 * outcomes, fault injection within the scenario's budget, and assume().
 */
import type { Args, ThreadCtx } from './types.js';

/** Thrown by assume(): the path broke a caller's contract and is pruned, not reported as a bug. */
export class Pruned extends Error {
  constructor(readonly text: string) {
    super(`assume() failed: ${text}`);
  }
}

export const NO_SITES: readonly string[] = Object.freeze([]);

/** Per-run thread context handed to steps. */
export class Ctx implements ThreadCtx<unknown> {
  tid = 0;
  args: Args = {};
  l: Record<string, number> = {};
  params: unknown;
  variant: string | null;
  // choice enumeration: an odometer over the choice points met during one run
  script = new Int32Array(64);
  arity = new Int32Array(64);
  /** Choice points fixed by the odometer (a prefix of the run's choice sequence). */
  depth = 0;
  /** Choice points met so far in the current run. */
  cpos = 0;
  injected: string[] = NO_SITES as string[];
  faultsLeft = 0;
  sites: ReadonlySet<string>;
  /** Fixes the modelled kernel version lacks: their variants' behaviour is on (KernelVersion.lacks). */
  lacks: ReadonlySet<string> = new Set();
  constructor(params: unknown, variant: string | null, sites: ReadonlySet<string>) {
    this.params = params;
    this.variant = variant;
    this.sites = sites;
  }
  bug(name: string): boolean {
    return this.variant === name || this.lacks.has(name);
  }
  choose(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`choose(${n}): need a positive integer`);
    if (n === 1) return 0;
    const i = this.cpos++;
    if (i < this.depth) {
      if (this.arity[i] !== n)
        throw new Error(
          `nondeterministic step: choice point ${i} offered ${this.arity[i]} outcomes, now ${n} (steps must be deterministic given the state and choices)`,
        );
      return this.script[i]!;
    }
    if (i >= this.script.length) throw new Error('more than 64 choice points in one step');
    this.script[i] = 0;
    this.arity[i] = n;
    this.depth = i + 1;
    return 0;
  }
  /** Listed fault sites some step asked about (with or without budget left). */
  readonly reached = new Set<string>();
  /** inject() calls so far (a step declared thread-local must make none: ../por.ts). */
  injectCalls = 0;
  inject(site: string): boolean {
    this.injectCalls++;
    if (!this.sites.has(site)) return false;
    this.reached.add(site);
    if (this.faultsLeft <= 0) return false;
    if (this.choose(2) === 1) {
      this.faultsLeft--;
      if (this.injected === NO_SITES) this.injected = [];
      this.injected.push(site);
      return true;
    }
    return false;
  }
  assume(cond: boolean, precondition: string): void {
    if (!cond) throw new Pruned(precondition);
  }
  /** Start enumerating the choice sequences of a new step. */
  resetScript(): void {
    this.depth = 0;
  }
  /** Advance the odometer; false when every choice sequence was run. */
  nextScript(): boolean {
    let j = this.cpos - 1;
    while (j >= 0 && this.script[j]! >= this.arity[j]! - 1) j--;
    if (j < 0) return false;
    this.script[j]!++;
    this.depth = j + 1;
    return true;
  }
  /** The choices made in the current run. */
  choices(): number[] {
    return Array.from(this.script.subarray(0, this.cpos));
  }
}
