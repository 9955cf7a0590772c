/**
 * The implementation's fault sites (impl/hugetlb: ThreadCtx.inject) as kernel functions that
 * kernel/inject/mmcheck_inject.ko fails on a real kernel (kernel/inject.ts). Each entry says which
 * function @ version is hooked and why failing it is the model's site. All were checked to be real
 * functions (not inlined) in /proc/kallsyms of Debian 6.1.192 (6.1.0-57-amd64) and 6.12.118
 * (6.12.118+deb12-amd64): __anon_vma_prepare, hugetlb_add_to_page_cache, kmalloc_trace (6.1) and
 * __kmalloc_cache_noprof (6.12) are global (T), allocate_file_region_entries and region_del local (t).
 * The module counts the calls it saw (hits): a site that never fired makes the run INCONCLUSIVE.
 */
import type { KernelInjectSite } from '../../kernel/inject.js';

const ENOMEM = -12;

/** Release "6.12.118" -> [6, 12]. */
function series(release: string): [number, number] | undefined {
  const m = release.match(/^(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The out-of-line function a constant-size kmalloc(sizeof(struct file_region), GFP_KERNEL) calls
 * (include/linux/slab.h kmalloc()): kmalloc_trace() from v6.1 (its first release) to v6.9,
 * kmalloc_trace_noprof() in v6.10 (memory allocation profiling), __kmalloc_cache_noprof() from v6.11.
 */
function kmallocFn(release: string): string | undefined {
  const v = series(release);
  if (!v) return undefined;
  const n = v[0] * 1000 + v[1];
  if (n < 6001) return undefined;
  if (n <= 6009) return 'kmalloc_trace';
  if (n === 6010) return 'kmalloc_trace_noprof';
  return '__kmalloc_cache_noprof';
}

const SITES: Readonly<Record<string, (release: string) => KernelInjectSite | string>> = {
  /*
   * impl/hugetlb/fault.ts anonVmaPrepareFails: a private mapping's fault cannot attach an anon_vma.
   * mm/hugetlb.c hugetlb_no_page() @ v6.1: after alloc_huge_page(), `if (unlikely(anon_vma_prepare(vma)))
   * { ret = VM_FAULT_OOM; goto backout_unlocked; }` (backout_unlocked: restore_reserve_on_error, put_page);
   * anon_vma_prepare() (include/linux/rmap.h) calls __anon_vma_prepare() (mm/rmap.c) only while
   * vma->anon_vma is NULL, i.e. on the VMA's first anonymous page. @ v6.12 the call is
   * __vmf_anon_prepare() (mm/memory.c) -> __anon_vma_prepare(), made in hugetlb_no_page() BEFORE
   * alloc_hugetlb_folio() (VM_FAULT_OOM with nothing allocated). hugetlb_wp() @ v6.1 and v6.12 calls it
   * after the copy's allocation (`goto out_release_all`: restore_reserve_on_error, folio_put), which only
   * happens on a VMA without an anon_vma: the first COW of a page-cache page through a MAP_PRIVATE mapping
   * of a file (or its fork child's). The model offers the site only where vma->anon_vma is NULL (vma.av:
   * set by a successful preparation and by UFFDIO_COPY's uffd_mfill_lock, copied by split, mremap and
   * anon_vma_fork), so a model failure is the kernel's first call in that step. Failing
   * __anon_vma_prepare() with -ENOMEM is its own kmalloc/anon_vma_alloc failing.
   */
  anon_vma_prepare: () => ({ sym: '__anon_vma_prepare', ret: ENOMEM }),
  /*
   * impl/hugetlb/fault.ts noPageBackout and fallocate.ts: a shared mapping's page cannot be inserted in the
   * page cache. mm/hugetlb.c hugetlb_add_to_page_cache() @ v6.1 and v6.12: __folio_set_locked, then
   * __filemap_add_folio(mapping, folio, idx, GFP_KERNEL, NULL) (v6.1: add_to_page_cache(page, ...)); on an
   * error it clears the lock bit and returns it, changing nothing else. Returning -ENOMEM without running
   * it is that insert failing (the xarray node allocation); hugetlb_no_page() then calls
   * restore_reserve_on_error() and drops the page, as the model's site does.
   */
  add_to_page_cache: () => ({ sym: 'hugetlb_add_to_page_cache', ret: ENOMEM }),
  /*
   * impl/hugetlb/region-steps.ts allocateFileRegionEntriesStep: the kmalloc of a file_region descriptor.
   * mm/hugetlb.c allocate_file_region_entries() @ v6.1 and v6.12: with resv->lock dropped,
   * `trg = kmalloc(sizeof(*trg), GFP_KERNEL); if (!trg) goto out_of_memory;` (region_chg() and
   * region_add() then return -ENOMEM). Only kmalloc calls that return into allocate_file_region_entries
   * count; the failed call returns NULL.
   */
  region_chg_kmalloc: (release) => {
    const f = kmallocFn(release);
    return f
      ? { sym: f, caller: 'allocate_file_region_entries', ret: 0 }
      : `kmalloc's out-of-line function is not known for ${release}`;
  },
  /*
   * impl/hugetlb/truncate.ts and restore.ts: region_del() cannot split an entry. mm/hugetlb.c region_del()
   * @ v6.1 and v6.12: with no cached descriptor beyond adds_in_progress, `spin_unlock(&resv->lock);
   * nrg = kmalloc(sizeof(*nrg), GFP_KERNEL); if (!nrg) return -ENOMEM;`. Only kmalloc calls that return
   * into region_del count.
   */
  region_del_split: (release) => {
    const f = kmallocFn(release);
    return f ? { sym: f, caller: 'region_del', ret: 0 } : `kmalloc's out-of-line function is not known for ${release}`;
  },
};

/** KernelMapping.injectSite for hugetlb. */
export function hugetlbInjectSite(site: string, release: string): KernelInjectSite | string {
  const f = SITES[site];
  if (!f) return `fault site ${site} has no kernel injection point yet (known: ${Object.keys(SITES).join(', ')})`;
  return f(release);
}
