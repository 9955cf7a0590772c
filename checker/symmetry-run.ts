/**
 * A check run's symmetry reduction (`check --symmetry`): whether it applies
 * to the scenario (symmetry.ts planSymmetry), the model explored
 * (symmetric-model.ts), and what the result says about it.
 */
import type { Product } from './product.js';
import type { SymmetryInfo } from './result.js';
import { SymmetricModel } from './symmetric-model.js';
import { planSymmetry } from './symmetry.js';
import type { Scenario, Subsystem } from './types.js';

export interface SymmetryRun {
  readonly classes: readonly (readonly number[])[];
  readonly group: number;
  /** Why the reduction does not apply (then no model). */
  readonly reason?: string;
  readonly model?: SymmetricModel;
}

/** The symmetric model of a scenario's product, or why there is none. */
export function symmetricModel(sub: Subsystem, scenario: Scenario, product: Product): SymmetryRun {
  const plan = planSymmetry(sub, scenario);
  if ('reason' in plan) return { classes: [], group: 1, reason: plan.reason };
  return { classes: plan.classes, group: plan.group, model: new SymmetricModel(product, plan.classes) };
}

/** The result's `symmetry` (states: the canonical states the search counted). */
export function symmetryResult(sym: SymmetryRun, states: number): SymmetryInfo {
  return {
    applied: sym.model !== undefined,
    ...(sym.reason !== undefined ? { reason: sym.reason } : {}),
    classes: sym.classes.map((c) => [...c]),
    group: sym.group,
    canonicalStates: states,
    unreducedStates: sym.model ? sym.model.unreduced : states,
  };
}
