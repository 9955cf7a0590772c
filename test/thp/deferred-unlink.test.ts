/**
 * deferred_split_scan() @ v6.12 (mm/huge_memory.c) tests PG_partially_mapped twice without any lock (before the
 * trylock and at `next:`) and then unlinks a folio that is not flagged with an unlocked list_del_init(). The folio
 * implementation now has each as a step of its own (impl/thp-folio/split.ts): a partial unmap between the `next:`
 * test and the unlink flags the folio, finds it on the shrinker's list (not queued again) and is undone by the
 * unlink, which leaves the folio partially mapped and on no list, as on the kernel; one before the `next:` test
 * keeps it queued. deferred-queue-live no longer states that a flagged folio is queued (v6.12 does not keep that),
 * only that the flag sits on a live anon large folio: free_pages_prepare() drops it (PAGE_FLAGS_SECOND) queued or not.
 * subsystems/thp/NOTES.md, "The deferred split shrinker's unlocked unlink".
 */
import { describe, expect, test } from 'vitest';
import { folioImpl } from '../../impl/thp-folio/index.js';
import { init } from '../../impl/thp-folio/folio-init.js';
import type { FolioState } from '../../impl/thp-folio/folio.js';
import { folioInvariants } from '../../subsystems/thp/folio/invariants.js';
import { parseParams } from '../../subsystems/thp/index.js';
import { stepDriver } from './step-driver.js';

const params = parseParams({ kind: 'anon', initial: 'none', mms: 1 });
const { thread, drive } = stepDriver(folioImpl, params as never);
const queueLive = folioInvariants.find((i) => i.name === 'deferred-queue-live')!;
const holds = (g: FolioState): boolean | null | string =>
  queueLive.check(g, params as never, { quiescent: false, inFlight: [], variant: null });

const NEXT = 'deferred_split_scan: next:';
const DEL = 'deferred_split_scan: list_del_init (unlocked)';

/** A fresh THP from a fault (v6.12: queued unflagged, dafff3f4c850) and a shrinker run stopped before `stop`. */
function faultAndScanTo(stop: string): { g: FolioState; scan: ReturnType<typeof thread> } {
  const g = init(params as never) as FolioState;
  expect(drive(g, 'fault', thread(0, 'fault', { mm: 0 }))).toBe('pmd');
  expect(g.deferred).toBe(1);
  expect(g.partially_mapped).toBe(false);
  const scan = thread(1, 'deferred_split_scan', {});
  expect(drive(g, 'deferred_split_scan', scan, stop)).toBeUndefined();
  expect(g.deferred).toBe(3); /* on the shrinker's on-stack list (2 + tid) */
  return { g, scan };
}

const unmapOne = (g: FolioState): void => {
  expect(drive(g, 'munmap', thread(0, 'munmap', { mm: 0, from: 0, to: 1 }))).toBe('ok');
};

describe('thp folio: the deferred split shrinker unlinks without split_queue_lock (v6.12)', () => {
  test('a partial unmap between the test at next: and list_del_init leaves the folio flagged on no list', () => {
    const { g, scan } = faultAndScanTo(DEL);
    unmapOne(g);
    expect(g.partially_mapped).toBe(true);
    expect(g.deferred).toBe(3); /* deferred_split_folio() found its list_head not empty: not queued again */
    expect(drive(g, 'deferred_split_scan', scan)).toBe('done');
    expect(g.partially_mapped).toBe(true);
    expect(g.deferred).toBe(0);
    expect(g.pages[0]!.freed).toBe(false);
    expect(holds(g)).toBe(true); /* the kernel as it is: no longer a violation */
    expect(drive(g, 'read', thread(0, 'read', { mm: 0, sub: 1 }))).toBeTypeOf('number');
  });

  test('a later partial unmap does not queue it (the flag is set): the shrinker never sees it again', () => {
    const { g, scan } = faultAndScanTo(DEL);
    unmapOne(g);
    expect(drive(g, 'deferred_split_scan', scan)).toBe('done');
    expect(drive(g, 'munmap', thread(0, 'munmap', { mm: 0, from: 1, to: 2 }))).toBe('ok');
    expect(g.deferred).toBe(0);
    expect(drive(g, 'deferred_split_scan', thread(1, 'deferred_split_scan', {}))).toBe('done');
    expect(g.large).toBe(true); /* not split */
  });

  test('freeing the folio drops the flag although it is on no list (free_pages_prepare: PAGE_FLAGS_SECOND)', () => {
    const { g, scan } = faultAndScanTo(DEL);
    unmapOne(g);
    expect(drive(g, 'deferred_split_scan', scan)).toBe('done');
    expect(drive(g, 'munmap', thread(0, 'munmap', { mm: 0, from: 0, to: 4 }))).toBe('ok');
    expect(g.pages[0]!.freed).toBe(true);
    expect(g.partially_mapped).toBe(false);
    expect(holds(g)).toBe(null);
  });

  test('a partial unmap before the test at next: keeps the folio, queued and flagged, for the next scan', () => {
    const { g, scan } = faultAndScanTo(NEXT);
    unmapOne(g);
    const ref = g.pages[0]!.refcount;
    expect(drive(g, 'deferred_split_scan', scan, 'deferred_split_scan: split_queue_lock, list_splice_tail')).toBe(
      undefined,
    );
    expect(g.pages[0]!.refcount).toBe(ref); /* swap(folio, prev): its reference is dropped after the splice */
    expect(drive(g, 'deferred_split_scan', scan)).toBe('done');
    expect(g.pages[0]!.refcount).toBe(ref - 1);
    expect(g.deferred).toBe(1);
    expect(g.partially_mapped).toBe(true);
    expect(holds(g)).toBe(true);
    /* the next scan splits it */
    expect(drive(g, 'deferred_split_scan', thread(1, 'deferred_split_scan', {}))).toBe('done');
    expect(g.large).toBe(false);
  });

  test('deferred-queue-live still fails a flag on a freed or small folio', () => {
    const g = init(params as never) as FolioState;
    g.partially_mapped = true;
    expect(holds(g)).toMatch(/PG_partially_mapped set on a freed folio/);
  });
});
