/**
 * Model checking: the correct implementation refines the spec exhaustively on
 * every default scenario; every buggy variant is found in the scenarios it
 * names; the HR-13 negative scenario is not reported; the documented
 * findings of the kernel-faithful model are still found.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { findings, hugetlb, parseParams, type HugetlbParams } from '../../subsystems/hugetlb/index.js';

describe('hugetlb model checking', () => {
  const nonTrivial = new Map<string, number>();

  for (const sc of hugetlb.scenarios) {
    test(`correct implementation passes ${sc.name} exhaustively`, () => {
      const r = checkScenario(hugetlb, sc, { variant: null, timeLimitSeconds: 110 });
      if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
      expect(r.stopReason).toBe('complete');
      expect(r.exhaustive).toBe(true);
      expect(r.states).toBeGreaterThan(10);
      for (const inv of r.invariants) nonTrivial.set(inv.name, (nonTrivial.get(inv.name) ?? 0) + inv.nonTrivial);
    });
  }

  test('every invariant is exercised by some default scenario', () => {
    expect(nonTrivial.size).toBe(hugetlb.invariants.length);
    for (const [name, n] of nonTrivial) expect(n, name).toBeGreaterThan(0);
  });

  test('the HR-13 negative scenario is a default scenario (so it is checked above)', () => {
    const sc = hugetlb.scenarios.find((s) => s.name === 'numa-no-guarantee');
    expect(sc?.params.numa).toBe(true);
  });

  test('HR-13 is not vacuous: a spec that promised reserved faults succeed would report the scenario', () => {
    const sc = hugetlb.scenarios.find((s) => s.name === 'numa-no-guarantee')!;
    const strictSpec = { ...hugetlb.spec!, input: (p: HugetlbParams) => ({ ...p, numa: false }) };
    const strict = { ...hugetlb, spec: strictSpec };
    const r = checkScenario(strict, sc, { variant: null });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toMatch(/fault.*SIGBUS/);
  });

  for (const v of hugetlb.variants) {
    test(`variant ${v.name} is found`, () => {
      expect(v.scenarios?.length).toBeGreaterThan(0);
      for (const name of v.scenarios!) {
        const sc = hugetlb.scenarios.find((s) => s.name === name);
        expect(sc, name).toBeDefined();
        const r = checkScenario(hugetlb, sc!, { variant: v.name, timeLimitSeconds: 110 });
        expect(r.violation, `${v.name} in ${name}`).toBeDefined();
        expect(r.violation!.trace.transitions.length).toBeGreaterThan(0);
      }
    });
  }

  for (const f of findings) {
    test(`finding still reproduced: ${f.name}`, () => {
      const r = checkScenario(hugetlb, f, { variant: null, timeLimitSeconds: 60 });
      expect(r.violation, f.name).toBeDefined();
      // the finding's declared result: one of the properties named in `expect` ("a / b")
      expect(f.expect.split(' / '), f.name).toContain(r.violation!.property);
    });
  }
});

describe('hugetlb: every sequence of operations agrees with the spec (one thread, all op orders)', () => {
  const o = (op: string, args: Record<string, number | string | boolean>) => ({ op, args });
  const menu = [
    o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
    o('mmap', { v: 1, kind: 'private', f: 0, from: 0, to: 2 }),
    o('mmap', { v: 0, kind: 'noreserve', f: 0, from: 1, to: 3 }),
    o('mmap', { v: 1, kind: 'private_noreserve', f: 0, from: 0, to: 1 }),
    o('fault', { v: 0, i: 0, write: true }),
    o('fault', { v: 0, i: 1, write: false }),
    o('fault', { v: 1, i: 1, write: true }),
    o('fault', { v: 2, i: 1, write: true }),
    o('uffd_copy', { v: 0, i: 1 }),
    o('uffd_register', { v: 0, mode: 'minor' }),
    o('uffd_continue', { v: 0, i: 1 }),
    o('munmap', { v: 0 }),
    o('munmap', { v: 1 }),
    o('truncate', { f: 0, size: 1 }),
    o('punch', { f: 0, from: 0, to: 1 }),
    o('fork', { v: 1, c: 2 }),
    o('set_nr', { n: 1 }),
    o('set_nr', { n: 3 }),
    o('set_overcommit', { n: 1 }),
  ];
  const cases: [
    string,
    object,
    (m: (typeof menu)[number]) => boolean,
    { budget: number; sites: string[] } | undefined,
  ][] = [
    [
      'default mount',
      { pool: 2, overcommit: 1, fileSize: 3, vmas: 3, mounts: [{ size: 4, min: -1, mounted: true }] },
      () => true,
      undefined,
    ],
    [
      // fork: finding-child-subpool-reserve; UFFDIO_COPY beyond EOF: finding-uffd-efault-min-size-entry
      'min_size mount (no fork, no UFFDIO_COPY)',
      { pool: 2, overcommit: 1, fileSize: 3, vmas: 3, mounts: [{ size: 3, min: 1, mounted: true }] },
      (m) => m.op !== 'fork' && m.op !== 'uffd_copy',
      undefined,
    ],
    [
      // UFFDIO_COPY beyond EOF frees its folio through restore_reserve_on_error without an injected
      // failure, so one injected kmalloc failure there reaches finding-shared-restore-double-failure
      'error injection (no surplus; UFFDIO_COPY in error-paths)',
      { pool: 2, overcommit: 0, fileSize: 3, vmas: 3, mounts: [{ size: 3, min: -1, mounted: true }], inject: true },
      (m) => m.op !== 'set_overcommit' && m.op !== 'set_nr' && m.op !== 'uffd_copy',
      {
        budget: 1,
        sites: ['add_to_page_cache', 'anon_vma_prepare', 'copy_from_user', 'region_chg_kmalloc', 'region_del_split'],
      },
    ],
  ];
  const lifetimeMenu = [
    o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
    o('mmap', { v: 1, kind: 'private', f: 0, from: 1, to: 3 }),
    o('fault', { v: 0, i: 1, write: true }),
    o('fault', { v: 1, i: 2, write: true }),
    o('munmap', { v: 0 }),
    o('munmap', { v: 1, from: 1, to: 2 }),
    o('munmap', { v: 1, from: 2, to: 3 }),
    o('fallocate', { f: 0, from: 0, to: 2 }),
    o('close', { f: 0 }),
    o('unlink', { f: 0 }),
    o('umount', { m: 0 }),
  ];
  test('lifetimes, ranges and fallocate on a min_size mount', () => {
    const params = parseParams({
      pool: 3,
      overcommit: 1,
      fileSize: 3,
      vmas: 2,
      mounts: [{ size: 4, min: 1, mounted: true }],
    });
    const sc = {
      name: 'lifetime menu',
      description: 'lifetime menu',
      params,
      threads: [[lifetimeMenu, lifetimeMenu, lifetimeMenu, lifetimeMenu, lifetimeMenu]],
    };
    const r = checkScenario(hugetlb, sc, { variant: null });
    if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBeGreaterThan(500);
    expect(r.invariants.find((i) => i.name === 'no-leak')?.nonTrivial).toBeGreaterThan(0);
  });
  for (const [name, raw, keep, faults] of cases) {
    test(name, () => {
      const alts = menu.filter(keep);
      const sc = { name, description: name, params: parseParams(raw), threads: [[alts, alts, alts, alts]], faults };
      const r = checkScenario(hugetlb, sc, { variant: null });
      if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
      expect(r.exhaustive).toBe(true);
      expect(r.states).toBeGreaterThan(500);
    });
  }
});
