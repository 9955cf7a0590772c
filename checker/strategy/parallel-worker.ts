/**
 * A worker thread of the parallel BFS (parallel-bfs.ts). It builds its own
 * Model from the module named in workerData (`createModel(args)`), then serves
 * commands from the coordinator through shared memory only: expand a share of
 * the current level, claiming new states in the shared fingerprint table and
 * appending them to its frontier buffer; then report its tallies and exit.
 * It knows the model only through the Model interface.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { successorFingerprint } from '../fingerprint.js';
import type { Model, Successor } from '../model.js';
import { Frontier } from '../store/frontier.js';
import { norm, SharedFingerprintTable } from '../store/shared-visited.js';
import { RecentFingerprints } from '../store/recent-fingerprints.js';
import { ABORT, C, CMD, WORKER_BASE, W, type WorkerInit } from './parallel-protocol.js';
import { threadCpuSeconds } from './thread-cpu.js';

const init = workerData as WorkerInit;
const ctl = new Int32Array(init.ctl);
const me = init.index;
const base = WORKER_BASE + W.SIZE * me;

function abort(bit: number): void {
  Atomics.or(ctl, C.ABORT, bit);
}

function fail(e: unknown): void {
  abort(ABORT.ERROR);
  parentPort!.postMessage({ kind: 'error', message: (e as Error)?.stack ?? String(e) });
  Atomics.add(ctl, C.DONE, 1);
  Atomics.notify(ctl, C.DONE);
}

async function main(): Promise<void> {
  const mod = (await import(init.source.module)) as { createModel(args: unknown): Model | Promise<Model> };
  const model = await mod.createModel(init.source.args);
  const frontier = new Frontier(init.frontier);
  const stop = init.stop ? new Int32Array(init.stop) : undefined;
  let snap = model.counters?.();
  Atomics.add(ctl, C.READY, 1);
  Atomics.notify(ctl, C.READY);

  let table = new SharedFingerprintTable(init.table);
  let gen = 0;
  /** States expanded, redone levels included (work, not the search's count). */
  let expanded = 0;
  for (;;) {
    while (Atomics.load(ctl, C.GEN) === gen) Atomics.wait(ctl, C.GEN, gen, 1000);
    gen = Atomics.load(ctl, C.GEN);
    const cmd = Atomics.load(ctl, C.CMD);
    if (cmd === CMD.FINISH || cmd === CMD.FINISH_DISCARD) {
      if (cmd === CMD.FINISH_DISCARD && snap !== undefined) model.restoreCounters?.(snap);
      parentPort!.postMessage({
        kind: 'counters',
        counters: model.counters?.() ?? null,
        cpu: threadCpuSeconds(),
        expanded,
      });
      init.port.close();
      return;
    }
    if (cmd === CMD.REDO) {
      if (snap !== undefined) model.restoreCounters?.(snap);
      recent.clear(); // the redone level's entries left the table
    } else if (cmd === CMD.LEVEL) snap = model.counters?.();
    // a new table between levels when a level would overfill the old one: the workers copy it (REHASH)
    const old = table;
    for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
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
 * + 1) at most the parent this worker expanded when it met it, and a worker
 * expands its parents in increasing order, so meeting it again could neither
 * claim it nor lower its tag: the table need not be probed. Cleared whenever
 * the table may have lost entries (a redone level).
 */
const recent = new RecentFingerprints();

// the hot loop of a worker: one closure per level, as in strategy/bfs.ts; returns the states it expanded
function expandLevel(model: Model, table: SharedFingerprintTable, frontier: Frontier, stop?: Int32Array): number {
  const size = ctl[C.SIZE]!;
  const start = ctl[C.START]!;
  const chunk = ctl[C.CHUNK]!;
  const limit = ctl[C.LIMIT]!;
  const limitBit = ctl[C.LIMIT_BIT]!;
  const outBuf = 1 + 2 * me + ctl[C.PARITY]!;
  const order = frontier.order;
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
    if (Atomics.add(ctl, C.CLAIMS, 1) + 1 >= limit) abort(limitBit);
    fill = frontier.push(outBuf, fill, s.buf, s.len, fp[0]! | 0, fp[1]! | 0, r, parent, e);
    pushed++;
    if (model.checkState(s.buf, 0, s.impl, s.hint)) {
      failed = true;
      abort(ABORT.FAILURE);
    }
  };

  const deadline = init.deadline;
  let expanded = 0;
  outer: for (;;) {
    const k = Atomics.add(ctl, C.CURSOR, chunk);
    if (k >= size) break;
    const end = Math.min(size, k + chunk);
    for (let i = k; i < end; i++) {
      if (Atomics.load(ctl, C.ABORT) !== 0) break outer;
      const b = order[2 * i]!;
      const at = order[2 * i + 1]!;
      len = frontier.read(b, at, cur);
      pfp0 = frontier.states[b]![at + 1]! >>> 0;
      pfp1 = frontier.states[b]![at + 2]! >>> 0;
      parent = start + i;
      edge = 0;
      model.expand(cur.vec, 0, len, onSuccessor);
      expanded++;
      if (!failed && model.stuck(cur.vec, 0, len, edge)) {
        failed = true;
        abort(ABORT.FAILURE);
      }
    }
    if (stop && Atomics.load(stop, 0) !== 0) abort(ABORT.STOP);
    if (deadline !== undefined && Date.now() > deadline) abort(ABORT.TIME);
  }
  ctl[base + W.FILL] = fill;
  ctl[base + W.LOG] = logFill;
  ctl[base + W.COUNT] = pushed;
  ctl[base + W.TRANSITIONS] = transitions;
  return expanded;
}

main().catch(fail);
