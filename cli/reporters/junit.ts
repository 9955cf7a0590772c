/**
 * `--reporter junit`: JUnit XML as CI systems read it (the Jenkins/Ant schema:
 * jenkinsci/xunit-plugin junit-10.xsd). One testsuite per subsystem, one
 * testcase per scenario and per variant run; a failure names its trace file.
 * A VIOLATION, VACUOUS or MISSED run is a <failure>; INCONCLUSIVE and ERROR are
 * an <error> (the run is not a pass); a scenario an interrupt kept from
 * starting is <skipped>.
 */
import { hostname } from 'node:os';
import { outcomeName, verdictLine, type Outcome, type RunReport } from '../outcome.js';

const esc = (s: string): string =>
  s
    // characters XML 1.0 cannot carry at all
    // oxlint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const secs = (s: number): string => s.toFixed(3);

function testcase(o: Outcome): string {
  const time = secs(o.result?.seconds ?? o.progress?.seconds ?? 0);
  const name = `${o.scenario}${o.variant ? ` [variant ${o.variant}]` : ''}`;
  const head = `    <testcase name="${esc(name)}" classname="mmcheck.${esc(o.subsystem)}" time="${time}"`;
  const trace = o.tracePath ? `\ncounterexample: ${o.tracePath} (replay: mmcheck replay ${o.tracePath})` : '';
  const body = (tag: string, type: string): string =>
    `${head}>\n      <${tag} type="${esc(type)}" message="${esc(verdictLine(o))}">${esc(detail(o) + trace)}</${tag}>\n    </testcase>`;
  switch (o.verdict) {
    case 'pass':
    case 'caught':
      // a reduced run's result line says what the reduction did (states are canonical states)
      if (o.result?.symmetry || o.result?.por)
        return `${head}>\n      <system-out>${esc(verdictLine(o))}</system-out>\n    </testcase>`;
      return `${head}/>`;
    case 'violation':
      return body('failure', o.result!.violation!.kind);
    case 'vacuous':
    case 'missed':
      return body('failure', o.verdict);
    case 'inconclusive':
    case 'error':
      return body('error', o.verdict);
    case 'not-started':
      return `${head}>\n      <skipped message="${esc(o.reason)}"/>\n    </testcase>`;
  }
}

function detail(o: Outcome): string {
  const lines = [verdictLine(o)];
  if (o.result?.violation) lines.push(o.result.violation.message);
  for (const v of o.vacuous) lines.push(`vacuous ${v.kind}: ${v.name}`);
  return lines.join('\n');
}

export function renderJunit(run: RunReport): string {
  const subs = [...new Set(run.outcomes.map((o) => o.subsystem))];
  const invCase = (sub: string): string | undefined => {
    const idle = run.vacuousInvariants.filter((v) => v.subsystem === sub);
    if (!run.outcomes.some((o) => o.subsystem === sub && o.result && o.variant === null)) return undefined;
    const head = `    <testcase name="every invariant exercised" classname="mmcheck.${esc(sub)}" time="0.000"`;
    if (idle.length === 0 || run.allowVacuous) return `${head}/>`;
    const msg = `VACUOUS ${sub}: ${idle.map((v) => `invariant ${v.invariant}`).join(', ')} never had anything to check in any scenario of this run`;
    return `${head}>\n      <failure type="vacuous" message="${esc(msg)}">${esc(msg)}</failure>\n    </testcase>`;
  };
  const count = (os: readonly Outcome[]) => ({
    tests: os.length,
    failures: os.filter((o) => ['violation', 'vacuous', 'missed'].includes(o.verdict)).length,
    errors: os.filter((o) => o.verdict === 'inconclusive' || o.verdict === 'error').length,
    skipped: os.filter((o) => o.verdict === 'not-started').length,
  });
  const all = count(run.outcomes);
  for (const sub of subs) {
    const inv = invCase(sub);
    if (inv) {
      all.tests++;
      if (inv.includes('<failure')) all.failures++;
    }
  }
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '');
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mmcheck" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" time="${secs(run.wallSeconds)}">`,
  ];
  for (const sub of subs) {
    const os = run.outcomes.filter((o) => o.subsystem === sub);
    const inv = invCase(sub);
    const c = count(os);
    if (inv) {
      c.tests++;
      if (inv.includes('<failure')) c.failures++;
    }
    const time = os.reduce((t, o) => t + (o.result?.seconds ?? o.progress?.seconds ?? 0), 0);
    out.push(
      `  <testsuite name="mmcheck.${esc(sub)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${secs(time)}" timestamp="${stamp}" hostname="${esc(hostname())}">`,
    );
    out.push('    <properties>');
    out.push(`      <property name="verdict" value="${run.verdict}"/>`);
    if (run.shard) out.push(`      <property name="shard" value="${run.shard.index}/${run.shard.count}"/>`);
    for (const n of run.notes) out.push(`      <property name="note" value="${esc(n)}"/>`);
    out.push('    </properties>');
    for (const o of os) out.push(testcase(o));
    if (inv) out.push(inv);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}

export { outcomeName };
