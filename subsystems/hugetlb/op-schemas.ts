/**
 * hugetlb operations and their arguments: the user-level calls a scenario,
 * script or reproducer names (checker/op-schema.ts). Ranges are the model's
 * limits (spec/hugetlb/params.ts LIMITS), tightened by the scenario params.
 */
import { A, defineOps, type OpUnion } from '../../checker/op-schema.js';
import { LIMITS, PIN_SLOTS, type HugetlbParams as P } from '../../spec/hugetlb/params.js';

const vma = (doc: string) => A.int<P>(0, LIMITS.maxVmas - 1, doc, { text: 'params.vmas - 1', max: (p) => p.vmas - 1 });
const file = A.int<P>(0, LIMITS.maxFiles - 1, 'file: index into params.fileMount', {
  text: 'params.fileMount.length - 1',
  max: (p) => p.fileMount.length - 1,
});
const index = (doc: string) =>
  A.int<P>(0, LIMITS.maxFileSize - 1, doc, { text: 'params.fileSize - 1', max: (p) => p.fileSize - 1 });
const end = (doc: string) => A.int<P>(1, LIMITS.maxFileSize, doc, { text: 'params.fileSize', max: (p) => p.fileSize });

export const hugetlbOps = defineOps({
  set_nr: {
    doc: 'echo n > /proc/sys/vm/nr_hugepages (set_max_huge_pages)',
    args: { n: A.int(0, LIMITS.maxPages, 'new persistent pool size') },
  },
  set_nr_node: {
    doc: 'echo n > /sys/devices/system/node/node<nid>/hugepages/hugepages-2048kB/nr_hugepages (set_max_huge_pages restricted to node nid)',
    args: {
      nid: A.int<P>(0, LIMITS.maxNodes - 1, 'NUMA node', {
        text: 'params.nodePool - 1',
        max: (p) => (p.nodePool ?? 1) - 1,
      }),
      n: A.int(0, LIMITS.maxPages, "node nid's new persistent pool size"),
    },
  },
  set_overcommit: {
    doc: 'echo n > /proc/sys/vm/nr_overcommit_hugepages',
    args: { n: A.int(0, LIMITS.maxPages, 'new surplus limit') },
  },
  mount: {
    doc: 'mount -t hugetlbfs -o size=,min_size= on a declared, not yet mounted mount slot',
    args: {
      m: A.int<P>(0, LIMITS.maxMounts - 1, 'mount slot: index into params.mounts', {
        text: 'params.mounts.length - 1',
        max: (p) => p.mounts.length - 1,
      }),
      size: A.int(-1, LIMITS.maxPages, 'size= in huge pages (-1: no limit)'),
      min: A.int(-1, LIMITS.maxPages, 'min_size= in huge pages (-1: none)'),
    },
  },
  mmap: {
    doc: 'mmap of pages [from, to) into VMA slot v: shared/noreserve map file f; private/private_noreserve map an anonymous-like private mapping on mount f; private_file maps file f MAP_PRIVATE (reads see its page cache until written)',
    args: {
      v: vma('VMA slot to create (must be free)'),
      kind: A.enum(
        ['shared', 'noreserve', 'private', 'private_noreserve', 'private_file'],
        'MAP_SHARED, MAP_SHARED|MAP_NORESERVE, MAP_PRIVATE and MAP_PRIVATE|MAP_NORESERVE of a new file of their own, MAP_PRIVATE of file f',
      ),
      f: A.int<P>(
        0,
        Math.max(LIMITS.maxFiles, LIMITS.maxMounts) - 1,
        'file index (shared kinds, private_file) or mount index (private, private_noreserve)',
        {
          text: 'max(params.fileMount.length, params.mounts.length) - 1',
          max: (p) => Math.max(p.fileMount.length, p.mounts.length) - 1,
        },
      ),
      from: index('first page offset'),
      to: end('end page offset (exclusive)'),
    },
  },
  fault: {
    doc: 'page fault on page i of VMA v (hugetlb_fault)',
    args: { v: vma('VMA slot'), i: index('page offset'), write: A.bool('write fault (true) or read fault (false)') },
  },
  uffd_copy: {
    doc: 'UFFDIO_COPY of one huge page into page i of VMA v (mfill_atomic_hugetlb / hugetlb_mfill_atomic_pte)',
    args: {
      v: vma('VMA slot'),
      i: index('page offset'),
      src: A.optional(
        A.enum(
          ['resident', 'unpopulated', 'bad'],
          'the source buffer: resident (default; the copy under the locks succeeds), unpopulated (never touched: that copy fails, a temporary page is taken, copied outside the locks and the copy retried), bad (unmapped: EFAULT)',
        ),
      ),
    },
  },
  uffd_continue: {
    doc: 'UFFDIO_CONTINUE of page i of VMA v: map the page the page cache holds (answers a minor fault; hugetlb_mfill_atomic_pte is_continue)',
    args: { v: vma('VMA slot'), i: index('page offset') },
  },
  uffd_register: {
    doc: 'UFFDIO_REGISTER of VMA v, or of pages [from, to) of it (a split: v keeps the lowest piece, new pieces take slots c then d, or the lowest free ones), on a userfaultfd with UFFD_FEATURE_SIGBUS: faults the handler would get (mode missing: no page; minor: page-cache page not mapped here) are SIGBUS',
    args: {
      v: vma('VMA slot'),
      mode: A.enum(['missing', 'minor'], 'UFFDIO_REGISTER_MODE_MISSING or UFFDIO_REGISTER_MODE_MINOR'),
      from: A.optional(index('first page offset of the range (with to; default: the whole VMA)')),
      to: A.optional(
        A.int<P>(0, LIMITS.maxFileSize, 'end page offset (exclusive; with from)', {
          text: 'params.fileSize',
          max: (p) => p.fileSize,
        }),
      ),
      c: A.optional(vma('slot for the first new piece (must be free)')),
      d: A.optional(vma('slot for the second new piece of a range in the middle (must be free)')),
    },
  },
  munmap: {
    doc: 'munmap of VMA v, or of pages [from, to) of it (a hole in the middle splits it: the upper piece goes to slot c, or the lowest free slot)',
    args: {
      v: vma('VMA slot'),
      from: A.optional(index('first page offset of the range (with to; default: the whole VMA)')),
      to: A.optional(
        A.int<P>(0, LIMITS.maxFileSize, 'end page offset (exclusive); to <= from is EINVAL', {
          text: 'params.fileSize',
          max: (p) => p.fileSize,
        }),
      ),
      c: A.optional(vma('slot for the piece above a hole in the middle (must be free)')),
    },
  },
  close: {
    doc: "close(2) of file f's descriptor (the inode is evicted when unlinked and unmapped)",
    args: { f: file },
  },
  unlink: { doc: 'unlink(2) of file f (reservations stay until the last close/munmap)', args: { f: file } },
  umount: {
    doc: 'umount of mount m: EBUSY while a file on it is open or mapped; else evict its inodes and give back min_size',
    args: {
      m: A.int<P>(0, LIMITS.maxMounts - 1, 'mount slot: index into params.mounts', {
        text: 'params.mounts.length - 1',
        max: (p) => p.mounts.length - 1,
      }),
    },
  },
  fallocate: {
    doc: 'fallocate(2) mode 0 of pages [from, to) of file f: preallocate them in the page cache (hugetlbfs_fallocate)',
    args: { f: file, from: index('first page offset'), to: end('end page offset (exclusive)') },
  },
  truncate: {
    doc: 'ftruncate of file f to size pages',
    args: {
      f: file,
      size: A.int<P>(0, LIMITS.maxFileSize, 'new size in pages', { text: 'params.fileSize', max: (p) => p.fileSize }),
    },
  },
  punch: {
    doc: 'fallocate(FALLOC_FL_PUNCH_HOLE) of pages [from, to) of file f',
    args: { f: file, from: index('first page offset'), to: end('end page offset (exclusive)') },
  },
  memfd_create: {
    doc: 'memfd_create(MFD_HUGETLB) into file slot f, a file of an internal mount (params.mounts[m].internal): an empty, unnamed hugetlbfs file with an open descriptor (EINVAL: not an internal-mount slot; EBUSY: its previous file not gone yet)',
    args: { f: file },
  },
  dissolve: {
    doc: 'offline a memory block holding a huge page of the pool (dissolve_free_hugetlb_folio): a free unreserved page leaves the pool; EBUSY otherwise. No C counterpart: the probe VM has no hotpluggable memory',
    args: {},
  },
  soft_offline: {
    doc: 'madvise(MADV_SOFT_OFFLINE) of page i of VMA v (root): the page is faulted in (read) if not mapped, migrated to a free page (or a temporary one from buddy) and the old page leaves the pool',
    args: { v: vma('VMA slot'), i: index('page offset') },
  },
  pin: {
    doc: "io_uring IORING_REGISTER_BUFFERS of page i of the MAP_SHARED VMA v as ring k's fixed buffer (pin_user_pages FOLL_WRITE|FOLL_LONGTERM; the page is faulted in if not mapped). EBUSY: ring k has a buffer; EINVAL: not a MAP_SHARED mapping of a mount without min_size= (bounds of the model)",
    args: {
      k: A.int(0, PIN_SLOTS - 1, 'pin slot (one io_uring ring with one registered buffer)'),
      v: vma('VMA slot'),
      i: index('page offset'),
    },
  },
  udmabuf: {
    doc: 'ioctl(/dev/udmabuf, UDMABUF_CREATE) of page i of memfd f into pin slot k: the memfd gets F_SEAL_SHRINK (ftruncate to less is EPERM from then on) and memfd_pin_folios pins the page, instantiating the reserved one if the index has none. EBUSY: slot k busy; EINVAL: f not a memfd or i beyond i_size; EBADF: its descriptor closed',
    args: {
      k: A.int(0, PIN_SLOTS - 1, 'pin slot (one udmabuf)'),
      f: file,
      i: index('page offset'),
    },
  },
  unpin: {
    doc: 'io_uring IORING_UNREGISTER_BUFFERS of ring k: the page is unpinned, and freed if it left its file meanwhile (EINVAL: nothing registered)',
    args: { k: A.int(0, PIN_SLOTS - 1, 'pin slot') },
  },
  madvise_dontneed: {
    doc: 'madvise(MADV_DONTNEED) of pages [from, to) through VMA v: its private pages there are discarded (the mapping stays)',
    args: {
      v: vma('VMA slot'),
      from: index('first page offset'),
      to: A.int<P>(0, LIMITS.maxFileSize, 'end page offset (exclusive); to < from is EINVAL, to == from does nothing', {
        text: 'params.fileSize',
        max: (p) => p.fileSize,
      }),
    },
  },
  mprotect: {
    doc: 'mprotect of pages [from, to) of VMA v to PROT_READ (ro) or PROT_READ|PROT_WRITE: a change splits the VMA at the range ends (v keeps the lowest piece, new pieces take slots c then d, or the lowest free ones); a write to a read-only piece is SIGSEGV; reservations stay with each piece',
    args: {
      v: vma('VMA slot'),
      from: index('first page offset'),
      to: A.int<P>(0, LIMITS.maxFileSize, 'end page offset (exclusive); to == from does nothing, to < from is ENOMEM', {
        text: 'params.fileSize',
        max: (p) => p.fileSize,
      }),
      ro: A.bool('PROT_READ (true) or PROT_READ|PROT_WRITE (false)'),
      c: A.optional(vma('slot for the first new piece (must be free)')),
      d: A.optional(vma('slot for the second new piece of a range in the middle (must be free)')),
      misalign: A.optional(A.bool('start one base page (4 KiB) past the huge page: EINVAL when a split is needed')),
    },
  },
  mremap: {
    doc: 'mremap of pages [from, to) of VMA v to len pages: len < to - from unmaps the tail; with c, MREMAP_MAYMOVE|MREMAP_FIXED moves the (shrunk) range to slot c at the same page offsets (pages, data and reservations go with it); growing a hugetlb mapping is EINVAL',
    args: {
      v: vma('VMA slot'),
      from: index('first page offset of the old range'),
      to: end('end page offset of the old range (exclusive; inside VMA v, else EFAULT)'),
      len: A.int<P>(0, LIMITS.maxFileSize, 'new length in pages (0: EINVAL; more than to - from: EINVAL)', {
        text: 'params.fileSize',
        max: (p) => p.fileSize,
      }),
      c: A.optional(vma('slot to move the range to (must be free)')),
      misalign: A.optional(A.bool('old address one base page (4 KiB) past the huge page: EINVAL')),
    },
  },
  fork: {
    doc: 'fork: the MAP_PRIVATE VMA v is copied into the free VMA slot c of the child',
    args: { v: vma('parent VMA slot'), c: vma('child VMA slot (must be free)') },
  },
});

/** A typed hugetlb op: `{op: 'fault', args: {v: 0, i: 1, write: true}}`. */
export type HugetlbOp = OpUnion<typeof hugetlbOps>;
