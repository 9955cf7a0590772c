/**
 * THP migration (op `migrate`, move_pages of the range): the spec lets a
 * THP move only when nobody pins or references it and changes nothing a user
 * sees; both implementations pass the migration scenarios; the GUP race
 * 688272809fcc (compound) and the deferred-split walk meeting another THP's
 * PMD migration entry be6e843fc51a (folio) are caught where they say.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { applyThp, initialThp, type ThpContext } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

const send = (c: ThpContext, type: string, args: Record<string, unknown> = {}) => applyThp(c, { type, ...args });
const scenario = (name: string) => thp.scenarios.find((s) => s.name === name)!;

describe('spec: migrate', () => {
  test('moves an unpinned THP without any visible change; a pinned one only fails', () => {
    const c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'pmd' });
    const moved = send(c, 'migrate', { mm: 0, choice: 'ok' });
    expect(moved.ret).toBe('ok');
    expect({ ...moved, ret: undefined }).toEqual({ ...c, ret: undefined });
    const pinned = send(c, 'pin', { mm: 0, sub: 1 });
    expect(send(pinned, 'migrate', { mm: 0, choice: 'ok' }).ret).toBeUndefined();
    expect(send(pinned, 'migrate', { mm: 0, choice: 'EAGAIN' }).ret).toBe('EAGAIN');
    expect(send(c, 'migrate', { mm: 1 }).ret).toBe('none'); // mm 1 maps nothing
    const file = initialThp({ nr: 4, mms: 1, kind: 'file', initial: 'pmd' });
    expect(send(file, 'migrate', { mm: 0 }).ret).toBe('ok'); // a file THP in the page cache moves too
  });
});

describe('migrate of a partially mapped THP (munmap(mm=0, from=0, to=1); migrate(mm=0))', () => {
  const script: Script = {
    params: parseParams({ kind: 'anon', initial: 'pmd' }),
    steps: [
      { op: 'munmap', args: { mm: 0, from: 0, to: 1 } },
      { op: 'migrate', args: { mm: 0 } },
      { op: 'migrate', args: { mm: 0 } },
      { op: 'read', args: { mm: 0, sub: 2 } },
    ],
  };

  test('folio (6.12): migrate_pages_batch splits the queued, partially mapped folio and migrates its small folios', () => {
    const obs = runScript(selectImpl(thp, 'folio'), script, null);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 0]);
    const after = obs[1]!.impl;
    expect(after._entire_mapcount).toBeNull(); // no longer a large folio
    expect(after.deferred).toBe('no');
    expect(after.refcount).toEqual([0, 1, 1, 1]); // page 0 (unmapped) freed; the others mapped once, no list reference left
  });

  test('compound (6.1): migrate_pages has no such split, the queued THP migrates whole', () => {
    const obs = runScript(thp, script, null);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 0]);
    expect(obs[1]!.spec?.queued).toBe(false); // the new THP is not on the deferred split queue
  });

  test('spec: a migration may split an unpinned anon THP, never a pinned one; after the split it moves small pages', () => {
    const c = send(initialThp({ nr: 4, mms: 1, kind: 'anon', initial: 'pmd' }), 'munmap', { mm: 0, from: 0, to: 1 });
    const split = send(c, 'migrate', { mm: 0, choice: 'split' });
    expect(split.ret).toBe('ok');
    expect(split.compound).toBe(false);
    expect(split.data).toEqual(c.data);
    expect(split.pte).toEqual(c.pte);
    const pinned = send(c, 'pin', { mm: 0, sub: 2 });
    expect(send(pinned, 'migrate', { mm: 0, choice: 'split' }).ret).toBeUndefined();
    const small = send(split, 'migrate', { mm: 0, choice: 'ok' });
    expect(small.ret).toBe('ok');
    expect(send(send(split, 'pin', { mm: 0, sub: 1 }), 'migrate', { mm: 0, choice: 'ok' }).ret).toBeUndefined();
  });
});

describe('two migrates of a PTE-mapped THP (conform thp --kernel 6.12 --seed 20261212, 6.12.118)', () => {
  // a2e0c0668a34 (6.12.y): try_to_migrate() of a PTE-mapped folio queues it partially mapped, migrate_folio_move()
  // requeues the new folio so, and the next migrate_pages_batch() splits it first: 6.12.118 left small folios
  const run = (initial: string, first: Script['steps'][number]) =>
    runScript(
      selectImpl(thp, 'folio'),
      {
        params: parseParams({ kind: 'anon', initial }),
        steps: [first, { op: 'migrate', args: { mm: 0 } }, { op: 'migrate', args: { mm: 0 } }],
      },
      null,
    );

  test('mremap(mm=0, aligned=0): the first migrate keeps the folio large and queued, the second splits it', () => {
    const obs = run('pmd', { op: 'mremap', args: { mm: 0, aligned: 0 } });
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok']);
    expect(obs[1]!.impl._entire_mapcount).not.toBeNull();
    expect(obs[1]!.impl.deferred).toBe('queued (partially mapped)');
    expect(obs[2]!.impl._entire_mapcount).toBeNull(); // small folios, as the kernel showed
    expect(obs[2]!.impl.deferred).toBe('no');
  });
});

describe('the rmap walk follows the anon_vma interval tree (conform thp --kernel 6.12 --seed 20261213, 6.12.118)', () => {
  // munmap(mm 0, 0..1) re-inserts mm 0's VMA with vm_pgoff + 1: rmap_walk_anon() now visits mm 1's PMD first, so
  // try_to_migrate() leaves the folio partially mapped (queued), the new folio is requeued (a2e0c0668a34) and the
  // second migrate splits it: 6.12.118 showed compound=0 AnonHugePages=0 after it
  const steps: Script['steps'] = [
    { op: 'munmap', args: { mm: 0, from: 0, to: 1 } },
    { op: 'migrate', args: { mm: 0 } },
    { op: 'migrate', args: { mm: 0 } },
  ];
  const run = (impl: string, first = steps) =>
    runScript(selectImpl(thp, impl), { params: parseParams({ kind: 'anon', initial: 'forked' }), steps: first }, null);

  test('folio: forked, munmap of mm 0 page 0, two migrates: the second leaves small folios', () => {
    const obs = run('folio');
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok']);
    expect(obs[1]!.impl.deferred).toBe('queued (partially mapped)');
    expect(obs[2]!.impl._entire_mapcount).toBeNull();
  });

  // each AGREED with 6.12.118 under `reproduce` (session 13); main's parent-first walk predicted a large folio
  const reorders: [string, Script['steps'][number]][] = [
    ['munmap of the tail (__split_vma re-inserts what stays)', { op: 'munmap', args: { mm: 0, from: 3, to: 4 } }],
    ['mprotect of page 1 (two splits)', { op: 'mprotect', args: { mm: 0, from: 1, to: 2 } }],
    ['mremap there and back, not PMD-aligned (copy_vma)', { op: 'mremap', args: { mm: 0, aligned: 0 } }],
  ];
  for (const [name, first] of reorders)
    test(`folio: ${name} puts mm 0 after mm 1 the same way`, () => {
      const obs = run('folio', [first, ...steps.slice(1)]);
      expect(obs[1]!.impl.deferred).toBe('queued (partially mapped)');
      expect(obs[2]!.impl._entire_mapcount).toBeNull();
    });

  // one tree entry per VMA piece: mprotect(mm 0, 1..2) leaves mm 0 three VMAs ([0,1) key 0, [1,2) key 1, [2,4) key 2)
  // and the PMD-aligned mremap re-inserts mm 1 (still PMD-mapped) after mm 0's [0,1): try_to_migrate() removes mm 0's
  // PTE 0, then mm 1's PMD while mm 0 still maps pages 1..3 (partially mapped: queued), then the rest. 6.12.118 AGREED
  // under `reproduce` (compound=0 after the second migrate); main's walk (mm 0 visited once, at its lowest piece)
  // predicted a large folio there and DIVERGED at step 3
  test('folio: each VMA piece is visited at its own place in the tree', () => {
    const obs = run('folio', [
      { op: 'mprotect', args: { mm: 0, from: 1, to: 2 } },
      { op: 'mremap', args: { mm: 1, aligned: 1 } },
      ...steps.slice(1),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs[2]!.impl.deferred).toBe('queued (partially mapped)');
    expect(obs[3]!.impl._entire_mapcount).toBeNull();
  });

  // VMA merges: mprotect of page 1 and back (exec 0), or mlock and munlock, leave mm 0 one VMA again; vma_merge
  // re-inserts it after mm 1, so the PMD-aligned mremap puts mm 1 last and try_to_migrate removes mm 0's PTEs while
  // mm 1's PMD still maps the folio: nothing queued, the second migrate keeps it large. 6.12.118 AGREED under
  // `reproduce` (compound=1 at the end); with the three pieces kept, mm 0's [0,1) would precede mm 1 and the folio
  // be queued and split, as in the test above
  for (const [name, split, back] of [
    [
      'mprotect back',
      { op: 'mprotect', args: { mm: 0, from: 1, to: 2 } },
      { op: 'mprotect', args: { mm: 0, from: 1, to: 2, exec: 0 } },
    ],
    ['munlock', { op: 'mlock', args: { mm: 0, from: 1, to: 2 } }, { op: 'munlock', args: { mm: 0, from: 1, to: 2 } }],
  ] as const)
    test(`folio: ${name} merges mm 0's VMAs again (vma_merge re-inserts the merged VMA)`, () => {
      const obs = run('folio', [split, back, { op: 'mremap', args: { mm: 1, aligned: 1 } }, ...steps.slice(1)]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs[3]!.impl.deferred).toBe('no');
      expect(obs[4]!.impl._entire_mapcount).not.toBeNull();
    });

  test('folio: split_huge_pmd(mm 0) moves no VMA: mm 0 (linked first) goes first, nothing is queued', () => {
    const obs = run('folio', [{ op: 'split_huge_pmd', args: { mm: 0 } }, ...steps.slice(1)]);
    expect(obs[1]!.impl.deferred).toBe('no');
    expect(obs[2]!.impl._entire_mapcount).not.toBeNull();
  });
});

describe('implementations: migrate', () => {
  for (const impl of ['compound', 'folio'])
    for (const name of ['migrate-vs-gup', 'migrate-vs-partial-unmap'])
      test(`${impl}: ${name} passes exhaustively with the migration entries exercised`, () => {
        const r = checkScenario(selectImpl(thp, impl), scenario(name), { timeLimitSeconds: 120 });
        expect(r.violation?.message).toBeUndefined();
        expect(r.exhaustive).toBe(true);
        const inv = r.invariants.find((i) => i.name === 'migration-entry-page-locked');
        expect(inv?.nonTrivial ?? 0).toBeGreaterThan(0);
      });

  test('compound: 688272809fcc (follow_pmd_mask re-reads *pmd) walks a PMD migration entry as a table', () => {
    const r = checkScenario(thp, scenario('migrate-vs-gup'), { variant: '688272809fcc', timeLimitSeconds: 120 });
    expect(r.violation?.message).toMatch(/follow_page_pte\(\) on a PMD migration entry/);
  });

  test("folio: be6e843fc51a (pmd_page() of another folio's migration entry) in the shrinker's split walk", () => {
    const folio = selectImpl(thp, 'folio');
    const sc = scenario('migrate-vs-deferred-split');
    expect(checkScenario(folio, sc, { timeLimitSeconds: 120 }).violation).toBeUndefined();
    const r = checkScenario(folio, sc, { variant: 'be6e843fc51a', timeLimitSeconds: 120 });
    expect(r.violation?.message).toMatch(/PMD migration entry: invalid address access/);
  });

  for (const impl of ['compound', 'folio']) {
    test(`${impl}: a file THP mapped by PMD and by PTE migrates (page cache references expected) and is mapped again`, () => {
      const obs = runScript(
        selectImpl(thp, impl),
        {
          params: parseParams({ kind: 'file', initial: 'forked' }),
          steps: [
            { op: 'mprotect', args: { mm: 1, from: 0, to: 1 } },
            { op: 'fault_pte', args: { mm: 1, sub: 2 } },
            { op: 'migrate', args: { mm: 0 } },
            { op: 'page_mapcount', args: { sub: 2 } },
          ],
        },
        null,
      );
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'pte', 'ok', 2]);
    });

    test(`${impl}: 99fa8a48203d (file PMD split of a migration entry) hits VM_BUG_ON(!pmd_present)`, () => {
      const sc = scenario('file-migrate-vs-split-pmd');
      expect(checkScenario(selectImpl(thp, impl), sc, { timeLimitSeconds: 120 }).violation).toBeUndefined();
      const r = checkScenario(selectImpl(thp, impl), sc, { variant: '99fa8a48203d', timeLimitSeconds: 120 });
      expect(r.violation?.message).toMatch(/VM_BUG_ON\(!pmd_present\) on a file PMD migration entry/);
    });
  }
});

describe('deferred split queue after migrate + munmap (compound, 6.1)', () => {
  // conform thp --kernel 6.1 --seed 20261312 (6.1.192): the kernel agreed with every observable of these steps, while
  // the invariant deferred-queue-live forbade a queued PMD-mapped THP with PageDoubleMap after the last one
  const script: Script = {
    params: parseParams({ kind: 'anon', initial: 'forked', mms: 3 }),
    steps: [
      { op: 'mprotect', args: { mm: 0, from: 0, to: 1 } },
      { op: 'fork', args: { src: 1, dst: 2 } },
      { op: 'migrate', args: { mm: 0 } },
      { op: 'munmap', args: { mm: 0, from: 0, to: 4 } },
      { op: 'munmap', args: { mm: 2, from: 3, to: 4 } },
    ],
  };

  test('the PTE unmap queues the still PMD-mapped THP; a later PMD split (PageDoubleMap) leaves it queued', () => {
    const obs = runScript(thp, script, null);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(obs[3]!.impl.deferred).toBe('queued');
    expect(obs[4]!.impl.PageDoubleMap).toBe(true);
    expect(obs[4]!.impl.deferred).toBe('queued');
  });
});
