/**
 * THP mapcount / refcount / split: the abstract spec.
 *
 * What a user of transparent huge pages may rely on (Documentation/vm/transhuge.rst,
 * "Refcounts and transparent huge pages" and "Partial unmap and
 * deferred_split_huge_page()"), stated over plain mapping sets instead of the
 * kernel's compound_mapcount / PageDoubleMap encoding:
 *
 *   - one huge page of `nr` subpages (anon or file-backed), `mms` processes;
 *   - for every subpage, the set of mms mapping it with a PMD (the whole THP)
 *     and the set mapping it with a PTE; GUP pins and speculative references
 *     per subpage; page-cache membership (file); the deferred-split queue;
 *   - page_mapcount(sub) = PMD maps + PTE maps of sub; total_mapcount counts a
 *     PMD once; page_count = mappings + pins + references (+ page cache).
 *
 * Nothing here knows about `_mapcount` being -1 based, the first tail page or
 * PG_double_map: those are the implementation's business (impl/thp).
 * The machine is a pure reducer (`applyThp`) wrapped in xstate.
 *
 * The zero page and read-only private mappings (zero, zeroData, ro): a read
 * fault of an unmapped private anon page maps the zero page (the huge one by
 * PMD when no page table is there), which always reads 0 and is never the
 * writer's own: a write, and a FOLL_FORCE write (/proc/pid/mem) through a
 * read-only VMA, always goes to a fresh private copy. A store to a read-only
 * VMA faults (EFAULT). MADV_DONTNEED drops the range's mappings (the page
 * table stays); a later load faults in zeroes (the model's `read` says nomap,
 * `force_read` faults in the zero page).
 *
 * Exact: refcount readers, COW reuse on a PMD, split success iff no pin or
 * speculative reference, the deferred split queue, freeing. Deliberately
 * loose, each because the kernel is:
 *   - a mapcount reader may count a splitting PMD and its new PTEs at once
 *     (the folio-era __split_huge_pmd takes no page lock; the v5.8 - v5.17
 *     one did, so impl/thp never needs this freedom);
 *   - an anon PMD may be split at any time (internal step; "pmd can be split
 *     at any point and never fails"), so munmap's split-then-zap is linearizable;
 *   - a THP allocation, khugepaged and the shrinker may fail or skip; a PTE
 *     write fault may always copy; get_page_unless_zero may fail (frozen refcount);
 *   - a FOLL_FORCE write in flight may fault fresh zero-filled memory into its
 *     own address before its data lands (force_fault, a step of that write
 *     only: thpPendingInternal);
 *   - a kernel path holding a reference (shrinker, splitter) can outlive the
 *     page's last user: a scanner may then still get it, and split may report
 *     success on a page its caller's reference kept alive.
 */
import { assign, setup } from 'xstate';
import { REJECT, int, type Env, type Handler } from './handler.js';
import { pageAt } from './identity.js';
import { mappingHandlers } from './map-ops.js';
import { referenceHandlers } from './ref-ops.js';
import { migrateHandlers } from './migrate-ops.js';
import { collapseFileHandlers } from './collapse-file-ops.js';
import { priorHandlers } from './prior-ops.js';
import { swapHandlers, swapInPending, swapInternal, swapOutPending } from './swap-ops.js';
import { pageoutHandlers, pageoutPending } from './pageout-ops.js';
import { queryHandlers } from './query-ops.js';
import {
  applyK,
  choicesK,
  initialK,
  internalK,
  isKView,
  pendingK,
  specThpCount,
  type KThpContext,
  type KThpView,
} from './kthps.js';
import {
  clone,
  endSplit,
  initialThp,
  settle,
  splitKey,
  sum,
  thpChoicesOf,
  type ThpContext,
  type ThpEvent,
  type ThpParams,
  type ThpView,
} from './view.js';

export * from './view.js';
export { isKView, type KThpView } from './kthps.js';

const handlers: Readonly<Record<string, Handler>> = {
  ...mappingHandlers,
  ...referenceHandlers,
  ...migrateHandlers,
  ...collapseFileHandlers,
  ...priorHandlers,
  ...swapHandlers,
  ...pageoutHandlers,
  ...queryHandlers,
  /** A split in flight unmapped the huge page for its freeze (thpPendingInternal): nothing else changes. */
  /** The migration entries of a migrate's split pieces are gone (thpInternal). */
  migrate_done: (c, e) => {
    const key = String(e.ev.key);
    if (!c.splitting.includes(key)) return REJECT;
    endSplit(c, key);
    return 'ok';
  },
  split_freeze: (c, e) => {
    const key = String(e.ev.key);
    if (c.splitting.includes(key)) return REJECT;
    c.splitting = [...c.splitting, key].sort();
    return 'ok';
  },
};

/** Apply one event; returns the next context with `ret` set, or `ret` undefined when the event is not enabled. */
export function applyThp(ctx: ThpContext, ev: ThpEvent): ThpContext {
  const handler = Object.hasOwn(handlers, ev.type) ? handlers[ev.type] : undefined;
  if (!handler) return { ...ctx, ret: undefined };
  const c = clone(ctx);
  const n = c.pte.length;
  const choice = ev.choice as string | undefined;
  const e: Env = {
    ev,
    n,
    choice,
    first: (ch) => choice === undefined || choice === ch[0],
    mm: int(ev.mm),
    sub: int(ev.sub),
    badMm: (x) => x < 0 || x >= c.mms,
    badSub: (x) => x < 0 || x >= n,
    anon: c.kind === 'anon',
    pins: sum(c.pins),
    refs: sum(c.refs),
  };
  const ret = handler(c, e);
  if (ret === REJECT) return { ...ctx, ret: undefined };
  settle(c);
  return { ...c, ret };
}

/**
 * Internal steps: the kernel may split an anon PMD at any time ("pmd can be
 * split at any point and never fails"), and drop a page no swap entry refers
 * to from the swap cache (swap-ops.ts).
 */
export function thpInternal(view: ThpView): { type: string; mm?: number; sub?: number; key?: string }[] {
  if (view.kind !== 'anon') return [];
  const splits = view.compound ? view.pmd.map((mm) => ({ type: 'split_huge_pmd', mm })) : [];
  /* a migrate that split the THP may keep migration entries of its pieces after it linearized (migrate-ops.ts) */
  const done = view.splitting.filter((k) => k.startsWith('migrate:')).map((key) => ({ type: 'migrate_done', key }));
  return [...splits, ...swapInternal(view), ...done];
}

/**
 * Steps an operation in flight may take before it linearizes: a FOLL_FORCE
 * write (/proc/pid/mem) faults its own address in before its data lands
 * (force_fault: __get_user_pages → faultin_page, then copy_to_user_page), so a
 * concurrent reader may see the fresh zero-filled page of that one address.
 * Only while that write is in flight: nothing else maps memory into a range
 * behind the user's back. A swap_out in flight may split the THP (split_freeze,
 * swap_split), add its page to the swap
 * cache and turn mappings into swap entries of it (swap-ops.ts); a
 * madvise_pageout in flight may split the THP and do the same to the pages
 * wholly in its range, up to freeing them (pageout-ops.ts). A split in
 * flight (split_huge_page, also from the deferred split shrinker) unmaps the
 * huge page for its freeze (unmap_page(): try_to_migrate() installs migration
 * entries for anon, try_to_unmap() clears file PTEs; mm/huge_memory.c
 * split_huge_page_to_list() @ v6.1) until remap_page(): split_freeze. An
 * access through swap entries may map a whole THP back from the swap cache
 * (swap_in_folio, swap-ops.ts).
 */
export function thpPendingInternal(
  view: ThpView,
  op: string,
  args: Readonly<Record<string, unknown>>,
): { type: string; mm?: number; sub?: number; key?: string; pte?: number }[] {
  if (op === 'swap_out') return swapOutPending(view, args);
  if (op === 'madvise_pageout') return pageoutPending(view, args);
  const swapIn = swapInPending(view, op, args);
  if (swapIn.length > 0) return swapIn;
  /*
   * A migrate in flight replaces mappings by migration entries too: of the huge page, of the small pages of a
   * split one, or of the split it does first (v6.10+ migrate_pages_batch(): try_split_folio of a queued THP).
   */
  const mm = int(args.mm);
  const migrates = op === 'migrate' && mm >= 0 && mm < view.mms && view.freed.some((f) => !f);
  const splits = (op === 'split' || op === 'deferred_split_scan') && view.compound && !view.freed[0];
  const key = splitKey(op, args);
  if ((splits || migrates) && !view.splitting.includes(key)) return [{ type: 'split_freeze', key }];
  if (view.kind !== 'anon' || op !== 'force_write') return [];
  const sub = int(args.sub);
  if (mm < 0 || mm >= view.mms || sub < 0 || sub >= view.pte.length || pageAt(view, mm, sub) !== -1) return [];
  return [
    { type: 'force_fault', mm, sub },
    { type: 'force_fault', mm, sub, pte: 1 },
  ];
}

/** The spec state of params.thps THPs: the single-THP context (thps 1), or one view per THP (spec/thp/kthps.ts). */
export type ThpAnyContext = ThpContext | KThpContext;
export type ThpAnyView = ThpView | KThpView;

export const thpMachine = setup({
  types: {} as { context: ThpAnyContext; input: ThpParams; events: ThpEvent },
}).createMachine({
  id: 'thp',
  context: ({ input }) => (specThpCount(input) > 1 ? initialK(input, initialThp) : initialThp(input)),
  initial: 'live',
  states: {
    live: {
      on: {
        '*': {
          actions: assign(({ context, event }) =>
            isKView(context) ? applyK(context, event as ThpEvent, applyThp) : applyThp(context, event as ThpEvent),
          ),
        },
      },
    },
  },
});

/** The spec view: the context without `ret`. */
export function thpView(c: ThpContext): ThpView;
export function thpView(c: ThpAnyContext): ThpAnyView;
export function thpView(c: ThpAnyContext): ThpAnyView {
  const { ret: _ret, ...rest } = c;
  return rest;
}

/** SpecDef.choices / internal / pendingInternal for params.thps THPs (spec/thp/kthps.ts at thps > 1). */
export const thpAnyChoices = (op: string, args: Readonly<Record<string, unknown>>, v: ThpAnyView) =>
  isKView(v) ? choicesK(op, args, v, thpChoicesOf) : thpChoicesOf(op, args, v);
export const thpAnyInternal = (v: ThpAnyView) => (isKView(v) ? internalK(v, thpInternal) : thpInternal(v));
export const thpAnyPending = (v: ThpAnyView, op: string, args: Readonly<Record<string, unknown>>) =>
  isKView(v) ? pendingK(v, op, args, thpPendingInternal) : thpPendingInternal(v, op, args);
