/** The toy bench model's invariants: the assertions of hugetlb-toy.pml check(). */
import { invariant } from '../../checker/types.js';
import type { Invariant } from '../../checker/types.js';
import type { ToyParams, ToyState } from './state.js';

const SOURCE = 'bench/models/hugetlb-toy.pml check(); Documentation/vm/hugetlbfs_reserv.rst';

export const toyInvariants: readonly Invariant<ToyState, ToyParams>[] = [
  invariant<ToyState, ToyParams>({
    name: 'counters-in-range',
    doc: 'The pool counters satisfy 0 <= resv_huge_pages <= free_huge_pages <= P (hugetlbfs_reserv.rst: reservations are taken from free pages).',
    source: SOURCE,
    when: 'always',
    check: (g, p) => (0 <= g.R && g.R <= g.F && g.F <= p.P) || `R=${g.R} F=${g.F} P=${p.P}`,
  }),
  invariant<ToyState, ToyParams>({
    name: 'cached-page-has-map-entry',
    doc: 'Every huge page instantiated in the page cache has a reserve-map entry (vma_commit_reservation adds it before the page is added).',
    source: SOURCE,
    when: 'always',
    check(g) {
      let any = false;
      for (let i = 0; i < g.cache.length; i++) {
        if (g.cache[i]) {
          if (!g.rmap[i]) return `index ${i} is cached without a reserve-map entry`;
          any = true;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<ToyState, ToyParams>({
    name: 'quiescent-free-pages',
    doc: 'With no operation in flight, free_huge_pages == P minus the instantiated pages (hugetlbfs_reserv.rst: pages leave the free list only when instantiated).',
    source: SOURCE,
    when: 'quiescent',
    check(g, p) {
      let n = 0;
      for (let i = 0; i < g.cache.length; i++) if (g.cache[i]) n++;
      return g.F === p.P - n || `F=${g.F}, expected P - instantiated = ${p.P - n}`;
    },
  }),
  invariant<ToyState, ToyParams>({
    name: 'quiescent-resv-pages',
    doc: 'With no operation in flight, resv_huge_pages == the reserve-map entries without an instantiated page (hugetlbfs_reserv.rst: outstanding reservations).',
    source: SOURCE,
    when: 'quiescent',
    check(g) {
      let m = 0;
      for (let i = 0; i < g.cache.length; i++) if (g.rmap[i] && !g.cache[i]) m++;
      return g.R === m || `R=${g.R}, expected outstanding reservations = ${m}`;
    },
  }),
];
