/**
 * Typed op arguments: each implementation reads its arguments through a
 * helper typed by its own list of argument names (ARGS, so `arg(t, 'sz')` does
 * not compile), and that list is exactly the set of argument names the
 * subsystem's op schemas declare (subsystems/<sub>/op-schemas.ts, the typed
 * op union users write). A name only one side knows is a typo or a dead
 * argument. Outside that helper's file, impl/ never reads `t.args` raw.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

const IMPLS: readonly { name: string; args: readonly string[]; schemas: OpSchemas; dirs: string[]; helper: string }[] =
  [
    { name: 'hugetlb', args: HUGETLB_ARGS, schemas: hugetlbOps, dirs: ['hugetlb'], helper: 'hugetlb/context.ts' },
    {
      name: 'cleancache',
      args: CLEANCACHE_ARGS,
      schemas: cleancacheOps,
      dirs: ['cleancache'],
      helper: 'cleancache/fs-common.ts',
    },
    {
      name: 'frontswap',
      args: FRONTSWAP_ARGS,
      schemas: frontswapOps,
      dirs: ['frontswap'],
      helper: 'frontswap/frontend.ts',
    },
    {
      name: 'thp',
      args: THP_ARGS,
      schemas: thpOps,
      dirs: ['thp', 'thp-folio', 'thp-common'],
      helper: 'thp-common/steps.ts',
    },
  ];
const IMPL = resolve(__dirname, '../../impl');

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

describe.each(IMPLS)('$name op arguments', ({ args, schemas, dirs, helper }) => {
  it('declares each argument name once', () => {
    expect(args.filter((a, i) => args.indexOf(a) !== i)).toEqual([]);
  });

  it('are exactly the argument names of its op schemas', () => {
    const declared = sorted(Object.values(schemas).flatMap((op) => Object.keys(op.args)));
    expect(sorted(args)).toEqual(declared);
  });

  it('are read only through the typed helpers', () => {
    const raw = dirs
      .flatMap((d) => readdirSync(join(IMPL, d)).map((f) => `${d}/${f}`))
      .filter((f) => f.endsWith('.ts') && f !== helper)
      .flatMap((f) =>
        readFileSync(join(IMPL, f), 'utf8')
          .split('\n')
          .map((line, i) => `${f}:${i + 1}: ${line.trim()}`)
          .filter((l) => /\bt\.args\b/.test(l.replace(/\/\/.*$|^\S+: \*.*$/, ''))),
      );
    expect(raw).toEqual([]);
  });
});
