/**
 * Spec handlers of the operations on references and the page itself: GUP
 * pins, scanner references, split_huge_page, the deferred split shrinker,
 * khugepaged, COW write faults, page-cache eviction and the counter readers.
 */
import type { RetValue } from '../../checker/types.js';
import { REJECT, int, type Env, type Handler } from './handler.js';
import {
  ZERO_PAGE,
  copyForWrite,
  dataOf,
  hugeZero,
  mapNewCopy,
  pageAt,
  pinnedBy,
  sharedWithOthers,
} from './identity.js';
import { failedSplitAfterUnmap, mapFreshThp, mapZero, mapsAny, splitPage, unmapPte } from './mappings.js';
import { swapIn } from './swap-ops.js';
import { add, del, endSplit, specTotalMapcount, splitKey, thpChoices, type ThpView } from './view.js';

/**
 * pin_user_pages(): the pin holds the page mm maps at sub, and that page is
 * the pinner's own: a page another process maps or pins is first replaced by
 * a private copy (COW broken, or unshared, before pinning). A page already
 * exclusive may still be copied first ('copy'), unless mm already pins it.
 *
 * The zero page is the exception: a read-only (short-term) pin of an address
 * that maps it pins the zero page itself ('same'). gup_must_unshare() asks
 * only PageAnon pages to unshare (include/linux/mm.h gup_must_unshare() @
 * v6.1), and from v6.2 also FOLL_LONGTERM pins in COW mappings (mm/internal.h
 * gup_must_unshare() @ v6.12: "R/O short-term pinning does not have the
 * semantics to observe successive changes through the process page tables"); follow_page_pte()
 * returns the zero page and try_grab_page() / try_grab_folio() pins it (mm/gup.c
 * @ v6.1 and v6.12; since c8070b787519 "mm: Don't pin ZERO_PAGE in
 * pin_user_pages()" without a reference). Such a pin reads 0 for ever and does
 * not follow the pinner's later writes, which COW away from the zero page as
 * ever. A private copy ('copy') is also allowed: the forced COW break of
 * v5.8 (17839856fd58 "gup: document and work around 'COW can break
 * either way' issue"), and FOLL_LONGTERM since 84209e87c696 "mm/gup: reliable
 * R/O long-term pinning in COW mappings". A FOLL_WRITE pin always pins a copy.
 *
 * A FOLL_LONGTERM pin (`longterm`) must keep seeing the page the process
 * maps for as long as it is held, so it never holds the zero page: the
 * pinner's next write would COW away from it and leave the pin behind. A R/O
 * long-term pin of the zero page pins a private copy (an unshare) instead
 * (84209e87c696 "mm/gup: reliable R/O long-term pinning in COW mappings",
 * v6.2: gup_must_unshare() asks FOLL_LONGTERM pins of non-anon pages in COW
 * mappings to unshare, mm/internal.h @ v6.12).
 */
const on_pin: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, choice, first } = e;
  if (badMm(mm) || badSub(sub)) return first(thpChoices.pin) ? 'EINVAL' : REJECT;
  // check_vma_flags(): FOLL_WRITE without FOLL_FORCE on a read-only VMA
  if (int(e.ev.write) === 1 && c.ro.includes(mm)) return first(thpChoices.pin) ? 'EFAULT' : REJECT;
  let page = pageAt(c, mm, sub);
  if (page < 0 && page !== ZERO_PAGE) return first(thpChoices.pin) ? 'EFAULT' : REJECT;
  swapIn(c, mm, sub); /* faultin_page(): do_swap_page maps a swap entry first */
  if (choice === 'copy') {
    if (!anon || pinnedBy(c, mm, page)) return REJECT;
    page = copyForWrite(c, mm, sub, dataOf(c, mm, sub));
  } else if (page === ZERO_PAGE) {
    if (int(e.ev.write) === 1) return REJECT; // a FOLL_WRITE pin of the zero page breaks COW first ('copy')
    if (int(e.ev.longterm) === 1) return REJECT; // a FOLL_LONGTERM pin of the zero page unshares first ('copy')
  } else if (anon && sharedWithOthers(c, mm, page)) return REJECT;
  c.pinned.push([mm, sub, page]);
  return 'ok';
};

/**
 * pin_user_pages_fast(): either pins the page mm maps at sub, which must
 * already be the pinner's own (GUP-fast never breaks COW), or falls back
 * without pinning (the caller then takes the slow path). The zero page, as
 * in on_pin, may be pinned as it is by this read-only pin (gup_huge_pmd()
 * pins the huge zero page: gup_must_unshare() is false for it, mm/gup.c @
 * v6.1); the small one is pte_special() and always falls back.
 */
const on_pin_fast: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, choice, first } = e;
  if (badMm(mm) || badSub(sub)) return first(thpChoices.pin_fast) ? 'EINVAL' : REJECT;
  if (choice === 'fallback') return 'fallback';
  if (c.swapped[sub]!.includes(mm)) return REJECT; /* a swap entry is not present: GUP-fast falls back */
  const page = pageAt(c, mm, sub);
  if (page === ZERO_PAGE) {
    if (!hugeZero(c, mm)) return REJECT;
  } else if (page < 0 || (anon && sharedWithOthers(c, mm, page))) return REJECT;
  c.pinned.push([mm, sub, page]);
  return 'ok';
};

const on_unpin: Handler = (c, e) => {
  const { mm, sub } = e;
  const at = c.pinned.findIndex((p) => p[0] === mm && p[1] === sub);
  if (at < 0) return 'EINVAL';
  c.pinned.splice(at, 1);
  return 'ok';
};

const on_scan_get: Handler = (c, e) => {
  const { choice, first, sub, badSub, anon } = e;
  let ret: RetValue | undefined;
  if (badSub(sub)) {
    if (!first(thpChoices.scan_get)) return REJECT;
    ret = 'EINVAL';
  } else if (choice === 'fail') ret = 'fail';
  else {
    // "->_refcount in tail pages is always zero: get_page_unless_zero() never succeeds on tail pages."
    if (c.compound && sub !== 0) return REJECT;
    if (c.freed[sub]) {
      // Resurrection: only an anon page's last put can be delayed by a
      // kernel path holding a reference (shrinker, splitter). A compound
      // page comes back whole, possibly still on the deferred split list.
      if (!anon) return REJECT;
      if (choice === 'ok') c.freed[sub] = false;
      else {
        if (sub !== 0 || !c.freed.every((f) => f)) return REJECT;
        c.freed.fill(false);
        c.compound = true;
        c.queued = choice === 'ok-compound-queued';
      }
    } else if (choice !== 'ok') return REJECT;
    c.refs[sub]!++;
    ret = 'ok';
  }
  return ret;
};

const on_scan_put: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  if (badSub(sub)) ret = 'EINVAL';
  else if (c.refs[sub]! > 0) {
    c.refs[sub]!--;
    ret = 'ok';
  } else ret = 'EINVAL';
  return ret;
};

const on_split: Handler = (c, e) => {
  const { choice, first, sub, badSub, anon, pins, refs } = e;
  // a split linearizes after its remap: its migration entries are gone (split_freeze in machine.ts)
  endSplit(c, splitKey('split', { sub }));
  let ret: RetValue | undefined;
  const ch = thpChoices.split;
  if (!badSub(sub) && c.freed[sub] && anon) {
    // The caller's reference may have kept the page alive past its last
    // user reference: it split an unmapped page, now freed ('ok'), or
    // found it gone.
    if (choice === 'ok') ret = 'ok';
    else if (choice === 'gone') ret = 'ENOENT';
    else return REJECT;
  } else if (badSub(sub) || c.freed[sub] || !c.compound) {
    if (!first(ch)) return REJECT;
    ret = badSub(sub) ? 'EINVAL' : c.freed[sub] ? 'ENOENT' : 'EINVAL';
  } else if (choice === 'gone') return REJECT;
  else if (choice === undefined || choice === 'ok') {
    // "split_huge_page() fails any requests to split pinned huge pages"
    if (pins + refs > 0) return REJECT;
    splitPage(c);
    ret = 'ok';
  } else {
    // -EBUSY is also what a split sees when a lockless path (GUP-fast before its
    // recheck, a pfn scanner) holds a transient reference: allowed at any time.
    if (choice === 'busy-remapped') failedSplitAfterUnmap(c);
    ret = 'EBUSY';
  }
  return ret;
};

const on_deferred_split_scan: Handler = (c, e) => {
  endSplit(c, splitKey('deferred_split_scan', {})); // as on_split
  const { choice, pins, refs } = e;
  let ret: RetValue | undefined;
  // The shrinker's count is not part of the contract (its reference may
  // outlive the page's users); only its effect is.
  if (choice === 'none') return REJECT;
  if (choice === 'skip') ret = 'done';
  else if (choice === 'skip-remapped') {
    if (!c.compound) return REJECT; // transient references make any split fail
    failedSplitAfterUnmap(c);
    ret = 'done';
  } else {
    // queue membership is the kernel's business (view.ts normaliseQueued): any unpinned anon THP may be split
    if (!(e.anon && c.compound && !c.freed[0] && pins + refs === 0)) return REJECT;
    splitPage(c);
    ret = 'done';
  }
  return ret;
};

const on_collapse: Handler = (c, e) => {
  const { n, choice, first, mm, badMm, anon, pins, refs } = e;
  let ret: RetValue | undefined;
  if (badMm(mm)) {
    if (!first(thpChoices.collapse)) return REJECT;
    ret = 'EINVAL';
  } else if (choice === 'fail') ret = 'fail';
  else if (anon) {
    // collapse_huge_page(): every PTE maps the page, no extra reference (is_refcount_suitable);
    // the data is copied into a fresh huge page, which this model does not track.
    if (!c.pte.every((s) => s.includes(mm)) || pins + refs > 0) return REJECT;
    for (let i = 0; i < n; i++) {
      unmapPte(c, mm, i);
      add(c.foreign[i]!, mm);
      c.fdata[mm]![i] = c.data[i]!;
    }
    del(c.ptable, mm);
    ret = 'ok';
  } else {
    // collapse_pte_mapped_thp(install_pmd): PTE-mapped file THP back to a PMD mapping
    const some = c.pte.some((s) => s.includes(mm));
    const foreign = c.foreign.some((s) => s.includes(mm));
    if (!(c.compound && !c.freed[0] && c.cached[0] && !c.pmd.includes(mm) && some && !foreign)) return REJECT;
    for (const s of c.pte) del(s, mm);
    del(c.ptable, mm);
    add(c.pmd, mm);
    ret = 'ok';
  }
  return ret;
};

/**
 * A write of `val` to subpage sub: mm reads its own latest write. The page is
 * reused only when it is exclusive to mm (for a PMD mapping: the whole THP),
 * so no other process or pin sees the write; otherwise mm gets a private copy,
 * which must never leave mm's own pin behind.
 */
const on_wp_fault: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, first } = e;
  if (badMm(mm) || badSub(sub) || !anon) return first(thpChoices.wp_fault) ? 'EINVAL' : REJECT;
  if (c.ro.includes(mm)) return first(thpChoices.wp_fault) ? 'EFAULT' : REJECT; // SIGSEGV
  const page = pageAt(c, mm, sub);
  /* nothing mapped, or a collapsed huge page (the model does not write those) */
  if (page === -1 || page === -2) return first(thpChoices.wp_fault) ? 'nomap' : REJECT;
  swapIn(c, mm, sub); /* do_swap_page, then the write */
  return writePage(c, e, page);
};

/**
 * The write itself, once mm maps `page` at sub: in place when the page is
 * exclusive to mm (a PMD mapping: the whole THP), else into a fresh private
 * copy, which never leaves mm's own pin behind. The zero page is never exclusive.
 */
function writePage(c: ThpView, e: Env, page: number): 'reuse' | 'copy' | typeof REJECT {
  const { n, mm, sub, choice, ev } = e;
  const val = int(ev.val) >= 0 ? int(ev.val) : 1;
  if (choice === 'copy') {
    if (pinnedBy(c, mm, page)) return REJECT;
    copyForWrite(c, mm, sub, val);
    return 'copy';
  }
  const pmd = c.pmd.includes(mm);
  const excl = pmd ? c.data.every((_, j) => !sharedWithOthers(c, mm, j)) : !sharedWithOthers(c, mm, page);
  if (!excl) return REJECT;
  if (page < n) c.data[page] = val;
  else c.copyData[page - n] = val;
  return 'reuse';
}

/**
 * A /proc/pid/mem write (FOLL_FORCE | FOLL_WRITE): also on a read-only
 * private VMA, and always private to mm: a write COWs exactly as a store would.
 * An unmapped address is faulted in first: a fresh THP by PMD when there is no
 * page table and the model's huge page is free, else a fresh small page.
 */
const on_force_write: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, first, choice, ev } = e;
  if (badMm(mm) || badSub(sub) || !anon) return first(thpChoices.force_write) ? 'EINVAL' : REJECT;
  const page = pageAt(c, mm, sub);
  if (page === -1) {
    /* 'copy': a small page where a THP could be faulted in, as when no single VMA covers the range (the spec keeps no VMAs) */
    const huge = !c.ptable.includes(mm) && c.freed.every((f) => f);
    if (choice === 'copy' && !huge) return REJECT;
    const val = int(ev.val) >= 0 ? int(ev.val) : 1;
    if (huge && choice !== 'copy') {
      mapFreshThp(c, mm);
      c.data[sub] = val;
    } else {
      add(c.ptable, mm);
      mapNewCopy(c, mm, sub, val);
    }
    return 'ok';
  }
  if (page === -2)
    return first(thpChoices.force_write) ? 'nomap' : REJECT; /* a collapsed huge page: not written by the model */
  swapIn(c, mm, sub);
  return writePage(c, e, page) === REJECT ? REJECT : 'ok';
};

/**
 * Internal, only while a FOLL_FORCE write to (mm, sub) is in flight: its
 * fault-in before its data lands, on a read-only or a writable private range:
 * a fresh zeroed THP by PMD where no page table is and the model's huge page
 * is free, else (and with `pte`: no single VMA over the range, which the spec
 * does not keep) a fresh zero-filled small page.
 */
const on_force_fault: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, ev } = e;
  if (badMm(mm) || badSub(sub) || !anon || pageAt(c, mm, sub) !== -1) return REJECT;
  const nothing = c.pte.every((_, i) => pageAt(c, mm, i) === -1);
  const huge = !c.ptable.includes(mm) && nothing && c.freed.every((f) => f);
  if (int(ev.pte) === 1 && !huge) return REJECT; /* the same as without `pte` */
  if (huge && int(ev.pte) !== 1) mapFreshThp(c, mm);
  else {
    add(c.ptable, mm);
    mapNewCopy(c, mm, sub, 0);
  }
  return 'ok';
};

/** A /proc/pid/mem read (FOLL_FORCE, no FOLL_WRITE): the data mm maps at sub; an unmapped address reads the zero page. */
const on_force_read: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon, choice } = e;
  if (badMm(mm) || badSub(sub) || !anon) return choice === 'pte' ? REJECT : 'EINVAL';
  /* a new page table of small zero pages ('pte'): only where nothing is mapped and no page table is */
  if (choice === 'pte' && (c.ptable.includes(mm) || pageAt(c, mm, sub) !== -1 || mapsAny(c, mm))) return REJECT;
  if (pageAt(c, mm, sub) === -1) mapZero(c, mm, [sub], choice === 'pte');
  swapIn(c, mm, sub);
  return dataOf(c, mm, sub);
};

/** A userspace load: the data of the page mm maps at sub. */
const on_read: Handler = (c, e) => {
  const { mm, sub, badMm, badSub } = e;
  if (badMm(mm) || badSub(sub)) return 'EINVAL';
  if (pageAt(c, mm, sub) === -1) return 'nomap';
  swapIn(c, mm, sub); /* a load of a swap entry faults it in (do_swap_page) */
  return dataOf(c, mm, sub);
};

const on_evict: Handler = (c, e) => {
  const { n, anon, pins, refs } = e;
  let ret: RetValue | undefined;
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
  return ret;
};

export const referenceHandlers: Readonly<Record<string, Handler>> = {
  pin: on_pin,
  unpin: on_unpin,
  pin_fast: on_pin_fast,
  scan_get: on_scan_get,
  scan_put: on_scan_put,
  split: on_split,
  deferred_split_scan: on_deferred_split_scan,
  collapse: on_collapse,
  wp_fault: on_wp_fault,
  force_write: on_force_write,
  force_read: on_force_read,
  force_fault: on_force_fault,
  read: on_read,
  evict: on_evict,
};
