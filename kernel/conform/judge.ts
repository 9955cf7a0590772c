/**
 * Judging one script: the kernel's observations against the implementation's
 * prediction and against the spec, step by step.
 *
 *   kernel-vs-model  the kernel returned or counted something else than the
 *                    implementation predicts: a fidelity bug of the model (or
 *                    of the probe), shown with both sides and whether the spec
 *                    allows what the kernel did;
 *   kernel-vs-spec   kernel and implementation agree, but the spec allows no
 *                    outcome with that return value and those counters: the
 *                    spec promises what the kernel does not keep (a kernel bug
 *                    or a spec that is too strict);
 *   model-vs-spec    the implementation breaks its own spec or an invariant at
 *                    a step where the kernel showed nothing to tell them apart
 *                    (state the probe cannot see);
 *   model-error      the implementation cannot run the script (a step threw or
 *                    blocked).
 *
 * Counters are compared by name where both sides report them; the set of names
 * compared is part of the verdict so the summary can say what was judged.
 */
import type { Script } from '../../checker/scenario-file.js';
import { SpecWalker } from '../../checker/spec-walk.js';
import type { Args, RetValue, Subsystem } from '../../checker/types.js';
import type { KernelScriptResult } from '../types.js';
import { commonKeys, counterDiff, counterDiffAll, type Counters, flattenCounters, kernelRet } from './observe.js';
import { type Prediction, retKey } from './predict.js';

export type DisagreementClass = 'kernel-vs-model' | 'kernel-vs-spec' | 'model-vs-spec' | 'model-error';

export interface Side {
  /** In the probe's encoding. */
  readonly ret: string;
  readonly counters: Counters;
}

export interface Disagreement {
  readonly cls: DisagreementClass;
  readonly step: number;
  readonly op: string;
  readonly args: Args;
  readonly kernel?: Side;
  readonly model?: Side;
  /** Outcomes the spec allows at this step (from the states consistent with the kernel so far). */
  readonly specAllowed?: readonly Side[];
  /** kernel-vs-model: whether one of those spec outcomes matches the kernel. */
  readonly specAllowsKernel?: boolean;
  /** 'ret' and/or counter names that differ. */
  readonly fields: readonly string[];
  readonly message: string;
}

export type Verdict =
  | { readonly kind: 'agree'; readonly compared: readonly string[] }
  | { readonly kind: 'disagree'; readonly d: Disagreement; readonly compared: readonly string[] }
  | { readonly kind: 'error'; readonly detail: string };

const show = (s: Side): string =>
  `${s.ret}${
    Object.keys(s.counters).length
      ? ` ${Object.entries(s.counters)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      : ''
  }`;

/** Spec side of the comparison: the spec states consistent with the kernel's observable history. */
class SpecTrack {
  private states: number[];
  constructor(
    private readonly sub: Subsystem,
    private readonly walker: SpecWalker,
    private readonly params: unknown,
    private readonly enc: (r: RetValue, op?: string) => string,
  ) {
    this.states = walker.initial();
  }
  private counters(id: number): Counters {
    return this.sub.observer ? flattenCounters(this.sub.observer.spec(this.walker.view(id), this.params)) : {};
  }
  /** Every outcome allowed now; then keep only the states matching `seen`. */
  step(op: string, args: Args, seen: Side): { allowed: Side[]; fits: boolean } {
    const allowed: Side[] = [];
    const keep: number[] = [];
    for (const o of this.walker.outcomes(this.states, op, args)) {
      for (const id of this.walker.close([o.next])) {
        const side = { ret: this.enc(o.ret, op), counters: this.counters(id) };
        allowed.push(side);
        if (side.ret === seen.ret && counterDiff(side.counters, seen.counters).length === 0) keep.push(id);
      }
    }
    if (keep.length > 0) this.states = this.walker.close(keep);
    return { allowed, fits: keep.length > 0 };
  }
}

function disagree(d: Disagreement, compared: Set<string>): Verdict {
  return { kind: 'disagree', d, compared: [...compared].sort() };
}

/**
 * Judge one script. `enc` puts an implementation/spec return value in the
 * probe's encoding (KernelMapping.retOf); the kernel's value is compared as
 * the probe printed it, with a caught SIGBUS as the outcome.
 */
export function judge(
  sub: Subsystem,
  script: Script,
  prediction: Prediction,
  kernel: KernelScriptResult,
  enc: (r: RetValue, op?: string) => string = retKey,
): Verdict {
  if (kernel.kind === 'error') return { kind: 'error', detail: kernel.detail };
  const track = sub.spec ? new SpecTrack(sub, new SpecWalker(sub.spec, script.params), script.params, enc) : undefined;
  const compared = new Set<string>(['ret']);
  for (const [i, { op, args }] of script.steps.entries()) {
    const pred = prediction.steps[i];
    const obs = kernel.steps.find((s) => s.step === i);
    if (!pred) {
      const why = prediction.stopped?.problem ?? 'the implementation stopped';
      return disagree({ cls: 'model-error', step: i, op, args, fields: [], message: why }, compared);
    }
    if (!obs) return { kind: 'error', detail: `the probe reported no observation for step ${i} (${op})` };
    const model: Side = { ret: pred.ret, counters: pred.counters };
    const k: Side = { ret: retKey(kernelRet(obs)), counters: obs.counters };
    for (const c of commonKeys(model.counters, k.counters)) compared.add(c);
    const fields = [...(model.ret === k.ret ? [] : ['ret']), ...counterDiffAll(model.counters, k.counters)];
    const spec = track?.step(op, args, k);
    if (fields.length > 0) {
      const specNote = spec
        ? spec.fits
          ? '; the spec allows what the kernel did'
          : '; the spec does not allow it either'
        : '';
      return disagree(
        {
          cls: 'kernel-vs-model',
          step: i,
          op,
          args,
          kernel: k,
          model,
          ...(spec ? { specAllowed: spec.allowed, specAllowsKernel: spec.fits } : {}),
          fields,
          message: `kernel ${show(k)} but the implementation predicts ${show(model)} (${fields.join(', ')} differ)${specNote}`,
        },
        compared,
      );
    }
    if (spec && !spec.fits) {
      const allowed = spec.allowed.map(show).join(' | ') || 'no outcome';
      return disagree(
        {
          cls: 'kernel-vs-spec',
          step: i,
          op,
          args,
          kernel: k,
          model,
          specAllowed: spec.allowed,
          fields: ['spec'],
          message: `kernel and implementation agree on ${show(k)}, but the spec allows only ${allowed}`,
        },
        compared,
      );
    }
    if (!pred.agree)
      return disagree(
        { cls: 'model-vs-spec', step: i, op, args, kernel: k, model, fields: [], message: pred.problem ?? '' },
        compared,
      );
  }
  return { kind: 'agree', compared: [...compared].sort() };
}
