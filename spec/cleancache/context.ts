/**
 * The cleancache spec's state (the xstate context): both contracts' fields,
 * the initial state, and the helpers every reducer shares.
 */
import { INITIAL_FILE_DATA, SB_UNMOUNTED, type CleancacheSpecInput } from './view.js';

export interface Ctx {
  cfg: CleancacheSpecInput;
  registered: boolean;
  sbs: number[];
  uuid: number[];
  data: number[];
  succ_gets: number;
  failed_gets: number;
  puts: number;
  invalidates: number;
  mounted: boolean;
  files: (number[] | null)[];
  ret?: number | string | null;
}

export type Ev = { type: string; [k: string]: unknown };

export const num = (x: unknown) => (typeof x === 'number' ? x : x === true ? 1 : 0);

export function initial(input: CleancacheSpecInput): Ctx {
  return {
    cfg: input,
    registered: input.registered,
    sbs: Array.from({ length: input.nsb }, () => SB_UNMOUNTED),
    uuid: Array.from({ length: input.nsb }, () => 0),
    data: Array.from({ length: input.nsb * input.keys * input.pages }, () => 0),
    succ_gets: 0,
    failed_gets: 0,
    puts: 0,
    invalidates: 0,
    mounted: input.mode === 'fs' && input.mounted,
    files: Array.from({ length: input.files }, () => Array.from({ length: input.pages }, () => INITIAL_FILE_DATA)),
    ret: undefined,
  };
}

/** Index of (sb, key, idx) in the flat `data` table. */
export const at = (c: Ctx, sb: number, key: number, idx: number) => (sb * c.cfg.keys + key) * c.cfg.pages + idx;

/** An event the state does not allow: no transition. */
export const reject = { ret: undefined };
