/**
 * Subsystems that can be driven on a real kernel, by name: their op -> C
 * mapping and prediction (subsystems/<sub>/probe.ts). Used by
 * `mmcheck reproduce` and `mmcheck conform`.
 */
import type { KernelMapping } from '../kernel/types.js';
import { hugetlbProbe } from './hugetlb/probe.js';
import { thpProbe } from './thp/probe.js';

export const kernelMappings: Readonly<Record<string, KernelMapping<any>>> = {
  hugetlb: hugetlbProbe,
  thp: thpProbe,
};
