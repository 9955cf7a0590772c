/**
 * A tiny independent explicit-state BFS over a subsystem's step functions,
 * sharing no code with checker/: used to tell whether a state-count mismatch
 * is in the model or in the checker. String keys (JSON), so small configs only.
 *
 * Thread state is (slot, alt, pc, locals) as in docs/architecture.md: idle
 * threads have pc = -1, alt = 0 and locals zeroed; choose/inject are not
 * supported (the toy model uses neither).
 */
import type { ImplDef, Invariant, RetValue, Scenario, ThreadCtx } from '../../checker/types.js';

export interface MiniThread {
  slot: number;
  alt: number;
  pc: number;
  l: Record<string, number>;
}

export interface MiniState<G> {
  g: G;
  th: MiniThread[];
}

export interface MiniResult {
  states: number;
  transitions: number;
  maxDepth: number;
  /** First invariant violation found (BFS order, so on a shortest path). */
  violation?: { property: string; message: string; depth: number; steps: string[] };
  deadlocks: number;
}

export function makeCtx<P>(
  tid: number,
  args: Record<string, number | string | boolean>,
  l: Record<string, number>,
  params: P,
  variant: string | null,
): ThreadCtx<P> {
  return {
    tid,
    args,
    l,
    params,
    variant,
    bug: (name: string) => variant === name,
    choose: () => {
      throw new Error('mini-explorer: choose() not supported');
    },
    inject: () => false,
    assume: (cond: boolean, text: string) => {
      if (!cond) throw new Error(`mini-explorer: assume failed: ${text}`);
    },
  };
}

const clone = <T>(x: T): T => structuredClone(x);

export function miniExplore<G, P>(
  impl: ImplDef<G, P>,
  invariants: readonly Invariant<G, P>[],
  scenario: Scenario<P>,
  variant: string | null = null,
  maxStates = 2_000_000,
): MiniResult {
  const params = scenario.params;
  const init: MiniState<G> = {
    g: impl.init(params),
    th: scenario.threads.map(() => ({ slot: 0, alt: 0, pc: -1, l: {} })),
  };
  const stepIndex = new Map<string, Map<string, number>>();
  for (const [name, op] of Object.entries(impl.ops)) {
    stepIndex.set(name, new Map(op.steps.map((s, i) => [s.name, i])));
  }
  const zeroLocals = (op: string): Record<string, number> => {
    const l: Record<string, number> = {};
    for (const k of impl.ops[op]!.locals ?? []) l[k] = 0;
    return l;
  };
  const key = (s: MiniState<G>) => JSON.stringify([s.g, s.th]);
  const seen = new Map<string, { parent: string | null; label: string }>();
  let frontier: MiniState<G>[] = [init];
  seen.set(key(init), { parent: null, label: 'init' });
  let transitions = 0;
  let depth = 0;
  let deadlocks = 0;

  const pathTo = (k: string): string[] => {
    const out: string[] = [];
    for (let e = seen.get(k); e && e.parent !== null; e = seen.get(e.parent)) out.push(e.label);
    return out.reverse();
  };

  const checkInvs = (s: MiniState<G>): { property: string; message: string } | undefined => {
    const quiescent = s.th.every((t) => t.pc === -1);
    const inFlight = s.th.map((t, i) => (t.pc === -1 ? undefined : scenario.threads[i]![t.slot]![t.alt]!.op));
    for (const inv of invariants) {
      if (inv.when === 'quiescent' && !quiescent) continue;
      const r = inv.check(s.g, params, { quiescent, inFlight, variant });
      if (r === false || typeof r === 'string') return { property: inv.name, message: String(r) };
    }
    return undefined;
  };

  const v0 = checkInvs(init);
  if (v0) return { states: 1, transitions: 0, maxDepth: 0, violation: { ...v0, depth: 0, steps: [] }, deadlocks };

  while (frontier.length > 0) {
    const next: MiniState<G>[] = [];
    for (const s of frontier) {
      const sk = key(s);
      let enabledAny = false;
      for (let tid = 0; tid < s.th.length; tid++) {
        const t = s.th[tid]!;
        const script = scenario.threads[tid]!;
        // (alt, starting?) pairs this thread can move with
        const moves: number[] = [];
        if (t.pc === -1) {
          if (t.slot >= script.length) continue;
          for (let a = 0; a < script[t.slot]!.length; a++) moves.push(a);
        } else {
          moves.push(t.alt);
        }
        for (const a of moves) {
          const choice = script[t.slot]![a]!;
          const op = impl.ops[choice.op]!;
          const pc = t.pc === -1 ? 0 : t.pc;
          const step = op.steps[pc]!;
          const l = t.pc === -1 ? zeroLocals(choice.op) : { ...t.l };
          if (step.enabled && !step.enabled(s.g, makeCtx(tid, choice.args, l, params, variant))) continue;
          enabledAny = true;
          const g = clone(s.g);
          const r = step.run(g, makeCtx(tid, choice.args, l, params, variant));
          const th = s.th.map((x) => ({ ...x, l: { ...x.l } }));
          let ret: RetValue | undefined;
          if (typeof r === 'string') {
            const idx = stepIndex.get(choice.op)!.get(r);
            if (idx === undefined) throw new Error(`unknown step ${choice.op}.${r}`);
            th[tid] = { slot: t.slot, alt: a, pc: idx, l };
          } else {
            ret = r.ret;
            th[tid] = { slot: t.slot + 1, alt: 0, pc: -1, l: {} };
          }
          transitions++;
          const ns: MiniState<G> = { g, th };
          const nk = key(ns);
          if (seen.has(nk)) continue;
          const argText = Object.values(choice.args).join(',');
          seen.set(nk, {
            parent: sk,
            label: `T${tid} ${choice.op}(${argText}).${step.name}${ret !== undefined ? ` -> ${ret}` : ''}`,
          });
          const v = checkInvs(ns);
          if (v) {
            return {
              states: seen.size,
              transitions,
              maxDepth: depth + 1,
              violation: { ...v, depth: depth + 1, steps: pathTo(nk) },
              deadlocks,
            };
          }
          if (seen.size > maxStates) throw new Error(`mini-explorer: more than ${maxStates} states`);
          next.push(ns);
        }
      }
      if (!enabledAny && s.th.some((t) => t.pc !== -1)) deadlocks++;
    }
    if (next.length > 0) depth++;
    frontier = next;
  }
  return { states: seen.size, transitions, maxDepth: depth, deadlocks };
}
