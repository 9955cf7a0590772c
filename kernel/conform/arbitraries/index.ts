/** Conformance profiles by subsystem: the subsystems `mmcheck conform` can generate scripts for. */
import type { ConformProfile } from '../profile.js';
import { hugetlbProfile } from './hugetlb/index.js';
import { thpProfile } from './thp/index.js';

export const profiles: Readonly<Record<string, ConformProfile>> = {
  hugetlb: hugetlbProfile,
  thp: thpProfile,
};
