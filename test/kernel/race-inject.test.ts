/**
 * Race loops that also inject allocation failures (session 17, issue 10): finding-restore-deletes-new-reservation
 * and finding-fix-reserve-counts-full-pool. Each loop loads kernel/inject/mmcheck_inject.ko itself, with per-thread
 * names (comm=, one per site) and holds (act=hold / holdfail) that keep its window open; reproduce packs the module
 * and passes each injected site's kernel function (RaceStress.inject -> MMCHECK_INJ_<SITE>). Judged here from the
 * lines Debian 6.12.118 and 6.1.192 printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { stressInjections } from '../../cli/reproduce-stress.js';
import { injectEnv, judgeStress, parseStressLog, raceStressOf, stressCmdline } from '../../kernel/race-stress.js';
import { KernelSetupError } from '../../kernel/tools.js';
import { findings } from '../../subsystems/hugetlb/findings.js';
import { hugetlbInjectSite } from '../../subsystems/hugetlb/inject-sites.js';

const finding = (n: string) => findings.find((f) => f.name === n)!;
const restore = raceStressOf(finding('finding-restore-deletes-new-reservation'))!;
const fix = raceStressOf(finding('finding-fix-reserve-counts-full-pool'))!;

const RESTORE_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=5 secs=120 cpus=2 control=0 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE HIT iter=1 at=race promised=2 backed=1 fired=1 held=2 fault=14 Total=2 Free=2 Rsvd=1 Surp=0
MMCHECK RACE HIT iter=1 at=bite promised=2 backed=1 anon=1 w0=0 w1=14 Total=2 Free=0 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=1 stop=hit opened=1 fired=1 timeouts=0 mmap_ok=1 fault_efault=1 anon_ok=1 b_sigbus=1 hit=1 ms=509
`;
const RESTORE_CONTROL_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=4 secs=120 cpus=2 control=1 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=4 stop=iterations opened=0 fired=4 timeouts=0 mmap_ok=4 fault_efault=4 anon_ok=0 b_sigbus=0 hit=0 ms=1196
`;
/** 6.1.192: the first iteration's punch and fault shared a fault mutex (late=1), the second opened the window. */
const FIX_61 = `MMCHECK UNAME 6.1.0-57-amd64
MMCHECK RACE BEGIN iters=5 secs=120 cpus=2 control=0 Total=3 Free=3 Rsvd=0 Surp=0
MMCHECK RACE PROGRESS iter=1 punch_held=1 fault_held=1 punch_done_first=0 fired=0 held=2,2 kmalloc_calls=0
MMCHECK RACE PROGRESS iter=2 punch_held=1 fault_held=1 punch_done_first=1 fired=1 held=2,2 kmalloc_calls=1
MMCHECK RACE HIT iter=2 at=fault2 Total=3 Free=0 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE HIT iter=2 at=close Total=3 Free=3 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE AFTER Total=3 Free=3 Rsvd=18446744073709551615 Surp=3 nr_hugepages=0
MMCHECK RACE END iters=2 stop=hit opened=1 fired=1 timeouts=0 late=1 hit=1 ms=2392
`;
const FIX_CONTROL_61 = `MMCHECK UNAME 6.1.0-57-amd64
MMCHECK RACE BEGIN iters=4 secs=120 cpus=2 control=1 Total=3 Free=3 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=4 stop=iterations opened=0 fired=0 timeouts=0 late=0 hit=0 ms=912
`;

describe('race loops with injected failures: the findings', () => {
  test('both are marked with a C loop in the repository, their window counter and their injected site', () => {
    expect(existsSync(restore.c)).toBe(true);
    expect(existsSync(fix.c)).toBe(true);
    expect(restore.inject).toEqual(['add_to_page_cache']);
    expect(fix.inject).toEqual(['region_del_split']);
    expect(restore.opens).toBe('opened');
    expect(fix.opens).toBe('opened');
    // the model's counterexamples inject at the same sites
    expect(finding('finding-restore-deletes-new-reservation').faults?.sites).toEqual(restore.inject);
    expect(finding('finding-fix-reserve-counts-full-pool').faults?.sites).toEqual(fix.inject);
  });

  test("restore-deletes: the mapping's lost reservation, then the SIGBUS, with a clean control: REPRODUCED", () => {
    const v = judgeStress(restore, parseStressLog(RESTORE_612), parseStressLog(RESTORE_CONTROL_612));
    expect(v).toMatchObject({ verdict: 'REPRODUCED', hit: { iter: 1, at: 'race' } });
    expect(v.why).toContain('promised=2 backed=1');
    // the bite alone shows it too (a kernel whose transient Rsvd reading were right)
    const biteOnly = RESTORE_612.replace(/^MMCHECK RACE HIT iter=1 at=race.*\n/m, '');
    expect(judgeStress(restore, parseStressLog(biteOnly), parseStressLog(RESTORE_CONTROL_612)).hit?.at).toBe('bite');
  });

  test('fix-reserve-counts: the underflow at the later fault, with a clean control: REPRODUCED', () => {
    const v = judgeStress(fix, parseStressLog(FIX_61), parseStressLog(FIX_CONTROL_61));
    expect(v).toMatchObject({ verdict: 'REPRODUCED', hit: { iter: 2, at: 'fault2' } });
    expect(v.why).toContain('Rsvd=18446744073709551615');
  });

  test('a loop that never held its window open proves nothing; damage before the race is another window', () => {
    const neverOpened = FIX_CONTROL_61.replace('control=1', 'control=0');
    expect(judgeStress(fix, parseStressLog(neverOpened))).toMatchObject({
      verdict: 'INCONCLUSIVE',
      why: expect.stringMatching(/never opened its window \(opened=0/),
    });
    const opened = neverOpened.replace('opened=0', 'opened=4');
    expect(judgeStress(fix, parseStressLog(opened)).verdict).toBe('NOT REPRODUCED');
    const atSetup = FIX_61.replace(/at=(fault2|close)/g, 'at=setup');
    expect(judgeStress(fix, parseStressLog(atSetup), parseStressLog(FIX_CONTROL_61))).toMatchObject({
      verdict: 'INCONCLUSIVE',
      why: expect.stringMatching(/another window/),
    });
  });
});

describe('race loops with injected failures: the sites on each kernel', () => {
  test("each site resolves to the kernel's function, passed to the guest as MMCHECK_INJ_<SITE>", () => {
    const on = (release: string) => stressInjections(fix, release, hugetlbInjectSite);
    expect(on('6.12.118+deb12-amd64')).toEqual([
      { site: 'region_del_split', k: { sym: '__kmalloc_cache_noprof', caller: 'region_del', ret: 0 } },
    ]);
    expect(on('6.1.0-57-amd64')[0]!.k.sym).toBe('kmalloc_trace');
    expect(injectEnv('region_del_split', on('6.1.0-57-amd64')[0]!.k)).toEqual([
      'MMCHECK_INJ_REGION_DEL_SPLIT',
      'kmalloc_trace:region_del:0',
    ]);
    expect(injectEnv('add_to_page_cache', stressInjections(restore, '6.12.118', hugetlbInjectSite)[0]!.k)).toEqual([
      'MMCHECK_INJ_ADD_TO_PAGE_CACHE',
      'hugetlb_add_to_page_cache:-:-12',
    ]);
    const words = stressCmdline({
      control: false,
      iterations: 5,
      seconds: 120,
      inject: on('6.12.118'),
    });
    expect(words).toEqual([
      'MMCHECK_ITERS=5',
      'MMCHECK_SECS=120',
      'MMCHECK_INJ_REGION_DEL_SPLIT=__kmalloc_cache_noprof:region_del:0',
    ]);
  });

  test('a site the subsystem cannot map on that kernel is a setup error naming it', () => {
    expect(() => stressInjections(fix, '5.10.200', hugetlbInjectSite)).toThrow(KernelSetupError);
    expect(() => stressInjections(fix, '5.10.200', hugetlbInjectSite)).toThrow(/region_del_split on 5\.10\.200/);
    expect(() => stressInjections({ inject: ['no_such_site'] }, '6.12.118', hugetlbInjectSite)).toThrow(
      /no_such_site .*no kernel injection point/,
    );
    expect(() => stressInjections(fix, '6.12.118', undefined)).toThrow(/maps no fault site/);
  });

  test('a malformed inject mark is refused', () => {
    const base = { ...finding('finding-fix-reserve-counts-full-pool') };
    for (const inject of [[], ['Bad-Site'], 'region_del_split', [3]])
      expect(() => raceStressOf({ ...base, race: { ...fix, inject } })).toThrow(/inject\?: \[SITE, \.\.\.\]/);
    expect(() => injectEnv('Bad', { sym: 'x', ret: 0 })).toThrow(/bad inject site/);
  });

  test("the C loops' own defaults are the sites' kernel functions, and each site's thread is named so", () => {
    const r = readFileSync(restore.c, 'utf8');
    const k = hugetlbInjectSite('add_to_page_cache', '6.12.118');
    expect(typeof k).toBe('object');
    if (typeof k === 'object') {
      expect(r).toContain(`sym[64] = "${k.sym}", caller[64] = "-", ret[16] = "${k.ret}"`);
    }
    expect(r).toMatch(/act=%s comm=mmcheck-inj/);
    expect(r).toContain('PR_SET_NAME, "mmcheck-inj"');
    const f = readFileSync(fix.c, 'utf8');
    for (const [rel, def] of [
      ['6.12.118', 'KM_DEFAULT_612'],
      ['6.1.192', 'KM_DEFAULT_61'],
    ] as const) {
      const s = hugetlbInjectSite('region_del_split', rel);
      expect(typeof s).toBe('object');
      if (typeof s === 'object') {
        expect(f).toContain(`#define ${def} "${s.sym}"`);
        expect(f).toContain(`kcaller[64] = "${s.caller}", kret[16] = "${s.ret}"`);
      }
    }
    // site 0 and 1 act for the punch thread, site 2 for the fault thread: the names the threads give themselves
    expect(f).toContain('comm=mmcheck-punch,mmcheck-punch,mmcheck-fault');
    expect(f).toContain('PR_SET_NAME, "mmcheck-punch"');
    expect(f).toContain('PR_SET_NAME, "mmcheck-fault"');
  });
});
