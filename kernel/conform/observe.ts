/**
 * Observables as flat named numbers, the form a kernel probe reports them in
 * (KernelStepObservation.counters): a subsystem observer's record flattened
 * (arrays become `name[i]`, booleans 0/1; strings and nulls are not counters).
 */
import type { RetValue } from '../../checker/types.js';
import type { KernelStepObservation } from '../types.js';

export type Counters = Readonly<Record<string, number>>;

export function flattenCounters(rec: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: unknown): void => {
    if (typeof v === 'number') out[k] = v;
    else if (typeof v === 'boolean') out[k] = v ? 1 : 0;
    else if (Array.isArray(v)) v.forEach((x, i) => put(`${k}[${i}]`, x));
  };
  for (const [k, v] of Object.entries(rec)) if (k !== 'ret') put(k, v);
  return out;
}

/** The return value the kernel showed: a caught SIGBUS is the op's outcome. */
export function kernelRet(o: KernelStepObservation): RetValue {
  return o.sigbus ? 'SIGBUS' : o.ret;
}

/** Names of the counters both sides report whose values differ. */
export function counterDiff(a: Counters, b: Counters): string[] {
  return Object.keys(a).filter((k) => k in b && a[k] !== b[k]);
}

/**
 * Names of the counters that differ, a counter only one side reports
 * included: the kernel mapping's prediction names exactly what the probe
 * prints, so a missing one is a difference too (as in `mmcheck reproduce`).
 */
export function counterDiffAll(a: Counters, b: Counters): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return names.filter((k) => a[k] !== b[k]);
}

export const commonKeys = (a: Counters, b: Counters): string[] => Object.keys(a).filter((k) => k in b);
