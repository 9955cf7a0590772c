/**
 * Helpers for `Subsystem.customize`: the shared part of reshaping a default
 * scenario from `--threads/--ops/--pool/--file-size`, with one-line errors
 * naming the flag.
 */
import type { ScenarioOptions, ThreadScript } from './types.js';

/** `v` if it is an integer in [min, max]; otherwise an Error naming the flag (what `customize` throws). */
export function flagInRange(flag: string, v: number, min: number, max: number, unit = ''): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${flag}: expected ${min}..${max}${unit ? ` ${unit}` : ''}, got ${v}`);
  return v;
}

/**
 * The thread scripts for `--threads N` and `--ops N`: N threads (fewer drop the
 * last scripts; more cycle through them when `cycle` is set, else it is an
 * error) and the first N slots of each.
 */
export function reshapeThreads(
  threads: readonly ThreadScript[],
  o: Pick<ScenarioOptions, 'threads' | 'ops'>,
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
    out = out.map((t) => t.slice(0, n));
  }
  return out;
}
