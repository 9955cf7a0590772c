/**
 * One thread's part of a level of the parallel BFS (parallel-bfs.ts): the
 * hot loop every thread of the search runs, the coordinator as thread 0 and
 * each spawned worker (parallel-worker.ts) as thread 1..N-1. It expands its
 * own share of the level first (the states of its affinity, store/frontier.ts
 * owner: its model's caches know them), then what is left of the others'
 * shares, claiming new states in the shared fingerprint table and appending
 * them to its frontier buffer; and it copies its share of a table rebuild.
 * It knows the model only through the Model interface.
 */
import { successorFingerprint } from '../fingerprint.js';
import type { Model, Successor } from '../model.js';
import { Frontier, owner } from '../store/frontier.js';
import { RecentFingerprints } from '../store/recent-fingerprints.js';
import { norm, type SharedFingerprintTable } from '../store/shared-visited.js';
import { foldLowered } from './parallel-order.js';
import { ABORT, C, W, WORKER_BASE } from './parallel-protocol.js';

export class LevelExpander {
  private readonly base: number;
  /**
   * The fingerprints this thread met last (store/recent-fingerprints.ts): each is in the table with a tag (smallest discovering parent
   * + 1) at most the parent this thread expanded when it met it, and while a
   * thread expands its parents in increasing order, meeting it again could
   * neither claim it nor lower its tag: the table need not be probed. Cleared
   * whenever the table may have lost entries (`forget`: a redone level, a new
   * table) and when the next parent is smaller than the last (a share of
   * another thread's taken after its own).
   */
  private readonly recent = new RecentFingerprints();
  /** The share `claim` takes from: this thread's own (0), then the next threads' (me + 1, ...). */
  private shareAt = 0;
  /** The end of the positions the last `claim` handed out. */
  private claimEnd = 0;

  constructor(
    private readonly ctl: Int32Array,
    /** This thread's index, and the threads of the search. */
    readonly me: number,
    readonly threads: number,
    private readonly stop?: Int32Array,
    /** Date.now() after which the search stops (--time-limit). */
    private readonly deadline?: number,
  ) {
    this.base = WORKER_BASE + W.SIZE * me;
  }

  /** The table lost entries or was replaced: no fingerprint met so far may be taken as present. */
  forget(): void {
    this.recent.clear();
  }

  private abort(bit: number): void {
    Atomics.or(this.ctl, C.ABORT, bit);
  }

  /**
   * Positions [k, claimEnd) of frontier.owned to expand, `chunk` at most, from
   * this thread's share while it lasts, then from what is left of the others'
   * (their models' caches do not know those states, but this thread would be
   * idle); -1 when the level is all handed out.
   */
  private claim(chunk: number): number {
    const ctl = this.ctl;
    for (; this.shareAt < this.threads; this.shareAt++) {
      const wb = WORKER_BASE + W.SIZE * ((this.me + this.shareAt) % this.threads);
      const end = ctl[wb + W.END]!;
      const k = Atomics.add(ctl, wb + W.CURSOR, chunk);
      if (k < end) {
        this.claimEnd = Math.min(end, k + chunk);
        return k;
      }
    }
    return -1;
  }

  /**
   * Claims go into C.CLAIMS this many at a time (one contended cache line less
   * per new state), so the LIMIT abort comes at most threads x (batch - 1)
   * claims late: an eighth of the level's room at most.
   */
  private claimBatch(limit: number): number {
    return Math.max(1, Math.min(32, Math.floor(limit / (8 * this.threads))));
  }

  /** Add `n` claims to C.CLAIMS, aborting at LIMIT; returns 0 (none left unpublished). */
  private publishClaims(n: number, limit: number, limitBit: number): number {
    if (n > 0 && Atomics.add(this.ctl, C.CLAIMS, n) + n >= limit) this.abort(limitBit);
    return 0;
  }

  /** This thread's words at the end of a level (W). */
  private levelDone(fill: number, logFill: number, pushed: number, transitions: number): void {
    const ctl = this.ctl;
    ctl[this.base + W.FILL] = fill;
    ctl[this.base + W.LOG] = logFill;
    ctl[this.base + W.COUNT] = pushed;
    ctl[this.base + W.TRANSITIONS] = transitions;
  }

  /** This thread's share of a table rebuild (CMD.REHASH). */
  rehash(from: SharedFingerprintTable, to: SharedFingerprintTable): void {
    const ctl = this.ctl;
    const cap = ctl[C.SIZE]!;
    const chunk = ctl[C.CHUNK]!;
    const maxTag = ctl[C.LIMIT]!;
    for (;;) {
      const k = Atomics.add(ctl, C.CURSOR, chunk);
      if (k >= cap) break;
      from.copyRange(to, k, Math.min(cap, k + chunk), maxTag);
    }
  }

  /**
   * Expand the current level (the words in ctl) with this thread's `model`;
   * returns the states it expanded. The hot loop: one closure per level, as
   * in strategy/bfs.ts.
   */
  // oxlint-disable-next-line max-lines-per-function -- the hot loop and its successor closure: one scope, no calls per state
  expandLevel(model: Model, table: SharedFingerprintTable, frontier: Frontier): number {
    const ctl = this.ctl;
    const me = this.me;
    const threads = this.threads;
    const recent = this.recent;
    const start = ctl[C.START]!;
    const chunk = ctl[C.CHUNK]!;
    const limit = ctl[C.LIMIT]!;
    const limitBit = ctl[C.LIMIT_BIT]!;
    const outBuf = 1 + 2 * me + ctl[C.PARITY]!;
    const batch = this.claimBatch(limit);
    let unpublished = 0;
    const order = frontier.order;
    const owned = frontier.owned;
    const cur = { vec: new Int32Array(256) };
    const fp = new Uint32Array(2);
    let fill = 0;
    let pushed = 0;
    let logFill = 0;
    let transitions = 0;
    let parent = 0;
    let len = 0;
    let pfp0 = 0;
    let pfp1 = 0;
    let edge = 0;
    let failed = false;
    const onSuccessor = (s: Successor): void => {
      if (failed) return;
      transitions++;
      const e = edge++;
      if (s.failure) {
        failed = true;
        this.abort(ABORT.FAILURE);
        return;
      }
      successorFingerprint(cur.vec, 0, len, pfp0, pfp1, s, fp);
      const h1 = fp[0]!;
      const h2 = fp[1]!;
      if (recent.has(h1, h2)) return;
      const r = table.insert(norm(h1), norm(h2), parent + 1);
      recent.note(h1, h2);
      if (r < 0) {
        if (table.lowerTag(~r, parent + 1)) logFill = frontier.log(me, logFill, ~r, parent, e);
        return;
      }
      if (++unpublished === batch) unpublished = this.publishClaims(batch, limit, limitBit);
      const aff = s.affinity ?? -1;
      // the hint is an id in this thread's model: kept for the state's owner only when that is this thread
      const hint = owner(aff, h1 | 0, threads) === me ? (s.hint ?? -1) : -1;
      fill = frontier.push(outBuf, fill, s.buf, s.len, h1 | 0, h2 | 0, r, parent, e, aff, hint);
      pushed++;
      if (model.checkState(s.buf, 0, s.impl, s.hint)) {
        failed = true;
        this.abort(ABORT.FAILURE);
      }
    };

    let expanded = 0;
    let last = -1;
    this.shareAt = 0;
    outer: for (let k = this.claim(chunk); k >= 0; k = this.claim(chunk)) {
      for (let j = k; j < this.claimEnd; j++) {
        if (Atomics.load(ctl, C.ABORT) !== 0) break outer;
        const i = owned[j]!;
        if (i < last) recent.clear();
        last = i;
        const b = order[2 * i]!;
        const at = order[2 * i + 1]!;
        const c = frontier.states[b]!;
        len = frontier.read(b, at, cur);
        pfp0 = c[at + 1]! >>> 0;
        pfp1 = c[at + 2]! >>> 0;
        parent = start + i;
        edge = 0;
        model.expand(cur.vec, 0, len, onSuccessor, false, c[at + 7]!);
        expanded++;
        if (!failed && model.stuck(cur.vec, 0, len, edge)) {
          failed = true;
          this.abort(ABORT.FAILURE);
        }
      }
      if (this.stop && Atomics.load(this.stop, 0) !== 0) this.abort(ABORT.STOP);
      if (this.deadline !== undefined && Date.now() > this.deadline) this.abort(ABORT.TIME);
    }
    this.publishClaims(unpublished, limit, limitBit);
    this.levelDone(fill, logFill, pushed, transitions);
    foldLowered(ctl, frontier, me);
    return expanded;
  }
}
