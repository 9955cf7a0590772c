/**
 * Spec handlers of the operations that map and unmap: fault, fault_pte, fork,
 * split_huge_pmd, mprotect/mlock, munmap.
 */
import type { RetValue } from '../../checker/types.js';
import { REJECT, int, type Handler } from './handler.js';
import { dropTableIfEmpty, mapsAny, mapsSub, splitForeignPmd, splitPmd, unmapPmd, unmapPte } from './mappings.js';
import { add, del } from './view.js';

const on_fault: Handler = (c, e) => {
  const { n, choice, mm, badMm, anon } = e;
  let ret: RetValue | undefined;
  if (choice === 'enomem' && !anon) return REJECT;
  if (choice === 'enomem' && (badMm(mm) || mapsAny(c, mm) || c.ptable.includes(mm))) return REJECT;
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
  return ret;
};

const on_fault_pte: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon } = e;
  let ret: RetValue | undefined;
  if (badMm(mm) || badSub(sub) || anon) ret = 'EINVAL';
  else if (mapsSub(c, mm, sub) || c.foreign[sub]!.includes(mm)) ret = 'exists';
  else if (c.freed[sub] || !c.cached[sub]) ret = 'ENOENT';
  else {
    add(c.pte[sub]!, mm);
    add(c.ptable, mm);
    ret = 'pte';
  }
  return ret;
};

const on_fork: Handler = (c, e) => {
  const { n, badMm, anon, ev } = e;
  let ret: RetValue | undefined;
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
  return ret;
};

const on_split_huge_pmd: Handler = (c, e) => {
  const { mm, badMm } = e;
  let ret: RetValue | undefined;
  if (badMm(mm)) ret = 'EINVAL';
  else {
    splitPmd(c, mm);
    splitForeignPmd(c, mm);
    ret = 'ok';
  }
  return ret;
};

const on_mlock: Handler = (c, e) => {
  const { n, mm, badMm, ev } = e;
  let ret: RetValue | undefined;
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
  return ret;
};

const on_munmap: Handler = (c, e) => {
  const { n, mm, badMm, ev } = e;
  let ret: RetValue | undefined;
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
  return ret;
};

export const mappingHandlers: Readonly<Record<string, Handler>> = {
  fault: on_fault,
  fault_pte: on_fault_pte,
  fork: on_fork,
  split_huge_pmd: on_split_huge_pmd,
  mprotect: on_mlock,
  mlock: on_mlock,
  munmap: on_munmap,
};
