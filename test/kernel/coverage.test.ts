/**
 * kernel/conform/coverage.ts: the summary names every op of the language that
 * conform does not generate, with the reason the profile gives; an op with no
 * C counterpart (hugetlb dissolve: memory offline needs hotpluggable memory)
 * says so.
 */
import { describe, expect, test } from 'vitest';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { thpProfile } from '../../kernel/conform/arbitraries/thp/index.js';
import { Coverage } from '../../kernel/conform/coverage.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { HUGETLB_KERNEL_UNSUPPORTED, hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { thp } from '../../subsystems/thp/index.js';

describe('conform coverage summary', () => {
  test('hugetlb dissolve is not kernel-runnable, and the summary says why', () => {
    expect(HUGETLB_KERNEL_UNSUPPORTED.dissolve).toMatch(/no hotpluggable memory/);
    expect(() => hugetlbProbe.step('dissolve', {}, hugetlb.scenarios[0]!.params as never)).toThrow(
      /no C counterpart.*hotpluggable/,
    );
    const lines = new Coverage(hugetlbProfile).render(hugetlb);
    expect(lines).toContain(`  not generated: dissolve (${HUGETLB_KERNEL_UNSUPPORTED.dissolve})`);
  });

  test('THP force_write, force_read, migrate and populate_read are generated, not listed as missing', () => {
    const lines = new Coverage(thpProfile).render(thp).join('\n');
    for (const op of ['force_write', 'force_read', 'migrate', 'populate_read'])
      expect(lines).not.toMatch(new RegExp(`not generated: ${op} `));
    expect(lines).toMatch(/not generated: collapse \(khugepaged/);
  });
});
