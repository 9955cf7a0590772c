/**
 * UFFDIO_CONTINUE on a MAP_PRIVATE mapping of a file: the kernel maps the
 * file's page-cache page there too (read-only), and answers EEXIST when the
 * mapping maps anything at the index, its own COW copy included. Both scripts
 * AGREED with Debian 6.1.192 and 6.12.118 at every step (mmcheck reproduce);
 * conform seed 20261206 script 994 on 6.1.192 showed EEXIST where the model
 * said EFAULT (it refused every private mapping).
 */
import { describe, expect, test } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import type { Args } from '../../checker/types.js';
import { compareImplRun } from '../../checker/sequential-compare.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';

const P = hugetlb.parseParams!({
  pool: 3,
  overcommit: 0,
  fileSize: 1,
  mounts: [{ size: -1, min: -1, mounted: true }],
  fileMount: [0],
  vmas: 2,
  numa: false,
  inject: false,
});
const step = (op: string, args: Args) => ({ op, args });
const mmap = step('mmap', { v: 0, kind: 'private_file', f: 0, from: 0, to: 1 });
const fallocate = step('fallocate', { f: 0, from: 0, to: 1 });
const cont = step('uffd_continue', { v: 0, i: 0 });
const write = step('fault', { v: 0, i: 0, write: true });

const CASES: { name: string; script: Script; rets: string[] }[] = [
  {
    name: 'the file page is mapped, then the mapping maps it (EEXIST); after a write its own copy (EEXIST)',
    script: { params: P, steps: [mmap, fallocate, cont, cont, write, cont, step('munmap', { v: 0 })] },
    rets: ['ok', 'ok', 'ok', 'EEXIST', 'ok', 'EEXIST', 'ok'],
  },
  {
    name: 'no page-cache page: EFAULT even over its own copy; with one: EEXIST over the copy',
    script: { params: P, steps: [mmap, write, cont, fallocate, cont] },
    rets: ['ok', 'ok', 'EFAULT', 'ok', 'EEXIST'],
  },
];

describe('UFFDIO_CONTINUE on a MAP_PRIVATE mapping of a file', () => {
  for (const kv of ['6.1', '6.12', 'mainline'])
    for (const c of CASES)
      test(`${kv}: ${c.name}`, () => {
        const run = runImplSteps(hugetlb, c.script, null, false, kv);
        expect(run.stopped).toBeUndefined();
        expect(run.steps.map((s) => s.ret)).toEqual(c.rets);
        expect(compareImplRun(hugetlb, c.script, run).every((o) => o.agree)).toBe(true);
      });

  test('a private mapping of a file of its own has no page cache: EFAULT', () => {
    const script: Script = {
      params: P,
      steps: [step('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 1 }), cont],
    };
    const run = runImplSteps(hugetlb, script, null, false, '6.12');
    expect(run.steps.map((s) => s.ret)).toEqual(['ok', 'EFAULT']);
  });
});
