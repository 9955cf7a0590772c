/**
 * Scenario parameters for generated THP scripts: anonymous or file THP, how it
 * starts (not yet faulted, PMD-mapped, or PMD-mapped in parent and child) and
 * how many processes a script may fork up to.
 */
import fc from 'fast-check';

export function paramsArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      kind: fc.constantFrom('anon', 'file'),
      initial: fc.constantFrom('none', 'pmd', 'forked'),
      mms: fc.integer({ min: 2, max: 3 }),
      nr: fc.constantFrom(4, 8),
    })
    .map((r) => ({ ...r }));
}
