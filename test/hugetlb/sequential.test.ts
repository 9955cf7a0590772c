/**
 * Sequential runs (one thread, default choices, no injected faults) compared
 * step by step with the spec, with the /proc/meminfo counters a user would
 * read after each operation (libhugetlbfs counters.c style).
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });
const meminfo = (obs: ReturnType<typeof runScript>) =>
  obs.map((x) => [x.impl.HugePages_Total, x.impl.HugePages_Free, x.impl.HugePages_Rsvd, x.impl.HugePages_Surp]);
const rets = (obs: ReturnType<typeof runScript>) => obs.map((x) => x.impl.ret);
const run = (params: object, steps: OpChoice[], variant: string | null = null) =>
  runScript(hugetlb, { params: parseParams(params), steps }, variant);

describe('hugetlb, sequentially', () => {
  test('shared mapping: reserve at mmap, consume at fault, the file keeps its reservation after munmap, truncate releases it', () => {
    const obs = run({ pool: 2, fileSize: 2, vmas: 1 }, [
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('fault', { v: 0, i: 0, write: false }),
      o('munmap', { v: 0 }),
      o('truncate', { f: 0, size: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(meminfo(obs)).toEqual([
      [2, 2, 2, 0],
      [2, 1, 1, 0],
      [2, 1, 1, 0],
      [2, 1, 1, 0],
      [2, 2, 0, 0],
    ]);
  });

  test('private mapping: HR-8 unmap gives back only the unconsumed reservations', () => {
    // the fork child still maps page 1, so the owner's unmap cannot restore its reservation
    // (df7a6d1f6405): the consumed entry stays and hugetlb_vm_op_close must not give it back
    const steps = [
      o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 3 }),
      o('fault', { v: 0, i: 1, write: true }),
      o('fork', { v: 0, c: 1 }),
      o('munmap', { v: 0 }),
    ];
    const obs = run({ pool: 3, fileSize: 3, vmas: 2 }, steps);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(meminfo(obs)).toEqual([
      [3, 3, 3, 0],
      [3, 2, 2, 0],
      [3, 2, 2, 0],
      [3, 2, 0, 0],
    ]);
    const bad = run({ pool: 3, fileSize: 3, vmas: 2 }, steps, 'HR-8');
    expect(bad[3]!.agree).toBe(false);
    expect(bad[3]!.impl.HugePages_Rsvd).toBe(-1);
  });

  test('H1: a read beyond i_size after truncate SIGBUSes and leaves Rsvd at its initial value', () => {
    const steps = [
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('truncate', { f: 0, size: 0 }),
      o('fault', { v: 0, i: 0, write: false }),
    ];
    const obs = run({ pool: 1, fileSize: 1, vmas: 1 }, steps);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['ok', 'ok', 'ok', 'SIGBUS']);
    expect(meminfo(obs).at(-1)).toEqual([1, 1, 0, 0]);
    const bad = run({ pool: 1, fileSize: 1, vmas: 1 }, steps, 'H1');
    expect(bad[3]!.impl.ret).toBe('SIGBUS');
    expect(bad[3]!.agree).toBe(false); // a reserve-map entry beyond EOF that no counter backs
  });

  test('surplus: reservations beyond the pool are backed by surplus pages and returned at munmap', () => {
    const obs = run({ pool: 0, overcommit: 2, fileSize: 2, vmas: 1 }, [
      o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('munmap', { v: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(meminfo(obs)).toEqual([
      [2, 2, 2, 2],
      [2, 1, 1, 2],
      [0, 0, 0, 0],
    ]);
  });

  test('HR-11: the literal doc test refuses a reservation that free pages cover', () => {
    const steps = [o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 })];
    expect(rets(run({ pool: 2, fileSize: 1, vmas: 1 }, steps))).toEqual(['ok']);
    const bad = run({ pool: 2, fileSize: 1, vmas: 1 }, steps, 'HR-11');
    expect(bad[0]!.impl.ret).toBe('ENOMEM');
    expect(bad[0]!.agree).toBe(false);
  });

  test('nr_hugepages: shrinking below in-use + reserved keeps those pages as surplus; growing converts surplus back', () => {
    const obs = run({ pool: 3, fileSize: 2, vmas: 1 }, [
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('set_nr', { n: 0 }),
      o('set_nr', { n: 1 }),
      o('truncate', { f: 0, size: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(meminfo(obs)).toEqual([
      [3, 3, 2, 0],
      [3, 2, 1, 0],
      [2, 1, 1, 2], // one free unreserved page freed; the in-use and the reserved page are surplus
      [2, 1, 1, 1],
      [1, 1, 0, 0], // the freed surplus pages go back to buddy
    ]);
  });

  test('HR-10: fork, then the owner writes with no unreserved page: the child is unmapped and later SIGBUSes', () => {
    const obs = run({ pool: 2, fileSize: 2, vmas: 2 }, [
      o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('fork', { v: 0, c: 1 }),
      o('fault', { v: 1, i: 0, write: false }),
      o('fault', { v: 0, i: 0, write: true }),
      o('fault', { v: 1, i: 0, write: false }),
      o('fault', { v: 1, i: 1, write: false }),
      o('munmap', { v: 1 }),
      o('munmap', { v: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'SIGBUS', 'SIGBUS', 'ok', 'ok']);
    expect(meminfo(obs).at(-1)).toEqual([2, 2, 0, 0]);
    const bad = run(
      { pool: 2, fileSize: 2, vmas: 2 },
      [
        o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
        o('fault', { v: 0, i: 0, write: true }),
        o('fork', { v: 0, c: 1 }),
        o('fault', { v: 0, i: 0, write: true }),
      ],
      'HR-10',
    );
    expect(bad[3]!.impl.ret).toBe('SIGBUS');
    expect(bad[3]!.agree).toBe(false);
  });

  test('mount with min_size reserves min pages; HR-9 a freed page refills the subpool reserve', () => {
    const params = {
      pool: 3,
      fileSize: 1,
      vmas: 1,
      mounts: [
        { size: -1, min: -1, mounted: true },
        { size: 3, min: 2, mounted: false },
      ],
      fileMount: [0, 1],
    };
    const steps = [
      o('mount', { m: 1, size: 3, min: 2 }),
      o('mmap', { v: 0, kind: 'shared', f: 1, from: 0, to: 1 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('truncate', { f: 1, size: 0 }),
    ];
    const obs = run(params, steps);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(meminfo(obs)).toEqual([
      [3, 3, 2, 0],
      [3, 3, 2, 0], // the mapping's reservation comes out of the subpool's
      [3, 2, 1, 0],
      [3, 3, 2, 0], // the freed page keeps the subpool at min_size
    ]);
    const bad = run(params, steps, 'HR-9');
    expect(bad[3]!.agree).toBe(false);
    expect(bad[3]!.impl.HugePages_Rsvd).toBe(1);
  });

  test('mount argument errors', () => {
    const params = {
      pool: 2,
      mounts: [
        { size: -1, min: -1, mounted: true },
        { size: 1, min: -1, mounted: false },
      ],
    };
    const obs = run(params, [
      o('mount', { m: 0, size: 1, min: 0 }),
      o('mount', { m: 1, size: 1, min: 2 }),
      o('mount', { m: 1, size: -1, min: 3 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['EBUSY', 'EINVAL', 'ENOMEM']);
  });
});

describe('hugetlb params', () => {
  test('parseParams rejects impossible values with one-line messages', () => {
    expect(() => parseParams({ pool: -1 })).toThrow(/pool must be an integer/);
    expect(() => parseParams({ pool: 1, mounts: [{ size: -1, min: 2, mounted: true }] })).toThrow(/exceeds pool/);
    expect(() => parseParams({ mounts: [{ size: 1, min: 2, mounted: true }] })).toThrow(/min_size 2 > size 1/);
    expect(() => parseParams({ fileMount: [3] })).toThrow(/fileMount\[0\]/);
    expect(() => parseParams({ colour: 'red' })).toThrow(/unknown field 'colour'/);
    expect(() => parseParams({ fileSize: 6, vmas: 4, fileMount: [0, 0] })).toThrow(/<= 31/);
    for (const f of [() => parseParams({ pool: -1 }), () => parseParams('x')]) {
      try {
        f();
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  test('customize shapes scenarios and rejects impossible options', () => {
    const base = hugetlb.scenarios[0]!;
    const c = hugetlb.customize!(base, { threads: 1, ops: 1, pool: 4, fileSize: 2 });
    expect(c.threads.length).toBe(1);
    expect(c.threads[0]!.length).toBe(1);
    expect(c.params.pool).toBe(4);
    expect(() => hugetlb.customize!(base, { threads: 9 })).toThrow(/--threads/);
    expect(() => hugetlb.customize!(base, { pool: 99 })).toThrow(/--pool/);
    expect(() => hugetlb.customize!(base, { fileSize: 0 })).toThrow(/--file-size/);
  });
});
