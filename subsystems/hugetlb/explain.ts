/**
 * Which known finding explains a conform disagreement where the kernel and
 * the implementation agree against the spec (kernel-vs-spec, model-vs-spec):
 * the implementation's state before and after the disagreement's own step is
 * matched against what each subpool finding does to the counters, at the
 * operation that does it. Only that step: a finding's pattern at an earlier
 * step (which broke nothing the judge saw, or it would have been the
 * disagreement) does not explain a later one, which may have a new cause;
 * conform reports it as "first cause X at step k, later disagreement at step j
 * not explained". No match: not explained by a known finding either (a new
 * finding to shrink and report).
 *
 *   finding-out-put-pages-min            mmap fails and a subpool's rsv_hpages grows
 *                                        (hugetlb_reserve_pages out_put_pages puts chg back)
 *   finding-alloc-fail-subpool-refill    an allocation fails (fallocate, fault, UFFDIO_COPY)
 *                                        and rsv_hpages grows more than resv_huge_pages
 *                                        (alloc_hugetlb_folio out_subpool_put)
 *   finding-noreserve-subpool-reserve    a page is taken against rsv_hpages through a
 *                                        MAP_PRIVATE|MAP_NORESERVE mapping without lowering
 *                                        resv_huge_pages (vma_has_reserves() is false)
 *   finding-child-subpool-reserve        the same through a fork child's private mapping (no
 *                                        HPAGE_RESV_OWNER); MADV_SOFT_OFFLINE faults its page in
 *                                        the same way (get_user_pages_fast in madvise_inject_error,
 *                                        mm/madvise.c @ v6.12) before the migration's own answer
 *   finding-uffd-efault-min-size-entry   UFFDIO_COPY fails EFAULT and rsv_hpages shrinks
 *   finding-surplus-free-subpool-refill  a surplus page is freed (the pool shrinks) while
 *                                        resv_huge_pages and rsv_hpages both grow
 */
import type { Script } from '../../checker/scenario-file.js';
import type { RetValue } from '../../checker/types.js';
import { HPAGE_RESV_OWNER, KIND_NAMES, type G } from '../../impl/hugetlb/state.js';
import type { Explanation } from '../../kernel/types.js';

const rsv = (g: G): number => g.spool.reduce((n, s) => n + s.rsv, 0);
const failed = (ret: RetValue): boolean => typeof ret === 'string' && ret !== 'ok' && /^(E[A-Z]+|SIGBUS)$/.test(ret);
const ALLOCATING = new Set(['fallocate', 'fault', 'uffd_copy', 'uffd_continue']);
const FREEING = new Set(['munmap', 'close', 'unlink', 'truncate', 'punch', 'madvise_dontneed', 'set_nr', 'umount']);

/** The mapping's kind ('private', 'private_noreserve', ...) and whether it owns its reserve map. */
function kindOf(g: G, v: unknown): { kind: string; owner: boolean } | undefined {
  const vma = typeof v === 'number' ? g.vma[v] : undefined;
  if (!vma) return undefined;
  const k = vma.kind as unknown;
  return { kind: typeof k === 'number' ? KIND_NAMES[k]! : String(k), owner: (vma.flags & HPAGE_RESV_OWNER) !== 0 };
}

/** A page taken against rsv_hpages without lowering resv_huge_pages: which mapping's finding it is. */
function takenWithoutReserve(g: G, v: unknown): string | undefined {
  const k = kindOf(g, v);
  if (k?.kind === 'private_noreserve') return 'finding-noreserve-subpool-reserve';
  if (k?.kind === 'private' && !k.owner) return 'finding-child-subpool-reserve';
  return undefined;
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
  if (ALLOCATING.has(op) && !failed(ret) && dRsv < 0 && dResv >= 0) return takenWithoutReserve(b, args.v);
  // MADV_SOFT_OFFLINE: GUP's fault took the page; the migration may still refuse it (EBUSY)
  if (op === 'soft_offline' && dRsv < 0 && dResv >= 0 && b.free < a.free) return takenWithoutReserve(b, args.v);
  if (FREEING.has(op) && b.nr < a.nr && dResv > 0 && dRsv > 0) return 'finding-surplus-free-subpool-refill';
  return undefined;
}

/**
 * The known finding behind a disagreement at `step` of `script`, from the implementation's run of it:
 * a finding whose pattern is that very step; a pattern at an earlier step only names the first cause
 * a later, unexplained disagreement followed.
 */
export function explainHugetlb(
  script: Script,
  step: number,
  run: {
    readonly initial: unknown;
    readonly steps: readonly { readonly ret: RetValue; readonly impl: unknown; readonly invariant?: string }[];
  },
): Explanation | undefined {
  const at = (k: number): string | undefined => {
    const before = (k === 0 ? run.initial : run.steps[k - 1]!.impl) as G;
    const st = script.steps[k]!;
    return stepFinding(st.op, st.args, run.steps[k]!.ret, before, run.steps[k]!.impl as G);
  };
  if (step < run.steps.length) {
    const here = at(step);
    if (here) return here;
  }
  for (let k = 0; k < Math.min(step, run.steps.length); k++) {
    const earlier = at(k);
    if (earlier)
      return { notExplained: `first cause ${earlier} at step ${k}, later disagreement at step ${step} not explained` };
  }
  return undefined;
}
