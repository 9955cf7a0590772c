/**
 * One phrase saying how a result's states were searched and stored, for every
 * result line: a bitstate or depth-bounded run must never read like an
 * exhaustive one.
 */
import type { CheckResult, PorInfo, SymmetryInfo } from './result.js';

const sci = (x: number): string => (x === 0 ? '0' : x < 1e-3 || x >= 1e4 ? x.toExponential(1) : x.toPrecision(2));

export function searchSummary(r: Pick<CheckResult, 'search' | 'collisionProbability'>): string {
  const s = r.search;
  const n = s?.workers ?? 1;
  const strat =
    (s?.strategy ?? 'bfs').toUpperCase() +
    (n === 1
      ? ', 1 worker'
      : s?.solo
        ? `, 1 worker (--workers ${n} not used: ${s.solo})`
        : `, ${n} workers (parallel, level by level; same states and verdict as 1)`);
  if (!s || s.visited === 'exact')
    return `${strat}, exact 64-bit fingerprints (collision probability ${sci(r.collisionProbability)})`;
  const o = s.omission;
  return (
    `${strat}, BITSTATE (hash-compacted, may omit states): hash factor ${o ? sci(o.hashFactor) : '?'}, ` +
    `${o?.bitsPerState ?? '?'} bits/state, expected omitted states ${o ? sci(o.expectedOmitted) : '?'} ` +
    `(omission probability <= ${o ? sci(o.probability) : '?'})`
  );
}

/** The symmetry reduction of a run, for every result line: what ran and by how much it shrank the space. */
export function symmetrySummary(s: SymmetryInfo): string {
  if (!s.applied) return `symmetry not applied: ${s.reason ?? 'unknown reason'}`;
  const n = (x: number): string => x.toLocaleString('en-US');
  const classes = s.classes.map((c) => `{${c.map((t) => `T${t}`).join(',')}}`).join(' ');
  const f = s.canonicalStates > 0 ? s.unreducedStates / s.canonicalStates : 1;
  return (
    `symmetry over interchangeable threads ${classes} (${s.group} permutations): ` +
    `${n(s.canonicalStates)} canonical states stand for ${n(s.unreducedStates)} states (orbit sizes summed; ${f.toFixed(2)}x fewer)`
  );
}

/** The partial-order reduction of a run, for every result line: what ran and how much it reduced. */
export function porSummary(s: PorInfo): string {
  if (!s.applied) return `partial-order reduction not applied: ${s.reason ?? 'unknown reason'}`;
  const n = (x: number): string => x.toLocaleString('en-US');
  return (
    `partial-order reduction over ${s.localSteps.length} thread-local step${s.localSteps.length === 1 ? '' : 's'}: ` +
    `${n(s.reducedExpansions)} of the ${n(s.reducedStates)} states (reduced count; unreduced not computed) ` +
    `expanded one thread's thread-local step alone`
  );
}
