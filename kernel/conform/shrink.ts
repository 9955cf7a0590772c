/**
 * Shrinking a disagreement with fast-check's own shrinker, one kernel boot per
 * batch of candidates.
 *
 * fast-check shrinks sequentially: it walks the shrink stream of the current
 * failing value and moves to the first candidate that still fails. Here the
 * next `batch` candidates of that stream run in one boot, and the first of
 * them (in stream order) that still fails becomes the current value, which
 * gives exactly the minimal value sequential shrinking would reach, with far
 * fewer boots. A candidate "still fails" when it shows a disagreement of the
 * same class on the same operation (`sameFailure`), so shrinking does not
 * wander off to another bug.
 */
import type fc from 'fast-check';
import type { Script } from '../../checker/scenario-file.js';
import type { Disagreement, Verdict } from './judge.js';
import type { GenScript } from './generate.js';

/** Runs candidate scripts (one boot) and judges each; a string when the boot itself failed. */
export type Oracle = (scripts: readonly Script[]) => Promise<readonly Verdict[] | string>;

export interface ShrinkOptions {
  /** Candidates per boot. */
  readonly batch: number;
  /** Stop after this many boots (the result then says it may not be minimal). */
  readonly maxBoots: number;
}

export interface ShrinkResult {
  readonly minimal: fc.Value<GenScript>;
  readonly disagreement: Disagreement;
  readonly boots: number;
  readonly candidates: number;
  /** Improvements accepted (each a smaller failing script). */
  readonly steps: number;
  /** True when the shrink stream was exhausted: no candidate of the result still fails. */
  readonly minimalReached: boolean;
  /** Why shrinking stopped early (boot budget, boot failure). */
  readonly stoppedBy?: string;
}

export function sameFailure(a: Disagreement, b: Disagreement): boolean {
  return a.cls === b.cls && a.op === b.op;
}

function take<T>(it: Iterator<T>, n: number): T[] {
  const out: T[] = [];
  while (out.length < n) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

export async function shrinkDisagreement(
  arb: fc.Arbitrary<GenScript>,
  start: fc.Value<GenScript>,
  found: Disagreement,
  oracle: Oracle,
  opts: ShrinkOptions,
): Promise<ShrinkResult> {
  let current = start;
  let disagreement = found;
  let boots = 0;
  let candidates = 0;
  let steps = 0;
  const tried = new Set<string>([JSON.stringify(start.value_.script)]);
  let stream = arb.shrink(current.value_, current.context)[Symbol.iterator]();
  for (;;) {
    if (boots >= opts.maxBoots)
      return { minimal: current, disagreement, boots, candidates, steps, minimalReached: false, stoppedBy: `the budget of ${opts.maxBoots} boots` };
    // the next candidates not run before (a shrink stream may repeat values)
    const batch: fc.Value<GenScript>[] = [];
    for (;;) {
      const more = take(stream, opts.batch - batch.length);
      for (const c of more) {
        const key = JSON.stringify(c.value_.script);
        if (tried.has(key)) continue;
        tried.add(key);
        batch.push(c);
      }
      if (batch.length >= opts.batch || more.length === 0) break;
    }
    if (batch.length === 0) return { minimal: current, disagreement, boots, candidates, steps, minimalReached: true };
    const verdicts = await oracle(batch.map((c) => c.value_.script));
    boots++;
    candidates += batch.length;
    if (typeof verdicts === 'string')
      return { minimal: current, disagreement, boots, candidates, steps, minimalReached: false, stoppedBy: `a failed boot: ${verdicts}` };
    const hit = verdicts.findIndex((v) => v.kind === 'disagree' && sameFailure(v.d, found));
    if (hit < 0) continue; // none of these fails: the next candidates of the same stream
    const v = verdicts[hit]!;
    if (v.kind !== 'disagree') continue;
    current = batch[hit]!;
    disagreement = v.d;
    steps++;
    stream = arb.shrink(current.value_, current.context)[Symbol.iterator]();
  }
}
