/**
 * Spec handlers of the operations on references and the page itself: GUP
 * pins, scanner references, split_huge_page, the deferred split shrinker,
 * khugepaged, COW write faults, page-cache eviction and the counter readers.
 */
import type { RetValue } from '../../checker/types.js';
import { REJECT, type Handler } from './handler.js';
import { failedSplitAfterUnmap, mapsSub, splitPage, splitPmd, unmapPte } from './mappings.js';
import { add, del, specTotalMapcount, thpChoices } from './view.js';

const on_pin: Handler = (c, e) => {
  const { mm, sub, badMm, badSub } = e;
  let ret: RetValue | undefined;
  if (badMm(mm) || badSub(sub)) ret = 'EINVAL';
  else if (mapsSub(c, mm, sub)) {
    c.pins[sub]!++;
    ret = 'ok';
  } else ret = 'EFAULT';
  return ret;
};

const on_unpin: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  if (badSub(sub)) ret = 'EINVAL';
  else if (c.pins[sub]! > 0) {
    c.pins[sub]!--;
    ret = 'ok';
  } else ret = 'EINVAL';
  return ret;
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
    if (pins + refs === 0) return REJECT;
    if (choice === 'busy-remapped') failedSplitAfterUnmap(c);
    ret = 'EBUSY';
  }
  return ret;
};

const on_deferred_split_scan: Handler = (c, e) => {
  const { choice, pins, refs } = e;
  let ret: RetValue | undefined;
  // The shrinker's count is not part of the contract (its reference may
  // outlive the page's users); only its effect is.
  if (choice === 'none') return REJECT;
  if (choice === 'skip') ret = 'done';
  else if (choice === 'skip-remapped') {
    if (!(c.queued && c.compound && pins + refs > 0)) return REJECT;
    failedSplitAfterUnmap(c);
    ret = 'done';
  } else {
    if (!(c.queued && c.compound && !c.freed[0] && pins + refs === 0)) return REJECT;
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

const on_wp_fault: Handler = (c, e) => {
  const { choice, first, mm, sub, badMm, badSub, anon, pins, refs } = e;
  let ret: RetValue | undefined;
  if (badMm(mm) || badSub(sub) || !anon) {
    if (!first(thpChoices.wp_fault)) return REJECT;
    ret = 'EINVAL';
  } else if (c.pmd.includes(mm)) {
    // do_huge_pmd_wp_page(): reuse only when nobody else maps the huge page and it is not pinned
    const excl = specTotalMapcount(c) === 1 && pins === 0;
    if (choice === 'other') {
      if (excl) return REJECT;
      // __split_huge_pmd(); VM_FAULT_FALLBACK; do_wp_page() then copies the subpage
      splitPmd(c, mm);
      unmapPte(c, mm, sub);
      add(c.foreign[sub]!, mm);
      ret = 'copy';
    } else {
      if (!excl) return REJECT;
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
      if (!excl) return REJECT;
      ret = 'reuse';
    }
  } else {
    if (!first(thpChoices.wp_fault)) return REJECT;
    ret = 'nomap';
  }
  return ret;
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

const on_page_mapcount: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  ret = badSub(sub) ? 'EINVAL' : c.mapcount[sub]!;
  return ret;
};

const on_total_mapcount: Handler = (c, e) => {
  let ret: RetValue | undefined;
  ret = c.freed[0] ? 0 : specTotalMapcount(c);
  return ret;
};

const on_page_mapped: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  ret = badSub(sub) ? 'EINVAL' : c.freed[sub] ? false : c.compound ? specTotalMapcount(c) > 0 : c.pte[sub]!.length > 0;
  return ret;
};

const on_page_count: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  ret = badSub(sub) ? 'EINVAL' : c.refcount[sub]!;
  return ret;
};

export const referenceHandlers: Readonly<Record<string, Handler>> = {
  pin: on_pin,
  unpin: on_unpin,
  scan_get: on_scan_get,
  scan_put: on_scan_put,
  split: on_split,
  deferred_split_scan: on_deferred_split_scan,
  collapse: on_collapse,
  wp_fault: on_wp_fault,
  evict: on_evict,
  page_mapcount: on_page_mapcount,
  total_mapcount: on_total_mapcount,
  page_mapped: on_page_mapped,
  page_count: on_page_count,
};
