/**
 * userfaultfd registration, and what PMD sharing (params.pud > 0) lets a
 * user observe. Promises, in user terms:
 *
 *  - UFFDIO_REGISTER of [from, to) of a mapping (default: all of it): the
 *    range becomes a mapping of its own (the rest keeps its pages, data and
 *    promises, as mprotect splits) whose faults go to the handler from now
 *    on. EINVAL, nothing changed: nothing mapped, an empty range, or one not
 *    inside the mapping. ENOMEM, nothing changed: no slot for a piece, or a
 *    forked mapping (the model's bounds, as for mprotect). Registering again
 *    in the same mode changes nothing.
 *  - With PMD sharing, which page-cache pages a MAP_SHARED mapping has
 *    present is not the process's own doing: another process's fault may
 *    make a page present (a shared page table), and an unmap, mprotect,
 *    truncate or MADV_DONTNEED in another process may take pages away (it
 *    unshares). Nothing a user sees depends on it (data is the file's), so
 *    the spec does not track it for such mappings (`pagecache` stays empty).
 *  - A MINOR registration ends that: the registered range never shares a
 *    page table (uffd_disable_huge_pmd_share), so from registration on a
 *    page-cache page is present in it only through its own fault or
 *    UFFDIO_CONTINUE, and every other page-cache page minor-faults. At
 *    registration any subset of the file's cached pages in the range may be
 *    present (which blocks were shared is not the user's to know): the
 *    spec's one freedom here, an event choice (bit i: index i present).
 *    Another process's unmap, mprotect or fault never changes what a
 *    registered range has present: no process reaches a page through a
 *    table it no longer shares.
 *  - Unchanged by PMD sharing, and promised as everywhere else: the file's
 *    data, each mapping's range and protection, and a truncated or punched
 *    index is unmapped from every process (ops-file.ts).
 */
import type { HugetlbParams } from './params.js';
import { freeSlot, piece } from './ops-surgery.js';
import { at, clone, finish, has, isSharedKind } from './promises.js';
import { type Args, type HugetlbView, type Outcome, type Ret, type VmaView, num } from './view.js';

/** A mapping whose present pages the spec tracks: not a shareable one under PMD sharing. */
export const tracksPresence = (m: VmaView, p: HugetlbParams): boolean =>
  !p.pud || !isSharedKind(m.kind) || m.uffd === 'minor';

/** The view with the present pages of shareable mappings dropped (the same object when there are none). */
export function forgetShared(v: HugetlbView, p: HugetlbParams): HugetlbView {
  if (!p.pud || v.vmas.every((m) => tracksPresence(m, p) || m.pagecache.length === 0)) return v;
  return { ...v, vmas: v.vmas.map((m) => (tracksPresence(m, p) ? m : { ...m, pagecache: [] })) };
}

/** The choices of uffd_register: subsets of the file's pages under PMD sharing (bit i: index i), else 0. */
export function registerChoices(p: HugetlbParams): readonly number[] {
  return p.pud ? Array.from({ length: 1 << p.fileSize }, (_, k) => k) : [0];
}

/** UFFDIO_REGISTER of [from, to) of the mapping in slot v (default: all of it), mode missing or minor. */
export function uffdRegister(v0: HugetlbView, a: Args, choice: number, p: HugetlbParams): Outcome | undefined {
  const unchanged = (ret: Ret): Outcome | undefined => (choice === 0 ? { view: v0, ret } : undefined);
  const slot = num(a, 'v');
  const m0 = v0.vmas[slot];
  if (!m0 || m0.kind === 'none') return unchanged('EINVAL');
  const ranged = a.from !== undefined;
  const from = ranged ? num(a, 'from') : m0.from;
  const to = ranged ? num(a, 'to') : m0.to;
  if (to <= from || from < m0.from || to > m0.to) return unchanged('EINVAL');
  const mode = a.mode === 'minor' ? 'minor' : 'missing';
  if (m0.uffd === mode) return unchanged('ok');
  const splits = (from > m0.from ? 1 : 0) + (to < m0.to ? 1 : 0);
  const c = splits > 0 ? freeSlot(v0, a, 'c', [slot]) : -1;
  const d = splits > 1 ? freeSlot(v0, a, 'd', [slot, c]) : -1;
  if ((splits > 0 && (c < 0 || m0.peer !== -1)) || (splits > 1 && d < 0)) return unchanged('ENOMEM');
  const fresh = mode === 'minor' && !tracksPresence(m0, p); // presence is tracked from now on
  let present = piece(m0, from, to).pagecache;
  if (fresh) {
    const cache = at(v0.files, m0.src).cache;
    present = [];
    for (let i = 0; i < p.fileSize; i++)
      if (choice & (1 << i)) {
        if (i < from || i >= to || !has(cache, i)) return undefined;
        present.push(i);
      }
  } else if (choice !== 0) return undefined;
  const v = clone(v0);
  const ranges: [number, number][] = [[from, to]];
  if (from > m0.from) ranges.unshift([m0.from, from]);
  if (to < m0.to) ranges.push([to, m0.to]);
  const slots = [slot, c, d];
  ranges.forEach(([lo, hi], k) => {
    const m = piece(m0, lo, hi);
    v.vmas[at(slots, k)] = lo === from ? { ...m, uffd: mode, pagecache: present } : m;
  });
  return { view: finish(v), ret: 'ok' };
}
