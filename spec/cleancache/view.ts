/**
 * The cleancache spec's input and its views (what the checker compares with
 * abstraction(impl)): the backend contract's pools and counters ('api' mode),
 * and the system contract's files ('fs' mode). See machine.ts.
 */

export interface CleancacheSpecInput {
  readonly mode: 'api' | 'fs';
  readonly nsb: number;
  readonly keys: number;
  readonly pages: number;
  readonly files: number;
  readonly registered: boolean;
  readonly mounted: boolean;
}

/** Superblock states in `sbs` besides a pool name (>= 0). */
export const SB_UNMOUNTED = -2;
export const SB_NO_BACKEND = -1;
export const SB_NO_POOL = -3;

export const INITIAL_FILE_DATA = 1;

export interface CleancacheApiView {
  readonly mode: 'api';
  readonly registered: boolean;
  readonly sbs: readonly number[];
  readonly uuid: readonly number[];
  /** version stored for (sb, key, idx) in sb's pool, 0 when absent; flat [sb][key][idx] */
  readonly data: readonly number[];
  readonly succ_gets: number;
  readonly failed_gets: number;
  readonly puts: number;
  readonly invalidates: number;
}
export interface CleancacheFsView {
  readonly mode: 'fs';
  readonly registered: boolean;
  readonly mounted: boolean;
  /** per file name: its page versions, as many as its size, or null when the name does not exist */
  readonly files: readonly (readonly number[] | null)[];
}
export type CleancacheView = CleancacheApiView | CleancacheFsView;
