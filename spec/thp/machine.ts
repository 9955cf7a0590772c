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
 * Exact: mapcount/refcount readers (they run under the page lock), COW reuse
 * on a PMD, split success iff no pin or speculative reference, the deferred
 * split queue, freeing. Deliberately loose, each because the kernel is:
 *   - an anon PMD may be split at any time (internal step; "pmd can be split
 *     at any point and never fails"), so munmap's split-then-zap is linearizable;
 *   - a THP allocation, khugepaged and the shrinker may fail or skip; a PTE
 *     write fault may always copy; get_page_unless_zero may fail (frozen refcount);
 *   - a kernel path holding a reference (shrinker, splitter) can outlive the
 *     page's last user: a scanner may then still get it, and split may report
 *     success on a page its caller's reference kept alive.
 */
import { assign, setup } from 'xstate';
import type { RetValue } from '../../checker/types.js';

export type ThpKind = 'anon' | 'file';
/** Initial state: nothing mapped, mapped by PMD in mm 0, or shared by PMD in mm 0 and mm 1 (after fork). */
export type ThpInitial = 'none' | 'pmd' | 'forked';

export interface ThpParams {
  /** Subpages per huge page (HPAGE_PMD_NR; 4 in scenarios). */
  readonly nr: number;
  /** Processes (mm_structs), each with one VMA covering the huge page's range. */
  readonly mms: number;
  readonly kind: ThpKind;
  readonly initial: ThpInitial;
}

/** pin_user_pages() on a small (non-compound) page adds this to _refcount (include/linux/mm.h). */
export const GUP_PIN_COUNTING_BIAS = 1024;

export interface ThpView {
  kind: ThpKind;
  mms: number;
  /** The huge page is still compound (not split). */
  compound: boolean;
  /** mms mapping the whole THP with a PMD. */
  pmd: number[];
  /** pte[i]: mms mapping subpage i with a PTE. */
  pte: number[][];
  /** mms whose PMD slot holds a page table (PTE-mapped range); a PMD fault needs pmd_none. */
  ptable: number[];
  /** foreign[i]: mms whose address for subpage i maps a page other than this THP (a COW copy, a collapsed copy). */
  foreign: number[][];
  /** GUP (FOLL_PIN) pins held on subpage i. */
  pins: number[];
  /** Speculative references (get_page_unless_zero) held on subpage i. */
  refs: number[];
  /** File: subpage i is in the page cache. */
  cached: boolean[];
  /** On the deferred split queue. */
  queued: boolean;
  freed: boolean[];
  /** page_mapcount(i) (derived). */
  mapcount: number[];
  /** page_count(i) (derived): what the head's _refcount says for a compound page. */
  refcount: number[];
}

export interface ThpContext extends ThpView {
  ret?: RetValue;
}

export type ThpEvent = { type: string; [arg: string]: unknown };

/** Outcomes of the nondeterministic operations (SpecDef.choices). */
export const thpChoices = {
  /** split_huge_page: success, -EBUSY before unmapping, -EBUSY after the unmap/freeze failed. */
  split: ['ok', 'busy', 'busy-remapped', 'gone'],
  /** the deferred split shrinker is best effort. */
  deferred_split_scan: ['split', 'skip', 'skip-remapped'],
  /** khugepaged is best effort (trylock failures). */
  collapse: ['ok', 'fail'],
  /** COW: reuse the page, or not (PMD: fall back to PTEs; PTE: copy). */
  wp_fault: ['reuse', 'other'],
  /**
   * get_page_unless_zero may fail on a frozen refcount; it may also find a page
   * whose last user reference is gone while a kernel path (the shrinker, a
   * splitter) still holds it, which then lives on (possibly still queued).
   */
  scan_get: ['ok', 'fail', 'ok-compound', 'ok-compound-queued'],
  /** A THP allocation may fail ("regular pages should be gracefully allocated instead"). */
  fault: ['ok', 'enomem'],
} as const;

// ---------------------------------------------------------------------------
// Helpers over a draft (mutable copy)
// ---------------------------------------------------------------------------

const add = (s: number[], x: number): void => {
  if (!s.includes(x)) {
    s.push(x);
    s.sort((a, b) => a - b);
  }
};
const del = (s: number[], x: number): void => {
  const i = s.indexOf(x);
  if (i >= 0) s.splice(i, 1);
};
const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);

function clone(c: ThpView): ThpView {
  return {
    kind: c.kind,
    mms: c.mms,
    compound: c.compound,
    pmd: [...c.pmd],
    pte: c.pte.map((s) => [...s]),
    ptable: [...c.ptable],
    foreign: c.foreign.map((s) => [...s]),
    pins: [...c.pins],
    refs: [...c.refs],
    cached: [...c.cached],
    queued: c.queued,
    freed: [...c.freed],
    mapcount: [...c.mapcount],
    refcount: [...c.refcount],
  };
}

/** total_mapcount(): a PMD mapping counts once; for a split page, the head's own mapcount. */
export function specTotalMapcount(c: ThpView): number {
  if (c.compound) return c.pmd.length + sum(c.pte.map((s) => s.length));
  return c.pte[0]!.length;
}

function compoundRefs(c: ThpView): number {
  const n = c.pte.length;
  return specTotalMapcount(c) + sum(c.pins) + sum(c.refs) + (c.cached[0] ? n : 0);
}

function smallRefs(c: ThpView, i: number): number {
  return c.pte[i]!.length + GUP_PIN_COUNTING_BIAS * c.pins[i]! + c.refs[i]! + (c.cached[i] ? 1 : 0);
}

/** Free whatever has no reference left, then recompute the derived counts. */
function settle(c: ThpView): void {
  const n = c.pte.length;
  if (c.compound) {
    if (!c.freed[0] && compoundRefs(c) === 0) {
      for (let i = 0; i < n; i++) c.freed[i] = true;
      c.queued = false; // free_transhuge_page() takes it off the deferred list
      c.compound = false; // a freed page is no compound page any more
    }
  } else {
    for (let i = 0; i < n; i++) if (!c.freed[i] && smallRefs(c, i) === 0) c.freed[i] = true;
  }
  for (let i = 0; i < n; i++) {
    if (c.freed[i]) {
      c.mapcount[i] = 0;
      c.refcount[i] = 0;
    } else if (c.compound) {
      c.mapcount[i] = c.pmd.length + c.pte[i]!.length;
      c.refcount[i] = compoundRefs(c);
    } else {
      c.mapcount[i] = c.pte[i]!.length;
      c.refcount[i] = smallRefs(c, i);
    }
  }
}

const mapsSub = (c: ThpView, mm: number, i: number): boolean => c.pmd.includes(mm) || c.pte[i]!.includes(mm);
const mapsAny = (c: ThpView, mm: number): boolean =>
  c.pmd.includes(mm) || c.pte.some((s) => s.includes(mm)) || c.foreign.some((s) => s.includes(mm));

/**
 * Remove mm's PTE mapping of subpage i. Anon: "we detect that a subpage of THP
 * is not in use in page_remove_rmap() and queue the THP for splitting"
 * (transhuge.rst) — the subpage's last mapping went away while no PMD maps the page.
 */
function unmapPte(c: ThpView, mm: number, i: number): void {
  if (!c.pte[i]!.includes(mm)) return;
  del(c.pte[i]!, mm);
  if (c.kind === 'anon' && c.compound && c.pmd.length === 0 && c.pte[i]!.length === 0) c.queued = true;
}

/** Remove mm's PMD mapping; anon: the last one leaving a partially PTE-mapped page queues it. */
function unmapPmd(c: ThpView, mm: number): void {
  if (!c.pmd.includes(mm)) return;
  del(c.pmd, mm);
  if (c.kind === 'anon' && c.pmd.length === 0) {
    const mapped = c.pte.filter((s) => s.length > 0).length;
    if (mapped > 0 && mapped < c.pte.length) c.queued = true;
  }
}

/** split_huge_pmd(): anon PMD becomes PTEs of every subpage; a file PMD is just zapped (refaults later). */
function splitPmd(c: ThpView, mm: number): void {
  if (!c.pmd.includes(mm)) return;
  if (c.kind === 'file') {
    del(c.pmd, mm);
    return;
  }
  del(c.pmd, mm);
  for (const s of c.pte) add(s, mm);
  add(c.ptable, mm);
}

/** A successful split_huge_page(): every subpage is now its own page with its own mappings and refcount. */
function splitPage(c: ThpView): void {
  if (c.kind === 'anon') {
    for (const mm of c.pmd) {
      for (const s of c.pte) add(s, mm);
      add(c.ptable, mm);
    }
  } else {
    for (const s of c.pte) s.length = 0; // "File pages just get unmapped."
  }
  c.pmd = [];
  c.compound = false;
  c.queued = false;
}

/** A split that unmapped (anon: froze) the page and then failed to freeze the refcount. */
function failedSplitAfterUnmap(c: ThpView): void {
  const had = specTotalMapcount(c) > 0;
  if (c.kind === 'anon') {
    for (const mm of [...c.pmd]) splitPmd(c, mm); // TTU_SPLIT_HUGE_PMD; remap_page() restores PTEs
    if (had) c.queued = true;
  } else {
    c.pmd = [];
    for (const s of c.pte) s.length = 0;
  }
}

/** A PMD mapping a foreign huge page (a khugepaged copy) is split like any other: its range gets a page table. */
function splitForeignPmd(c: ThpView, mm: number): void {
  if (!c.ptable.includes(mm) && c.foreign.every((s) => s.includes(mm))) add(c.ptable, mm);
}

function dropTableIfEmpty(c: ThpView, mm: number): void {
  if (!mapsAny(c, mm)) del(c.ptable, mm);
}

export function initialThp(p: ThpParams): ThpContext {
  const n = p.nr;
  const c: ThpView = {
    kind: p.kind,
    mms: p.mms,
    compound: p.kind === 'file' || p.initial !== 'none',
    pmd: p.initial === 'pmd' ? [0] : p.initial === 'forked' ? [0, 1] : [],
    pte: Array.from({ length: n }, () => []),
    ptable: [],
    foreign: Array.from({ length: n }, () => []),
    pins: new Array(n).fill(0),
    refs: new Array(n).fill(0),
    cached: new Array(n).fill(p.kind === 'file'),
    queued: false,
    freed: new Array(n).fill(p.kind === 'anon' && p.initial === 'none'),
    mapcount: new Array(n).fill(0),
    refcount: new Array(n).fill(0),
  };
  settle(c);
  return { ...c, ret: undefined };
}

// ---------------------------------------------------------------------------
// The reducer
// ---------------------------------------------------------------------------

const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : -1);

/** Apply one event; returns the next context with `ret` set, or `ret` undefined when the event is not enabled. */
export function applyThp(ctx: ThpContext, ev: ThpEvent): ThpContext {
  const c = clone(ctx);
  const n = c.pte.length;
  const choice = ev.choice as string | undefined;
  const first = (ch: readonly string[]): boolean => choice === undefined || choice === ch[0];
  const mm = int(ev.mm);
  const sub = int(ev.sub);
  const badMm = (x: number): boolean => x < 0 || x >= c.mms;
  const badSub = (x: number): boolean => x < 0 || x >= n;
  const anon = c.kind === 'anon';
  const pins = sum(c.pins);
  const refs = sum(c.refs);
  let ret: RetValue | undefined;

  const reject = (): ThpContext => ({ ...ctx, ret: undefined });

  switch (ev.type) {
    case 'fault': {
      if (choice === 'enomem' && !anon) return reject();
      if (choice === 'enomem' && (badMm(mm) || mapsAny(c, mm) || c.ptable.includes(mm))) return reject();
      if (badMm(mm)) ret = 'EINVAL';
      else if (mapsAny(c, mm)) ret = 'exists';
      else if (c.ptable.includes(mm)) ret = 'fallback'; // a page table is already there: no PMD fault
      else if (anon) {
        if (choice === 'enomem') ret = 'ENOMEM';
        else if (c.freed.every((f) => f)) {
          // do_huge_pmd_anonymous_page(): a fresh THP mapped by PMD
          c.compound = true;
          c.pmd = [mm];
          for (let i = 0; i < n; i++) {
            c.pte[i] = [];
            c.pins[i] = 0;
            c.refs[i] = 0;
            c.freed[i] = false;
          }
          c.queued = false;
          ret = 'pmd';
        } else ret = 'ENOMEM'; // the model has a single huge page
      } else if (c.compound && !c.freed[0] && c.cached[0]) {
        add(c.pmd, mm); // do_set_pmd()
        ret = 'pmd';
      } else if (!c.compound && c.freed.some((f) => !f)) ret = 'fallback';
      else ret = 'ENOENT';
      break;
    }
    case 'fault_pte': {
      if (badMm(mm) || badSub(sub) || anon) ret = 'EINVAL';
      else if (mapsSub(c, mm, sub) || c.foreign[sub]!.includes(mm)) ret = 'exists';
      else if (c.freed[sub] || !c.cached[sub]) ret = 'ENOENT';
      else {
        add(c.pte[sub]!, mm);
        add(c.ptable, mm);
        ret = 'pte';
      }
      break;
    }
    case 'fork': {
      const src = int(ev.src);
      const dst = int(ev.dst);
      if (badMm(src) || badMm(dst) || src === dst) ret = 'EINVAL';
      else if (!anon) ret = 'ok'; // copy_page_range() skips shared file VMAs: nothing to copy
      else if (mapsAny(c, dst) || c.ptable.includes(dst)) ret = 'EEXIST';
      else {
        // copy_page_range() skips shared file VMAs: the child faults them in later.
        if (anon) {
          if (c.pmd.includes(src)) add(c.pmd, dst);
          for (let i = 0; i < n; i++) {
            if (c.pte[i]!.includes(src)) add(c.pte[i]!, dst);
            if (c.foreign[i]!.includes(src)) add(c.foreign[i]!, dst);
          }
          if (c.ptable.includes(src)) add(c.ptable, dst);
        }
        ret = 'ok';
      }
      break;
    }
    case 'split_huge_pmd': {
      if (badMm(mm)) ret = 'EINVAL';
      else {
        splitPmd(c, mm);
        splitForeignPmd(c, mm);
        ret = 'ok';
      }
      break;
    }
    case 'mprotect':
    case 'mlock': {
      const from = int(ev.from);
      const to = int(ev.to);
      if (badMm(mm) || from < 0 || to > n || from >= to) ret = 'EINVAL';
      else {
        // "the PMD on border of VM_LOCKED VMA will be split into PTE table" (transhuge.rst)
        if (from > 0 || to < n) {
          splitPmd(c, mm);
          splitForeignPmd(c, mm);
        }
        ret = 'ok';
      }
      break;
    }
    case 'munmap': {
      const from = int(ev.from);
      const to = int(ev.to);
      if (badMm(mm) || from < 0 || to > n || from >= to) ret = 'EINVAL';
      else {
        if (c.pmd.includes(mm)) {
          if (from === 0 && to === n) unmapPmd(c, mm);
          else splitPmd(c, mm);
        }
        if (from > 0 || to < n) splitForeignPmd(c, mm);
        for (let i = from; i < to; i++) {
          unmapPte(c, mm, i);
          del(c.foreign[i]!, mm);
        }
        dropTableIfEmpty(c, mm);
        ret = 'ok';
      }
      break;
    }
    case 'pin': {
      if (badMm(mm) || badSub(sub)) ret = 'EINVAL';
      else if (mapsSub(c, mm, sub)) {
        c.pins[sub]!++;
        ret = 'ok';
      } else ret = 'EFAULT';
      break;
    }
    case 'unpin': {
      if (badSub(sub)) ret = 'EINVAL';
      else if (c.pins[sub]! > 0) {
        c.pins[sub]!--;
        ret = 'ok';
      } else ret = 'EINVAL';
      break;
    }
    case 'scan_get': {
      if (badSub(sub)) {
        if (!first(thpChoices.scan_get)) return reject();
        ret = 'EINVAL';
      } else if (choice === 'fail') ret = 'fail';
      else {
        // "->_refcount in tail pages is always zero: get_page_unless_zero() never succeeds on tail pages."
        if (c.compound && sub !== 0) return reject();
        if (c.freed[sub]) {
          // Resurrection: only an anon page's last put can be delayed by a
          // kernel path holding a reference (shrinker, splitter). A compound
          // page comes back whole, possibly still on the deferred split list.
          if (!anon) return reject();
          if (choice === 'ok') c.freed[sub] = false;
          else {
            if (sub !== 0 || !c.freed.every((f) => f)) return reject();
            c.freed.fill(false);
            c.compound = true;
            c.queued = choice === 'ok-compound-queued';
          }
        } else if (choice !== 'ok') return reject();
        c.refs[sub]!++;
        ret = 'ok';
      }
      break;
    }
    case 'scan_put': {
      if (badSub(sub)) ret = 'EINVAL';
      else if (c.refs[sub]! > 0) {
        c.refs[sub]!--;
        ret = 'ok';
      } else ret = 'EINVAL';
      break;
    }
    case 'split': {
      const ch = thpChoices.split;
      if (!badSub(sub) && c.freed[sub] && anon) {
        // The caller's reference may have kept the page alive past its last
        // user reference: it split an unmapped page, now freed ('ok'), or
        // found it gone.
        if (choice === 'ok') ret = 'ok';
        else if (choice === 'gone') ret = 'ENOENT';
        else return reject();
      } else if (badSub(sub) || c.freed[sub] || !c.compound) {
        if (!first(ch)) return reject();
        ret = badSub(sub) ? 'EINVAL' : c.freed[sub] ? 'ENOENT' : 'EINVAL';
      } else if (choice === 'gone') return reject();
      else if (choice === undefined || choice === 'ok') {
        // "split_huge_page() fails any requests to split pinned huge pages"
        if (pins + refs > 0) return reject();
        splitPage(c);
        ret = 'ok';
      } else {
        if (pins + refs === 0) return reject();
        if (choice === 'busy-remapped') failedSplitAfterUnmap(c);
        ret = 'EBUSY';
      }
      break;
    }
    case 'deferred_split_scan': {
      // The shrinker's count is not part of the contract (its reference may
      // outlive the page's users); only its effect is.
      if (choice === 'none') return reject();
      if (choice === 'skip') ret = 'done';
      else if (choice === 'skip-remapped') {
        if (!(c.queued && c.compound && pins + refs > 0)) return reject();
        failedSplitAfterUnmap(c);
        ret = 'done';
      } else {
        if (!(c.queued && c.compound && !c.freed[0] && pins + refs === 0)) return reject();
        splitPage(c);
        ret = 'done';
      }
      break;
    }
    case 'collapse': {
      if (badMm(mm)) {
        if (!first(thpChoices.collapse)) return reject();
        ret = 'EINVAL';
      } else if (choice === 'fail') ret = 'fail';
      else if (anon) {
        // collapse_huge_page(): every PTE maps the page, no extra reference (is_refcount_suitable);
        // the data is copied into a fresh huge page, which this model does not track.
        if (!c.pte.every((s) => s.includes(mm)) || pins + refs > 0) return reject();
        for (let i = 0; i < n; i++) {
          unmapPte(c, mm, i);
          add(c.foreign[i]!, mm);
        }
        del(c.ptable, mm);
        ret = 'ok';
      } else {
        // collapse_pte_mapped_thp(install_pmd): PTE-mapped file THP back to a PMD mapping
        const some = c.pte.some((s) => s.includes(mm));
        const foreign = c.foreign.some((s) => s.includes(mm));
        if (!(c.compound && !c.freed[0] && c.cached[0] && !c.pmd.includes(mm) && some && !foreign)) return reject();
        for (const s of c.pte) del(s, mm);
        del(c.ptable, mm);
        add(c.pmd, mm);
        ret = 'ok';
      }
      break;
    }
    case 'wp_fault': {
      if (badMm(mm) || badSub(sub) || !anon) {
        if (!first(thpChoices.wp_fault)) return reject();
        ret = 'EINVAL';
      } else if (c.pmd.includes(mm)) {
        // do_huge_pmd_wp_page(): reuse only when nobody else maps the huge page and it is not pinned
        const excl = specTotalMapcount(c) === 1 && pins === 0;
        if (choice === 'other') {
          if (excl) return reject();
          // __split_huge_pmd(); VM_FAULT_FALLBACK; do_wp_page() then copies the subpage
          splitPmd(c, mm);
          unmapPte(c, mm, sub);
          add(c.foreign[sub]!, mm);
          ret = 'copy';
        } else {
          if (!excl) return reject();
          ret = 'reuse';
        }
      } else if (c.pte[sub]!.includes(mm)) {
        // do_wp_page(): reuse only if this PTE is the page's only reference
        const excl = c.compound
          ? specTotalMapcount(c) === 1 && pins + refs === 0
          : c.pte[sub]!.length === 1 && c.pins[sub] === 0 && c.refs[sub] === 0;
        if (choice === 'other') {
          unmapPte(c, mm, sub);
          add(c.foreign[sub]!, mm);
          ret = 'copy';
        } else {
          if (!excl) return reject();
          ret = 'reuse';
        }
      } else {
        if (!first(thpChoices.wp_fault)) return reject();
        ret = 'nomap';
      }
      break;
    }
    case 'evict': {
      if (anon) ret = 'EINVAL';
      else if (!c.cached.some((x) => x)) ret = 'ENOENT';
      else if (c.compound) {
        if (specTotalMapcount(c) === 0 && pins + refs === 0) {
          c.cached.fill(false);
          ret = 'ok';
        } else ret = 'EBUSY';
      } else {
        for (let i = 0; i < n; i++)
          if (c.cached[i] && c.pte[i]!.length === 0 && c.pins[i] === 0 && c.refs[i] === 0) c.cached[i] = false;
        ret = c.cached.some((x) => x) ? 'EBUSY' : 'ok';
      }
      break;
    }
    case 'page_mapcount':
      ret = badSub(sub) ? 'EINVAL' : c.mapcount[sub]!;
      break;
    case 'total_mapcount':
      ret = c.freed[0] ? 0 : specTotalMapcount(c);
      break;
    case 'page_mapped':
      ret = badSub(sub) ? 'EINVAL' : c.freed[sub] ? false : c.compound ? specTotalMapcount(c) > 0 : c.pte[sub]!.length > 0;
      break;
    case 'page_count':
      ret = badSub(sub) ? 'EINVAL' : c.refcount[sub]!;
      break;
    default:
      return reject();
  }
  settle(c);
  return { ...c, ret };
}

/** Internal steps: the kernel may split an anon PMD at any time ("pmd can be split at any point and never fails"). */
export function thpInternal(view: ThpView): { type: string; mm: number }[] {
  if (view.kind !== 'anon' || !view.compound) return [];
  return view.pmd.map((mm) => ({ type: 'split_huge_pmd', mm }));
}

export const thpMachine = setup({
  types: {} as { context: ThpContext; input: ThpParams; events: ThpEvent },
}).createMachine({
  id: 'thp',
  context: ({ input }) => initialThp(input),
  initial: 'live',
  states: {
    live: {
      on: {
        '*': { actions: assign(({ context, event }) => applyThp(context, event as ThpEvent)) },
      },
    },
  },
});

/** The spec view: the context without `ret`. */
export function thpView(c: ThpContext): ThpView {
  const { ret: _ret, ...rest } = c;
  return rest;
}
