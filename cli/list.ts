/** `mmcheck list [SUBSYSTEM...]` and `mmcheck list --ops SUBSYSTEM`. */
import { renderOpList } from '../checker/op-schema.js';
import type { Subsystem } from '../checker/types.js';
import { parseArgs, UsageError } from './args.js';
import { EXIT, type Out } from './io.js';
import { requireSubsystem } from './select.js';

export async function cmdList(argv: string[], io: Out, registry: readonly Subsystem[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { ops: { kind: 'string' } });
  if (flags.ops !== undefined) {
    const names = [String(flags.ops), ...positionals];
    for (const n of names) {
      const sub = requireSubsystem(registry, n);
      if (!sub.opSchemas) throw new UsageError(`${sub.name} declares no op schemas`);
      for (const l of renderOpList(sub.name, sub.opSchemas)) io.out(l);
    }
    return EXIT.pass;
  }
  const subs = positionals.length > 0 ? positionals.map((p) => requireSubsystem(registry, p)) : registry;
  for (const sub of subs) {
    io.out(`${sub.name}: ${sub.title}`);
    io.out(`  ${sub.description}`);
    io.out(`  operations: ${Object.keys(sub.impl.ops).join(', ')}  (arguments: mmcheck list --ops ${sub.name})`);
    io.out(`  spec: ${sub.spec ? 'yes (linearizability + abstraction)' : 'none (invariants only)'}`);
    if (sub.knobs?.length) {
      io.out('  knobs (mmcheck check ' + sub.name + ' --NAME N reshapes the default scenarios):');
      for (const k of sub.knobs)
        io.out(`    --${k.flag.padEnd(12)} ${String(k.min)}..${String(k.max).padEnd(4)} ${k.doc}`);
    }
    io.out('  scenarios:');
    for (const s of sub.scenarios) io.out(`    ${s.name.padEnd(24)} ${s.threads.length} threads  ${s.description}`);
    for (const [profile, list] of Object.entries(sub.profiles ?? {})) {
      io.out(`  profile ${profile} (mmcheck check ${sub.name} --profile ${profile}):`);
      for (const s of list) io.out(`    ${s.name.padEnd(24)} ${s.threads.length} threads  ${s.description}`);
    }
    io.out(sub.impls?.length ? `  variants (impl ${sub.implName ?? 'main'}, the default):` : '  variants:');
    if (sub.variants.length === 0) io.out('    (none)');
    for (const v of sub.variants) io.out(`    ${v.name.padEnd(8)} ${v.description}  [${v.source}]`);
    for (const alt of sub.impls ?? []) {
      io.out(`  impl ${alt.name} (--impl ${alt.name}): ${alt.description}`);
      if (alt.kernelVersions)
        io.out(
          `    kernel versions: ${alt.kernelVersions.versions.map((v) => v.name).join(', ')} (default ${alt.kernelVersions.default})`,
        );
      io.out('    variants:');
      if (alt.variants.length === 0) io.out('      (none)');
      for (const v of alt.variants) io.out(`      ${v.name.padEnd(8)} ${v.description}  [${v.source}]`);
    }
    if (sub.findings && sub.findings.length > 0) {
      io.out(
        '  findings (the correct implementation fails these; not in the default run; check with --scenario NAME):',
      );
      for (const f of sub.findings) io.out(`    ${f.name}  [expect ${f.expect}]  ${f.description}`);
    }
    io.out('');
  }
  return EXIT.pass;
}
