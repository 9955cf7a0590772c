/**
 * resv_map region operations against a naive set-of-indices model, including
 * the two-phase region_chg -> region_add / region_abort protocol with
 * adds_in_progress and region_cache_count accounting (mm/hugetlb.c region_chg() / region_add() @ v6.1).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  countGaps,
  covers,
  coveredSet,
  delNeedsSplit,
  insertRange,
  regionAbort,
  regionAdd,
  regionChgCommit,
  regionChgCount,
  regionCount,
  regionDel,
  regionsWellFormed,
  type ResvMap,
} from '../../impl/hugetlb/regions.js';

const K = 10;
const rangeArb = fc.tuple(fc.integer({ min: 0, max: K - 1 }), fc.integer({ min: 1, max: K })).map(([a, b]) => {
  const f = Math.min(a, b - 1);
  const t = Math.max(b, f + 1);
  return [f, t] as const;
});
const setArb = fc.uniqueArray(fc.integer({ min: 0, max: K - 1 }), { maxLength: K });

function fromSet(s: readonly number[]): number[] {
  let reg: number[] = [];
  for (const i of s) reg = insertRange(reg, i, i + 1);
  return reg;
}
const inRange = (f: number, t: number) => Array.from({ length: t - f }, (_, k) => f + k);
/** Number of maximal runs of [f,t) not in s (regions_needed). */
function gapsOf(s: Set<number>, f: number, t: number): number {
  let n = 0;
  for (let i = f; i < t; i++) if (!s.has(i) && (i === f || s.has(i - 1))) n++;
  return n;
}

describe('file_region list vs a set model', () => {
  test('insertRange builds a coalesced list covering exactly the union', () => {
    fc.assert(
      fc.property(setArb, rangeArb, (s, [f, t]) => {
        const reg = insertRange(fromSet(s), f, t);
        expect(regionsWellFormed(reg)).toBeNull();
        const want = [...new Set([...s, ...inRange(f, t)])].sort((a, b) => a - b);
        expect(coveredSet(reg)).toEqual(want);
      }),
    );
  });

  test('countGaps = pages of [f,t) not covered and the number of uncovered runs', () => {
    fc.assert(
      fc.property(setArb, rangeArb, (s, [f, t]) => {
        const set = new Set(s);
        const { chg, needed } = countGaps(fromSet(s), f, t);
        expect(chg).toBe(inRange(f, t).filter((i) => !set.has(i)).length);
        expect(needed).toBe(gapsOf(set, f, t));
      }),
    );
  });

  test('region_count and covers agree with membership', () => {
    fc.assert(
      fc.property(setArb, rangeArb, (s, [f, t]) => {
        const set = new Set(s);
        const reg = fromSet(s);
        expect(regionCount(reg, f, t)).toBe(inRange(f, t).filter((i) => set.has(i)).length);
        for (let i = 0; i < K; i++) expect(covers(reg, i)).toBe(set.has(i));
      }),
    );
  });

  test('region_del removes exactly [f,t), returns the pages removed, splits only with a descriptor', () => {
    fc.assert(
      fc.property(
        setArb,
        rangeArb,
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        (s, [f, t], cache, adds) => {
          const set = new Set(s);
          const m: ResvMap = { reg: fromSet(s), adds, cache: cache + adds };
          const split = delNeedsSplit(m.reg, f, t);
          const before = { ...m };
          const r = regionDel(m, f, t, false);
          if (split && before.cache <= before.adds) {
            expect(r).toBe(-1);
            expect(m).toEqual(before); // nothing changed: the caller kmallocs and retries
            return;
          }
          expect(r).toBe(inRange(f, t).filter((i) => set.has(i)).length);
          expect(coveredSet(m.reg)).toEqual([...set].filter((i) => i < f || i >= t).sort((a, b) => a - b));
          expect(regionsWellFormed(m.reg)).toBeNull();
          expect(m.cache).toBe(before.cache - (split ? 1 : 0)); // a split takes a cached descriptor
          expect(m.cache).toBeGreaterThanOrEqual(m.adds);
        },
      ),
    );
  });
});

/** One command of a random two-phase protocol run. */
type Cmd =
  | { k: 'chg'; f: number; t: number }
  | { k: 'add'; which: number }
  | { k: 'abort'; which: number }
  | { k: 'del'; f: number; t: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  rangeArb.map(([f, t]) => ({ k: 'chg' as const, f, t })),
  fc.nat(5).map((which) => ({ k: 'add' as const, which })),
  fc.nat(5).map((which) => ({ k: 'abort' as const, which })),
  rangeArb.map(([f, t]) => ({ k: 'del' as const, f, t })),
);

describe('region_chg / region_add / region_abort protocol', () => {
  test('adds_in_progress and region_cache_count stay consistent; add returns the pages it added', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 30 }), (cmds) => {
        const m: ResvMap = { reg: [], adds: 0, cache: 1 }; // resv_map_alloc caches one descriptor
        const model = new Set<number>();
        const pending: { f: number; t: number; needed: number; chg: number }[] = [];
        for (const c of cmds) {
          if (c.k === 'chg') {
            const { chg, needed, missing } = regionChgCount(m, c.f, c.t);
            expect(chg).toBe(inRange(c.f, c.t).filter((i) => !model.has(i)).length);
            expect(needed).toBe(Math.max(1, gapsOf(model, c.f, c.t)));
            // allocate_file_region_entries: until cache >= adds + needed
            if (missing > 0) m.cache += missing;
            expect(m.cache).toBeGreaterThanOrEqual(m.adds + needed);
            regionChgCommit(m, needed);
            pending.push({ f: c.f, t: c.t, needed, chg });
          } else if (c.k === 'add' || c.k === 'abort') {
            if (pending.length === 0) continue;
            const p = pending.splice(c.which % pending.length, 1)[0]!;
            if (c.k === 'abort') {
              regionAbort(m, p.needed);
              continue;
            }
            const expected = inRange(p.f, p.t).filter((i) => !model.has(i)).length;
            let add = regionAdd(m, p.f, p.t, p.needed);
            if (add < 0) {
              // the map changed since region_chg and needs more descriptors: only for ranges > 1
              expect(p.t - p.f).toBeGreaterThan(1);
              m.cache += -add;
              add = regionAdd(m, p.f, p.t, p.needed);
            }
            expect(add).toBe(expected);
            expect(add).toBeLessThanOrEqual(p.chg + (p.t - p.f)); // never more than the range
            for (const i of inRange(p.f, p.t)) model.add(i);
          } else {
            const r = regionDel(m, c.f, c.t, true);
            expect(r).toBe(inRange(c.f, c.t).filter((i) => model.has(i)).length);
            for (const i of inRange(c.f, c.t)) model.delete(i);
          }
          expect(regionsWellFormed(m.reg)).toBeNull();
          expect(coveredSet(m.reg)).toEqual([...model].sort((a, b) => a - b));
          expect(m.cache).toBeGreaterThanOrEqual(m.adds);
          expect(m.adds).toBe(pending.reduce((n, p) => n + p.needed, 0));
        }
        for (const p of pending.splice(0)) regionAbort(m, p.needed);
        expect(m.adds).toBe(0); // resv_map_release: VM_BUG_ON(adds_in_progress)
      }),
      { numRuns: 300 },
    );
  });

  test('a one-page region_add after its region_chg never needs a new descriptor, whatever ran in between', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 0, max: K - 1 }), fc.array(cmdArb, { maxLength: 10 }), (s, i, noise) => {
        const m: ResvMap = { reg: fromSet(s), adds: 0, cache: 0 };
        const { needed, missing } = regionChgCount(m, i, i + 1);
        m.cache += missing;
        regionChgCommit(m, needed);
        // other users: full chg/add cycles and deletions
        for (const c of noise) {
          if (c.k === 'chg') {
            const r = regionChgCount(m, c.f, c.t);
            m.cache += r.missing;
            regionChgCommit(m, r.needed);
            let a = regionAdd(m, c.f, c.t, r.needed);
            if (a < 0) {
              m.cache += -a;
              a = regionAdd(m, c.f, c.t, r.needed);
            }
          } else if (c.k === 'del') regionDel(m, c.f, c.t, true);
        }
        expect(regionAdd(m, i, i + 1, needed)).toBeGreaterThanOrEqual(0);
        expect(m.adds).toBe(0);
      }),
    );
  });
});
