/**
 * Implementation state of hugetlb reservation accounting: the kernel's own
 * variables (struct hstate counters, hugepage_subpool, per-inode and per-VMA
 * struct resv_map, page cache / anon PTEs as index sets, lock owners), kept
 * compact because every transition decodes a fresh copy.
 */
import { S, type Infer } from '../../checker/schema.js';
import type { ThreadPermutation } from '../../checker/types.js';

/** Parameters the implementation reads (structurally the scenario params). */
export interface ImplParams {
  readonly pool: number;
  readonly overcommit: number;
  readonly fileSize: number;
  readonly mounts: readonly {
    readonly size: number;
    readonly min: number;
    readonly mounted: boolean;
    readonly internal?: boolean;
  }[];
  readonly fileMount: readonly number[];
  readonly vmas: number;
  readonly numa: boolean;
  readonly inject: boolean;
  readonly pud: number;
  readonly nodePool?: number;
  readonly membind?: number;
}

/** vma.kind */
export const SHARED = 1;
export const NORESERVE = 2; // MAP_SHARED | MAP_NORESERVE
export const PRIVATE = 3;
export const PRIVATE_NORESERVE = 4;
export const KIND_NAMES = ['none', 'shared', 'noreserve', 'private', 'private_noreserve'] as const;

/** vma.st */
export const V_FREE = 0;
export const V_LIVE = 1;
export const V_CREATING = 2; // hugetlb_reserve_pages in progress, not yet linked
export const V_CLOSING = 3; // unlinked, hugetlb_vm_op_close in progress

/** vma.flags: low bits of vm_private_data */
export const HPAGE_RESV_OWNER = 1;
export const HPAGE_RESV_UNMAPPED = 2;

/** vma.uffd: the userfaultfd registration mode (UFFDIO_REGISTER_MODE_*; one at a time in the model). */
export const UFFD_MISSING = 1;
export const UFFD_MINOR = 2;
export const UFFD_NAMES = ['none', 'missing', 'minor'] as const;

/**
 * vma.lk: the hugetlb vma_lock behind a shared VMA's vm_private_data. Always
 * VLK_OWN in the correct kernel (hugetlb_vm_op_open allocates one for a new
 * piece); before 131a79b474e9 a split or copy kept the pointer vm_area_dup
 * copied, so two VMAs used one struct (VLK_SHARED) until the first close freed
 * it under the other (VLK_FREED).
 */
export const VLK_OWN = 0;
export const VLK_SHARED = 1;
export const VLK_FREED = 2;

/** spool.st */
export const SP_UNMOUNTED = 0;
export const SP_MOUNTED = 1;
export const SP_MOUNTING = 2;
/** Unmounted, but hugepage_put_subpool found pages still charged: the subpool outlives its mount. */
export const SP_DETACHED = 3;

/** g.pin: an empty pin slot (pin.ts). */
export const PIN_NONE = 0;
/** Pin slots (io_uring rings with one registered buffer each) of every scenario. */
export const PIN_SLOTS = 2;

const spoolS = S.struct({
  st: S.named(['unmounted', 'mounted', 'mounting', 'detached']), // SP_*
  max: S.int(), // max_hpages, -1 = no size=
  min: S.int(), // min_hpages, -1 = no min_size=
  used: S.int(), // used_hpages
  rsv: S.int(), // rsv_hpages
  // rsv_hpages of earlier subpools of this mount point that outlived their mount (SP_DETACHED) and were
  // replaced by a new mount: no page or file can reach them any more, so what they hold stays held
  lost: S.int(),
});

const fileS = S.struct({
  size: S.int(), // i_size in huge pages
  reg: S.list(S.int()), // inode resv_map regions (flat [from,to) pairs): "reservation exists/existed"
  adds: S.int(), // adds_in_progress
  cache: S.int(), // region_cache_count
  pc: S.intSet(), // page cache indices
  ilock: S.int(), // inode_lock (i_rwsem) owner tid+1
  ir: S.int(), // faults holding i_mmap_rwsem (read) / the hugetlb vma lock
  dat: S.list(S.int()), // data of page-cache pages, sparse: idx * 16 + token for token != 0 (context.ts datGet)
  fd: S.int(), // 1 while the scenario's descriptor is open (close drops it)
  nlink: S.int(), // 1 while linked (unlink drops it)
  evicted: S.int(), // 1 once hugetlbfs_evict_inode ran: pages, reservations and resv_map gone
  // page-cache pages whose folio has no subpool link (hugetlb_folio_subpool NULL): only a migration
  // before cb6acd01e2e4 leaves one (impl/hugetlb/migrate.ts)
  nosp: S.intSet(),
  seals: S.int(), // memfd seals (fcntl F_ADD_SEALS): F_SEAL_SHRINK (udmabuf.ts)
  pn: S.list(S.int()), // page_to_nid of page-cache pages, sparse as dat: idx * 16 + nid for nid != 0 (nodes.ts)
});

const vmaS = S.struct({
  st: S.named(['free', 'live', 'creating', 'closing']), // V_*
  kind: S.named(KIND_NAMES),
  src: S.int(), // shared: file; private: mount of its private hugetlbfs file
  pf: S.int(), // MAP_PRIVATE of a shared file: file index + 1 (0: a private file of its own, or shared)
  from: S.int(),
  to: S.int(),
  flags: S.int(), // HPAGE_RESV_OWNER | HPAGE_RESV_UNMAPPED
  fam: S.int(), // private file identity (fault-mutex hash key): slot of the original mmap
  reg: S.list(S.int()), // private resv_map regions: "reservation consumed"
  adds: S.int(),
  cache: S.int(),
  anon: S.intSet(), // anon pages mapped
  cow: S.intSet(), // anon pages shared with peer (mapcount 2)
  dat: S.list(S.int()), // data of anon pages, sparse: idx * 16 + token for token != 0 (context.ts datGet)
  rr: S.intSet(), // anon pages carrying HPageRestoreReserve while still mapped here (the owner zapped its share)
  peer: S.int(), // fork partner slot, -1
  users: S.int(), // faults in flight (mmap_lock read)
  uffd: S.named(UFFD_NAMES), // userfaultfd registration (VM_UFFD_MISSING / VM_UFFD_MINOR)
  pcm: S.intSet(), // page-cache pages this VMA's PTEs map (shared: its present PTEs; MAP_PRIVATE of a file: read-only)
  ro: S.int(), // 1: VM_WRITE cleared by mprotect(PROT_READ) (a write faults SIGSEGV)
  lk: S.int(), // shared VMAs' hugetlb_vma_lock: VLK_OWN, VLK_SHARED, VLK_FREED (context.ts vmaLockUse)
  an: S.list(S.int()), // page_to_nid of anon pages, sparse as dat: idx * 16 + nid for nid != 0 (nodes.ts)
  pmd: S.list(S.int()), // PMD pages by PUD block, sparse: block * 16 + PMD_OWN or PMD_SHARED + lowest sharer slot (pmd-share.ts)
  // 1: vma->anon_vma is set. __anon_vma_prepare() (mm/rmap.c) sets it on a private VMA's first anonymous page
  // (fault.ts anonVmaPrepare, uffd.ts) and nothing clears it while the VMA lives; __split_vma and copy_vma
  // (anon_vma_clone) give it to the new piece, dup_mmap (anon_vma_fork) to the child only if the parent has one
  av: S.int(),
});

/** One node's share of the pool (struct hstate's per-node arrays); impl/hugetlb/nodes.ts. */
const nodeS = S.struct({
  nr: S.int(), // nr_huge_pages_node[nid]
  free: S.int(), // free_huge_pages_node[nid]
  surp: S.int(), // surplus_huge_pages_node[nid]
});

export const stateSchema = S.struct({
  nr: S.int(), // nr_huge_pages
  free: S.int(), // free_huge_pages
  resv: S.int(), // resv_huge_pages
  surp: S.int(), // surplus_huge_pages
  over: S.int(), // nr_overcommit_huge_pages
  held: S.int(), // pool pages owned by a thread: allocated not yet instantiated, batched for free, gathered surplus
  freeing: S.int(), // of held: pages a batch release put to refcount 0, not yet on the free list (impl/hugetlb/dissolve.ts)
  ghost: S.int(), // free-list entries that are no pool page any more (dissolved while being freed: 7ffddd499ba6)
  mig: S.int(), // the page under migration (hugetlb migration entries installed), migration-entry.ts migKey; 0 none
  resize: S.int(), // h->resize_lock owner tid+1
  // a memory offline in flight (mem_hotplug_lock held), dissolve.ts: [nid, its block's free pages not yet
  // visited, its pages taken into use meanwhile, its pages being freed]; [] when none
  off: S.list(S.int()),
  // h->next_nid_to_alloc / h->next_nid_to_free with several nodes (nodes.ts cursorWalk); -1: not known yet
  nta: S.int(),
  ntf: S.int(),
  // long-term pins (io_uring registered buffers, pin.ts), one entry per pin slot: PIN_NONE, a page-cache
  // page (1 + file * 64 + idx) or a folio that left the page cache and only the pin holds (-(2 + subpool))
  pin: S.list(S.int()),
  // page-cache folios (1 + file * 64 + idx) holding a reference nobody drops (memfd_pin_folios before
  // c56b6f3d801d, udmabuf.ts): removed from the page cache they are never freed (g.leaked)
  xref: S.list(S.int()), // sorted
  leaked: S.int(),
  fmx: S.intSet(), // hugetlb_fault_mutex_table: held hash slots
  spool: S.list(spoolS),
  // per-node counters when params.nodePool > 1 (empty with one node: node 0 is the global counters)
  nd: S.list(nodeS),
  file: S.list(fileS),
  vma: S.list(vmaS),
});

export type G = Infer<typeof stateSchema>;
export type Spool = Infer<typeof spoolS>;
export type Node = Infer<typeof nodeS>;
export type File = Infer<typeof fileS>;
export type Vma = Infer<typeof vmaS>;

export function emptyVma(): Vma {
  return {
    st: 0,
    kind: 0,
    src: 0,
    pf: 0,
    from: 0,
    to: 0,
    flags: 0,
    fam: 0,
    reg: [],
    adds: 0,
    cache: 0,
    anon: [],
    cow: [],
    dat: [],
    pcm: [],
    rr: [],
    peer: -1,
    users: 0,
    uffd: 0,
    ro: 0,
    lk: 0,
    an: [],
    pmd: [],
    av: 0,
  };
}

export function initState(p: ImplParams): G {
  let resv = 0;
  const spool = p.mounts.map((m) => {
    if (!m.mounted) return { st: SP_UNMOUNTED, max: -1, min: -1, used: 0, rsv: 0, lost: 0 };
    // hugepage_new_subpool: hugetlb_acct_memory(min_hpages) at mount (pool assumed to cover it)
    const rsv = m.min > 0 ? m.min : 0;
    resv += rsv;
    return { st: SP_MOUNTED, max: m.size, min: m.min, used: 0, rsv, lost: 0 };
  });
  return {
    nr: p.pool,
    free: p.pool,
    resv,
    surp: 0,
    over: p.overcommit,
    held: 0,
    freeing: 0,
    ghost: 0,
    mig: 0,
    resize: 0,
    off: [],
    nta: -1,
    ntf: -1,
    pin: Array.from({ length: PIN_SLOTS }, () => PIN_NONE),
    xref: [],
    leaked: 0,
    fmx: [],
    spool,
    // the boot-time pool sits on node 0
    nd: Array.from({ length: (p.nodePool ?? 1) > 1 ? p.nodePool! : 0 }, (_, k) =>
      k === 0 ? { nr: p.pool, free: p.pool, surp: 0 } : { nr: 0, free: 0, surp: 0 },
    ),
    // the files of a mount exist from its mount on (mountOp creates them): a file of an unmounted mount is gone
    // files of the internal mount are made by memfd_create (memfd.ts)
    file: p.fileMount.map((m) => (p.mounts[m]?.mounted && !p.mounts[m]?.internal ? freshFile(p) : goneFile(p))),
    vma: Array.from({ length: p.vmas }, emptyVma),
  };
}

/**
 * File f<N> as the user creates it on a mount that came up: hugetlbfs_create ->
 * hugetlbfs_get_inode (resv_map_alloc pre-allocates one region descriptor:
 * region_cache_count = 1), opened, ftruncate'd to the file size.
 */
export function freshFile(p: Pick<ImplParams, 'fileSize'>): File {
  return {
    size: p.fileSize,
    reg: [],
    adds: 0,
    cache: 1,
    pc: [],
    dat: [],
    ilock: 0,
    ir: 0,
    fd: 1,
    nlink: 1,
    evicted: 0,
    nosp: [],
    seals: 0,
    pn: [],
  };
}

/** A file that does not exist: its mount is not mounted (never was, or kill_sb evicted it at umount). */
export function goneFile(p: Pick<ImplParams, 'fileSize'>): File {
  return { ...freshFile(p), cache: 0, fd: 0, nlink: 0, evicted: 1 };
}

/**
 * Symmetry reduction (ImplDef.permuteThreads): the fields holding a thread id are the sleeping locks'
 * owners, inode_lock (file.ilock) and h->resize_lock (resize), `tid + 1`. The fault mutex table (fmx)
 * holds hash slots, vma.pmd sharer VMA slots, vma.users and file.ir counts: no thread ids.
 */
export function permuteThreads(g: G, p: ThreadPermutation): void {
  g.resize = p.owner(g.resize);
  for (const f of g.file) f.ilock = p.owner(f.ilock);
}
