/**
 * The verdict of one checked scenario, from its CheckResult: what a user and
 * CI act on. Soundness first: a run that did not visit every state is
 * INCONCLUSIVE, and a passing run in which something declared was never
 * exercised (a fault site, an invariant, a scenario clause) is VACUOUS, a
 * failure unless the user allows it.
 */
import type { CheckResult } from './result.js';

export type Verdict =
  | 'pass' // exhaustive, no violation, nothing vacuous
  | 'violation' // a property failed
  | 'vacuous' // exhaustive and no violation, but something declared was never exercised
  | 'inconclusive' // a limit or an interruption stopped the search
  | 'caught' // a buggy variant run that found its bug (the expected outcome)
  | 'missed'; // a buggy variant run that found nothing: the checker or scenario lost its power

export interface VacuousItem {
  readonly kind: 'fault-site' | 'invariant' | 'clause';
  readonly name: string;
}

/** Everything declared but never exercised in an exhaustive run. */
export function vacuousItems(r: CheckResult): VacuousItem[] {
  const out: VacuousItem[] = [];
  for (const s of r.bounds.faultSitesNeverReached ?? []) out.push({ kind: 'fault-site', name: s });
  for (const i of r.invariants) if (i.nonTrivial === 0) out.push({ kind: 'invariant', name: i.name });
  for (const c of r.bounds.clausesNeverRun ?? []) out.push({ kind: 'clause', name: c });
  return out;
}

export interface VerdictOptions {
  /** Vacuity is reported but does not fail the run (--allow-vacuous). */
  readonly allowVacuous?: boolean;
  /** A variant run: a violation is the expected outcome. */
  readonly expectViolation?: boolean;
}

export function verdictOf(r: CheckResult, o: VerdictOptions = {}): Verdict {
  if (o.expectViolation) return r.violation ? 'caught' : r.exhaustive ? 'missed' : 'inconclusive';
  if (r.violation) return 'violation';
  if (!r.exhaustive) return 'inconclusive';
  if (!o.allowVacuous && vacuousItems(r).length > 0) return 'vacuous';
  return 'pass';
}

/** Exit codes: 0 pass, 1 violation/vacuous/missed, 2 usage, 3 inconclusive. */
export function exitCodeOf(v: Verdict): number {
  switch (v) {
    case 'pass':
    case 'caught':
      return 0;
    case 'violation':
    case 'vacuous':
    case 'missed':
      return 1;
    case 'inconclusive':
      return 3;
  }
}

/** The worst of several exit codes: a failure (1) beats inconclusive (3) beats pass (0). */
export function worstExit(codes: readonly number[]): number {
  if (codes.includes(1)) return 1;
  if (codes.includes(3)) return 3;
  return codes.find((c) => c !== 0) ?? 0;
}

/** One line naming what is vacuous, e.g. `VACUOUS hugetlb/x: fault site alloc_buddy never reached`. */
export function vacuousLine(what: string, items: readonly VacuousItem[]): string {
  const parts = items.map((i) =>
    i.kind === 'fault-site'
      ? `fault site ${i.name} never reached`
      : i.kind === 'invariant'
        ? `invariant ${i.name} never had anything to check`
        : `clause ${i.name} never started`,
  );
  return `VACUOUS ${what}: ${parts.join('; ')}`;
}
