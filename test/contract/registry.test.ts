/** Every registered subsystem runs through the generic contract suite. */
import { describe, expect, test } from 'vitest';
import { allImpls } from '../../checker/impls.js';
import { registry } from '../../subsystems/index.js';
import { subsystemContract } from './subsystem-contract.js';

describe('the registry', () => {
  test('has subsystems with unique names', () => {
    expect(registry.length).toBeGreaterThan(0);
    expect(new Set(registry.map((s) => s.name)).size).toBe(registry.length);
  });
});

// every implementation of every subsystem (Subsystem.impls: e.g. thp's folio-era one) keeps the contract
for (const sub of registry) for (const impl of allImpls(sub)) subsystemContract(impl);
