/**
 * Reclaim splits a THP only before it enters the swap cache: both of shrink_page_list()'s splits sit under
 * `if (!folio_test_swapcache(folio))` (mm/vmscan.c @ v6.1). The spec's swap_out in flight offers its freeze and
 * split (split_freeze / swap_split, key swap_out:<sub>) only then.
 */
import { describe, expect, test } from 'vitest';
import { applyThp, initialThp, thpPendingInternal, thpView } from '../../spec/thp/machine.js';

const fresh = () => initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });
const types = (s: ReturnType<typeof fresh>) =>
  thpPendingInternal(thpView(s), 'swap_out', { sub: 0 }).map((p) => p.type);

describe('thp spec: a swap_out in flight splits only a THP not in the swap cache', () => {
  test('before swap_add: freeze, then split, are offered', () => {
    expect(types(fresh())).toContain('split_freeze');
    const frozen = applyThp(fresh(), { type: 'split_freeze', key: 'swap_out:0' });
    expect(frozen.ret).toBe('ok');
    expect(types(frozen)).toContain('swap_split');
    expect(applyThp(frozen, { type: 'swap_split', sub: 0, key: 'swap_out:0' }).ret).toBe('ok');
  });

  test('after swap_add: no freeze and no split, even with the key already taken', () => {
    const added = applyThp(fresh(), { type: 'swap_add', sub: 0 });
    expect(added.ret).toBe('ok');
    expect(types(added)).not.toContain('split_freeze');
    const frozenThenAdded = applyThp(applyThp(fresh(), { type: 'split_freeze', key: 'swap_out:0' }), {
      type: 'swap_add',
      sub: 0,
    });
    expect(frozenThenAdded.ret).toBe('ok');
    expect(types(frozenThenAdded)).not.toContain('swap_split');
    expect(applyThp(frozenThenAdded, { type: 'swap_split', sub: 0, key: 'swap_out:0' }).ret).toBeUndefined();
  });
});
