/**
 * madvise(MADV_PAGEOUT) of a file THP in both implementations against the spec (spec/thp/pageout-ops.ts): the
 * madvise walk of mm/madvise.c @ v6.1 / v6.12 isolates the page-cache THP, shrink_folio_list() gives it no swap
 * slot, try_to_unmap(TTU_SPLIT_HUGE_PMD) zaps every PMD and PTE of it over the i_mmap walk
 * (__split_huge_pmd_locked() of a file PMD makes no PTEs), a maybe-pinned page is activated, and
 * __remove_mapping() takes it out of the page cache when its refcount freezes at 1 + nr (impl/thp/reclaim-file.ts,
 * impl/thp-folio/reclaim-file.ts). Before this, both implementations refused the op as an impl-error.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice, Subsystem } from '../../checker/types.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import type { FolioParams } from '../../impl/thp-folio/folio.js';
import { init } from '../../impl/thp-folio/folio-init.js';
import { folioImpl } from '../../impl/thp-folio/index.js';
import { stepDriver } from './step-driver.js';
import { applyThp, initialThp, thpPendingInternal, thpView, type ThpContext } from '../../spec/thp/machine.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const pageout = (from: number, to: number, mm = 0): OpChoice => step('madvise_pageout', { mm, from, to });
const pmd = parseParams({ kind: 'file', initial: 'pmd' });
const impls: [string, Subsystem, string][] = [
  ['compound', selectImpl(thp, 'compound'), '6.1'],
  ['folio', selectImpl(thp, 'folio'), '6.12'],
];

interface PageLike {
  readonly freed: boolean;
  readonly in_cache: boolean;
}
interface StateLike {
  readonly pages: readonly PageLike[];
  readonly mms: readonly { readonly pmd: string }[];
}

describe.each(impls)('thp %s: MADV_PAGEOUT of a file THP', (_name, impl, version) => {
  const run = (steps: OpChoice[]): { ret: unknown[]; g: StateLike[] } => {
    const r = runImplSteps(impl, { params: pmd, steps }, null, false, version);
    expect(r.stopped).toBeUndefined();
    return { ret: r.steps.map((s) => s.ret), g: r.steps.map((s) => s.impl as StateLike) };
  };
  const agrees = (steps: OpChoice[]): void => {
    for (const o of runScript(impl, { params: pmd, steps }, null)) expect(o.problem, `step ${o.step}`).toBeUndefined();
  };

  test('a file THP one process maps by PMD: the PMD is zapped and the THP leaves the page cache', () => {
    const steps = [pageout(0, 4), step('fault', { mm: 0 }), step('fault_pte', { mm: 1, sub: 2 })];
    const { ret, g } = run(steps);
    expect(g[0]!.mms[0]!.pmd).toBe('none');
    expect(g[0]!.pages.every((p) => p.freed && !p.in_cache)).toBe(true);
    expect(ret).toEqual(['ok', 'ENOENT', 'ENOENT']); /* the model has no readahead (NOTES) */
    agrees(steps);
  });

  test('a pinned page is unmapped but stays in the page cache (folio_maybe_dma_pinned after the unmap: activate_locked)', () => {
    const steps = [
      step('pin', { mm: 0, sub: 1 }),
      pageout(0, 4),
      step('unpin', { mm: 0, sub: 1 }),
      step('fault', { mm: 0 }),
    ];
    const { ret, g } = run(steps);
    expect(g[1]!.mms[0]!.pmd).toBe('none');
    expect(g[1]!.pages.every((p) => !p.freed && p.in_cache)).toBe(true);
    expect(ret).toEqual(['ok', 'ok', 'ok', 'pmd']);
    agrees(steps);
  });

  test('a scanner reference makes the freeze at 1 + nr fail: kept, unmapped', () => {
    const steps = [step('scan_get', { sub: 0 }), pageout(0, 4), step('scan_put', { sub: 0 }), step('fault', { mm: 0 })];
    const { ret, g } = run(steps);
    expect(g[1]!.pages.every((p) => !p.freed && p.in_cache)).toBe(true);
    expect(ret).toEqual(['ok', 'ok', 'ok', 'pmd']);
    agrees(steps);
  });

  test('a partial range splits the file THP (its PMD zapped, nothing reclaimed); a later pageout of a PTE-mapped small page evicts it alone', () => {
    const steps = [
      pageout(0, 2),
      step('fault_pte', { mm: 0, sub: 1 }),
      step('fault_pte', { mm: 0, sub: 2 }),
      pageout(1, 2),
      step('fault_pte', { mm: 0, sub: 1 }),
      step('read', { mm: 0, sub: 2 }),
    ];
    const { ret, g } = run(steps);
    expect(g[0]!.mms[0]!.pmd).toBe('none');
    expect(g[0]!.pages.every((p) => !p.freed && p.in_cache)).toBe(true);
    expect(g[3]!.pages.map((p) => p.in_cache)).toEqual([true, false, true, true]);
    expect(ret).toEqual(['ok', 'pte', 'pte', 'ok', 'ENOENT', 0]);
    agrees(steps);
  });

  test('every interleaving: pageout against a pin, a second process PTE-mapping a subpage, and refaults', () => {
    const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];
    const r = checkScenario(
      impl,
      {
        name: 'file-pageout-race',
        description: 'file pageout race',
        params: pmd,
        kernelVersion: version,
        threads: [
          [op('madvise_pageout', { mm: 0, from: 0, to: 4 }), op('fault', { mm: 0 })],
          [op('pin', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
          [op('fault_pte', { mm: 1, sub: 2 }), op('read', { mm: 1, sub: 2 })],
        ],
      },
      { variant: null, timeLimitSeconds: 300 },
    );
    expect(r.violation?.message).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBeGreaterThan(100);
  });
});

describe('thp: the two kernels differ on a file THP another process PTE-maps', () => {
  const steps = [step('fault_pte', { mm: 1, sub: 2 }), pageout(0, 4)];
  test('6.1 (page_mapcount of the head is 1) unmaps both processes and evicts it; 6.12 (folio_likely_mapped_shared) skips it', () => {
    const c = runImplSteps(selectImpl(thp, 'compound'), { params: pmd, steps }, null, false, '6.1');
    const f = runImplSteps(selectImpl(thp, 'folio'), { params: pmd, steps }, null, false, '6.12');
    expect((c.steps[1]!.impl as StateLike).pages.every((p) => p.freed)).toBe(true);
    expect((f.steps[1]!.impl as StateLike).pages.every((p) => !p.freed && p.in_cache)).toBe(true);
    expect((f.steps[1]!.impl as StateLike).mms[0]!.pmd).toBe('huge');
  });
});

describe('thp folio: the PMD path of a partial range takes the folio lock with folio_trylock (mm/madvise.c @ v6.12)', () => {
  const anon = parseParams({ kind: 'anon', initial: 'pmd' }) as FolioParams;
  const { thread, drive } = stepDriver(folioImpl, anon);
  test('a folio another thread holds locked is left alone (goto huge_unlock), where a waiting folio_lock would block', () => {
    const g = init(anon);
    const t0 = thread(0, 'swap_out', { sub: 0 }); /* reclaim holds the folio lock from its first step */
    expect(drive(g, 'swap_out', t0, 'shrink_folio_list: folio_maybe_dma_pinned')).toBeUndefined();
    expect(g.pages[0]!.locked).toBe(1);
    const t1 = thread(1, 'madvise_pageout', { mm: 0, from: 0, to: 2 });
    expect(drive(g, 'madvise_pageout', t1)).toBe('ok');
    expect(g.large).toBe(true);
    expect(g.mms[0]!.pmd).toBe('huge');
    expect(g.pages[0]!.refcount).toBe(2); /* the mapping's and reclaim's isolation: the pageout took none */
  });
});

describe('spec: what a MADV_PAGEOUT of a file range may do while it runs (spec/thp/pageout-ops.ts)', () => {
  const send = (c: ThpContext, type: string, args: Record<string, unknown> = {}): ThpContext =>
    applyThp(c, { type, ...args });
  const specPmd = { nr: 4, mms: 2, kind: 'file' as const, initial: 'pmd' as const };
  const pending = (c: ThpContext, from = 0, to = 4) =>
    thpPendingInternal(thpView(c), 'madvise_pageout', { mm: 0, from, to }).map(
      (e) => `${e.type}:${e.mm ?? ''}:${e.sub}`,
    );

  const key = 'pageout:0:0:4';
  const find = (c: ThpContext, mm = 0, k = key): ThpContext => send(c, 'pageout_find', { mm, sub: 0, key: k });

  test('the whole range: find the THP mm maps, unmap the PMD, then evict; a partial range also offers the split', () => {
    const c = initialThp(specPmd);
    expect(pending(c)).toEqual(['pageout_split::0', 'pageout_split_unmapped::0', 'pageout_find:0:0']);
    expect(pending(c, 1, 3)).toEqual([
      'pageout_split::1',
      'pageout_split_unmapped::1',
    ]); /* the THP is not wholly in it */
    const f = find(c);
    expect(f.ret).toBe('ok');
    expect(f.pageoutFound).toEqual([`${key}@thp`]);
    expect(pending(f)).toEqual([
      'pageout_split::0',
      'pageout_split_unmapped::0',
      'pageout_unmap:0:0',
      'pageout_evict::0',
    ]);
    expect(send(f, 'pageout_evict', { sub: 0, key }).ret).toBeUndefined(); /* still mapped */
    const out = send(send(f, 'pageout_unmap', { mm: 0, sub: 0, key }), 'pageout_evict', { sub: 0, key });
    expect(out.ret).toBe('ok');
    expect(out.cached).toEqual([false, false, false, false]);
    expect(out.freed).toEqual([true, true, true, true]);
    expect(out.data).toEqual(c.data); /* the file's data is what it was */
    const done = send(out, 'madvise_pageout', { mm: 0, from: 0, to: 4 });
    expect(done.ret).toBe('ok');
    expect(done.pageoutFound).toEqual([]); /* the linearization drops the call's entries */
  });

  test('a pinned or referenced page never leaves the page cache; the split is refused while pinned', () => {
    const pinned = find(send(initialThp(specPmd), 'pin', { mm: 0, sub: 1 }));
    expect(pinned.ret).toBe('ok');
    const unmapped = send(pinned, 'pageout_unmap', { mm: 0, sub: 0, key });
    expect(unmapped.ret).toBe('ok');
    expect(send(unmapped, 'pageout_evict', { sub: 0, key }).ret).toBeUndefined();
    expect(send(pinned, 'pageout_split', { sub: 0 }).ret).toBeUndefined();
    const ref = send(find(send(initialThp(specPmd), 'scan_get', { sub: 0, choice: 'ok' })), 'pageout_unmap', {
      mm: 0,
      sub: 0,
      key,
    });
    expect(send(ref, 'pageout_evict', { sub: 0, key }).ret).toBeUndefined();
  });

  test('a page the call never found mapped by its process is neither unmapped nor evicted by it', () => {
    const c = initialThp(specPmd); /* mm 0 maps the THP by PMD, mm 1 maps nothing */
    const other = (from = 0, to = 4): string[] =>
      thpPendingInternal(thpView(c), 'madvise_pageout', { mm: 1, from, to }).map((e) => e.type);
    expect(other()).toEqual([]); /* before: pageout_unmap of mm 0 and pageout_evict were offered */
    const k1 = 'pageout:1:0:4';
    expect(find(c, 1, k1).ret).toBeUndefined(); /* mm 1 maps no page of it */
    expect(send(c, 'pageout_unmap', { mm: 0, sub: 0, key: k1 }).ret).toBeUndefined();
    const unmappedBy0 = send(find(c), 'pageout_unmap', { mm: 0, sub: 0, key });
    expect(send(unmappedBy0, 'pageout_evict', { sub: 0, key: k1 }).ret).toBeUndefined(); /* mm 0's call found it */
    expect(send(unmappedBy0, 'pageout_evict', { sub: 0, key }).ret).toBe('ok');
    /* a THP found whole and split since is not a small page the call found */
    const split = send(find(c), 'pageout_split', { sub: 0 });
    expect(split.ret).toBe('ok');
    expect(send(split, 'pageout_evict', { sub: 0, key }).ret).toBeUndefined();
  });

  test('an anon range has none of the file steps', () => {
    const anon = initialThp({ ...specPmd, kind: 'anon' });
    expect(pending(anon).some((p) => p.startsWith('pageout_unmap') || p.startsWith('pageout_evict'))).toBe(false);
    expect(send(anon, 'pageout_evict', { sub: 0 }).ret).toBeUndefined();
  });
});

/*
 * A hand mutation the spec must catch (no kernel commit behind it, so not a registered variant): MADV_PAGEOUT that
 * reclaims the page-cache THP of its range even where its own process maps nothing there, as if it were
 * POSIX_FADV_DONTNEED: the PMD path, finding pmd_none, isolates the THP anyway, and reclaim unmaps every other
 * process and evicts it. Before view.pageoutFound the spec let a file pageout evict any unused page of its range, so
 * the mutation passed; the call must now have found the page mapped by its own process first.
 */
describe.each(impls)(
  'thp %s: a file pageout that evicts a page its process never mapped is caught',
  (_name, impl, version) => {
    const mutated = (): Subsystem => {
      const op = impl.impl.ops.madvise_pageout!;
      const reclaim = op.steps.find((s) => s.name.startsWith('reclaim_pages:'))!.name;
      const steps = op.steps.map((s) =>
        !s.name.startsWith('madvise_cold_or_pageout_pte_range: pmd_trans_huge_lock')
          ? s
          : {
              ...s,
              run: (g: any, t: any) => {
                if (g.mms[t.args.mm].pmd !== 'none' || !g.pages[0].in_cache) return s.run(g, t);
                g.pages[0].refcount++; /* "isolate" a THP the walk never found mapped */
                t.l.page = 0;
                t.l.list = 1;
                return reclaim;
              },
            },
      );
      return { ...impl, impl: { ...impl.impl, ops: { ...impl.impl.ops, madvise_pageout: { ...op, steps } } } };
    };
    const scenario = {
      name: 'file-pageout-unmapped',
      description: 'mm 1, mapping nothing, pages out the file range mm 0 maps by PMD; mm 0 reads',
      params: pmd,
      kernelVersion: version,
      threads: [[[step('madvise_pageout', { mm: 1, from: 0, to: 4 })]], [[step('read', { mm: 0, sub: 1 })]]],
    };

    test('the kernel-faithful implementation passes; the mutation fails refinement', () => {
      const ok = checkScenario(impl, scenario, { variant: null, timeLimitSeconds: 120 });
      expect(ok.violation?.message).toBeUndefined();
      expect(ok.exhaustive).toBe(true);
      const bad = checkScenario(mutated(), scenario, { variant: null, timeLimitSeconds: 120 });
      expect(bad.violation).toBeDefined();
      expect(bad.violation!.message).toMatch(/no linearization|refinement/);
    });
  },
);
