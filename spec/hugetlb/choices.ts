/**
 * The outcomes the spec allows an operation beyond its arguments, where the
 * kernel really has freedom: a buddy allocation of a surplus page fails; with
 * cpusets/mempolicy the free page is on a disallowed node (params.numa), or a
 * bound task's node has no free page (params.membind, ops-numa.ts); with
 * params.inject, the documented outcomes of a kernel allocation failure on an
 * error path; and how far a min_size mount refills its reserve from charges
 * given back. Encoded in one integer per event.
 */

/** Injected-failure outcomes (only with params.inject). */
export const INJ = { none: 0, early: 1, keep: 2, gain: 3, lose: 4, busy: 5 } as const;
/** INJ.busy is no injection: soft offline's old page could not be removed (EBUSY), a real race outcome. */

export interface Plan {
  buddyFail: boolean;
  numaMiss: boolean;
  /** An unreserved allocation takes a fresh surplus page although free pages exist. */
  surplusFirst: boolean;
  inj: number;
  /** Reserve refill of a min_size mount, above its lower bound (promises.ts settle). */
  reserveOffset: number;
  /** The node a page of the default policy comes from (ops-numa.ts; several nodes only). */
  node: number;
  /**
   * Windows a call in flight opens (ops-window.ts; set by applyOp from view.windows, never by the
   * choice). `windowed`: the op's freedoms below are scoped to them (mmap and the fault path).
   */
  windowed?: boolean;
  /** Another call holds a page it allocated, not yet committed (a concurrent fault). */
  pageHeld?: boolean;
  /** Pages an mmap's transient charge may exceed the pool by (pages held by other calls, its stale count). */
  slack?: number;
  /** A reserving mmap is between hugetlb_acct_memory and region_add. */
  mmapInFlight?: boolean;
  /** This call's own dequeue found no free unreserved page; the pool lock was dropped since. */
  dequeueFailed?: boolean;
}

/** c = buddyFail + 2*numaMiss + 4*surplusFirst + 8*inj + 64*reserveOffset + 4096*node. */
export function decodeChoice(c: number | undefined): Plan {
  const v = c ?? 0;
  return {
    buddyFail: (v & 1) !== 0,
    numaMiss: (v & 2) !== 0,
    surplusFirst: (v & 4) !== 0,
    inj: (v >> 3) & 7,
    reserveOffset: (v >> 6) & 63,
    node: v >> 12,
  };
}

/**
 * Choices of faults: only combinations that can be outcomes are listed
 * (surplusFirst excludes buddyFail; numa scenarios inject nothing): every
 * xstate call costs time.
 */
const FAULT_CHOICES: readonly number[] = (() => {
  const out: number[] = [];
  const base = [0, 1, 4]; // plain, buddy fails / unreserved refused, surplus first
  for (let inj = 0; inj < 5; inj++) for (const b of base) out.push(b + 8 * inj);
  for (const b of base) out.push(2 + b); // HR-13: reserved page on a disallowed node
  return out;
})();

/** The base choices each operation can use (others would only be rejected). */
export const CHOICES_BY_OP: Readonly<Record<string, readonly number[]>> = {
  fault: FAULT_CHOICES,
  uffd_copy: FAULT_CHOICES,
  uffd_continue: [0],
  uffd_register: [0],
  memfd_create: [0],
  mmap: [0, 1, 8, 2], // 2: the mempolicy check failed (params.membind, ops-numa.ts)
  mount: [0, 1, 2], // 2: the mempolicy check failed (params.membind)
  punch: [0, 1, 8, 9, 16, 17, 24, 25, 32, 33],
  munmap: [0],
  truncate: [0],
  fork: [0],
  set_overcommit: [0],
  close: [0],
  fallocate: [0, 1, 4, 2, 3, 6],
  unlink: [0],
  umount: [0],
  madvise_dontneed: [0],
  mprotect: [0],
  mremap: [0],
  // 4: with several nodes, the last page left as its node's surplus page (ops-numa.ts); 1: ok with no
  // page taken at the return (the block's last pages left otherwise); INJ.busy: EBUSY (ops-pool.ts dissolve)
  dissolve: [0, 4, 1, 8 * INJ.busy],
  // the fault GUP may take, then EBUSY (INJ.busy) when the old page cannot be removed
  soft_offline: [...FAULT_CHOICES, 8 * INJ.busy],
  // the fault GUP may take
  pin: FAULT_CHOICES,
  unpin: [0],
  udmabuf: [0],
};

/** Operations that can give charges back to a mount (and so refill its reserve). */
export const RELEASING_OPS: ReadonlySet<string> = new Set([
  'fault',
  'uffd_copy',
  'munmap',
  'truncate',
  'punch',
  'close',
  'unlink',
  'fallocate',
  'madvise_dontneed',
  'mremap',
  'soft_offline', // its GUP fault
  'pin', // its GUP fault
]);

/**
 * Operations that may give surplus pages back to buddy through return_unused_surplus_pages: with
 * several nodes their node choice says which node gives each (promises.ts releaseGlobal).
 */
export const NODE_RELEASING_OPS: ReadonlySet<string> = new Set(['munmap', 'truncate', 'close', 'unlink', 'umount']);

/** Choices of set_nr: c = 7*x + y, x = surplus left unconverted (grow), y = fresh pages (grow) / pages kept (shrink). */
export const SETNR_CHOICES: readonly number[] = Array.from({ length: 49 }, (_, i) => i);

/** set_nr with several nodes: c = y + 7 * code, code the node digits of up to 4 pages (ops-node.ts setNrNodes). */
export function setNrNodeChoices(nodes: number): number[] {
  return Array.from({ length: 7 * nodes ** 4 }, (_, i) => i);
}

/** The choices times the nodes a page of the default policy may come from (0 .. nodes-1). */
export function withNodes(base: readonly number[], nodes: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < nodes; n++) for (const b of base) out.push(b + 4096 * n);
  return out;
}

/** The base choices times the reserve offsets (0 .. offsets-1). */
export function withReserveOffsets(base: readonly number[], offsets: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < offsets; o++) for (const b of base) out.push(b + 64 * o);
  return out;
}
