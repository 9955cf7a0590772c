/**
 * Parallel breadth-first search over any Model, level by level, in N threads
 * that share a lock-free fingerprint table (store/shared-visited.ts) and a
 * frontier (store/frontier.ts): the coordinator's (thread 0, with the model it
 * was given) and N-1 spawned workers (parallel-worker.ts, each with its own
 * model), all running the same loop (parallel-expand.ts).
 *
 * Small searches stay in one thread: the workers are spawned only when a
 * level reaches SPAWN_AT states (their start-up, loading the modules, costs
 * more than a small search), and until they are ready the coordinator expands
 * the levels alone. A search that never spawned them says so (`solo`).
 *
 * Same answer for every N. Each new state of level d+1 is tagged in the table
 * with its smallest discovering parent (lowered atomically by whichever worker
 * finds a smaller one), and the edge of that transition. Between levels the
 * threads order level d+1 by (parent id, edge) together (parallel-level.ts:
 * each resolves the keys of the states it claimed, then each sorts a range
 * of parents; the coordinator alone only sets the shares and copies the trace
 * links): exactly the order in which the sequential BFS (bfs.ts) numbers
 * states, so state ids, parent links and traces are the sequential ones. Distinct states, transitions and tallies
 * of a completed level are sums over workers, independent of who claimed what.
 *
 * A level in which a worker meets a failure or reaches --max-states is not
 * used as the parallel pass left it: the coordinator runs that one level again
 * sequentially, state by state in the sequential order, with the sequential
 * BFS's stopping rules (first failure in that order; a deadlock in the level
 * beats a longer counterexample; stop at --max-states), against the table's
 * entries of earlier levels. So the counterexample, the counts and the tallies
 * at the stop are the sequential BFS's, for every N. A time limit or an
 * interruption stops where the workers are: such a run is not exhaustive and
 * its counts are what was done.
 */
import { zobrist } from '../fingerprint.js';
import type { Model } from '../model.js';
import type { StopReason } from '../result.js';
import { norm } from '../store/shared-visited.js';
import type { VisitedStore } from '../store/visited.js';
import { outcome } from './bfs.js';
import { Coordinator } from './parallel-coordinator.js';
import { pathTo, rerunLevel, shareFirstLevel, type Found } from './parallel-level.js';
import { orderNextLevel } from './parallel-order.js';
import * as P from './parallel-protocol.js';
import { Ticker, type SearchLimits, type SearchOutcome } from './search.js';

export type { Lead, ModelSource, ParallelOptions } from './parallel-protocol.js';
const { ABORT, C, CMD, W, WORKER_BASE } = P;

/** Most a level may fill the table before it is rebuilt (and the level redone). */
const MAX_LOAD = 0.85;
/**
 * Sizing: before a level the table is rebuilt when the states expected after
 * it (count + size x the last level's growth ratio x GROWTH_MARGIN) would load
 * it past GROW_AT, to a size they load to parallel-coordinator.ts RESIZE_LOAD at most. The last
 * level's ratio, not the largest seen: the first levels of a menu scenario
 * grow 10x while the bulk grows 1-2x, and sizing by the largest made the
 * table 4 times too big (hugetlb-4x6: 96 MiB for 1.2M states). An
 * underestimate costs a redone level (TABLE_FULL), never a wrong count.
 */
const GROWTH_MARGIN = 1.5;
const GROW_AT = 0.7;
const MIN_LOG2 = 17;
/** A tag no entry exceeds (keep every entry). */
const MAX_TAG = 0x7fffffff;
/** Largest level the coordinator expands alone while the workers start: a level is not handed over half done. */
const HERE_MAX = 1 << 14;
/** The first level this large spawns the workers ('auto'); a search whose levels stay smaller runs in one thread. */
export const SPAWN_AT = 1 << 10;

/**
 * BFS over `model` in `workers` threads: this one, with `model`, and
 * workers - 1 spawned, each running the model `source` builds (the same
 * model: same scenario, and ids shared through its own shared tables).
 * `model` itself seeds the search, redoes a stopping level and receives the
 * workers' tallies.
 */
// oxlint-disable-next-line max-lines-per-function -- one level loop: expand, judge the abort, order the next level
export async function parallelBfs(
  model: Model,
  source: P.ModelSource,
  workers: number,
  limits: SearchLimits = {},
  opts: P.ParallelOptions = {},
): Promise<SearchOutcome> {
  const lead = opts.lead ?? 'auto';
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`parallel BFS: ${workers} workers`);
  const ticker = new Ticker(limits);
  const co = new Coordinator(model, workers, opts.tableLog2 ?? MIN_LOG2, limits);
  const store = (): VisitedStore => ({ kind: 'exact', add: () => false, size: count, bytes: co.table.bytes });
  const maxStates = limits.maxStates ?? Infinity;
  const spawned = workers - 1;

  // seed: the initial state is state 0, in buffer 0
  const init = model.initial();
  const fp = new Uint32Array(2);
  zobrist(init.vec, 0, init.vec.length, fp);
  co.table.insert(norm(fp[0]!), norm(fp[1]!), 0);
  co.links.set(0, 0, 0);
  co.frontier.push(0, 0, init.vec, init.vec.length, fp[0]! | 0, fp[1]! | 0, 0, 0, 0, -1, -1);
  co.frontier.reserveOrder(1);
  co.frontier.order[0] = 0;
  co.frontier.order[1] = 0;
  shareFirstLevel(co);
  let count = 1;
  let transitions = 0;
  let maxDepth = 0;
  let peakFrontier = 0;
  let largestLevel = 1;
  const f0 = init.failure ?? model.checkState(init.vec, 0, init.impl);
  if (f0) return outcome('violation', 1, 0, 0, { failure: f0, path: [] }, store(), co.links.bytes, 0);

  // 'auto': the workers start when a level is large enough to pay for them; a fixed lead: at once
  const spawnAt = lead === 'auto' ? (opts.spawnAt ?? SPAWN_AT) : 0;
  let stop: StopReason = 'complete';
  let found: Found | undefined;
  let discardLast = false;
  /** Whether the workers have run a level (until then the coordinator expands the levels alone). */
  let parallel = false;
  try {
    let start = 0;
    let size = 1;
    let depth = 0;
    let growth = 4; // new states per expanded state in the last level (for sizing the table)
    let redo = false;
    while (size > 0) {
      largestLevel = Math.max(largestLevel, size);
      if (!co.started && size >= spawnAt) await co.start(source, limits);
      // room for this level's new states (a level that overfills past MAX_LOAD is redone in a bigger table)
      const expect = count + Math.ceil(size * growth * GROWTH_MARGIN);
      if (expect > co.table.capacity * GROW_AT) await co.resize(expect, MAX_TAG, parallel);
      const tableRoom = Math.floor(co.table.capacity * MAX_LOAD) - count;
      const stateRoom = maxStates - count;
      const limit = Math.max(1, Math.min(tableRoom, stateRoom));
      const limitBit = stateRoom <= tableRoom ? ABORT.STATE_LIMIT : ABORT.TABLE_FULL;
      const ctl = co.ctl;
      // while the workers start (loading modules, building their models), the coordinator expands the
      // levels alone; a level past HERE_MAX (or, with a fixed lead, past it) waits for them
      if (co.started && !parallel && spawned > 0 && (lead === 'auto' ? size > HERE_MAX : depth >= lead))
        await co.until(C.READY, spawned, 'startup');
      const together = co.started && spawned > 0 && (parallel || Atomics.load(ctl, C.READY) >= spawned);
      const alone = !together || (lead !== 'auto' && depth < lead);
      const snap = model.counters?.();
      ctl[C.SIZE] = size;
      ctl[C.START] = start;
      P.resetShares(ctl, workers);
      ctl[C.CHUNK] = Math.max(1, Math.min(64, Math.floor(size / (8 * workers))));
      ctl[C.CLAIMS] = 0;
      ctl[C.LIMIT] = limit;
      ctl[C.LIMIT_BIT] = limitBit;
      ctl[C.ABORT] = 0;
      ctl[C.PARITY] = depth & 1;
      if (alone) {
        co.levels.alone++;
        P.clearLevelWords(ctl, workers);
        co.expandHere();
        await co.yieldToEvents(); // worker messages (an error at start-up)
      } else {
        parallel = true;
        co.levels.together++;
        co.command(redo ? CMD.REDO : CMD.LEVEL);
        redo = false;
        co.expandHere();
        await co.until(C.DONE, spawned);
      }
      const why = ctl[C.ABORT]!;
      if (why & ABORT.ERROR) await co.workerFailed();
      const claims = ctl[C.CLAIMS]!;
      let levelTransitions = 0;
      for (let w = 0; w < workers; w++) levelTransitions += ctl[WORKER_BASE + W.SIZE * w + W.TRANSITIONS]!;
      if (why & (ABORT.FAILURE | ABORT.STATE_LIMIT)) {
        if (snap !== undefined) model.restoreCounters?.(snap);
        const r = rerunLevel(co, model, start, size, depth, transitions, maxStates, ticker);
        if (r.stop === 'complete')
          throw new Error('parallel BFS: the sequential pass over a stopping level did not stop');
        ({ stop, count, transitions } = r);
        maxDepth = r.maxDepth;
        found = r.found;
        discardLast = true;
        break;
      }
      if (why & ABORT.TABLE_FULL) {
        if (snap !== undefined) model.restoreCounters?.(snap);
        // drop this level's entries (tags above `start`), grow, and do the level again
        await co.resize(2 * co.table.capacity, start, parallel);
        growth *= 2;
        redo = parallel;
        continue;
      }
      if (why & (ABORT.STOP | ABORT.TIME)) {
        // not exhaustive: count what was done
        count += claims;
        transitions += levelTransitions;
        stop = why & ABORT.STOP ? 'interrupted' : 'time-limit';
        break;
      }
      transitions += levelTransitions;
      let frontierWords = 0;
      for (let w = 0; w < workers; w++) frontierWords += ctl[WORKER_BASE + W.SIZE * w + W.FILL]!;
      peakFrontier = Math.max(peakFrontier, 4 * frontierWords);
      // ordered by every thread once they serve commands, else here
      const next = alone
        ? co.serially(() => orderNextLevel(co, start, size, count, depth & 1))
        : await co.orderTogether(count);
      if (next > 0) maxDepth = depth + 1;
      if (next > 0) growth = next / size;
      start = count;
      count += next;
      size = next;
      depth++;
      const tick = size > 0 ? ticker.tick(() => ({ states: count, transitions, depth, queue: size })) : undefined;
      if (tick) {
        stop = tick;
        break;
      }
    }
    co.copyDueLinks();
    // workers that never ran a level have nothing to report: no waiting for their start-up; a stopping
    // level's tallies are the sequential pass's (rerunLevel): the workers drop theirs
    if (parallel) await co.finish(discardLast);
    else co.abandon();
  } catch (e) {
    await co.terminate();
    throw e;
  }
  const threadCpu = parallel || spawned === 0 ? co.threadCpu() : undefined;
  const solo =
    parallel || spawned === 0
      ? undefined
      : co.started
        ? 'the search ended before the workers were ready'
        : `no level reached ${spawnAt.toLocaleString('en-US')} states (the largest had ${largestLevel.toLocaleString('en-US')})`;
  return {
    ...outcome(
      stop,
      count,
      transitions,
      maxDepth,
      found && { failure: found.failure, path: pathTo(co.links, found) },
      store(),
      co.links.bytes,
      peakFrontier,
    ),
    ...(threadCpu ? { threadCpu } : {}),
    ...(solo ? { solo } : {}),
  };
}
