/**
 * The thread-permutation declarations (ImplDef.permuteThreads) are complete:
 * on random reachable states of scenarios with interchangeable threads,
 * renumbering the threads commutes with taking a step, as encoded states:
 * the successors of perm(s) are exactly perm of the successors of s (with
 * the same failures). A thread-id field a declaration leaves out breaks it:
 * a state where the field names a thread has an image in which the lock
 * stays with the wrong thread, whose steps then differ (checked by a mutation:
 * see the commit that added this file).
 */
import { describe, expect, test } from 'vitest';
import { Product } from '../../checker/product.js';
import { Canonicalizer } from '../../checker/symmetry.js';
import { threadClasses } from '../../checker/symmetry.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { IntBuffer } from '../../checker/schema.js';
import { copyThread, IMPLS, label } from './symmetry-scenarios.js';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every successor of vec: its vector (and failure property), as strings. */
function successors(p: Product, vec: Int32Array): { keys: string[]; vecs: Int32Array[]; fails: string[] } {
  const vecs: Int32Array[] = [];
  const fails: string[] = [];
  p.expand(vec, 0, vec.length, (s) => {
    vecs.push(s.buf.slice(0, s.len));
    fails.push(s.failure?.property ?? '');
  });
  return { keys: vecs.map((v, i) => `${fails[i]}|${v.join(',')}`), vecs, fails };
}

/** Commutation at `vec` for every permutation of the group; returns how many states held a thread id. */
function checkAt(p: Product, c: Canonicalizer, vec: Int32Array, where: string): void {
  const w = new IntBuffer(256);
  const succ = successors(p, vec);
  for (let k = 1; k < c.perms.length; k++) {
    const img = c.imageOf(vec, 0, vec.length, k, w).toArray();
    const expected = succ.vecs
      .map((v, i) => `${succ.fails[i]}|${c.imageOf(v, 0, v.length, k, w).toArray().join(',')}`)
      .sort();
    expect(successors(p, img).keys.sort(), `${where}, permutation [${[...c.perms[k]!].join(',')}]`).toEqual(expected);
  }
}

/** Random walks from the initial state, checking commutation at every state met; states with a thread id held. */
function walk(sub: Subsystem, s: Scenario, seed: number, walks: number): { states: number; withIds: number } {
  const p = new Product(sub, s, null);
  const c = new Canonicalizer(p, sub.impl.permuteThreads!, threadClasses(s));
  const r = rng(seed);
  let states = 0;
  let withIds = 0;
  for (let i = 0; i < walks; i++) {
    let vec = p.initial().vec;
    for (let d = 0; d < 40; d++) {
      states++;
      if (c.holdsThreadId(vec, 0, vec.length)) withIds++;
      checkAt(p, c, vec, `${s.name} walk ${i} depth ${d}`);
      const { vecs, fails } = successors(p, vec);
      const ok = vecs.filter((_v, j) => fails[j] === '');
      if (ok.length === 0) break;
      vec = ok[Math.floor(r() * ok.length)]!;
    }
  }
  return { states, withIds };
}

// every default scenario with two threads or more, in two symmetric forms: T1 := T0 and T0 := T1
const CASES = IMPLS.filter((sub) => sub.impl.permuteThreads).flatMap((sub) =>
  sub.scenarios
    .filter((s) => s.threads.length >= 2)
    .flatMap((s) => [copyThread(s, 0, 1), copyThread(s, 1, 0)])
    .map((s) => [`${label(sub)}/${s.name}`, sub, s] as const),
);

describe('symmetry: permuteThreads commutes with every step', () => {
  test('every implementation declares a permutation', () =>
    expect(IMPLS.filter((sub) => !sub.impl.permuteThreads).map(label)).toEqual([]));

  const held = new Map<string, number>();
  test.each(CASES)('%s', (_n, sub, s) => {
    const { withIds } = walk(sub, s, 20261206, 12);
    held.set(label(sub), (held.get(label(sub)) ?? 0) + withIds);
  });

  test('the walks met states in which a thread id is held, in every implementation', () => {
    for (const sub of IMPLS) expect(held.get(label(sub)) ?? 0, label(sub)).toBeGreaterThan(20);
  });
});
