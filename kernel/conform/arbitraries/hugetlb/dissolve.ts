/**
 * Memory offline of the block holding the huge pages of the lowest node with a free one
 * (probe-c-nodes.ts h_dissolve: the node's hot-plugged DIMM; impl/hugetlb/dissolve.ts). The
 * implementation's block holds free pages only: a page in use in it would be migrated first by
 * offline_pages' do_migrate_range (mm/memory_hotplug.c @ v6.1 / v6.12), which is not modelled. So
 * the op is generated only where no huge page can be in use: no mapping, no pin, and every file
 * that may hold page-cache pages truncated to 0. When the state is not such, the setup steps make
 * it so (munmap of every mapping, unpin of every pin, truncate to 0 of every such file); when a
 * file that may hold pages is closed or its mount may be gone (the truncate could not free its
 * pages, as for a memfd, sealed against shrinking), the step is dropped. Not in a script with a
 * long-term pin (pin, udmabuf), nor a pin after it: the script boots with the DIMM, and a
 * long-term pin migrates a page out of ZONE_MOVABLE first (model.ts offlined).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P } from './model.js';

/** No huge page can be in use (as far as generation knows). */
const quiet = (m: Readonly<HugetlbGenModel>): boolean =>
  liveSlots(m).length === 0 && !m.pinned.some((x) => x) && !m.touched.some((x) => x);

export const dissolve: OpGen<P, HugetlbGenModel> = {
  op: 'dissolve',
  weight: 2,
  draw: () => fc.record({}),
  resolve: (m) => (quiet(m) && !m.longterm ? {} : undefined),
  setup(m, _raw, p) {
    if (m.longterm) return undefined; // model.ts offlined
    const files = m.touched.flatMap((t, f) => (t ? [f] : []));
    // a memfd is sealed against shrinking (EPERM): its pages stay
    if (files.some((f) => m.closed[f] || m.memfd[f] || !m.mounted[p.fileMount[f] ?? -1])) return undefined;
    return [
      ...liveSlots(m).map((v) => ({ op: 'munmap', args: { v } })),
      ...m.pinned.flatMap((b, k) => (b ? [{ op: 'unpin', args: { k } }] : [])),
      ...files.map((f) => ({ op: 'truncate', args: { f, size: 0 } })),
    ];
  },
  apply(m) {
    m.offlined = true;
  },
};
