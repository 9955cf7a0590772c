/**
 * hugetlb reservation accounting: registers the spec (spec/hugetlb), the
 * kernel-faithful implementation (impl/hugetlb) and the mapping between them
 * (abstraction, invariants, scenarios, variants, findings in this directory).
 */
import type { ImplDef, Subsystem } from '../../checker/types.js';
import { OPS } from '../../impl/hugetlb/ops.js';
import { type G, initState, permuteThreads, stateSchema } from '../../impl/hugetlb/state.js';
import { hugetlbSpec } from '../../spec/hugetlb/machine.js';
import type { HugetlbView } from '../../spec/hugetlb/model.js';
import { knobsCustomize } from '../../checker/reshape.js';
import type { Scenario, ScenarioOptions } from '../../checker/types.js';
import { knobs } from './knobs.js';
import { hugetlbOps } from './op-schemas.js';
import { abstraction } from './abstraction.js';
import { findings } from './findings.js';
import { invariants } from './invariants.js';
import { type HugetlbParams, parseParams } from './params.js';
import { deepScenarios } from './profiles.js';
import { scenarios as baseScenarios } from './scenarios.js';
import { migrateScenarios } from './scenarios-migrate.js';
import { numaScenarios } from './scenarios-numa.js';
import { pinScenarios } from './scenarios-pin.js';
import { memfdScenarios, pmdShareScenarios } from './scenarios-pmd-share.js';
import { subpoolScenarios } from './scenarios-subpool.js';
import { surgeryScenarios } from './scenarios-surgery.js';
import { variants } from './variants.js';

export type { HugetlbParams };
const scenarios = [
  ...baseScenarios,
  ...surgeryScenarios,
  ...migrateScenarios,
  ...numaScenarios,
  ...pmdShareScenarios,
  ...memfdScenarios,
  ...pinScenarios,
  ...subpoolScenarios,
];

export { abstraction, findings, invariants, parseParams, scenarios, variants };

const impl: ImplDef<G, HugetlbParams> = {
  state: stateSchema,
  init: (p) => initState(p),
  ops: OPS,
  permuteThreads,
};

/** The knobs (knobs.ts) in the `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<HugetlbParams>, opts: ScenarioOptions): Scenario<HugetlbParams> =>
  knobsCustomize(knobs)(base, opts);

export const hugetlb: Subsystem<G, HugetlbView, HugetlbParams> = {
  name: 'hugetlb',
  title: 'hugetlb reservation accounting',
  description:
    'hugetlbfs reservations (Documentation/vm/hugetlbfs_reserv.rst): resv_map two-phase region_chg/region_add, subpool min/max arithmetic, surplus pages, COW with unmap_ref_private, error-path restore_reserve_on_error.',
  impl,
  opSchemas: hugetlbOps,
  spec: hugetlbSpec,
  abstraction,
  invariants,
  scenarios,
  profiles: { deep: deepScenarios },
  variants,
  findings,
  knobs,
  customize,
  parseParams,
  kernelVersions: {
    default: 'mainline',
    versions: [
      {
        name: '6.1',
        description: 'linux-6.1.y as Debian bookworm ships it (linux-image-6.1.0-*-amd64)',
        // df7a6d1f6405 (zap restores the owner's reservation, v6.9): Debian's 6.1.192 does not restore it
        // (conform smoke seed 20261205: madvise_dontneed and punch on private mappings), 6.12.118 does
        // b72b3c9c34c8 (a node's nr_hugepages write with surplus pages elsewhere) is v6.7-rc1: v6.1 has the old
        // line and no stable backport was found (deepin carried it into its 6.6.y tree from mainline); the probe
        // VM has one NUMA node, so no kernel run can tell (subsystems/hugetlb/NOTES.md "Per-node pools")
        // aabf58bfaace (set_max_huge_pages() min_count with surplus pages, v6.15-rc3): Debian's 6.1.192 and
        // 6.12.118 still have min_count = resv + nr - free (no stable backport); no one-node kernel run can tell
        // cb402bbdabca (memory offline adjusts the node's surplus count, v6.14): Debian's linux-source-6.1
        // 6.1.192-3 has remove_hugetlb_page(h, head, false) in dissolve_free_huge_page() (mm/hugetlb.c);
        // 6.12.118-1~deb12u1's dissolve_free_hugetlb_folio() has the backport (adjust_surplus from
        // surplus_huge_pages_node[folio_nid(folio)])
        // 2273dea6b1e1 (nr_huge_pages and surplus_huge_pages in one lock cycle, 2025): not in Debian's 6.1.192
        // nor 6.12.118 (alloc_surplus_huge_page / alloc_surplus_hugetlb_folio still call alloc_fresh_*)
        // 37641efaa3fa (hugetlb_no_page() prepares the anon_vma before the allocation, v6.9): Debian's 6.1.192
        // calls anon_vma_prepare() after alloc_huge_page() (linux-source-6.1 mm/hugetlb.c); confirmed with an
        // injected failure: finding-restore-on-surplus-page REPRODUCED on 6.1.192, DIVERGED on 6.12.118 before the fix
        lacks: [
          'a833a693a490',
          'df7a6d1f6405',
          'b72b3c9c34c8',
          'aabf58bfaace',
          'cb402bbdabca',
          '2273dea6b1e1',
          '37641efaa3fa',
        ],
      },
      {
        name: '6.12',
        description: 'linux-6.12.y as Debian bookworm-backports ships it (linux-image-6.12.*+deb12-amd64)',
        lacks: ['a833a693a490', 'aabf58bfaace', '2273dea6b1e1'], // aabf58bfaace, 2273dea6b1e1: as for 6.1
      },
      {
        name: 'mainline',
        description: 'newest upstream behaviour modelled (mm/hugetlb.c after a833a693a490 and its follow-up)',
        lacks: [],
      },
    ],
  },
  observer: {
    impl: (g) => ({ HugePages_Total: g.nr, HugePages_Free: g.free, HugePages_Rsvd: g.resv, HugePages_Surp: g.surp }),
    spec: (v) => ({ HugePages_Total: v.total, HugePages_Free: v.free, HugePages_Rsvd: v.rsvd, HugePages_Surp: v.surp }),
  },
};
