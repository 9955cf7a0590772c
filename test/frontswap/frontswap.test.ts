/**
 * frontswap: sequential tests of the frontend and the zswap-like backend, and
 * model checking of every default scenario and variant.
 */
import { describe, expect, test } from 'vitest';
import { initialTransition } from 'xstate';
import { checkScenario } from '../../checker/check.js';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice, ThreadCtx } from '../../checker/types.js';
import { initFrontswap, type FrontswapParams } from '../../impl/frontswap/state.js';
import { zswapInvalidateArea, zswapLoad, zswapStore } from '../../impl/frontswap/zswap.js';
import { frontswapView } from '../../spec/frontswap/machine.js';
import { abstraction, customize, frontswap, parseParams } from '../../subsystems/frontswap/index.js';

const P: FrontswapParams = {
  types: 1,
  slots: 2,
  capacity: 1,
  swapon: true,
  writethrough: false,
  backends: 1,
  registered: 1,
  synchronous: false,
};
const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const byName = (n: string) => frontswap.scenarios.find((s) => s.name === n)!;

function tctx(choices: number[] = []): ThreadCtx<FrontswapParams> {
  return {
    tid: 0,
    args: {},
    l: {},
    params: P,
    variant: null,
    bug: () => false,
    choose: (n) => {
      const c = choices.shift() ?? 0;
      if (c >= n) throw new Error('bad scripted choice');
      return c;
    },
    inject: () => false,
    assume: () => {},
  };
}

describe('zswap-like backend', () => {
  test('store, load (non-destructive), duplicate replacement, capacity and invalidate_area', () => {
    const g = initFrontswap(P);
    expect(zswapStore(g, P, tctx(), 0, 0, 0, 5)).toBe(0);
    expect(zswapLoad(g, 0, 0, 0)).toBe(5);
    expect(zswapLoad(g, 0, 0, 0)).toBe(5);
    expect(zswapStore(g, P, tctx(), 0, 0, 0, 6)).toBe(0); // a duplicate replaces
    expect(g.tree.length).toBe(1);
    expect(zswapStore(g, P, tctx(), 0, 0, 1, 7)).toBe(-1); // full: zsmalloc-like reject
    expect(zswapStore(g, P, tctx([1]), 0, 0, 0, 8)).toBe(-1); // the backend declines ...
    expect(zswapLoad(g, 0, 0, 0)).toBe(6); // ... and a rejected duplicate leaves the old entry (the frontend must invalidate it)
    zswapInvalidateArea(g, P, 0, 0);
    expect(g.tree).toEqual([]);
    expect(zswapStore(g, P, tctx(), 0, 0, 0, 9)).toBe(-1); // no tree for the type after invalidate_area (-ENODEV)
  });
});

describe('frontswap frontend, sequentially', () => {
  test('stores set the bit, loads hit, a failed duplicate store invalidates, writeback keeps the bit', () => {
    const obs = runScript(
      frontswap,
      {
        params: parseParams({ slots: 2, capacity: 1 }),
        steps: [
          step('swapout', { type: 0, off: 0, v: 1 }),
          step('swapin', { type: 0, off: 0 }),
          step('swapout', { type: 0, off: 1, v: 2 }), // backend full: to the device
          step('swapin', { type: 0, off: 1 }),
          step('writeback'),
          step('swapin', { type: 0, off: 0 }),
          step('swap_free', { type: 0, off: 0 }),
          step('swapin', { type: 0, off: 0 }),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual(['frontswap', 1, 'disk', 2, null, 1, null, 'free']);
    expect(obs.map((o) => o.impl.frontswap_map)).toEqual([
      '[[0]]',
      '[[0]]',
      '[[0]]',
      '[[0]]',
      '[[0]]',
      '[[0]]',
      '[[]]',
      '[[]]',
    ]);
    expect(obs.at(-1)!.impl).toMatchObject({ stores: 1, failed_stores: 1, loads: 1, invalidates: 1, entries: 0 });
  });

  test('a successful duplicate store replaces the backend copy even when the backend is full', () => {
    const steps = [
      step('swapout', { type: 0, off: 0, v: 1 }),
      step('swapout', { type: 0, off: 1, v: 2 }), // to the device (full)
      step('swapout', { type: 0, off: 0, v: 3 }), // duplicate: the old entry's room is reused
      step('swapin', { type: 0, off: 0 }),
    ];
    const obs = runScript(frontswap, { params: parseParams({ slots: 2, capacity: 1 }), steps }, null);
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual(['frontswap', 'disk', 'frontswap', 3]);
    expect(obs.at(-1)!.impl).toMatchObject({ entries: 1, loads: 1 });
  });
});

describe('frontswap: model checking', () => {
  for (const s of frontswap.scenarios) {
    test(`${s.name} passes exhaustively`, () => {
      const r = checkScenario(frontswap, s, { variant: null });
      expect(r.violation?.message).toBeUndefined();
      expect(r.exhaustive).toBe(true);
      expect(r.preconditions).toEqual([]);
      for (const inv of r.invariants) expect(inv.nonTrivial, `${s.name}/${inv.name}`).toBeGreaterThan(0);
    });
  }

  for (const v of frontswap.variants)
    for (const sn of v.scenarios!)
      test(`${v.name} is caught in ${sn}`, () => {
        const r = checkScenario(frontswap, byName(sn), { variant: v.name });
        expect(r.violation).toBeDefined();
      });

  test('older data reaching the device (fb993fa1a2f6, after writeback) or a swap-in (FS-1) is what the spec alone reports', () => {
    const specOnly = { ...frontswap, invariants: [] };
    const f2 = checkScenario(specOnly, byName('dup-store'), { variant: 'fb993fa1a2f6' });
    // the writeback of the stale copy ends the shortest trace: the device then holds version 1, the spec 2
    expect(f2.violation?.kind).toBe('refinement');
    const last = f2.violation!.trace.transitions.at(-1)!;
    expect([last.op, last.step]).toEqual(['writeback', '__swap_writepage']);
    expect(f2.violation!.trace.transitions.filter((t) => t.op === 'swapout')).not.toHaveLength(0);
    const fs1 = checkScenario(specOnly, byName('dup-store'), { variant: 'FS-1' });
    expect(fs1.violation?.kind).toMatch(/refinement|linearizability/);
  });

  test('the invariants alone (no spec) catch every variant', () => {
    const { spec: _spec, abstraction: _abs, ...invOnly } = frontswap;
    const expected: Record<string, string> = {
      fb993fa1a2f6: 'frontswap-map-matches-backend',
      d1dc6f1bcf1e: 'swap-slot-current',
      'register-swapoff-race': 'swap-slot-current',
      'FS-1': 'swap-slot-current',
      'FS-3': 'swap-slot-current',
      '04fc7816089c': 'swap-slot-current',
      '7ba716698cc5': 'swap-slot-current',
      '2799e77529c2': 'backend-tree-live',
      '5878303c5353': 'backend-tree-live',
    };
    for (const v of frontswap.variants) {
      const r = checkScenario(invOnly, byName(v.scenarios![0]!), { variant: v.name });
      expect(r.violation?.kind, v.name).toBe('invariant');
      expect(r.violation!.property, v.name).toBe(expected[v.name]);
    }
  });

  test('2799e77529c2 is a use after free the data spec cannot see: the fixed do_swap_page waits, the racy one oopses', () => {
    const sync = byName('swapoff-sync');
    const fixed = checkScenario(frontswap, sync, { variant: null });
    expect(fixed.violation).toBeUndefined();
    expect(fixed.exhaustive).toBe(true);
    const racy = checkScenario(frontswap, sync, { variant: '2799e77529c2' });
    expect(racy.violation?.property).toBe('backend-tree-live');
    const steps = racy.violation!.trace.transitions.map((t) => `${t.op}:${t.step}`);
    // the load passed the frontswap_map test before swapoff freed the tree
    expect(steps.indexOf('swapin:swap_readpage')).toBeLessThan(steps.indexOf('swapoff:frontswap_invalidate_area'));
    expect(steps.at(-1)).toBe('swapin:frontswap_ops_load');
    const { invariants: _i, ...specOnly } = frontswap;
    expect(checkScenario({ ...specOnly, invariants: [] }, sync, { variant: '2799e77529c2' }).violation).toBeUndefined();
  });

  test('persistence is conditional: dropping entries (FS-3) is a bug by default but allowed in writethrough mode', () => {
    expect(checkScenario(frontswap, byName('two-slots'), { variant: 'FS-3' }).violation).toBeDefined();
    const wt = checkScenario(frontswap, byName('writethrough'), { variant: 'FS-3' });
    expect(wt.violation).toBeUndefined();
    expect(wt.exhaustive).toBe(true);
    // and the writethrough scenario really exercises a reclaimed entry: a slot in state 'wb' with no writeback
    const noWriteback = {
      ...byName('writethrough'),
      threads: byName('writethrough').threads.map((t) => t.filter((s) => s[0]!.op !== 'writeback')),
    };
    const strict = { ...frontswap, spec: { ...frontswap.spec!, internal: undefined } };
    expect(checkScenario(strict, noWriteback, { variant: null }).violation?.kind).toBe('refinement');
  });

  test("the abstraction of the initial state is the spec's initial view", () => {
    for (const s of frontswap.scenarios) {
      const [snap] = initialTransition(frontswap.spec!.machine, frontswap.spec!.input(s.params));
      expect(abstraction(frontswap.impl.init(s.params), s.params)).toEqual(frontswapView(snap as never));
    }
  });

  test('parseParams and customize give one-line errors', () => {
    expect(parseParams({})).toEqual({
      types: 1,
      slots: 1,
      capacity: 2,
      swapon: true,
      writethrough: false,
      backends: 1,
      registered: 1,
      synchronous: false,
    });
    expect(() => parseParams({ registered: 2 })).toThrow(/^registered: expected an integer in \[0, 1\], got 2$/);
    expect(() => parseParams({ slots: 0 })).toThrow(/^slots: expected an integer in \[1, 8\], got 0$/);
    expect(() => parseParams({ swapon: 1 })).toThrow(/^swapon: expected true or false, got 1$/);
    expect(() => parseParams({ zz: 1 })).toThrow(/^unknown parameter 'zz'/);
    expect(() => customize(byName('two-slots'), { fileSize: 1 })).toThrow(/too small for offset 1/);
    const s = customize(byName('dup-store'), { threads: 3, pool: 1 });
    expect(s.threads.length).toBe(3);
    expect(s.params.capacity).toBe(1);
  });
});

describe('example script for `mmcheck run frontswap --script`', () => {
  test('script.json runs and agrees, printing the counters', async () => {
    const { parseScript, readJsonFile } = await import('../../checker/scenario-file.js');
    const path = new URL('./script.json', import.meta.url).pathname;
    const obs = runScript(frontswap, parseScript(frontswap, readJsonFile(path, 'script'), 'script.json'), null);
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual(['frontswap', 1, 'disk', 'frontswap', null, 3, null]);
    expect(obs.at(-1)!.impl).toMatchObject({ stores: 2, failed_stores: 1, loads: 1, invalidates: 1 });
  });
});
