/**
 * The spec of K tracked THPs (params.thps > 1): one ThpView per THP, `kthps[k]` the view of THP k's range, whose
 * page i is global page k * nr + i. Every promise is the single-THP one (they are per page and per pin already):
 * an operation that names THP k (`thp`, default 0) is the single-THP operation on view k, and the others do not
 * change. fork copies every range at one linearization point (dup_mmap() holds both mms' mmap_lock for write over
 * the whole copy): it is the single-THP fork applied to every view, each with its own outcome, the choice
 * `c0|c1|...` naming them in THP order. An operation naming no THP that exists returns EINVAL.
 *
 * Internal steps are each view's, tagged with its THP. params.thps 1 is the single-THP spec itself (no list of
 * one view), so its states and counts are the ones before this module.
 */
import type { RetValue } from '../../checker/types.js';
import type { ThpContext, ThpEvent, ThpParams, ThpView } from './view.js';

/** The spec state of K > 1 tracked THPs. */
export interface KThpView {
  kthps: ThpView[];
}
export interface KThpContext extends KThpView {
  ret?: RetValue;
}

export const isKView = (v: unknown): v is KThpView => Array.isArray((v as Partial<KThpView>).kthps);
export const specThpCount = (p: { readonly thps?: number } | undefined): number => p?.thps ?? 1;

/** The THP an event names: `thp`, default 0; -1 when not an integer. */
function thpOf(ev: Readonly<Record<string, unknown>>): number {
  const v = ev.thp ?? 0;
  return typeof v === 'number' && Number.isInteger(v) ? v : -1;
}

const strip = (c: ThpContext): ThpView => {
  const { ret: _ret, ...rest } = c;
  return rest;
};

export const FORK_SEP = '|';

/**
 * Apply one event to K views with `apply1`, the single-THP reducer. fork: every view forks with its own
 * choice; when the views answer differently (a child already mapping one range: EEXIST) the call fails as
 * the first non-'ok' answer says and changes nothing.
 */
export function applyK(
  ctx: KThpContext,
  ev: ThpEvent,
  apply1: (c: ThpContext, e: ThpEvent) => ThpContext,
): KThpContext {
  const reject = { kthps: ctx.kthps, ret: undefined };
  if (ev.type === 'fork') {
    const choices = typeof ev.choice === 'string' ? ev.choice.split(FORK_SEP) : undefined;
    if (choices && choices.length !== ctx.kthps.length) return reject;
    const next = ctx.kthps.map((v, k) => apply1(v, choices ? { ...ev, choice: choices[k] } : ev));
    if (next.some((c) => c.ret === undefined)) return reject;
    const rets = next.map((c) => c.ret);
    if (rets.every((r) => r === rets[0])) return { kthps: next.map(strip), ret: rets[0] };
    return { kthps: ctx.kthps, ret: rets.find((r) => r !== 'ok')! };
  }
  if (ev.type === 'put_prior') return reject; /* params.prior needs thps 1 */
  const k = thpOf(ev);
  if (k < 0 || k >= ctx.kthps.length) return { kthps: ctx.kthps, ret: 'EINVAL' };
  const c = apply1(ctx.kthps[k]!, ev);
  if (c.ret === undefined) return reject;
  const kthps = [...ctx.kthps];
  kthps[k] = strip(c);
  return { kthps, ret: c.ret };
}

/** The initial views: every THP as the single-THP spec starts it. */
export function initialK(p: ThpParams, initial1: (p: ThpParams) => ThpContext): KThpContext {
  return { kthps: Array.from({ length: specThpCount(p) }, () => strip(initial1(p))) };
}

/** fork's outcomes: one per view, every combination (`c0|c1`); other ops: the named view's. */
export function choicesK(
  op: string,
  args: Readonly<Record<string, unknown>>,
  v: KThpView,
  choices1: (
    op: string,
    args: Readonly<Record<string, unknown>>,
    c: ThpView,
  ) => readonly (string | number)[] | undefined,
): readonly (string | number)[] | undefined {
  if (op !== 'fork') {
    const k = thpOf(args);
    return k < 0 || k >= v.kthps.length ? undefined : choices1(op, args, v.kthps[k]!);
  }
  let out: string[] = [''];
  for (const view of v.kthps) {
    const each = choices1(op, args, view) ?? [];
    out = out.flatMap((pre) => each.map((c) => (pre === '' ? String(c) : `${pre}${FORK_SEP}${String(c)}`)));
  }
  return out;
}

/** Internal steps: each view's, tagged with its THP. */
export function internalK<E extends object>(v: KThpView, internal1: (c: ThpView) => E[]): (E & { thp: number })[] {
  return v.kthps.flatMap((view, k) => internal1(view).map((e) => ({ ...e, thp: k })));
}

/** Internal steps an operation in flight may take: those of the view it names (fork: of every view). */
export function pendingK<E extends object>(
  v: KThpView,
  op: string,
  args: Readonly<Record<string, unknown>>,
  pending1: (c: ThpView, op: string, args: Readonly<Record<string, unknown>>) => E[],
): (E & { thp: number })[] {
  if (op === 'fork') return v.kthps.flatMap((view, k) => pending1(view, op, args).map((e) => ({ ...e, thp: k })));
  const k = thpOf(args);
  if (k < 0 || k >= v.kthps.length) return [];
  return pending1(v.kthps[k]!, op, args).map((e) => ({ ...e, thp: k }));
}
