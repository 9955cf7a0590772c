/**
 * hugetlb on a real kernel: each op of the hugetlb script language as C
 * (helpers in probe-c.ts), and what the implementation predicts the kernel
 * shows after each step: /proc/meminfo HugePages_{Total,Free,Rsvd,Surp} and,
 * for every mounted hugetlbfs with size=, the subpool's used_hpages through
 * statfs (f_blocks - f_bfree, fs/hugetlbfs/inode.c hugetlbfs_statfs()).
 *
 * rsv_hpages of a subpool is not visible to userspace; it shows up in
 * HugePages_Rsvd, which is compared.
 */
import type { Script } from '../../checker/scenario-file.js';
import type { Args, RetValue } from '../../checker/types.js';
import { SP_MOUNTED, type G } from '../../impl/hugetlb/state.js';
import type { KernelMapping, KernelScript } from '../../kernel/types.js';
import type { HugetlbParams } from '../../spec/hugetlb/params.js';
import { explainHugetlb } from './explain.js';
import { hugetlbInjectSite } from './inject-sites.js';
import { HUGETLB_C } from './probe-c.js';
import { HUGETLB_UFFD_C } from './probe-c-uffd.js';
import { HUGETLB_C_MADVISE } from './probe-c-madvise.js';
import { HUGETLB_C_SURGERY } from './probe-c-surgery.js';
import { HUGETLB_C_MEMFD } from './probe-c-memfd.js';
import { HUGETLB_C_PIN } from './probe-c-pin.js';
import { HUGETLB_C_NODES } from './probe-c-nodes.js';

const KIND_C: Record<string, string> = {
  shared: 'K_SHARED',
  noreserve: 'K_NORESERVE',
  private: 'K_PRIVATE',
  private_noreserve: 'K_PRIVATE_NORESERVE',
  private_file: 'K_PRIVATE_FILE',
};

/** uffd_copy's source buffer, as h_uffd_copy's srcmode. */
const SRC_C: Record<string, string> = { resident: '0', unpopulated: '1', bad: '2' };

/** An integer argument as a C literal; anything else is -1 (the op then answers as the model does). */
function int(args: Args, k: string): string {
  const v = args[k];
  if (typeof v === 'boolean') return v ? '1' : '0';
  return typeof v === 'number' && Number.isInteger(v) ? String(v) : '-1';
}

function cArray(xs: readonly (number | boolean)[], type: string, name: string): string {
  const items = xs.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : x));
  return `static const ${type} ${name}[] = { ${items.length ? items.join(', ') : '0'} };`;
}

/** Ops the probe VM cannot drive, with the reason (conform never generates them; a script with one is unsupported). */
export const HUGETLB_KERNEL_UNSUPPORTED: Readonly<Record<string, string>> = {};

/** Does the script offline memory (dissolve)? */
const hasDissolve = (s: Script): boolean => s.steps.some((x) => x.op === 'dissolve');

/** The most NUMA nodes a probe VM boots with (kernel/qemu.ts numaArgs splits its memory between them). */
export const PROBE_MAX_NODES = 2;

/** NUMA nodes the VM needs for scripts (params.nodePool; the probe VM's default is one). */
export const probeNodes = (scripts: readonly Script[]): number =>
  Math.max(1, ...scripts.map((s) => (s.params as HugetlbParams).nodePool ?? 1));

/**
 * Per-node counters the probe reads under /sys/devices/system/node/node<nid>/hugepages/hugepages-2048kB/
 * (N<nid>_nr_hugepages, _free_hugepages, _surplus_hugepages: nr_huge_pages_node, free_huge_pages_node,
 * surplus_huge_pages_node) as the implementation predicts them; none with one node.
 */
export function predictNodes(g: Readonly<G>): Record<string, number> {
  const out: Record<string, number> = {};
  g.nd.forEach((n, k) => {
    out[`N${k}_nr_hugepages`] = n.nr;
    out[`N${k}_free_hugepages`] = n.free;
    out[`N${k}_surplus_hugepages`] = n.surp;
  });
  return out;
}

function step(op: string, args: Args): string {
  const r = (expr: string): string => `ret = ${expr};`;
  switch (op) {
    case 'mmap': {
      const kind = KIND_C[String(args.kind)] ?? '0';
      return r(`h_mmap(${int(args, 'v')}, ${kind}, ${int(args, 'f')}, ${int(args, 'from')}, ${int(args, 'to')})`);
    }
    case 'fault':
      return r(`h_fault(${int(args, 'v')}, ${int(args, 'i')}, ${int(args, 'write')}, &bus)`);
    case 'uffd_copy':
      return r(`h_uffd_copy(${int(args, 'v')}, ${int(args, 'i')}, ${SRC_C[String(args.src ?? 'resident')] ?? '0'})`);
    case 'uffd_continue':
      return r(`h_uffd_continue(${int(args, 'v')}, ${int(args, 'i')})`);
    case 'uffd_register':
      if (args.from !== undefined)
        return r(
          `h_uffd_register_range(${int(args, 'v')}, ${args.mode === 'minor' ? 1 : 0}, ${int(args, 'from')}, ${int(args, 'to')}, ${int(args, 'c')}, ${int(args, 'd')})`,
        );
      return r(`h_uffd_register(${int(args, 'v')}, ${args.mode === 'minor' ? 1 : 0})`);
    case 'munmap':
      if (args.from === undefined && args.to === undefined) return r(`h_munmap(${int(args, 'v')})`);
      return r(`h_munmap_range(${int(args, 'v')}, ${int(args, 'from')}, ${int(args, 'to')}, ${int(args, 'c')})`);
    case 'close':
      return r(`h_close(${int(args, 'f')})`);
    case 'unlink':
      return r(`h_unlink(${int(args, 'f')})`);
    case 'umount':
      return r(`h_umount(${int(args, 'm')})`);
    case 'fallocate':
      return r(`h_fallocate(${int(args, 'f')}, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'truncate':
      return r(`h_truncate(${int(args, 'f')}, ${int(args, 'size')})`);
    case 'punch':
      return r(`h_punch(${int(args, 'f')}, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'fork':
      return r(`h_fork(${int(args, 'v')}, ${int(args, 'c')})`);
    case 'madvise_dontneed':
      return r(`h_madvise_dontneed(${int(args, 'v')}, ${int(args, 'from')}, ${int(args, 'to')})`);
    case 'soft_offline':
      return r(`h_soft_offline(${int(args, 'v')}, ${int(args, 'i')})`);
    case 'mprotect':
      return r(
        `h_mprotect(${int(args, 'v')}, ${int(args, 'from')}, ${int(args, 'to')}, ${int(args, 'ro')}, ${int(args, 'c')}, ${int(args, 'd')}, ${args.misalign === true ? 1 : 0})`,
      );
    case 'mremap':
      return r(
        `h_mremap(${int(args, 'v')}, ${int(args, 'from')}, ${int(args, 'to')}, ${int(args, 'len')}, ${int(args, 'c')}, ${args.misalign === true ? 1 : 0})`,
      );
    case 'set_nr':
      return r(`h_sysctl("/proc/sys/vm/nr_hugepages", ${int(args, 'n')})`);
    case 'set_nr_node':
      return r(`h_set_nr_node(${int(args, 'nid')}, ${int(args, 'n')})`);
    case 'dissolve':
      return r('h_dissolve()');
    case 'set_overcommit':
      return r(`h_sysctl("/proc/sys/vm/nr_overcommit_hugepages", ${int(args, 'n')})`);
    case 'pin':
      return r(`h_pin(${int(args, 'k')}, ${int(args, 'v')}, ${int(args, 'i')})`);
    case 'udmabuf':
      return r(`h_udmabuf(${int(args, 'k')}, ${int(args, 'f')}, ${int(args, 'i')})`);
    case 'unpin':
      return r(`h_unpin(${int(args, 'k')})`);
    case 'memfd_create':
      return r(`h_memfd_create(${int(args, 'f')})`);
    case 'mount':
      return r(`h_mount(${int(args, 'm')}, ${int(args, 'size')}, ${int(args, 'min')})`);
    default:
      throw new Error(
        `hugetlb: op '${op}' has no C counterpart in subsystems/hugetlb/probe.ts${HUGETLB_KERNEL_UNSUPPORTED[op] ? `: ${HUGETLB_KERNEL_UNSUPPORTED[op]}` : ''}`,
      );
  }
}

export const hugetlbProbe: KernelMapping<HugetlbParams> = {
  subsystem: 'hugetlb',
  cHelpers:
    HUGETLB_C +
    HUGETLB_UFFD_C +
    HUGETLB_C_MADVISE +
    HUGETLB_C_SURGERY +
    HUGETLB_C_MEMFD +
    HUGETLB_C_PIN +
    HUGETLB_C_NODES,
  describe:
    'hugetlbfs mounts under /mnt/mmcheck, files f<N> on them, mapping slot v at a fixed address; ' +
    'after each step /proc/meminfo HugePages_* and statfs(mount) used pages are printed',
  // memory offline (dissolve) needs hotplugged memory onlined movable (probe-c-nodes.ts h_dissolve)
  cmdline: (scripts) => [
    'transparent_hugepage=never',
    'hugepages=0',
    ...(scripts.some(hasDissolve) ? ['memhp_default_state=online_movable'] : []),
  ],
  hotplugMiB: (scripts) => (scripts.some(hasDissolve) ? 128 : 0),
  numaNodes: probeNodes,
  exactNodes: true,
  explain: explainHugetlb,
  unsupported(script: KernelScript) {
    const p = script.params as HugetlbParams;
    // an injected failure needs a kernel function for its site (inject-sites.ts; the release is checked at compile)
    for (const x of script.injections ?? []) {
      const k = hugetlbInjectSite(x.site, '6.12');
      if (typeof k === 'string') return k;
    }
    if (p.numa) return 'params.numa models free pages on disallowed nodes; the probe VM has one node';
    if ((p.nodePool ?? 1) > PROBE_MAX_NODES)
      return `params.nodePool ${p.nodePool}: the probe VM boots with at most ${PROBE_MAX_NODES} NUMA nodes`;
    for (const s of script.steps)
      if (HUGETLB_KERNEL_UNSUPPORTED[s.op]) return `op ${s.op}: ${HUGETLB_KERNEL_UNSUPPORTED[s.op]}`;
    return undefined;
  },
  setup(p, i) {
    return [
      cArray(p.fileMount, 'int', 'fm'),
      cArray(
        p.mounts.map((m) => m.size),
        'long',
        'msize',
      ),
      cArray(
        p.mounts.map((m) => m.min),
        'long',
        'mmin',
      ),
      cArray(
        p.mounts.map((m) => m.mounted && !m.internal), // the internal mount is the kernel's own (probe-c-memfd.ts)
        'int',
        'mon',
      ),
      // several nodes: the pool goes on node 0 first (the model's boot pool, impl/hugetlb/state.ts); h_setup's
      // global write of the same count then changes nothing (set_max_huge_pages: count == persistent)
      ...((p.nodePool ?? 1) > 1 ? [`h_nodes_setup(${i}, ${p.nodePool}, ${p.pool}, ${p.membind ?? -1});`] : []),
      `h_setup(${i}, ${p.pool}, ${p.overcommit}, ${p.fileSize}, ${p.fileMount.length}, fm, ${p.mounts.length}, msize, mmin, mon);`,
      ...p.mounts.flatMap((m, k) => (m.internal ? [`h_internal(${k});`] : [])),
    ].join('\n');
  },
  step,
  task(op, args) {
    return op === 'mmap' ||
      op === 'fault' ||
      op === 'uffd_copy' ||
      op === 'uffd_continue' ||
      op === 'uffd_register' ||
      op === 'munmap' ||
      op === 'fork' ||
      op === 'madvise_dontneed' ||
      op === 'soft_offline' ||
      op === 'pin' ||
      op === 'mprotect' ||
      op === 'mremap'
      ? `h_task_of(${int(args, 'v')})`
      : '0';
  },
  observe: 'h_observe();',
  restore: (p, i) => `return h_restore(${i}, ${p.mounts.length});`,
  predict(state, p) {
    const g = state as G;
    const out: Record<string, number> = {
      HugePages_Total: g.nr,
      HugePages_Free: g.free,
      HugePages_Rsvd: g.resv,
      HugePages_Surp: g.surp,
    };
    g.spool.forEach((s, m) => {
      if (s.st === SP_MOUNTED && s.max !== -1) out[`spool${m}_used`] = s.used;
    });
    void p;
    return { ...out, ...predictNodes(g) };
  },
  retOf: (ret: RetValue) => (ret === null ? 'null' : String(ret)),
  injectSite: hugetlbInjectSite,
};
