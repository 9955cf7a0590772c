/**
 * frontswap: registers the mapping between the spec (spec/frontswap) and the
 * implementation (impl/frontswap: mm/frontswap.c frontend + zswap-like
 * backend). Each concern lives in its own file: params, scenarios,
 * abstraction (+ observer), invariants, variants.
 */
import type { Subsystem } from '../../checker/types.js';
import { frontswapImpl } from '../../impl/frontswap/ops.js';
import type { FrontswapParams, FrontswapState } from '../../impl/frontswap/state.js';
import {
  frontswapChoices,
  frontswapEvent,
  frontswapInternal,
  frontswapMachine,
  frontswapView,
  type FrontswapView,
} from '../../spec/frontswap/machine.js';
import { knobsCustomize } from '../../checker/reshape.js';
import type { Scenario, ScenarioOptions } from '../../checker/types.js';
import { knobs } from './knobs.js';
import { frontswapOps } from './op-schemas.js';
import { abstraction, observer } from './abstraction.js';
import { invariants } from './invariants.js';
import { parseParams } from './params.js';
import { scenarios } from './scenarios.js';
import { variants } from './variants.js';

type P = FrontswapParams;

export { abstraction, parseParams };

/** The knobs (knobs.ts) in the `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<P>, opts: ScenarioOptions): Scenario<P> => knobsCustomize(knobs)(base, opts);

export const frontswap: Subsystem<FrontswapState, FrontswapView, P> = {
  name: 'frontswap',
  title: 'Frontswap persistence (frontswap_map, dup-store rule, zswap-like backend with writeback)',
  description:
    'Swap-out may go to frontswap or the swap device; swap-in returns the data last swapped out; a failed duplicate store leaves no stale copy; zswap writeback moves entries to the device.',
  impl: frontswapImpl,
  opSchemas: frontswapOps,
  spec: {
    machine: frontswapMachine,
    input: (p: P) => ({
      types: p.types,
      slots: p.slots,
      swapon: p.swapon,
      writethrough: p.writethrough,
      enabled: p.registered > 0,
    }),
    internal: frontswapInternal,
    event: (op, args, choice) => frontswapEvent(op, args, choice),
    choices: frontswapChoices,
    view: frontswapView as (s: { value: unknown; context: any }) => FrontswapView,
  },
  abstraction,
  invariants,
  scenarios,
  variants,
  knobs,
  customize,
  parseParams,
  observer,
};
