/**
 * Reshaping a mapping: mprotect of part of it, mremap (shrink, move). What a
 * user may rely on: the pages, their data and the promises of every index
 * stay where they were (a moved range takes its own along), a failed call
 * changes nothing, and a hugetlb mapping is never grown by mremap.
 */
import type { Plan } from './choices.js';
import { munmap } from './ops-map.js';
import { at, clone, finish } from './promises.js';
import { type Args, EMPTY_VMA, type HugetlbView, type Outcome, type Ret, type VmaView, num } from './view.js';

const flag = (a: Args, k: string): boolean => a[k] === true || a[k] === 1 || a[k] === 'true';

/** The part of mapping m in [from, to): its pages, data and promises there (no fork partner: pieces have none). */
export function piece(m: VmaView, from: number, to: number): VmaView {
  const inside = (i: number): boolean => i >= from && i < to;
  return {
    ...m,
    from,
    to,
    resv: m.resv.filter(inside),
    anon: m.anon.filter(inside),
    cow: m.cow.filter(inside),
    pagecache: m.pagecache.filter(inside),
    data: m.data.filter(([i]) => inside(i)),
  };
}

/** A free slot: args[k] when given (free, not taken), else the lowest free one not taken; -1 none. */
export function freeSlot(v: HugetlbView, a: Args, k: string, taken: readonly number[]): number {
  if (a[k] !== undefined) {
    const s = num(a, k);
    return v.vmas[s]?.kind === 'none' && !taken.includes(s) ? s : -1;
  }
  return v.vmas.findIndex((x, s) => x.kind === 'none' && !taken.includes(s));
}

/**
 * mprotect of [from, to) of the mapping in slot v: the range becomes
 * read-only (ro) or writable; nothing else about it changes. The same
 * protection changes nothing; a start that is not huge-page aligned
 * (misalign) is EINVAL with nothing changed; a range not inside the mapping,
 * or no slot for a piece (slots stand for vm.max_map_count; a forked mapping
 * is not split), is ENOMEM. Pieces: v keeps the lowest, then slots c, d.
 */
export function mprotect(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj || plan.reserveOffset || plan.surplusFirst) return undefined;
  const unchanged = (ret: Ret): Outcome => ({ view: v0, ret });
  const slot = num(a, 'v');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const ro = flag(a, 'ro');
  const m0 = v0.vmas[slot];
  if (to === from) return unchanged('ok');
  if (!m0 || m0.kind === 'none' || to < from || from < m0.from || to > m0.to) return unchanged('ENOMEM');
  if (m0.ro === ro) return unchanged('ok');
  if (flag(a, 'misalign')) return unchanged('EINVAL');
  const splits = (from > m0.from ? 1 : 0) + (to < m0.to ? 1 : 0);
  const c = splits > 0 ? freeSlot(v0, a, 'c', [slot]) : -1;
  const d = splits > 1 ? freeSlot(v0, a, 'd', [slot, c]) : -1;
  if ((splits > 0 && (c < 0 || m0.peer !== -1)) || (splits > 1 && d < 0)) return unchanged('ENOMEM');
  const v = clone(v0);
  const ranges: [number, number][] = [[from, to]];
  if (from > m0.from) ranges.unshift([m0.from, from]);
  if (to < m0.to) ranges.push([to, m0.to]);
  const slots = [slot, c, d];
  ranges.forEach(([lo, hi], k) => {
    v.vmas[at(slots, k)] = { ...piece(m0, lo, hi), ro: lo === from ? ro : m0.ro };
  });
  return { view: finish(v), ret: 'ok' };
}

/**
 * mremap of [from, to) of the mapping in slot v to len pages: a shrink
 * unmaps the tail (as munmap does, promises given back); with c the range
 * then moves to slot c with its pages, data and promises, and the rest of
 * the mapping keeps its own. Errors change nothing: len 0 or an empty old
 * range, a misaligned address or growing: EINVAL; an old range not inside
 * the mapping: EFAULT; a taken slot c: EINVAL; no slot for a piece or a
 * forked mapping: ENOMEM.
 */
export function mremap(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj || plan.surplusFirst) return undefined;
  const unchanged = (ret: Ret): Outcome | undefined => (plan.reserveOffset ? undefined : { view: v0, ret });
  const slot = num(a, 'v');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const len = num(a, 'len');
  const m0 = v0.vmas[slot];
  if (len === 0 || to <= from) return unchanged('EINVAL');
  if (!m0 || m0.kind === 'none' || from < m0.from || from >= m0.to || to > m0.to) return unchanged('EFAULT');
  if (flag(a, 'misalign') || len > to - from) return unchanged('EINVAL');
  const moving = a.c !== undefined;
  const c = num(a, 'c');
  if (moving) {
    if (v0.vmas[c]?.kind !== 'none') return unchanged('EINVAL');
    const split = to < m0.to && (len < to - from || from > m0.from);
    if (m0.peer !== -1 || (split && freeSlot(v0, {}, 'x', [c]) < 0)) return unchanged('ENOMEM');
  }
  let o: Outcome | undefined = { view: v0, ret: 'ok' };
  if (len < to - from) {
    const args: Record<string, number> = { v: slot, from: from + len, to };
    if (to < m0.to) args.c = freeSlot(v0, {}, 'x', moving ? [c] : []); // a hole: its upper piece's slot
    o = munmap(v0, args, plan);
    if (!o || o.ret !== 'ok' || !moving) return o;
  } else if (plan.reserveOffset) return undefined;
  if (!moving) return o;
  return { view: moveRange(o.view, slot, from, from + len, c), ret: 'ok' };
}

/** The range [start, end) of slot `slot` moves to slot c; what is left stays (a middle hole: its upper piece to the lowest free slot). */
function moveRange(v0: HugetlbView, slot: number, start: number, end: number, c: number): HugetlbView {
  const v = clone(v0);
  const m = at(v.vmas, slot);
  v.vmas[c] = { ...piece(m, start, end), uffd: 'none' };
  if (start > m.from && end < m.to) {
    const upper = v.vmas.findIndex((x) => x.kind === 'none');
    v.vmas[upper] = piece(m, end, m.to);
    v.vmas[slot] = piece(m, m.from, start);
  } else if (start === m.from && end === m.to) v.vmas[slot] = { ...EMPTY_VMA };
  else v.vmas[slot] = start === m.from ? piece(m, end, m.to) : piece(m, m.from, start);
  return finish(v);
}
