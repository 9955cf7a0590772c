/**
 * The step memo's eviction (step-memo.ts StepMemo.bound): past its cap, the
 * memo keeps what it knows of the impl states expanded most recently and
 * drops the rest, instead of dropping everything.
 *
 * Kept: the impl states whose last expansion (`lastUse`, the memo's clock of
 * expansions) is among the latest, as many as fit a budget of words (with
 * their per-id tables and keys, about 8 words each): their entries by either
 * key, each entry's runs (a run's return value and successor impl state come
 * along), and the cached fingerprint parts, abstraction ids and invariant
 * outcomes of every impl state kept. A BFS meets an impl state again mostly
 * in the next few levels, so these are the entries worth keeping. Impl ids
 * are renumbered: an id from before (a queued state's hint) is checked word
 * by word before use (StepMemo.implIdHinted), never trusted.
 */
import { IntTable } from './store/int-table.js';
import { KeyTable } from './store/key-table.js';
import { grown } from './store/grown.js';
import type { RetValue } from './types.js';

/** A run in an entry: [RUN_PRUNED, text] or [RUN_DONE, nextPc, ret, injected, impl, block]. */
export const RUN_PRUNED = 0;
export const RUN_DONE = 1;
/** Key values besides an offset into `runs` + 1. */
export const UNKNOWN = 0;
export const NOT_MEMOIZABLE = -1;

/** The tables of a StepMemo that hold impl ids (step-memo.ts documents each). */
export interface MemoParts {
  impls: IntTable;
  keys: KeyTable;
  runs: Int32Array<ArrayBuffer>;
  used: number;
  rets: (RetValue | undefined)[];
  bySteps: KeyTable;
  invs: KeyTable;
  zs: Int32Array<ArrayBuffer>;
  abs: Int32Array<ArrayBuffer>;
  lastUse: Int32Array<ArrayBuffer>;
}

/**
 * The clock from which impl states are kept: the most recently expanded
 * ones whose words (about 8 more each) sum to `budget` at most (a histogram
 * of `lastUse` in 1024 buckets); past `clock` when even the latest bucket is
 * over budget.
 */
export function keepFrom(impls: IntTable, lastUse: Int32Array, clock: number, budget: number): number {
  const B = 1024;
  const n = impls.size;
  let lo = clock;
  for (let id = 0; id < n; id++) if (lastUse[id]! > 0 && lastUse[id]! < lo) lo = lastUse[id]!;
  const width = Math.max(1, Math.ceil((clock + 1 - lo) / B));
  const hist = new Float64Array(B + 1);
  for (let id = 0; id < n; id++) {
    const u = lastUse[id]!;
    if (u > 0) hist[Math.floor((u - lo) / width)]! += impls.lenOf(id) + 8;
  }
  let sum = 0;
  for (let b = B; b >= 0; b--) {
    sum += hist[b]!;
    if (sum > budget) return lo + (b + 1) * width;
  }
  return lo;
}

/** Copies of the kept parts of `old` (see the file comment), with renumbered impl ids. */
export function evicted(old: MemoParts, clock: number, budget: number): MemoParts {
  const from = keepFrom(old.impls, old.lastUse, clock, budget);
  const oi = old.impls;
  const idMap = new Int32Array(oi.size).fill(-1);
  const out: MemoParts = {
    impls: new IntTable(),
    keys: new KeyTable(3, 16),
    runs: new Int32Array(1 << 14),
    used: 0,
    rets: [],
    bySteps: new KeyTable(),
    invs: new KeyTable(),
    zs: new Int32Array(3 << 10),
    abs: new Int32Array(1 << 10),
    lastUse: new Int32Array(Math.max(1 << 10, oi.size)),
  };
  /** The new id of impl `id`, copied with its cached parts when not yet. */
  const remap = (id: number): number => {
    let n = idMap[id]!;
    if (n >= 0) return n;
    n = out.impls.intern(oi.arena, oi.startOf(id), oi.lenOf(id));
    idMap[id] = n;
    out.lastUse[n] = old.lastUse[id]!;
    if (3 * id + 2 < old.zs.length && old.zs[3 * id + 2] !== 0) {
      if (3 * n + 3 > out.zs.length) out.zs = grown(out.zs, 3 * n + 3);
      out.zs.set(old.zs.subarray(3 * id, 3 * id + 3), 3 * n);
    }
    if (id < old.abs.length && old.abs[id] !== 0) {
      if (n >= out.abs.length) out.abs = grown(out.abs, n + 1);
      out.abs[n] = old.abs[id]!;
    }
    return n;
  };
  const moved = new Map<number, number>();
  /** The new offset of the entry at `at` in the old runs, copied when not yet. */
  const copy = (at: number): number => {
    const done = moved.get(at);
    if (done !== undefined) return done;
    const o = old.runs;
    let end = at + 1;
    for (let i = 0, n = o[at]!; i < n; i++) end += o[end] === RUN_PRUNED ? 2 : 6;
    const to = out.used;
    if (to + end - at > out.runs.length) out.runs = grown(out.runs, to + end - at);
    const r = out.runs;
    r.set(o.subarray(at, end), to);
    for (let p = to + 1; p < to + end - at; p += r[p] === RUN_PRUNED ? 2 : 6) {
      if (r[p] === RUN_PRUNED) continue;
      if (r[p + 2]! >= 0) r[p + 2] = out.rets.push(old.rets[r[p + 2]!]) - 1;
      r[p + 4] = remap(r[p + 4]!);
    }
    out.used = to + end - at;
    moved.set(at, to);
    return to;
  };
  const kept = (id: number): boolean => old.lastUse[id]! >= from;
  old.keys.forEach((a, b, c, v) => {
    if (v === UNKNOWN || !kept(a)) return;
    out.keys.set(out.keys.slot(remap(a), b, c), v > 0 ? copy(v - 1) + 1 : v);
  });
  old.bySteps.forEach((a, b, c, v) => {
    if (v > 0 && kept(a)) out.bySteps.set(out.bySteps.slot(remap(a), b, c), copy(v - 1) + 1);
  });
  old.invs.forEach((a, b, c, v) => {
    if (v !== 0 && idMap[a]! >= 0) out.invs.set(out.invs.slot(idMap[a]!, b, c), v);
  });
  return out;
}
