import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Schema } from '../../checker/schema.js';
import {
  ItfError,
  itfToPlain,
  parseItf,
  plainToItf,
  readItf,
  scenarioOf,
  scheduleOf,
  subsystemOf,
  toItf,
  traceOf,
  validateExpr,
  variantOf,
  violationOf,
  writeItf,
} from '../../traces/itf.js';
import * as f from './fixtures.js';

const schema = f.poolSchema as unknown as Schema<unknown>;
const tmp = () => mkdtempSync(join(tmpdir(), 'mmcheck-itf-'));

describe('toItf / readItf round trip', () => {
  it('writes valid ITF with the mmcheck #meta', () => {
    const itf = toItf(f.result(), { implSchema: schema, scenario: f.scenario });
    const m = itf['#meta'];
    expect(m.format).toBe('ITF');
    expect(m.source).toBe('mmcheck');
    expect(m.subsystem).toBe('hugetlb');
    expect(m.variant).toBe('H11');
    expect(m.property).toBe('refinement');
    expect(m.violation).toEqual({ kind: 'refinement', property: 'refinement', message: f.violation.message });
    expect(m.scenario.name).toBe('two-allocs');
    expect(Object.keys(m.varTypes)).toEqual([...itf.vars]);
    expect(itf.vars).toEqual(['impl', 'threads', 'abstract', 'spec', 'faultsUsed']);
    expect(itf.states).toHaveLength(4);
    // the schema's toItf is used: the intset becomes #set
    expect((itf.states[0]!['impl'] as any).owners).toEqual({ '#set': [] });
    expect(itf.states[0]!['spec']).toEqual({ '#set': [{ free: 2 }] });
    expect(itf.states[0]!['#meta']).toEqual({ index: 0 });
    expect(itf.states[3]!['#meta']).toMatchObject({ index: 3, thread: 0, injected: ['alloc_page'], ret: -12 });
    expect('ret' in itf.states[1]!['#meta']).toBe(false);
  });

  it('round-trips the trace, schedule, scenario through a file', () => {
    const dir = tmp();
    const path = join(dir, 'sub', 'x.itf.json');
    writeItf(path, toItf(f.result(), { implSchema: schema, scenario: f.scenario }));
    const back = readItf(path);
    expect(scheduleOf(back)).toEqual(f.transitions);
    expect(scenarioOf(back)).toEqual(f.scenario);
    expect(subsystemOf(back)).toBe('hugetlb');
    expect(variantOf(back)).toBe('H11');
    const tr = traceOf(back, { implSchema: schema });
    expect(tr.states).toEqual(f.states);
    expect(tr.transitions).toEqual(f.transitions);
    expect(violationOf(back, { implSchema: schema })).toEqual(f.violation);
  });

  it('round-trips without a schema through the generic converter', () => {
    const back = parseItf(JSON.stringify(toItf(f.result())));
    // no schema: the intset array stays a list and decodes back to an array
    expect(traceOf(back).states).toEqual(f.states);
  });

  it('keeps ret: null (finished with null) distinct from no ret', () => {
    const t = [...f.transitions];
    t[1] = { ...t[1]!, ret: null };
    const r = f.result({ violation: { ...f.violation, trace: { states: f.states, transitions: t } } });
    const back = parseItf(JSON.stringify(toItf(r)));
    expect(scheduleOf(back)[1]).toHaveProperty('ret', null);
    expect(scheduleOf(back)[0]).not.toHaveProperty('ret');
  });

  it('omits abstract when there is no spec, and restores spec as absent', () => {
    const states = f.states.map(({ abstract: _a, spec: _s, ...rest }) => rest);
    const r = f.result({
      refinement: 'none (no spec)',
      violation: {
        ...f.violation,
        kind: 'invariant',
        property: 'resv-le-free',
        trace: { states, transitions: f.transitions },
      },
    });
    const itf = toItf(r, { implSchema: schema });
    expect(itf.vars).toEqual(['impl', 'threads', 'spec', 'faultsUsed']);
    expect(traceOf(parseItf(JSON.stringify(itf)), { implSchema: schema }).states).toEqual(states);
  });

  it('without the scenario object, scenarioOf refuses with a one-line reason', () => {
    const back = parseItf(JSON.stringify(toItf(f.result())));
    expect(back['#meta'].scenario.name).toBe('two-allocs');
    expect(() => scenarioOf(back)).toThrow(/no thread scripts.*cannot replay/);
  });

  it('handles a zero-step trace (violation in the initial state)', () => {
    const v = {
      ...f.violation,
      kind: 'invariant' as const,
      property: 'init-ok',
      trace: { states: [f.states[0]!], transitions: [] },
    };
    const back = parseItf(
      JSON.stringify(toItf(f.result({ violation: v }), { implSchema: schema, scenario: f.scenario })),
    );
    expect(back.states).toHaveLength(1);
    expect(scheduleOf(back)).toEqual([]);
    expect(violationOf(back, { implSchema: schema })).toEqual(v);
  });

  it('refuses a result without a violation, and a mismatched scenario', () => {
    expect(() => toItf(f.result({ violation: undefined }))).toThrow(ItfError);
    expect(() => toItf(f.result(), { scenario: { ...f.scenario, name: 'other' } })).toThrow(/scenario 'other'/);
  });
});

describe('generic converter', () => {
  it('writes safe integers as numbers and others as #bigint', () => {
    expect(plainToItf(5)).toBe(5);
    expect(plainToItf(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(plainToItf(-Number.MAX_SAFE_INTEGER)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(plainToItf(2 ** 53)).toEqual({ '#bigint': '9007199254740992' });
    expect(plainToItf(-(2 ** 60))).toEqual({ '#bigint': '-1152921504606846976' });
    expect(plainToItf(12n)).toBe(12);
    expect(plainToItf(123456789012345678901234567890n)).toEqual({ '#bigint': '123456789012345678901234567890' });
    expect(itfToPlain({ '#bigint': '123456789012345678901234567890' })).toBe(123456789012345678901234567890n);
    expect(itfToPlain({ '#bigint': '-7' })).toBe(-7);
  });

  it('maps plain data to lists, records, sets, maps and #unserializable', () => {
    expect(plainToItf({ a: [1, 'x', true], b: undefined })).toEqual({ a: [1, 'x', true] });
    expect(plainToItf(null)).toEqual({ '#unserializable': 'null' });
    expect(plainToItf(1.5)).toEqual({ '#unserializable': '1.5' });
    expect(plainToItf(new Set([2, 1]))).toEqual({ '#set': [2, 1] });
    expect(plainToItf(new Map([[1, 'a']]))).toEqual({ '#map': [[1, 'a']] });
    expect(plainToItf({ '#x': 1 })).toEqual({ '#map': [['#x', 1]] });
    const cyc: any = { a: 1 };
    cyc.self = cyc;
    expect(plainToItf(cyc)).toEqual({ a: 1, self: { '#unserializable': '[Circular]' } });
    expect(itfToPlain({ '#unserializable': 'null' })).toBeNull();
    expect(itfToPlain({ '#tup': [1, 2] })).toEqual([1, 2]);
  });

  it('always produces a valid expression that converts back (property)', () => {
    const leaf = fc.oneof(fc.integer(), fc.bigInt(), fc.maxSafeInteger(), fc.string(), fc.boolean(), fc.constant(null));
    const data = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v')), fc.dictionary(fc.string(), tie('v'))),
    })).v;
    fc.assert(
      fc.property(data, (v) => {
        const e = plainToItf(v);
        validateExpr(e, 'v');
        const back = itfToPlain(JSON.parse(JSON.stringify(e)));
        const norm = (x: unknown): unknown =>
          typeof x === 'bigint' && Number.isSafeInteger(Number(x))
            ? Number(x)
            : Array.isArray(x)
              ? x.map(norm)
              : x && typeof x === 'object'
                ? Object.fromEntries(
                    Object.entries(x)
                      .filter(([k]) => !k.startsWith('#'))
                      .map(([k, y]) => [k, norm(y)]),
                  )
                : x;
        // records with '#' keys become #map (a Map); everything else is identical
        if (JSON.stringify(e).includes('"#map"')) return;
        expect(back).toEqual(norm(v));
      }),
    );
  });
});

describe('validation errors are one line and name the problem', () => {
  const good = () => JSON.parse(JSON.stringify(toItf(f.result(), { implSchema: schema, scenario: f.scenario })));
  const msg = (x: unknown): string => {
    try {
      parseItf(x);
    } catch (e) {
      expect(e).toBeInstanceOf(ItfError);
      const m = (e as Error).message;
      expect(m).not.toContain('\n');
      return m;
    }
    throw new Error('expected an ItfError');
  };

  it.each<[string, (t: any) => unknown, RegExp]>([
    ['not JSON', () => '{"vars": [', /^not JSON/],
    ['top level', () => '[1,2]', /top level is not a JSON object/],
    ['missing vars', (t) => (delete t.vars, t), /missing "vars"/],
    ['missing states', (t) => (delete t.states, t), /missing "states"/],
    ['empty states', (t) => ((t.states = []), t), /"states" is empty/],
    ['state missing a var', (t) => (delete t.states[2].threads, t), /states\[2\] is missing var 'threads'/],
    [
      'bad #bigint',
      (t) => ((t.states[1].impl.free = { '#bigint': '12x' }), t),
      /states\[1\]\.impl\.free: bad #bigint "12x"/,
    ],
    ['unsafe number', (t) => ((t.states[1].impl.free = 2 ** 60), t), /outside ±\(2\^53-1\)/],
    ['float', (t) => ((t.states[0].faultsUsed = 0.5), t), /states\[0\]\.faultsUsed: 0\.5 is not an integer/],
    ['null', (t) => ((t.states[0].impl.lock = null), t), /states\[0\]\.impl\.lock: null is not an ITF value/],
    ['unknown tag', (t) => ((t.states[0].impl.owners = { '#bag': [] }), t), /unknown ITF tag '#bag'/],
    ['extra key', (t) => ((t.states[0].junk = 1), t), /states\[0\] has 'junk', which is not in vars/],
    ['foreign trace', (t) => ((t['#meta'].source = 'quint'), t), /not an mmcheck trace: #meta.source is "quint"/],
    ['no #meta', (t) => (delete t['#meta'], t), /not an mmcheck trace: no "#meta"/],
    ['bad index', (t) => ((t.states[2]['#meta'].index = 7), t), /states\[2\]\.#meta\.index is 7, expected 2/],
    ['bad step meta', (t) => (delete t.states[2]['#meta'].thread, t), /states\[2\]\.#meta\.thread must be a thread id/],
    ['bad args', (t) => ((t.states[1]['#meta'].args = { n: [1] }), t), /states\[1\]\.#meta\.args\.n: argument/],
    [
      'bad scenario',
      (t) => ((t['#meta'].scenario.threads = [[{ op: 'x' }]]), t),
      /#meta\.scenario\.threads\[0\]\[0\] must be a list/,
    ],
  ])('%s', (_name, mutate, re) => {
    const x = mutate(good());
    expect(msg(x)).toMatch(re);
  });

  it('accepts plain ITF from other tools when mmcheck is not required', () => {
    const quint = { '#meta': { format: 'ITF', source: 'quint' }, vars: ['x'], states: [{ x: { '#bigint': '1' } }] };
    expect(parseItf(quint, { mmcheck: false }).states).toHaveLength(1);
    expect(() => parseItf(quint)).toThrow(/not an mmcheck trace/);
  });

  it('readItf names the file on errors', () => {
    const dir = tmp();
    expect(() => readItf(join(dir, 'nope.itf.json'))).toThrow(/nope\.itf\.json: cannot read \(ENOENT\)/);
    const p = join(dir, 'bad.itf.json');
    writeFileSync(p, 'hello');
    expect(() => readItf(p)).toThrow(/bad\.itf\.json: not JSON/);
    const q = join(dir, 'ok.itf.json');
    writeItf(q, toItf(f.result()));
    expect(readFileSync(q, 'utf8')).toContain('"format": "ITF"');
  });
});
