/**
 * Reshaping default scenarios from the command line. Each subsystem declares
 * its knobs (subsystems/<sub>/knobs.ts): a flag name, what it means there, its
 * range, and how it grows or shrinks a scenario. The checker and the CLI spell
 * no subsystem flag: `mmcheck check SUB --NAME N` works for every knob SUB
 * declares, and `mmcheck list` prints them.
 */
import type { Scenario, ScenarioOptions, ThreadScript } from './types.js';

export interface Knob<P = any> {
  /** The flag without dashes, e.g. 'threads', 'pool'. */
  readonly flag: string;
  /** What the value means in this subsystem, one line. */
  readonly doc: string;
  readonly min: number;
  readonly max: number;
  /** The unit of the value in range errors, e.g. 'backend pages'. */
  readonly unit?: string;
  /** Reshape (grow or shrink) a scenario; throw an Error with a one-line message when it cannot take `n`. */
  apply(s: Scenario<P>, n: number): Scenario<P>;
}

/** `v` if it is an integer in [min, max]; otherwise an Error naming the flag. */
export function flagInRange(flag: string, v: number, min: number, max: number, unit = ''): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${flag}: expected ${min}..${max}${unit ? ` ${unit}` : ''}, got ${v}`);
  return v;
}

/**
 * The thread scripts for `--threads N` and `--ops N`. Fewer threads drop the
 * last scripts; more repeat them (when `cycle` is set, else it is an error).
 * Fewer ops keep the first N slots of each thread; more repeat the thread's
 * slots from its start (the thread runs its script again).
 */
export function reshapeThreads(
  threads: readonly ThreadScript[],
  o: { readonly threads?: number | undefined; readonly ops?: number | undefined },
  limits: { readonly maxThreads: number; readonly maxOps: number; readonly cycle: boolean },
): ThreadScript[] {
  let out = [...threads];
  if (o.threads !== undefined) {
    const n = flagInRange('threads', o.threads, 1, limits.maxThreads);
    if (n > out.length && !limits.cycle)
      throw new Error(`--threads: this scenario has ${out.length} thread scripts; ${n} would need more`);
    out = Array.from({ length: n }, (_, i) => threads[i % threads.length]!);
  }
  if (o.ops !== undefined) {
    const n = flagInRange('ops', o.ops, 1, limits.maxOps);
    out = out.map((t) => Array.from({ length: n }, (_, i) => t[i % t.length]!));
  }
  return out;
}

/** `--threads N`: drop scripts, or add copies of them made by `clone(script, copy, scenario)` (default: as is). */
export function threadsKnob<P>(o: {
  readonly max: number;
  readonly doc?: string;
  readonly grow?: (base: Scenario<P>, n: number) => Scenario<P>;
}): Knob<P> {
  return {
    flag: 'threads',
    doc: o.doc ?? 'number of threads: fewer drop the last thread scripts, more repeat them',
    min: 1,
    max: o.max,
    apply: (s, n) => {
      if (n > s.threads.length && o.grow) return o.grow(s, n);
      return {
        ...s,
        threads: reshapeThreads(s.threads, { threads: n }, { maxThreads: o.max, maxOps: Infinity, cycle: true }),
      };
    },
  };
}

/** `--ops N`: operations per thread; more repeat each thread's script from its start. */
export function opsKnob<P>(max: number): Knob<P> {
  return {
    flag: 'ops',
    doc: "operations per thread: fewer keep the first N, more repeat the thread's script from its start",
    min: 1,
    max,
    apply: (s, n) => ({
      ...s,
      threads: reshapeThreads(s.threads, { ops: n }, { maxThreads: Infinity, maxOps: max, cycle: true }),
    }),
  };
}

/** A knob that sets one scenario parameter (validated by `set`, e.g. through the subsystem's parseParams). */
export function paramKnob<P>(
  flag: string,
  doc: string,
  min: number,
  max: number,
  set: (params: P, n: number) => P,
  unit?: string,
): Knob<P> {
  return { flag, doc, min, max, ...(unit ? { unit } : {}), apply: (s, n) => ({ ...s, params: set(s.params, n) }) };
}

/** Apply knob values to a scenario, in the order the subsystem declares its knobs. */
export function applyKnobs<P>(
  knobs: readonly Knob<P>[],
  s: Scenario<P>,
  values: Readonly<Record<string, number | undefined>>,
): Scenario<P> {
  for (const flag of Object.keys(values))
    if (values[flag] !== undefined && !knobs.some((k) => k.flag === flag))
      throw new Error(`--${flag} does not apply here (knobs: ${knobs.map((k) => `--${k.flag}`).join(', ') || 'none'})`);
  let out = s;
  for (const k of knobs) {
    const v = values[k.flag];
    if (v === undefined) continue;
    flagInRange(k.flag, v, k.min, k.max, k.unit);
    out = k.apply(out, v);
  }
  return out;
}

/**
 * The `customize(base, {threads: 3})` form of a knob list,
 * for code and tests written before knobs: camelCase keys name kebab-case flags.
 */
export function knobsCustomize<P>(
  knobs: readonly Knob<P>[],
): (base: Scenario<P>, opts: ScenarioOptions) => Scenario<P> {
  return (base, opts) => {
    const values: Record<string, number | undefined> = {};
    for (const [k, v] of Object.entries(opts)) values[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] = v;
    return applyKnobs(knobs, base, values);
  };
}
