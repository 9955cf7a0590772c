/**
 * A worker thread of the parallel BFS (parallel-bfs.ts), one of a pool
 * (parallel-pool.ts) that serves one search (a job) after another. For each
 * job it builds its own Model from the module the job names
 * (`createModel(args)`), then serves
 * commands from the coordinator through shared memory only: expand the
 * current level, its own share first (the states of its affinity,
 * store/frontier.ts owner: its model's caches know them), then what is left
 * of the others' shares, claiming new states in the shared fingerprint table
 * and appending them to its frontier buffer; then it reports its tallies and
 * waits for the next job.
 * It knows the model only through the Model interface.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { successorFingerprint } from '../fingerprint.js';
import type { Model, Successor } from '../model.js';
import { Frontier, owner } from '../store/frontier.js';
import { norm, SharedFingerprintTable } from '../store/shared-visited.js';
import { RecentFingerprints } from '../store/recent-fingerprints.js';
import type { WorkerReport } from './parallel-pool.js';
import { ABORT, C, CMD, WORKER_BASE, W, type WorkerInit, type WorkerJob } from './parallel-protocol.js';
import { threadCpuSeconds } from './thread-cpu.js';

const init = workerData as WorkerInit;
const me = init.index;
const workers = init.workers;
const base = WORKER_BASE + W.SIZE * me;
/** The current job and its control words. */
let job: WorkerJob;
let ctl: Int32Array;
/** Thread CPU seconds when the last job ended. */
let cpuMark = 0;

function abort(bit: number): void {
  Atomics.or(ctl, C.ABORT, bit);
}

function fail(e: unknown): void {
  abort(ABORT.ERROR);
  parentPort!.postMessage({ kind: 'error', message: (e as Error)?.stack ?? String(e) });
  Atomics.add(ctl, C.DONE, 1);
  Atomics.notify(ctl, C.DONE);
}

/** Serve one job (a search) until FINISH. */
async function serve(): Promise<void> {
  const mod = (await import(job.source.module)) as { createModel(args: unknown): Model | Promise<Model> };
  const model = await mod.createModel(job.source.args);
  const frontier = new Frontier(job.frontier);
  const stop = job.stop ? new Int32Array(job.stop) : undefined;
  let snap = model.counters?.();
  recent.clear(); // a new table
  Atomics.add(ctl, C.READY, 1);
  Atomics.notify(ctl, C.READY);

  let table = new SharedFingerprintTable(job.table);
  let gen = 0;
  /** States expanded, redone levels included (work, not the search's count). */
  let expanded = 0;
  for (;;) {
    while (Atomics.load(ctl, C.GEN) === gen) Atomics.wait(ctl, C.GEN, gen, 1000);
    gen = Atomics.load(ctl, C.GEN);
    const cmd = Atomics.load(ctl, C.CMD);
    if (cmd === CMD.FINISH || cmd === CMD.FINISH_DISCARD) {
      if (cmd === CMD.FINISH_DISCARD && snap !== undefined) model.restoreCounters?.(snap);
      const now = threadCpuSeconds();
      const report: WorkerReport = {
        kind: 'counters',
        counters: model.counters?.() ?? null,
        ...(now !== undefined ? { cpu: now - cpuMark } : {}),
        expanded,
        ...(model.cacheMisses !== undefined ? { cacheMisses: model.cacheMisses } : {}),
      };
      if (now !== undefined) cpuMark = now;
      job.port.close();
      parentPort!.postMessage(report);
      return;
    }
    if (cmd === CMD.REDO) {
      if (snap !== undefined) model.restoreCounters?.(snap);
      recent.clear(); // the redone level's entries left the table
    } else if (cmd === CMD.LEVEL) snap = model.counters?.();
    // a new table between levels when a level would overfill the old one: the workers copy it (REHASH)
    const old = table;
    for (let m = receiveMessageOnPort(job.port); m; m = receiveMessageOnPort(job.port)) {
      table = new SharedFingerprintTable((m.message as { table: SharedArrayBuffer }).table);
      recent.clear();
    }
    if (cmd === CMD.REHASH) {
      // the coordinator posts the new table before REHASH: without it the copy would leave the table empty
      if (old === table) throw new Error('parallel worker: REHASH without a new table');
      rehash(old, table);
    } else {
      frontier.refresh(); // the coordinator and the other workers may have grown the buffers
      expanded += expandLevel(model, table, frontier, stop);
    }
    Atomics.add(ctl, C.DONE, 1);
    Atomics.notify(ctl, C.DONE);
  }
}

/** This worker's share of a table rebuild (CMD.REHASH). */
function rehash(from: SharedFingerprintTable, to: SharedFingerprintTable): void {
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
 * The fingerprints this worker met last (store/recent-fingerprints.ts): each is in the table with a tag (smallest discovering parent
 * + 1) at most the parent this worker expanded when it met it, and while a
 * worker expands its parents in increasing order, meeting it again could
 * neither claim it nor lower its tag: the table need not be probed. Cleared
 * whenever the table may have lost entries (a redone level) and when the
 * next parent is smaller than the last (a share of another worker's taken
 * after its own).
 */
const recent = new RecentFingerprints();

/** The share `claim` takes from: this worker's own (0), then the next workers' (me + 1, ...). */
let shareAt = 0;
/** The end of the positions the last `claim` handed out. */
let claimEnd = 0;

/**
 * Positions [k, claimEnd) of frontier.owned to expand, `chunk` at most, from
 * this worker's share while it lasts, then from what is left of the others'
 * (their models' caches do not know those states, but this worker would be
 * idle); -1 when the level is all handed out.
 */
function claim(chunk: number): number {
  for (; shareAt < workers; shareAt++) {
    const wb = WORKER_BASE + W.SIZE * ((me + shareAt) % workers);
    const end = ctl[wb + W.END]!;
    const k = Atomics.add(ctl, wb + W.CURSOR, chunk);
    if (k < end) {
      claimEnd = Math.min(end, k + chunk);
      return k;
    }
  }
  return -1;
}

// the hot loop of a worker: one closure per level, as in strategy/bfs.ts; returns the states it expanded
// oxlint-disable-next-line max-lines-per-function -- the hot loop and its successor closure: one scope, no calls per state
function expandLevel(model: Model, table: SharedFingerprintTable, frontier: Frontier, stop?: Int32Array): number {
  const start = ctl[C.START]!;
  const chunk = ctl[C.CHUNK]!;
  const limit = ctl[C.LIMIT]!;
  const limitBit = ctl[C.LIMIT_BIT]!;
  const outBuf = 1 + 2 * me + ctl[C.PARITY]!;
  const batch = claimBatch(limit);
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
      abort(ABORT.FAILURE);
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
    if (++unpublished === batch) unpublished = publishClaims(batch, limit, limitBit);
    const aff = s.affinity ?? -1;
    // the hint is an id in this worker's model: kept for the state's owner only when that is this worker
    const hint = owner(aff, h1 | 0, workers) === me ? (s.hint ?? -1) : -1;
    fill = frontier.push(outBuf, fill, s.buf, s.len, h1 | 0, h2 | 0, r, parent, e, aff, hint);
    pushed++;
    if (model.checkState(s.buf, 0, s.impl, s.hint)) {
      failed = true;
      abort(ABORT.FAILURE);
    }
  };

  let expanded = 0;
  let last = -1;
  shareAt = 0;
  outer: for (let k = claim(chunk); k >= 0; k = claim(chunk)) {
    for (let j = k; j < claimEnd; j++) {
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
        abort(ABORT.FAILURE);
      }
    }
    if (stop && Atomics.load(stop, 0) !== 0) abort(ABORT.STOP);
    if (job.deadline !== undefined && Date.now() > job.deadline) abort(ABORT.TIME);
  }
  publishClaims(unpublished, limit, limitBit);
  levelDone(fill, logFill, pushed, transitions);
  return expanded;
}

/**
 * Claims go into C.CLAIMS this many at a time (one contended cache line less
 * per new state), so the LIMIT abort comes at most workers x (batch - 1)
 * claims late: an eighth of the level's room at most.
 */
function claimBatch(limit: number): number {
  return Math.max(1, Math.min(32, Math.floor(limit / (8 * workers))));
}

/** Add `n` claims to C.CLAIMS, aborting at LIMIT; returns 0 (none left unpublished). */
function publishClaims(n: number, limit: number, limitBit: number): number {
  if (n > 0 && Atomics.add(ctl, C.CLAIMS, n) + n >= limit) abort(limitBit);
  return 0;
}

/** This worker's words at the end of a level (W). */
function levelDone(fill: number, logFill: number, pushed: number, transitions: number): void {
  ctl[base + W.FILL] = fill;
  ctl[base + W.LOG] = logFill;
  ctl[base + W.COUNT] = pushed;
  ctl[base + W.TRANSITIONS] = transitions;
}

parentPort!.on('message', (m: { job: WorkerJob }) => {
  job = m.job;
  ctl = new Int32Array(job.ctl);
  serve().catch(fail);
});
