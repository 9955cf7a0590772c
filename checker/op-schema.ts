/**
 * Op schemas: the one declaration of each operation's arguments (name, type,
 * range or allowed values, a doc line). A subsystem declares them in
 * subsystems/<sub>/op-schemas.ts with `defineOps`; they are used to
 *   - validate scenario files, `mmcheck run` scripts and reshaped scenarios
 *     (errors name the file, the JSON path and the valid form);
 *   - print `mmcheck list --ops SUBSYSTEM` and generate docs/ops.md;
 *   - give TypeScript a typed op union (`OpUnion<typeof schemas>`), so a
 *     scenario written in code cannot misspell an op or an argument.
 *
 * The checker knows no subsystem: ranges that depend on scenario parameters
 * (a VMA slot below `params.vmas`) are given as functions of the params, with
 * the text to show for them.
 */
import type { ArgValue, Args, OpChoice, Scenario } from './types.js';

/** A tighter upper bound that depends on the scenario parameters. */
export interface ParamBound<P = any> {
  /** How the bound reads in errors and docs, e.g. 'params.vmas - 1'. */
  readonly text: string;
  readonly max: (params: P) => number;
}

export interface IntArg<P = any> {
  readonly type: 'int';
  readonly doc: string;
  readonly min: number;
  readonly max: number;
  readonly bound?: ParamBound<P>;
  readonly optional?: boolean;
}
export interface BoolArg {
  readonly type: 'bool';
  readonly doc: string;
  readonly optional?: boolean;
}
export interface EnumArg<V extends string = string> {
  readonly type: 'enum';
  readonly doc: string;
  readonly values: readonly V[];
  readonly optional?: boolean;
}
export type ArgSchema<P = any> = IntArg<P> | BoolArg | EnumArg;

export interface OpSchema<P = any> {
  /** One line: what the operation does, as a user would call it. */
  readonly doc: string;
  readonly args: Readonly<Record<string, ArgSchema<P>>>;
}

export type OpSchemas<P = any> = Readonly<Record<string, OpSchema<P>>>;

// ---- declaration helpers ----------------------------------------------------

export const A = {
  int: <P = any>(min: number, max: number, doc: string, bound?: ParamBound<P>): IntArg<P> => ({
    type: 'int',
    doc,
    min,
    max,
    ...(bound ? { bound } : {}),
  }),
  bool: (doc: string): BoolArg => ({ type: 'bool', doc }),
  enum: <const V extends string>(values: readonly V[], doc: string): EnumArg<V> => ({ type: 'enum', doc, values }),
  optional: <S extends ArgSchema>(s: S): S & { readonly optional: true } => ({ ...s, optional: true }),
} as const;

/** Declare a subsystem's op schemas; `const` keeps the literal types for `OpUnion`. */
export function defineOps<const M extends Record<string, OpSchema>>(schemas: M): M {
  return schemas;
}

// ---- types derived from schemas (issue 11: typed ops) -----------------------

type ArgTs<S> = S extends { type: 'int' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends EnumArg<infer V>
      ? V
      : never;
type RequiredKeys<R> = { [K in keyof R]: R[K] extends { optional: true } ? never : K }[keyof R];
type OptionalKeys<R> = Exclude<keyof R, RequiredKeys<R>>;
type Flatten<T> = { [K in keyof T]: T[K] };
/** The typed arguments of one op schema. */
export type OpArgs<S extends OpSchema> = Flatten<
  { readonly [K in RequiredKeys<S['args']>]: ArgTs<S['args'][K]> } & {
    readonly [K in OptionalKeys<S['args']>]?: ArgTs<S['args'][K]>;
  }
>;
/** The union of `{op, args}` a subsystem accepts, e.g. `OpUnion<typeof hugetlbOps>`. */
export type OpUnion<M extends OpSchemas> = {
  [K in keyof M & string]: { readonly op: K; readonly args: OpArgs<M[K]> };
}[keyof M & string];
/** Build an OpChoice with type-checked op name and arguments. */
export function typedOp<M extends OpSchemas>(): <K extends keyof M & string>(op: K, args: OpArgs<M[K]>) => OpChoice {
  return (op, args) => ({ op, args: args as unknown as Args });
}

// ---- rendering ---------------------------------------------------------------

/** The valid form of one argument, e.g. `v: int 0..3 (<= params.vmas - 1)`. */
export function describeArg(name: string, a: ArgSchema): string {
  const opt = a.optional ? '?' : '';
  switch (a.type) {
    case 'int':
      return `${name}${opt}: int ${a.min}..${a.max}${a.bound ? ` (at most ${a.bound.text})` : ''}`;
    case 'bool':
      return `${name}${opt}: true|false`;
    case 'enum':
      return `${name}${opt}: ${a.values.map((v) => JSON.stringify(v)).join('|')}`;
  }
}

/** The valid form of an op, e.g. `mmap {v: int 0..3, kind: "shared"|..., ...}`. */
export function describeOp(name: string, s: OpSchema): string {
  const args = Object.entries(s.args).map(([k, a]) => describeArg(k, a));
  return `${name} {${args.join(', ')}}`;
}

/** `mmcheck list --ops`: one block per op with its doc line and one line per argument. */
export function renderOpList(subsystem: string, schemas: OpSchemas): string[] {
  const out = [
    `${subsystem} operations (JSON: {"op": NAME, "args": {...}}; an array value in a scenario is a domain):`,
  ];
  for (const [name, s] of Object.entries(schemas)) {
    out.push(`  ${name}`);
    out.push(`      ${s.doc}`);
    const args = Object.entries(s.args);
    if (args.length === 0) out.push('      (no arguments)');
    for (const [k, a] of args) out.push(`      ${describeArg(k, a).padEnd(44)} ${a.doc}`);
  }
  return out;
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The op reference as markdown, one section per subsystem: what docs/ops.md
 * holds (`npm run docs:ops`). Exported for the docs generator.
 */
export function opReferenceMarkdown(
  subsystems: readonly { readonly name: string; readonly opSchemas?: OpSchemas }[],
): string {
  const out = [
    '# Operation reference',
    '',
    "Generated from each subsystem's `subsystems/<sub>/op-schemas.ts` by `npm run docs:ops`; do not edit by hand.",
    'Scenario files, `mmcheck run` scripts and `mmcheck list --ops SUBSYSTEM` use these names and arguments.',
    'In a scenario file an array value is a domain (one alternative per value); `?` marks an optional argument.',
    '',
  ];
  for (const sub of subsystems) {
    if (!sub.opSchemas) continue;
    out.push(`## ${sub.name}`, '');
    for (const [name, s] of Object.entries(sub.opSchemas)) {
      out.push(`### \`${name}\``, '', s.doc, '');
      const args = Object.entries(s.args);
      if (args.length === 0) {
        out.push('No arguments.', '');
        continue;
      }
      out.push('| argument | valid values | meaning |', '|---|---|---|');
      for (const [k, a] of args)
        out.push(
          `| \`${k}${a.optional ? '?' : ''}\` | ${mdCell(describeArg(k, a).replace(/^[^:]*: /, ''))} | ${mdCell(a.doc)} |`,
        );
      out.push('');
    }
  }
  return out.join('\n');
}

// ---- validation -------------------------------------------------------------

/** What is wrong with one argument value, or undefined when it is valid. */
export function argProblem(a: ArgSchema, v: ArgValue, params: unknown): string | undefined {
  switch (a.type) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected an integer, got ${JSON.stringify(v)}`;
      if (v < a.min || v > a.max) return `${v} is outside ${a.min}..${a.max}`;
      if (a.bound && params !== undefined) {
        let m: number;
        try {
          m = a.bound.max(params);
        } catch {
          return undefined; // params the bound cannot read: the static range is all we can say
        }
        if (v > m) return `${v} is above ${a.bound.text} = ${m} for these params`;
      }
      return undefined;
    }
    case 'bool':
      // 0/1 are accepted for booleans: the impl reads them as the same value
      return typeof v === 'boolean' || v === 0 || v === 1
        ? undefined
        : `expected true or false, got ${JSON.stringify(v)}`;
    case 'enum':
      return typeof v === 'string' && a.values.includes(v)
        ? undefined
        : `expected one of ${a.values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`;
  }
}

/**
 * Problems with one op and its (single-valued) arguments, each as
 * `[relative JSON path, message]`. `params` tightens parameter-bound ranges.
 */
export function opProblems(schemas: OpSchemas, op: string, args: Args, params: unknown): [string, string][] {
  const s = schemas[op];
  if (!s) return [['.op', `unknown operation '${op}' (valid: ${Object.keys(schemas).join(', ')})`]];
  const out: [string, string][] = [];
  for (const k of Object.keys(args))
    if (!(k in s.args)) out.push([`.args.${k}`, `unknown argument '${k}' for ${op}; valid form: ${describeOp(op, s)}`]);
  for (const [k, a] of Object.entries(s.args)) {
    const v = args[k];
    if (v === undefined) {
      if (!a.optional) out.push([`.args.${k}`, `missing; valid form: ${describeOp(op, s)}`]);
      continue;
    }
    const p = argProblem(a, v, params);
    if (p) out.push([`.args.${k}`, `${p}; valid form: ${describeArg(k, a)} (${a.doc})`]);
  }
  return out;
}

/** The first problem of a scenario's ops (already expanded), as `threads[t][s][a].args.k: message`. */
export function scenarioOpProblem(schemas: OpSchemas, scenario: Scenario): string | undefined {
  for (const [t, script] of scenario.threads.entries())
    for (const [s, slot] of script.entries())
      for (const [a, c] of slot.entries()) {
        const p = opProblems(schemas, c.op, c.args, scenario.params)[0];
        if (p) return `threads[${t}][${s}]${slot.length > 1 ? `[${a}]` : ''}${p[0]}: ${p[1]}`;
      }
  return undefined;
}

/** Ops of the implementation without a schema, and schemas without an op: a registration error. */
export function schemaCoverageProblem(
  subsystem: string,
  implOps: readonly string[],
  schemas: OpSchemas | undefined,
): string | undefined {
  if (!schemas) return `${subsystem}: no op schemas registered (declare them in subsystems/${subsystem}/op-schemas.ts)`;
  const missing = implOps.filter((o) => !(o in schemas));
  const extra = Object.keys(schemas).filter((o) => !implOps.includes(o));
  if (missing.length) return `${subsystem}: impl ops without a schema: ${missing.join(', ')}`;
  if (extra.length) return `${subsystem}: op schemas for ops the impl does not have: ${extra.join(', ')}`;
  return undefined;
}
