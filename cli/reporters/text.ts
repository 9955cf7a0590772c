/**
 * The text reporter. On a terminal (or with --verbose) every scenario gets the
 * full result block; elsewhere (CI logs) one line per scenario, with the full
 * block and the counterexample only for failures. --quiet keeps only the lines
 * and the counterexample tables. Always ends with one summary line.
 */
import { renderResult, renderTrace } from '../../traces/table.js';
import { outcomeName, verdictLine, type Outcome, type RunReport } from '../outcome.js';
import { vacuousLine } from '../../checker/verdict.js';

export interface TextOptions {
  readonly color: boolean;
  readonly detailAll: boolean;
  readonly quiet: boolean;
}

const FAILED = new Set(['violation', 'vacuous', 'missed', 'error']);

export function renderOutcomeText(o: Outcome, t: TextOptions): string[] {
  const out: string[] = [];
  const full = !t.quiet && o.result !== undefined && (t.detailAll || FAILED.has(o.verdict));
  if (full) out.push(renderResult(o.result!, { color: t.color }).trimEnd());
  if (o.result?.violation && (full || t.quiet || o.verdict === 'violation')) {
    out.push(
      renderTrace(o.result.violation, {
        color: t.color,
        shortest: o.result.search?.shortestCounterexample !== false,
      }).trimEnd(),
    );
    if (o.tracePath)
      out.push(`counterexample saved: ${o.tracePath} (and .html); replay with: mmcheck replay ${o.tracePath}`);
  }
  if (o.vacuous.length > 0 && o.verdict !== 'vacuous')
    out.push(vacuousLine(outcomeName(o), o.vacuous) + ' (allowed by --allow-vacuous)');
  out.push(verdictLine(o));
  if (full) out.push('');
  return out;
}

export function summaryLine(run: RunReport): string {
  const by = new Map<string, number>();
  for (const o of run.outcomes) by.set(o.verdict, (by.get(o.verdict) ?? 0) + 1);
  const parts = [...by.entries()].map(([v, n]) => `${n} ${v === 'pass' ? 'passed' : v.toUpperCase()}`);
  if (run.vacuousInvariants.length)
    parts.push(
      `${run.vacuousInvariants.length} invariant${run.vacuousInvariants.length === 1 ? '' : 's'} never exercised${run.allowVacuous ? ' (allowed)' : ''}`,
    );
  const states = run.outcomes.reduce((s, o) => s + (o.result?.states ?? o.progress?.states ?? 0), 0);
  const shard = run.shard
    ? ` (shard ${run.shard.index}/${run.shard.count}: ${run.outcomes.length} of ${run.shard.total} scenario runs)`
    : '';
  const what =
    run.verdict === 'pass'
      ? run.allowVacuous
        ? 'PASS: every run exhaustive within its bounds (--allow-vacuous: vacuity reported, not failed)'
        : 'PASS: every run exhaustive within its bounds, nothing vacuous'
      : run.verdict === 'fail'
        ? 'FAIL'
        : run.verdict === 'error'
          ? 'ERROR'
          : run.interrupted
            ? 'INCONCLUSIVE (interrupted)'
            : 'INCONCLUSIVE: some runs hit a limit';
  return `mmcheck: ${run.outcomes.length} scenario run${run.outcomes.length === 1 ? '' : 's'}${shard}: ${parts.join(', ') || 'none'}; ${states.toLocaleString('en-US')} states in ${run.wallSeconds.toFixed(1)} s wall: ${what} (exit ${run.exitCode})`;
}
