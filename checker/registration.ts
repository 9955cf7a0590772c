/**
 * What makes a subsystem registrable: every impl op has a schema and every
 * schema an op, the spec uses no action the checker would ignore, the default
 * scenarios and findings use their ops as declared, variants name scenarios
 * that exist, and knob flags are unique. The CLI refuses a registry that
 * breaks one; test/contract runs this for every registered subsystem.
 */
import { scenarioOpProblem, schemaCoverageProblem } from './op-schema.js';
import { ignoredSpecActions } from './spec-adapter.js';
import { allImpls, implNames } from './impls.js';
import type { Subsystem } from './types.js';

/** The per-implementation clauses: op schema coverage and variants naming default scenarios. */
function implProblems(sub: Subsystem): string[] {
  const out: string[] = [];
  const who = sub.impls === undefined && sub.implName ? `${sub.name} (impl ${sub.implName})` : sub.name;
  const cov = schemaCoverageProblem(who, Object.keys(sub.impl.ops), sub.opSchemas);
  if (cov) out.push(cov);
  const names = new Set(sub.scenarios.map((s) => s.name));
  for (const v of sub.variants)
    for (const s of v.scenarios ?? [])
      if (!names.has(s)) out.push(`${who}: variant ${v.name} names scenario '${s}', which is not a default scenario`);
  return out;
}

export function registrationProblems(sub: Subsystem): string[] {
  const out: string[] = [];
  const names = implNames(sub);
  const dupImpl = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupImpl.length) out.push(`${sub.name}: implementation names declared twice: ${dupImpl.join(', ')}`);
  if (names.length > 0 && sub.implName === undefined)
    out.push(`${sub.name}: has other implementations (impls) but names no main one (implName)`);
  // every implementation covers the same op schemas and names only default scenarios
  for (const s of allImpls(sub)) out.push(...implProblems(s));
  if (sub.spec) for (const p of ignoredSpecActions(sub.spec.machine)) out.push(`${sub.name}: spec ${p}`);
  if (sub.opSchemas)
    for (const s of [...sub.scenarios, ...Object.values(sub.profiles ?? {}).flat(), ...(sub.findings ?? [])]) {
      const p = scenarioOpProblem(sub.opSchemas, s);
      if (p) out.push(`${sub.name}: scenario ${s.name}: ${p}`);
    }
  const flags = (sub.knobs ?? []).map((k) => k.flag);
  const dup = flags.filter((f, i) => flags.indexOf(f) !== i);
  if (dup.length) out.push(`${sub.name}: knob flags declared twice: ${dup.join(', ')}`);
  return out;
}
