/** A ThreadCtx for calling implementation functions directly, with scripted choices. */
import type { ThreadCtx } from '../../checker/types.js';

export function tctx<P>(
  params: P,
  opts: { choices?: number[]; variant?: string | null; tid?: number } = {},
): ThreadCtx<P> & { pruned: string[] } {
  const choices = [...(opts.choices ?? [])];
  const variant = opts.variant ?? null;
  const pruned: string[] = [];
  return {
    tid: opts.tid ?? 0,
    args: {},
    l: {},
    params,
    variant,
    bug: (n: string) => variant === n,
    choose: (n: number) => {
      const c = choices.shift() ?? 0;
      if (c >= n) throw new Error(`scripted choice ${c} out of range ${n}`);
      return c;
    },
    inject: () => false,
    assume: (cond: boolean, text: string) => {
      if (!cond) pruned.push(text);
    },
    pruned,
  };
}
