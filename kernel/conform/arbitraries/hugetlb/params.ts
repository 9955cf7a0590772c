/**
 * Scenario parameters for generated hugetlb scripts: pool and overcommit
 * sizes, up to two hugetlbfs mounts with or without size=/min_size=, one to
 * three files spread over them (sometimes the kernel's internal mount too,
 * whose files memfd_create makes), VMA slots; one script in six has per-node
 * pools on two nodes (params.nodePool 2, overcommit 0 as the model requires;
 * half of those bind every task to one node, params.membind, when no mount
 * has min_size=). No injected faults and no NUMA miss: a real kernel cannot
 * be told to fail a kmalloc on cue.
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
      // the kernel's internal mount (memfd_create's files, MAP_ANONYMOUS|MAP_HUGETLB) as the last mount
      // one script in three, so that memfds (udmabuf) are a fair share of them
      internal: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      // 0: one node; 1: two nodes; 2, 3: two nodes, membind to node 0 or 1
      nodes: fc.oneof(
        { weight: 10, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
      ),
    })
    .map((r) => {
      // min_size <= size, and the mounted min_size total fits the pool (hugetlbfs refuses otherwise at init)
      let minLeft = r.pool;
      const mounts: { size: number; min: number; mounted: boolean; internal?: boolean }[] = r.mounts.map((m) => {
        let min = m.size !== -1 && m.min > m.size ? m.size : m.min;
        if (m.mounted && min > 0) {
          if (min > minLeft) min = -1;
          else minLeft -= min;
        }
        return { size: m.size, min, mounted: m.mounted };
      });
      const { internal, nodes, ...rest } = r;
      if (internal) mounts.push({ size: -1, min: -1, mounted: true, internal: true });
      const base = { ...rest, mounts, fileMount: r.fileMount.map((x) => x % mounts.length) };
      if (nodes === 0) return base;
      const bind = nodes >= 2 && !mounts.some((m) => m.min > 0) ? { membind: nodes - 2 } : {};
      return { ...base, overcommit: 0, nodePool: 2, ...bind };
    });
}
