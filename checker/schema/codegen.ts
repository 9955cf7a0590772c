/**
 * Code generation: a struct schema compiles itself (on first use) into two
 * straight-line functions, so decode builds object literals with stable
 * shapes and encode makes no virtual calls. Behaviour is identical to the
 * interpreted methods of scalars.ts and containers.ts;
 * test/checker/schema.test.ts compares them byte for byte.
 */
import { ArrayReader, IntBuffer, SchemaError, type Reader, type Schema, type Writer } from './core.js';
import { BoolSchema, EnumSchema, IntSchema } from './scalars.js';
import { ArraySchema, ListSchema, StructSchema, type Fields, type StructOf } from './containers.js';

/**
 * A struct that compiles its codec on first use. Nested structs are inlined
 * into the root's generated code; the interpreted methods remain the
 * reference implementation (and serve readers that are not ArrayReaders).
 */
export class CompiledStruct<F extends Fields> extends StructSchema<F> {
  private codec?: { encode(v: StructOf<F>, w: Writer): void; decode(r: ArrayReader): StructOf<F> };
  /**
   * A decoder into one value of its own, reused by every call (see
   * compileDecodeInto): each call returns the same object, overwritten.
   */
  reusingDecoder(): (r: ArrayReader) => StructOf<F> {
    return compileDecodeInto(new StructSchema(this.fields));
  }
  override encode(v: StructOf<F>, w: Writer): void {
    (this.codec ??= compileCodec(new StructSchema(this.fields))).encode(v, w);
  }
  override decode(r: Reader): StructOf<F> {
    if (!(r instanceof ArrayReader)) return super.decode(r);
    return (this.codec ??= compileCodec(new StructSchema(this.fields))).decode(r);
  }
}

interface Gen {
  helpers: unknown[];
  n: number;
}

function helper(g: Gen, h: unknown): string {
  g.helpers.push(h);
  return `h[${g.helpers.length - 1}]`;
}

const INT_CHECK = (path: string, x: string) => `if ((${x} | 0) !== ${x}) bad(${JSON.stringify(path)}, ${x});`;

function genDecode(s: Schema<any>, g: Gen): string {
  if (s instanceof IntSchema) return 'b[r.pos++]';
  if (s instanceof BoolSchema) return '(b[r.pos++] !== 0)';
  if (s instanceof EnumSchema) return `${helper(g, s.values)}[b[r.pos++]]`;
  if (s instanceof ArraySchema && s.length <= 32) {
    const items: string[] = [];
    for (let i = 0; i < s.length; i++) items.push(genDecode(s.elem, g));
    return `[${items.join(', ')}]`;
  }
  if (s instanceof StructSchema) {
    const fields = s.keys.map((k, i) => `${JSON.stringify(k)}: ${genDecode((s as any).schemas[i], g)}`);
    return `{${fields.join(', ')}}`;
  }
  if (s instanceof ListSchema || s instanceof ArraySchema) {
    // a loop calling a compiled element decoder
    const elem = compileCodec(s.elem).decode;
    const fixed = s instanceof ArraySchema ? s.length : -1;
    const loop = (r: ArrayReader) => {
      const n = fixed >= 0 ? fixed : r.buf[r.pos++]!;
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = elem(r);
      return out;
    };
    return `${helper(g, loop)}(r)`;
  }
  // sets and anything else: the interpreted decoder (it reads through r)
  return `${helper(g, s)}.decode(r)`;
}

interface IntoGen extends Gen {
  /** The reused containers, in the order the generated code reads them (own[k]). */
  own: unknown[];
}

/**
 * genDecode into reused containers: `code` fills them (reading b[p++]), `expr`
 * is the value to store (evaluated after `code`, in reading order), `init` the
 * value the container holds before the first fill.
 */
function genInto(s: Schema<any>, g: IntoGen): { code: string; expr: string; init: unknown } {
  if (s instanceof IntSchema) return { code: '', expr: 'b[p++]', init: 0 };
  if (s instanceof BoolSchema) return { code: '', expr: '(b[p++] !== 0)', init: false };
  if (s instanceof EnumSchema) return { code: '', expr: `${helper(g, s.values)}[b[p++]]`, init: s.values[0] };
  if ((s instanceof ArraySchema && s.length <= 32) || s instanceof StructSchema) {
    const x = `o${g.n++}`;
    const keys: (string | number)[] =
      s instanceof ArraySchema ? Array.from({ length: s.length }, (_, i) => i) : (s as StructSchema<any>).keys;
    const elems: Schema<any>[] =
      s instanceof ArraySchema ? keys.map(() => s.elem) : ((s as any).schemas as Schema<any>[]);
    const parts: string[] = [];
    const inits: unknown[] = [];
    elems.forEach((e, i) => {
      const c = genInto(e, g);
      inits.push(c.init);
      parts.push(`${c.code} ${x}[${JSON.stringify(keys[i])}] = ${c.expr};`);
    });
    let obj: any;
    if (s instanceof ArraySchema) obj = inits;
    else {
      obj = {};
      keys.forEach((k, i) => (obj[k] = inits[i]));
    }
    // a struct is not extensible: a step cannot add a property that the next fill would not reset (an
    // array that grew no longer fits the schema: encode throws). Sealing the arrays too would make
    // every element store slow (V8).
    if (!Array.isArray(obj)) Object.preventExtensions(obj);
    g.own.push(obj);
    return { code: `const ${x} = own[${g.own.length - 1}]; ${parts.join(' ')}`, expr: x, init: obj };
  }
  // lists, long arrays, sets: a fresh value from the compiled decoder
  const x = `v${g.n++}`;
  return { code: `r.pos = p; const ${x} = ${genDecode(s, g)}; p = r.pos;`, expr: x, init: undefined };
}

/**
 * A decoder that fills one value of its own instead of building a fresh one:
 * every call returns the same root object, with the same nested fixed arrays
 * and structs, overwritten (lists, long arrays and sets are still fresh).
 * The value is valid until the next call. Whatever a caller did to it (a
 * field replaced, an element changed) the next call undoes: every container
 * is assigned back to its own and refilled, and the containers are sealed,
 * so a property added to them throws instead of surviving into the next call.
 * The same values as decode() (test/checker/schema.test.ts).
 */
export function compileDecodeInto<T>(s: Schema<T>): (r: ArrayReader) => T {
  if (s instanceof CompiledStruct) s = new StructSchema((s as CompiledStruct<any>).fields) as unknown as Schema<T>;
  const g: IntoGen = { helpers: [], n: 0, own: [] };
  const c = genInto(s, g);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'h',
    'own',
    `return function decodeInto(r) { const b = r.buf; let p = r.pos; ${c.code} r.pos = p; return ${c.expr}; };`,
  )(g.helpers, g.own) as (r: ArrayReader) => T;
}

function genEncode(s: Schema<any>, v: string, path: string, g: Gen): string {
  const x = `x${g.n++}`;
  if (s instanceof IntSchema) return `{ const ${x} = ${v}; ${INT_CHECK(path, x)} w.push(${x}); }`;
  if (s instanceof BoolSchema)
    return `{ const ${x} = ${v}; if (${x} !== true && ${x} !== false) bad(${JSON.stringify(path)}, ${x}); w.push(${x} ? 1 : 0); }`;
  if (s instanceof ArraySchema && s.length <= 32) {
    const parts = [
      `const ${x} = ${v};`,
      `if (!${x} || ${x}.length !== ${s.length}) bad(${JSON.stringify(path)}, ${x});`,
    ];
    for (let i = 0; i < s.length; i++) parts.push(genEncode(s.elem, `${x}[${i}]`, `${path}[${i}]`, g));
    return `{ ${parts.join(' ')} }`;
  }
  if (s instanceof StructSchema) {
    const parts = [
      `const ${x} = ${v};`,
      `if (${x} === null || typeof ${x} !== 'object') bad(${JSON.stringify(path)}, ${x});`,
    ];
    s.keys.forEach((k, i) =>
      parts.push(genEncode((s as any).schemas[i], `${x}[${JSON.stringify(k)}]`, `${path}.${k}`, g)),
    );
    return `{ ${parts.join(' ')} }`;
  }
  if (s instanceof ListSchema || s instanceof ArraySchema) {
    const elem = compileCodec(s.elem, `${path}[]`).encode;
    const fixed = s instanceof ArraySchema ? s.length : -1;
    const loop = (a: unknown[], w: Writer) => {
      if (!Array.isArray(a) || (fixed >= 0 && a.length !== fixed)) badValue(path, a);
      if (fixed < 0) w.push(a.length);
      for (let i = 0; i < a.length; i++) elem(a[i], w);
    };
    return `${helper(g, loop)}(${v}, w);`;
  }
  return `${helper(g, s)}.encode(${v}, w);`;
}

/** Words a schema always encodes to (-1: it varies). */
function fixedWords(s: Schema<any>): number {
  if (s instanceof IntSchema || s instanceof BoolSchema || s instanceof EnumSchema) return 1;
  if (s instanceof ArraySchema && s.length <= 32) {
    const e = fixedWords(s.elem);
    return e < 0 ? -1 : e * s.length;
  }
  if (s instanceof StructSchema) {
    let n = 0;
    for (const f of (s as any).schemas as Schema<any>[]) {
      const e = fixedWords(f);
      if (e < 0) return -1;
      n += e;
    }
    return n;
  }
  return -1;
}

/**
 * genEncode writing an IntBuffer's array directly: `b` is w.buf and `n` the
 * words written (w.len is set back at the end and around helper calls), with
 * one room check per fixed-size part instead of a push() call per word. The
 * same words and the same errors as genEncode.
 */
function genFast(s: Schema<any>, v: string, path: string, g: Gen, room: boolean): string {
  const k = room ? 0 : fixedWords(s);
  if (k > 0)
    return `if (n + ${k} > b.length) { w.len = n; w.reserve(n + ${k}); b = w.buf; } ${genFast(s, v, path, g, true)}`;
  const x = `x${g.n++}`;
  if (s instanceof IntSchema) return `{ const ${x} = ${v}; ${INT_CHECK(path, x)} b[n++] = ${x}; }`;
  if (s instanceof BoolSchema)
    return `{ const ${x} = ${v}; if (${x} !== true && ${x} !== false) bad(${JSON.stringify(path)}, ${x}); b[n++] = ${x} ? 1 : 0; }`;
  if (s instanceof EnumSchema) {
    const index = helper(g, new Map(s.values.map((e, i) => [e, i])));
    // a value outside the enum: the interpreted encoder throws its error
    return `{ const ${x} = ${v}; const i${x} = ${index}.get(${x}); if (i${x} === undefined) ${helper(g, s)}.encode(${x}, w); b[n++] = i${x}; }`;
  }
  if ((s instanceof ArraySchema && s.length <= 32) || s instanceof StructSchema) {
    const parts = [`const ${x} = ${v};`];
    if (s instanceof ArraySchema) {
      parts.push(`if (!${x} || ${x}.length !== ${s.length}) bad(${JSON.stringify(path)}, ${x});`);
      for (let i = 0; i < s.length; i++) parts.push(genFast(s.elem, `${x}[${i}]`, `${path}[${i}]`, g, room));
    } else {
      parts.push(`if (${x} === null || typeof ${x} !== 'object') bad(${JSON.stringify(path)}, ${x});`);
      s.keys.forEach((key, i) =>
        parts.push(genFast((s as any).schemas[i], `${x}[${JSON.stringify(key)}]`, `${path}.${key}`, g, room)),
      );
    }
    return `{ ${parts.join(' ')} }`;
  }
  // lists, long arrays, sets: genEncode's code through the Writer, with w.len in step
  return `w.len = n; ${genEncode(s, v, path, g)} b = w.buf; n = w.len;`;
}

function badValue(path: string, v: unknown): never {
  throw new SchemaError(
    `${path || 'state'}: ${v === undefined ? 'undefined' : JSON.stringify(v)} does not fit the schema`,
  );
}

/** Compile a schema's encode/decode into straight-line code (used for struct roots). */
export function compileCodec<T>(s: Schema<T>, root = ''): { encode(v: T, w: Writer): void; decode(r: ArrayReader): T } {
  if (s instanceof CompiledStruct) s = new StructSchema((s as CompiledStruct<any>).fields) as unknown as Schema<T>;
  const g: Gen = { helpers: [], n: 0 };
  const dec = genDecode(s, g);
  const enc = genEncode(s, 'v', root, g);
  const fast = genFast(s, 'v', root, g, false);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const decode = new Function('h', `return function decode(r) { const b = r.buf; return ${dec}; };`)(g.helpers);
  const encode = new Function(
    'h',
    'bad',
    'IntBuffer',
    `return function encode(v, w) { if (!(w instanceof IntBuffer)) { ${enc} return; } let b = w.buf; let n = w.len; ${fast} w.len = n; };`,
  )(g.helpers, badValue, IntBuffer);
  return { encode, decode };
}
