/**
 * Running an implementation's operations step by step, by hand, so that another operation can run between two
 * steps of one: the interleavings the checker explores, picked one at a time (used by test/thp/swap.test.ts and
 * test/thp/folio-swap.test.ts to reach a THP kept in the swap cache by a reference taken during its reclaim).
 */
import type { ImplDef, RetValue, ThreadCtx } from '../../checker/types.js';

export type DrivenThread<P> = ThreadCtx<P> & { label: string };

export interface StepDriver<G, P> {
  /** One thread about to run `op` from its first step; `lacks` are the variants (fixes it lacks) it runs with. */
  thread(tid: number, op: string, args: Record<string, number>, lacks?: readonly string[]): DrivenThread<P>;
  /**
   * Run t's op from its current step until it returns (its value), or until the next step's name starts with
   * `stop` (undefined). A step whose `enabled` is false fails the test: the thread would wait there.
   */
  drive(g: G, op: string, t: DrivenThread<P>, stop?: string): RetValue | undefined;
}

export function stepDriver<G, P>(impl: ImplDef<G, P>, params: P): StepDriver<G, P> {
  return {
    thread(tid, op, args, lacks = []) {
      const l: Record<string, number> = {};
      for (const k of impl.ops[op]!.locals ?? []) l[k] = 0;
      return {
        tid,
        args,
        l,
        params,
        variant: null,
        bug: (name) => lacks.includes(name),
        choose: () => 0,
        inject: () => false,
        assume: () => undefined,
        label: impl.ops[op]!.steps[0]!.name,
      };
    },
    drive(g, op, t, stop) {
      const steps = impl.ops[op]!.steps;
      for (;;) {
        if (stop !== undefined && t.label.startsWith(stop)) return undefined;
        const s = steps.find((x) => x.name === t.label)!;
        if (s.enabled !== undefined && !s.enabled(g, t)) throw new Error(`${op} would wait at ${t.label}`);
        const r = s.run(g, t);
        if (typeof r !== 'string') return r.ret;
        t.label = r;
      }
    },
  };
}
