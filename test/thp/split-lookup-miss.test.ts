/**
 * move_pages() looks a page up without FOLL_MIGRATION (mm/migrate.c
 * add_page_for_migration() @ v6.1), so while a split in flight has turned the
 * huge page's mappings into migration entries it finds nothing: 'none'
 * (-ENOENT). The spec allows that only between the split's pending step
 * (split_freeze) and its linearization, never at quiescence.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import type { OpChoice, Scenario } from '../../checker/types.js';
import { applyThp, initialThp, thpInternal, thpPendingInternal, thpView } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

const forked = () => initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });

describe('thp spec: a migrate lookup during a split', () => {
  test('without a split in flight, a mapped THP is never "none"', () => {
    expect(applyThp(forked(), { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBeUndefined();
    expect(thpPendingInternal(thpView(forked()), 'read', { mm: 0, sub: 1 })).toEqual([]);
  });

  test('a split in flight may freeze; the lookup then misses; the split clears it', () => {
    expect(thpPendingInternal(thpView(forked()), 'split', { sub: 0 })).toEqual([
      { type: 'split_freeze', key: 'split:0' },
    ]);
    expect(thpPendingInternal(thpView(forked()), 'deferred_split_scan', {})).toEqual([
      { type: 'split_freeze', key: 'deferred_split_scan' },
    ]);
    const frozen = applyThp(forked(), { type: 'split_freeze', key: 'split:0' });
    expect(frozen.ret).toBe('ok');
    expect(thpPendingInternal(thpView(frozen), 'split', { sub: 0 })).toEqual([]); // once per freeze
    expect(applyThp(frozen, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBe('none');
    // nothing else about the page changes: a load still reads mm 0's data
    expect(applyThp(frozen, { type: 'read', mm: 0, sub: 1 }).ret).toBe(
      applyThp(forked(), { type: 'read', mm: 0, sub: 1 }).ret,
    );
    const split = applyThp(frozen, { type: 'split', sub: 0 });
    expect(split.ret).toBe('ok');
    expect(split.splitting).toEqual([]);
    expect(applyThp(split, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBeUndefined();
  });
});

const op = (name: string, args: Record<string, number>): OpChoice[] => [{ op: name, args }];

describe('thp spec: several splits in flight (view.splitting holds one key per operation)', () => {
  test('the first split to linearize removes only its own key; the lookup still misses during the other', () => {
    const both = applyThp(applyThp(forked(), { type: 'split_freeze', key: 'split:0' }), {
      type: 'split_freeze',
      key: 'deferred_split_scan',
    });
    expect(both.splitting).toEqual(['deferred_split_scan', 'split:0']);
    const first = applyThp(both, { type: 'split', sub: 0, choice: 'busy' });
    expect(first.ret).toBe('EBUSY');
    expect(first.splitting).toEqual(['deferred_split_scan']);
    expect(applyThp(first, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBe('none');
    const second = applyThp(first, { type: 'deferred_split_scan', choice: 'skip' });
    expect(second.splitting).toEqual([]);
  });

  test("a migrate's own split (try_split_folio) never explains its own lookup miss, another migrate's does", () => {
    expect(thpPendingInternal(thpView(forked()), 'migrate', { mm: 0 })).toEqual([
      { type: 'split_freeze', key: 'migrate:0' },
    ]);
    const own = applyThp(forked(), { type: 'split_freeze', key: 'migrate:0' });
    expect(applyThp(own, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBeUndefined();
    const other = applyThp(own, { type: 'migrate', mm: 1, choice: 'lookup-miss' });
    expect(other.ret).toBe('none');
    expect(other.splitting).toEqual(['migrate:0']);
    /* a migrate that split the THP keeps its key past its linearization until migrate_done drops it */
    const split = applyThp(own, { type: 'migrate', mm: 0, choice: 'split' });
    expect(split.splitting).toEqual(['migrate:0']);
    expect(thpInternal(thpView(split))).toContainEqual({ type: 'migrate_done', key: 'migrate:0' });
    expect(applyThp(split, { type: 'migrate_done', key: 'migrate:0' }).splitting).toEqual([]);
    expect(applyThp(own, { type: 'migrate', mm: 0, choice: 'EAGAIN' }).splitting).toEqual([]);
  });

  /* both implementations, against the same spec: two splits of the queued THP and a migrate lookup; a migrate splitting it */
  const scenarios: Scenario[] = [
    {
      name: 'two-splits-vs-migrate',
      description: 'split and the deferred split shrinker of the queued THP race a migrate lookup and a read',
      params: parseParams({ kind: 'anon', initial: 'forked' }),
      threads: [
        [op('madvise_dontneed', { mm: 0, from: 0, to: 1 }), op('split', { sub: 1 })],
        [op('madvise_dontneed', { mm: 1, from: 0, to: 1 }), op('deferred_split_scan', {})],
        [op('migrate', { mm: 0 }), op('read', { mm: 1, sub: 2 })],
      ],
    },
    {
      name: 'migrate-split-vs-migrate',
      description:
        'a migrate splits the queued THP (v6.10+), which the split below sees (EINVAL), and migrates its pieces while another migrate looks them up',
      params: parseParams({ kind: 'anon', initial: 'forked' }),
      threads: [
        [op('madvise_dontneed', { mm: 0, from: 0, to: 1 }), op('migrate', { mm: 0 })],
        [op('madvise_dontneed', { mm: 1, from: 0, to: 1 }), op('migrate', { mm: 1 })],
        [op('split', { sub: 1 })],
      ],
    },
  ];
  for (const impl of ['compound', 'folio'])
    for (const sc of scenarios)
      test(`${sc.name} passes on --impl ${impl}`, () => {
        const r = checkScenario(selectImpl(thp, impl), sc, {});
        expect([r.violation?.kind ?? 'none', r.exhaustive]).toEqual(['none', true]);
      });
});
