/**
 * hugepage_subpool_get_pages / _put_pages (impl/hugetlb/subpool.ts): the
 * kernel examples of Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Subpool
 * Reservations", and the spec's min_size promise that arithmetic must keep.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hugepageSubpoolGetPages, hugepageSubpoolPutPages } from '../../impl/hugetlb/ops.js';
import type { Spool } from '../../impl/hugetlb/state.js';

const sp = (max: number, min: number, used: number, rsv: number): Spool => ({ st: 1, max, min, used, rsv, lost: 0 });

describe('subpool arithmetic (mm/hugetlb.c hugepage_subpool_get_pages() @ v6.1)', () => {
  test('HR-9 / hugetlbfs_reserv.rst "Subpool Reservations": 3 subpool reserves, ask for 5, take 2 from the global pool', () => {
    const s = sp(-1, 3, 0, 3);
    expect(hugepageSubpoolGetPages(s, 5)).toBe(2);
    expect(s.rsv).toBe(0);
  });

  test('asking for no more than the subpool reserves needs no global reservation', () => {
    const s = sp(10, 3, 0, 3);
    expect(hugepageSubpoolGetPages(s, 2)).toBe(0);
    expect(s).toMatchObject({ used: 2, rsv: 1 });
  });

  test('size= limit: over the maximum fails without changing anything', () => {
    const s = sp(2, -1, 1, 0);
    expect(hugepageSubpoolGetPages(s, 2)).toBe(-1);
    expect(s).toMatchObject({ used: 1, rsv: 0 });
    expect(hugepageSubpoolGetPages(s, 1)).toBe(1);
    expect(s.used).toBe(2);
  });

  test('HR-9: min_size=2, two pages used, one freed: put returns 0 (keep the reservation)', () => {
    const s = sp(4, 2, 0, 2);
    expect(hugepageSubpoolGetPages(s, 1)).toBe(0);
    expect(hugepageSubpoolGetPages(s, 1)).toBe(0);
    expect(s).toMatchObject({ used: 2, rsv: 0 });
    expect(hugepageSubpoolPutPages(s, 1)).toBe(0);
    expect(s).toMatchObject({ used: 1, rsv: 1 });
  });

  test('put crossing min from above returns only the excess', () => {
    const s = sp(5, 2, 4, 0);
    // used 1 < min 2: rsv 0 + 3 > 2, so only the 1 page over min goes back to the global pool
    expect(hugepageSubpoolPutPages(s, 3)).toBe(1);
    expect(s).toMatchObject({ used: 1, rsv: 2 });
  });

  test('without size= used_hpages is never maintained', () => {
    const s = sp(-1, -1, 0, 0);
    expect(hugepageSubpoolGetPages(s, 3)).toBe(3);
    expect(hugepageSubpoolPutPages(s, 3)).toBe(3);
    expect(s.used).toBe(0);
  });

  test("the kernel's arithmetic keeps the spec's min_size promise on every input (size= mounts)", () => {
    // The spec states no arithmetic: usage + reserve >= min_size, reserve <= min_size, a charge
    // draws on the reserve first, and the reserve grows by at most what was given back.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        (min, extra, used, delta, get) => {
          const max = min + extra;
          fc.pre(used <= max && (get || delta <= used));
          const rsv = Math.max(0, min - used);
          const s = sp(max, min, used, rsv);
          const ret = get ? hugepageSubpoolGetPages(s, delta) : hugepageSubpoolPutPages(s, delta);
          if (get && ret < 0) {
            expect(used + delta).toBeGreaterThan(max);
            expect(s.used).toBe(used);
            return;
          }
          expect(s.used + s.rsv).toBeGreaterThanOrEqual(min);
          expect(s.rsv).toBeLessThanOrEqual(min);
          if (get) {
            expect(s.rsv).toBe(Math.max(0, rsv - delta));
            expect(ret).toBe(delta - (rsv - s.rsv));
          } else {
            expect(s.rsv).toBeGreaterThanOrEqual(rsv);
            expect(s.rsv).toBeLessThanOrEqual(Math.min(min, rsv + delta));
            expect(ret).toBe(delta - (s.rsv - rsv));
          }
        },
      ),
    );
  });

  test('alloc_huge_page failure path: get(1) then put(1) restores a canonical size=/min_size= subpool', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), (min, extra) => {
        const delta = 1;
        const max = min + extra;
        // canonical states: used + rsv == min while used < min, else rsv == 0 (larger deltas are
        // deliberately not restored: the subpool keeps the global pages under min, §1.2 I5)
        for (let used = 0; used <= max; used++) {
          const s = sp(max, min, used, Math.max(0, min - used));
          const before = { ...s };
          const g = hugepageSubpoolGetPages(s, delta);
          if (g < 0) {
            expect(s).toEqual(before);
            continue;
          }
          hugepageSubpoolPutPages(s, delta);
          expect(s).toEqual(before);
        }
      }),
    );
  });

  test('a larger get/put pair may leave more subpool reserves than before (conservative put)', () => {
    const s = sp(3, 2, 1, 1);
    expect(hugepageSubpoolGetPages(s, 2)).toBe(1);
    expect(hugepageSubpoolPutPages(s, 2)).toBe(0);
    expect(s).toMatchObject({ used: 1, rsv: 2 });
  });
});
