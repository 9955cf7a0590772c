/**
 * Long-term pins: io_uring fixed-buffer pins of one page of a live MAP_SHARED
 * mapping (pin), udmabufs of one reserved page of a hugetlb memfd (udmabuf),
 * and their release (unpin). Each resolves only where it means something (a
 * mapping of a mount without min_size=, a reserved memfd index, a held pin),
 * and is weighted so that a pin, its release and a udmabuf appear in a fair
 * share of the scripts: they need a live shared mapping first, which most
 * draws would not find.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import type { Args } from '../../../../checker/types.js';
import { freeSlots, type HugetlbGenModel, liveSlots, type P, pick, range } from './model.js';

const RINGS = 2; // spec/hugetlb/params.ts PIN_SLOTS

/** A free pin slot from a raw natural (the lowest one when all are busy: EBUSY on both sides). */
function slot(m: Readonly<HugetlbGenModel>, raw: unknown): number {
  const free = m.pinned.flatMap((b, k) => (b ? [] : [k]));
  return pick(free, raw) ?? Number(raw) % RINGS;
}

/** A MAP_SHARED mmap of a file (among `files`) into a free slot, from raw naturals; undefined when none fits. */
function sharedMmap(
  m: Readonly<HugetlbGenModel>,
  p: P,
  files: number[],
  a: unknown,
  b: unknown,
): { op: string; args: Args } | undefined {
  const v = pick(freeSlots(m), b);
  const f = pick(files, a);
  return v === undefined || f === undefined
    ? undefined
    : { op: 'mmap', args: { v, kind: 'shared', f, ...range(p.fileSize, a, b) } };
}

/** Files a pin may pin a page of: on a mounted mount without min_size=. */
const pinnable = (m: Readonly<HugetlbGenModel>, p: P): number[] =>
  p.fileMount.flatMap((mt, f) => (p.mounts[mt]?.min === -1 && m.mounted[mt] ? [f] : []));

/** memfds of the internal mount. */
const memfds = (p: P): number[] => p.fileMount.flatMap((mt, f) => (p.mounts[mt]?.internal ? [f] : []));

export const pin: OpGen<P, HugetlbGenModel> = {
  op: 'pin',
  weight: 3,
  draw: () => fc.record({ k: fc.nat(), v: fc.nat(), i: fc.nat() }),
  resolve(m, raw, p) {
    if (m.offlined) return undefined; // a script with memory offline runs on movable memory (model.ts offlined)
    // MAP_SHARED mappings of a mount without min_size= (a private one or a min_size mount's is
    // EINVAL on both sides, a bound of the op language)
    const v = pick(
      liveSlots(m).filter((s) => {
        const x = m.vmas[s]!;
        return (x.kind === 'shared' || x.kind === 'noreserve') && p.mounts[p.fileMount[x.f] ?? -1]?.min === -1;
      }),
      raw.v,
    );
    if (v === undefined) return undefined;
    const vma = m.vmas[v]!;
    return { k: slot(m, raw.k), v, i: vma.from + (Number(raw.i) % (vma.to - vma.from)) };
  },
  // no such mapping yet: map one first (a memfd's only after its memfd_create)
  setup(m, raw, p) {
    if (m.offlined) return undefined;
    const s = sharedMmap(
      m,
      p,
      pinnable(m, p).filter((f) => m.memfd[f] || !p.mounts[p.fileMount[f]!]?.internal),
      raw.v,
      raw.i,
    );
    return s && [s];
  },
  apply(m, a) {
    m.pinned[Number(a.k)] = true;
    m.longterm = true;
  },
};

export const udmabuf: OpGen<P, HugetlbGenModel> = {
  op: 'udmabuf',
  weight: 4,
  needs: { config: 'CONFIG_UDMABUF', device: '/dev/udmabuf' },
  draw: () => fc.record({ k: fc.nat(), at: fc.nat() }),
  resolve(m, raw, p) {
    if (m.offlined) return undefined;
    // a reserved index of a memfd (the spec promises nothing for one without a reservation or page)
    const at = m.reserved.flatMap((r, f) => (p.mounts[p.fileMount[f] ?? -1]?.internal ? r.map((i) => ({ f, i })) : []));
    const x = pick(at, raw.at);
    return x && { k: slot(m, raw.k), f: x.f, i: x.i };
  },
  // no reserved memfd index yet: create the memfd (unless generated before) and map it MAP_SHARED
  setup(m, raw, p) {
    if (m.offlined) return undefined;
    const s = sharedMmap(m, p, memfds(p), raw.at, raw.k);
    if (!s) return undefined;
    const f = Number(s.args.f);
    return m.memfd[f] ? [s] : [{ op: 'memfd_create', args: { f } }, s];
  },
  apply(m, a) {
    m.pinned[Number(a.k)] = true;
    m.longterm = true;
  },
};

export const unpin: OpGen<P, HugetlbGenModel> = {
  op: 'unpin',
  weight: 5, // dropped unless a pin is held
  draw: () => fc.record({ k: fc.nat() }),
  resolve(m, raw) {
    const k = pick(
      m.pinned.flatMap((b, j) => (b ? [j] : [])),
      raw.k,
    );
    return k === undefined ? undefined : { k };
  },
  apply(m, a) {
    m.pinned[Number(a.k)] = false;
  },
};
