/**
 * Plain-data flattening and diffs for trace rendering: a state becomes a map
 * from dotted paths (`pool.free`, `pages[2].refcount`) to short display strings.
 */

/** A compact one-line rendering of a plain value. */
export function show(v: unknown): string {
  if (v === undefined) return '∅';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return v === '' || /[\s,:{}[\]()"]/.test(v) ? JSON.stringify(v) : v;
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v instanceof Set) return `{${[...v].map(show).sort(cmpShown).join(', ')}}`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${show(k)} ↦ ${show(x)}`).join(', ')}}`;
  const o = v as Record<string, unknown>;
  if (typeof o['#unserializable'] === 'string' && Object.keys(o).length === 1) return `<${o['#unserializable']}>`;
  return `{${Object.entries(o)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k}: ${show(x)}`)
    .join(', ')}}`;
}

function cmpShown(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isLeafArray(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x !== 'object') && show(v).length <= 40;
}

/**
 * Flatten `v` into path → display string. Records and arrays are descended
 * (arrays of at most 40 characters of primitives stay whole, so small sets and
 * lists read as `[1, 3]`); Sets, Maps and primitives are leaves.
 */
export function flatten(v: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  const rec = (x: unknown, p: string): void => {
    if (x !== null && typeof x === 'object' && !(x instanceof Set) && !(x instanceof Map)) {
      if (Array.isArray(x)) {
        if (isLeafArray(x)) {
          out.set(p, show(x));
          return;
        }
        x.forEach((y, i) => rec(y, `${p}[${i}]`));
        if (x.length === 0 && p !== prefix) out.set(p, '[]');
        return;
      }
      const o = x as Record<string, unknown>;
      if (typeof o['#unserializable'] === 'string' && Object.keys(o).length === 1) {
        out.set(p, show(x));
        return;
      }
      const entries = Object.entries(o).filter(([, y]) => y !== undefined);
      // An empty record is a value of its own, except at the root (so {} and ∅ compare equal there).
      if (entries.length === 0 && p !== prefix) out.set(p, '{}');
      for (const [k, y] of entries) rec(y, p ? `${p}.${k}` : k);
      return;
    }
    out.set(p, show(x));
  };
  rec(v, prefix);
  return out;
}

export interface Change {
  readonly path: string;
  /** undefined: the path did not exist before. */
  readonly old?: string;
  /** undefined: the path no longer exists. */
  readonly new?: string;
}

/** Paths whose display value differs between `a` and `b`, in first-seen order. */
export function diffPlain(a: unknown, b: unknown, prefix = ''): Change[] {
  const fa = flatten(a, prefix);
  const fb = flatten(b, prefix);
  const out: Change[] = [];
  for (const [p, x] of fa) {
    const y = fb.get(p);
    if (y !== x) out.push(y === undefined ? { path: p, old: x } : { path: p, old: x, new: y });
  }
  for (const [p, y] of fb) if (!fa.has(p)) out.push({ path: p, new: y });
  // A container that turns from empty (`[]`, `{}`) into one with elements, or back, shows as
  // its elements appearing or disappearing; drop the redundant `pages: [] → (absent)` line.
  const under = (a: string, b: string): boolean => b.startsWith(a + '.') || b.startsWith(a + '[');
  return out.filter(
    (c) =>
      !(c.new === undefined && out.some((d) => d.old === undefined && under(c.path, d.path))) &&
      !(c.old === undefined && out.some((d) => d.new === undefined && under(c.path, d.path))),
  );
}

/**
 * Flattened entries as display lines: leaves that share a parent record
 * (`pc[0].present`, `pc[0].data`, ...) go on one line as `pc[0]: present=false data=0`;
 * top-level leaves get a line each.
 */
export function groupedLines(v: unknown): string[] {
  const out: string[] = [];
  let group: string | undefined;
  let items: string[] = [];
  const flush = (): void => {
    if (group !== undefined) out.push(`${group}: ${items.join(' ')}`);
    group = undefined;
    items = [];
  };
  for (const [path, val] of flatten(v)) {
    const dot = path.lastIndexOf('.');
    if (dot <= 0) {
      flush();
      out.push(`${path || '(value)'} = ${val}`);
      continue;
    }
    const parent = path.slice(0, dot);
    if (parent !== group) flush();
    group = parent;
    items.push(`${path.slice(dot + 1)}=${val}`);
  }
  flush();
  return out;
}

/** Structural equality of plain values via their flattened display form. */
export function samePlain(a: unknown, b: unknown): boolean {
  return diffPlain(a, b).length === 0;
}
