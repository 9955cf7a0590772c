/**
 * params.thps > 1 (K tracked THPs, impl/thp-common/kthps.ts, spec/thp/kthps.ts) for the mapping between the two:
 * the abstraction is the single-THP one of each THP's record, an invariant holds when it holds of every record
 * (each names the THP it fails on), and `run --script` prints each record. At thps 1 all three are the
 * single-THP functions themselves.
 */
import type { Invariant, Observer } from '../../checker/types.js';
import { thpRecords } from '../../impl/thp-common/kthps.js';
import type { ThpView } from '../../spec/thp/machine.js';

const many = (p: { readonly thps?: number }): boolean => (p.thps ?? 1) > 1;

/** The abstraction of K records: one view per THP (KThpView; typed as the spec's ThpView, as SpecDef.view is). */
export function kAbstraction<G, P extends { readonly thps?: number }>(
  one: (g: Readonly<G>, p: P) => ThpView,
): (g: Readonly<G>, p: P) => ThpView {
  return (g, p) => (many(p) ? ({ kthps: thpRecords(g).map((r) => one(r, p)) } as unknown as ThpView) : one(g, p));
}

/** An invariant of every THP's record: the first failure (THP k), else true when it had something to check in one. */
export function kInvariant<G, P extends { readonly thps?: number }>(inv: Invariant<G, P>): Invariant<G, P> {
  return {
    ...inv,
    check(g, p, q) {
      if (!many(p)) return inv.check(g, p, q);
      let any: boolean | null = null;
      const all = thpRecords(g);
      for (let k = 0; k < all.length; k++) {
        const r = inv.check(all[k]!, p, q);
        if (r === false) return `THP ${k}: violated`;
        if (typeof r === 'string') return `THP ${k}: ${r}`;
        if (r === true) any = true;
      }
      return any;
    },
  };
}

export function kObserver<G, P extends { readonly thps?: number }>(
  one: Observer<G, ThpView, P>,
): Observer<G, ThpView, P> {
  return {
    impl: (g, p) => (many(p) ? { thps: thpRecords(g).map((r) => one.impl(r, p)) } : one.impl(g, p)),
    spec: (v, p) =>
      many(p) ? { thps: (v as unknown as { kthps: ThpView[] }).kthps.map((w) => one.spec(w, p)) } : one.spec(v, p),
  };
}
