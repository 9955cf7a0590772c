/**
 * Scenario parameters shared by the hugetlb spec and implementation (plain
 * data, no behaviour). Kept in spec/ because both sides only need the type and
 * the subsystem registration (subsystems/hugetlb) validates it.
 */

/** One hugetlbfs mount (subpool). size/min are in huge pages, -1 = option not given. */
export interface MountParam {
  readonly size: number;
  readonly min: number;
  /** Mounted at start (its min_size reservation is taken at init). */
  readonly mounted: boolean;
  /**
   * The kernel's internal hugetlbfs mount (hugetlbfs_vfsmount: no size=, no
   * min_size=, always mounted, never mounted or unmounted by a user): its
   * files are made by memfd_create(MFD_HUGETLB) only (spec/hugetlb/ops-memfd.ts).
   */
  readonly internal?: boolean;
}

export interface HugetlbParams {
  /** Initial nr_hugepages (persistent pool, all free). */
  readonly pool: number;
  /** Initial nr_overcommit_hugepages. */
  readonly overcommit: number;
  /** K: page indices per file / mapping are 0..K-1; initial i_size of each shared file (pages). */
  readonly fileSize: number;
  /** hugetlbfs mounts (subpools); index = mount id. */
  readonly mounts: readonly MountParam[];
  /** Mount of each shared file; index = file id. */
  readonly fileMount: readonly number[];
  /** VMA slots available to mmap/fork. */
  readonly vmas: number;
  /**
   * HR-13: free pages may sit on a node outside the task's cpuset, so even a
   * reserved fault may fail (Documentation/vm/hugetlbfs_reserv.rst, "Reservations
   * and Memory Policy" @ v5.10).
   */
  readonly numa: boolean;
  /**
   * The scenario injects kernel allocation failures (kmalloc of file_region
   * descriptors, page-cache insertion, anon_vma_prepare, copy_from_user): the
   * spec then also allows the documented outcomes of those error paths.
   */
  readonly inject: boolean;
  /**
   * PMD sharing (impl/hugetlb/pmd-share.ts): huge pages per PUD-sized block
   * (1 GiB / 2 MiB = 512 on x86-64; scenarios use a small block), 0 = no
   * MAP_SHARED mapping ever shares a page table. With it, which page-cache
   * pages a shareable mapping has present is not the process's own doing
   * (another process's fault fills a shared table, an unshare empties it), so
   * the spec tracks presence only for MINOR-registered mappings, which never
   * share (spec/hugetlb/ops-pmd-share.ts).
   */
  readonly pud: number;
  /**
   * NUMA nodes with a huge page pool of their own (nr_huge_pages_node[] and
   * friends, /sys/devices/system/node/nodeN/hugepages/): absent or 1 = one
   * node, the global counters only. With more, the boot pool sits on node 0
   * and `set_nr_node` writes one node's nr_hugepages (impl/hugetlb/nodes.ts).
   */
  readonly nodePool?: number;
  /**
   * The memory policy of every task: set_mempolicy(MPOL_BIND, {membind}) before
   * the scenario starts (numactl --membind); absent = the default policy.
   * Needs nodePool > 1 (spec/hugetlb/ops-numa.ts, impl/hugetlb/node-pages.ts).
   */
  readonly membind?: number;
}

/** Long-term pin slots (io_uring rings with one registered buffer each) of every scenario (ops-pin.ts). */
export const PIN_SLOTS = 2;

/** Upper bounds that keep states compact (intSet members must be < 31). */
export const LIMITS = { maxPages: 6, maxFileSize: 6, maxMounts: 3, maxFiles: 3, maxVmas: 4, maxNodes: 3 } as const;
