/** Spec views and abstractions are interned by their contents. */
import { describe, expect, test } from 'vitest';
import { canonicalOrder, Interner } from '../../checker/intern.js';

describe('view interning', () => {
  test('a Map or Set in a view is not silently equal to every other Map or Set', () => {
    const views = new Interner<unknown>();
    let distinct: boolean;
    try {
      distinct = views.intern({ s: new Set([1]) }) !== views.intern({ s: new Set([2]) });
    } catch {
      distinct = true; // refusing non-plain data is fine too
    }
    expect(distinct).toBe(true);
  });
});

describe('canonical order (how a trace lists spec states)', () => {
  test('the same values give the same order whatever order they come in, keys order-insensitive', () => {
    const a = { rsvd: 0, files: [{ cache: [0, 1] }] };
    const b = { rsvd: 1, files: [{ cache: [1] }] };
    const c = { files: [], rsvd: 2 };
    const once = canonicalOrder([a, b, c]);
    expect(canonicalOrder([c, b, a])).toEqual(once);
    expect(canonicalOrder([b, c, a])).toEqual(once);
    expect(canonicalOrder([{ files: [{ cache: [1] }], rsvd: 1 }, c, a])).toEqual(once);
    expect(new Set(once)).toEqual(new Set([a, b, c]));
  });
});
