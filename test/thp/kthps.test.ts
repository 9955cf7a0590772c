/**
 * params.thps: K tracked THPs (impl/thp-common/kthps.ts, spec/thp/kthps.ts, subsystems/thp/kthps.ts), both
 * implementations. thps 1 is the single-THP state itself; thps 2 is one record per THP sharing the mm locks.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import type { ImplDef } from '../../checker/types.js';
import { thpImpl, thpImplOne } from '../../impl/thp/index.js';
import { folioImpl, folioImplOne } from '../../impl/thp-folio/index.js';
import { FORK_STEPS } from '../../impl/thp/fork.js';
import { FORK_STEPS as FOLIO_FORK_STEPS } from '../../impl/thp-folio/fork.js';
import type { KState } from '../../impl/thp-common/kthps.js';
import { applyThp, initialThp, thpChoicesOf, type ThpView } from '../../spec/thp/machine.js';
import { applyK, choicesK, initialK } from '../../spec/thp/kthps.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { thpUnsupported } from '../../subsystems/thp/probe.js';
import { stepDriver } from './step-driver.js';

const base = { nr: 4, mms: 2, kind: 'anon', initial: 'pmd' } as const;

interface Rec {
  rmap_lock: number;
  mms: { pmd: string; mmap_lock: number; write_protect_seq: number }[];
}

describe('thp params.thps', () => {
  test('parses 1 to 4 (1 leaves the params as they were), refuses others and prior with more than one', () => {
    expect(parseParams(base)).not.toHaveProperty('thps');
    expect(parseParams({ ...base, thps: 1 })).not.toHaveProperty('thps');
    expect(parseParams({ ...base, thps: 2 }).thps).toBe(2);
    expect(() => parseParams({ ...base, thps: 5 })).toThrow(/thps must be an integer in \[1, 4\]/);
    expect(() => parseParams({ ...base, thps: 2, prior: 1 })).toThrow(/prior needs thps 1/);
  });

  test('the probe refuses a script with two THPs', () => {
    const params = parseParams({ ...base, thps: 2 });
    expect(thpUnsupported({ params, steps: [{ op: 'read', args: { mm: 0, sub: 0 } }] })).toMatch(/^thps 2:/);
  });

  test('thps 1 is the single-THP state: same schema, same initial state', () => {
    const p = parseParams(base);
    for (const [k, one] of [
      [thpImpl, thpImplOne],
      [folioImpl, folioImplOne],
    ] as const) {
      const s = k.state as (p: unknown) => unknown;
      expect(s(p)).toBe(one.state);
      expect(k.init(p)).toEqual(one.init(p));
    }
  });
});

for (const [name, impl, steps] of [
  ['compound', thpImpl, FORK_STEPS],
  ['folio', folioImpl, FOLIO_FORK_STEPS],
] as const) {
  describe(`thp params.thps 2 (${name})`, () => {
    const p = parseParams({ ...base, thps: 2 });
    const d = stepDriver(impl as unknown as ImplDef<KState<Rec>, typeof p>, p);

    test('fork copies both ranges under one mmap_write_lock and one write_protect_seq window', () => {
      const g = impl.init(p) as unknown as KState<Rec>;
      expect(g.thps).toHaveLength(2);
      const t = d.thread(0, 'fork', { src: 0, dst: 1 });
      /* THP 0 copied, THP 1 not yet: the locks are held and the seqcount odd in every record */
      expect(d.drive(g, 'fork', t, steps.copy)).toBeUndefined();
      expect(d.drive(g, 'fork', t, steps.check)).toBeUndefined();
      expect(t.l.kthp).toBe(1);
      expect(g.thps.map((r) => r.mms[1]!.pmd)).toEqual(['huge', 'none']);
      for (const r of g.thps) {
        expect(r.mms[0]!.mmap_lock).toBe(-1);
        expect(r.mms[1]!.mmap_lock).toBe(-1);
        expect(r.mms[0]!.write_protect_seq).toBe(1);
      }
      expect(d.drive(g, 'fork', t)).toBe('ok');
      expect(g.thps.map((r) => r.mms[1]!.pmd)).toEqual(['huge', 'huge']);
      for (const r of g.thps) {
        expect(r.mms[0]!.mmap_lock).toBe(0);
        expect(r.mms[0]!.write_protect_seq).toBe(2);
      }
    });

    test('fork into a child that maps one of the ranges fails EEXIST and changes nothing', () => {
      const g = impl.init(p) as unknown as KState<Rec>;
      g.thps[1]!.mms[1]!.pmd = 'zero';
      const before = JSON.stringify(g);
      expect(d.drive(g, 'fork', d.thread(0, 'fork', { src: 0, dst: 1 }))).toBe('EEXIST');
      expect(JSON.stringify(g)).toBe(before);
    });

    test('an op names one THP: the other record changes only in the shared fields', () => {
      const g = impl.init(p) as unknown as KState<Rec>;
      const other = JSON.stringify(g.thps[0]);
      const t = d.thread(1, 'split', { sub: 0, thp: 1 });
      expect(d.drive(g, 'split', t)).toBe('ok');
      expect(JSON.stringify(g.thps[0])).toBe(other);
      expect(g.thps[1]).not.toEqual(g.thps[0]);
      expect(d.drive(g, 'read', d.thread(1, 'read', { mm: 0, sub: 0, thp: 2 }))).toBe('EINVAL');
    });
  });
}

describe('thp spec, params.thps 2', () => {
  const p = parseParams({ ...base, thps: 2 });
  const one = (): ThpView => {
    const { ret: _r, ...v } = initialThp(p);
    return v;
  };

  test('fork forks every view with its own outcome; choices are their combinations', () => {
    const c = initialK(p, initialThp);
    const ch = choicesK('fork', { src: 0, dst: 1 }, c, thpChoicesOf);
    expect(ch).toContain('share|copy');
    expect(ch).toHaveLength(thpChoicesOf('fork', { src: 0, dst: 1 }, one())!.length ** 2);
    const next = applyK(c, { type: 'fork', src: 0, dst: 1, choice: 'share|copy' }, applyThp);
    expect(next.ret).toBe('ok');
    expect(next.kthps[0]!.pmd).toEqual([0, 1]);
    expect(next.kthps[1]!.pmd).toEqual([0]); /* the copy: the child maps private copies */
    expect(next.kthps[1]!.cow[1]!.every((x) => x >= 0)).toBe(true);
  });

  test('an op on one THP leaves the other view alone; a THP that does not exist is EINVAL', () => {
    const c = initialK(p, initialThp);
    const next = applyK(c, { type: 'wp_fault', mm: 0, sub: 1, val: 7, thp: 1 }, applyThp);
    expect(next.kthps[0]).toEqual(c.kthps[0]);
    expect(next.kthps[1]!.data[1]).toBe(7);
    expect(applyK(c, { type: 'read', mm: 0, sub: 0, thp: 3 }, applyThp).ret).toBe('EINVAL');
  });
});

describe('thp check, params.thps 2', () => {
  test('every registered thps-2 scenario passes, exhaustively, in both implementations', async () => {
    const { checkScenario } = await import('../../checker/check.js');
    const k2 = thp.scenarios.filter((s) => (s.params.thps ?? 1) > 1);
    expect(k2.length).toBeGreaterThan(0);
    for (const impl of [thp, selectImpl(thp, 'folio')])
      for (const s of k2) {
        const r = checkScenario(impl, s, { variant: null, timeLimitSeconds: 300 });
        expect(r.violation, `${s.name}`).toBeUndefined();
        expect(r.exhaustive).toBe(true);
      }
  }, 600_000);
});
