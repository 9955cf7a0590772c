/**
 * hugetlb reservation accounting: spec (spec/hugetlb) + kernel-faithful
 * implementation (impl/hugetlb) + abstraction, invariants, scenarios, variants.
 */
import { flagInRange, reshapeThreads } from '../../checker/reshape.js';
import { invariant, type ImplDef, type Invariant, type OpChoice, type Scenario, type ScenarioOptions, type Subsystem, type Variant } from '../../checker/types.js';
import { OPS } from '../../impl/hugetlb/ops.js';
import { coveredSet, regionCount, regionsWellFormed } from '../../impl/hugetlb/regions.js';
import {
  type G,
  HPAGE_RESV_OWNER,
  HPAGE_RESV_UNMAPPED,
  initState,
  KIND_NAMES,
  PRIVATE,
  SP_MOUNTED,
  stateSchema,
  V_LIVE,
} from '../../impl/hugetlb/state.js';
import { hugetlbSpec } from '../../spec/hugetlb/machine.js';
import { EMPTY_VMA, type HugetlbView, type VmaKind } from '../../spec/hugetlb/model.js';
import { LIMITS, type HugetlbParams, type MountParam } from '../../spec/hugetlb/params.js';

export type { HugetlbParams };

// ---------------------------------------------------------------------------
// abstraction
// ---------------------------------------------------------------------------

export function abstraction(g: Readonly<G>, p: HugetlbParams): HugetlbView {
  return {
    total: g.nr,
    free: g.free,
    rsvd: g.resv,
    surp: g.surp,
    overcommit: g.over,
    spools: g.spool.map((s) =>
      s.st === SP_MOUNTED
        ? { mounted: true, max: s.max, min: s.min, used: s.used, rsv: s.rsv }
        : { mounted: false, max: -1, min: -1, used: 0, rsv: 0 },
    ),
    files: g.file.map((f, k) => ({ mount: p.fileMount[k]!, size: f.size, resv: coveredSet(f.reg), cache: f.pc.slice() })),
    vmas: g.vma.map((v) => {
      if (v.st !== V_LIVE) return { ...EMPTY_VMA, resv: [], anon: [], cow: [] };
      const owner = v.kind === PRIVATE && (v.flags & HPAGE_RESV_OWNER) !== 0;
      const resv: number[] = [];
      if (owner) {
        const consumed = coveredSet(v.reg);
        for (let i = v.from; i < v.to; i++) if (!consumed.includes(i)) resv.push(i);
      }
      return {
        kind: KIND_NAMES[v.kind] as VmaKind,
        src: v.src,
        from: v.from,
        to: v.to,
        owner,
        unmapped: (v.flags & HPAGE_RESV_UNMAPPED) !== 0,
        resv,
        anon: v.anon.slice(),
        cow: v.cow.slice(),
        peer: v.peer,
      };
    }),
  };
}

// ---------------------------------------------------------------------------
// invariants
// ---------------------------------------------------------------------------

/** Pages in use: page cache + anon (a COW-shared page once). */
function inUse(g: Readonly<G>): number {
  let n = 0;
  let shared = 0;
  for (const f of g.file) n += f.pc.length;
  for (const v of g.vma) {
    n += v.anon.length;
    shared += v.cow.length;
  }
  return n - shared / 2;
}

/** I3: reservations derived from the maps and subpools. */
export function derivedRsvd(g: Readonly<G>): number {
  let r = 0;
  for (const f of g.file) for (const i of coveredSet(f.reg)) if (!f.pc.includes(i)) r++;
  for (const v of g.vma)
    if (v.st === V_LIVE && v.kind === PRIVATE && v.flags & HPAGE_RESV_OWNER) r += v.to - v.from - regionCount(v.reg, v.from, v.to);
  for (const s of g.spool) if (s.st === SP_MOUNTED) r += s.rsv;
  return r;
}

const invariants: Invariant<G, HugetlbParams>[] = [
  invariant<G, HugetlbParams>({
    name: 'counters-ordered',
    doc: '0 <= HugePages_Rsvd <= HugePages_Free <= HugePages_Total: reserved pages are free pages set aside (hugetlbfs_reserv.rst L1806-1810 "available = free - resv"; libhugetlbfs counters.c).',
    source: 'seed L1806-1810; kernel-semantics §1.2 I1',
    when: 'always',
    check: (g) =>
      g.resv >= 0 && g.resv <= g.free && g.free <= g.nr ? true : `resv=${g.resv} free=${g.free} total=${g.nr}`,
  }),
  invariant<G, HugetlbParams>({
    name: 'surplus-bounded',
    doc: '0 <= HugePages_Surp <= HugePages_Total: surplus pages are pool pages above the persistent size (kernel-semantics §1.2 I2).',
    source: 'kernel-semantics §1.2 I2',
    when: 'always',
    check: (g) => (g.surp >= 0 && g.surp <= g.nr ? true : `surp=${g.surp} total=${g.nr}`),
  }),
  invariant<G, HugetlbParams>({
    name: 'resv-conservation',
    doc: 'At quiescence HugePages_Rsvd equals the outstanding reservations of the reserve maps and subpools: shared entries without a cached page + unconsumed private-owner pages + subpool rsv_hpages (seed L2306-2310; kernel-semantics §1.2 I3).',
    source: 'seed L2306-2310; kernel-semantics §1.2 I3',
    when: 'quiescent',
    check: (g) => {
      const d = derivedRsvd(g);
      return d === g.resv ? true : `resv_huge_pages=${g.resv} but the maps and subpools hold ${d}`;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'subpool-min',
    doc: 'A subpool with size= keeps 0 <= used <= max and, with min_size=, 0 <= rsv <= min and used + rsv >= min (seed L2059-2063, L2078-2084; kernel-semantics §1.2 I5); vacuous without such a mount.',
    source: 'seed L2059-2063, L2078-2084; kernel-semantics §1.2 I5',
    when: 'always',
    check: (g) => {
      let seen = false;
      for (const s of g.spool) {
        if (s.st !== SP_MOUNTED || s.max === -1) continue;
        seen = true;
        if (s.used < 0 || s.used > s.max) return `subpool used=${s.used} outside [0, ${s.max}]`;
        if (s.min === -1) continue;
        if (s.rsv < 0 || s.rsv > s.min) return `subpool rsv=${s.rsv} outside [0, ${s.min}]`;
        if (s.used + s.rsv < s.min) return `subpool used=${s.used} + rsv=${s.rsv} < min=${s.min}`;
      }
      return seen ? true : null;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'adds-in-progress-zero',
    doc: 'At quiescence every region_chg was closed by region_add or region_abort: adds_in_progress == 0 (VM_BUG_ON in resv_map_release; seed L2169-2173 two-phase protocol).',
    source: 'seed L2146-2173; mm/hugetlb.c resv_map_release',
    when: 'quiescent',
    check: (g) => {
      for (const f of g.file) if (f.adds !== 0) return `file adds_in_progress=${f.adds}`;
      for (const v of g.vma) if (v.adds !== 0) return `vma adds_in_progress=${v.adds}`;
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'resv-map-well-formed',
    doc: 'Every reserve map is a sorted, disjoint, coalesced list of non-empty file_regions and region_cache_count >= adds_in_progress whenever the lock is free (kernel-semantics §1.2 I4).',
    source: 'kernel-semantics §1.2 I4; seed L1812-1834',
    when: 'always',
    check: (g) => {
      for (const m of [...g.file, ...g.vma]) {
        const e = regionsWellFormed(m.reg);
        if (e) return e;
        if (m.adds < 0) return `adds_in_progress=${m.adds} < 0`;
        if (m.cache < m.adds) return `region_cache_count=${m.cache} < adds_in_progress=${m.adds}`;
      }
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'page-free-xor-in-use',
    doc: 'No page is both free and instantiated: free + in use (page cache, anon, held by a thread) == HugePages_Total, and every cached page has a reserve-map entry (kernel-semantics §1.2 I6; hugetlb_unreserve_pages chg - freed).',
    source: 'kernel-semantics §1.2 I6; fs/hugetlbfs/inode.c remove_inode_hugepages',
    when: 'always',
    check: (g) => {
      const used = inUse(g) + g.held;
      if (g.free + used !== g.nr) return `free=${g.free} + in use=${used} != total=${g.nr}`;
      for (const f of g.file) for (const i of f.pc) if (!coveredSet(f.reg).includes(i)) return `cached page ${i} has no reserve map entry`;
      return true;
    },
  }),
];

// ---------------------------------------------------------------------------
// params
// ---------------------------------------------------------------------------

function int(raw: unknown, path: string, lo: number, hi: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < lo || raw > hi)
    throw new Error(`hugetlb params: ${path} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(raw)}`);
  return raw;
}

export function parseParams(raw: unknown): HugetlbParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('hugetlb params: expected an object');
  const r = raw as Record<string, unknown>;
  const known = ['pool', 'overcommit', 'fileSize', 'mounts', 'fileMount', 'vmas', 'numa', 'inject'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new Error(`hugetlb params: unknown field '${k}' (known: ${known.join(', ')})`);
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
    return { size, min, mounted };
  });
  if (minTotal > pool) throw new Error(`hugetlb params: mounted min_size total ${minTotal} exceeds pool ${pool}`);
  const fmRaw = r.fileMount ?? [0];
  if (!Array.isArray(fmRaw) || fmRaw.length < 1 || fmRaw.length > LIMITS.maxFiles)
    throw new Error(`hugetlb params: fileMount must list the mount of each of 1..${LIMITS.maxFiles} files`);
  const fileMount = fmRaw.map((x, k) => int(x, `fileMount[${k}]`, 0, mounts.length - 1));
  if ((fileMount.length + vmas) * fileSize > 31) throw new Error('hugetlb params: (files + vmas) * fileSize must be <= 31');
  const numa = r.numa ?? false;
  const inject = r.inject ?? false;
  if (typeof numa !== 'boolean') throw new Error('hugetlb params: numa must be a boolean');
  if (typeof inject !== 'boolean') throw new Error('hugetlb params: inject must be a boolean');
  return { pool, overcommit, fileSize, mounts, fileMount, vmas, numa, inject };
}

// ---------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------

/** Scenario params; the default mount has size= (used_hpages maintained, subpool invariant exercised). */
const P = (over: Partial<HugetlbParams> = {}): HugetlbParams => parseParams({ mounts: [{ size: LIMITS.maxPages, min: -1, mounted: true }], ...over });
const op = (name: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op: name, args });
const one = (o: OpChoice): OpChoice[] => [o];

const sh = (v: number, f: number, from: number, to: number): OpChoice => op('mmap', { v, kind: 'shared', f, from, to });
const nr = (v: number, f: number, from: number, to: number): OpChoice => op('mmap', { v, kind: 'noreserve', f, from, to });
const pv = (v: number, m: number, from: number, to: number): OpChoice => op('mmap', { v, kind: 'private', f: m, from, to });
const wr = (v: number, i: number): OpChoice => op('fault', { v, i, write: true });
const rd = (v: number, i: number): OpChoice => op('fault', { v, i, write: false });
const munmap = (v: number): OpChoice => op('munmap', { v });
const SITES_ALL = ['add_to_page_cache', 'anon_vma_prepare', 'copy_from_user', 'region_chg_kmalloc', 'region_del_split', 'alloc_buddy'];

export const scenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'reserve-vs-fault',
    description:
      'mmap(SHARED) reserving [0,2) races faults through a NORESERVE mapping of the same file: region_chg/region_add and vma_needs/commit_reservation refunds (H11, HR-4, HR-11), then munmap or truncate, UFFDIO_COPY and a hole punch',
    params: P({ pool: 3, overcommit: 1, fileSize: 3, vmas: 2 }),
    threads: [
      [[sh(0, 0, 0, 2), sh(0, 0, 1, 3)], one(wr(0, 1)), [munmap(0), op('truncate', { f: 0, size: 1 })], [wr(0, 0), sh(0, 0, 0, 3)]],
      [one(nr(1, 0, 0, 3)), [wr(1, 0), wr(1, 2)], [rd(1, 1), op('uffd_copy', { v: 1, i: 1 })], one(op('punch', { f: 0, from: 0, to: 2 }))],
    ],
  },
  {
    name: 'reserve-vs-reserve',
    description:
      'two mmap(SHARED) of overlapping ranges of one file: inode_lock serializes hugetlb_reserve_pages, so region_chg/region_add of one never interleave with the other (HR-5 removes that)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 1))],
      [one(sh(1, 0, 1, 3)), one(munmap(1))],
    ],
  },
  {
    name: 'reserve-fault-3',
    description:
      'three threads: shared reservations and faults, NORESERVE faults, and UFFDIO_COPY + hole punch / truncate on the same file race (needs/commit and chg/add refunds with a third party, fault mutex vs punch, i_mmap_rwsem vs truncate)',
    params: P({ pool: 3, overcommit: 1, fileSize: 3, vmas: 2 }),
    threads: [
      [[sh(0, 0, 0, 3), sh(0, 0, 1, 3)], [wr(0, 1), rd(0, 2)], one(wr(0, 2)), one(munmap(0)), one(sh(0, 0, 0, 2))],
      [one(nr(1, 0, 0, 3)), one(wr(1, 0)), [rd(1, 1), wr(1, 2)], one(munmap(1))],
      [one(op('uffd_copy', { v: 1, i: 2 })), [op('punch', { f: 0, from: 0, to: 2 }), op('truncate', { f: 0, size: 1 })], one(wr(1, 0)), one(op('truncate', { f: 0, size: 0 }))],
    ],
  },
  {
    name: 'private-cow-fork',
    description:
      'MAP_PRIVATE owner faults, forks, and write-faults with no unreserved page: owner COW outside its reserves, unmap_ref_private marks the child HPAGE_RESV_UNMAPPED; the child faults and unmaps; owner munmap returns unconsumed reserves (HR-8, HR-10)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 4 }),
    threads: [
      [one(pv(0, 0, 0, 2)), [wr(0, 0), op('uffd_copy', { v: 0, i: 0 })], one(op('fork', { v: 0, c: 1 })), one(wr(0, 0)), [wr(0, 1), rd(0, 1)], one(munmap(0))],
      [[wr(1, 0), rd(1, 0)], [wr(1, 0), rd(1, 0)], one(munmap(1)), one(pv(3, 0, 0, 1)), one(wr(3, 0))],
      [[pv(2, 0, 0, 1), op('mmap', { v: 2, kind: 'private_noreserve', f: 0, from: 0, to: 1 })], [wr(2, 0), op('uffd_copy', { v: 2, i: 0 })], one(munmap(2)), one(op('set_nr', { n: 2 })), one(op('set_nr', { n: 3 }))],
    ],
  },
  {
    name: 'truncate-vs-fault',
    description:
      'ftruncate below an instantiated, reserved index while another thread faults it (SIGBUS beyond i_size; region_del to LONG_MAX and the unconsumed refund), then a hole punch; a third task faults and copies through a NORESERVE mapping (H1, HR-12)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 1)), [op('truncate', { f: 0, size: 1 }), op('truncate', { f: 0, size: 0 })], one(op('truncate', { f: 0, size: 2 })), one(wr(0, 1))],
      [[rd(0, 1), wr(0, 0)], one(op('punch', { f: 0, from: 0, to: 1 })), one(rd(0, 1))],
      [one(nr(1, 0, 0, 2)), [wr(1, 1), op('uffd_copy', { v: 1, i: 0 })], one(munmap(1))],
    ],
  },
  {
    name: 'surplus-pool',
    description:
      'pool 0 with overcommit 2: a private mmap gathers surplus pages (gather_surplus_pages drops hugetlb_lock to allocate) and munmap returns them page by page while another task mmaps and faults; nr_hugepages grows and shrinks; overcommit is lowered (H14, HR-11)',
    params: P({ pool: 0, overcommit: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(munmap(0)), one(pv(0, 0, 0, 1)), one(wr(0, 0))],
      [[pv(1, 0, 0, 1), sh(1, 0, 0, 1), op('mmap', { v: 1, kind: 'private_noreserve', f: 0, from: 0, to: 1 })], one(wr(1, 0)), one(munmap(1))],
      [[op('set_nr', { n: 1 }), op('set_overcommit', { n: 0 })], [op('set_nr', { n: 0 }), op('set_nr', { n: 2 })], one(op('set_overcommit', { n: 3 }))],
    ],
  },
  {
    name: 'buddy-failure',
    description:
      'pool 1, overcommit 2, fault budget 1 at alloc_buddy: surplus allocation fails inside gather_surplus_pages (mmap ENOMEM, pages gathered so far freed), inside alloc_huge_page (fault SIGBUS) or while growing nr_hugepages',
    params: P({ pool: 1, overcommit: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 1)), one(munmap(0))],
      [one(nr(1, 0, 0, 2)), one(wr(1, 0)), one(op('set_nr', { n: 2 }))],
    ],
    faults: { budget: 1, sites: ['alloc_buddy'] },
  },
  {
    name: 'error-paths',
    description:
      'fault budget 1 over every kmalloc/page-cache/anon_vma/copy_from_user site (overcommit 0, see NOTES.md): restore_reserve_on_error, the uffd PagePrivate fix-up, free_huge_page of a restore-reserve page on a size= mount, and an mmap that fails after region_chg (H13, H19, HR-1, HR-3, HR-6)',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 3, mounts: [{ size: 2, min: -1, mounted: true }], inject: true }),
    threads: [
      [one(pv(0, 0, 0, 2)), [wr(0, 0), rd(0, 0)], one(op('uffd_copy', { v: 0, i: 1 })), one(munmap(0))],
      [one(nr(1, 0, 0, 2)), [wr(1, 0), op('uffd_copy', { v: 1, i: 0 })], one(sh(2, 0, 0, 2)), one(op('punch', { f: 0, from: 0, to: 2 }))],
      [one(rd(0, 1)), [op('truncate', { f: 0, size: 1 }), wr(2, 1)]],
    ],
    // Every site these ops reach: with overcommit 0 there is no buddy allocation, and punching the
    // whole [0,2) region never splits one (alloc_buddy: buddy-failure; region_del_split: punch-split).
    faults: { budget: 1, sites: SITES_ALL.filter((s) => s !== 'alloc_buddy' && s !== 'region_del_split') },
  },
  {
    name: 'restore-fails',
    description:
      'fault budget 2 on a private owner: anon_vma_prepare fails after the reservation was consumed, and restore_reserve_on_error cannot kmalloc for its own region_chg, so it must clear PagePrivate (HR-2); a second task faults the same mapping',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 1, inject: true }),
    threads: [[one(pv(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 0)), one(munmap(0))], [one(wr(0, 1)), one(rd(0, 0))]],
    faults: { budget: 2, sites: ['anon_vma_prepare', 'region_chg_kmalloc'] },
  },
  {
    name: 'punch-split',
    description:
      'hole punch in the middle of a reserved region while faults hold region_chg descriptors: region_del must split without a cached descriptor, kmalloc fails, hugetlb_fix_reserve_counts (HR-7)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 1, inject: true }),
    threads: [
      [one(sh(0, 0, 0, 3)), one(wr(0, 1)), one(op('punch', { f: 0, from: 1, to: 2 }))],
      [one(wr(0, 0)), one(rd(0, 2))],
    ],
    faults: { budget: 1, sites: ['region_del_split', 'region_chg_kmalloc'] },
  },
  {
    name: 'mount-min',
    description:
      'mount a size=3,min_size=2 hugetlbfs while another task maps the default mount; a file on the new mount is reserved, faulted and truncated: subpool reserves taken at mount, consumed and restored by free_huge_page; a third task grows the pool and punches the file (HR-9)',
    params: P({
      pool: 3,
      overcommit: 0,
      fileSize: 1,
      vmas: 2,
      mounts: [
        { size: -1, min: -1, mounted: true },
        { size: 3, min: 2, mounted: false },
      ],
      fileMount: [0, 1],
    }),
    threads: [
      [one(op('mount', { m: 1, size: 3, min: 2 })), one(sh(0, 1, 0, 1)), one(wr(0, 0)), one(op('truncate', { f: 1, size: 0 })), one(wr(0, 0))],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(munmap(1)), [nr(1, 1, 0, 1), pv(1, 1, 0, 1)], one(wr(1, 0))],
      [one(op('set_nr', { n: 4 })), one(op('punch', { f: 1, from: 0, to: 1 }))],
    ],
  },
  {
    name: 'mixed-3',
    description:
      'three tasks on one file and the pool at once: shared reservation + faults + hole punch, a private owner with fork, NORESERVE faults and UFFDIO_COPY, an nr_hugepages grow',
    params: P({ pool: 3, overcommit: 1, fileSize: 2, vmas: 4 }),
    threads: [
      [one(sh(0, 0, 0, 2)), [wr(0, 0), rd(0, 1)], one(op('punch', { f: 0, from: 0, to: 1 })), one(wr(0, 0)), one(munmap(0))],
      [one(pv(1, 0, 0, 2)), one(wr(1, 1)), one(op('fork', { v: 1, c: 2 })), one(wr(1, 1)), one(munmap(1))],
      [one(nr(3, 0, 0, 2)), [wr(3, 1), op('uffd_copy', { v: 3, i: 0 })], one(op('set_nr', { n: 4 })), one(wr(2, 1)), one(munmap(2))],
    ],
  },
  {
    name: 'out-put-pages-min-only',
    description:
      'a shared mmap on a min_size= mount (no size=) fails in hugetlb_acct_memory after taking the last subpool reserve: out_put_pages must put back only the subpool share chg - gbl_reserve (a833a693a490); putting back chg refills rsv_hpages with pages the global pool never reserved',
    params: P({ pool: 2, fileSize: 3, vmas: 2, mounts: [{ size: -1, min: 2, mounted: true }] }),
    threads: [[one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(sh(1, 0, 1, 3))]],
  },
  {
    name: 'numa-no-guarantee',
    description:
      'HR-13 negative test: with cpusets/mempolicy a reserved fault may still SIGBUS (free pages on disallowed nodes); the spec allows it, so the correct implementation must not be reported',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2, numa: true }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 1)), one(munmap(0))],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(munmap(1))],
    ],
  },
];

/**
 * Not default scenarios: behaviours of the kernel-faithful (correct)
 * implementation that the checker reports, found while building this model.
 * Each is a window or error path of mm/hugetlb.c as modelled here, not a
 * mutant; they need confirmation against current kernel source before being
 * called kernel bugs. test/hugetlb/check.test.ts asserts they are still found.
 */
export const findings: (Scenario<HugetlbParams> & { readonly expect: string })[] = [
  {
    name: 'finding-restore-deletes-new-reservation',
    description:
      "a NORESERVE fault commits a reserve-map entry, then add_to_page_cache fails; before restore_reserve_on_error deletes that entry, a concurrent mmap(SHARED) counts it as an existing reservation (region_chg chg 0) and succeeds; the deletion then removes the mmap's reservation",
    expect: 'refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 3, inject: true }),
    threads: [[one(nr(1, 0, 0, 2)), one(sh(2, 0, 0, 2))], [one(wr(1, 1))]],
    faults: { budget: 1, sites: ['add_to_page_cache'] },
  },
  {
    name: 'finding-child-subpool-reserve',
    description:
      'fork child (no reserve map) faults on a min_size mount: hugepage_subpool_get_pages returns 0 (a subpool reserve is used) but vma_has_reserves() is false for a non-owner, so resv_huge_pages is not decremented: Rsvd stays one too high',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: 1, mounted: true }] }),
    threads: [[one(pv(0, 0, 0, 1)), one(op('fork', { v: 0, c: 1 })), one(munmap(0)), one(wr(1, 0))]],
  },
  {
    name: 'finding-restore-on-surplus-page',
    description:
      'a page that consumed a reservation is freed on an error path (PagePrivate set) while surplus pages exist: free_huge_page increments resv_huge_pages and hands the page back to buddy, so HugePages_Rsvd > HugePages_Free',
    expect: 'counters-ordered',
    params: P({ pool: 0, overcommit: 2, fileSize: 2, vmas: 1, inject: true }),
    threads: [[one(pv(0, 0, 0, 2)), one(wr(0, 1))]],
    faults: { budget: 1, sites: ['anon_vma_prepare'] },
  },
  {
    name: 'finding-unmapped-child-survives',
    description:
      "the child's fault passes the HPAGE_RESV_UNMAPPED check in hugetlb_no_page, then the owner's unmap_ref_private (another index, no common fault mutex) marks it; the child still gets a page the spec says it cannot have",
    expect: 'linearizability',
    params: P({ pool: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 0)), one(op('fork', { v: 0, c: 1 })), one(wr(0, 0)), one(munmap(0))],
      [one(rd(1, 1))],
    ],
  },
  {
    name: 'finding-shared-restore-double-failure',
    description:
      "shared fault without a reservation: add_to_page_cache fails and restore_reserve_on_error's own region_chg cannot kmalloc (the commit used the cached descriptor); its comment assumes that only happens for private maps, so the new entry stays as a reservation nobody counted",
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 1, inject: true }),
    threads: [[one(nr(0, 0, 0, 2)), one(wr(0, 0))]],
    faults: { budget: 2, sites: ['add_to_page_cache', 'region_chg_kmalloc'] },
  },
  {
    name: 'finding-fix-reserve-counts-full-pool',
    description:
      'hole punch: region_del cannot split (a concurrent fault holds the cached descriptor, kmalloc fails) while every page is reserved; hugetlb_fix_reserve_counts calls hugetlb_acct_memory(1) before the punched page is freed, which fails ("Huge Page Reserved count may go negative")',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 3, fileSize: 3, vmas: 1, inject: true }),
    threads: [[one(sh(0, 0, 0, 3)), one(wr(0, 1)), one(op('punch', { f: 0, from: 1, to: 2 }))], [one(wr(0, 0))]],
    faults: { budget: 1, sites: ['region_del_split'] },
  },
  {
    name: 'finding-out-put-pages-min',
    description:
      'hugetlb_reserve_pages out_put_pages after hugetlb_acct_memory failed on a size=,min_size= mount. --kernel-version 6.1/6.12 (before a833a693a490): the put of chg refills rsv_hpages with pages the global pool never reserved (Rsvd later underflows). mainline (a833a693a490 + its follow-up restoring failed global reservations to the subpool): the put of chg - gbl_reserve still sees used_hpages inflated by gbl_reserve, so the subpool reserve the mmap took goes to the global pool instead of back to rsv_hpages (min_size guarantee lost; a model prediction, not yet run on a mainline kernel)',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 3, vmas: 2, mounts: [{ size: 4, min: 2, mounted: true }] }),
    threads: [[one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(sh(1, 0, 1, 3))]],
  },
];

// ---------------------------------------------------------------------------
// variants
// ---------------------------------------------------------------------------

export const variants: Variant[] = [
  { name: 'H1', description: 'fault checks i_size only after alloc_huge_page, no back-out (absurd HugePages_Rsvd)', source: 'known-bugs.md H1, ebed4bfc8da8', scenarios: ['truncate-vs-fault'] },
  { name: 'H11', description: 'hugetlb_reserve_pages ignores region_add < region_chg (no chg - add refund)', source: 'known-bugs.md H11, cf3ad20bfead', scenarios: ['reserve-vs-fault'] },
  { name: 'H13', description: 'private no_page error path frees the page without restore_reserve_on_error', source: 'known-bugs.md H13, 96b96a96ddee', scenarios: ['error-paths'] },
  { name: 'H14', description: 'return_unused_surplus_pages uncommits resv before a loop that drops hugetlb_lock', source: 'known-bugs.md H14, e5bbc8a6c992', scenarios: ['surplus-pool'] },
  { name: 'H19', description: 'free_huge_page puts a restore-reserve page back to the subpool too', source: 'known-bugs.md H19, 0919e1b69ab4', scenarios: ['error-paths'] },
  { name: 'HR-1', description: 'shared fault error path (add_to_page_cache) skips restore_reserve_on_error', source: 'seeds-digest §4.1 HR-1 (seed L2296-2304)', scenarios: ['error-paths'] },
  { name: 'HR-2', description: 'restore_reserve_on_error keeps PagePrivate when its own map update fails', source: 'seeds-digest §4.1 HR-2 (seed L2312-2318)', scenarios: ['restore-fails'] },
  { name: 'HR-3', description: 'UFFDIO_COPY error path frees the page without the PagePrivate fix-up', source: 'seeds-digest §4.1 HR-3 (seed L2320-2322)', scenarios: ['error-paths'] },
  { name: 'HR-4', description: 'alloc_huge_page ignores vma_commit_reservation < vma_needs_reservation (no refund)', source: 'seeds-digest §4.1 HR-4 (seed L2019-2029)', scenarios: ['reserve-vs-fault'] },
  { name: 'HR-5', description: 'mmap without inode_lock and trusting region_chg: overlapping reservations double-charge', source: 'seeds-digest §4.1 HR-5 (seed L2179-2185); unreachable with inode_lock', scenarios: ['reserve-vs-reserve'] },
  { name: 'HR-6', description: 'hugetlb_reserve_pages error path forgets region_abort after region_chg', source: 'seeds-digest §4.1 HR-6 (seed L2146-2173)', scenarios: ['error-paths'] },
  { name: 'HR-7', description: 'hole punch ignores region_del -ENOMEM (no hugetlb_fix_reserve_counts)', source: 'seeds-digest §4.1 HR-7 (seed L2204-2213)', scenarios: ['punch-split'] },
  { name: 'HR-8', description: 'private munmap returns (end - start) instead of the unconsumed reserves', source: 'seeds-digest §4.1 HR-8 (seed L2215-2221)', scenarios: ['private-cow-fork'] },
  { name: 'HR-9', description: 'free_huge_page ignores a 0 from hugepage_subpool_put_pages (subpool min not refilled)', source: 'seeds-digest §4.1 HR-9 (seed L2059-2063)', scenarios: ['mount-min'] },
  { name: 'HR-10', description: 'owner COW with no page SIGBUSes instead of unmap_ref_private', source: 'seeds-digest §4.1 HR-10 (seed L2114-2135)', scenarios: ['private-cow-fork'] },
  { name: 'HR-11', description: 'hugetlb_acct_memory uses the doc pseudo-code test delta <= resv - free', source: 'seeds-digest §4.1 HR-11 (seed L1931 vs L1809)', scenarios: ['reserve-vs-fault'] },
  { name: 'a833a693a490', description: 'hugetlb_reserve_pages out_put_pages puts back chg, not chg - gbl_reserve (before a833a693a490; Debian 6.1.y/6.12.y)', source: 'a833a693a490 "mm: hugetlb: fix incorrect fallback for subpool"; mm/hugetlb.c hugetlb_reserve_pages() @ v6.12', scenarios: ['out-put-pages-min-only'] },
  { name: 'HR-12', description: 'truncate region_del starts one past the new end of file', source: 'seeds-digest §4.1 HR-12 (seed L2194-2197)', scenarios: ['truncate-vs-fault'] },
];

// ---------------------------------------------------------------------------
// customize
// ---------------------------------------------------------------------------

export function customize(base: Scenario<HugetlbParams>, opts: ScenarioOptions): Scenario<HugetlbParams> {
  for (const k of Object.keys(opts)) if (!['threads', 'ops', 'pool', 'fileSize'].includes(k)) throw new Error(`hugetlb: unknown option '${k}'`);
  // Repeating a thread script would collide on its mapping slots, so --threads only drops scripts.
  const threads = reshapeThreads(base.threads, opts, { maxThreads: 4, maxOps: 8, cycle: false });
  let params = base.params;
  if (opts.pool !== undefined) params = parseParams({ ...params, pool: flagInRange('pool', opts.pool, 0, LIMITS.maxPages) });
  if (opts.fileSize !== undefined)
    params = parseParams({ ...params, fileSize: flagInRange('file-size', opts.fileSize, 1, LIMITS.maxFileSize) });
  return { ...base, params, threads };
}

// ---------------------------------------------------------------------------
// registration
// ---------------------------------------------------------------------------

const impl: ImplDef<G, HugetlbParams> = {
  state: stateSchema,
  init: (p) => initState(p),
  ops: OPS,
};

export const hugetlb: Subsystem<G, HugetlbView, HugetlbParams> = {
  name: 'hugetlb',
  title: 'hugetlb reservation accounting',
  description:
    'hugetlbfs reservations (Documentation/vm/hugetlbfs_reserv.rst): resv_map two-phase region_chg/region_add, subpool min/max arithmetic, surplus pages, COW with unmap_ref_private, error-path restore_reserve_on_error.',
  impl,
  spec: hugetlbSpec,
  abstraction,
  invariants,
  scenarios,
  variants,
  findings,
  customize,
  parseParams,
  kernelVersions: {
    default: 'mainline',
    versions: [
      { name: '6.1', description: 'linux-6.1.y as Debian bookworm ships it (linux-image-6.1.0-*-amd64)', lacks: ['a833a693a490'] },
      { name: '6.12', description: 'linux-6.12.y as Debian bookworm-backports ships it (linux-image-6.12.*+deb12-amd64)', lacks: ['a833a693a490'] },
      { name: 'mainline', description: 'newest upstream behaviour modelled (mm/hugetlb.c after a833a693a490)', lacks: [] },
    ],
  },
  observer: {
    impl: (g) => ({ HugePages_Total: g.nr, HugePages_Free: g.free, HugePages_Rsvd: g.resv, HugePages_Surp: g.surp }),
    spec: (v) => ({ HugePages_Total: v.total, HugePages_Free: v.free, HugePages_Rsvd: v.rsvd, HugePages_Surp: v.surp }),
  },
};

export { P, op, one };
