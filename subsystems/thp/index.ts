/**
 * THP: the mapping between the spec (spec/thp) and the v4.5 – v6.1
 * implementation (impl/thp): abstraction, invariants, scenarios, variants,
 * CLI shaping and the `run --script` observer.
 */
import { thpOps } from './op-schemas.js';
import { knobsCustomize } from '../../checker/reshape.js';
import { knobs } from './knobs.js';
import {
  invariant,
  type OpChoice,
  type Scenario,
  type ScenarioOptions,
  type Subsystem,
  type Variant,
} from '../../checker/types.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  PageCompound,
  compound_head,
  page_count,
  page_mapcount,
  presentMappings,
  total_mapcount,
  type ThpParams,
  type ThpState,
} from '../../impl/thp/kernel.js';
import { thpImpl } from '../../impl/thp/ops.js';
import { thpChoices, thpInternal, thpMachine, thpView, type ThpContext, type ThpView } from '../../spec/thp/machine.js';

type G = ThpState;
type P = ThpParams;

// ---------------------------------------------------------------------------
// Abstraction: page tables give the mapping sets, the kernel's counter formulas
// give page_mapcount / page_count, so any counter bookkeeping error shows up
// as a mismatch at quiescence.
// ---------------------------------------------------------------------------

export function abstraction(g: Readonly<G>, p: P): ThpView {
  const n = p.nr;
  const anon = p.kind === 'anon';
  const pmd: number[] = [];
  const ptable: number[] = [];
  const pte: number[][] = Array.from({ length: n }, () => []);
  const foreign: number[][] = Array.from({ length: n }, () => []);
  g.mms.forEach((mm, m) => {
    if (mm.pmd === 'huge') pmd.push(m);
    else if (mm.pmd === 'foreign') for (const s of foreign) s.push(m);
    else if (mm.pmd === 'table') {
      ptable.push(m);
      mm.pte.forEach((e, i) => {
        if (e === PTE_PRESENT || e === PTE_MIGRATION) pte[i]!.push(m);
        else if (e === PTE_FOREIGN) foreign[i]!.push(m);
      });
    }
  });
  const freed = g.pages.map((pg) => pg.freed);
  return {
    kind: p.kind,
    mms: p.mms,
    compound: g.head && !g.pages[0]!.freed,
    pmd,
    pte,
    ptable,
    foreign,
    pins: [...g.user_pins],
    refs: [...g.user_refs],
    cached: g.pages.map((pg) => pg.in_cache),
    queued: g.dsq !== 0,
    freed,
    mapcount: g.pages.map((_, i) => (freed[i] ? 0 : page_mapcount(g, anon, i))),
    refcount: g.pages.map((_, i) => (freed[i] ? 0 : page_count(g, i))),
  };
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

const anonOf = (p: P): boolean => p.kind === 'anon';

const invariants = [
  invariant<G, P>({
    name: 'tail-refcount-zero',
    doc: 'While a page is compound, every tail page has _refcount 0, so get_page_unless_zero() never succeeds on a tail.',
    source: 'transhuge.rst L4484-4485 "->_refcount in tail pages is always zero"',
    when: 'always',
    check: (g) => {
      if (!g.head) return null;
      for (let i = 1; i < g.pages.length; i++)
        if (g.pages[i]!.tail && g.pages[i]!.refcount !== 0) return `tail ${i} of a compound page has _refcount ${g.pages[i]!.refcount}`;
      return true;
    },
  }),
  invariant<G, P>({
    name: 'refcount-covers-mappings-and-pins',
    doc: 'page_count is at least total_mapcount plus GUP pins, speculative references and page-cache references, except while split_huge_page holds it frozen or a PMD split is mid-transfer.',
    source: 'transhuge.rst L4482 "get_page()/put_page() and GUP operate on head page\'s ->_refcount"; can_split_huge_page()',
    when: 'always',
    check: (g, p) => {
      /* inside __split_huge_pmd_locked total_mapcount transiently counts the PMD and its new PTEs */
      if (g.frozen || g.mms.some((mm) => mm.pmd === 'splitting')) return null;
      const anon = anonOf(p);
      const n = p.nr;
      if (g.head) {
        if (g.pages[0]!.freed) return null;
        const pins = g.user_pins.reduce((a, b) => a + b, 0);
        const refs = g.user_refs.reduce((a, b) => a + b, 0);
        const cache = g.pages[0]!.in_cache ? n : 0;
        const need = total_mapcount(g, anon) + pins + refs + cache;
        const have = g.pages[0]!.refcount;
        return have >= need || `head _refcount ${have} < total_mapcount + pins + refs + cache = ${need}`;
      }
      let any = false;
      for (let i = 0; i < n; i++) {
        const pg = g.pages[i]!;
        if (pg.freed || PageCompound(g, i)) continue;
        any = true;
        const need =
          pg.mapcount + 1 + GUP_PIN_COUNTING_BIAS * g.user_pins[i]! + g.user_refs[i]! + (pg.in_cache ? 1 : 0);
        if (pg.refcount < need) return `page ${i}: _refcount ${pg.refcount} < mapcount + pins + refs + cache = ${need}`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'no-false-negative-mapcount',
    doc: 'page_mapcount(subpage) computed from the counters is never below the number of present page-table entries mapping that subpage.',
    source: '__split_huge_pmd_locked(): "Set PG_double_map before dropping compound_mapcount to avoid false-negative page_mapped()" (T3)',
    when: 'always',
    check: (g, p) => {
      const anon = anonOf(p);
      let any = false;
      for (let i = 0; i < p.nr; i++) {
        const maps = presentMappings(g, i);
        if (maps === 0) continue;
        any = true;
        const mc = page_mapcount(g, anon, i);
        if (mc < maps) return `page_mapcount(${i}) = ${mc} but ${maps} page-table entries map it`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'doublemap-consistent',
    doc: 'Anon: PageDoubleMap implies a PMD mapping and the +1 bias on every subpage, and a page mapped by both PMD and PTE has PageDoubleMap; file: a PTE-mapped THP has PageDoubleMap, which implies the page is in the page cache.',
    source: 'transhuge.rst L4495-4511 (PageDoubleMap)',
    when: 'quiescent',
    check: (g, p) => {
      if (!g.head || g.pages[0]!.freed) return null;
      if (!anonOf(p)) {
        const pteMapped = g.mms.some((mm) => mm.pmd === 'table' && mm.pte.some((e) => e === PTE_PRESENT));
        if (pteMapped && !g.double_map) return 'PTE-mapped file THP without PageDoubleMap';
        if (!g.double_map) return null;
        return g.pages[0]!.in_cache || 'file PageDoubleMap set on a page no longer in the page cache';
      }
      const k = g.compound_mapcount + 1;
      const ptes = g.mms.some((mm) => mm.pmd === 'table' && mm.pte.some((e) => e === PTE_PRESENT));
      if (g.double_map) {
        if (k < 1) return 'PageDoubleMap set with no PMD mapping left';
        const unbiased = g.pages.findIndex((pg) => pg.mapcount < 0);
        if (unbiased >= 0) return `PageDoubleMap set but subpage ${unbiased} has no bias (_mapcount ${g.pages[unbiased]!.mapcount})`;
        return true;
      }
      if (k >= 1 && ptes) return 'PMD- and PTE-mapped anon THP without PageDoubleMap';
      return k >= 1 ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'deferred-queue-live',
    doc: 'The deferred split queue holds only live anon compound pages that are not mapped by any PMD (partially mapped or unmapped).',
    source: 'thp: introduce deferred_split_huge_page() "The page will be dropped from list on freeing"; transhuge.rst L4542-4554',
    when: 'always',
    check: (g, p) => {
      if (g.dsq === 0) return null;
      if (g.pages[0]!.freed) return 'a freed page is on the deferred split list';
      if (!g.head) return 'a non-compound page is on the deferred split list';
      if (!anonOf(p)) return 'a file THP is on the deferred split list';
      if (g.mms.some((mm) => mm.pmd === 'huge')) return 'a PMD-mapped THP is on the deferred split list';
      return true;
    },
  }),
  invariant<G, P>({
    name: 'freeze-only-unpinned',
    doc: 'split_huge_page freezes the refcount only when no GUP pin or other extra reference exists, so a split succeeds iff there are no extra pins.',
    source: 'transhuge.rst L4516-4520 "split_huge_page() fails any requests to split pinned huge pages"',
    when: 'always',
    check: (g) => {
      if (!g.frozen) return null;
      /* only references on the still-compound part count: a tail already split off may be referenced */
      let pins = 0;
      let refs = 0;
      for (let i = 0; i < g.pages.length; i++) {
        if (!PageCompound(g, i)) continue;
        pins += g.user_pins[i]!;
        refs += g.user_refs[i]!;
      }
      return pins + refs === 0 || `refcount frozen for split with ${pins} pin(s) and ${refs} reference(s) held`;
    },
  }),
  invariant<G, P>({
    name: 'split-unmapped-after-unmap_page',
    doc: 'When unmap_page() returns inside split_huge_page, no mapping of the page is left (total_mapcount is 0).',
    source: 'split_huge_page_to_list(): VM_BUG_ON_PAGE(!unmap_success) / total_mapcount BUG (T10, 732ed55823fc)',
    when: 'always',
    check: (g, p) => {
      if (g.split_unmapped === 0) return null;
      const mc = total_mapcount(g, anonOf(p));
      return mc === 0 || `unmap_page() returned with total_mapcount ${mc}`;
    },
  }),
  invariant<G, P>({
    name: 'freed-page-unmapped',
    doc: 'No page-table entry (present or migration) maps a subpage of a freed page, and its counters are back to zero.',
    source: 'free_pages_check()/bad_page(): a freed page must have no mapcount; transhuge.rst "Partial unmap"',
    when: 'always',
    check: (g) => {
      let any = false;
      for (let i = 0; i < g.pages.length; i++) {
        const pg = g.pages[i]!;
        if (!pg.freed) continue;
        any = true;
        if (pg.refcount !== 0) return `freed page ${i} has _refcount ${pg.refcount}`;
        if (pg.mapcount !== -1) return `freed page ${i} has _mapcount ${pg.mapcount}`;
        for (let m = 0; m < g.mms.length; m++) {
          const mm = g.mms[m]!;
          if (compound_head(g, i) === 0 && g.head && (mm.pmd === 'huge' || mm.pmd === 'splitting'))
            return `mm ${m} still maps freed page ${i} by PMD`;
          if (mm.pmd === 'table' && (mm.pte[i] === PTE_PRESENT || mm.pte[i] === PTE_MIGRATION))
            return `mm ${m} still has an entry for freed page ${i}`;
        }
      }
      return any ? true : null;
    },
  }),
];

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];
/** A slot whose operation is chosen nondeterministically among the alternatives. */
const alt = (...slots: OpChoice[][]): OpChoice[] => slots.flat();
const N = 4;
const params = (kind: 'anon' | 'file', initial: 'none' | 'pmd' | 'forked', mms = 2): P => ({ nr: N, mms, kind, initial });

const scenarios: Scenario<P>[] = [
  {
    name: 'cow-vs-pmd-split',
    description: 'Parent and child share an anon THP by PMD; the parent write-faults while the child mprotects part of it (PMD split), COWs and unmaps; readers and the shrinker run alongside.',
    params: params('anon', 'forked'),
    threads: [
      [op('wp_fault', { mm: 0, sub: 0 }), op('page_mapped', { sub: 3 })],
      [op('mprotect', { mm: 1, from: 0, to: 1 }), op('wp_fault', { mm: 1, sub: 0 }), op('munmap', { mm: 1, from: 2, to: 4 })],
      [op('total_mapcount'), op('deferred_split_scan')],
    ],
  },
  {
    name: 'cow-reuse-race',
    description: 'CVE-2020-29368 shape: the child splits its PMD of a shared anon THP while the parent write-faults; only the COW decision observes the transfer.',
    params: params('anon', 'forked'),
    threads: [[op('wp_fault', { mm: 0, sub: 1 })], [op('split_huge_pmd', { mm: 1 })]],
  },
  {
    name: 'fork-vs-split',
    description: 'fork copies a PMD-mapped anon THP while split_huge_page freezes it (rmap walk order: parent before child), the parent unmaps part of it and the child COWs and forks again.',
    params: params('anon', 'pmd', 3),
    threads: [
      [op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 1, sub: 2 }), op('fork', { src: 1, dst: 2 })],
      [op('split', { sub: 0 }), op('page_mapcount', { sub: 2 })],
      [op('munmap', { mm: 0, from: 1, to: 3 }), op('page_count', { sub: 0 })],
    ],
  },
  {
    name: 'split-vs-pin',
    description: 'split_huge_page of a PMD-mapped anon THP races GUP pin/unpin of a subpage, a partial mprotect and page_count readers.',
    params: params('anon', 'pmd'),
    threads: [
      [op('pin', { mm: 0, sub: 1 }), op('unpin', { sub: 1 }), op('page_count', { sub: 1 })],
      [op('split', { sub: 0 }), op('page_count', { sub: 1 })],
      [op('mprotect', { mm: 0, from: 2, to: 4 }), op('page_count', { sub: 0 })],
    ],
  },
  {
    name: 'partial-unmap-shrinker',
    description: 'Partial then full munmap of a PMD-mapped anon THP (queues it for deferred split, then frees it) against the deferred split shrinker and a physical scanner.',
    params: params('anon', 'pmd'),
    threads: [
      [op('munmap', { mm: 0, from: 0, to: 2 }), op('munmap', { mm: 0, from: 2, to: 4 })],
      [op('deferred_split_scan'), op('page_mapcount', { sub: 3 })],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
    ],
  },
  {
    name: 'shared-split-unmap',
    description: 'Child splits its PMD of a shared anon THP (PageDoubleMap), the parent unmaps its PMD (last compound mapping), a reader and the shrinker run alongside.',
    params: params('anon', 'forked'),
    threads: [
      [op('split_huge_pmd', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 1 })],
      [op('munmap', { mm: 0, from: 0, to: 4 }), op('deferred_split_scan')],
      [op('page_mapcount', { sub: 0 }), op('page_mapcount', { sub: 2 })],
    ],
  },
  {
    name: 'scanner-vs-split',
    description: 'A physical scanner takes get_page_unless_zero on a tail and on the head while split_huge_page runs and the mapping goes away.',
    params: params('anon', 'pmd'),
    threads: [
      [op('split', { sub: 2 }), op('munmap', { mm: 0, from: 0, to: 4 })],
      [op('scan_get', { sub: 1 }), op('scan_put', { sub: 1 })],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
    ],
  },
  {
    name: 'file-split-vs-munmap',
    description: 'split_huge_page of a file THP mapped by PMD in two mms while one of them munmaps it (the T10 race), PTE faults refault it, and a GUP pin comes and goes.',
    params: params('file', 'forked'),
    threads: [
      [op('split', { sub: 0 }), op('evict')],
      [op('munmap', { mm: 1, from: 0, to: 4 }), op('fault_pte', { mm: 1, sub: 1 })],
      [op('pin', { mm: 0, sub: 2 }), op('unpin', { sub: 2 })],
    ],
  },
  {
    name: 'file-map-evict',
    description: 'File THP: PMD fault, PTE fault (PageDoubleMap), khugepaged collapse back to a PMD and eviction race with a page_mapcount reader.',
    params: params('file', 'pmd'),
    threads: [
      [op('fault_pte', { mm: 1, sub: 2 }), op('collapse', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 4 })],
      [op('munmap', { mm: 0, from: 0, to: 4 }), op('evict')],
      [op('page_mapcount', { sub: 2 }), op('total_mapcount')],
    ],
  },
  {
    name: 'anon-mix',
    description: 'Three threads, each slot one of several anon operations: fork/COW/munmap/mprotect against split, shrinker, khugepaged, GUP, scanner and readers.',
    params: params('anon', 'forked', 3),
    threads: [
      [
        alt(op('wp_fault', { mm: 0, sub: 1 }), op('munmap', { mm: 0, from: 1, to: 4 }), op('fork', { src: 0, dst: 2 })),
        alt(op('mprotect', { mm: 0, from: 0, to: 2 }), op('collapse', { mm: 0 })),
        alt(op('unpin', { sub: 2 }), op('scan_put', { sub: 0 })),
      ],
      [
        alt(op('split_huge_pmd', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 4 })),
        alt(op('wp_fault', { mm: 1, sub: 3 }), op('pin', { mm: 1, sub: 2 })),
        alt(op('munmap', { mm: 1, from: 2, to: 3 }), op('deferred_split_scan')),
      ],
      [alt(op('split', { sub: 0 }), op('deferred_split_scan'), op('scan_get', { sub: 0 })), alt(op('total_mapcount'), op('page_mapcount', { sub: 1 }), op('page_count', { sub: 2 }))],
    ],
  },
  {
    name: 'file-mix',
    description: 'Three threads, each slot one of several file-THP operations: PMD/PTE faults, munmap, mprotect, khugepaged, split, eviction, GUP and readers.',
    params: params('file', 'pmd', 3),
    threads: [
      [
        alt(op('fault', { mm: 1 }), op('fault_pte', { mm: 1, sub: 1 })),
        alt(op('collapse', { mm: 1 }), op('mprotect', { mm: 1, from: 1, to: 2 }), op('munmap', { mm: 1, from: 0, to: 4 })),
        alt(op('fault_pte', { mm: 1, sub: 3 }), op('unpin', { sub: 0 }), op('evict')),
      ],
      [alt(op('split', { sub: 2 }), op('evict')), alt(op('fault_pte', { mm: 2, sub: 2 }), op('pin', { mm: 0, sub: 0 }))],
      [alt(op('munmap', { mm: 0, from: 0, to: 4 }), op('split_huge_pmd', { mm: 0 })), alt(op('page_mapcount', { sub: 1 }), op('total_mapcount'), op('page_count', { sub: 2 }))],
    ],
  },
  {
    name: 'collapse-vs-pin',
    description: 'An anon THP is PTE-mapped by mprotect, then khugepaged collapses it while GUP pins and unpins a subpage and split_huge_page runs.',
    params: params('anon', 'pmd'),
    threads: [
      [op('mprotect', { mm: 0, from: 0, to: 1 }), op('collapse', { mm: 0 })],
      [op('pin', { mm: 0, sub: 3 }), op('unpin', { sub: 3 })],
      [op('split', { sub: 1 }), op('page_count', { sub: 3 })],
    ],
  },
];

const variants: Variant[] = [
  {
    name: 'T3',
    description: 'PMD split sets PG_double_map (and adds the bias) before the PTE _mapcount increments: page_mapcount undercounts mid-split.',
    source: 'Babka review of "thp: implement split_huge_pmd()", Message-ID 20150622111434.GC7934@node.dhcp.inet.fi',
    scenarios: ['cow-vs-pmd-split', 'shared-split-unmap', 'anon-mix'],
  },
  {
    name: 'T8',
    description: '__split_huge_pmd() without lock_page(): a COW in the parent reads the mapcount mid-transfer and reuses a shared THP.',
    source: 'c444eb564fb1 "mm: thp: make the THP mapcount atomic against __split_huge_pmd_locked()" (CVE-2020-29368)',
    scenarios: ['cow-vs-pmd-split', 'cow-reuse-race', 'anon-mix'],
  },
  {
    name: 'T10',
    description: 'try_to_unmap() without TTU_SYNC skips an entry a racing zap cleared but has not yet unaccounted, so split sees the page still mapped.',
    source: '732ed55823fc "mm/thp: try_to_unmap() use TTU_SYNC for safe splitting"',
    scenarios: ['file-split-vs-munmap', 'anon-mix', 'file-mix'],
  },
  {
    name: 'TH-1',
    description: 'split_huge_page ignores extra pins (no can_split_huge_page check, freeze at any count): a pinned THP gets split.',
    source: 'seeds-digest TH-1; transhuge.rst L4516-4520',
    scenarios: ['split-vs-pin', 'anon-mix'],
  },
  {
    name: 'TH-4',
    description: 'The last compound unmap clears PG_double_map without removing the +1 bias from the subpages: page_mapcount never returns to 0.',
    source: 'seeds-digest TH-4; transhuge.rst L4506-4508',
    scenarios: ['shared-split-unmap', 'anon-mix'],
  },
  {
    name: 'TH-5',
    description: 'A file THP PMD map/unmap does not touch the subpages\' _mapcount, so page_mapcount of a PMD-mapped file subpage is wrong.',
    source: 'seeds-digest TH-5; transhuge.rst L4491-4493',
    scenarios: ['file-map-evict', 'file-mix'],
  },
  {
    name: 'TH-6',
    description: 'free_transhuge_page() does not take the page off the deferred split queue: the shrinker later finds a freed page.',
    source: 'seeds-digest TH-6; 9a982250f773 "thp: introduce deferred_split_huge_page()"',
    scenarios: ['partial-unmap-shrinker'],
  },
  {
    name: 'TH-8',
    description: 'The scanner\'s get_page_unless_zero() goes through compound_head(), so it succeeds on a tail page of a compound THP.',
    source: 'seeds-digest TH-8; transhuge.rst L4525-4534',
    scenarios: ['scanner-vs-split'],
  },
];

// ---------------------------------------------------------------------------
// CLI shaping
// ---------------------------------------------------------------------------

const KINDS = ['anon', 'file'] as const;
const INITIALS = ['none', 'pmd', 'forked'] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('thp params must be an object {nr, mms, kind, initial}');
  const r = raw as Record<string, unknown>;
  const known = new Set(['nr', 'mms', 'kind', 'initial']);
  for (const k of Object.keys(r)) if (!known.has(k)) throw new Error(`thp params: unknown field '${k}' (expected nr, mms, kind, initial)`);
  const nr = r.nr ?? N;
  const mms = r.mms ?? 2;
  const kind = r.kind ?? 'anon';
  const initial = r.initial ?? 'pmd';
  if (typeof nr !== 'number' || !Number.isInteger(nr) || nr < 2 || nr > 16) throw new Error('thp params: nr must be an integer in [2, 16]');
  if (typeof mms !== 'number' || !Number.isInteger(mms) || mms < 1 || mms > 8) throw new Error('thp params: mms must be an integer in [1, 8]');
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) throw new Error("thp params: kind must be 'anon' or 'file'");
  if (typeof initial !== 'string' || !(INITIALS as readonly string[]).includes(initial))
    throw new Error("thp params: initial must be 'none', 'pmd' or 'forked'");
  if (initial === 'forked' && mms < 2) throw new Error("thp params: initial 'forked' needs mms >= 2");
  return { nr, mms, kind: kind as P['kind'], initial: initial as P['initial'] };
}

/** The knobs (knobs.ts) in the older `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<P>, opts: ScenarioOptions): Scenario<P> => knobsCustomize(knobs)(base, opts);

export const thp: Subsystem<G, ThpView, P> = {
  name: 'thp',
  title: 'THP mapcount, refcount and split',
  description:
    'Transparent huge pages, v4.5-v6.1 design: head _refcount, per-subpage _mapcount, compound_mapcount, PG_double_map; split_huge_pmd, split_huge_page, deferred split, khugepaged, COW.',
  impl: thpImpl,
  opSchemas: thpOps,
  spec: {
    machine: thpMachine,
    input: (p: P) => p,
    event: (opName, args, choice) => (choice === undefined ? { type: opName, ...args } : { type: opName, ...args, choice }),
    choices: thpChoices,
    internal: (view: ThpView) => thpInternal(view),
    view: (snap: { context: ThpContext }) => thpView(snap.context),
  },
  abstraction,
  invariants,
  scenarios,
  variants,
  knobs,
  customize,
  parseParams,
  observer: {
    impl: (g) => ({
      kpagecount: g.pages.map((pg, i) => (pg.freed ? 0 : page_mapcount(g, g.anon, i))),
      refcount: g.pages.map((pg) => pg.refcount),
      _mapcount: g.pages.map((pg) => pg.mapcount),
      compound_mapcount: g.head ? g.compound_mapcount : null,
      PageDoubleMap: g.double_map,
      deferred: g.dsq === 0 ? 'no' : g.dsq === 1 ? 'queued' : `shrinker t${g.dsq - 2}`,
    }),
    spec: (v) => ({ mapcount: v.mapcount, refcount: v.refcount, queued: v.queued }),
  },
};

