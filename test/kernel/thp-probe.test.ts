/**
 * The THP kernel mapping (subsystems/thp/probe.ts): every op is either mapped
 * to C or refused with a reason, every generated conform script is runnable
 * and compiles, and the prediction is the model's observable view.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { compileScripts } from '../../kernel/compile.js';
import { thpProfile } from '../../kernel/conform/arbitraries/thp/index.js';
import { generateScripts, scriptArbitrary } from '../../kernel/conform/generate.js';
import { predict } from '../../kernel/conform/predict.js';
import { hasTool } from '../../kernel/tools.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thp } from '../../subsystems/thp/index.js';
import { THP_C } from '../../subsystems/thp/probe-c.js';
import { THP_KERNEL_UNSUPPORTED, thpProbe, thpUnsupported } from '../../subsystems/thp/probe.js';

const P: ThpParams = { nr: 4, mms: 3, kind: 'anon', initial: 'pmd' };
const ARGS = { mm: 0, sub: 1, src: 0, dst: 1, from: 1, to: 2, val: 5, write: 1 };

const generated = (): Script[] =>
  generateScripts(scriptArbitrary(thpProfile, thp, 10), 7, 80).map((v) => v.value_.script);

describe('THP op -> C', () => {
  test('every op of the THP language has C, or a reason it cannot run on a kernel', () => {
    for (const op of Object.keys(thp.impl.ops)) {
      if (THP_KERNEL_UNSUPPORTED[op]) {
        expect(() => thpProbe.step(op, ARGS, P), op).toThrow(/no C counterpart/);
        expect(thpUnsupported({ params: P, steps: [{ op, args: ARGS }] }), op).toContain(THP_KERNEL_UNSUPPORTED[op]);
      } else expect(thpProbe.step(op, ARGS, P), op).toMatch(/^ret = t_\w+\(/);
    }
    expect(thpUnsupported({ params: { ...P, kind: 'file' }, steps: [] })).toMatch(/file/);
    expect(thpUnsupported({ params: { ...P, nr: 3 }, steps: [] })).toMatch(/does not divide/);
    // a read-only pin runs (process_vm_readv's FOLL_PIN), a read-only long-term one does not
    expect(thpUnsupported({ params: P, steps: [{ op: 'pin', args: { mm: 0, sub: 0, write: 0 } }] })).toBeUndefined();
    expect(
      thpUnsupported({ params: P, steps: [{ op: 'pin', args: { mm: 0, sub: 0, write: 0, longterm: 1 } }] }),
    ).toMatch(/FOLL_LONGTERM/);
  });

  test('steps run in the process of their mm; fork in the source process; split in the script process', () => {
    const c = compileScripts(thpProbe, [
      {
        params: P,
        steps: [
          { op: 'fork', args: { src: 0, dst: 1 } },
          { op: 'wp_fault', args: { mm: 1, sub: 2, val: 9 } },
          { op: 'split', args: { sub: 3 } },
        ],
      },
    ]);
    expect(c).toContain('t_setup(0, 4, 3, 1);');
    expect(c).toContain('case 0: return t_task_of(0);');
    expect(c).toContain('case 1: return t_task_of(1);');
    expect(c).toContain('ret = t_wp_fault(1, 2, 9, &bus);');
    expect(c).toContain('case 2: return t_task_of(0);');
  });

  test('generated conform scripts are all runnable on a kernel and exercise every generated op', () => {
    const scripts = generated();
    const ops = new Set<string>();
    for (const s of scripts) {
      expect(thpUnsupported(s)).toBeUndefined();
      for (const st of s.steps) ops.add(st.op);
    }
    expect([...ops].sort()).toEqual(thpProfile.ops.map((g) => g.op).sort());
  });

  test("setup restores the kernel's THP defaults (huge zero page on) before it maps the range", () => {
    // hugepage_init() clears every THP flag on a VM under 512 MiB: without use_zero_page a read fault of an
    // unmapped MADV_HUGEPAGE range maps a fresh THP (seen on 6.1.192 and 6.12.118), the model the huge zero page
    const setup = THP_C.slice(THP_C.indexOf('static void t_setup('));
    const zero = setup.indexOf('"/sys/kernel/mm/transparent_hugepage/use_zero_page", "1"');
    expect(zero).toBeGreaterThan(0);
    expect(setup.indexOf('"/sys/kernel/mm/transparent_hugepage/defrag", "madvise"')).toBeGreaterThan(0);
    expect(zero).toBeLessThan(setup.indexOf('mmap(T_BASE'));
    // a read fault maps the zero page in the model, as it now does on the kernel
    const pr = predict(
      thp,
      null,
      thpProbe,
      { params: { ...P, initial: 'none', mms: 1 }, steps: [{ op: 'populate_read', args: { mm: 0 } }] },
      '6.1',
    );
    expect(pr.steps[0]!.counters).toMatchObject({ AnonHugePages: 0, 'page[0][0]': -3, 'page[0][3]': -3 });
  });

  test.skipIf(!hasTool('gcc'))('the generated THP probe compiles with gcc (warnings are errors)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-thp-cc-'));
    const file = join(dir, 'p.c');
    writeFileSync(file, compileScripts(thpProbe, generated().slice(0, 20)));
    expect(() =>
      execFileSync('gcc', ['-fsyntax-only', '-Wall', '-Werror', '-Wno-unused-function', file], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});

describe('THP prediction in the observable view', () => {
  test('page identity, mapcount and AnonHugePages after fork, COW and a pin', () => {
    const s: Script = {
      params: { ...P, mms: 2 },
      steps: [
        { op: 'fork', args: { src: 0, dst: 1 } },
        { op: 'wp_fault', args: { mm: 1, sub: 2, val: 9 } },
        { op: 'split', args: { sub: 0 } },
        { op: 'split', args: { sub: 0 } },
      ],
    };
    const pr = predict(thp, null, thpProbe, s, '6.12');
    expect(pr.stopped).toBeUndefined();
    expect(pr.steps[0]!.counters).toMatchObject({
      AnonHugePages: 2048,
      compound: 1,
      'mapcount[2]': 2,
      'page[1][2]': 2,
    });
    // the write copies subpage 2 for mm 1 (the first private copy: nr + 0) and splits mm 1's PMD
    expect(pr.steps[1]!.ret).toBe('copy');
    expect(pr.steps[1]!.counters).toMatchObject({ AnonHugePages: 2048, 'mapcount[2]': 1, 'page[1][2]': 4 });
    expect(pr.steps[2]!.ret).toBe('ok');
    expect(pr.steps[2]!.counters).toMatchObject({ AnonHugePages: 0, compound: 0, 'mapcount[0]': 2 });
    // a second split finds no THP: the model's EINVAL and ENOENT are one answer to userspace
    expect(runImplSteps(thp, s, null, false, '6.12').steps[3]!.ret).toBe('EINVAL');
    expect(pr.steps[3]!.ret).toBe('nothp');
  });
});
