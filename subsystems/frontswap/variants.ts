/**
 * frontswap buggy variants: each names the default scenarios that catch it.
 * Kernel-history variants are named after the commit that fixed them; FS-n are
 * backends breaking the contract of Documentation/vm/frontswap.rst.
 */
import type { Variant } from '../../checker/types.js';

const DOC = 'Documentation/vm/frontswap.rst @ v5.10';

export const variants: Variant[] = [
  {
    name: 'fb993fa1a2f6',
    description:
      'a failed duplicate store clears the frontswap_map bit but leaves the old copy in the backend; zswap writeback then overwrites the newer data on the device',
    source: 'fb993fa1a2f6 "mm: frontswap: invalidate expired data on a dup-store failure"',
    scenarios: ['dup-store', 'same-filled'],
  },
  {
    name: 'd1dc6f1bcf1e',
    description:
      'the one-backend duplicate-store rule (invalidate only when the new store fails) with two backends: the new copy goes to one backend and a load still finds the old copy in the other',
    source:
      'd1dc6f1bcf1e "frontswap: allow multiple backends" ("If a dup, we must remove the old page first"); mm/frontswap.c __frontswap_store() @ v5.10',
    scenarios: ['two-backends'],
  },
  {
    name: '04fc7816089c',
    description:
      'zswap writeback does not re-check that its entry is still in the tree: a slot freed and reused while the entry was being written back gets the old data written over the new',
    source:
      '04fc7816089c "mm: fix zswap writeback race condition" (CVE-2023-53178; v5.10 as released is affected, the model applies the fix)',
    scenarios: ['free-reuse'],
  },
  {
    name: '5878303c5353',
    description:
      'zswap_writeback_entry() as in v5.10: after __swap_writepage() has unlocked the swap-cache page it takes tree->lock again to drop its entry reference; swapoff runs try_to_unuse on the unlocked page and frontswap_invalidate_area frees the tree that spin_lock then dereferences',
    source:
      'mm/zswap.c zswap_writeback_entry(), zswap_frontswap_invalidate_area() @ v5.10; fixed by 5878303c5353 "mm/zswap: fix race between lru writeback and swapoff" (v6.9; no Fixes: tag: written for the list_lru shrinker, whose shrink_memcg_cb() took tree->lock after the writeback the way v5.10 does after __swap_writepage()). The model applies its shape: the entry is checked and erased under the swap-cache folio lock, "we couldn\'t deref entry or tree anymore after we unlock the folio"',
    scenarios: ['swapoff-race'],
  },
  {
    name: 'register-swapoff-race',
    description:
      'frontswap_register_ops as in v5.10: a swapoff that starts between the publish of the new ops and the re-check of swap_active_head makes the re-check call invalidate_area, dropping pages the new backend took, while try_to_unuse still has to load them',
    source:
      'mm/frontswap.c frontswap_register_ops() @ v5.10; fix posted as "mm/frontswap: fix frontswap_register_ops() race with swapon and swapoff" (Message-ID 20210405102008.25504-1-linmiaohe@huawei.com, Fixes: d1dc6f1bcf1e), not merged: mainline instead removed the path with f328c1d16e4c "frontswap: simplify frontswap_register_ops" (v5.17: registration before any swapon only), so no fixing commit keeps v5.10\'s registration while swap is on and the variant keeps a descriptive name; the model applies the posted fix',
    scenarios: ['register-swapon'],
  },
  {
    name: '2799e77529c2',
    description:
      'do_swap_page() on a SWP_SYNCHRONOUS_IO device holds no get_swap_device() reference while swap_readpage() runs (v5.10 as released): swapoff clears SWP_VALID, its synchronize_rcu() has nothing to wait for, and frontswap_invalidate_area frees the zswap tree between the frontswap_map test and the backend load',
    source:
      '2799e77529c2 "swap: fix do_swap_page() race with swapoff" (Fixes: 0bcac06f27d7 "mm,swap: skip swapcache for swapin of synchronous device"); get_swap_device() from eb085574a752 "mm, swap: fix race between swapoff and some swap operations"; mm/memory.c do_swap_page() @ v5.10. Upstream the fix relies on 63d8620ecf93 "mm/swapfile: use percpu_ref to serialize against concurrent swapoff" (in v5.10 get_swap_device() is rcu_read_lock(), which a sleeping swap-in may not hold); its stable backports were reverted for that reason, so the fixed model is v5.10 with both applied',
    scenarios: ['swapoff-sync'],
  },
  {
    name: '7ba716698cc5',
    description:
      'zswap_frontswap_store() without the PageTransHuge check: a THP swapped out whole is taken as one page, only the head subpage is kept and its frontswap_map bit set, and the tail subpage comes back with data it never had',
    source:
      '7ba716698cc5 "mm, swap, frontswap: fix THP swap if frontswap enabled" (full id 7ba716698cc53f8d5367766c93c538c7da6c68ce, Huang Ying, committed 2018-02-21, v4.16-rc3; Fixes: bd4c82c22c36 "mm, THP, swap: delay splitting THP after swapped out"; "zswap (frontswap) will treat THP as normal page, so only the head page is saved"; posted as Message-ID 20180209084947.22749-1-ying.huang@intel.com); mm/zswap.c zswap_frontswap_store() @ v5.10 ("THP isn\'t supported")',
    scenarios: ['thp-swapout'],
  },
  {
    name: 'FS-1',
    description: 'a failed duplicate store invalidates nothing: the bit stays set and a load returns the stale copy',
    source: `${DOC} ("stale data may never be obtained from frontswap"; FAQ "Why this weird definition about duplicate stores?")`,
    scenarios: ['dup-store'],
  },
  {
    name: 'FS-3',
    description:
      'a full backend accepts a store by silently dropping its oldest entry: a later load of that page misses',
    source: `${DOC} (a store the backend accepts is persistent: "the backend guarantees the persistence of the data")`,
    scenarios: ['two-slots'],
  },
];
