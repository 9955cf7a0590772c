/**
 * Coverage events of a hugetlb step as the kernel showed it (the counters are
 * /proc/meminfo's HugePages_* as the probe reports them).
 */
import type { Script } from '../../../../checker/scenario-file.js';
import type { KernelStepObservation } from '../../../types.js';
import { kernelRet } from '../../observe.js';

/** Slots that took part in a fork before `step`: a write fault there is a COW candidate. */
function forkedBefore(script: Script, step: number): Set<number> {
  const out = new Set<number>();
  for (const s of script.steps.slice(0, step))
    if (s.op === 'fork') {
      out.add(Number(s.args.v));
      out.add(Number(s.args.c));
    } else if (s.op === 'munmap' || s.op === 'mmap') out.delete(Number(s.args.v));
  return out;
}

export function hugetlbEvents(
  script: Script,
  step: number,
  obs: KernelStepObservation,
  prev: KernelStepObservation | undefined,
): string[] {
  const st = script.steps[step]!;
  const ret = kernelRet(obs);
  const c = obs.counters;
  const out: string[] = [];
  if (typeof ret === 'string' && ret !== 'ok') out.push(ret);
  if ((c.HugePages_Surp ?? 0) > 0) out.push('surplus');
  const rsvdBefore = prev?.counters.HugePages_Rsvd;
  if (st.op === 'fault' && ret === 'ok') {
    if (rsvdBefore !== undefined && (c.HugePages_Rsvd ?? rsvdBefore) < rsvdBefore) out.push('reservation consumed');
    if (st.args.write === true && forkedBefore(script, step).has(Number(st.args.v))) out.push('COW');
  }
  if (st.op === 'mmap' && ret === 'ok' && rsvdBefore !== undefined && (c.HugePages_Rsvd ?? 0) > rsvdBefore)
    out.push('reservation taken');
  if (st.op === 'mount' && ret === 'ok' && Number(st.args.min) > 0) out.push('min_size mount');
  if (st.op === 'set_nr' && ret === 'ok' && prev && (c.HugePages_Total ?? 0) < (prev.counters.HugePages_Total ?? 0))
    out.push('pool shrink');
  if (st.op === 'dissolve' && prev) {
    // how many huge pages the offline took out of the pool: the whole block, or part of it before EBUSY
    const gone = (prev.counters.HugePages_Total ?? 0) - (c.HugePages_Total ?? 0);
    if (ret === 'ok' && gone > 1) out.push('offline of several pages');
    if (ret === 'ok' && gone === 1) out.push('offline of one page');
    if (ret === 'EBUSY' && gone > 0) out.push('offline failed part way');
  }
  if (
    (st.op === 'punch' || st.op === 'truncate') &&
    prev &&
    (c.HugePages_Free ?? 0) > (prev.counters.HugePages_Free ?? 0)
  )
    out.push(`${st.op} freed pages`);
  return out;
}
