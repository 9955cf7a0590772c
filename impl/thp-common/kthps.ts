/**
 * K tracked THPs (params.thps, issue 12 item 3), for both THP implementations.
 *
 * The state of K > 1 THPs is one record per THP, `thps[k]`, each the single-THP state of that THP's aligned
 * range: its pages and counters, and per mm the PMD slot and PTE table of that range (the layout of the NOTES
 * design table, nested by THP). What the kernel keeps once per mm or once per mapping is shared: every record
 * holds the same value, copied to the others after each step of an operation on one THP (`syncShared`):
 *
 *   - `mms[m].mmap_lock` and `mms[m].write_protect_seq`: mm-wide (include/linux/mm_types.h @ v6.1);
 *   - `rmap_lock`: the anon_vma rwsem of the VMA the ranges sit in (a VMA split or fork keeps one anon_vma
 *     root: mm/rmap.c anon_vma_clone() @ v6.1), for a file the mapping's i_mmap_rwsem;
 *   - `zero_data`: the huge zero page is one page (mm/huge_memory.c get_huge_zero_page() @ v6.1).
 *
 * fork() copies every range under one mmap_write_lock() and one write_protect_seq window, as dup_mmap() copies
 * the VMA's page tables (kernel/fork.c dup_mmap() → copy_page_range() @ v6.1): its steps run THP by THP
 * (`t.l.kthp`), and the copy step of every THP but the last keeps the locks and the seqcount odd.
 * Every other operation names one THP (`args.thp`, default 0) and runs the single-THP steps on its record.
 *
 * Coarsened (NOTES.md "Several THPs: K tracked THPs (session 17)"): each range has its own PMD lock (the kernel's
 * split PMD lock is per PMD table page, so two ranges in one table share it: the model allows PMD-level
 * interleavings the kernel excludes), its own VMA pieces (a VMA operation names a range within one THP), its own
 * deferred split queue membership (no order between the two THPs on the queue; params.prior keeps the order
 * of an untracked THP before a single one) and its own copy pool and swap cluster.
 *
 * K = 1 is the single-THP state and steps themselves (not a record list of one), so every K = 1 state vector,
 * count and trace is the one before this module.
 */
import { S, type Schema } from '../../checker/schema.js';
import { arg, badMm, thpOf } from './steps.js';
import { done, type ImplDef, type OpDef, type StepDef, type ThreadCtx } from '../../checker/types.js';

/** The fields every THP record shares with the others (see above). */
export interface KShared {
  rmap_lock: number;
  zero_data: number;
  readonly mms: { mmap_lock: number; write_protect_seq: number }[];
}

export interface KParams {
  readonly mms: number;
  readonly nr: number;
  readonly kind: 'anon' | 'file';
  readonly thps?: number;
}

/** K tracked THPs: one single-THP record each. */
export interface KState<G> {
  thps: G[];
}

export const thpCount = (p: { readonly thps?: number }): number => p.thps ?? 1;

/** Copy the shared fields of record k to every other record. */
export function syncShared<G extends KShared>(all: G[], k: number): void {
  const src = all[k]!;
  for (let j = 0; j < all.length; j++) {
    if (j === k) continue;
    const dst = all[j]!;
    dst.rmap_lock = src.rmap_lock;
    dst.zero_data = src.zero_data;
    for (let m = 0; m < src.mms.length; m++) {
      dst.mms[m]!.mmap_lock = src.mms[m]!.mmap_lock;
      dst.mms[m]!.write_protect_seq = src.mms[m]!.write_protect_seq;
    }
  }
}

/** The step names of an implementation's fork (its kernel/fork.c dup_mmap() phases). */
export interface ForkSteps {
  readonly lock: string;
  readonly check: string;
  readonly copy: string;
}

type Any = any; // the state is the single record (K = 1) or KState (K > 1), told apart by t.params.thps

/** One operation on the THP `args.thp` names. */
function routed<G extends KShared, P extends KParams>(op: OpDef<G, P>): OpDef<Any, P> {
  const steps = op.steps.map((s, idx): StepDef<Any, P> => ({
    name: s.name,
    ...(s.threadLocal ? { threadLocal: true } : {}),
    ...(s.enabled
      ? {
          enabled: (g: Any, t: ThreadCtx<P>) => {
            if (thpCount(t.params) === 1) return s.enabled!(g, t);
            const k = thpOf(t);
            return k < 0 || k >= thpCount(t.params) || s.enabled!((g as KState<G>).thps[k]!, t);
          },
        }
      : {}),
    run: (g: Any, t: ThreadCtx<P>) => {
      if (thpCount(t.params) === 1) return s.run(g, t);
      const k = thpOf(t);
      if (idx === 0 && (k < 0 || k >= thpCount(t.params))) return done('EINVAL');
      const all = (g as KState<G>).thps;
      const r = s.run(all[k]!, t);
      if (!s.threadLocal) syncShared(all, k);
      return r;
    },
  }));
  return { ...op, steps };
}

/** fork(): the single-THP fork's steps, THP by THP, under one mmap_write_lock and write_protect_seq window. */
function forkAll<G extends KShared & { readonly mms: { pmd: string }[] }, P extends KParams>(
  op: OpDef<G, P>,
  names: ForkSteps,
): OpDef<Any, P> {
  const locals = op.locals ?? [];
  const src = (t: ThreadCtx<P>): number => arg(t, 'src');
  const dst = (t: ThreadCtx<P>): number => arg(t, 'dst');
  const steps = op.steps.map((s): StepDef<Any, P> => {
    const enabled = s.enabled;
    const one = (g: Any, t: ThreadCtx<P>): G => (g as KState<G>).thps[t.l.kthp ?? 0]!;
    if (s.name === names.lock)
      return {
        name: s.name,
        enabled: (g, t) => {
          if (!enabled) return true;
          if (thpCount(t.params) === 1) return enabled(g, t);
          return (g as KState<G>).thps.every((r) => enabled(r, t));
        },
        run: (g, t) => {
          if (thpCount(t.params) === 1) return s.run(g, t);
          const all = (g as KState<G>).thps;
          const sm = src(t);
          const dm = dst(t);
          const fits = !badMm(t, sm) && !badMm(t, dm) && sm !== dm;
          /* copy_page_range() of a range the child maps already: the single-THP fork's EEXIST, for any range */
          if (fits && t.params.kind === 'anon' && all.some((r) => r.mms[dm]!.pmd !== 'none')) return done('EEXIST');
          const r0 = s.run(all[0]!, t);
          syncShared(all, 0);
          if (typeof r0 !== 'string') return r0;
          for (let k = 1; k < all.length; k++) {
            const rk = s.run(all[k]!, t); /* anon_vma_fork() of the same VMA: each range's rmap walk order */
            if (rk !== r0) throw new Error(`kthps fork: THP ${k} lock step went to ${String(rk)}, THP 0 to ${r0}`);
            syncShared(all, k);
          }
          t.l.kthp = 0;
          return r0;
        },
      };
    const copy = s.name === names.copy;
    return {
      name: s.name,
      ...(enabled
        ? { enabled: (g: Any, t: ThreadCtx<P>) => (thpCount(t.params) === 1 ? enabled(g, t) : enabled(one(g, t), t)) }
        : {}),
      run: (g: Any, t: ThreadCtx<P>) => {
        if (thpCount(t.params) === 1) return s.run(g, t);
        const all = (g as KState<G>).thps;
        const k = t.l.kthp ?? 0;
        const r = all[k]!;
        if (!copy || k === all.length - 1) {
          const out = s.run(r, t);
          syncShared(all, k);
          return out;
        }
        /* not the last range: copy_page_range() goes on to the next PMD; the locks and the seqcount stay */
        const sm = r.mms[src(t)]!;
        const dmm = r.mms[dst(t)]!;
        const kept = [sm.mmap_lock, dmm.mmap_lock, sm.write_protect_seq] as const;
        const out = s.run(r, t);
        if (typeof out === 'string') throw new Error(`kthps fork: the copy step went on to ${out}`);
        [sm.mmap_lock, dmm.mmap_lock, sm.write_protect_seq] = kept;
        syncShared(all, k);
        for (const l of locals) t.l[l] = 0;
        t.l.kthp = k + 1;
        return names.check;
      },
    };
  });
  return { ...op, locals: [...locals, 'kthp'], steps };
}

/**
 * The implementation of K tracked THPs from the single-THP one: the state schema, init, symmetry declaration and
 * every operation (fork copies all ranges; the rest name one THP).
 */
export function kThps<G extends KShared & { readonly mms: { pmd: string }[] }, P extends KParams>(
  inner: ImplDef<G, P>,
  fork: ForkSteps,
): ImplDef<Any, P> {
  const innerSchema = (p: P): Schema<G> => (typeof inner.state === 'function' ? inner.state(p) : inner.state);
  const kSchemas = new Map<Schema<G>, Schema<KState<G>>>();
  const state = (p: P): Schema<Any> => {
    const one = innerSchema(p);
    if (thpCount(p) === 1) return one;
    let k = kSchemas.get(one);
    if (!k) kSchemas.set(one, (k = S.struct({ thps: S.list(one) }) as unknown as Schema<KState<G>>));
    return k;
  };
  const ops: Record<string, OpDef<Any, P>> = {};
  for (const [name, op] of Object.entries(inner.ops)) ops[name] = name === 'fork' ? forkAll(op, fork) : routed(op);
  const permute = inner.permuteThreads;
  return {
    state,
    init: (p) =>
      thpCount(p) === 1 ? inner.init(p) : { thps: Array.from({ length: thpCount(p) }, () => inner.init(p)) },
    ops,
    ...(permute
      ? {
          permuteThreads(g: Any, perm) {
            if (Array.isArray((g as Partial<KState<G>>).thps)) for (const r of (g as KState<G>).thps) permute(r, perm);
            else permute(g as G, perm);
          },
        }
      : {}),
  };
}

/** The record of THP k (K > 1) or the state itself (K = 1): for abstractions, invariants and observers. */
export function thpRecords<G>(g: G | KState<G>): readonly G[] {
  const k = g as Partial<KState<G>>;
  return Array.isArray(k.thps) ? k.thps : [g as G];
}
