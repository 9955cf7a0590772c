/**
 * How `mmcheck check hugetlb --FLAG N` reshapes the default scenarios.
 * More threads than a scenario has scripts: the extra threads repeat the
 * scripts on fresh VMA slots (a copy sharing its original's slots would only
 * see EBUSY), so params.vmas grows with them, within the model's limits.
 */
import { flagInRange, opsKnob, paramKnob, threadsKnob, type Knob } from '../../checker/reshape.js';
import type { OpChoice, Scenario, ThreadScript } from '../../checker/types.js';
import { LIMITS, type HugetlbParams as P } from '../../spec/hugetlb/params.js';
import { parseParams } from './params.js';

/** Arguments that name a VMA slot (subsystems/hugetlb/op-schemas.ts: v and fork's c). */
const VMA_ARGS = ['v', 'c'];

function shiftVmas(script: ThreadScript, by: number): ThreadScript {
  return script.map((slot) =>
    slot.map((c): OpChoice => {
      const args = { ...c.args };
      for (const k of VMA_ARGS) if (typeof args[k] === 'number') args[k] = (args[k] as number) + by;
      return { op: c.op, args };
    }),
  );
}

function growThreads(s: Scenario<P>, n: number): Scenario<P> {
  const base = s.threads.length;
  const copies = Math.ceil(n / base);
  const vmas = s.params.vmas * copies;
  if (vmas > LIMITS.maxVmas)
    throw new Error(
      `--threads ${n}: the extra threads need ${vmas} VMA slots (the copies run on fresh ones); the model has at most ${LIMITS.maxVmas}`,
    );
  const params = parseParams({ ...s.params, vmas });
  const threads = Array.from({ length: n }, (_, i) =>
    shiftVmas(s.threads[i % base]!, s.params.vmas * Math.floor(i / base)),
  );
  return { ...s, params, threads };
}

export const knobs: readonly Knob<P>[] = [
  threadsKnob<P>({
    max: 4,
    doc: 'threads: fewer drop the last scripts, more repeat them on fresh VMA slots',
    grow: growThreads,
  }),
  opsKnob<P>(8),
  paramKnob<P>('pool', 'persistent huge pages (nr_hugepages) at start', 0, LIMITS.maxPages, (p, n) =>
    parseParams({ ...p, pool: n }),
  ),
  paramKnob<P>('file-size', 'hugetlbfs file size in huge pages', 1, LIMITS.maxFileSize, (p, n) =>
    parseParams({ ...p, fileSize: flagInRange('file-size', n, 1, LIMITS.maxFileSize) }),
  ),
];
