/**
 * hugetlb scenario parameters: validation of scenario files and the reshaping
 * knobs (--threads, --ops, --pool, --file-size) this subsystem accepts.
 */
import { LIMITS, type HugetlbParams, type MountParam } from '../../spec/hugetlb/params.js';

export type { HugetlbParams };

function int(raw: unknown, path: string, lo: number, hi: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < lo || raw > hi)
    throw new Error(`hugetlb params: ${path} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(raw)}`);
  return raw;
}

export function parseParams(raw: unknown): HugetlbParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('hugetlb params: expected an object');
  const r = raw as Record<string, unknown>;
  const known = [
    'pool',
    'overcommit',
    'fileSize',
    'mounts',
    'fileMount',
    'vmas',
    'numa',
    'inject',
    'pud',
    'nodePool',
    'membind',
  ];
  for (const k of Object.keys(r))
    if (!known.includes(k)) throw new Error(`hugetlb params: unknown field '${k}' (known: ${known.join(', ')})`);
  const pool = int(r.pool ?? 2, 'pool', 0, LIMITS.maxPages);
  const overcommit = int(r.overcommit ?? 0, 'overcommit', 0, LIMITS.maxPages);
  const fileSize = int(r.fileSize ?? 2, 'fileSize', 1, LIMITS.maxFileSize);
  const vmas = int(r.vmas ?? 2, 'vmas', 1, LIMITS.maxVmas);
  const mountsRaw = r.mounts ?? [{ size: -1, min: -1, mounted: true }];
  if (!Array.isArray(mountsRaw) || mountsRaw.length < 1 || mountsRaw.length > LIMITS.maxMounts)
    throw new Error(`hugetlb params: mounts must be a list of 1..${LIMITS.maxMounts} {size, min, mounted}`);
  let minTotal = 0;
  const mounts: MountParam[] = mountsRaw.map((m, k) => {
    if (typeof m !== 'object' || m === null) throw new Error(`hugetlb params: mounts[${k}] must be an object`);
    const mm = m as Record<string, unknown>;
    const size = int(mm.size ?? -1, `mounts[${k}].size`, -1, LIMITS.maxPages);
    const min = int(mm.min ?? -1, `mounts[${k}].min`, -1, LIMITS.maxPages);
    const mounted = mm.mounted ?? true;
    if (typeof mounted !== 'boolean') throw new Error(`hugetlb params: mounts[${k}].mounted must be a boolean`);
    if (size !== -1 && min > size) throw new Error(`hugetlb params: mounts[${k}] min_size ${min} > size ${size}`);
    if (mounted && min > 0) minTotal += min;
    const internal = mm.internal ?? false;
    if (typeof internal !== 'boolean') throw new Error(`hugetlb params: mounts[${k}].internal must be a boolean`);
    if (internal && (size !== -1 || min !== -1 || !mounted))
      throw new Error(`hugetlb params: mounts[${k}] is internal: no size, no min_size, mounted`);
    return internal ? { size, min, mounted, internal } : { size, min, mounted };
  });
  if (minTotal > pool) throw new Error(`hugetlb params: mounted min_size total ${minTotal} exceeds pool ${pool}`);
  const fmRaw = r.fileMount ?? [0];
  if (!Array.isArray(fmRaw) || fmRaw.length < 1 || fmRaw.length > LIMITS.maxFiles)
    throw new Error(`hugetlb params: fileMount must list the mount of each of 1..${LIMITS.maxFiles} files`);
  const fileMount = fmRaw.map((x, k) => int(x, `fileMount[${k}]`, 0, mounts.length - 1));
  if ((fileMount.length + vmas) * fileSize > 31)
    throw new Error('hugetlb params: (files + vmas) * fileSize must be <= 31');
  const numa = r.numa ?? false;
  const inject = r.inject ?? false;
  if (typeof numa !== 'boolean') throw new Error('hugetlb params: numa must be a boolean');
  if (typeof inject !== 'boolean') throw new Error('hugetlb params: inject must be a boolean');
  const pud = int(r.pud ?? 0, 'pud', 0, LIMITS.maxFileSize);
  const nodePool = int(r.nodePool ?? 1, 'nodePool', 1, LIMITS.maxNodes);
  // params.numa (HR-13's disallowed-node coarsening) is the one-node stand-in for per-node pools
  if (nodePool > 1 && numa) throw new Error('hugetlb params: nodePool > 1 needs numa false');
  const membind = r.membind === undefined ? undefined : int(r.membind, 'membind', 0, nodePool - 1);
  if (membind !== undefined && nodePool < 2) throw new Error('hugetlb params: membind needs nodePool > 1');
  const base = { pool, overcommit, fileSize, mounts, fileMount, vmas, numa, inject, pud };
  // one node: the fields stay absent, so one-node scenarios print and hash as before
  if (nodePool === 1) return base;
  return membind === undefined ? { ...base, nodePool } : { ...base, nodePool, membind };
}
