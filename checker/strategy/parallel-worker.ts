/**
 * A spawned worker thread of the parallel BFS (parallel-bfs.ts): thread
 * 1..N-1 of the search (the coordinator is thread 0), one of a pool
 * (parallel-pool.ts) that serves one search (a job) after another. For each
 * job it builds its own Model from the module the job names
 * (`createModel(args)`), then serves commands from the coordinator through
 * shared memory only: expand the current level (parallel-expand.ts), or copy
 * its share of a table rebuild; then it reports its tallies and waits for
 * the next job.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Model } from '../model.js';
import { Frontier } from '../store/frontier.js';
import { SharedFingerprintTable } from '../store/shared-visited.js';
import type { WorkerReport } from './parallel-pool.js';
import { LevelExpander } from './parallel-expand.js';
import { orderKeys, orderRange, RangeScratch } from './parallel-order.js';
import { ABORT, C, CMD, type WorkerInit, type WorkerJob } from './parallel-protocol.js';
import { threadCpuSeconds } from './thread-cpu.js';

const init = workerData as WorkerInit;
/** The current job and its control words. */
let job: WorkerJob;
let ctl: Int32Array;
/** Thread CPU seconds when the last job ended. */
let cpuMark = 0;
/** orderRange's scratch, kept from level to level and job to job. */
const rangeScratch = new RangeScratch();

function fail(e: unknown): void {
  Atomics.or(ctl, C.ABORT, ABORT.ERROR);
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
  const expander = new LevelExpander(ctl, init.index, init.threads, stop, job.deadline);
  let snap = model.counters?.();
  const ready = threadCpuSeconds();
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
        ...(ready !== undefined ? { startup: ready - cpuMark } : {}),
        expanded,
        ...(model.cacheMisses !== undefined ? { cacheMisses: model.cacheMisses } : {}),
        ...(model.cacheDrops !== undefined ? { cacheDrops: model.cacheDrops } : {}),
        ...(model.cachePeakBytes !== undefined ? { cachePeakBytes: model.cachePeakBytes } : {}),
      };
      if (now !== undefined) cpuMark = now;
      job.port.close();
      parentPort!.postMessage(report);
      return;
    }
    if (cmd === CMD.REDO) {
      if (snap !== undefined) model.restoreCounters?.(snap);
      expander.forget(); // the redone level's entries left the table
    } else if (cmd === CMD.LEVEL) snap = model.counters?.();
    // a new table between levels when a level would overfill the old one: the threads copy it (REHASH)
    const old = table;
    for (let m = receiveMessageOnPort(job.port); m; m = receiveMessageOnPort(job.port)) {
      table = new SharedFingerprintTable((m.message as { table: SharedArrayBuffer }).table);
      expander.forget();
    }
    if (cmd === CMD.REHASH) {
      // the coordinator posts the new table before REHASH: without it the copy would leave the table empty
      if (old === table) throw new Error('parallel worker: REHASH without a new table');
      expander.rehash(old, table);
    } else if (cmd === CMD.ORDER_KEYS) {
      frontier.refresh();
      orderKeys(ctl, frontier, init.threads, init.index);
    } else if (cmd === CMD.ORDER_RANGE) {
      frontier.refresh(); // the coordinator reserved room for the level's order
      orderRange(ctl, frontier, init.threads, init.index, rangeScratch);
    } else {
      frontier.refresh(); // the coordinator and the other threads may have grown the buffers
      expanded += expander.expandLevel(model, table, frontier);
    }
    Atomics.add(ctl, C.DONE, 1);
    Atomics.notify(ctl, C.DONE);
  }
}

parentPort!.on('message', (m: { job: WorkerJob }) => {
  job = m.job;
  ctl = new Int32Array(job.ctl);
  serve().catch(fail);
});
