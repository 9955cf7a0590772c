/**
 * The VMAs a process has over the range, as far as a user can rely on them (what /proc/pid/maps shows): where its
 * munmaps left holes (vmaHole), which subpages mprotect gave PROT_EXEC (vmaExec) or mlock VM_LOCKED (vmaLocked), and
 * whether one VMA still covers the whole range (vmaCut lists the mms where it does not). Promises:
 *   - a VMA never spans a hole nor a flag change: a hole, or flags that differ inside the range, means several VMAs;
 *   - a range that was one VMA stays one as long as no munmap or flag change cuts it (a flag op that changes nothing
 *     leaves it whole); whether VMAs whose flags became equal again merge is the kernel's business (vma_merge() needs
 *     mergeable anon_vmas): the flag ops choose 'one' or 'cut' then;
 *   - fork copies the layout; a fresh THP fault (the model's `fault`: a new mapping) is one VMA;
 *   - mremap of a range not covered by one VMA fails with EFAULT and changes nothing (mm/mremap.c vma_to_resize()
 *     @ v6.1 / v6.12: no VMA at the address, or "We can't remap across vm area boundaries").
 * Only an anon range keeps them (a file scenario keeps its one VMA, and mprotect/mlock there change no flags the
 * model follows).
 */
import { int, type Env } from './handler.js';
import { add, del, type ThpView } from './view.js';

const has = (s: readonly number[][], i: number, mm: number): boolean => s[i]!.includes(mm);
const put = (s: number[][], i: number, mm: number, on: boolean): void => (on ? add(s[i]!, mm) : del(s[i]!, mm));

/** One VMA may cover mm's range: no hole, and equal flags everywhere. */
function uniform(c: ThpView, mm: number): boolean {
  const n = c.vmaHole.length;
  for (let i = 0; i < n; i++) {
    if (has(c.vmaHole, i, mm)) return false;
    if (has(c.vmaExec, i, mm) !== has(c.vmaExec, 0, mm) || has(c.vmaLocked, i, mm) !== has(c.vmaLocked, 0, mm))
      return false;
  }
  return true;
}

/**
 * Would mprotect / mlock / munlock of [from, to) change the flags of any VMA there? When nothing changes the call
 * splits no VMA and so no PMD ("newflags == oldflags": mprotect_fixup() / mlock_fixup() return at once, mm/mprotect.c
 * and mm/mlock.c @ v6.1 / v6.12). A range without the flags kept (file) is taken as changed.
 */
export function vmaFlagsDiffer(c: ThpView, e: Env, op: string, from: number, to: number): boolean {
  if (!e.anon) return true;
  for (let i = from; i < to; i++) {
    if (has(c.vmaHole, i, e.mm)) continue;
    if (
      op === 'mprotect'
        ? has(c.vmaExec, i, e.mm) !== (int(e.ev.exec) !== 0)
        : has(c.vmaLocked, i, e.mm) !== (op === 'mlock')
    )
      return true;
  }
  return false;
}

/**
 * mprotect (exec 1: PROT_EXEC added, 0: back), mlock, munlock of [from, to), or mprotect_ro of the whole range
 * (PROT_EXEC goes too): the flags change; the range is cut where they now differ, stays one VMA when it was one and
 * nothing differs, and otherwise may or may not have merged (`e.choice` 'one' / 'cut'). REJECT for a choice the
 * result does not allow.
 */
export function vmaFlagChange(c: ThpView, e: Env, op: string, from: number, to: number): boolean {
  const mm = e.mm;
  if (!e.anon) return e.choice !== 'cut';
  for (let i = from; i < to; i++) {
    if (has(c.vmaHole, i, mm)) continue;
    if (op === 'mprotect') put(c.vmaExec, i, mm, int(e.ev.exec) !== 0);
    else if (op === 'mprotect_ro') put(c.vmaExec, i, mm, false);
    else put(c.vmaLocked, i, mm, op === 'mlock');
  }
  const was = !c.vmaCut.includes(mm);
  const u = uniform(c, mm);
  if (e.choice === 'one' && !u) return false; /* a hole or a flag change inside the range: several VMAs */
  if (e.choice === 'cut' && u && was) return false; /* a whole range stays whole when nothing differs */
  if (u && e.choice !== 'cut') del(c.vmaCut, mm);
  else add(c.vmaCut, mm);
  return true;
}

/** munmap of [from, to): a hole, so the range is no longer one VMA. */
export function vmaUnmap(c: ThpView, mm: number, from: number, to: number): void {
  if (c.kind !== 'anon') return;
  for (let i = from; i < to; i++) {
    add(c.vmaHole[i]!, mm);
    del(c.vmaExec[i]!, mm);
    del(c.vmaLocked[i]!, mm);
  }
  add(c.vmaCut, mm);
}

/** fork: the child's VMAs copy the parent's. */
export function vmaFork(c: ThpView, src: number, dst: number): void {
  for (const s of [c.vmaHole, c.vmaExec, c.vmaLocked]) s.forEach((_, i) => put(s, i, dst, has(s, i, src)));
  if (c.vmaCut.includes(src)) add(c.vmaCut, dst);
  else del(c.vmaCut, dst);
}

/** A fresh mapping of the range (the `fault` op maps a new THP): one VMA, no flags. */
export function vmaFresh(c: ThpView, mm: number): void {
  for (const s of [c.vmaHole, c.vmaExec, c.vmaLocked]) s.forEach((_, i) => put(s, i, mm, false));
  del(c.vmaCut, mm);
}

/** mremap of the whole range: EFAULT unless one VMA covers it (vma_to_resize()). */
export const vmaMremapFails = (c: ThpView, mm: number): boolean => c.vmaCut.includes(mm);
