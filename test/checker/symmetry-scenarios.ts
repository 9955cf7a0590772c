/**
 * Scenarios with interchangeable threads for the symmetry tests, made from
 * the default scenarios (none of which has two identical threads): thread u
 * runs a copy of thread t's script (`copyThread`), or one more thread runs a
 * copy of thread t's (`addThread`: every execution of the original is one of
 * the new scenario with the added thread idle, so its violations stay reachable).
 */
import type { Scenario, Subsystem } from '../../checker/types.js';
import { allImpls } from '../../checker/impls.js';
import { registry } from '../../subsystems/index.js';

/** Every implementation of every subsystem (thp twice: compound and folio). */
export const IMPLS: readonly Subsystem[] = registry.flatMap((s) => allImpls(s));

export const label = (sub: Subsystem): string => sub.name + (sub.implName ? `:${sub.implName}` : '');

/** `s` with thread u running thread t's script (and minimum). */
export function copyThread(s: Scenario, t: number, u: number): Scenario {
  const threads = s.threads.map((x, i) => (i === u ? s.threads[t]! : x));
  const minOps = s.minOps?.map((m, i) => (i === u ? s.minOps![t] : m));
  return { ...s, name: `${s.name}[T${u}:=T${t}]`, threads, ...(minOps ? { minOps } : {}) };
}

/** `s` with one more thread, a copy of thread t. */
export function addThread(s: Scenario, t: number): Scenario {
  const threads = [...s.threads, s.threads[t]!];
  const minOps = s.minOps ? [...s.minOps, s.minOps[t]] : undefined;
  return { ...s, name: `${s.name}[+T${t}]`, threads, ...(minOps ? { minOps } : {}) };
}
