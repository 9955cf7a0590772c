/** The shared --threads/--ops/--pool/--file-size reshaping used by every subsystem's customize(). */
import { describe, expect, test } from 'vitest';
import { flagInRange, reshapeThreads } from '../../checker/reshape.js';
import type { ThreadScript } from '../../checker/types.js';

const op = (name: string) => [{ op: name, args: {} }];
const scripts: ThreadScript[] = [
  [op('a1'), op('a2'), op('a3')],
  [op('b1'), op('b2')],
];
const names = (ts: ThreadScript[]) => ts.map((t) => t.map((slot) => slot[0]!.op).join(','));

describe('reshapeThreads', () => {
  test('fewer threads drop the last scripts; more cycle through them when allowed', () => {
    expect(names(reshapeThreads(scripts, { threads: 1 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual(['a1,a2,a3']);
    expect(names(reshapeThreads(scripts, { threads: 3 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual(['a1,a2,a3', 'b1,b2', 'a1,a2,a3']);
    expect(() => reshapeThreads(scripts, { threads: 3 }, { maxThreads: 4, maxOps: 8, cycle: false })).toThrow(/2 thread scripts; 3 would need more/);
  });
  test('--ops keeps the first N slots of each thread', () => {
    expect(names(reshapeThreads(scripts, { ops: 2 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual(['a1,a2', 'b1,b2']);
  });
  test('out-of-range values name the flag', () => {
    expect(() => reshapeThreads(scripts, { threads: 5 }, { maxThreads: 4, maxOps: 8, cycle: true })).toThrow(/^--threads: expected 1..4, got 5$/);
    expect(() => reshapeThreads(scripts, { ops: 0 }, { maxThreads: 4, maxOps: 8, cycle: true })).toThrow(/^--ops: expected 1..8, got 0$/);
    expect(() => flagInRange('pool', 2.5, 0, 6)).toThrow(/^--pool: expected 0..6, got 2.5$/);
    expect(flagInRange('file-size', 3, 1, 4, 'pages')).toBe(3);
  });
});
