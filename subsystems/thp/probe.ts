/**
 * THP on a real kernel: each user-level op of the THP script language as C
 * (helpers in probe-c.ts) and what the implementation predicts the kernel
 * shows after each step, in the model's observable view:
 *
 *   AnonHugePages   2048 kB while some process maps the THP by PMD, else 0
 *   compound        the THP is still a compound page (kpageflags KPF_THP)
 *   mapcount[i]     page_mapcount of subpage i (PMD maps + PTE maps; 0 once freed):
 *                   what /proc/kpagecount shows for each of its 4 KiB pages. The
 *                   spec states it exactly (its readers hold the page lock); its
 *                   refcount (pins, transient references) is not user-visible
 *                   and is not compared
 *   page[m][i]      the page identity mm m sees at subpage i: -1 nothing mapped,
 *                   i the THP's own subpage, nr + k the k-th private copy in
 *                   (mm, subpage) order (same number = same physical page), -3
 *                   the zero page, -4 a swap entry (the implementation's PTE is
 *                   one: its page is in the swap cache or left memory; which one
 *                   shows at the access that maps it again)
 *
 * Return values are the model's where the kernel shows them: fault 'pmd'
 * (a THP was mapped), wp_fault 'reuse'/'copy' (the page under the address
 * stayed or changed), read the data, pin 'ok'/'EFAULT', split 'ok'/'EBUSY'.
 * A split where no THP is left ('nothp') covers the model's EINVAL (already
 * split) and ENOENT (freed): userspace cannot tell those apart.
 */
import type { Script } from '../../checker/scenario-file.js';
import type { Args, RetValue } from '../../checker/types.js';
import type { ThpParams, ThpState } from '../../impl/thp/page.js';
import type { KernelMapping } from '../../kernel/types.js';
import { pageAt } from '../../spec/thp/identity.js';
import { abstraction } from './abstraction.js';
import { THP_C } from './probe-c.js';

/** Ops a process can do on a real kernel; the rest are kernel-internal or need what the probe does not have. */
export const THP_KERNEL_UNSUPPORTED: Readonly<Record<string, string>> = {
  fault_pte: 'file THPs are not mapped to the probe yet (a page-cache THP needs a filesystem with large folios)',
  evict: 'file THPs are not mapped to the probe yet (eviction of a page-cache THP on cue)',
  pin_fast:
    'GUP-fast alone: the user-level pins the probe takes (io_uring buffer registration, process_vm_readv) go through the slow path, which is the pin op',
  split_huge_pmd: 'a kernel page-table walker; userspace reaches it through mprotect/mlock/munmap',
  scan_get: 'a physical-memory scanner taking a speculative reference: no user-level trigger on cue',
  scan_put: 'the scanner dropping that reference',
  deferred_split_scan: 'the deferred split shrinker runs under memory pressure, not on cue',
  put_prior: 'the THP queued before the tracked one (params.prior) is not set up by the probe',
  collapse: 'khugepaged runs on its own schedule, not on cue (the probe keeps it away with MADV_NOHUGEPAGE)',
  collapse_file:
    'file THPs are not mapped to the probe yet; MADV_COLLAPSE of a file range would reach collapse_file on cue (v6.1+), but installs the PMD at once',
  page_mapcount: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
  total_mapcount: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
  page_mapped: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
  page_count: 'a kernel query: page_count is not visible to userspace',
  numa_hint: 'NUMA balancing scans on its own schedule (task_numa_work), not on cue',
  swap_out:
    'reclaim by memory pressure, on its own schedule and of every mapping of the THP: the user-level trigger is MADV_PAGEOUT, the madvise_pageout op (the same shrink_page_list steps for the pages it isolates)',
};

/** What the probe prints for a group of swap entries (probe-c.ts). */
const SWAP_ENTRY = -4;

/**
 * The implementation's PTE of mm m at subpage i is a swap entry. Both implementations keep a PTE table per
 * mm (`mms[m].pmd` 'table', `mms[m].pte[i]`) and encode swap PTEs as negative values (impl/thp/page.ts
 * PTE_SWAP, PTE_SWAP_EXCLUSIVE; the folio one the same), so this reads either state.
 */
function swapEntryAt(state: unknown, m: number, i: number): boolean {
  const mm = (state as { mms?: readonly { pmd: string; pte: readonly number[] }[] }).mms?.[m];
  return mm !== undefined && mm.pmd === 'table' && (mm.pte[i] ?? 0) < 0;
}

const INITIAL: Record<ThpParams['initial'], number> = { none: 0, pmd: 1, forked: 2 };

function int(args: Args, k: string, dflt = -1): string {
  const v = args[k];
  if (typeof v === 'boolean') return v ? '1' : '0';
  return typeof v === 'number' && Number.isInteger(v) ? String(v) : String(dflt);
}

function step(op: string, args: Args): string {
  const r = (expr: string): string => `ret = ${expr};`;
  switch (op) {
    case 'fault':
      return r(`t_fault(${int(args, 'mm')})`);
    case 'wp_fault':
      return r(`t_wp_fault(${int(args, 'mm')}, ${int(args, 'sub')}, ${int(args, 'val', 1)}, &bus)`);
    case 'read':
      return r(`t_read(${int(args, 'mm')}, ${int(args, 'sub')})`);
    case 'fork':
      return r(`t_fork(${int(args, 'src')}, ${int(args, 'dst')})`);
    case 'munmap':
      return r(`t_range(${int(args, 'mm')}, 0, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'mprotect':
      return r(
        `t_range(${int(args, 'mm')}, ${int(args, 'exec', 1) === '0' ? 6 : 1}, ${int(args, 'from')}, ${int(args, 'to')})`,
      );
    case 'munlock':
      return r(`t_range(${int(args, 'mm')}, 5, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'mlock':
      return r(`t_range(${int(args, 'mm')}, 2, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'madvise_dontneed':
      return r(`t_range(${int(args, 'mm')}, 3, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'madvise_pageout':
      return r(`t_range(${int(args, 'mm')}, 4, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'mremap':
      return r(`t_mremap(${int(args, 'mm')}, ${int(args, 'aligned')})`);
    case 'populate_read':
      return r(`t_populate_read(${int(args, 'mm')})`);
    case 'mprotect_ro':
      return r(`t_mprotect_ro(${int(args, 'mm')})`);
    case 'force_write':
      return r(`t_force(${int(args, 'mm')}, ${int(args, 'sub')}, 1, ${int(args, 'val', 1)})`);
    case 'force_read':
      return r(`t_force(${int(args, 'mm')}, ${int(args, 'sub')}, 0, 0)`);
    case 'migrate':
      return r(`t_migrate(${int(args, 'mm')})`);
    case 'pin':
      return r(`t_pin(${int(args, 'mm')}, ${int(args, 'sub')}, ${int(args, 'write', 0)})`);
    case 'unpin':
      return r(`t_unpin(${int(args, 'sub')})`);
    case 'split':
      return r(`t_split(${int(args, 'sub')})`);
    default:
      throw new Error(
        `thp: op '${op}' has no C counterpart in subsystems/thp/probe.ts${THP_KERNEL_UNSUPPORTED[op] ? `: ${THP_KERNEL_UNSUPPORTED[op]}` : ''}`,
      );
  }
}

/** The process (mm) whose task runs an op. */
function mmOfOp(op: string, args: Args): string {
  if (op === 'fork') return int(args, 'src');
  if (op === 'split') return '0';
  return int(args, 'mm');
}

/**
 * The probe's read-only pin is process_vm_readv's pin_user_pages_remote() without FOLL_LONGTERM
 * (mm/process_vm_access.c @ v6.1, v6.12); the user-level long-term pins it has pin with FOLL_WRITE (io_uring), and
 * those that can pin read-only need a device (RDMA, vfio, vdpa) or pin with FOLL_WRITE on 6.1 (videobuf2's
 * get_vaddr_frames() @ v6.1).
 */
export const RO_LONGTERM =
  'a read-only FOLL_LONGTERM pin: the probe pins read-only with process_vm_readv (short-term FOLL_PIN) and long-term only with FOLL_WRITE (io_uring)';

/** Why a script cannot run on a kernel, or undefined. */
export function thpUnsupported(script: Script): string | undefined {
  const p = script.params as ThpParams;
  if (p.kind !== 'anon') return `kind '${p.kind}': ${THP_KERNEL_UNSUPPORTED.fault_pte}`;
  if (512 % p.nr !== 0) return `nr ${p.nr} does not divide the 512 subpages of a 2 MiB THP`;
  if (p.prior === 1) return `prior: ${THP_KERNEL_UNSUPPORTED.put_prior}`;
  if ((p.thps ?? 1) > 1) return `thps ${p.thps}: the probe sets up one THP per process`;
  for (const s of script.steps) {
    const why = THP_KERNEL_UNSUPPORTED[s.op];
    if (why) return `op ${s.op}: ${why}`;
    if (s.op === 'pin' && s.args.write !== 1 && s.args.longterm === 1) return RO_LONGTERM;
  }
  return undefined;
}

export const thpProbe: KernelMapping<ThpParams> = {
  subsystem: 'thp',
  cHelpers: THP_C,
  describe:
    'one 2 MiB private anonymous THP (MADV_HUGEPAGE) at a fixed address in every process; model subpage i is ' +
    '4 KiB pages [i*512/nr, (i+1)*512/nr); after each step /proc/meminfo AnonHugePages, /proc/kpageflags ' +
    'KPF_THP and /proc/kpagecount of the THP, and per process /proc/<pid>/pagemap are printed',
  /*
   * numa_balancing=disable (Documentation/admin-guide/kernel-parameters.txt @ v6.12): on the two-node VM of a
   * migrate batch, automatic NUMA balancing would move pages on its own schedule (a NUMA hinting fault on a
   * read moved a page group that move_pages had put on the other node: conform saw its identity change)
   */
  cmdline: () => ['transparent_hugepage=madvise', 'numa_balancing=disable'],
  // move_pages needs a second node to move the THP to
  numaNodes: (scripts) => (scripts.some((s) => s.steps.some((st) => st.op === 'migrate')) ? 2 : 1),
  unsupported: thpUnsupported,
  // MADV_PAGEOUT reclaims anon pages only with swap space (a machine without it keeps them all)
  needsSwap: (script) => script.steps.some((st) => st.op === 'madvise_pageout'),
  setup: (p, i) => `t_setup(${i}, ${p.nr}, ${p.mms}, ${INITIAL[p.initial]});`,
  step,
  task: (op, args) => `t_task_of(${mmOfOp(op, args)})`,
  observe: 't_observe();',
  restore: (_p, i) => `return t_restore(${i});`,
  predict(state, p, sub) {
    // the state of the implementation that ran (compound or folio: each has its own abstraction to the one view)
    const v = (sub?.abstraction ?? abstraction)(state as ThpState, p) as ReturnType<typeof abstraction>;
    const alive = v.compound && !v.freed[0];
    const out: Record<string, number> = {
      AnonHugePages: alive && v.pmd.length > 0 ? 2048 : 0,
      compound: alive ? 1 : 0,
    };
    v.mapcount.forEach((c, i) => (out[`mapcount[${i}]`] = c));
    // a swap entry shows as -4 in pagemap, whatever page it names; the probe numbers the other pages it sees
    const renumber = new Map<number, number>();
    for (let m = 0; m < p.mms; m++)
      for (let i = 0; i < p.nr; i++) {
        let pg = swapEntryAt(state, m, i) ? SWAP_ENTRY : pageAt(v, m, i);
        if (pg >= p.nr) {
          if (!renumber.has(pg)) renumber.set(pg, p.nr + renumber.size);
          pg = renumber.get(pg)!;
        }
        out[`page[${m}][${i}]`] = pg;
      }
    return out;
  },
  retOf: (ret: RetValue, op?: string) => {
    if (op === 'split' && (ret === 'EINVAL' || ret === 'ENOENT')) return 'nothp';
    if (op === 'wp_fault' && ret === 'EFAULT') return 'SIGSEGV'; /* a store to a read-only VMA */
    return ret === null ? 'null' : String(ret);
  },
};
