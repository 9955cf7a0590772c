/**
 * How `mmcheck check thp --FLAG N` reshapes the default scenarios. There is one
 * huge page per scenario, so there is no pool; `--subpages` sets HPAGE_PMD_NR
 * (the model's subpages per THP; `--file-size` is its older name).
 */
import { opsKnob, threadsKnob, type Knob } from '../../checker/reshape.js';
import type { Scenario } from '../../checker/types.js';
import type { ThpParams as P } from '../../impl/thp/page.js';

/** Rescale a scenario to `nr` subpages: ranges ending at the old end now end at the new one. */
function setSubpages(flag: string) {
  return (base: Scenario<P>, nr: number): Scenario<P> => {
    const old = base.params.nr;
    const threads = base.threads.map((th) =>
      th.map((slot) =>
        slot.map((c) => {
          const args: Record<string, number | string | boolean> = { ...c.args };
          if (typeof args.sub === 'number' && args.sub >= nr)
            throw new Error(`thp: --${flag} ${nr} is too small for ${c.op}(sub ${args.sub}) in ${base.name}`);
          if (args.to === old) args.to = nr;
          if (typeof args.from === 'number' && args.from >= nr)
            throw new Error(`thp: --${flag} ${nr} is too small for ${c.op}(from ${args.from}) in ${base.name}`);
          return { op: c.op, args };
        }),
      ),
    );
    return { ...base, params: { ...base.params, nr }, threads };
  };
}

export const knobs: readonly Knob<P>[] = [
  threadsKnob<P>({ max: 4 }),
  opsKnob<P>(16),
  {
    flag: 'subpages',
    doc: 'subpages per THP (HPAGE_PMD_NR in the model)',
    min: 2,
    max: 16,
    unit: 'subpages per THP',
    apply: setSubpages('subpages'),
  },
  {
    flag: 'file-size',
    doc: 'older name of --subpages',
    min: 2,
    max: 16,
    unit: 'subpages per THP',
    apply: setSubpages('file-size'),
  },
];
