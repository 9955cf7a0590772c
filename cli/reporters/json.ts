/**
 * `--reporter json`: one JSON document for the whole run, documented in
 * docs/report-json.md. `schemaVersion` changes when a field changes meaning or
 * goes away; new fields may be added within a version.
 */
import type { RunReport } from '../outcome.js';

export const JSON_SCHEMA_VERSION = 1;

export function renderJson(run: RunReport): string {
  const doc = {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: 'mmcheck',
    verdict: run.verdict,
    exitCode: run.exitCode,
    wallSeconds: Number(run.wallSeconds.toFixed(3)),
    interrupted: run.interrupted,
    shard: run.shard,
    notes: run.notes,
    vacuousInvariants: run.vacuousInvariants,
    allowVacuous: run.allowVacuous,
    summary: countBy(run),
    scenarios: run.outcomes.map((o) => {
      const r = o.result;
      // the trace itself is in the ITF file; the report keeps what the violation was
      const violation = r?.violation
        ? {
            kind: r.violation.kind,
            property: r.violation.property,
            message: r.violation.message,
            steps: r.violation.trace.transitions.length,
          }
        : null;
      const { violation: _v, ...rest } = r ?? ({} as Record<string, unknown>);
      return {
        subsystem: o.subsystem,
        scenario: o.scenario,
        variant: o.variant,
        expectViolation: o.expectViolation,
        verdict: o.verdict,
        reason: o.reason,
        vacuous: o.vacuous,
        tracePath: o.tracePath ?? null,
        violation,
        result: r ? rest : null,
        progress: o.progress ?? null,
      };
    }),
  };
  return JSON.stringify(doc, null, 2);
}

function countBy(run: RunReport): Record<string, number> {
  const out: Record<string, number> = { scenarios: run.outcomes.length };
  for (const o of run.outcomes) out[o.verdict] = (out[o.verdict] ?? 0) + 1;
  return out;
}
