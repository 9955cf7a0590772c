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

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const here = (path: string): string => new URL(`./${path}/index${ext}`, import.meta.url).href;
/**
 * Per subsystem, the module that defines it, exporting it under its name:
 * the worker threads of a parallel search (--workers N) load that one
 * instead of this registry, which loads every subsystem (its start-up is
 * half as long). test/cli/registry.test.ts checks the exports.
 */
export const subsystemModules: Readonly<Record<string, string>> = {
  hugetlb: here('hugetlb'),
  cleancache: here('cleancache'),
  frontswap: here('frontswap'),
  thp: here('thp'),
};

export function findSubsystem(name: string): Subsystem | undefined {
  return registry.find((s) => s.name === name);
}
