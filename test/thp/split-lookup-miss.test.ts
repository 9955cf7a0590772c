/**
 * move_pages() looks a page up without FOLL_MIGRATION (mm/migrate.c
 * add_page_for_migration() @ v6.1), so while a split in flight has turned the
 * huge page's mappings into migration entries it finds nothing: 'none'
 * (-ENOENT). The spec allows that only between the split's pending step
 * (split_freeze) and its linearization, never at quiescence.
 */
import { describe, expect, test } from 'vitest';
import { applyThp, initialThp, thpPendingInternal, thpView } from '../../spec/thp/machine.js';

const forked = () => initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });

describe('thp spec: a migrate lookup during a split', () => {
  test('without a split in flight, a mapped THP is never "none"', () => {
    expect(applyThp(forked(), { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBeUndefined();
    expect(thpPendingInternal(thpView(forked()), 'read', { mm: 0, sub: 1 })).toEqual([]);
  });

  test('a split in flight may freeze; the lookup then misses; the split clears it', () => {
    expect(thpPendingInternal(thpView(forked()), 'split', { sub: 0 })).toEqual([{ type: 'split_freeze' }]);
    expect(thpPendingInternal(thpView(forked()), 'deferred_split_scan', {})).toEqual([{ type: 'split_freeze' }]);
    const frozen = applyThp(forked(), { type: 'split_freeze' });
    expect(frozen.ret).toBe('ok');
    expect(thpPendingInternal(thpView(frozen), 'split', { sub: 0 })).toEqual([]); // once per freeze
    expect(applyThp(frozen, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBe('none');
    // nothing else about the page changes: a load still reads mm 0's data
    expect(applyThp(frozen, { type: 'read', mm: 0, sub: 1 }).ret).toBe(
      applyThp(forked(), { type: 'read', mm: 0, sub: 1 }).ret,
    );
    const split = applyThp(frozen, { type: 'split', sub: 0 });
    expect(split.ret).toBe('ok');
    expect(split.splitting).toBe(false);
    expect(applyThp(split, { type: 'migrate', mm: 0, choice: 'lookup-miss' }).ret).toBeUndefined();
  });
});
