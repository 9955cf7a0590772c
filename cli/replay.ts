/**
 * `mmcheck replay FILE.itf.json`: re-execute a saved counterexample against the
 * current code. A file that is not a well-formed mmcheck trace of a scenario
 * this subsystem can run is an input error (exit 2), told apart from a good
 * trace whose schedule the changed code can no longer follow (exit 3).
 */
import { existsSync } from 'node:fs';
import { alternativeImpl } from '../checker/impls.js';
import { scenarioOpProblem } from '../checker/op-schema.js';
import { replaySchedule } from '../checker/replay.js';
import type { StepLabel } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { ItfError, implOf, readItf, scenarioOf, scheduleOf, subsystemOf, variantOf } from '../traces/itf.js';
import { renderTrace } from '../traces/table.js';
import { parseArgs, UsageError } from './args.js';
import { EXIT, type Out } from './io.js';
import { requireImpl, requireSubsystem } from './select.js';

const sameArgs = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Why a trace's scenario and schedule do not fit together (or this subsystem), or undefined. */
export function traceProblem(sub: Subsystem, scenario: Scenario, schedule: readonly StepLabel[]): string | undefined {
  if (sub.parseParams) {
    try {
      sub.parseParams(scenario.params);
    } catch (e) {
      return `#meta.scenario.params: ${(e as Error).message}`;
    }
  }
  if (scenario.threads.length === 0) return '#meta.scenario.threads: no threads';
  const bad = sub.opSchemas ? scenarioOpProblem(sub.opSchemas, scenario) : undefined;
  if (bad) return `#meta.scenario.${bad}`;
  for (const [i, l] of schedule.entries()) {
    const at = `states[${i + 1}].#meta`;
    const slot = scenario.threads[l.tid]?.[l.slot];
    if (!slot) return `${at}: thread ${l.tid} slot ${l.slot} is not in the recorded scenario`;
    const alt = slot[l.alt];
    if (!alt) return `${at}: alternative ${l.alt} is not in thread ${l.tid} slot ${l.slot} (it has ${slot.length})`;
    if (alt.op !== l.op || !sameArgs(alt.args, l.args))
      return `${at}: op ${l.op} does not match the scenario's ${alt.op} at thread ${l.tid} slot ${l.slot}`;
    if (l.choices.some((c) => !Number.isInteger(c) || c < 0)) return `${at}.choices: must be non-negative integers`;
  }
  return undefined;
}

export async function cmdReplay(argv: string[], io: Out, registry: readonly Subsystem[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, {
    variant: { kind: 'string' },
    impl: { kind: 'string' },
    color: { kind: 'bool' },
  });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck replay FILE.itf.json');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new UsageError(`trace file '${file}' does not exist`);
  const itf = readItf(file);
  // the implementation the trace was found in, unless --impl replays it against another
  const sub = requireImpl(
    requireSubsystem(registry, subsystemOf(itf)),
    flags.impl === undefined ? implOf(itf) : String(flags.impl),
  );
  const scenario = scenarioOf(itf);
  const schedule = scheduleOf(itf);
  const problem = traceProblem(sub, scenario, schedule);
  if (problem) throw new ItfError(`${file}: not a valid ${sub.name} trace: ${problem}`);
  const variant =
    flags.variant === undefined ? variantOf(itf) : flags.variant === 'none' ? null : String(flags.variant);
  const rec = itf['#meta'].violation;
  const r = replaySchedule(sub, scenario, variant, schedule);
  const impl = alternativeImpl(sub);
  const what = `${sub.name}/${scenario.name}${impl ? ` [impl ${impl}]` : ''}${variant ? ` [variant ${variant}]` : ' [correct implementation]'}`;
  if (r.failure) {
    const same = r.failure.property === rec.property;
    io.out(
      `STILL FAILS ${what}: ${r.failure.kind} ${r.failure.property} after ${r.at! + 1} of ${schedule.length} recorded steps${
        same ? '' : ` (recorded: ${rec.kind} ${rec.property})`
      }\n  ${r.failure.message}`,
    );
    const v = {
      kind: r.failure.kind,
      property: r.failure.property,
      message: r.failure.message,
      trace: { states: r.states, transitions: r.transitions },
    };
    io.out(renderTrace(v, { color: Boolean(flags.color) }));
    return EXIT.violation;
  }
  if (r.diverged) {
    io.out(`NO LONGER APPLIES ${what}: ${r.diverged}; the recorded ${rec.kind} (${rec.property}) was not reproduced`);
    return EXIT.inconclusive;
  }
  io.out(
    `FIXED ${what}: all ${schedule.length} recorded steps replayed and every property holds (recorded: ${rec.kind} ${rec.property})`,
  );
  return EXIT.pass;
}
