/**
 * THP: registers the spec (spec/thp), the v4.5 – v6.1 implementation
 * (impl/thp) and the mapping between them (this folder: abstraction,
 * invariants, scenarios, variants, params, observer).
 */
import type { Subsystem } from '../../checker/types.js';
import { thpImpl } from '../../impl/thp/index.js';
import type { ThpParams, ThpState } from '../../impl/thp/page.js';
import {
  thpAnyChoices,
  thpAnyInternal,
  thpAnyPending,
  thpMachine,
  thpView,
  type ThpAnyContext,
  type ThpAnyView,
  type ThpView,
} from '../../spec/thp/machine.js';
import { knobsCustomize } from '../../checker/reshape.js';
import type { Scenario, ScenarioOptions } from '../../checker/types.js';
import { knobs } from './knobs.js';
import { thpOps } from './op-schemas.js';
import { abstraction as abstraction1 } from './abstraction.js';
import { invariants as invariants1 } from './invariants.js';
import { observer as observer1 } from './observer.js';
import { kAbstraction, kInvariant, kObserver } from './kthps.js';
import { parseParams } from './params.js';
import { scenarios } from './scenarios.js';
import { variants } from './variants.js';
import { thpFolio } from './folio/index.js';

/* params.thps > 1: every THP's record (kthps.ts); thps 1: the single-THP functions */
const abstraction = kAbstraction(abstraction1);
const invariants = invariants1.map(kInvariant);
const observer = kObserver(observer1);

export { abstraction, parseParams };

/** The knobs (knobs.ts) in the `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<ThpParams>, opts: ScenarioOptions): Scenario<ThpParams> =>
  knobsCustomize(knobs)(base, opts);

export const thp: Subsystem<ThpState, ThpView, ThpParams> = {
  name: 'thp',
  title: 'THP mapcount, refcount and split',
  description:
    'Transparent huge pages, v4.5-v6.1 design: head _refcount, per-subpage _mapcount, compound_mapcount, PG_double_map; split_huge_pmd, split_huge_page, deferred split, khugepaged, COW, GUP (slow, fast, FOLL_FORCE), the huge zero page, MADV_DONTNEED, NUMA hinting.',
  impl: thpImpl,
  opSchemas: thpOps,
  spec: {
    machine: thpMachine,
    input: (p: ThpParams) => p,
    event: (opName, args, choice) =>
      choice === undefined ? { type: opName, ...args } : { type: opName, ...args, choice },
    /* params.thps > 1: one view per THP (spec/thp/kthps.ts); the K = 1 view is ThpView itself */
    choices: (op, args, view) => thpAnyChoices(op, args, view as ThpAnyView),
    internal: (view: ThpView) => thpAnyInternal(view as ThpAnyView),
    pendingInternal: (view: ThpView, op, args) => thpAnyPending(view as ThpAnyView, op, args),
    view: (snap: { context: ThpAnyContext }) => thpView(snap.context) as ThpView,
  },
  abstraction,
  invariants,
  scenarios,
  variants,
  knobs,
  /*
   * --kernel-version: which of the modelled fixes a kernel lacks (checker: t.bug(fix) is true for them).
   * The counters are the v4.5 - v6.1 PG_double_map design in every version.
   */
  kernelVersions: {
    default: 'model',
    versions: [
      {
        name: '5.10',
        description:
          'linux-5.10.y: before 732ed55823fc (TTU_SYNC) and 57efa1fe5957 (GUP-fast vs fork), both v5.13; after a308c71bf1e6 (v5.9) removed the forced COW break, so R/O pins do not unshare (a7f226604170, v5.19); no PG_anon_exclusive (6c287605fd56, v5.19): COW reuse by page_count and reuse_swap_page; no folio_maybe_dma_pinned check after the unmap in reclaim (d824ec2a1546, v6.4)',
        lacks: ['T10', '57efa1fe5957', 'a7f226604170', '6c287605fd56', 'd824ec2a1546'],
      },
      {
        name: '5.13',
        description:
          'linux-5.13 - 5.18: a308c71bf1e6 removed the forced COW break, R/O pins do not unshare until a7f226604170 (v5.19); no PG_anon_exclusive until 6c287605fd56 (v5.19); no folio_maybe_dma_pinned check after the unmap in reclaim (d824ec2a1546, v6.4)',
        lacks: ['a7f226604170', '6c287605fd56', 'd824ec2a1546'],
      },
      {
        name: 'model',
        description:
          'every modelled fix applied: the v5.19+ COW and GUP of PG_anon_exclusive (6c287605fd56, a7f226604170) on the v5.10 - v6.1 PG_double_map counters',
        lacks: [],
      },
      {
        name: '6.1',
        description:
          'linux-6.1.y (Debian 12): every modelled fix applied (PG_anon_exclusive decides COW reuse and R/O pin unsharing); still the PG_double_map counters (removed in v6.2). `mmcheck conform thp --kernel 6.1` compares it',
        lacks: [],
      },
      {
        name: '6.12',
        description:
          'linux-6.12.y: every modelled fix applied; folio counters (entire_mapcount) whose user-visible values (/proc/kpagecount, pagemap) are the ones modelled. A 6.12 kernel is compared with the folio implementation (`--impl folio`, kernel/model-choice.ts); this one stays for `--impl compound --kernel-version 6.12`',
        lacks: [],
      },
    ],
  },
  customize,
  parseParams,
  observer,
  /* the folio-era design checked against the same spec: --impl folio (subsystems/thp/folio) */
  implName: 'compound',
  impls: [thpFolio],
};
