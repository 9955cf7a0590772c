/**
 * Coverage events of a THP step: its outcome, and what the kernel's counters
 * show (the probe's names: AnonHugePages/ShmemHugePages from /proc/meminfo,
 * kpagecount[i] and per-subpage flags from /proc/kpagecount and kpageflags).
 */
import type { Script } from '../../../../checker/scenario-file.js';
import type { KernelStepObservation } from '../../../types.js';
import { kernelRet } from '../../observe.js';

export function thpEvents(
  script: Script,
  step: number,
  obs: KernelStepObservation,
  prev: KernelStepObservation | undefined,
): string[] {
  const st = script.steps[step]!;
  const ret = String(kernelRet(obs));
  const out: string[] = [];
  if (!['ok', 'null', 'true', 'false'].includes(ret) && !/^-?\d+$/.test(ret)) out.push(`${st.op} ${ret}`);
  const huge = (o: KernelStepObservation | undefined) =>
    (o?.counters.AnonHugePages ?? 0) + (o?.counters.ShmemHugePages ?? 0) + (o?.counters.FileHugePages ?? 0);
  if (prev && huge(prev) > 0 && huge(obs) < huge(prev)) out.push('THP gone (split or freed)');
  if (st.op === 'wp_fault' && script.steps.slice(0, step).some((s) => s.op === 'fork')) out.push('COW after fork');
  if (st.op === 'split') out.push(ret === 'ok' || ret === '0' ? 'split' : 'split refused');
  if (st.op === 'munmap' && Number(st.args.to) - Number(st.args.from) < Number((script.params as { nr: number }).nr))
    out.push('partial munmap');
  const back = st.op === 'munlock' || (st.op === 'mprotect' && st.args.exec === 0);
  if ((st.op === 'mprotect' || st.op === 'mlock') && !back && ret === 'ok') out.push('PMD split at a VMA border');
  if (back && ret === 'ok') out.push('VMA flags back (vma_merge)');
  if (
    back &&
    ret === 'ok' &&
    script.steps.slice(step + 1).some((s) => s.op === 'migrate' || s.op === 'madvise_pageout')
  )
    out.push('rmap walk after a VMA merge');
  if (st.op === 'pin' && ret === 'ok') out.push('pinned', ...readOnlyPin(st.args, obs, prev));
  if (st.op === 'mremap' && ret === 'ok') out.push(st.args.aligned === 1 ? 'mremap PMD moved' : 'mremap PMD split');
  const swapEntries = (o: KernelStepObservation | undefined): number =>
    Object.entries(o?.counters ?? {}).filter(([k, v]) => k.startsWith('page[') && v === -4).length;
  if (st.op === 'madvise_pageout') {
    out.push(swapEntries(obs) > swapEntries(prev) ? 'swapped out' : 'pageout kept all');
    out.push(...pageoutOfCopies(script, step, obs, prev));
  }
  if (swapEntries(obs) < swapEntries(prev)) out.push('swapped in');
  const shared = Object.entries(obs.counters).some(([k, v]) => k.startsWith('kpagecount[') && v > 1);
  if (shared) out.push('subpage mapped twice');
  return out;
}

/**
 * A MADV_PAGEOUT over a range where the process mapped a private copy just before (the probe's page[m][i] >= nr:
 * a page that is not the THP's own subpage), and whether one of them went to swap (-4 after).
 */
function pageoutOfCopies(
  script: Script,
  step: number,
  obs: KernelStepObservation,
  prev: KernelStepObservation | undefined,
): string[] {
  const st = script.steps[step]!;
  const nr = Number((script.params as { nr: number }).nr);
  const mm = Number(st.args.mm);
  const subs = Array.from({ length: Number(st.args.to) - Number(st.args.from) }, (_, k) => Number(st.args.from) + k);
  const copies = subs.filter((i) => (prev?.counters[`page[${mm}][${i}]`] ?? -1) >= nr);
  if (copies.length === 0) return [];
  const out = copies.some((i) => obs.counters[`page[${mm}][${i}]`] === -4);
  return ['pageout over a private copy', ...(out ? ['private copy swapped out'] : [])];
}

/**
 * A read-only pin (process_vm_readv's FOLL_PIN): whether it unshared (the page under the address changed: a
 * page another process mapped, gup_must_unshare()) or held the zero page (-3 before and after).
 */
function readOnlyPin(
  args: Readonly<Record<string, unknown>>,
  obs: KernelStepObservation,
  prev: KernelStepObservation | undefined,
): string[] {
  if (args.write === 1) return [];
  const at = `page[${Number(args.mm)}][${Number(args.sub)}]`;
  const before = prev?.counters[at];
  const after = obs.counters[at];
  if (before === -3 && after === -3) return ['read-only pin', 'read-only pin of the zero page'];
  return ['read-only pin', ...(before !== undefined && before !== after ? ['read-only pin unshared'] : [])];
}
