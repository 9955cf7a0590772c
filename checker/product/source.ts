/**
 * How a parallel search's worker threads build the scenario's Product: the
 * subsystem comes from a registry module (by name, with its selected
 * implementation), the scenario and variant as plain data, and the ids from
 * the tables the coordinator's Product shares (ProductSharing). Loaded by
 * ../strategy/parallel-worker.ts as its model source: `createModel(args)`.
 */
import { selectImpl } from '../impls.js';
import type { Model } from '../model.js';
import { Product, type ProductSharing } from '../product.js';
import { symmetricModel } from '../symmetry-run.js';
import type { Scenario, Subsystem } from '../types.js';

export interface ProductSourceArgs {
  /** A module exporting `registry: Subsystem[]`. */
  readonly registryModule: string;
  /**
   * The module that defines the subsystem, exporting it under its name (the
   * registry's `subsystemModules`): loaded instead of the registry, which
   * loads every subsystem.
   */
  readonly subsystemModule?: string;
  readonly subsystem: string;
  readonly impl?: string;
  readonly scenario: Scenario;
  readonly variant: string | null;
  readonly sharing: ProductSharing;
  /** See Product.watch. */
  readonly watch?: Int32Array;
  /** Explore up to symmetry (../symmetric-model.ts): the coordinator found it applies. */
  readonly symmetry?: boolean;
}

/** The subsystem named `args.subsystem`, from its own module when the args name one, else from the registry. */
async function loadSubsystem(args: ProductSourceArgs): Promise<Subsystem> {
  if (args.subsystemModule !== undefined) {
    const m = (await import(args.subsystemModule)) as Record<string, unknown>;
    const found = m[args.subsystem] as Subsystem | undefined;
    if (found?.name !== args.subsystem)
      throw new Error(`${args.subsystemModule} does not export subsystem '${args.subsystem}' under its name`);
    return found;
  }
  const { registry } = (await import(args.registryModule)) as { registry: readonly Subsystem[] };
  const found = registry.find((s) => s.name === args.subsystem);
  if (!found) throw new Error(`unknown subsystem '${args.subsystem}' in ${args.registryModule}`);
  return found;
}

export async function createModel(args: ProductSourceArgs): Promise<Model> {
  const found = await loadSubsystem(args);
  const product = new Product(selectImpl(found, args.impl), args.scenario, args.variant, args.sharing);
  product.watch = args.watch;
  if (!args.symmetry) return product;
  const sym = symmetricModel(product.sub, args.scenario, product);
  if (!sym.model) throw new Error(`symmetry does not apply in a worker: ${sym.reason}`);
  return sym.model;
}
