/**
 * The generation model for THP scripts: which processes (mm slots) exist,
 * whether the script's one THP has been allocated, and which processes still
 * have the whole 2 MiB VMA (no munmap, no partial mprotect/mlock). mm 0 is
 * the script's process; a fork creates the next one and copies its VMA.
 * Subpage indices and ranges are drawn against params.nr.
 */
import type { ThpParams } from '../../../../impl/thp/page.js';

export interface ThpGenModel {
  /** Processes alive: mm slots 0..live-1. */
  live: number;
  /** The THP exists (initially, or after a fault): a later fault would allocate a second one. */
  allocated: boolean;
  /** Per mm slot: its VMA still covers the whole aligned range, so a fault there can map a THP. */
  whole: boolean[];
  /** Per mm slot and subpage: munmapped (no VMA there any more). */
  holes: boolean[][];
  /** Per op (mprotect, mlock), mm slot and subpage: the VMA flag that op sets is already set there. */
  flagged: Record<'mprotect' | 'mlock', boolean[][]>;
  /**
   * Per mm slot and subpage i: a VMA border at i that no merge removes (fork gave the VMAs on its two sides
   * anon_vmas of their own: is_mergeable_anon_vma()), so flags made equal again leave two VMAs there.
   */
  nomerge: boolean[][];
  /**
   * Per mm slot and subpage: something is surely mapped there (the THP after a fault or fork, a zero
   * page after populate_read) and no munmap/MADV_DONTNEED has taken it away since. /proc/self/mem
   * access is generated only there.
   */
  mapped: boolean[][];
  /** Pins taken so far as [mm, sub] (a pin may also have answered EFAULT: its unpin then answers EINVAL). */
  pins: [number, number][];
  /**
   * Per mm slot and subpage: a MADV_PAGEOUT may have left a swap entry there that no access has mapped
   * again since. A write or pin there gets a read first: the probe decides reuse/copy and pins by the
   * page under the address, and a swap entry shows no page (pagemap bit 62).
   */
  swapped: boolean[][];
  /**
   * Per mm slot and subpage: the process may map a private copy there (it wrote or pinned it, a fork copied
   * it, or a pageout left a swap entry a fault reads back into a fresh small page). Since both implementations
   * reclaim private copies (a slot of the swap pool, impl/thp-common/swap-entry.ts) pageouts are generated over
   * them too; kept for the record of what a script may reach.
   */
  written: boolean[][];
  /**
   * Per mm slot and subpage: the process likely maps a private copy there that no other process maps (a
   * write or pin while another process shared the page, or a fresh page a read brought back from swap);
   * cleared where the mapping goes (munmap, MADV_DONTNEED, a pageout) and by a fork, which shares it. A
   * guess for aiming MADV_PAGEOUT at copies (madvise_pageout.ts); the probe's coverage events say what hit.
   */
  copies: boolean[][];
}

export type P = ThpParams;

export function initModel(p: P): ThpGenModel {
  return {
    live: p.initial === 'forked' ? 2 : 1,
    allocated: p.initial !== 'none',
    whole: new Array(Math.max(p.mms, 1)).fill(true),
    holes: grid(p),
    mapped: Array.from({ length: Math.max(p.mms, 1) }, (_, mm) =>
      new Array(p.nr).fill(mm < (p.initial === 'forked' ? 2 : p.initial === 'pmd' ? 1 : 0)),
    ),
    flagged: { mprotect: grid(p), mlock: grid(p) },
    nomerge: grid(p),
    pins: [],
    swapped: grid(p),
    written: grid(p),
    copies: grid(p),
  };
}

function grid(p: P): boolean[][] {
  return Array.from({ length: Math.max(p.mms, 1) }, () => new Array(p.nr).fill(false));
}

/** A live mm from a raw natural. */
export const mmOf = (m: Readonly<ThpGenModel>, raw: unknown): number => Number(raw) % m.live;
export const subOf = (p: P, raw: unknown): number => Number(raw) % p.nr;

/** A subpage range [from, to) of the THP from two raw naturals. */
export function subRange(p: P, from: unknown, len: unknown): { from: number; to: number } {
  const f = Number(from) % p.nr;
  return { from: f, to: f + 1 + (Number(len) % (p.nr - f)) };
}

/** A VMA change on [from, to) of mm: anything but mprotect/mlock of the whole range leaves no whole VMA. */
export function vmaChanged(
  m: ThpGenModel,
  p: P,
  op: 'munmap' | 'mprotect' | 'mlock',
  mm: number,
  from: number,
  to: number,
): void {
  if (op === 'munmap' || from > 0 || to < p.nr) m.whole[mm] = false;
  const set = op === 'munmap' ? m.holes[mm]! : m.flagged[op][mm]!;
  for (let i = from; i < to; i++) set[i] = true;
  if (op === 'munmap') {
    m.mapped[mm]!.fill(false, from, to);
    m.copies[mm]!.fill(false, from, to);
  }
}

/** fork: the child's VMAs are copies of the parent's. */
export function forkVmas(m: ThpGenModel, src: number, dst: number): void {
  m.whole[dst] = m.whole[src] ?? true;
  m.holes[dst] = [...m.holes[src]!];
  m.mapped[dst] = [...m.mapped[src]!];
  m.flagged.mprotect[dst] = [...m.flagged.mprotect[src]!];
  m.flagged.mlock[dst] = [...m.flagged.mlock[src]!];
  // anon_vma_fork(): each of the child's VMAs gets its own anon_vma, so every border the parent has stays
  m.nomerge[dst] = m.holes[src]!.map((_, i) => i > 0 && vmaBorderAt(m, src, i));
  m.swapped[dst] = [...m.swapped[src]!];
  // fork copies a maybe-pinned exclusive page for the child (copy_present_page)
  m.written[dst] = m.pins.length > 0 ? m.written[dst]!.map(() => true) : [...m.written[src]!];
  // the parent's copies are now shared with the child (or, pinned, copied for it: either way not the guess)
  m.copies[src]!.fill(false);
  m.copies[dst]!.fill(false);
}

/** Is there a VMA border between subpages i - 1 and i of mm (a flag change, a munmap hole edge, or one fork left)? */
export function vmaBorderAt(m: Readonly<ThpGenModel>, mm: number, i: number): boolean {
  const differ = (f: readonly boolean[]): boolean => f[i - 1] !== f[i];
  return (
    m.nomerge[mm]![i]! ||
    m.holes[mm]![i - 1] !== m.holes[mm]![i] ||
    differ(m.flagged.mprotect[mm]!) ||
    differ(m.flagged.mlock[mm]!)
  );
}

/**
 * mprotect back (exec 0) / munlock only over a range the VMA still covers and whose flag is set on all of it: the
 * kernel clears it and merges VMAs whose flags become equal (vma_merge); the model does the same.
 */
export function vmaBackRange(
  m: Readonly<ThpGenModel>,
  p: P,
  op: 'mprotect' | 'mlock',
  raw: Readonly<Record<string, unknown>>,
): { mm: number; from: number; to: number } | undefined {
  const mm = mmOf(m, raw.mm);
  // a part of one run of flagged subpages (a range drawn over all of them would rarely find one)
  const runs: [number, number][] = [];
  for (let i = 0; i < p.nr; i++) {
    if (m.holes[mm]![i] || !m.flagged[op][mm]![i]) continue;
    if (runs.length > 0 && runs[runs.length - 1]![1] === i) runs[runs.length - 1]![1] = i + 1;
    else runs.push([i, i + 1]);
  }
  if (runs.length === 0) return undefined;
  const [start, end] = runs[Number(raw.from) % runs.length]!;
  const from = start + (Number(raw.len) % (end - start));
  return { mm, from, to: from + 1 + (Number(raw.len) % (end - from)) };
}

/** mprotect back / munlock of [from, to): the flag goes (the VMA stays split where `whole` says so: conservative). */
export function vmaFlagCleared(m: ThpGenModel, op: 'mprotect' | 'mlock', mm: number, from: number, to: number): void {
  m.flagged[op][mm]!.fill(false, from, to);
  m.whole[mm] = false;
}

/**
 * mprotect/mlock only over a range the VMA still covers and whose flag is not
 * set anywhere in it yet. The kernel answers ENOMEM (after changing the part
 * before the hole) for a range with a munmap hole, and an mprotect/mlock that
 * changes no VMA flags splits no VMA and so no PMD; the model has no VMAs, and
 * splits the PMD for every range that is not the whole THP. With the flag new
 * on the whole range, a range inside the THP always leaves a VMA border inside
 * it (new, or already there from the op that set the neighbour's flag).
 */
export function vmaRange(
  m: Readonly<ThpGenModel>,
  p: P,
  op: 'mprotect' | 'mlock',
  raw: Readonly<Record<string, unknown>>,
): { mm: number; from: number; to: number } | undefined {
  const mm = mmOf(m, raw.mm);
  const r = subRange(p, raw.from, raw.len);
  for (let i = r.from; i < r.to; i++) if (m.holes[mm]![i] || m.flagged[op][mm]![i]) return undefined;
  return { mm, ...r };
}

/**
 * MADV_PAGEOUT as MADV_DONTNEED (no munmap hole: ENOMEM; no mlocked subpage: EINVAL), within one VMA (no
 * mprotect border inside the range), and only with params.nr 4; over THP subpages and private copies alike.
 */
export function pageoutRange(
  m: Readonly<ThpGenModel>,
  p: P,
  raw: Readonly<Record<string, unknown>>,
): { mm: number; from: number; to: number } | undefined {
  // nr 4 only: the spec's pending steps take each small page of the range through swap_out independently, and
  // judging one pageout of 8 subpages walked 4^8 spec states (263 s for one step, measured); 4 subpages: 1.3 s
  const r = p.kind === 'anon' && p.nr === 4 ? dontneedRange(m, p, raw) : undefined;
  if (!r) return undefined;
  // within one VMA: madvise walks each VMA on its own, so a `break` (6.1, 6.6) ends only that VMA's walk and a
  // folio_pte_batch (6.12) stops at its end; the model has no VMAs (conform seed 20261212 on 6.1.192: a range across
  // an mprotect border reclaimed a page past the border where the model's walk had stopped)
  for (let i = r.from + 1; i < r.to; i++) if (vmaBorderAt(m, r.mm, i)) return undefined;
  return r;
}

/**
 * MADV_DONTNEED only over a range with no munmap hole (ENOMEM) and no
 * mlocked subpage (the kernel refuses VM_LOCKED VMAs with EINVAL); the model
 * has no VMAs to predict either.
 */
export function dontneedRange(
  m: Readonly<ThpGenModel>,
  p: P,
  raw: Readonly<Record<string, unknown>>,
): { mm: number; from: number; to: number } | undefined {
  const mm = mmOf(m, raw.mm);
  const r = subRange(p, raw.from, raw.len);
  for (let i = r.from; i < r.to; i++) if (m.holes[mm]![i] || m.flagged.mlock[mm]![i]) return undefined;
  return { mm, ...r };
}

/** OpGen.setup of an access that needs a page under the address: a read of a maybe-swapped subpage first. */
export function readFirst(
  m: Readonly<ThpGenModel>,
  raw: Readonly<Record<string, unknown>>,
  p: P,
): { op: string; args: { mm: number; sub: number } }[] | undefined {
  const mm = mmOf(m, raw.mm);
  const sub = subOf(p, raw.sub);
  return m.swapped[mm]![sub] ? [{ op: 'read', args: { mm, sub } }] : undefined;
}
