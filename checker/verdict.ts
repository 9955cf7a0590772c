/**
 * The verdict of one checked scenario, from its CheckResult: what a user and
 * CI act on. Soundness first: a run that did not visit every state is
 * INCONCLUSIVE, and a passing run in which something declared was never
 * exercised is VACUOUS, a failure unless the user allows it. What the scenario
 * declares (its fault sites, its clauses) is judged per scenario; what the
 * subsystem declares (its invariants) is judged over every scenario of the run
 * (`runVacuousInvariants`): an invariant with nothing to check in one scenario
 * but exercised by another is reported, not failed.
 */
import { subsystemLabel } from './impls.js';
import type { CheckResult, InvariantStats } from './result.js';

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

/** An invariant that had nothing to check in a scenario it applies to (Invariant.appliesTo). */
export function isVacuous(i: InvariantStats): boolean {
  return i.nonTrivial === 0 && i.applicable !== false;
}

/** What the scenario declares but never exercised (its fault sites and clauses), plus, with `invariants`, its idle invariants. */
export function vacuousItems(r: CheckResult, o: { readonly invariants?: boolean } = {}): VacuousItem[] {
  const out: VacuousItem[] = [];
  for (const s of r.bounds.faultSitesNeverReached ?? []) out.push({ kind: 'fault-site', name: s });
  if (o.invariants) for (const i of r.invariants) if (isVacuous(i)) out.push({ kind: 'invariant', name: i.name });
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
/**
 * Invariants no exhaustive, violation-free run of the correct implementation
 * exercised, per subsystem: declared by the subsystem, never checked in this run.
 */
export function runVacuousInvariants(
  results: readonly CheckResult[],
): { subsystem: string; invariant: string; scenarios: number }[] {
  const bySub = new Map<string, CheckResult[]>();
  for (const r of results)
    if (r.exhaustive && !r.violation && r.variant === null) {
      // each implementation has its own invariants: group by subsystem and implementation
      const key = subsystemLabel(r.subsystem, r.impl);
      bySub.set(key, [...(bySub.get(key) ?? []), r]);
    }
  const out: { subsystem: string; invariant: string; scenarios: number }[] = [];
  for (const [subsystem, rs] of bySub)
    for (const inv of rs[0]!.invariants) {
      // only the scenarios it applies to (Invariant.appliesTo) can exercise it
      const stats = rs.map((r) => r.invariants.find((i) => i.name === inv.name)).filter((i) => i?.applicable !== false);
      if (stats.length > 0 && stats.every((i) => (i?.nonTrivial ?? 0) === 0))
        out.push({ subsystem, invariant: inv.name, scenarios: stats.length });
    }
  return out;
}

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
