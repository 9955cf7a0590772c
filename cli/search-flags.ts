/**
 * `check` flags that pick the search strategy and visited store (see
 * checker/check.ts CheckOptions). Kept apart from mmcheck.ts so the command
 * file only spreads them in.
 */
import type { CheckOptions } from '../checker/check.js';
import { UsageError, type FlagSpec } from './args.js';

export const SEARCH_FLAGS: Readonly<Record<string, FlagSpec>> = {
  strategy: { kind: 'string' },
  'max-depth': { kind: 'int', min: 1 },
  bitstate: { kind: 'int', min: 10 },
  workers: { kind: 'int', min: 1 },
  symmetry: { kind: 'bool' },
  por: { kind: 'bool' },
};

export const SEARCH_HELP = `  --strategy bfs|dfs     bfs (default): shortest counterexamples; dfs: memory bounded by depth, not shortest
  --max-depth N          with --strategy dfs: expand no state deeper than N (the run is then NOT exhaustive)
  --bitstate W           bitstate hashing in 2^W bits (SPIN -w W, 10..32): fixed memory, may omit states;
                         the run is reported with its omission probability and never as exhaustive
  --workers N            explore each scenario with a BFS in N threads (default 1): the same states, verdict
                         and shortest counterexample for every N; --jobs runs scenarios side by side
  --symmetry             symmetry reduction over threads with identical programs (off by default): explores
                         one canonical state per orbit, states the unreduced count (the orbits' sizes summed);
                         applies only where the implementation declares its thread-id fields (the result says)
  --por                  partial-order reduction (off by default): where a thread is at a step declared
                         thread-local, explores that step alone; states counts the reduced graph and a
                         counterexample is shortest in it only (the result says); not with --symmetry or --workers N>1`;

export type SearchOptions = Pick<CheckOptions, 'strategy' | 'maxDepth' | 'bitstate' | 'symmetry' | 'por'> & {
  /** Threads per scenario (checker/strategy/parallel-bfs.ts); absent or 1: the sequential search. */
  readonly workers?: number;
};

export function searchOptions(flags: Readonly<Record<string, string | number | boolean>>): SearchOptions {
  const s = flags.strategy;
  if (s !== undefined && s !== 'bfs' && s !== 'dfs')
    throw new UsageError(`--strategy: expected bfs or dfs, got '${String(s)}'`);
  if (flags['max-depth'] !== undefined && s !== 'dfs')
    throw new UsageError('--max-depth applies to --strategy dfs only (BFS is shortest-first)');
  const w = flags.bitstate as number | undefined;
  if (w !== undefined && w > 32) throw new UsageError(`--bitstate: expected 10..32 (2^W bits), got ${w}`);
  const workers = flags.workers as number | undefined;
  if (workers !== undefined && workers > 1 && s === 'dfs')
    throw new UsageError('--workers applies to BFS only (the parallel search is level by level)');
  if (workers !== undefined && workers > 1 && w !== undefined)
    throw new UsageError('--workers applies to the exact store only, not --bitstate');
  if (flags.por === true && flags.symmetry === true)
    throw new UsageError('--por and --symmetry cannot be combined yet: choose one reduction');
  if (flags.por === true && workers !== undefined && workers > 1)
    throw new UsageError('--por runs with one worker only: drop --workers');
  if (workers !== undefined && workers > 64) throw new UsageError(`--workers: expected 1..64, got ${workers}`);
  return {
    ...(flags.symmetry === true ? { symmetry: true } : {}),
    ...(flags.por === true ? { por: true } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(s !== undefined ? { strategy: s } : {}),
    ...(flags['max-depth'] !== undefined ? { maxDepth: flags['max-depth'] as number } : {}),
    ...(w !== undefined ? { bitstate: w } : {}),
  };
}
