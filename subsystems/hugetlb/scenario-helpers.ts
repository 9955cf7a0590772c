/**
 * Shorthands for writing hugetlb scenarios: parameters with the default
 * size= mount, and one constructor per operation.
 */
import type { OpChoice } from '../../checker/types.js';
import { LIMITS } from '../../spec/hugetlb/params.js';
import { type HugetlbParams, parseParams } from './params.js';

/** Scenario params; the default mount has size= (used_hpages maintained, subpool invariant exercised). */
export const P = (over: Partial<HugetlbParams> = {}): HugetlbParams =>
  parseParams({ mounts: [{ size: LIMITS.maxPages, min: -1, mounted: true }], ...over });
export const op = (name: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({
  op: name,
  args,
});
export const one = (o: OpChoice): OpChoice[] => [o];

export const sh = (v: number, f: number, from: number, to: number): OpChoice =>
  op('mmap', { v, kind: 'shared', f, from, to });
export const nr = (v: number, f: number, from: number, to: number): OpChoice =>
  op('mmap', { v, kind: 'noreserve', f, from, to });
export const pv = (v: number, m: number, from: number, to: number): OpChoice =>
  op('mmap', { v, kind: 'private', f: m, from, to });
/** MAP_PRIVATE of file f, pages [from, to). */
export const pf = (v: number, f: number, from: number, to: number): OpChoice =>
  op('mmap', { v, kind: 'private_file', f, from, to });
/** madvise(MADV_DONTNEED) of pages [from, to) of VMA v. */
export const dontneed = (v: number, from: number, to: number): OpChoice => op('madvise_dontneed', { v, from, to });
export const wr = (v: number, i: number): OpChoice => op('fault', { v, i, write: true });
export const rd = (v: number, i: number): OpChoice => op('fault', { v, i, write: false });
export const munmap = (v: number): OpChoice => op('munmap', { v });
export const SITES_ALL = [
  'add_to_page_cache',
  'anon_vma_prepare',
  'copy_from_user',
  'region_chg_kmalloc',
  'region_del_split',
  'alloc_buddy',
  'io_alloc_imu',
];
