/**
 * The op reference of a subsystem: each operation a scenario or script names,
 * its arguments, and the kernel steps the implementation splits it into.
 * Arguments come from the subsystem's op schemas (`Subsystem.opSchemas`,
 * checker/op-schema.ts) when it declares them; otherwise from the values the
 * default scenarios pass (and the page says so).
 */
import type { Subsystem } from '../../checker/types.js';
import { cell, code, table } from './md.js';

/** The shape of an op schema as checker/op-schema.ts declares it (read structurally). */
interface ArgSchemaLike {
  readonly type: 'int' | 'bool' | 'enum';
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly bound?: { readonly text: string };
  readonly optional?: boolean;
}
interface OpSchemaLike {
  readonly doc: string;
  readonly args: Readonly<Record<string, ArgSchemaLike>>;
}

function schemasOf(sub: Subsystem): Readonly<Record<string, OpSchemaLike>> | undefined {
  return (sub as unknown as { opSchemas?: Record<string, OpSchemaLike> }).opSchemas;
}

function validValues(a: ArgSchemaLike): string {
  if (a.type === 'bool') return 'true, false';
  if (a.type === 'enum') return (a.values ?? []).map((v) => `\`${v}\``).join(', ');
  return `${a.min}..${a.max}${a.bound ? ` (at most ${a.bound.text})` : ''}`;
}

/** Argument name -> the values the default scenarios pass, per op. */
function argDomains(sub: Subsystem): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const s of sub.scenarios)
    for (const t of s.threads)
      for (const slot of t)
        for (const alt of slot) {
          let m = out.get(alt.op);
          if (!m) out.set(alt.op, (m = new Map()));
          for (const [k, v] of Object.entries(alt.args)) {
            let vs = m.get(k);
            if (!vs) m.set(k, (vs = new Set()));
            vs.add(String(v));
          }
        }
  return out;
}

export function opReference(sub: Subsystem): string[] {
  const schemas = schemasOf(sub);
  const domains = argDomains(sub);
  const out: string[] = [];
  out.push(
    schemas
      ? 'Arguments from the op schemas (`subsystems/' +
          sub.name +
          '/op-schemas.ts`); kernel steps from the implementation (`impl/' +
          sub.name +
          '/`), one atomic step each.'
      : 'No op schemas are declared yet: the arguments below are the values the default scenarios pass. Kernel steps from the implementation (`impl/' +
          sub.name +
          '/`), one atomic step each.',
    '',
  );
  const names = [...new Set([...Object.keys(schemas ?? {}), ...Object.keys(sub.impl.ops)])];
  for (const name of names) {
    const s = schemas?.[name];
    const impl = sub.impl.ops[name];
    out.push(`### \`${name}\``, '');
    if (s) out.push(cell(s.doc), '');
    if (impl && (!s || impl.doc !== s.doc)) out.push(`Implementation: ${cell(impl.doc)}`, '');
    if (s) {
      const args = Object.entries(s.args);
      if (args.length === 0) out.push('No arguments.', '');
      else
        out.push(
          ...table(
            ['argument', 'valid values', 'meaning'],
            args.map(([k, a]) => [code(k + (a.optional ? '?' : '')), cell(validValues(a)), cell(a.doc)]),
          ),
          '',
        );
    } else {
      const d = domains.get(name);
      if (!d || d.size === 0) out.push(d ? 'No arguments.' : '*Not used by any default scenario.*', '');
      else
        out.push(
          ...table(
            ['argument', 'values in the default scenarios'],
            [...d].map(([k, vs]) => [code(k), cell([...vs].sort().join(', '))]),
          ),
          '',
        );
    }
    if (impl) out.push(`Kernel steps: ${impl.steps.map((st) => code(st.name)).join(' → ')}`, '');
    else out.push('*No implementation op of this name.*', '');
  }
  return out;
}
