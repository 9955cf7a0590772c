/**
 * Typed op arguments: each implementation reads its arguments through a
 * helper typed by its own list of argument names (ARGS, so `arg(t, 'sz')` does
 * not compile), and that list is exactly the set of argument names the
 * subsystem's op schemas declare (subsystems/<sub>/op-schemas.ts, the typed
 * op union users write). A name only one side knows is a typo or a dead
 * argument.
 */
import { describe, expect, it } from 'vitest';
import type { OpSchemas } from '../../checker/op-schema.js';
import { ARGS as CLEANCACHE_ARGS } from '../../impl/cleancache/fs-common.js';
import { ARGS as FRONTSWAP_ARGS } from '../../impl/frontswap/frontend.js';
import { ARGS as HUGETLB_ARGS } from '../../impl/hugetlb/context.js';
import { ARGS as THP_ARGS } from '../../impl/thp-common/steps.js';
import { cleancacheOps } from '../../subsystems/cleancache/op-schemas.js';
import { frontswapOps } from '../../subsystems/frontswap/op-schemas.js';
import { hugetlbOps } from '../../subsystems/hugetlb/op-schemas.js';
import { thpOps } from '../../subsystems/thp/op-schemas.js';

const IMPLS: readonly { name: string; args: readonly string[]; schemas: OpSchemas }[] = [
  { name: 'hugetlb', args: HUGETLB_ARGS, schemas: hugetlbOps },
  { name: 'cleancache', args: CLEANCACHE_ARGS, schemas: cleancacheOps },
  { name: 'frontswap', args: FRONTSWAP_ARGS, schemas: frontswapOps },
  { name: 'thp', args: THP_ARGS, schemas: thpOps },
];

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

describe.each(IMPLS)('$name op arguments', ({ args, schemas }) => {
  it('declares each argument name once', () => {
    expect(args.filter((a, i) => args.indexOf(a) !== i)).toEqual([]);
  });

  it('are exactly the argument names of its op schemas', () => {
    const declared = sorted(Object.values(schemas).flatMap((op) => Object.keys(op.args)));
    expect(sorted(args)).toEqual(declared);
  });
});
