/** How `mmcheck check cleancache --FLAG N` reshapes the default scenarios. */
import { opsKnob, paramKnob, threadsKnob, type Knob } from '../../checker/reshape.js';
import type { CleancacheParams as P } from '../../impl/cleancache/state.js';
import { parseParams } from './params.js';

export const knobs: readonly Knob<P>[] = [
  threadsKnob<P>({ max: 4 }),
  opsKnob<P>(8),
  paramKnob<P>(
    'pool',
    'backend capacity in pages (beyond it the LRU page is evicted)',
    1,
    8,
    (p, n) => parseParams({ ...p, capacity: n }),
    'backend pages',
  ),
  paramKnob<P>('file-size', 'page indices per file', 1, 4, (p, n) => parseParams({ ...p, pages: n })),
];
