/** docs/findings.json: one entry per target, one verdict per --kernel, rewritten in place, stable order. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readRecord, recordVerdict } from '../../kernel/record.js';

test('recordVerdict replaces a kernel verdict and keeps entries sorted', () => {
  const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-rec-')), 'findings.json');
  const k = (request: string, release: string) => ({
    request,
    release,
    modelVersion: request,
    image: '/x',
    debianPackage: `pkg ${release}`,
  });
  recordVerdict(f, {
    subsystem: 'hugetlb',
    target: 'hugetlb/b',
    kernel: k('6.12', '6.12.1'),
    verdict: 'DIVERGED',
    reproducer: 'docs/r/b.c',
  });
  recordVerdict(f, {
    subsystem: 'hugetlb',
    target: 'hugetlb/a',
    kernel: k('6.1', '6.1.1'),
    verdict: 'INCONCLUSIVE',
    reproducer: '',
  });
  recordVerdict(f, {
    subsystem: 'hugetlb',
    target: 'hugetlb/b',
    kernel: k('6.1', '6.1.1'),
    verdict: 'REPRODUCED',
    reproducer: 'docs/r/b.c',
  });
  recordVerdict(f, {
    subsystem: 'hugetlb',
    target: 'hugetlb/b',
    kernel: k('6.12', '6.12.2'),
    verdict: 'REPRODUCED',
    reproducer: 'docs/r/b.c',
  });
  const r = readRecord(f);
  expect(r.map((e) => e.target)).toEqual(['hugetlb/a', 'hugetlb/b']);
  expect(r[1]!.kernels).toEqual([
    { request: '6.1', release: '6.1.1', package: 'pkg 6.1.1', modelVersion: '6.1', verdict: 'REPRODUCED' },
    { request: '6.12', release: '6.12.2', package: 'pkg 6.12.2', modelVersion: '6.12', verdict: 'REPRODUCED' },
  ]);
  expect(readFileSync(f, 'utf8').endsWith(']\n')).toBe(true);
});

test('a target recorded without a reproducer takes the one a later run names, and keeps it', () => {
  const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-rec-')), 'findings.json');
  const kernel = { request: '6.12', release: '6.12.1', modelVersion: '6.12', image: '/x' };
  const rec = (verdict: string, reproducer: string) =>
    recordVerdict(f, { subsystem: 'hugetlb', target: 'hugetlb/race', kernel, verdict, reproducer });
  rec('INCONCLUSIVE', '');
  expect(readRecord(f)[0]!.reproducer).toBe('');
  rec('REPRODUCED', 'docs/reproducers/x.race.c');
  expect(readRecord(f)[0]!.reproducer).toBe('docs/reproducers/x.race.c');
  rec('INCONCLUSIVE', '');
  expect(readRecord(f)[0]).toMatchObject({
    reproducer: 'docs/reproducers/x.race.c',
    kernels: [{ verdict: 'INCONCLUSIVE' }],
  });
});
