/**
 * Sequential operation runs: the implementation through `runScript` (one
 * thread, compared with the spec after every operation exactly as the checker
 * compares them), and the spec reducer on its own.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { applyThp, initialThp, type ThpContext } from '../../spec/thp/machine.js';
import { customize, parseParams, thp } from '../../subsystems/thp/index.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });

function run(params: unknown, steps: OpChoice[], variant: string | null = null) {
  return runScript(thp, { params: parseParams(params), steps }, variant);
}

describe('implementation, sequentially, agrees with the spec', () => {
  test('fork, child mprotect of one subpage (PMD split with DoubleMap), parent COW falls back and copies', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('fork', { src: 0, dst: 1 }),
      step('mprotect', { mm: 1, from: 0, to: 1 }),
      step('page_mapcount', { sub: 2 }),
      step('total_mapcount'),
      step('wp_fault', { mm: 0, sub: 2 }),
      step('page_mapcount', { sub: 2 }),
      step('page_mapcount', { sub: 1 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 2, 5, 'copy', 1, 2]);
    expect(obs[1]!.impl.PageDoubleMap).toBe(true);
    expect(obs[1]!.impl._mapcount).toEqual([1, 1, 1, 1]); // PTE + bias, -1 based
    // the parent's COW split its own PMD: no PMD left, so no DoubleMap and no bias
    expect(obs[4]!.impl.PageDoubleMap).toBe(false);
    expect(obs[4]!.impl.compound_mapcount).toBe(-1);
  });

  test("an exclusively mapped anon THP is written in place; a pinned page stays the pinner's across fork", () => {
    const reuse = run({ kind: 'anon', initial: 'pmd' }, [
      step('wp_fault', { mm: 0, sub: 1, val: 5 }),
      step('read', { mm: 0, sub: 1 }),
    ]);
    expect(reuse.map((o) => o.impl.ret)).toEqual(['reuse', 5]);
    const pinned = run({ kind: 'anon', initial: 'pmd' }, [
      step('pin', { mm: 0, sub: 3, write: 1 }),
      step('fork', { src: 0, dst: 1 }),
      step('wp_fault', { mm: 0, sub: 3, val: 2 }),
      step('read', { mm: 1, sub: 3 }),
      step('read', { mm: 0, sub: 3 }),
    ]);
    for (const o of pinned) expect(o.problem).toBeUndefined();
    // fork split the parent's pinned PMD and gave the child copies: the parent's write reuses its pinned page
    expect(pinned.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'reuse', 0, 2]);
  });

  test('a R/O pin of a page shared after fork unshares it first; the pin follows the pinner', () => {
    const obs = run({ kind: 'anon', initial: 'forked' }, [
      step('pin', { mm: 0, sub: 1, write: 0 }),
      step('wp_fault', { mm: 0, sub: 1, val: 4 }),
      step('read', { mm: 1, sub: 1 }),
      step('read', { mm: 0, sub: 1 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'reuse', 0, 4]);
  });

  test('partial munmap queues the THP for deferred split; the shrinker splits it and frees the unmapped half', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('munmap', { mm: 0, from: 0, to: 2 }),
      step('deferred_split_scan'),
      step('page_count', { sub: 0 }),
      step('page_count', { sub: 3 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs[0]!.impl.deferred).toBe('queued');
    expect(obs[1]!.impl.deferred).toBe('no');
    expect(obs[1]!.impl.refcount).toEqual([0, 0, 1, 1]); // subpages 0,1 freed, 2,3 one PTE each
    expect(obs[2]!.impl.ret).toBe(0);
    expect(obs[3]!.impl.ret).toBe(1);
  });

  test('split_huge_page fails with a GUP pin and succeeds after unpin (TH-1 contract)', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('pin', { mm: 0, sub: 1 }),
      step('split', { sub: 0 }),
      step('unpin', { mm: 0, sub: 1 }),
      step('split', { sub: 0 }),
      step('page_mapcount', { sub: 3 }),
      step('page_count', { sub: 3 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'EBUSY', 'ok', 'ok', 1, 1]);
    // after the split every subpage carries its own refcount: the PTE mapping
    expect(obs[3]!.impl.refcount).toEqual([1, 1, 1, 1]);
  });

  test('with TH-1 the pinned split succeeds and the run disagrees with the spec', () => {
    const obs = run(
      { kind: 'anon', initial: 'pmd' },
      [step('pin', { mm: 0, sub: 1 }), step('split', { sub: 0 })],
      'TH-1',
    );
    expect(obs[1]!.agree).toBe(false);
  });

  test('scanner: get_page_unless_zero fails on a tail of a compound page, succeeds on the head', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('scan_get', { sub: 2 }),
      step('scan_get', { sub: 0 }),
      step('split', { sub: 0 }),
      step('scan_put', { sub: 0 }),
      step('split', { sub: 0 }),
      step('scan_get', { sub: 2 }),
      step('scan_put', { sub: 2 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['fail', 'ok', 'EBUSY', 'ok', 'ok', 'ok', 'ok']);
  });

  test('file THP: PMD map counts on every subpage, a PTE map sets DoubleMap, eviction clears it', () => {
    const obs = run({ kind: 'file', initial: 'pmd' }, [
      step('fault_pte', { mm: 1, sub: 2 }),
      step('page_mapcount', { sub: 2 }),
      step('page_mapcount', { sub: 0 }),
      step('evict'),
      step('munmap', { mm: 0, from: 0, to: 4 }),
      step('munmap', { mm: 1, from: 0, to: 4 }),
      step('evict'),
      step('page_count', { sub: 0 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['pte', 2, 1, 'EBUSY', 'ok', 'ok', 'ok', 0]);
    expect(obs[0]!.impl.PageDoubleMap).toBe(true);
    expect(obs[5]!.impl.PageDoubleMap).toBe(true); // unmapping does not clear it for file THPs
    expect(obs[6]!.impl.PageDoubleMap).toBe(false);
  });

  test('file THP: khugepaged collapses a PTE-mapped range back to a PMD', () => {
    const obs = run({ kind: 'file', initial: 'none' }, [
      step('fault_pte', { mm: 0, sub: 1 }),
      step('fault_pte', { mm: 0, sub: 3 }),
      step('collapse', { mm: 0 }),
      step('page_mapcount', { sub: 0 }),
      step('total_mapcount'),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['pte', 'pte', 'ok', 1, 1]);
  });

  test('file split_huge_page unmaps every mapping, subpages stay in the page cache', () => {
    const obs = run({ kind: 'file', initial: 'forked' }, [
      step('split', { sub: 1 }),
      step('page_count', { sub: 3 }),
      step('fault_pte', { mm: 0, sub: 3 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 1, 'pte']);
    expect(obs[0]!.impl.kpagecount).toEqual([0, 0, 0, 0]);
  });

  test('anon khugepaged collapse needs every PTE present and no extra reference', () => {
    // split_huge_pmd PTE-maps it and leaves the VMA whole (an mprotect of part would cut it: hugepage_vma_revalidate())
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('split_huge_pmd', { mm: 0 }),
      step('pin', { mm: 0, sub: 2 }),
      step('collapse', { mm: 0 }),
      step('unpin', { mm: 0, sub: 2 }),
      step('collapse', { mm: 0 }),
      step('page_count', { sub: 0 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'fail', 'ok', 'ok', 0]);
  });
});

describe('spec reducer', () => {
  const send = (c: ThpContext, type: string, args: Record<string, unknown> = {}) => applyThp(c, { type, ...args });

  test('munmap of part of a shared PMD range: PMD split at the border, no queueing while the other PMD remains', () => {
    let c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });
    c = send(c, 'munmap', { mm: 1, from: 0, to: 1 });
    expect(c.ret).toBe('ok');
    expect(c.pmd).toEqual([0]);
    expect(c.pte).toEqual([[], [1], [1], [1]]);
    expect(c.queued).toBe(false);
    expect(c.mapcount).toEqual([1, 2, 2, 2]);
    // the last PMD goes: subpage 0 unmapped, 1..3 still PTE-mapped; queue membership is not in the view
    // (spec/thp/view.ts normaliseQueued), the shrinker may split the unpinned THP
    c = send(c, 'munmap', { mm: 0, from: 0, to: 4 });
    expect(c.queued).toBe(false);
    expect(c.refcount).toEqual([3, 3, 3, 3]);
    expect(send(c, 'deferred_split_scan', { choice: 'split' }).compound).toBe(false);
    expect(send(send(c, 'pin', { mm: 1, sub: 1 }), 'deferred_split_scan', { choice: 'split' }).ret).toBeUndefined();
  });

  test('split_huge_page outcome set: success only without pins; -EBUSY always possible (transient references)', () => {
    const c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'pmd' });
    expect(send(c, 'split', { sub: 0, choice: 'ok' }).ret).toBe('ok');
    expect(send(c, 'split', { sub: 0, choice: 'busy' }).ret).toBe('EBUSY');
    const pinned = send(c, 'pin', { mm: 0, sub: 1 });
    expect(send(pinned, 'split', { sub: 0, choice: 'ok' }).ret).toBeUndefined();
    expect(send(pinned, 'split', { sub: 0, choice: 'busy' }).ret).toBe('EBUSY');
    const remapped = send(pinned, 'split', { sub: 0, choice: 'busy-remapped' });
    expect(remapped.pmd).toEqual([]);
    expect(remapped.pte).toEqual([[0], [0], [0], [0]]);
    expect(remapped.queued).toBe(false);
  });

  test('COW on a shared PMD must not reuse', () => {
    const c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });
    expect(send(c, 'wp_fault', { mm: 0, sub: 0, choice: 'reuse' }).ret).toBeUndefined();
    const copied = send(c, 'wp_fault', { mm: 0, sub: 0, val: 7, choice: 'copy' });
    expect(copied.ret).toBe('copy');
    expect(copied.cow[0]).toEqual([0, -1, -1, -1]);
    expect(copied.copyData).toEqual([7]);
    expect(copied.mapcount).toEqual([1, 2, 2, 2]);
  });

  test('a scanner never gets a tail of a compound page', () => {
    const c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'pmd' });
    expect(send(c, 'scan_get', { sub: 1, choice: 'ok' }).ret).toBeUndefined();
    expect(send(c, 'scan_get', { sub: 0, choice: 'ok' }).ret).toBe('ok');
  });

  test('unknown events are rejected', () => {
    const c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'pmd' });
    expect(send(c, 'no_such_op').ret).toBeUndefined();
  });
});

describe('CLI shaping', () => {
  test('parseParams rejects bad input with one-line messages', () => {
    expect(() => parseParams({ nr: 1 })).toThrow(/nr must be an integer in \[2, 16\]/);
    expect(() => parseParams({ kind: 'shmem' })).toThrow(/kind must be/);
    expect(() => parseParams({ initial: 'forked', mms: 1 })).toThrow(/forked/);
    expect(() => parseParams({ bogus: 1 })).toThrow(/unknown field 'bogus'/);
    expect(() => parseParams(3)).toThrow(/object/);
    expect(parseParams({})).toEqual({ nr: 4, mms: 2, kind: 'anon', initial: 'pmd' });
  });

  test('customize trims threads/ops, rescales the range with --file-size, rejects --pool', () => {
    const base = thp.scenarios.find((s) => s.name === 'partial-unmap-shrinker')!;
    const c = customize(base, { threads: 2, ops: 1, fileSize: 8 });
    expect(c.threads.length).toBe(2);
    expect(c.threads.every((t) => t.length === 1)).toBe(true);
    expect(c.params.nr).toBe(8);
    expect(() => customize(base, { pool: 2 })).toThrow(/--pool/);
    expect(() => customize(base, { threads: 9 })).toThrow(/--threads/);
    const four = customize(base, { threads: 4 });
    expect(four.threads.length).toBe(4);
    expect(four.threads[3]).toEqual(base.threads[0]);
    const sc = thp.scenarios.find((s) => s.name === 'scanner-vs-split')!;
    expect(() => customize(sc, { fileSize: 2 })).toThrow(/too small/);
  });
});

describe('example script for `mmcheck run thp --script`', () => {
  test('script.json agrees step by step; kpagecount shows the per-subpage mapcounts; TH-4 disagrees', async () => {
    const { parseScript, readJsonFile } = await import('../../checker/scenario-file.js');
    const here = new URL('.', import.meta.url).pathname;
    const script = parseScript(thp, readJsonFile(here + 'script.json', 'script'), 'script.json');
    const obs = runScript(thp, script, null);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 'ok', 0, 1, 'done', 0]);
    expect(obs[1]!.impl.kpagecount).toEqual([2, 2, 2, 2]);
    expect(obs[1]!.impl.PageDoubleMap).toBe(true);
    expect(obs[3]!.impl.kpagecount).toEqual([0, 1, 1, 1]);
    expect(obs[3]!.impl.deferred).toBe('queued');
    expect(obs[6]!.impl.refcount).toEqual([0, 1, 1, 1]); // split by the shrinker; subpage 0 freed
    const bad = runScript(thp, script, 'TH-4');
    expect(bad.some((o) => !o.agree)).toBe(true);
  });
});
