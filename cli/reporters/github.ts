/**
 * `--reporter github`: GitHub Actions workflow commands. A violated invariant
 * is an `::error` at the line that defines it; a refinement failure points at
 * the abstraction; a vacuous item, a missed variant or an inconclusive run
 * points at the scenario or variant definition. A closing `::notice` sums up.
 */
import { findInSubsystem, findNamed, projectRoot, type SourceLine } from './source-lines.js';
import { outcomeName, verdictLine, type Outcome, type RunReport } from '../outcome.js';

const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotation(
  level: 'error' | 'warning' | 'notice',
  where: SourceLine | undefined,
  title: string,
  msg: string,
): string {
  const props = [...(where ? [`file=${prop(where.file)}`, `line=${where.line}`] : []), `title=${prop(title)}`];
  return `::${level} ${props.join(',')}::${data(msg)}`;
}

function locate(root: string, o: Outcome): SourceLine | undefined {
  const v = o.result?.violation;
  if (v && v.kind === 'invariant') return findNamed(root, o.subsystem, v.property);
  if (v && v.kind === 'refinement') return findInSubsystem(root, o.subsystem, /\babstraction\b.*[({=]/);
  if (o.verdict === 'missed' && o.variant) return findNamed(root, o.subsystem, o.variant);
  const inv = o.vacuous.find((x) => x.kind === 'invariant');
  if (inv) return findNamed(root, o.subsystem, inv.name);
  return findNamed(root, o.subsystem, o.scenario) ?? findInSubsystem(root, o.subsystem, /./);
}

export function renderGithub(run: RunReport, root = projectRoot()): string {
  const out: string[] = [];
  for (const o of run.outcomes) {
    if (o.verdict === 'pass' || o.verdict === 'caught' || o.verdict === 'not-started') continue;
    const level = o.verdict === 'inconclusive' ? 'warning' : 'error';
    const lines = [verdictLine(o)];
    if (o.result?.violation) lines.push(o.result.violation.message);
    if (o.tracePath) lines.push(`counterexample: ${o.tracePath} (replay: mmcheck replay ${o.tracePath})`);
    out.push(annotation(level, locate(root, o), `mmcheck ${outcomeName(o)}`, lines.join('\n')));
  }
  if (!run.allowVacuous)
    for (const v of run.vacuousInvariants)
      out.push(
        annotation(
          'error',
          findNamed(root, v.subsystem, v.invariant),
          `mmcheck ${v.subsystem}: vacuous invariant`,
          `VACUOUS ${v.subsystem}: invariant ${v.invariant} never had anything to check in any of the ${v.scenarios} scenario runs`,
        ),
      );
  const n = run.outcomes.length;
  out.push(
    annotation(
      'notice',
      undefined,
      'mmcheck',
      `${n} scenario run${n === 1 ? '' : 's'}: ${run.verdict.toUpperCase()} (exit ${run.exitCode}) in ${run.wallSeconds.toFixed(1)} s`,
    ),
  );
  return out.join('\n');
}
