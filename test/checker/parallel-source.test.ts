/**
 * How a parallel search's worker threads find the subsystem (checker/product/source.ts): from the module
 * that defines it, which the registry names (subsystemModules), so a worker does not load every subsystem;
 * from the registry otherwise. Either way the model is the same scenario's Product.
 */
import { describe, expect, test } from 'vitest';
import { createModel, type ProductSourceArgs } from '../../checker/product/source.js';
import { createProductSharing, type Product } from '../../checker/product.js';
import { registry, subsystemModules } from '../../subsystems/index.js';

const registryModule = new URL('../../subsystems/index.ts', import.meta.url).href;

function argsFor(name: string, extra: Partial<ProductSourceArgs> = {}): ProductSourceArgs {
  const sub = registry.find((s) => s.name === name)!;
  return {
    registryModule,
    subsystem: name,
    scenario: sub.scenarios[0]!,
    variant: null,
    sharing: createProductSharing(),
    ...extra,
  };
}

describe('parallel search model source', () => {
  test('every registered subsystem has a module exporting it under its name', async () => {
    expect(Object.keys(subsystemModules).sort()).toEqual(registry.map((s) => s.name).sort());
    for (const s of registry) {
      const m = (await import(subsystemModules[s.name]!)) as Record<string, unknown>;
      const found = m[s.name] as typeof s;
      expect(found?.name, s.name).toBe(s.name);
      expect(found.scenarios.map((x) => x.name)).toEqual(s.scenarios.map((x) => x.name));
      expect(found.variants.map((x) => x.name)).toEqual(s.variants.map((x) => x.name));
    }
  });

  test('a model from the subsystem module and one from the registry start in the same state', async () => {
    for (const s of registry) {
      const a = (await createModel(argsFor(s.name, { subsystemModule: subsystemModules[s.name]! }))) as Product;
      const b = (await createModel(argsFor(s.name))) as Product;
      expect([...a.initial().vec], s.name).toEqual([...b.initial().vec]);
      expect(a.sub.name).toBe(s.name);
    }
  });

  test('a module that does not export the subsystem under its name is an error naming both', async () => {
    await expect(createModel(argsFor('hugetlb', { subsystemModule: subsystemModules['thp']! }))).rejects.toThrow(
      /does not export subsystem 'hugetlb'/,
    );
  });
});
