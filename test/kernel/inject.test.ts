/**
 * Injected failures on a real kernel (kernel/inject.ts, kernel/inject/mmcheck_inject.c): a sequential
 * counterexample that injects becomes a script with (step, site, nth), the prediction follows the same
 * injections, the probe arms the module around exactly those steps, and a run whose injection never
 * fired is INCONCLUSIVE. Before this, every such counterexample was 'concurrent' (INCONCLUSIVE, never run).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { jobOfScenario } from '../../cli/reproduce-job.js';
import { injectionCheck } from '../../cli/reproduce-verdict.js';
import { compileScripts } from '../../kernel/compile.js';
import { moduleParams } from '../../kernel/inject.js';
import { debianHeaders, kernelBuildDir } from '../../kernel/inject-module.js';
import { predictScript } from '../../kernel/predict.js';
import { recordVerdict } from '../../kernel/record.js';
import { parseProbeLog } from '../../kernel/serial.js';
import { KernelSetupError } from '../../kernel/tools.js';
import type { KernelScript, KernelStepObservation, ResolvedKernel } from '../../kernel/types.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbInjectSite } from '../../subsystems/hugetlb/inject-sites.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';

const script = (name: string, version: string): KernelScript => {
  const t = jobOfScenario(hugetlb, name, null, 'traces/out').target(hugetlb, version);
  if (t.kind !== 'script') throw new Error(`${name} @ ${version}: ${t.why}`);
  return t.script;
};

describe('injected failures', () => {
  test('a sequential counterexample that injects is a script with (step, site, nth)', () => {
    const s = script('finding-shared-restore-double-failure', '6.12');
    expect(s.steps.map((x) => x.op)).toEqual(['mmap', 'fault']);
    expect(s.injections).toEqual([
      { step: 1, site: 'add_to_page_cache', nth: 1 },
      { step: 1, site: 'region_chg_kmalloc', nth: 1 },
    ]);
    expect(script('finding-restore-on-surplus-page', '6.1').injections).toEqual([
      { step: 1, site: 'anon_vma_prepare', nth: 1 },
    ]);
  });

  test('a racy counterexample that injects stays concurrent, with the reason', () => {
    const t = jobOfScenario(hugetlb, 'finding-restore-deletes-new-reservation', null, 'x').target(hugetlb, '6.12');
    expect(t.kind).toBe('concurrent');
    if (t.kind === 'concurrent') {
      expect(t.why).toMatch(/injects a failure at add_to_page_cache.*overlap in time/);
      expect(t.race).toBeUndefined();
    }
  });

  test('the prediction follows the injections: shared page-cache failure is SIGBUS (as on 6.1.192 and 6.12.118)', () => {
    const s = script('finding-shared-restore-double-failure', '6.12');
    const p = predictScript(hugetlb, hugetlbProbe, s, { kernelVersion: '6.12' });
    expect(p[1]?.ret).toBe('SIGBUS');
    expect(p[1]?.counters).toMatchObject({ HugePages_Total: 2, HugePages_Free: 2, HugePages_Rsvd: 0 });
    expect(p[1]?.specProblem).toMatch(/refinement/);
    expect(p[1]?.implProblem).toBeUndefined();
    // without the injections the fault succeeds
    expect(predictScript(hugetlb, hugetlbProbe, { ...s, injections: [] }, { kernelVersion: '6.12' })[1]?.ret).toBe(
      'ok',
    );
  });

  test('anon_vma_prepare: v6.1 fails after the allocation (Rsvd > Free), v6.12 before it (nothing changes)', () => {
    const s = script('finding-restore-on-surplus-page', '6.1');
    const at = (v: string) => predictScript(hugetlb, hugetlbProbe, s, { kernelVersion: v })[1]!;
    expect(at('6.1')).toMatchObject({
      ret: 'OOM',
      counters: { HugePages_Total: 1, HugePages_Free: 1, HugePages_Rsvd: 2 },
    });
    expect(at('6.12')).toMatchObject({
      ret: 'OOM',
      counters: { HugePages_Total: 2, HugePages_Free: 2, HugePages_Rsvd: 2 },
    });
    expect(at('6.12').specProblem).toBeUndefined();
    // a planned injection the operation never reaches is the implementation's problem, not a silent pass
    const never = { ...s, injections: [{ step: 1, site: 'anon_vma_prepare', nth: 2 }] };
    expect(predictScript(hugetlb, hugetlbProbe, never, { kernelVersion: '6.12' })[1]?.implProblem).toMatch(
      /never reached anon_vma_prepare #2/,
    );
  });

  test('kernel functions per site and release; module parameters', () => {
    expect(hugetlbInjectSite('anon_vma_prepare', '6.12.118')).toEqual({ sym: '__anon_vma_prepare', ret: -12 });
    expect(hugetlbInjectSite('region_chg_kmalloc', '6.1.192')).toEqual({
      sym: 'kmalloc_trace',
      caller: 'allocate_file_region_entries',
      ret: 0,
    });
    expect(hugetlbInjectSite('region_del_split', '6.12.118')).toMatchObject({
      sym: '__kmalloc_cache_noprof',
      caller: 'region_del',
    });
    expect(hugetlbInjectSite('region_chg_kmalloc', '5.10.0')).toMatch(/not known for 5.10.0/);
    expect(hugetlbInjectSite('alloc_buddy', '6.12.118')).toMatch(/no kernel injection point/);
    expect(
      moduleParams([
        { k: { sym: 'hugetlb_add_to_page_cache', ret: -12 }, nth: 1 },
        { k: { sym: 'kmalloc_trace', caller: 'allocate_file_region_entries', ret: 0 }, nth: 2 },
      ]),
    ).toBe(
      'sym=hugetlb_add_to_page_cache,kmalloc_trace caller=-,allocate_file_region_entries nth=1,2 ret=-12,0 comm=mmcheck-inj',
    );
    expect(() => moduleParams([{ k: { sym: 'a b', ret: 0 }, nth: 1 }])).toThrow(/bad symbol/);
  });

  test('the probe arms the module around the injected step only', () => {
    const s = script('finding-shared-restore-double-failure', '6.12');
    const c = compileScripts(hugetlbProbe, [s], { release: '6.12.118' });
    expect(c).toMatch(
      /case 1: [^\n]*\n[^\n]*\n\t\t\/\* injected: [^\n]*\*\/ inject_arm\(2, "sym=hugetlb_add_to_page_cache,__kmalloc_cache_noprof /,
    );
    expect(c.match(/inject_arm\(/g)?.length).toBe(2); // its definition and step 1
    expect(c).toMatch(/inject_disarm\(\);\n\t\th_observe\(\);\n\t\tinject_obs\(\);/);
    expect(() => compileScripts(hugetlbProbe, [s])).toThrow(/cannot inject at add_to_page_cache: no kernel release/);
  });

  test('an injection that never fired makes the run INCONCLUSIVE; the NOTE lines say why', () => {
    const s = script('finding-shared-restore-double-failure', '6.12');
    const k = { release: '6.12.118' };
    const obs = (fired: number, hits: number): KernelStepObservation[] => [
      { step: 0, ret: 'ok', sigbus: false, counters: {} },
      {
        step: 1,
        ret: 'SIGBUS',
        sigbus: true,
        counters: { inject0_hits: 1, inject0_fired: 1, inject1_hits: hits, inject1_fired: fired },
      },
    ];
    expect(injectionCheck({ mapping: hugetlbProbe }, k, s, obs(1, 1), []).notFired).toBeUndefined();
    const no = injectionCheck({ mapping: hugetlbProbe }, k, s, obs(0, 0), ['inject: delete_module: EBUSY']);
    expect(no.notFired).toMatch(
      /region_chg_kmalloc \(step 1, call #1 of __kmalloc_cache_noprof from allocate_file_region_entries\) never fired: the kernel made 0 such calls/,
    );
    const log = parseProbeLog(
      'MMCHECK S 0 BEGIN\nMMCHECK S 0 NOTE inject: finit_module(x): ENOENT\nMMCHECK S 0 END restored=1\n',
    );
    expect(log.scripts.get(0)?.notes).toEqual(['inject: finit_module(x): ENOENT']);
    expect(log.garbled).toEqual([]);
  });

  test('headers: the package of a Debian image, and a one-line error when it is not installed', () => {
    expect(debianHeaders('linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1')).toEqual({
      pkg: 'linux-headers-6.12.118+deb12-amd64',
      version: '6.12.118-1~deb12u1',
      dir: '/usr/src/linux-headers-6.12.118+deb12-amd64',
    });
    const k = { debianPackage: 'linux-image-9.9.0-1-amd64-unsigned 9.9.0-1', image: '/nonexistent/vmlinuz' };
    expect(() => kernelBuildDir(k)).toThrow(KernelSetupError);
    expect(() => kernelBuildDir(k)).toThrow(/^linux-headers-9.9.0-1-amd64 9.9.0-1 is not installed \(missing\)[^\n]*$/);
  });

  test('a reproducer written later replaces the empty one of an earlier record', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-rec-')), 'findings.json');
    writeFileSync(f, '[]\n');
    const kernel = { request: '6.1', release: '6.1.192', modelVersion: '6.1' } as ResolvedKernel;
    const v = { subsystem: 'hugetlb', target: 'hugetlb/x', kernel, verdict: 'INCONCLUSIVE', reproducer: '' };
    recordVerdict(f, v);
    recordVerdict(f, { ...v, verdict: 'REPRODUCED', reproducer: 'docs/reproducers/x.c' });
    const rec = JSON.parse(readFileSync(f, 'utf8'));
    expect(rec[0].reproducer).toBe('docs/reproducers/x.c');
    expect(rec[0].kernels).toHaveLength(1);
  });
});
