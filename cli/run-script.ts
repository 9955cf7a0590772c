/** `mmcheck run SUBSYSTEM --script FILE`: a sequential script on spec and implementation. */
import { parseScript, readJsonFile, type Script } from '../checker/scenario-file.js';
import { runScript } from '../checker/sequential.js';
import { runScriptKeepGoing, runScriptSpecOnly } from '../checker/sequential-compare.js';
import type { Subsystem } from '../checker/types.js';
import { parseArgs, UsageError } from './args.js';
import { EXIT, type Out } from './io.js';
import { requireImpl, requireSubsystem } from './select.js';

export async function cmdRun(argv: string[], io: Out, registry: readonly Subsystem[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, {
    script: { kind: 'string' },
    variant: { kind: 'string' },
    impl: { kind: 'string' },
    'keep-going': { kind: 'bool' },
    'spec-only': { kind: 'bool' },
  });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck run SUBSYSTEM --script FILE.json');
  const sub = requireImpl(
    requireSubsystem(registry, positionals[0]!),
    flags.impl === undefined ? undefined : String(flags.impl),
  );
  if (flags.script === undefined) throw new UsageError('mmcheck run needs --script FILE.json');
  const file = String(flags.script);
  const script = parseScript(sub, readJsonFile(file, 'script'), file);
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (variant !== null && !sub.variants.some((v) => v.name === variant))
    throw new UsageError(`unknown variant '${variant}' for ${sub.name}`);
  if (flags['spec-only']) return runSpecOnly(sub, script, flags, io);
  const keepGoing = Boolean(flags['keep-going']);
  const obs = keepGoing ? runScriptKeepGoing(sub, script, variant) : runScript(sub, script, variant);
  let code: number = EXIT.pass;
  for (const o of obs) {
    io.out(JSON.stringify(o));
    if (!o.agree) code = EXIT.violation;
  }
  const bad = obs.filter((o) => !o.agree);
  for (const o of bad) io.err(`mmcheck run: step ${o.step} (${o.op}): ${o.problem}`);
  if (keepGoing && bad.length > 0) io.err(`mmcheck run: ${bad.length} of ${script.steps.length} steps disagree`);
  return code;
}

/** `run --spec-only`: every outcome the spec allows at each step; no implementation. */
function runSpecOnly(sub: Subsystem, script: Script, flags: Record<string, unknown>, io: Out): number {
  if (flags['keep-going'] || flags.variant !== undefined)
    throw new UsageError('--spec-only runs no implementation: it takes neither --keep-going nor --variant');
  if (flags.impl !== undefined) throw new UsageError('--spec-only runs no implementation: --impl does not apply');
  if (!sub.spec) throw new UsageError(`${sub.name} has no spec, so --spec-only has nothing to show`);
  const steps = runScriptSpecOnly(sub, script);
  for (const s of steps) io.out(JSON.stringify(s));
  const stuck = steps.find((s) => s.allowed.length === 0);
  if (stuck) {
    io.err(`mmcheck run: step ${stuck.step} (${stuck.op}): the spec allows no outcome here`);
    return EXIT.violation;
  }
  return EXIT.pass;
}
