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
};

export const SEARCH_HELP = `  --strategy bfs|dfs     bfs (default): shortest counterexamples; dfs: memory bounded by depth, not shortest
  --max-depth N          with --strategy dfs: expand no state deeper than N (the run is then NOT exhaustive)
  --bitstate W           bitstate hashing in 2^W bits (SPIN -w W, 10..32): fixed memory, may omit states;
                         the run is reported with its omission probability and never as exhaustive`;

export type SearchOptions = Pick<CheckOptions, 'strategy' | 'maxDepth' | 'bitstate'>;

export function searchOptions(flags: Readonly<Record<string, string | number | boolean>>): SearchOptions {
  const s = flags.strategy;
  if (s !== undefined && s !== 'bfs' && s !== 'dfs')
    throw new UsageError(`--strategy: expected bfs or dfs, got '${String(s)}'`);
  if (flags['max-depth'] !== undefined && s !== 'dfs')
    throw new UsageError('--max-depth applies to --strategy dfs only (BFS is shortest-first)');
  const w = flags.bitstate as number | undefined;
  if (w !== undefined && w > 32) throw new UsageError(`--bitstate: expected 10..32 (2^W bits), got ${w}`);
  return {
    ...(s !== undefined ? { strategy: s } : {}),
    ...(flags['max-depth'] !== undefined ? { maxDepth: flags['max-depth'] as number } : {}),
    ...(w !== undefined ? { bitstate: w } : {}),
  };
}
