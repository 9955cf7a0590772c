/**
 * Every citation in docs/ and in the code must resolve for a reader of the
 * repository: no private notes, nothing in the shared folder beside the
 * repository, no seed line numbers. test/docs/citations-pending.json lists, per
 * file, how many such lines remain while their owners rewrite them: a file
 * may only go down; any other file must have none.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBadCitations, scanRepository } from '../../docs/gen/citations.js';

const root = resolve(__dirname, '../..');
const pending = (
  JSON.parse(readFileSync(join(__dirname, 'citations-pending.json'), 'utf8')) as { pending: Record<string, number> }
).pending;

const rules = (text: string) => findBadCitations(text, 'x').map((b) => b.rule);

describe('citations', () => {
  it('rejects private notes, the shared folder and seed line numbers', () => {
    // spelled in pieces so that this file does not trip its own scan
    const j = (...parts: string[]) => parts.join('');
    for (const bad of [
      j("source: 'seeds", "-digest 4.2 CC-1'"),
      j('see kernel', '-semantics.md §1.2 I3'),
      j("source: 'known", "-bugs.md H11, cf3ad20bfead'"),
      j('checker', '-anchors.md'),
      j('..', '/shared/bench/hugetlb-toy.pml'),
      j("source: 'seed L", "1806-1810'"),
      j('frontswap.rst (seed 000 L', '873-1171)'),
      j('hugetlbfs_reserv.rst L', '1806-1810'),
      j('cleancache.rst:', '605'),
    ])
      expect(rules(bad), bad).toHaveLength(1);
  });

  it('accepts kernel paths and functions at a version, commits with titles, Documentation sections', () => {
    for (const good of [
      'mm/hugetlb.c hugetlb_reserve_pages() @ v6.12',
      'commit cf3ad20bfead ("mm/hugetlb: compute/return the number of regions to add in region_chg()")',
      'Documentation/vm/hugetlbfs_reserv.rst @ v5.10, "Reservation Map Modifications"',
      'Documentation/vm/transhuge.rst @ v5.10, section "Refcounts and transparent huge pages"',
      'the seeds of randomness are printed (L2 cache)',
    ])
      expect(rules(good), good).toEqual([]);
  });

  it('docs/ and the code cite nothing unresolvable beyond the pending list', () => {
    const found = scanRepository(root);
    const byFile = new Map<string, typeof found>();
    for (const b of found) byFile.set(b.file, [...(byFile.get(b.file) ?? []), b]);
    const over: string[] = [];
    for (const [file, list] of byFile)
      if (list.length > (pending[file] ?? 0))
        over.push(
          `${file}: ${list.length} (allowed ${pending[file] ?? 0}): ${list.map((b) => `L${b.line} ${b.rule}: ${b.text}`).join(' · ')}`,
        );
    expect(over, over.join('\n')).toEqual([]);
  });
});
