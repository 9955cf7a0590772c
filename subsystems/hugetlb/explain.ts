/**
 * Which known finding explains a conform disagreement where the kernel and
 * the implementation agree against the spec (kernel-vs-spec, model-vs-spec):
 * the implementation's state before and after the step where one of its
 * invariants first broke (else each step up to the one that broke the spec,
 * latest first) is matched against what each subpool finding does to the
 * counters, at the operation that does it.
 * No match: the disagreement is not explained by a known finding, and conform
 * says so (a new finding to shrink and report).
 *
 *   finding-out-put-pages-min            mmap fails and a subpool's rsv_hpages grows
 *                                        (hugetlb_reserve_pages out_put_pages puts chg back)
 *   finding-alloc-fail-subpool-refill    an allocation fails (fallocate, fault, UFFDIO_COPY)
 *                                        and rsv_hpages grows more than resv_huge_pages
 *                                        (alloc_hugetlb_folio out_subpool_put)
 *   finding-noreserve-subpool-reserve    a page is taken against rsv_hpages through a
 *                                        MAP_PRIVATE|MAP_NORESERVE mapping without lowering
 *                                        resv_huge_pages (vma_has_reserves() is false)
 *   finding-child-subpool-reserve        the same through a fork child's private mapping
 *   finding-uffd-efault-min-size-entry   UFFDIO_COPY fails EFAULT and rsv_hpages shrinks
 *   finding-surplus-free-subpool-refill  a surplus page is freed (the pool shrinks) while
 *                                        resv_huge_pages and rsv_hpages both grow
 */
import type { Script } from '../../checker/scenario-file.js';
import type { RetValue } from '../../checker/types.js';
import { KIND_NAMES, type G } from '../../impl/hugetlb/state.js';

const rsv = (g: G): number => g.spool.reduce((n, s) => n + s.rsv, 0);
const failed = (ret: RetValue): boolean => typeof ret === 'string' && ret !== 'ok' && /^(E[A-Z]+|SIGBUS)$/.test(ret);
const ALLOCATING = new Set(['fallocate', 'fault', 'uffd_copy', 'uffd_continue']);
const FREEING = new Set(['munmap', 'close', 'unlink', 'truncate', 'punch', 'madvise_dontneed', 'set_nr', 'umount']);

function kindOf(g: G, v: unknown): string | undefined {
  const vma = typeof v === 'number' ? g.vma[v] : undefined;
  if (!vma) return undefined;
  const k = vma.kind as unknown;
  return typeof k === 'number' ? KIND_NAMES[k] : String(k);
}

/** The finding one step shows, or undefined. */
function stepFinding(
  op: string,
  args: Readonly<Record<string, unknown>>,
  ret: RetValue,
  a: G,
  b: G,
): string | undefined {
  const dRsv = rsv(b) - rsv(a);
  const dResv = b.resv - a.resv;
  if (op === 'mmap' && failed(ret) && dRsv > 0) return 'finding-out-put-pages-min';
  if (op === 'uffd_copy' && ret === 'EFAULT' && dRsv < 0) return 'finding-uffd-efault-min-size-entry';
  // the subpool gained a reservation no resv_huge_pages backs (over the whole op: a fallocate may take one first)
  if (ALLOCATING.has(op) && failed(ret) && dRsv - dResv > 0) return 'finding-alloc-fail-subpool-refill';
  if (ALLOCATING.has(op) && !failed(ret) && dRsv < 0 && dResv >= 0)
    return kindOf(b, args.v) === 'private_noreserve'
      ? 'finding-noreserve-subpool-reserve'
      : 'finding-child-subpool-reserve';
  if (FREEING.has(op) && b.nr < a.nr && dResv > 0 && dRsv > 0) return 'finding-surplus-free-subpool-refill';
  return undefined;
}

/** The known finding behind a disagreement at `step` of `script`, from the implementation's run of it. */
export function explainHugetlb(
  script: Script,
  step: number,
  run: {
    readonly initial: unknown;
    readonly steps: readonly { readonly ret: RetValue; readonly impl: unknown; readonly invariant?: string }[];
  },
): string | undefined {
  const last = Math.min(step, run.steps.length - 1);
  const at = (k: number): string | undefined => {
    const before = (k === 0 ? run.initial : run.steps[k - 1]!.impl) as G;
    const st = script.steps[k]!;
    return stepFinding(st.op, st.args, run.steps[k]!.ret, before, run.steps[k]!.impl as G);
  };
  // the step where an invariant (resv-conservation) first broke is the one to explain
  const broke = run.steps.findIndex((s, k) => k <= last && s.invariant !== undefined);
  if (broke >= 0) return at(broke);
  for (let k = last; k >= 0; k--) {
    const f = at(k);
    if (f) return f;
  }
  return undefined;
}
