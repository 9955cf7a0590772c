/**
 * What `mmcheck check` ran and concluded: one Outcome per (scenario, variant)
 * job and a RunReport for the whole run. Every reporter (text, json, junit,
 * github) renders this plain data; none recomputes a verdict.
 */
import { alternativeImpl } from '../checker/impls.js';
import type { Progress } from '../checker/check.js';
import type { CheckResult } from '../checker/result.js';
import { porSummary, searchSummary, symmetrySummary } from '../checker/search-summary.js';
import {
  exitCodeOf,
  vacuousItems,
  vacuousLine,
  verdictOf,
  worstExit,
  type VacuousItem,
  type Verdict,
} from '../checker/verdict.js';
import type { JobEnd, JobSpec } from './supervisor.js';

export type OutcomeVerdict = Verdict | 'error' | 'not-started';

export interface Outcome {
  readonly subsystem: string;
  /** The alternative implementation checked (`--impl`); absent for the main one. */
  readonly impl?: string;
  readonly scenario: string;
  readonly variant: string | null;
  readonly expectViolation: boolean;
  readonly verdict: OutcomeVerdict;
  /** One line: why this verdict (the violated property, the limit hit, what is vacuous, the error). */
  readonly reason: string;
  readonly vacuous: readonly VacuousItem[];
  readonly result?: CheckResult;
  /** Last progress of a search that was terminated (no result). */
  readonly progress?: Progress;
  /** Where the counterexample was saved (ITF; the .html sits next to it). */
  readonly tracePath?: string;
}

export interface RunReport {
  readonly outcomes: readonly Outcome[];
  /** Wall-clock seconds of the whole run (scenarios run in parallel). */
  readonly wallSeconds: number;
  readonly interrupted: boolean;
  readonly shard: { readonly index: number; readonly count: number; readonly total: number } | null;
  /** Flags that were capped or clamped, and other things a user must know. */
  readonly notes: readonly string[];
  /** Subsystem invariants that no scenario of this run exercised (a failure unless allowed). */
  readonly vacuousInvariants: readonly {
    readonly subsystem: string;
    readonly invariant: string;
    readonly scenarios: number;
  }[];
  readonly allowVacuous: boolean;
  readonly exitCode: number;
  readonly verdict: 'pass' | 'fail' | 'inconclusive' | 'error';
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function outcomeOf(job: JobSpec, end: JobEnd, allowVacuous: boolean, tracePath?: string): Outcome {
  const base = {
    subsystem: job.sub.name,
    ...(alternativeImpl(job.sub) !== undefined ? { impl: alternativeImpl(job.sub) } : {}),
    scenario: job.scenario.name,
    variant: job.variant,
    expectViolation: job.expectViolation,
  };
  if (end.error !== undefined) return { ...base, verdict: 'error', reason: end.error, vacuous: [] };
  if (!end.result) {
    const s = end.stopped!;
    const p = end.progress;
    const where = p ? ` after ${fmt(p.states)} states, depth ${p.depth}` : '';
    if (s.reason === 'not-started') return { ...base, verdict: 'not-started', reason: s.detail, vacuous: [] };
    return {
      ...base,
      verdict: 'inconclusive',
      reason: `${s.detail}${where} (NOT exhaustive)`,
      vacuous: [],
      ...(p ? { progress: p } : {}),
    };
  }
  const r = end.result;
  const verdict = verdictOf(r, { allowVacuous, expectViolation: job.expectViolation });
  const vacuous = r.exhaustive && !r.violation ? vacuousItems(r) : [];
  let reason: string;
  switch (verdict) {
    case 'violation':
    case 'caught':
      reason = `${r.violation!.kind} ${r.violation!.property} after ${r.violation!.trace.transitions.length} steps`;
      break;
    case 'missed':
      reason = `variant ${job.variant} was NOT caught: all ${fmt(r.states)} states pass`;
      break;
    case 'inconclusive':
      reason =
        r.stopReason === 'complete'
          ? `search complete over ${fmt(r.states)} states, but NOT exhaustive (states may have been omitted)`
          : `stopped by ${r.stopReason === 'interrupted' ? 'an interrupt (SIGINT/SIGTERM)' : r.stopReason} after ${fmt(r.states)} states, depth ${r.maxDepth} (NOT exhaustive)`;
      break;
    case 'vacuous':
      reason = `${vacuousLine('', vacuous).replace(/^VACUOUS : /, '')} (in all ${fmt(r.states)} states)`;
      break;
    case 'pass':
      reason = `${fmt(r.states)} states, depth ${r.maxDepth}, exhaustive${vacuous.length ? ` (VACUOUS allowed: ${vacuous.length})` : ''}`;
      break;
  }
  // a result line names the strategy and store whenever they are not BFS over exact fingerprints
  if (r.search && (r.search.strategy !== 'bfs' || r.search.visited !== 'exact' || (r.search.workers ?? 1) > 1))
    reason += ` [${searchSummary(r)}]`;
  if (r.symmetry) reason += ` [${symmetrySummary(r.symmetry)}]`;
  if (r.por) reason += ` [${porSummary(r.por)}]`;
  return { ...base, verdict, reason, vacuous, result: r, ...(tracePath ? { tracePath } : {}) };
}

export function exitOf(o: Outcome): number {
  if (o.verdict === 'error') return 2;
  if (o.verdict === 'not-started') return 3;
  return exitCodeOf(o.verdict);
}

/** The run's exit code: 1 if anything failed, else 2 on an error, else 3 if anything is inconclusive, else 0. */
export function runExit(outcomes: readonly Outcome[], interrupted: boolean, vacuousInvariants = 0): number {
  const codes = outcomes.map(exitOf);
  if (vacuousInvariants > 0) codes.push(1);
  if (codes.includes(1)) return 1;
  if (codes.includes(2)) return 2;
  return interrupted ? 3 : worstExit(codes);
}

export function runVerdict(code: number): RunReport['verdict'] {
  return code === 0 ? 'pass' : code === 1 ? 'fail' : code === 2 ? 'error' : 'inconclusive';
}

/** `hugetlb/error-paths [variant H13]` */
export function outcomeName(o: { subsystem: string; impl?: string; scenario: string; variant: string | null }): string {
  return `${o.subsystem}/${o.scenario}${o.impl ? ` [impl ${o.impl}]` : ''}${o.variant ? ` [variant ${o.variant}]` : ''}`;
}

const LABEL: Record<OutcomeVerdict, string> = {
  pass: 'PASS',
  violation: 'FAIL',
  vacuous: 'VACUOUS',
  inconclusive: 'INCONCLUSIVE',
  caught: 'CAUGHT',
  missed: 'MISSED',
  error: 'ERROR',
  'not-started': 'NOT STARTED',
};

/** The one line per scenario of non-TTY output. */
export function verdictLine(o: Outcome): string {
  return `${LABEL[o.verdict]} ${outcomeName(o)}: ${o.reason}`;
}
