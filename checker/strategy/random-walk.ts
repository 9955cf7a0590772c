/**
 * Random simulation over any Model: one walk from the initial state, taking
 * successor `pick(n)` of the n successors at each step, checking every state
 * and transition property on the way, until a failure, a state with no
 * successor, or the depth bound. `pick` is a pure function of the walk so far
 * (a seeded generator, or a fast-check-generated list of choices), so a walk
 * replays exactly and shrinks. A walk proves nothing about the states it did
 * not visit: its results are SAMPLED, never exhaustive.
 */
import type { Failure, Model } from '../model.js';
import type { StepLabel } from '../result.js';

export interface Walk {
  /** Successor indices taken from the initial state. */
  readonly path: number[];
  readonly labels: StepLabel[];
  readonly failure?: Failure;
  /** Whether the walk ended in a state with no successor (as opposed to the depth bound or a failure). */
  readonly terminal: boolean;
}

export function randomWalk(model: Model, pick: (n: number, step: number) => number, maxSteps: number): Walk {
  const path: number[] = [];
  const labels: StepLabel[] = [];
  const init = model.initial();
  let vec = init.vec;
  const f0 = init.failure ?? model.checkState(vec, 0, init.impl);
  if (f0) return { path, labels, failure: f0, terminal: false };
  const succ: { vec: Int32Array; label: StepLabel; impl: unknown; failure?: Failure }[] = [];
  for (let step = 0; step < maxSteps; step++) {
    succ.length = 0;
    model.expand(
      vec,
      0,
      vec.length,
      (s, label) => {
        succ.push({
          vec: s.buf.slice(0, s.len),
          label: label!,
          impl: s.impl,
          ...(s.failure ? { failure: s.failure } : {}),
        });
      },
      true,
    );
    const d = model.stuck(vec, 0, vec.length, succ.length);
    if (d) return { path, labels, failure: d, terminal: succ.length === 0 };
    if (succ.length === 0) return { path, labels, terminal: true };
    const k = pick(succ.length, step) % succ.length;
    const s = succ[k]!;
    path.push(k);
    labels.push(s.label);
    if (s.failure) return { path, labels, failure: s.failure, terminal: false };
    vec = s.vec;
    const f = model.checkState(vec, 0, s.impl);
    if (f) return { path, labels, failure: f, terminal: false };
  }
  return { path, labels, terminal: false };
}
