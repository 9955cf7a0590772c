/**
 * The registry of subsystems `mmcheck` knows. Adding a subsystem is a folder in
 * spec/, impl/ and subsystems/ plus one line here; the checker does not change.
 */
import type { Subsystem } from '../checker/types.js';
import { hugetlb } from './hugetlb/index.js';
import { cleancache } from './cleancache/index.js';
import { frontswap } from './frontswap/index.js';
import { thp } from './thp/index.js';

export const registry: Subsystem[] = [hugetlb, cleancache, frontswap, thp];

export function findSubsystem(name: string): Subsystem | undefined {
  return registry.find((s) => s.name === name);
}
