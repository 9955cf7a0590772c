/**
 * orderNextLevel (checker/strategy/parallel-order.ts) alone, on buffers and
 * logs written as two workers would: every new state gets the smallest
 * (parent, edge) among its claim and its logged lowerings, the level is in
 * (parent, edge) order, and a slot lowered in one level is not taken as
 * lowered in the next (the coordinator's scratch is cleared between levels).
 */
import { describe, expect, test } from 'vitest';
import { createFrontier, Frontier, owner } from '../../checker/store/frontier.js';
import { Links } from '../../checker/store/queue.js';
import { SharedFingerprintTable } from '../../checker/store/shared-visited.js';
import type { LevelStores } from '../../checker/strategy/parallel-level.js';
import { foldLowered, orderNextLevel } from '../../checker/strategy/parallel-order.js';
import { controlWords, W, WORKER_BASE } from '../../checker/strategy/parallel-protocol.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface NewState {
  slot: number;
  /** The key it must end with. */
  parent: number;
  edge: number;
}

/** Write a level's new states as two workers would (claims in buffers, lowerings in logs); returns them. */
function writeLevel(
  co: LevelStores,
  start: number,
  size: number,
  parity: number,
  r: () => number,
  want: number,
): NewState[] {
  const states: NewState[] = [];
  const used = new Set<number>();
  const keys = new Set<string>();
  const n = co.n;
  const fill = new Array<number>(n).fill(0);
  const logFill = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  while (states.length < want) {
    const slot = Math.floor(r() * co.table.capacity);
    const parent = start + Math.floor(r() * size);
    const edge = Math.floor(r() * 40);
    if (used.has(slot) || keys.has(`${parent}/${edge}`)) continue;
    used.add(slot);
    keys.add(`${parent}/${edge}`);
    states.push({ slot, parent, edge });
    // claimed by a later parent (or the same one) in either worker, then lowered 0..3 times
    const lowerings = Math.floor(r() * 4);
    const claimParent = lowerings === 0 ? parent : Math.min(start + size - 1, parent + 1 + Math.floor(r() * 5));
    const cw = Math.floor(r() * n);
    const vec = Int32Array.of(slot, parent, edge);
    const claimEdge = claimParent === parent ? edge : 39 - edge;
    fill[cw] = co.frontier.push(
      1 + 2 * cw + parity,
      fill[cw]!,
      vec,
      3,
      slot + 1,
      7,
      slot,
      claimParent,
      claimEdge,
      -1,
      -1,
    );
    count[cw]!++;
    const steps: [number, number][] = [];
    for (let k = 1; k < lowerings; k++) steps.push([parent + Math.floor(r() * (claimParent - parent)) + 1, 41]);
    steps.push([parent, edge]);
    // logged in any order across the workers; the final key is the smallest parent
    for (const [p, e] of steps.sort(() => r() - 0.5)) {
      if (p >= claimParent) continue;
      const lw = Math.floor(r() * n);
      logFill[lw] = co.frontier.log(lw, logFill[lw]!, slot, p, p === parent ? e : 41);
    }
  }
  for (let w = 0; w < n; w++) {
    const base = WORKER_BASE + W.SIZE * w;
    co.ctl[base + W.FILL] = fill[w]!;
    co.ctl[base + W.LOG] = logFill[w]!;
    co.ctl[base + W.COUNT] = count[w]!;
  }
  return states;
}

describe('orderNextLevel', () => {
  test.each([
    [2, 50, 300],
    [3, 50, 300],
    [3, 2, 60],
    [5, 3, 100],
  ])(
    '%i threads, %i parents: smallest lowered key per state, sequential order, nothing carried into the next level',
    (n, size, want) => {
      const co: LevelStores = {
        ctl: new Int32Array(new SharedArrayBuffer(4 * controlWords(n))),
        frontier: new Frontier(createFrontier(n)),
        table: SharedFingerprintTable.create(12),
        links: new Links(),
        n,
      };
      const r = rng(20261207 + n);
      let start = 1;
      let count = start + size;
      for (let level = 0; level < 4; level++) {
        const states = writeLevel(co, start, size, level & 1, r, want);
        for (let w = 0; w < n; w++) foldLowered(co.ctl, co.frontier, w);
        const m = orderNextLevel(co, start, size, count, level & 1);
        expect(m).toBe(states.length);
        const sorted = [...states].sort((a, b) => a.parent - b.parent || a.edge - b.edge);
        const got = sorted.map((_, i) => {
          const b = co.frontier.order[2 * i]!;
          const at = co.frontier.order[2 * i + 1]!;
          const slot = co.frontier.states[b]![at + 3]!;
          return { slot, parent: co.links.parentOf(count + i), edge: co.links.edgeOf(count + i) };
        });
        expect(got).toEqual(sorted);
        // every rank in exactly one worker's share, each share in increasing order, owned by its owner
        const shares: number[] = [];
        for (let w = 0; w < n; w++) {
          const base = WORKER_BASE + W.SIZE * w;
          const own = [...co.frontier.owned.subarray(co.ctl[base + W.BEGIN]!, co.ctl[base + W.END]!)];
          expect(own).toEqual([...own].sort((a, b) => a - b));
          for (const i of own) {
            const b = co.frontier.order[2 * i]!;
            const at = co.frontier.order[2 * i + 1]!;
            const c = co.frontier.states[b]!;
            expect(owner(c[at + 6]!, c[at + 1]!, n)).toBe(w);
          }
          shares.push(...own);
        }
        expect(shares.sort((a, b) => a - b)).toEqual(Array.from({ length: m }, (_, i) => i));
        let logWords = 0;
        for (let w = 0; w < n; w++) logWords += co.ctl[WORKER_BASE + W.SIZE * w + W.LOG]!;
        expect(logWords / 3).toBeGreaterThan(want / 6);
        start = count;
        count += m;
      }
    },
  );
});
