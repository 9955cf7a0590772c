/** `mmcheck run SUBSYSTEM --script FILE`: a sequential script on spec and implementation. */
import { parseScript, readJsonFile } from '../checker/scenario-file.js';
import { runScript } from '../checker/sequential.js';
import type { Subsystem } from '../checker/types.js';
import { parseArgs, UsageError } from './args.js';
import { EXIT, type Out } from './io.js';
import { requireSubsystem } from './select.js';

export async function cmdRun(argv: string[], io: Out, registry: readonly Subsystem[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { script: { kind: 'string' }, variant: { kind: 'string' } });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck run SUBSYSTEM --script FILE.json');
  const sub = requireSubsystem(registry, positionals[0]!);
  if (flags.script === undefined) throw new UsageError('mmcheck run needs --script FILE.json');
  const file = String(flags.script);
  const script = parseScript(sub, readJsonFile(file, 'script'), file);
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (variant !== null && !sub.variants.some((v) => v.name === variant)) throw new UsageError(`unknown variant '${variant}' for ${sub.name}`);
  const obs = runScript(sub, script, variant);
  let code: number = EXIT.pass;
  for (const o of obs) {
    io.out(JSON.stringify(o));
    if (!o.agree) code = EXIT.violation;
  }
  const last = obs[obs.length - 1];
  if (last && !last.agree) io.err(`mmcheck run: step ${last.step} (${last.op}): ${last.problem}`);
  return code;
}
