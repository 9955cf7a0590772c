/**
 * Scenario parameters for generated hugetlb scripts: pool and overcommit
 * sizes, up to two hugetlbfs mounts with or without size=/min_size=, one to
 * three files spread over them, VMA slots. No injected faults and no NUMA
 * miss: a real kernel cannot be told to fail a kmalloc on cue.
 */
import fc from 'fast-check';
import { LIMITS } from '../../../../spec/hugetlb/params.js';

const mount = fc.record({
  size: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: LIMITS.maxPages })),
  min: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4 })),
  mounted: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

export function paramsArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      pool: fc.integer({ min: 0, max: 5 }),
      overcommit: fc.integer({ min: 0, max: 2 }),
      fileSize: fc.integer({ min: 1, max: 4 }),
      vmas: fc.integer({ min: 2, max: LIMITS.maxVmas }),
      mounts: fc.array(mount, { minLength: 1, maxLength: 2 }),
      fileMount: fc.array(fc.nat(), { minLength: 1, maxLength: LIMITS.maxFiles }),
    })
    .map((r) => {
      // min_size <= size, and the mounted min_size total fits the pool (hugetlbfs refuses otherwise at init)
      let minLeft = r.pool;
      const mounts = r.mounts.map((m) => {
        let min = m.size !== -1 && m.min > m.size ? m.size : m.min;
        if (m.mounted && min > 0) {
          if (min > minLeft) min = -1;
          else minLeft -= min;
        }
        return { size: m.size, min, mounted: m.mounted };
      });
      return { ...r, mounts, fileMount: r.fileMount.map((x) => x % mounts.length) };
    });
}
