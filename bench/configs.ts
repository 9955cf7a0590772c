/**
 * The bench configurations: the toy model SPIN and Rumur also run, and
 * menu configurations of the real subsystems (with their specs), written out
 * here so they stay fixed while the subsystems' default scenarios evolve.
 *
 *   hugetlb-NxM  N threads, 3 ops each, every op any of an M-op menu of
 *                mmap/fault/munmap on one file (a SHARED mapping reserving
 *                [0,2) and a NORESERVE one): the reservation/fault race the
 *                toy abstracts. 3x6 is the historical 'hugetlb' row.
 *                hugetlb-4x6x4: 4 ops each (heavy: long enough for the
 *                parallel search's speedup to show past its workers' start-up).
 *   thp-menu     3 threads x 2 ops, thread t picking from the ops of thread t
 *                of thp's 'anon-mix' scenario (per-thread menus keep each
 *                thread to its own mappings).
 *   cleancache-menu  3 threads x 3 ops from cleancache's 'fs-stress' threads
 *                (cleancache-4x3: 4 threads, heavy).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { menu, type OpChoice, type Scenario, type Subsystem } from '../checker/types.js';
import { EXPECTED_STATES, LARGE, SMALL, toyFor, toyScenario, type ToyParams } from './toy/model.js';

export interface Config {
  readonly name: string;
  readonly description: string;
  readonly toy?: ToyParams;
  readonly expectedStates?: number;
  /** Not in the default run (minutes): run with --only NAME. */
  readonly heavy?: boolean;
  /** Real subsystem configurations: build the scenario from the loaded subsystem. */
  readonly real?: { readonly subsystem: string; readonly build: (sub: Subsystem) => Scenario | string };
  /** Worker threads for the scenario's search (checker/strategy/parallel-bfs.ts); absent: 1. */
  readonly workers?: number;
  /** The 1-worker configuration of the same scenario: counts must match, and the report gives the speedup. */
  readonly baseline?: string;
}

const HUGETLB_PARAMS = { pool: 3, overcommit: 0, fileSize: 2, vmas: 2 };
const HUGETLB_MENU: readonly OpChoice[] = [
  { op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 2 } },
  { op: 'fault', args: { v: 0, i: 1, write: true } },
  { op: 'munmap', args: { v: 0 } },
  { op: 'mmap', args: { v: 1, kind: 'noreserve', f: 0, from: 0, to: 2 } },
  { op: 'fault', args: { v: 1, i: 0, write: true } },
  { op: 'fault', args: { v: 1, i: 1, write: false } },
];

function hugetlbMenu(threads: number, ops: number, perThread = 3) {
  return (sub: Subsystem): Scenario | string => {
    let params: unknown = HUGETLB_PARAMS;
    try {
      if (sub.parseParams) params = sub.parseParams(HUGETLB_PARAMS);
    } catch (e) {
      return `the bench's fixed hugetlb params no longer parse: ${(e as Error).message}`;
    }
    const alts = HUGETLB_MENU.slice(0, ops);
    const unknown = alts.map((a) => a.op).filter((op) => !(op in sub.impl.ops));
    if (unknown.length > 0) return `the bench's hugetlb menu uses ops the subsystem lacks: ${unknown.join(', ')}`;
    return {
      name: `bench-hugetlb-menu-${threads}x${ops}${perThread === 3 ? '' : `x${perThread}`}`,
      description: `${threads} threads x ${perThread} ops, each any of ${ops}: ${alts.map((a) => `${a.op}(${Object.values(a.args).join(',')})`).join(' ')}; pool 3, file of 2 pages, 2 vmas`,
      params,
      threads: Array.from({ length: threads }, () => menu(alts, perThread)),
    };
  };
}

/** threads x ops, thread t picking from the distinct ops thread t of `base` runs. */
function perThreadMenu(base: string, threads: number, ops: number) {
  return (sub: Subsystem): Scenario | string => {
    const b = sub.scenarios.find((s) => s.name === base);
    if (!b) return `${sub.name} has no scenario '${base}' to build the bench menu from`;
    if (b.threads.length < threads)
      return `${sub.name}/${base} has ${b.threads.length} threads, the bench needs ${threads}`;
    const menus = b.threads.slice(0, threads).map((t) => {
      const seen = new Map<string, OpChoice>();
      for (const slot of t) for (const c of slot) seen.set(JSON.stringify([c.op, c.args]), c);
      return [...seen.values()];
    });
    return {
      name: `bench-${sub.name}-menu-${threads}x${ops}`,
      description: `${threads} threads x ${ops} ops, thread t any op of thread t of ${base} (menus of ${menus.map((m) => m.length).join('/')} ops); its params and faults`,
      params: b.params,
      threads: menus.map((m) => menu(m, ops)),
      ...(b.faults ? { faults: b.faults } : {}),
    };
  };
}

export const CONFIGS: readonly Config[] = [
  { name: 'toy-small', description: 'hugetlb-toy P=3 K=3 T=2 N=2', toy: SMALL, expectedStates: EXPECTED_STATES.small },
  { name: 'toy-large', description: 'hugetlb-toy P=4 K=4 T=3 N=2', toy: LARGE, expectedStates: EXPECTED_STATES.large },
  {
    name: 'hugetlb',
    description: 'hugetlb 3 threads x 3 ops of a 6-op menu',
    real: { subsystem: 'hugetlb', build: hugetlbMenu(3, 6) },
  },
  {
    name: 'hugetlb-w2',
    description: 'hugetlb 3 threads x 3 ops of a 6-op menu, --workers 2',
    real: { subsystem: 'hugetlb', build: hugetlbMenu(3, 6) },
    workers: 2,
    baseline: 'hugetlb',
  },
  {
    name: 'hugetlb-3x5',
    description: 'hugetlb 3 threads x 3 ops of a 5-op menu',
    real: { subsystem: 'hugetlb', build: hugetlbMenu(3, 5) },
  },
  {
    name: 'hugetlb-4x6',
    description: 'hugetlb 4 threads x 3 ops of a 6-op menu (minutes)',
    heavy: true,
    real: { subsystem: 'hugetlb', build: hugetlbMenu(4, 6) },
  },
  {
    name: 'hugetlb-4x6-w2',
    description: 'hugetlb 4 threads x 3 ops of a 6-op menu, --workers 2 (minutes)',
    heavy: true,
    real: { subsystem: 'hugetlb', build: hugetlbMenu(4, 6) },
    workers: 2,
    baseline: 'hugetlb-4x6',
  },
  {
    name: 'hugetlb-4x6x4',
    description: 'hugetlb 4 threads x 4 ops of a 6-op menu (minutes)',
    heavy: true,
    real: { subsystem: 'hugetlb', build: hugetlbMenu(4, 6, 4) },
  },
  {
    name: 'hugetlb-4x6x4-w2',
    description: 'hugetlb 4 threads x 4 ops of a 6-op menu, --workers 2 (minutes)',
    heavy: true,
    real: { subsystem: 'hugetlb', build: hugetlbMenu(4, 6, 4) },
    workers: 2,
    baseline: 'hugetlb-4x6x4',
  },
  {
    name: 'thp-menu',
    description: 'thp 3 threads x 2 ops from anon-mix',
    real: { subsystem: 'thp', build: perThreadMenu('anon-mix', 3, 2) },
  },
  {
    name: 'thp-menu-w2',
    description: 'thp 3 threads x 2 ops from anon-mix, --workers 2',
    real: { subsystem: 'thp', build: perThreadMenu('anon-mix', 3, 2) },
    workers: 2,
    baseline: 'thp-menu',
  },
  {
    name: 'cleancache-menu',
    description: 'cleancache 3 threads x 3 ops from fs-stress',
    real: { subsystem: 'cleancache', build: perThreadMenu('fs-stress', 3, 3) },
  },
  {
    name: 'cleancache-menu-w2',
    description: 'cleancache 3 threads x 3 ops from fs-stress, --workers 2',
    real: { subsystem: 'cleancache', build: perThreadMenu('fs-stress', 3, 3) },
    workers: 2,
    baseline: 'cleancache-menu',
  },
  {
    name: 'cleancache-4x3',
    description: 'cleancache 4 threads x 3 ops from fs-stress (minutes)',
    heavy: true,
    real: { subsystem: 'cleancache', build: perThreadMenu('fs-stress', 4, 3) },
  },
];

/**
 * The scenario a configuration runs, with its subsystem and the registry
 * module it came from (for parallel workers); a string says why it is skipped.
 */
export async function loadConfig(
  cfg: Config,
  here: string,
): Promise<{ sub: Subsystem; scenario: Scenario; registryModule?: string } | string> {
  if (cfg.toy) return { sub: toyFor(cfg.toy) as Subsystem, scenario: toyScenario(cfg.toy) as Scenario };
  const real = cfg.real!;
  const base = resolve(here, '..', 'subsystems', 'index');
  const file = ['.js', '.ts'].map((e) => base + e).find((f) => existsSync(f));
  if (!file) return 'subsystems/index not found';
  let sub: Subsystem | undefined;
  try {
    const m = (await import(pathToFileURL(file).href)) as { registry?: readonly Subsystem[] };
    sub = m.registry?.find((s) => s.name === real.subsystem);
  } catch (e) {
    return `subsystems failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
  if (!sub) return `subsystem '${real.subsystem}' is not registered`;
  const scenario = real.build(sub);
  return typeof scenario === 'string' ? scenario : { sub, scenario, registryModule: pathToFileURL(file).href };
}
