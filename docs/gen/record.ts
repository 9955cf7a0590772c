/**
 * docs/check-record.json: what the last recorded check run found, so the docs
 * can say in how many states each invariant was checked, which variants each
 * one catches and how the default scenarios cover the operations, without
 * running the checker on every `npm run docs` (and so the CI staleness check
 * stays fast and deterministic). Refresh it with `npm run docs -- --record`:
 * it runs, in process, the default scenarios (correct implementation), every
 * variant on its scenarios and every finding, exactly as `mmcheck check` does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkScenario } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import type { Scenario, Subsystem } from '../../checker/types.js';

export interface RecordedViolation {
  readonly kind: string;
  readonly property: string;
}

export interface RecordedRun {
  readonly scenario: string;
  readonly stopReason: string;
  readonly exhaustive: boolean;
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
  readonly violation: RecordedViolation | null;
}

export interface RecordedDefault extends RecordedRun {
  readonly subsystem: string;
  readonly threads: number;
  readonly opsPerThread: readonly number[];
  readonly faultSites: readonly string[];
  /** Distinct operations the scenario's threads can run. */
  readonly ops: readonly string[];
  readonly invariants: readonly { name: string; when: string; checked: number; nonTrivial: number }[];
}

export interface CheckRecord {
  readonly what: string;
  readonly recordedAt: string;
  readonly commit: string;
  readonly timeLimitSeconds: number;
  readonly defaults: readonly RecordedDefault[];
  readonly variants: readonly { subsystem: string; variant: string; runs: readonly RecordedRun[] }[];
  readonly findings: readonly (RecordedRun & { subsystem: string; expect: string })[];
  /** When the findings alone were run again (--record-findings), and at which commit. */
  readonly findingsRecordedAt?: string;
}

export const RECORD_FILE = 'docs/check-record.json';
/** Per run; a run stopped by it is recorded as not exhaustive (never as a pass). */
const TIME_LIMIT = 120;

function run(r: CheckResult): RecordedRun {
  return {
    scenario: r.scenario,
    stopReason: r.stopReason,
    exhaustive: r.exhaustive,
    states: r.states,
    transitions: r.transitions,
    seconds: Math.round(r.seconds * 100) / 100,
    violation: r.violation ? { kind: r.violation.kind, property: r.violation.property } : null,
  };
}

/** Operation names a scenario can run (every alternative of every slot). */
export function scenarioOps(s: Scenario<unknown>): string[] {
  const ops = new Set<string>();
  for (const t of s.threads) for (const slot of t) for (const alt of slot) ops.add(alt.op);
  return [...ops].sort();
}

function commitOf(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

/** Run everything and build the record; `log` gets one line per run. */
export function recordChecks(
  root: string,
  subs: readonly Subsystem[],
  log: (s: string) => void = () => {},
): CheckRecord {
  const opts = { timeLimitSeconds: TIME_LIMIT };
  const defaults: RecordedDefault[] = [];
  const variants: CheckRecord['variants'][number][] = [];
  const findings: CheckRecord['findings'][number][] = [];
  for (const sub of subs) {
    for (const s of sub.scenarios) {
      const r = checkScenario(sub, s, opts);
      log(`${sub.name}/${s.name}: ${r.states} states, ${r.stopReason}`);
      defaults.push({
        subsystem: sub.name,
        ...run(r),
        threads: r.bounds.threads,
        opsPerThread: [...r.bounds.opsPerThread],
        faultSites: [...r.bounds.faultSites],
        ops: scenarioOps(s),
        invariants: r.invariants.map((i) => ({
          name: i.name,
          when: i.when,
          checked: i.checked,
          nonTrivial: i.nonTrivial,
        })),
      });
    }
    for (const v of sub.variants) {
      const scenarios = v.scenarios ? sub.scenarios.filter((s) => v.scenarios!.includes(s.name)) : sub.scenarios;
      const runs = scenarios.map((s) => run(checkScenario(sub, s, { ...opts, variant: v.name })));
      log(`${sub.name} --variant ${v.name}: ${runs.map((r) => r.violation?.property ?? r.stopReason).join(', ')}`);
      variants.push({ subsystem: sub.name, variant: v.name, runs });
    }
    findings.push(...recordFindings([sub], log));
  }
  return {
    what: 'mmcheck check results the generated docs quote; refresh with: npm run docs -- --record',
    recordedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: commitOf(root),
    timeLimitSeconds: TIME_LIMIT,
    defaults,
    variants,
    findings,
  };
}

/** Run every finding of `subs` as `mmcheck check SUB --scenario FINDING` does. */
export function recordFindings(
  subs: readonly Subsystem[],
  log: (s: string) => void = () => {},
): CheckRecord['findings'][number][] {
  return subs.flatMap((sub) =>
    (sub.findings ?? []).map((f) => {
      const r = run(checkScenario(sub, f, { timeLimitSeconds: TIME_LIMIT }));
      log(`${sub.name} finding ${f.name}: ${r.violation?.property ?? r.stopReason}`);
      return { subsystem: sub.name, expect: f.expect, ...r };
    }),
  );
}

/**
 * The committed record with its findings run again (`npm run docs -- --record-findings`): a new
 * finding gets its recorded result without re-running every default scenario and variant.
 */
export function rerecordFindings(
  rec: CheckRecord,
  root: string,
  subs: readonly Subsystem[],
  log: (s: string) => void,
): CheckRecord {
  return {
    ...rec,
    findings: recordFindings(subs, log),
    findingsRecordedAt: `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} at ${commitOf(root)}`,
  };
}

/** The committed record, or undefined when there is none yet. Throws a one-line error on a malformed file. */
export function readRecord(root: string): CheckRecord | undefined {
  const p = join(root, RECORD_FILE);
  if (!existsSync(p)) return undefined;
  let x: unknown;
  try {
    x = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${RECORD_FILE}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const r = x as Partial<CheckRecord>;
  if (!Array.isArray(r.defaults) || !Array.isArray(r.variants) || !Array.isArray(r.findings))
    throw new Error(
      `${RECORD_FILE}: expected {defaults, variants, findings} lists (re-record with npm run docs -- --record)`,
    );
  return r as CheckRecord;
}

export function formatRecord(r: CheckRecord): string {
  return JSON.stringify(r, null, 1) + '\n';
}
