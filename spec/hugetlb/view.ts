/**
 * What a hugetlbfs user can observe, as plain canonical data: the meminfo
 * counters, each mount's size=/min_size= and the pages it holds in reserve
 * for min_size, each file's reservations and page-cache pages, each
 * mapping's range, reservations and private pages. Sets of page indices are
 * sorted arrays; there are no regions, locks or in-flight pages here.
 */

export type VmaKind = 'none' | 'shared' | 'noreserve' | 'private' | 'private_noreserve';

/** userfaultfd registration of a mapping: which faults go to the handler (SIGBUS with UFFD_FEATURE_SIGBUS). */
export type UffdMode = 'none' | 'missing' | 'minor';

export interface SpoolView {
  mounted: boolean;
  /** size= in huge pages, -1 = unlimited. */
  max: number;
  /** min_size= in huge pages, -1 = none. */
  min: number;
  /**
   * Pages the mount holds reserved for its min_size promise ("the sum of
   * allocated and reserved huge pages is always at least min_size",
   * Documentation/admin-guide/mm/hugetlbpage.rst @ v6.1, min_size option).
   */
  reserve: number;
}

export interface FileView {
  /** Mount the file lives on (fixed). */
  mount: number;
  /** i_size in huge pages. */
  size: number;
  /** Indices with a reservation or a page: what mmap(MAP_SHARED) promised or a fault charged. */
  resv: number[];
  /** Indices instantiated in the page cache. */
  cache: number[];
  /**
   * What the cached pages hold, as [index, token] for each page that is not
   * all zeroes (view.ts Token): only writes through a shared mapping (or
   * UFFDIO_COPY into one) change it; a private write never does.
   */
  data: [number, number][];
  /** The scenario's descriptor is open (close(2) drops it). */
  open: boolean;
  /** The file has a name (unlink(2) drops it). */
  linked: boolean;
  /** The inode is gone: no descriptor, name or mapping held it. Its pages and promises went with it. */
  evicted: boolean;
  /** A memfd sealed against shrinking (F_SEAL_SHRINK, added by udmabuf): ftruncate to less is EPERM. */
  sealed: boolean;
  /** The NUMA node of each cached page not on node 0, as [index, node] (ops-numa.ts). */
  nodes: [number, number][];
}

/**
 * Page data as small tokens: 0 = all zeroes (a new page), 1 = written
 * through a shared mapping of the file, 2 + s = written through the private
 * mapping in slot s (and, after fork, what the partner still shares).
 */
export const TOKEN = { zero: 0, file: 1, privateBase: 2 } as const;

export interface VmaView {
  kind: VmaKind;
  /** Shared kinds: file id. Private kinds: mount id of the private hugetlbfs file (of `file` when >= 0). */
  src: number;
  /** MAP_PRIVATE of a shared file: that file (its page-cache pages are read until written); -1 otherwise. */
  file: number;
  from: number;
  to: number;
  /** This mapping owns the reservations of its range (the process that mmap'ed it MAP_PRIVATE). */
  owner: boolean;
  /** A page was taken away by the owner's COW when the pool ran dry: faults SIGBUS. */
  unmapped: boolean;
  /** Private owner: indices whose promised page is not yet instantiated. */
  resv: number[];
  /** Private: indices with a private page mapped. */
  anon: number[];
  /** Private: subset of anon whose page is still shared with `peer` after fork. */
  cow: number[];
  /** What the private pages hold: [index, token] for each page of `anon` that is not all zeroes. */
  data: [number, number][];
  /** Fork partner (parent <-> child) slot, -1 = none. */
  peer: number;
  /**
   * userfaultfd registration: 'missing' — a fault on an index with no page is
   * the handler's (SIGBUS here); 'minor' — a fault on an index whose page is
   * in the page cache but not mapped here is the handler's.
   */
  uffd: UffdMode;
  /** Shared: the page-cache pages this mapping maps (faulted in, copied or continued here). */
  pagecache: number[];
  /** mprotect(PROT_READ): a write through this mapping is SIGSEGV. */
  ro: boolean;
  /** The NUMA node of each private page not on node 0, as [index, node] (ops-numa.ts). */
  nodes: [number, number][];
}

/**
 * A long-term pin (an io_uring registered buffer of one huge page): 'cached'
 * — page `idx` of file `file`, still in its page cache; 'orphan' — a page
 * that left the page cache (truncate, hole punch, eviction) while pinned: in
 * use until its last pin goes, and still counted against `mount`'s size=
 * (-1: its mount went away since); `idx` then tells pages apart (slots
 * pinning the same page share it). 'none': the slot is free.
 */
export interface PinView {
  state: 'none' | 'cached' | 'orphan';
  file: number;
  idx: number;
  mount: number;
  /** An orphan's NUMA node (the node of the page when it left the page cache); 0 otherwise. */
  nid: number;
}

export const NO_PIN: PinView = Object.freeze({ state: 'none', file: -1, idx: -1, mount: -1, nid: 0 }) as PinView;

export interface HugetlbView {
  /** HugePages_Total. */
  total: number;
  /** HugePages_Free: Total minus the pages in use (derived). */
  free: number;
  /** HugePages_Rsvd: the promises not yet backed by an instantiated page (derived). */
  rsvd: number;
  /** HugePages_Surp. */
  surp: number;
  /** nr_overcommit_hugepages. */
  overcommit: number;
  spools: SpoolView[];
  files: FileView[];
  vmas: VmaView[];
  /**
   * A truncate or hole punch in progress (ops-staged.ts): [kind, file, pages it
   * removed and has not freed yet (the sum of 8^node over them: promises.ts heldOn; kind
   * STAGED_TRUNCATE_FREED: freed already, the reservations of the range not yet given back),
   * its range's first index, its end, ...indices it has still to go through];
   * empty when none is. The user sees it only through its effects on
   * concurrent faults and mmaps.
   */
  removing: number[];
  /** Long-term pins by slot (ops-pin.ts). */
  pins: PinView[];
  /**
   * Persistent huge pages by NUMA node (nodes/node<nid>/hugepages/.../nr_hugepages minus the
   * node's surplus; ops-node.ts) when params.nodePool > 1; empty with one node (the global pool).
   */
  nodes: number[];
  /**
   * Surplus huge pages by NUMA node (nodes/node<nid>/hugepages/.../surplus_hugepages) when
   * params.nodePool > 1; empty with one node. Their sum is `surp`; a page freed on a node with
   * surplus pages goes back to buddy, on any other node to that node's free list.
   */
  nodeSurp: number[];
  /**
   * A node's nr_hugepages write in flight between removing free pages and marking the rest of the
   * node's excess surplus (ops-node.ts): [nid, count, n]; empty otherwise. The user sees it only
   * through its effects on pages freed meanwhile; the abstraction always shows none.
   */
  resizing: number[];
  /**
   * A memory offline in flight that has taken pages (ops-pool.ts dissolve): [nid], the node whose
   * block it offlines; empty otherwise. The abstraction always shows none.
   */
  offlining: number[];
  /**
   * Kernel windows opened by calls in flight (ops-window.ts): codes key * 4 + kind, sorted; empty
   * when none is. The abstraction always shows none.
   */
  windows: number[];
}

export type Ret =
  | 'ok'
  | 'ENOMEM'
  | 'ENOSPC'
  | 'EINVAL'
  | 'EBUSY'
  | 'EEXIST'
  | 'EFAULT'
  | 'SIGBUS'
  | 'SIGSEGV'
  | 'OOM'
  | 'ENOENT'
  | 'EBADF'
  | 'EPERM';

export const EMPTY_VMA: VmaView = Object.freeze({
  kind: 'none',
  src: 0,
  file: -1,
  from: 0,
  to: 0,
  owner: false,
  unmapped: false,
  resv: [],
  anon: [],
  cow: [],
  pagecache: [],
  data: [],
  peer: -1,
  uffd: 'none',
  ro: false,
  nodes: [],
}) as VmaView;

export type Args = Readonly<Record<string, number | string | boolean>>;

/** The integer argument `k` of an event (its op schema validated it; a missing one reads 0). */
export const num = (a: Args, k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : Number(a[k] ?? 0));

export interface Outcome {
  view: HugetlbView;
  ret: Ret;
}
