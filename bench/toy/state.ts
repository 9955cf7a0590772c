/**
 * The toy bench model's parameters, state (the Promela globals of
 * bench/models/hugetlb-toy.pml) and its schema; the configurations SPIN and
 * Rumur measured. See model.ts for the model as a whole.
 */
import { S } from '../../checker/schema.js';
import type { Schema } from '../../checker/schema.js';

/** P pages in the pool, K indices in the file, T threads, N operations per thread. */
export interface ToyParams {
  readonly P: number;
  readonly K: number;
  readonly T: number;
  readonly N: number;
}

export interface ToyState {
  /** free_huge_pages */
  F: number;
  /** resv_huge_pages */
  R: number;
  /** reserve map (the inode's resv_map): entry for index i */
  rmap: boolean[];
  /** page cache: huge page instantiated at index i */
  cache: boolean[];
  /** inode lock (i_rwsem) held by reserve: 0 free, tid + 1 owner */
  ilock: number;
  /** faults in flight (they hold i_mmap_rwsem shared; truncate waits for 0) */
  nfault: number;
  /** hugetlb_fault_mutex for (mapping, index) */
  fmutex: boolean[];
}

/** The two configurations SPIN and Rumur agree on (README.md next to the .pml). */
export const SMALL: ToyParams = { P: 3, K: 3, T: 2, N: 2 };
export const LARGE: ToyParams = { P: 4, K: 4, T: 3, N: 2 };
/** Distinct reachable states measured with SPIN and Rumur. */
export const EXPECTED_STATES = { small: 11_909, large: 1_795_910 } as const;
/** SPIN's transition counts (they include the ALL_DONE stutter self-loops). */
export const SPIN_TRANSITIONS = { small: 29_907, large: 6_694_546 } as const;

/** Schemas are per K (fixed-length arrays); memoized so every run shares one. */
const schemas = new Map<number, Schema<ToyState>>();
export function toySchema(K: number): Schema<ToyState> {
  let s = schemas.get(K);
  if (!s) {
    s = S.struct({
      F: S.int(),
      R: S.int(),
      rmap: S.array(S.bool(), K),
      cache: S.array(S.bool(), K),
      ilock: S.int(),
      nfault: S.int(),
      fmutex: S.array(S.bool(), K),
    });
    schemas.set(K, s);
  }
  return s;
}
