/** How `mmcheck check frontswap --FLAG N` reshapes the default scenarios. */
import { opsKnob, paramKnob, threadsKnob, type Knob } from '../../checker/reshape.js';
import type { FrontswapParams as P } from '../../impl/frontswap/state.js';
import { parseParams } from './params.js';

export const knobs: readonly Knob<P>[] = [
  threadsKnob<P>({ max: 4 }),
  opsKnob<P>(8),
  paramKnob<P>(
    'pool',
    'backend capacity in entries (full means a store is rejected)',
    1,
    16,
    (p, n) => parseParams({ ...p, capacity: n }),
    'backend pages',
  ),
  {
    flag: 'file-size',
    doc: 'slots (offsets) per swap device',
    min: 1,
    max: 8,
    apply: (s, n) => {
      const params = parseParams({ ...s.params, slots: n });
      for (const t of s.threads)
        for (const slot of t)
          for (const c of slot)
            if (typeof c.args.off === 'number' && c.args.off >= params.slots)
              throw new Error(`--file-size ${params.slots} is too small for offset ${c.args.off} used by the scenario`);
      return { ...s, params };
    },
  },
];
