/**
 * abstraction(impl) of a product state as an interned spec view id, cached:
 * per step-memo impl id (../step-memo.ts), else by the impl state's exact
 * encoding. The abstraction is a function of the encoded state (anything
 * else would also break deduplication), and the same impl state recurs at
 * quiescence under many thread and linearization states.
 */
import { IntArrayInterner } from '../intern.js';
import { SpecError, type SpecAdapter } from '../spec-adapter.js';
import type { StepMemo } from '../step-memo.js';

export class AbstractionCache<G> {
  /** Encodings cached by exact key before the cache is dropped (bounds its memory). */
  private static readonly ABS_CACHE = 1 << 17;
  private absKeys = new IntArrayInterner();
  private absIds: number[] = [];

  constructor(
    private readonly abstraction: (g: G, params: any) => unknown,
    private readonly params: unknown,
    private readonly spec: SpecAdapter,
    private readonly decodeAt: (a: Int32Array, at: number) => G,
  ) {}

  /**
   * The abstraction id of the impl state encoded at a[at, at+len) (decoded
   * `g`, when the caller has it), whose step-memo id in `memo` is `implId`
   * (-1: none). Exact keys (no hash-only match).
   */
  idCached(
    g: G | undefined,
    memo: StepMemo | undefined,
    implId: number,
    a: Int32Array,
    at: number,
    len: number,
  ): number {
    const m = implId >= 0 ? memo : undefined;
    if (m) {
      const known = m.absId(implId);
      if (known >= 0) return known;
    }
    const k = this.absKeys.internAt(a, at, len);
    let id = this.absIds[k];
    if (id === undefined) {
      id = this.id(g ?? this.decodeAt(a, at));
      this.absIds[k] = id;
      if (this.absKeys.size >= AbstractionCache.ABS_CACHE) {
        this.absKeys = new IntArrayInterner();
        this.absIds = [];
      }
    }
    if (m) m.setAbsId(implId, id);
    return id;
  }

  /** The abstraction id of `g`, uncached (a SpecError when the abstraction throws). */
  id(g: G): number {
    let abs: unknown;
    try {
      abs = this.abstraction(g, this.params);
    } catch (e) {
      throw new SpecError(`abstraction threw: ${(e as Error).message}`);
    }
    return this.spec.internView(abs);
  }
}
