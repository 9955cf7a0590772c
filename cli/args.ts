/**
 * Command-line parsing for mmcheck: `--flag value`, `--flag=value`, boolean
 * switches, positionals. Unknown flags and bad values are usage errors with a
 * one-line message.
 */
export class UsageError extends Error {}

export interface FlagSpec {
  readonly kind: 'string' | 'int' | 'bool';
  /** For int flags: the smallest allowed value. */
  readonly min?: number;
}

export interface Parsed {
  readonly positionals: string[];
  readonly flags: Record<string, string | number | boolean>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): Parsed {
  const positionals: string[] = [];
  const flags: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option '${a}' (options are spelled --name)`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const f = spec[name];
    if (!f) throw new UsageError(`unknown option '--${name}' (see mmcheck --help)`);
    if (name in flags) throw new UsageError(`option '--${name}' given twice`);
    if (f.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`option '--${name}' needs a value`);
      i++;
    }
    if (f.kind === 'int') {
      if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`option '--${name}' needs an integer, got '${value}'`);
      const n = Number(value);
      if (f.min !== undefined && n < f.min)
        throw new UsageError(`option '--${name}' must be at least ${f.min}, got ${n}`);
      flags[name] = n;
    } else {
      if (value === '') throw new UsageError(`option '--${name}' needs a non-empty value`);
      flags[name] = value;
    }
  }
  return { positionals, flags };
}
