/** Spec views and abstractions are interned by their contents. */
import { describe, expect, test } from 'vitest';
import { Interner } from '../../checker/intern.js';

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
