/**
 * User-written scenario and script files (JSON), validated with one-line
 * errors that name the offending field.
 *
 * Scenario file:
 *   { "name": "...", "description": "...", "params": {...},
 *     "threads": [ [ slot, slot, ... ], ... ],
 *     "faults": { "budget": 1, "sites": ["..."] } }
 * where a slot is `{ "op": "fault", "args": { "idx": [0, 1] } }` (an array
 * value is a domain: one alternative per value, cartesian over args) or an
 * array of such objects (the union of their alternatives). A thread may
 * instead be a menu, `{ "menu": [ alternative, ... ], "max": 3, "min": 0 }`:
 * it runs any program of min..max ops (min defaults to 0), each op any
 * alternative of the menu, and the checker explores every such program.
 *
 * Script file (sequential, for `mmcheck run`):
 *   { "params": {...}, "steps": [ { "op": "...", "args": {...} }, ... ] }
 */
import { readFileSync } from 'node:fs';
import { argProblem, describeArg, describeOp } from './op-schema.js';
import { ScenarioError } from './product.js';
import { menu, type ArgValue, type OpChoice, type Scenario, type Subsystem, type ThreadScript } from './types.js';

export { ScenarioError };

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(
      `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${what} '${path}' is not valid JSON: ${(e as Error).message}`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArg = (v: unknown): v is ArgValue =>
  (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string' || typeof v === 'boolean';

/**
 * One `{"op", "args"}` object, checked against the op's schema (every
 * argument present, known, and of the declared type and range for `params`),
 * expanded over its array-valued arguments (domains).
 */
function expandAlternative(sub: Subsystem, raw: unknown, where: string, params: unknown): OpChoice[] {
  if (!isRecord(raw)) throw new ScenarioError(`${where}: expected {"op": ..., "args": {...}}`);
  const op = raw.op;
  if (typeof op !== 'string') throw new ScenarioError(`${where}.op: expected an operation name`);
  if (!(op in sub.impl.ops))
    throw new ScenarioError(
      `${where}.op: unknown operation '${op}' for ${sub.name} (known: ${Object.keys(sub.impl.ops).join(', ')}; see mmcheck list --ops ${sub.name})`,
    );
  for (const k of Object.keys(raw))
    if (k !== 'op' && k !== 'args')
      throw new ScenarioError(`${where}: unknown field '${k}' (a slot is {"op": ..., "args": {...}})`);
  const args = raw.args ?? {};
  if (!isRecord(args)) throw new ScenarioError(`${where}.args: expected an object`);
  const schema = sub.opSchemas?.[op];
  if (schema) {
    for (const k of Object.keys(args))
      if (!(k in schema.args))
        throw new ScenarioError(`${where}.args.${k}: unknown argument of ${op}; valid form: ${describeOp(op, schema)}`);
    for (const [k, a] of Object.entries(schema.args))
      if (args[k] === undefined && !a.optional)
        throw new ScenarioError(`${where}.args.${k}: missing; valid form: ${describeOp(op, schema)}`);
  }
  let combos: Record<string, ArgValue>[] = [{}];
  for (const [k, v] of Object.entries(args)) {
    const domain = Array.isArray(v) ? v : [v];
    if (domain.length === 0) throw new ScenarioError(`${where}.args.${k}: empty domain`);
    domain.forEach((d, i) => {
      const at = `${where}.args.${k}${Array.isArray(v) ? `[${i}]` : ''}`;
      if (!isArg(d)) throw new ScenarioError(`${at}: expected an integer, string or boolean`);
      const a = schema?.args[k];
      const problem = a && argProblem(a, d, params);
      if (a && problem) throw new ScenarioError(`${at}: ${problem}; valid form: ${describeArg(k, a)} (${a.doc})`);
    });
    combos = combos.flatMap((c) => domain.map((d) => ({ ...c, [k]: d as ArgValue })));
  }
  return combos.map((a) => ({ op, args: a }));
}

function parseSlot(sub: Subsystem, raw: unknown, where: string, params: unknown): OpChoice[] {
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw new ScenarioError(`${where}: empty list of alternatives`);
    return raw.flatMap((r, i) => expandAlternative(sub, r, `${where}[${i}]`, params));
  }
  return expandAlternative(sub, raw, where, params);
}

function parseParams(sub: Subsystem, raw: unknown, file: string, fallback: unknown): unknown {
  if (raw === undefined) return fallback;
  if (!sub.parseParams) return raw;
  try {
    return sub.parseParams(raw);
  } catch (e) {
    throw new ScenarioError(`${file}: params: ${(e as Error).message}`);
  }
}

export function parseScenario(sub: Subsystem, raw: unknown, file: string): Scenario {
  if (!isRecord(raw)) throw new ScenarioError(`${file}: expected a JSON object`);
  const known = ['subsystem', 'name', 'description', 'params', 'threads', 'faults'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new ScenarioError(`${file}: unknown field '${k}'`);
  if (raw.subsystem !== undefined && raw.subsystem !== sub.name)
    throw new ScenarioError(`${file}: scenario is for '${String(raw.subsystem)}', not '${sub.name}'`);
  const fallback = sub.scenarios[0]?.params;
  if (raw.params === undefined && fallback === undefined)
    throw new ScenarioError(`${file}: params: required for ${sub.name}`);
  const params = parseParams(sub, raw.params, file, fallback);
  const threads = raw.threads;
  if (!Array.isArray(threads) || threads.length === 0)
    throw new ScenarioError(`${file}: threads: expected a non-empty list`);
  if (threads.length > 8) throw new ScenarioError(`${file}: threads: at most 8 threads`);
  const minOps: (number | undefined)[] = [];
  const scripts: ThreadScript[] = threads.map((t, i) => {
    if (isRecord(t)) {
      const m = parseMenu(sub, t, `${file}: threads[${i}]`, params);
      minOps[i] = m.min;
      return m.script;
    }
    if (!Array.isArray(t))
      throw new ScenarioError(`${file}: threads[${i}]: expected a list of slots or a {"menu": [...], "max": N}`);
    return t.map((slot, j) => parseSlot(sub, slot, `${file}: threads[${i}][${j}]`, params));
  });
  let faults: Scenario['faults'];
  if (raw.faults !== undefined) {
    const f = raw.faults;
    if (!isRecord(f) || typeof f.budget !== 'number' || !Number.isInteger(f.budget) || f.budget < 0)
      throw new ScenarioError(`${file}: faults: expected {"budget": <non-negative integer>, "sites": [...]}`);
    if (!Array.isArray(f.sites) || !f.sites.every((s) => typeof s === 'string'))
      throw new ScenarioError(`${file}: faults.sites: expected a list of site names`);
    faults = { budget: f.budget, sites: f.sites as string[] };
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : file.replace(/^.*\//, '').replace(/\.json$/, ''),
    description: typeof raw.description === 'string' ? raw.description : `from ${file}`,
    params,
    threads: scripts,
    ...(faults ? { faults } : {}),
    ...(minOps.length > 0 ? { minOps: scripts.map((_, i) => minOps[i]) } : {}),
  };
}

/**
 * A menu thread: `{"menu": [alternative, ...], "max": N, "min": M}` runs any
 * program of M..N ops (M defaults to 0), each op any alternative of the menu.
 */
function parseMenu(
  sub: Subsystem,
  t: Record<string, unknown>,
  where: string,
  params: unknown,
): { script: ThreadScript; min: number } {
  for (const k of Object.keys(t))
    if (!['menu', 'max', 'min'].includes(k))
      throw new ScenarioError(`${where}: unknown field '${k}' (a menu thread has menu, max, min)`);
  if (!Array.isArray(t.menu) || t.menu.length === 0)
    throw new ScenarioError(`${where}.menu: expected a non-empty list of alternatives`);
  const alts = parseSlot(sub, t.menu, `${where}.menu`, params);
  const max = t.max;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 64)
    throw new ScenarioError(`${where}.max: expected an integer 1..64 (the most ops the thread runs)`);
  const min = t.min ?? 0;
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > max)
    throw new ScenarioError(`${where}.min: expected an integer 0..${max} (the fewest ops the thread runs)`);
  return { script: menu(alts, max), min };
}

export interface Script {
  readonly params: unknown;
  readonly steps: readonly OpChoice[];
}

export function parseScript(sub: Subsystem, raw: unknown, file: string): Script {
  if (!isRecord(raw)) throw new ScenarioError(`${file}: expected a JSON object with "steps"`);
  for (const k of Object.keys(raw))
    if (!['params', 'steps', 'description'].includes(k)) throw new ScenarioError(`${file}: unknown field '${k}'`);
  if (!Array.isArray(raw.steps) || raw.steps.length === 0)
    throw new ScenarioError(`${file}: steps: expected a non-empty list`);
  const fallback = sub.scenarios[0]?.params;
  if (raw.params === undefined && fallback === undefined)
    throw new ScenarioError(`${file}: params: required for ${sub.name}`);
  const params = parseParams(sub, raw.params, file, fallback);
  const steps = raw.steps.map((s, i) => {
    const alts = expandAlternative(sub, s, `${file}: steps[${i}]`, params);
    if (alts.length !== 1)
      throw new ScenarioError(`${file}: steps[${i}].args: a script step takes single values, not domains`);
    return alts[0]!;
  });
  return { params, steps };
}
