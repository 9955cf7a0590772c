/**
 * The abstraction function: implementation state (the kernel's variables) ->
 * spec view (what a user can observe). Reservation maps become index sets;
 * locks, in-flight pages and descriptor caches disappear.
 */
import { coveredSet } from '../../impl/hugetlb/regions.js';
import {
  type G,
  HPAGE_RESV_OWNER,
  HPAGE_RESV_UNMAPPED,
  KIND_NAMES,
  PIN_NONE,
  PRIVATE,
  SP_DETACHED,
  SP_MOUNTED,
  UFFD_MINOR,
  UFFD_NAMES,
  V_LIVE,
} from '../../impl/hugetlb/state.js';
import { isShared } from '../../impl/hugetlb/context.js';
import { EMPTY_VMA, type HugetlbView, type PinView, type UffdMode, type VmaKind } from '../../spec/hugetlb/model.js';
import { NO_PIN } from '../../spec/hugetlb/view.js';
import { cachedPage, orphanNid, orphanSpool, orphanTag } from '../../impl/hugetlb/pin.js';
import { F_SEAL_SHRINK } from '../../impl/hugetlb/udmabuf.js';
import type { HugetlbParams } from '../../spec/hugetlb/params.js';

/** The kernel's sparse page data (idx * 16 + token, or + nid) as the spec's [index, token] pairs, for present pages. */
function pairs(dat: readonly number[], present: readonly number[]): [number, number][] {
  return dat.filter((x) => present.includes(x >> 4)).map((x) => [x >> 4, x & 15] as [number, number]);
}

/** A g.pin entry as the user sees it: which page, or a page only the pin holds and the mount it counts against. */
function pinView(g: Readonly<G>, x: number): PinView {
  if (x === PIN_NONE) return NO_PIN;
  if (x > 0) {
    const [file, idx] = cachedPage(x);
    return { state: 'cached', file, idx, mount: -1, nid: 0 };
  }
  const s = orphanSpool(x);
  const mount = s >= 0 && g.spool[s]?.st === SP_MOUNTED ? s : -1;
  return { state: 'orphan', file: -1, idx: orphanTag(x), mount, nid: orphanNid(x) };
}

export function abstraction(g: Readonly<G>, p: HugetlbParams): HugetlbView {
  return {
    total: g.nr,
    free: g.free,
    rsvd: g.resv,
    surp: g.surp,
    overcommit: g.over,
    // a subpool that outlived its mount (SP_DETACHED, or replaced by a new mount: lost) still holds what it holds
    spools: g.spool.map((s) =>
      s.st === SP_MOUNTED
        ? { mounted: true, max: s.max, min: s.min, reserve: s.rsv + s.lost }
        : { mounted: false, max: -1, min: -1, reserve: (s.st === SP_DETACHED ? s.rsv : 0) + s.lost },
    ),
    files: g.file.map((f, k) => ({
      mount: p.fileMount[k]!,
      size: f.size,
      resv: coveredSet(f.reg),
      cache: f.pc.slice(),
      data: pairs(f.dat, f.pc),
      open: f.fd === 1,
      linked: f.nlink === 1,
      evicted: f.evicted === 1,
      sealed: (f.seals & F_SEAL_SHRINK) !== 0,
      nodes: pairs(f.pn, f.pc), // page_to_nid of cached pages off node 0
    })),
    vmas: g.vma.map((v) => {
      if (v.st !== V_LIVE) return { ...EMPTY_VMA, resv: [], anon: [], cow: [], pagecache: [], data: [], nodes: [] };
      const owner = v.kind === PRIVATE && (v.flags & HPAGE_RESV_OWNER) !== 0;
      const resv: number[] = [];
      if (owner) {
        const consumed = coveredSet(v.reg);
        for (let i = v.from; i < v.to; i++) if (!consumed.includes(i)) resv.push(i);
      }
      return {
        kind: KIND_NAMES[v.kind] as VmaKind,
        src: v.src,
        file: v.pf > 0 ? v.pf - 1 : -1,
        from: v.from,
        to: v.to,
        owner,
        unmapped: (v.flags & HPAGE_RESV_UNMAPPED) !== 0,
        resv,
        anon: v.anon.slice(),
        cow: v.cow.slice(),
        // under PMD sharing a shareable mapping's present pages are not observable (spec/hugetlb/ops-pmd-share.ts)
        pagecache: p.pud && isShared(v.kind) && v.uffd !== UFFD_MINOR ? [] : v.pcm.slice(),
        data: pairs(v.dat, v.anon),
        peer: v.peer,
        uffd: UFFD_NAMES[v.uffd] as UffdMode,
        ro: v.ro === 1,
        nodes: pairs(v.an, v.anon), // page_to_nid of private pages off node 0
      };
    }),
    removing: [], // a truncate/punch in progress is visible only inside the call
    pins: g.pin.map((x) => pinView(g, x)),
    nodes: g.nd.map((n) => n.nr - n.surp), // nodes/node<nid>/.../nr_hugepages - surplus_hugepages
    nodeSurp: g.nd.map((n) => n.surp), // nodes/node<nid>/.../surplus_hugepages
    resizing: [], // a node's nr_hugepages write in flight is visible only inside the call
    offlining: [], // a memory offline in flight is visible only inside the call
    windows: [], // a call's kernel window is visible only while it is in flight
  };
}
