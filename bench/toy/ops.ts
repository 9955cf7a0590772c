/**
 * The toy bench model's implementation: reserve, fault and truncate, one
 * mmcheck step per Promela d_step of bench/models/hugetlb-toy.pml.
 */
import { done } from '../../checker/types.js';
import type { ImplDef, ThreadCtx } from '../../checker/types.js';
import type { Schema } from '../../checker/schema.js';
import { toySchema, type ToyParams, type ToyState } from './state.js';

type Ctx = ThreadCtx<ToyParams>;

const ENOMEM = -12;

/** Number of indices in [f, e) without a reserve-map entry (region_chg / region_add count). */
function unmapped(g: Readonly<ToyState>, f: number, e: number): number {
  let n = 0;
  for (let i = f; i < e; i++) if (!g.rmap[i]) n++;
  return n;
}

/**
 * The implementation. The schema depends on K, so the impl is built per K;
 * `toy.impl` is the one for the small configuration and `toyImpl(K)` gives
 * any other. Step functions do not depend on K beyond the params.
 */
const impls = new Map<number, ImplDef<ToyState, ToyParams>>();
export function toyImpl(K: number): ImplDef<ToyState, ToyParams> {
  let d = impls.get(K);
  if (!d) {
    d = makeImpl(toySchema(K));
    impls.set(K, d);
  }
  return d;
}

// the op table mirrors bench/models/hugetlb-toy.pml
// proctype by proctype, so a reader compares the two side by side
// eslint-disable-next-line max-lines-per-function -- see the comment above
function makeImpl(state: Schema<ToyState>): ImplDef<ToyState, ToyParams> {
  return {
    state,
    init(p: ToyParams): ToyState {
      return {
        F: p.P,
        R: 0,
        rmap: new Array<boolean>(p.K).fill(false),
        cache: new Array<boolean>(p.K).fill(false),
        ilock: 0,
        nfault: 0,
        fmutex: new Array<boolean>(p.K).fill(false),
      };
    },
    ops: {
      reserve: {
        doc: 'mmap of [from, to) -> hugetlb_reserve_pages(): region_chg, hugetlb_acct_memory, region_add (+ refund when add < chg)',
        locals: ['c'],
        steps: [
          {
            // inode lock, region_chg(): c = entries to add
            name: 'region_chg',
            enabled: (g: Readonly<ToyState>) => g.ilock === 0,
            run(g: ToyState, t: Ctx) {
              g.ilock = t.tid + 1;
              t.l.c = unmapped(g, t.args.from as number, t.args.to as number);
              return 'hugetlb_acct_memory';
            },
          },
          {
            // hugetlb_acct_memory(chg) under hugetlb_lock
            name: 'hugetlb_acct_memory',
            run(g: ToyState, t: Ctx) {
              const c = t.l.c!;
              if (c > g.F - g.R) {
                // not enough free unreserved pages: region_abort(), -ENOMEM
                g.ilock = 0;
                return done(ENOMEM);
              }
              g.R += c;
              return 'region_add';
            },
          },
          {
            // region_add(); if it added fewer than chg, give the difference back
            name: 'region_add',
            run(g: ToyState, t: Ctx) {
              const from = t.args.from as number;
              const to = t.args.to as number;
              const add = unmapped(g, from, to);
              for (let i = from; i < to; i++) g.rmap[i] = true;
              const c = t.l.c!;
              if (t.bug('BUG')) {
                // BUG: the "chg > add" fix-up is forgotten
              } else if (add < c) {
                g.R -= c - add;
              }
              g.ilock = 0;
              return done(0);
            },
          },
        ],
      },
      fault: {
        doc: 'hugetlb_fault() on index: fault mutex + vma_needs_reservation, dequeue_huge_page_vma, vma_commit_reservation',
        locals: ['c'],
        steps: [
          {
            // hugetlb_fault(x): fault mutex, page-cache lookup, vma_needs_reservation()
            name: 'vma_needs_reservation',
            enabled: (g: Readonly<ToyState>, t: Ctx) => !g.fmutex[t.args.index as number],
            run(g: ToyState, t: Ctx) {
              const x = t.args.index as number;
              if (g.cache[x]) return done(0); // page already instantiated: nothing to do
              g.fmutex[x] = true;
              g.nfault++;
              t.l.c = g.rmap[x] ? 0 : 1;
              return 'dequeue_huge_page';
            },
          },
          {
            // dequeue_huge_page_vma() under hugetlb_lock
            name: 'dequeue_huge_page',
            run(g: ToyState, t: Ctx) {
              if (t.l.c === 0) {
                // reservation exists: consume it
                g.F--;
                g.R--;
                return 'vma_commit_reservation';
              }
              if (g.F - g.R > 0) {
                // no reservation: take an unreserved free page
                g.F--;
                return 'vma_commit_reservation';
              }
              // no page: vma_end_reservation(), SIGBUS
              g.fmutex[t.args.index as number] = false;
              g.nfault--;
              return done('SIGBUS');
            },
          },
          {
            // vma_commit_reservation() (region_add of one page), fix-up, add to page cache
            name: 'vma_commit_reservation',
            run(g: ToyState, t: Ctx) {
              const x = t.args.index as number;
              const n = g.rmap[x] ? 0 : 1; // region_add() result
              g.rmap[x] = true;
              if (t.l.c! > n) g.R--; // reserve_pages added the entry meanwhile
              g.cache[x] = true;
              g.fmutex[x] = false;
              g.nfault--;
              return done(0);
            },
          },
        ],
      },
      truncate: {
        doc: 'truncate to `to`: remove_inode_hugepages() + hugetlb_unreserve_pages(to, LONG_MAX, freed), one step',
        steps: [
          {
            name: 'truncate',
            enabled: (g: Readonly<ToyState>) => g.ilock === 0 && g.nfault === 0,
            run(g: ToyState, t: Ctx) {
              const K = t.params.K;
              let freed = 0;
              let del = 0;
              for (let i = t.args.to as number; i < K; i++) {
                if (g.cache[i]) {
                  g.cache[i] = false; // free page: F++
                  freed++;
                }
                if (g.rmap[i]) {
                  g.rmap[i] = false; // region_del
                  del++;
                }
              }
              g.F += freed;
              g.R -= del - freed; // chg - freed = unconsumed reservations
              return done(0);
            },
          },
        ],
      },
    },
  };
}
