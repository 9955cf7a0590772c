/**
 * The thread-local declarations (StepDef.threadLocal, checker/por.ts) match
 * what the steps do: on random reachable states of every default scenario of
 * every implementation, each step declared thread-local that a thread is
 * about to take (1) touches nothing of the impl state and calls no inject()
 * when run against the state that throws on access (checkLocalStep, every
 * choice sequence), and (2) run for real, changes nothing of the state
 * vector but its own thread's block (the impl state, the faults used and
 * every other thread's block are the parent's). A wrong declaration fails:
 * in every implementation, a step met mid-operation that is not declared is
 * declared thread-local in a copy, and the same walks report it.
 */
import { describe, expect, test } from 'vitest';
import { checkLocalStep } from '../../checker/por.js';
import { Product } from '../../checker/product.js';
import type { StepLabel } from '../../checker/result.js';
import { Ctx } from '../../checker/step-ctx.js';
import type { OpDef, Scenario, Subsystem } from '../../checker/types.js';
import { IMPLS, label } from './symmetry-scenarios.js';

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

/** Thread t's op in flight at vec: the op, its args and its pc (undefined when idle). */
function pending(p: Product, vec: Int32Array, t: number) {
  const w = p.blocks.words;
  const b = p.blocks.base(vec[p.HDR + t]!);
  const pc = w[b + 2]!;
  if (pc < 0) return undefined;
  const alt = p.alts[t]![w[b]!]![w[b + 1]!]!;
  return { alt, pc, block: b, name: `${alt.opName}.${alt.op.steps[pc]!.name}` };
}

interface Tally {
  /** Declared steps checked, by `op.step`. */
  checked: Map<string, number>;
  problems: string[];
  /** A step met mid-operation that is not declared thread-local (for the mutation). */
  undeclared?: { op: string; pc: number };
}

/** Check every declared step pending at vec; returns its successors. */
function checkAt(p: Product, ctx: Ctx, vec: Int32Array, tally: Tally, where: string) {
  const succ: { vec: Int32Array; label: StepLabel; failed: boolean }[] = [];
  p.expand(
    vec,
    0,
    vec.length,
    (s, l) => succ.push({ vec: s.buf.slice(0, s.len), label: l!, failed: !!s.failure }),
    true,
  );
  for (let t = 0; t < p.T; t++) {
    const q = pending(p, vec, t);
    if (!q) continue;
    const step = q.alt.op.steps[q.pc]!;
    if (!step.threadLocal) {
      if (q.pc > 0) tally.undeclared ??= { op: q.alt.opName, pc: q.pc };
      continue;
    }
    tally.checked.set(q.name, (tally.checked.get(q.name) ?? 0) + 1);
    const v = checkLocalStep(q.alt.op.steps, q.alt.op.stepIndex, q.pc, ctx, () => {
      ctx.tid = t;
      ctx.args = q.alt.args;
      q.alt.op.slots.load(p.blocks.words, q.block + 3, false);
      ctx.l = q.alt.op.l;
    });
    if (typeof v === 'object') tally.problems.push(`${where} T${t} ${q.name}: ${v.breach}`);
    for (const s of succ.filter((x) => x.label.tid === t)) {
      const moved = s.vec.length !== vec.length || s.vec.some((x, i) => i !== 0 && i !== p.HDR + t && x !== vec[i]);
      if (moved || s.failed) tally.problems.push(`${where} T${t} ${q.name}: changed more than its thread's block`);
    }
  }
  return succ.filter((s) => !s.failed).map((s) => s.vec);
}

/** Random walks over the scenario, checking every state met. */
function walk(sub: Subsystem, s: Scenario, tally: Tally, walks = 6, depth = 40): void {
  const p = new Product(sub, s, null);
  const ctx = new Ctx(s.params, null, new Set(s.faults?.sites ?? []));
  const r = rng(20261207);
  for (let i = 0; i < walks; i++) {
    let vec = p.initial().vec;
    for (let d = 0; d < depth; d++) {
      const next = checkAt(p, ctx, vec, tally, `${s.name} walk ${i} depth ${d}`);
      if (next.length === 0) break;
      vec = next[Math.floor(r() * next.length)]!;
    }
  }
}

const fresh = (): Tally => ({ checked: new Map(), problems: [] });

/** `sub` with step `pc` of `op` declared thread-local (a wrong declaration). */
function misdeclared(sub: Subsystem, op: string, pc: number): Subsystem {
  const def = sub.impl.ops[op]! as OpDef<object>;
  const steps = def.steps.map((st, i) => (i === pc ? { ...st, threadLocal: true } : st));
  return { ...sub, impl: { ...sub.impl, ops: { ...sub.impl.ops, [op]: { ...def, steps } } } };
}

describe('por: thread-local declarations against the steps', () => {
  const tallies = new Map<string, Tally>();
  test.each(IMPLS.map((sub) => [label(sub), sub] as const))('%s', (name, sub) => {
    const tally = fresh();
    for (const s of sub.scenarios) walk(sub, s, tally);
    tallies.set(name, tally);
    expect(tally.problems).toEqual([]);
  });

  test('the walks met the declared steps (thp folio declares two)', () => {
    const folio = tallies.get('thp:folio')!;
    expect([...folio.checked.keys()].sort()).toEqual([
      'force_write.faultin_page returned: follow_page_mask again',
      'migrate.migrate_pages_batch (small folios): the next folio on the list',
    ]);
  });

  test.each(IMPLS.map((sub) => [label(sub), sub] as const))('a wrong declaration in %s is reported', (name, sub) => {
    const u = tallies.get(name)?.undeclared;
    expect(u, 'a step met mid-operation').toBeDefined();
    const bad = misdeclared(sub, u!.op, u!.pc);
    const tally = fresh();
    for (const s of sub.scenarios) walk(bad, s, tally, 2);
    expect(tally.problems.length, `${u!.op} step ${u!.pc}`).toBeGreaterThan(0);
  });
});
