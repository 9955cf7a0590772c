/**
 * A worker thread for `mmcheck check`: runs one scenario at a time and posts
 * back the plain-data CheckResult. The supervisor (cli/supervisor.ts) shares
 * two words with it: `watch` names the step being executed (so a step that
 * never returns can be named when the worker is terminated) and `stop` asks
 * the search to end early (SIGINT/SIGTERM). The registry is loaded from the
 * module named in workerData, so tests can run their own subsystems here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkScenario, checkScenarioParallel, type Progress } from '../checker/check.js';
import { selectImpl } from '../checker/impls.js';
import type { Scenario, Subsystem } from '../checker/types.js';

export interface Job {
  readonly id: number;
  readonly subsystem: string;
  /** The alternative implementation (Subsystem.impls) to check; absent: the main one. */
  readonly impl?: string;
  readonly scenario: Scenario;
  readonly variant: string | null;
  readonly maxStates?: number;
  readonly timeLimitSeconds?: number;
  readonly watch: Int32Array;
  readonly stop: Int32Array;
  readonly strategy?: 'bfs' | 'dfs';
  readonly maxDepth?: number;
  readonly bitstate?: number;
  readonly symmetry?: boolean;
  readonly por?: boolean;
  /** Threads for this scenario's search (more than 1: the parallel BFS). */
  readonly workers?: number;
}

export type WorkerMessage =
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'progress'; readonly progress: Progress }
  | { readonly id: number; readonly kind: 'result'; readonly result: unknown }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

const registryModule = (workerData as { registryModule?: string } | undefined)?.registryModule;
const registryPromise: Promise<readonly Subsystem[]> | undefined = registryModule
  ? import(registryModule).then((m: { registry: readonly Subsystem[] }) => m.registry)
  : undefined;

parentPort?.on('message', (job: Job) => {
  void registryPromise!.then(async (registry) => {
    try {
      const found = registry.find((s) => s.name === job.subsystem);
      if (!found) throw new Error(`unknown subsystem '${job.subsystem}'`);
      const sub = selectImpl(found, job.impl);
      parentPort!.postMessage({ id: job.id, kind: 'started' } satisfies WorkerMessage);
      const common = {
        variant: job.variant,
        ...(job.maxStates !== undefined ? { maxStates: job.maxStates } : {}),
        ...(job.timeLimitSeconds !== undefined ? { timeLimitSeconds: job.timeLimitSeconds } : {}),
        watch: job.watch,
        stop: job.stop,
        ...(job.symmetry === true ? { symmetry: true } : {}),
        ...(job.por === true ? { por: true } : {}),
        progress: (p: Progress) =>
          parentPort!.postMessage({ id: job.id, kind: 'progress', progress: p } satisfies WorkerMessage),
      };
      const result =
        job.workers !== undefined && job.workers > 1
          ? await checkScenarioParallel(sub, job.scenario, {
              ...common,
              workers: job.workers,
              registryModule: registryModule!,
            })
          : checkScenario(sub, job.scenario, {
              ...common,
              ...(job.strategy !== undefined ? { strategy: job.strategy } : {}),
              ...(job.maxDepth !== undefined ? { maxDepth: job.maxDepth } : {}),
              ...(job.bitstate !== undefined ? { bitstate: job.bitstate } : {}),
            });
      parentPort!.postMessage({ id: job.id, kind: 'result', result } satisfies WorkerMessage);
    } catch (e) {
      parentPort!.postMessage({
        id: job.id,
        kind: 'error',
        message: (e as Error)?.message ?? String(e),
      } satisfies WorkerMessage);
    }
  });
});
