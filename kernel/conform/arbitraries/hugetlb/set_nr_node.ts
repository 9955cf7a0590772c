/**
 * Write a node's nr_hugepages (/sys/devices/system/node/node<nid>/hugepages/hugepages-2048kB/nr_hugepages):
 * only in scripts with per-node pools (params.nodePool > 1, the probe VM then boots that many nodes).
 */
import fc from 'fast-check';
import { LIMITS } from '../../../../spec/hugetlb/params.js';
import type { OpGen } from '../../profile.js';
import type { HugetlbGenModel, P } from './model.js';

export const setNrNode: OpGen<P, HugetlbGenModel> = {
  op: 'set_nr_node',
  // as often as set_nr in the scripts that have nodes (the others drop it)
  weight: 4,
  draw: () => fc.record({ nid: fc.nat(), n: fc.integer({ min: 0, max: LIMITS.maxPages }) }),
  resolve: (_m, raw, p) =>
    (p.nodePool ?? 1) > 1 ? { nid: Number(raw.nid) % p.nodePool!, n: Number(raw.n) } : undefined,
  apply(m) {
    m.poolResized = true;
  },
};
