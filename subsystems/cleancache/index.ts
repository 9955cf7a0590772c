/**
 * cleancache: registers the mapping between the spec (spec/cleancache) and the
 * kernel-faithful implementation (impl/cleancache). Each concern lives in its
 * own file: params, scenarios, abstraction (+ observer), invariants, variants.
 */
import type { Subsystem } from '../../checker/types.js';
import { cleancacheImpl } from '../../impl/cleancache/ops.js';
import type { CleancacheParams, CleancacheState } from '../../impl/cleancache/state.js';
import {
  cleancacheChoices,
  cleancacheInternal,
  cleancacheMachine,
  cleancacheView,
  type CleancacheView,
} from '../../spec/cleancache/machine.js';
import { knobsCustomize } from '../../checker/reshape.js';
import type { Scenario, ScenarioOptions } from '../../checker/types.js';
import { knobs } from './knobs.js';
import { cleancacheOps } from './op-schemas.js';
import { abstraction, observer } from './abstraction.js';
import { invariants } from './invariants.js';
import { parseParams } from './params.js';
import { scenarios } from './scenarios.js';
import { variants } from './variants.js';

type P = CleancacheParams;

export { abstraction, parseParams };

/** The knobs (knobs.ts) in the `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<P>, opts: ScenarioOptions): Scenario<P> => knobsCustomize(knobs)(base, opts);

export const cleancache: Subsystem<CleancacheState, CleancacheView, P> = {
  name: 'cleancache',
  title: 'Cleancache coherency (frontend pool-id tables, tmem backend, VFS hooks)',
  description:
    'Backend contract (pools, put/get/invalidate, exclusive and shared gets, put-put-get and get-get coherency, counters) and the system property that every read returns the latest written data through page cache, cleancache and disk.',
  impl: cleancacheImpl,
  opSchemas: cleancacheOps,
  spec: {
    machine: cleancacheMachine,
    input: (p: P) => ({
      mode: p.mode,
      nsb: p.nsb,
      keys: p.keys,
      pages: p.pages,
      files: p.files,
      registered: p.registered,
      mounted: p.mounted,
    }),
    choices: cleancacheChoices,
    internal: cleancacheInternal,
    view: cleancacheView as (s: { value: unknown; context: any }) => CleancacheView,
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
