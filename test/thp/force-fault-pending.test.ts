/**
 * The THP spec's force_fault freedom (a FOLL_FORCE write faults its address
 * in before its data lands) belongs to an in-flight force_write only: it is
 * never an internal step of a quiescent state. Before, it was offered for
 * every empty subpage of every read-only mm, and `mprotect_ro(0); fork(0→1);
 * fork(1→2)` (nr 8, mms 3) closed over 2^24 spec states.
 */
import { describe, expect, test } from 'vitest';
import { checkHistory, type HistoryEvent } from '../../checker/linearizer.js';
import { SpecAdapter } from '../../checker/spec-adapter.js';
import { SpecWalker } from '../../checker/spec-walk.js';
import type { SpecDef } from '../../checker/types.js';
import { applyThp, initialThp, thpInternal, thpPendingInternal, thpView } from '../../spec/thp/machine.js';
import { thp } from '../../subsystems/thp/index.js';

const RO_FORKS: { op: string; args: Record<string, number> }[] = [
  { op: 'mprotect_ro', args: { mm: 0 } },
  { op: 'fork', args: { src: 0, dst: 1 } },
  { op: 'fork', args: { src: 1, dst: 2 } },
];

const spec = thp.spec as SpecDef<unknown, unknown>;

describe('thp spec: force_fault only while a force_write is in flight', () => {
  test('three read-only mms with nothing mapped offer no internal fault-in', () => {
    let c = initialThp({ nr: 8, mms: 3, kind: 'anon', initial: 'none' });
    for (const s of RO_FORKS) {
      c = applyThp(c, { type: s.op, ...s.args });
      expect(c.ret).toBe('ok');
    }
    expect(thpInternal(thpView(c))).toEqual([]);
    // the fault-in: a THP or a small page where the THP is free and no page table is (`pte`: no single VMA over the range)
    expect(thpPendingInternal(thpView(c), 'force_write', { mm: 2, sub: 5 })).toEqual([
      { type: 'force_fault', mm: 2, sub: 5 },
      { type: 'force_fault', mm: 2, sub: 5, pte: 1 },
    ]);
    expect(thpPendingInternal(thpView(c), 'read', { mm: 2, sub: 5 })).toEqual([]);
  });

  test('the sequential walk of the script stays one spec state per step', () => {
    const params = { nr: 4, mms: 3, kind: 'anon', initial: 'none' };
    const w = new SpecWalker(spec, params);
    let states = w.initial();
    for (const s of RO_FORKS) {
      const outs = w.outcomes(states, s.op, s.args);
      expect(outs.map((o) => o.ret)).toEqual(['ok']);
      states = w.close(outs.map((o) => o.next));
      expect(states).toHaveLength(1);
    }
    // the write's own fault-in is offered for that step: whichever way, it returns ok and mm 2 reads its data
    const outs = w.outcomes(states, 'force_write', { mm: 2, sub: 1, val: 4 });
    expect(outs.length).toBeGreaterThan(0);
    for (const o of outs) {
      expect(o.ret).toBe('ok');
      expect(w.outcomes(w.close([o.next]), 'read', { mm: 2, sub: 1 }).map((r) => r.ret)).toSatisfy(
        (rs: unknown[]) => rs.length > 0 && rs.every((r) => r === 4),
      );
    }
  });

  const inv = (tid: number, op: string, args: Record<string, number> = {}): HistoryEvent => ({
    kind: 'invoke',
    tid,
    op,
    args,
  });
  const ret = (tid: number, r: number | string): HistoryEvent => ({ kind: 'return', tid, ret: r });
  const adapter = () => new SpecAdapter(spec, { nr: 4, mms: 2, kind: 'anon', initial: 'none' });

  test.each([
    ['a read-only', [inv(0, 'mprotect_ro', { mm: 0 }), ret(0, 'ok')]],
    ['a writable', []],
  ])('on %s range, a read overlapping the write may see its fresh zeroed page', (_name, prefix) => {
    const overlapping = [
      ...prefix,
      inv(0, 'force_write', { mm: 0, sub: 1, val: 5 }),
      inv(1, 'read', { mm: 0, sub: 1 }),
      ret(1, 0),
      ret(0, 'ok'),
      inv(1, 'read', { mm: 0, sub: 1 }),
      ret(1, 5),
    ];
    expect(checkHistory(adapter(), 2, overlapping)).toBe(-1);
    // not before the write was issued: the address is unmapped then
    const before = [...prefix, inv(1, 'read', { mm: 0, sub: 1 }), ret(1, 0)];
    expect(checkHistory(adapter(), 2, before)).toBe(prefix.length + 1);
  });
});
