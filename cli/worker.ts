/**
 * A worker thread for `mmcheck check --jobs N`: runs one scenario at a time
 * with the registry's subsystems and posts back the plain-data CheckResult.
 * Results are deterministic per scenario, so parallel runs report the same
 * counts as sequential ones.
 */
import { parentPort } from 'node:worker_threads';
import { checkScenario, type Progress } from '../checker/check.js';
import type { Scenario } from '../checker/types.js';
import { registry } from '../subsystems/index.js';

export interface Job {
  readonly id: number;
  readonly subsystem: string;
  readonly scenario: Scenario;
  readonly variant: string | null;
  readonly maxStates?: number;
  readonly timeLimitSeconds?: number;
  readonly strategy?: 'bfs' | 'dfs';
  readonly maxDepth?: number;
  readonly bitstate?: number;
}

export type WorkerMessage =
  | { readonly id: number; readonly kind: 'progress'; readonly progress: Progress }
  | { readonly id: number; readonly kind: 'result'; readonly result: unknown }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

parentPort?.on('message', (job: Job) => {
  try {
    const sub = registry.find((s) => s.name === job.subsystem);
    if (!sub) throw new Error(`unknown subsystem '${job.subsystem}'`);
    const result = checkScenario(sub, job.scenario, {
      variant: job.variant,
      ...(job.maxStates !== undefined ? { maxStates: job.maxStates } : {}),
      ...(job.timeLimitSeconds !== undefined ? { timeLimitSeconds: job.timeLimitSeconds } : {}),
      ...(job.strategy !== undefined ? { strategy: job.strategy } : {}),
      ...(job.maxDepth !== undefined ? { maxDepth: job.maxDepth } : {}),
      ...(job.bitstate !== undefined ? { bitstate: job.bitstate } : {}),
      progress: (p) => parentPort!.postMessage({ id: job.id, kind: 'progress', progress: p } satisfies WorkerMessage),
    });
    parentPort!.postMessage({ id: job.id, kind: 'result', result } satisfies WorkerMessage);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, kind: 'error', message: (e as Error)?.message ?? String(e) } satisfies WorkerMessage);
  }
});
