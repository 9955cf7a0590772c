/**
 * What the Products of a parallel search share: the id tables (their tallies
 * are added up through counters.ts); see ../product.ts and
 * ../strategy/parallel-bfs.ts.
 */
import { SharedInternTable, type SharedInternBuffers } from '../store/shared-intern.js';

/**
 * The tables behind the ids a Product writes into its state vectors (spec
 * views, return values, spec contexts, linearization configurations and sets,
 * thread control blocks),
 * shared by the Products of a parallel search's threads so that one vector
 * means one state in all of them.
 */
export interface ProductSharing {
  readonly views: SharedInternBuffers;
  readonly rets: SharedInternBuffers;
  readonly contexts: SharedInternBuffers;
  readonly configs: SharedInternBuffers;
  readonly sets: SharedInternBuffers;
  readonly blocks: SharedInternBuffers;
}

export function createProductSharing(): ProductSharing {
  const b = () => SharedInternTable.create().buffers;
  return { views: b(), rets: b(), contexts: b(), configs: b(), sets: b(), blocks: b() };
}
