/**
 * The step memo of a Product: what one step of one thread does to an
 * implementation state, remembered by (encoded impl state, thread, the
 * thread's control block, faults used), so a step met again in another
 * product state (other threads elsewhere, another linearization set) is not
 * decoded, run and encoded again.
 *
 * Sound because a step is a function of exactly that key: it sees the impl
 * state, its thread id, its args and locals (fixed by the control block and
 * the alternative), the fault budget left, and the scenario's constants;
 * steps must be deterministic given the state and choices (step-ctx.ts checks
 * the choice arity). An entry keeps every run of the step's choice odometer
 * in order: a pruned run (its precondition text, counted again on replay) or
 * the successor's impl state, next pc, control block (the product's block
 * id: slot, alt, pc, locals), return value and faults injected. A key
 * not met yet may find the same step run in another slot (`stepKeyId`: the
 * step does not see its slot): that entry is copied with its control blocks
 * moved to this slot instead of running the step. A step whose runs failed (threw, bad result, state outside its
 * schema) is not memoized: it runs every time, so its failure is reported as
 * before. Labels (traces, pick, random walks) always run the step.
 *
 * Everything is in typed arrays (store/int-table.ts, store/key-table.ts), bounded: past CAP_WORDS
 * the entries of the impl states expanded last are kept, the rest dropped (step-memo-evict.ts).
 * With a 64 MiB cap, dropping everything (as before) made thp-menu run 2.02M steps (14 drops),
 * this eviction 1.62M (24 evictions); unbounded: 0.92M.
 *
 * Entry layout in `runs`: [n, run...]; a run is [PRUNED, text] or
 * [DONE, nextPc, ret, injected, impl, block].
 */
import { totalmem } from 'node:os';
import { z1, z2 } from './fingerprint.js';
import { IntTable } from './store/int-table.js';
import { KeyTable } from './store/key-table.js';
import { grown } from './store/grown.js';
import { evicted, NOT_MEMOIZABLE, RUN_DONE, RUN_PRUNED, UNKNOWN } from './step-memo-evict.js';
import type { RetValue } from './types.js';

export { RUN_DONE, RUN_PRUNED };

export class StepMemo {
  /** Impl states shorter than this many words run without the memo (Product.setStepMemo). */
  static MIN_IMPL = 32;
  /**
   * Words past which the memo evicts: a 64th of the machine's memory, 64 to 256 MiB (per
   * thread of a search). bench thp-menu's grows to ~320 MiB: at 64 MiB it ran 2.02M steps (14
   * drops), at 256 MiB 0.97M (1 eviction), 52 s of search thread CPU instead of 68 (load 13).
   */
  static CAP_WORDS = defaultCapWords();
  /** The share of CAP_WORDS an eviction keeps, at most, of the recently expanded impl states' words. */
  static KEEP = 0.25;
  /** Alternatives per slot and fault budget the key's third word has room for (`fits`). */
  static readonly MAX_ALTS = 1 << 16;
  static readonly MAX_FAULTS = 1 << 13;
  impls = new IntTable();
  /** By key: offset + 1 of its entry in `runs`, UNKNOWN or NOT_MEMOIZABLE. */
  private keys = new KeyTable(3, 16);
  runs = new Int32Array(1 << 14);
  private used = 0;
  /** Return values by index (a run's `ret` word); -1 in the run: none. */
  rets: (RetValue | undefined)[] = [];
  /** Precondition texts by index, and their indices. */
  texts: string[] = [];
  private textIds = new Map<string, number>();
  /** The entry being recorded. */
  private rec = new Int32Array(256);
  private recLen = 0;
  private recRuns = 0;
  /** Evictions so far. */
  drops = 0;
  /** The most words held at a bound() so far. */
  peakWords = 0;
  /** bound() calls so far (one per expansion): the clock of `lastUse`. */
  private clock = 1;
  /** Per impl id: the clock when a state with that impl state was last expanded (0: never). */
  private lastUse = new Int32Array(1 << 10);
  /** Steps run because the memo did not know them (entries recorded, memoizable or not), so far. */
  misses = 0;

  /**
   * The same entries by a key without the slot: (impl id, step id, thread and
   * faults used), where a step id (`stepId`) names the clause (the op and its
   * args: CompiledAlt.clause), the pc and the locals. A step sees the impl
   * state, its thread id, args, locals and the faults left, never its slot,
   * so a step another slot ran in the same impl state did what this one
   * would: its entry, with the control blocks moved to this slot, is this
   * key's (menu threads take the same ops in every slot). -2 + 1 = -1: none.
   */
  private bySteps = new KeyTable();
  private stepIds = new IntTable();

  /** The id of the step [clause, pc, locals...] in a[0, len). */
  stepId(a: Int32Array, len: number): number {
    return this.stepIds.intern(a, 0, len);
  }

  /**
   * The slot-free key of thread t's step `step` (a stepId) in impl state
   * `impl` with `faultsUsed` faults used: valid for `stepEntry` and
   * `setStepEntry` until the next stepKeyId().
   */
  stepKeyId(impl: number, t: number, step: number, faultsUsed: number): number {
    return this.bySteps.slot(impl, step, t | (faultsUsed << 3)); // see fits()
  }

  /** The offset in `runs` of an entry for the slot-free key (recorded at another slot), or -1. */
  stepEntry(key: number): number {
    return this.bySteps.get(key) - 1;
  }

  /** Point the slot-free key at the entry of `key` (a keyId, just committed memoizable). */
  setStepEntry(stepKey: number, key: number): void {
    this.bySteps.set(stepKey, this.keys.get(key));
  }

  /** Record a run as it is, but for its control block (an entry of another slot, moved to this one). */
  recordMoved(runs: Int32Array, p: number, block: number): void {
    const r = this.room(6);
    let q = this.recLen;
    for (let i = 0; i < 5; i++) r[q++] = runs[p + i]!;
    r[q++] = block;
    this.recLen = q;
    this.recRuns++;
  }

  /** Record a pruned run by its text id. */
  recordPrunedId(text: number): void {
    const r = this.room(2);
    r[this.recLen++] = RUN_PRUNED;
    r[this.recLen++] = text;
    this.recRuns++;
  }

  /** Words held (impl states and their per-id tables, keys, runs). */
  get words(): number {
    return (
      this.impls.words +
      5 * this.impls.size +
      this.keys.words +
      this.invs.words +
      this.used +
      this.bySteps.words +
      this.stepIds.words
    );
  }

  /** Call between expansions: evict when past the cap. */
  bound(): void {
    this.clock++;
    const words = this.words;
    if (words > this.peakWords) this.peakWords = words;
    if (words < StepMemo.CAP_WORDS) return;
    this.drops++;
    this.evict();
    // an eviction that kept too much (entries of a few impl states larger than the cap's share) drops everything
    if (this.words >= StepMemo.CAP_WORDS * (2 * StepMemo.KEEP + 0.25)) this.clear();
  }

  /**
   * Keep the entries, cached fingerprint parts, abstraction ids and invariant
   * outcomes of the impl states expanded last (step-memo-evict.ts); impl ids
   * are renumbered.
   */
  private evict(): void {
    const p = evicted(
      {
        impls: this.impls,
        keys: this.keys,
        runs: this.runs,
        used: this.used,
        rets: this.rets,
        bySteps: this.bySteps,
        invs: this.invs,
        zs: this.zs,
        abs: this.abs,
        lastUse: this.lastUse,
      },
      this.clock,
      StepMemo.KEEP * StepMemo.CAP_WORDS,
    );
    this.impls = p.impls;
    this.keys = p.keys;
    this.runs = p.runs;
    this.used = p.used;
    this.rets = p.rets;
    this.bySteps = p.bySteps;
    this.invs = p.invs;
    this.zs = p.zs;
    this.abs = p.abs;
    this.lastUse = p.lastUse;
  }

  clear(): void {
    this.lastUse.fill(0);
    this.impls.clear(); // keeps its arrays (store/int-table.ts clear)
    this.keys = new KeyTable(3, 16);
    this.bySteps = new KeyTable();
    this.stepIds = new IntTable();
    this.invs = new KeyTable();
    this.zs = new Int32Array(3 << 10);
    this.abs = new Int32Array(1 << 10);
    this.used = 0;
    this.rets = [];
    this.texts = [];
    this.textIds.clear();
  }

  /** The id of the impl encoding a[off, off+len). */
  implId(a: Int32Array, off: number, len: number): number {
    return this.impls.intern(a, off, len);
  }

  /**
   * implId() when `hint` may be it (an id this memo gave the same state
   * before, kept in the BFS queue): checked word by word, which costs less
   * than hashing, and falls back to implId() (a hint from before a drop, or none).
   */
  implIdHinted(hint: number, a: Int32Array, off: number, len: number): number {
    const id = this.impls.holds(hint, a, off, len) ? hint : this.impls.intern(a, off, len);
    if (id >= this.lastUse.length) this.lastUse = grown(this.lastUse, id + 1);
    this.lastUse[id] = this.clock;
    return id;
  }

  /**
   * Per impl id: its part of a product vector's Zobrist fingerprint (see
   * fingerprint.ts) when it starts at word `implOff`, the length term of the
   * vector included, as [lane 1, lane 2, known]; computed on first use. The
   * fingerprint of a successor is then its parent's XOR the two impl states'
   * parts, without comparing them word by word.
   */
  private zs = new Int32Array(3 << 10);

  /** Lane 1 of impl `id`'s part (lane 2 in `zb` after the call). */
  implZ(id: number, implOff: number): number {
    if (3 * id + 3 > this.zs.length) this.zs = grown(this.zs, 3 * id + 3);
    const zs = this.zs;
    if (zs[3 * id + 2] === 0) {
      const ar = this.impls.arena;
      const st = this.impls.startOf(id);
      const n = this.impls.lenOf(id);
      let a = z1(-1, implOff + n);
      let b = z2(-1, implOff + n);
      for (let i = 0; i < n; i++) {
        const v = ar[st + i]!;
        a ^= z1(implOff + i, v);
        b ^= z2(implOff + i, v);
      }
      zs[3 * id] = a;
      zs[3 * id + 1] = b;
      zs[3 * id + 2] = 1;
    }
    this.zb = zs[3 * id + 1]!;
    return zs[3 * id]!;
  }
  /** Lane 2 of the last implZ(). */
  zb = 0;

  /** Per impl id: its abstraction's id + 1 (0: not known yet). */
  private abs = new Int32Array(1 << 10);

  /** The cached abstraction id of impl `id`, -1 when not known. */
  absId(id: number): number {
    return id < this.abs.length ? this.abs[id]! - 1 : -1;
  }

  setAbsId(id: number, abs: number): void {
    if (id >= this.abs.length) this.abs = grown(this.abs, id + 1);
    this.abs[id] = abs + 1;
  }

  /**
   * Per (impl id, invariant context id): the invariants' outcome in a state
   * with that impl state and context, when none failed, as 1 + the mask of
   * the invariants that held non-vacuously (0: not known). Invariants are
   * functions of the impl state, the params and the context (InvariantCtx),
   * so a new product state that repeats both needs no decoding nor evaluation.
   */
  private invs = new KeyTable();

  /** The slot of (impl id, context id) in the invariant cache: valid for invGet/invSet until the next invSlot. */
  invSlot(id: number, ctx: number): number {
    return this.invs.slot(id, ctx, 0);
  }

  invGet(slot: number): number {
    return this.invs.get(slot);
  }

  invSet(slot: number, v: number): void {
    this.invs.set(slot, v);
  }

  /**
   * Whether keys have room for a scenario's threads (at most 8, as Product
   * allows), alternatives per slot and fault budget; without it the memo stays off.
   */
  static fits(threads: number, maxAlts: number, faultBudget: number): boolean {
    return threads <= 8 && maxAlts <= StepMemo.MAX_ALTS && faultBudget < StepMemo.MAX_FAULTS;
  }

  /**
   * The key of thread t taking alternative `alt` with control block `block`
   * (the product's block id) in impl state `impl` with `faultsUsed` faults
   * used: valid for `entry` and `commit` until the next keyId().
   */
  keyId(impl: number, t: number, alt: number, faultsUsed: number, block: number): number {
    return this.keys.slot(impl, block, t | (alt << 3) | (faultsUsed << 19)); // see fits()
  }

  /** The offset of the key's entry in `runs`; -1: not memoizable; -2: not yet known. */
  entry(key: number): number {
    const e = this.keys.get(key);
    return e > 0 ? e - 1 : e === UNKNOWN ? -2 : -1;
  }

  /** Start recording an entry. */
  begin(): void {
    this.recLen = 1;
    this.recRuns = 0;
  }

  private room(n: number): Int32Array {
    if (this.recLen + n > this.rec.length) {
      const r = new Int32Array(2 * (this.recLen + n));
      r.set(this.rec);
      this.rec = r;
    }
    return this.rec;
  }

  recordPruned(text: string): void {
    let id = this.textIds.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.textIds.set(text, id);
    }
    const r = this.room(2);
    r[this.recLen++] = RUN_PRUNED;
    r[this.recLen++] = id;
    this.recRuns++;
  }

  recordDone(
    nextPc: number,
    ret: RetValue | undefined,
    injected: number,
    impl: Int32Array,
    implLen: number,
    block: number,
  ): number {
    const implId = this.impls.intern(impl, 0, implLen);
    const r = this.room(6);
    let p = this.recLen;
    r[p++] = RUN_DONE;
    r[p++] = nextPc;
    if (ret === undefined) r[p++] = -1;
    else {
      r[p++] = this.rets.length;
      this.rets.push(ret);
    }
    r[p++] = injected;
    r[p++] = implId;
    r[p++] = block;
    this.recLen = p;
    this.recRuns++;
    return implId;
  }

  /** Keep the recorded entry for `key` (or mark it not memoizable); `ran`: the step ran (a miss), else it was moved. */
  commit(key: number, memoizable: boolean, ran = true): void {
    if (ran) this.misses++;
    if (!memoizable) {
      this.keys.set(key, NOT_MEMOIZABLE);
      return;
    }
    this.rec[0] = this.recRuns;
    if (this.used + this.recLen > this.runs.length) {
      const r = new Int32Array(Math.max(2 * this.runs.length, this.used + this.recLen));
      r.set(this.runs.subarray(0, this.used));
      this.runs = r;
    }
    this.runs.set(this.rec.subarray(0, this.recLen), this.used);
    this.keys.set(key, this.used + 1);
    this.used += this.recLen;
  }
}

/** StepMemo.CAP_WORDS: totalmem / 64 bytes, from 64 to 256 MiB, in words. */
function defaultCapWords(): number {
  const bytes = Math.min(256 << 20, Math.max(64 << 20, Math.floor(totalmem() / 64)));
  return Math.floor(bytes / 4);
}
