/**
 * Random small scenarios (2-3 threads, 1-3 slots, 1-2 alternatives per slot,
 * nr in [2, 4], anon and file, every initial state) of the correct
 * implementation: every one must be explored exhaustively with no violation.
 * Deterministic seeds, so a failure is reproducible; this is how the rmap-walk
 * order bug (a re-forked mm not visited) and several spec gaps were found.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thp } from '../../subsystems/thp/index.js';

function rng(seed: number): (n: number) => number {
  let s = seed | 0;
  return (n) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const ANON = [
  'fault',
  'fork',
  'split_huge_pmd',
  'mprotect',
  'mlock',
  'munmap',
  'pin',
  'unpin',
  'scan_get',
  'scan_put',
  'split',
  'deferred_split_scan',
  'collapse',
  'wp_fault',
  'page_mapcount',
  'total_mapcount',
  'page_mapped',
  'page_count',
];
const FILE = [
  'fault',
  'fault_pte',
  'fork',
  'split_huge_pmd',
  'mprotect',
  'munmap',
  'pin',
  'unpin',
  'scan_get',
  'scan_put',
  'split',
  'collapse',
  'evict',
  'page_mapcount',
  'total_mapcount',
  'page_mapped',
  'page_count',
];

function randomOp(r: (n: number) => number, p: ThpParams): OpChoice {
  const ops = p.kind === 'anon' ? ANON : FILE;
  const op = ops[r(ops.length)]!;
  const mm = r(p.mms);
  const sub = r(p.nr);
  const from = r(p.nr);
  const to = from + 1 + r(p.nr - from);
  switch (op) {
    case 'fault':
    case 'split_huge_pmd':
    case 'collapse':
      return { op, args: { mm } };
    case 'fault_pte':
    case 'pin':
    case 'wp_fault':
      return { op, args: { mm, sub } };
    case 'fork':
      return { op, args: { src: mm, dst: (mm + 1 + r(p.mms - 1)) % p.mms } };
    case 'mprotect':
    case 'mlock':
    case 'munmap':
      return { op, args: { mm, from, to } };
    case 'deferred_split_scan':
    case 'total_mapcount':
      return { op, args: {} };
    default:
      return { op, args: { sub } };
  }
}

function randomScenario(seed: number): Scenario<ThpParams> {
  const r = rng(seed);
  const params: ThpParams = {
    nr: 2 + r(3),
    mms: 2 + r(2),
    kind: r(2) ? 'anon' : 'file',
    initial: (['none', 'pmd', 'forked'] as const)[r(3)]!,
  };
  const threads = Array.from({ length: 2 + r(2) }, () =>
    Array.from({ length: 1 + r(3) }, () => Array.from({ length: 1 + r(2) }, () => randomOp(r, params))),
  );
  return { name: `random-${seed}`, description: 'random', params, threads };
}

describe('thp: random scenarios of the correct implementation refine the spec', () => {
  for (let chunk = 0; chunk < 4; chunk++) {
    test(`seeds ${chunk * 50}..${chunk * 50 + 49}`, () => {
      for (let seed = chunk * 50; seed < chunk * 50 + 50; seed++) {
        const sc = randomScenario(1000 + seed);
        const r = checkScenario(thp, sc, { timeLimitSeconds: 60 });
        expect(
          r.violation?.message,
          `${sc.name} ${JSON.stringify(sc.params)} ${JSON.stringify(sc.threads)}`,
        ).toBeUndefined();
        expect(r.exhaustive).toBe(true);
      }
    }, 120_000);
  }

  test('the generator is not degenerate: both kinds, several shapes, real state spaces', () => {
    const shapes = new Set<string>();
    let big = 0;
    for (let seed = 0; seed < 100; seed++) {
      const sc = randomScenario(1000 + seed);
      shapes.add(`${sc.params.kind}/${sc.params.initial}/${sc.params.nr}`);
      if (seed < 30 && checkScenario(thp, sc, {}).states > 200) big++;
    }
    expect(shapes.size).toBeGreaterThan(12);
    expect(big).toBeGreaterThan(2);
  });
});
