/**
 * Scenario parameters for generated THP scripts: how the THP starts (not yet
 * faulted, PMD-mapped, or PMD-mapped in parent and child), how many processes
 * a script may fork up to, and subpages per THP (each a group of 512 / nr real
 * 4 KiB pages on a kernel). Anonymous THPs only: the probe has no mapping for
 * the model's file (page-cache) THP yet, and the profile says so.
 */
import fc from 'fast-check';

export function paramsArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      kind: fc.constant('anon'),
      initial: fc.constantFrom('none', 'pmd', 'forked'),
      mms: fc.integer({ min: 2, max: 3 }),
      nr: fc.constantFrom(4, 8),
    })
    .map((r) => ({ ...r }));
}
