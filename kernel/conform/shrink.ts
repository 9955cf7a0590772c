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
 * wander off to another bug. A script already run is answered from memory.
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
  // Verdicts by script: two shrink values may resolve to the same script (the same kernel
  // answer), but they shrink on differently, so a repeated script is answered from here, not skipped.
  const known = new Map<string, Verdict>([
    [JSON.stringify(start.value_.script), { kind: 'disagree', d: found, compared: [] }],
  ]);
  const fails = (v: Verdict | undefined): v is Extract<Verdict, { kind: 'disagree' }> =>
    v?.kind === 'disagree' && sameFailure(v.d, found);
  const result = (minimalReached: boolean, stoppedBy?: string): ShrinkResult => ({
    minimal: current,
    disagreement,
    boots,
    candidates,
    steps,
    minimalReached,
    ...(stoppedBy ? { stoppedBy } : {}),
  });
  let stream = arb.shrink(current.value_, current.context)[Symbol.iterator]();
  for (;;) {
    // walk the stream up to `batch` unknown scripts, or up to a known failing one
    const seen: fc.Value<GenScript>[] = [];
    const pending = new Map<string, Script>();
    let exhausted = false;
    while (pending.size < opts.batch) {
      const [c] = take(stream, 1);
      if (!c) {
        exhausted = true;
        break;
      }
      seen.push(c);
      const key = JSON.stringify(c.value_.script);
      if (known.has(key)) {
        if (fails(known.get(key))) break;
      } else pending.set(key, c.value_.script);
    }
    if (pending.size > 0) {
      if (boots >= opts.maxBoots) return result(false, `the budget of ${opts.maxBoots} boots`);
      const keys = [...pending.keys()];
      const verdicts = await oracle([...pending.values()]);
      boots++;
      candidates += keys.length;
      if (typeof verdicts === 'string') return result(false, `a failed boot: ${verdicts}`);
      keys.forEach((k, i) => known.set(k, verdicts[i]!));
    }
    const next = seen.find((c) => fails(known.get(JSON.stringify(c.value_.script))));
    if (next) {
      current = next;
      disagreement = (known.get(JSON.stringify(next.value_.script)) as Extract<Verdict, { kind: 'disagree' }>).d;
      steps++;
      stream = arb.shrink(current.value_, current.context)[Symbol.iterator]();
    } else if (exhausted) return result(true);
  }
}
