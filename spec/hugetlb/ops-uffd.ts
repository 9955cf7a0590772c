/**
 * UFFDIO_COPY of one huge page into index i of a mapping. What a user may
 * rely on (Documentation/admin-guide/mm/userfaultfd.rst @ v6.12, "Resolving
 * Userfaults"; mm/userfaultfd.c mfill_atomic_hugetlb() @ v6.12):
 *
 *  - ENOENT when nothing is mapped there (or the mapping went away before the
 *    copy completed);
 *  - EEXIST, nothing changed, when the index already has a page (shared: in
 *    the file's page cache; private: a private page of the mapping):
 *    UFFDIO_COPY never replaces a page, so a fault that won the race keeps
 *    its page;
 *  - EFAULT, nothing changed, when the source cannot be read, or (shared)
 *    when the index is beyond i_size;
 *  - otherwise a page is allocated as a fault's would be (a reserved index
 *    always gets one, an unreserved one may be refused: ENOMEM) and from then
 *    on the file's page cache (shared) or the mapping (private) holds it;
 *  - a source that is not resident is copied through a temporary page taken
 *    without a reservation, which comes from buddy when no free page is
 *    unreserved; buddy may fail: ENOMEM, nothing changed, even for a
 *    reserved index.
 *
 * No reservation is lost or gained on any of these paths (the refinement
 * check at every quiescent state compares the counters and reserve maps).
 */
import { INJ, type Plan } from './choices.js';
import { allocPage, done } from './ops-fault.js';
import { add, at, clone, del, has, isSharedKind, newLedger, outstanding, pageFreed, withToken } from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, type HugetlbView, type Outcome, type Ret, TOKEN, num } from './view.js';

export function uffdCopy(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const src = a.src === 'unpopulated' || a.src === 'bad' ? a.src : 'resident';
  const m0 = v0.vmas[slot];
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.inj && !plan.reserveOffset;
  const unchanged = (ret: Ret): Outcome | undefined => (plain ? { view: v0, ret } : undefined);
  if (!m0 || m0.kind === 'none' || i < m0.from || i >= m0.to) return unchanged('ENOENT');
  // a present pte: the file's page, a private page, or a private mapping's read-only view of the file's page
  if (isSharedKind(m0.kind) ? has(at(v0.files, m0.src).cache, i) : has(m0.anon, i) || has(m0.pagecache, i))
    return unchanged('EEXIST');
  const hasMap = isSharedKind(m0.kind) || (m0.kind === 'private' && m0.owner);
  if (plan.inj === INJ.early)
    // the reserve map could not allocate a descriptor (vma_needs_reservation)
    return !hasMap || plan.buddyFail || plan.numaMiss || plan.reserveOffset ? undefined : { view: v0, ret: 'ENOMEM' };
  // the injected outcomes of restore_reserve_on_error apply where it ends the copy (below); on
  // the retry path of a non-resident source they are not modelled
  if (plan.inj && src !== 'resident') return undefined;
  // the temporary page of a non-resident source could not be had from buddy
  if (src !== 'resident' && plan.buddyFail)
    return plan.numaMiss || plan.reserveOffset || plan.surplusFirst ? undefined : { view: v0, ret: 'ENOMEM' };
  const v = clone(v0);
  const c = { v0, v, ledger: newLedger(v), plan, resv0: outstanding(v0), pol: p, slot, write: true };
  const m = at(v.vmas, slot);
  const beyondEof = isSharedKind(m.kind) && i >= at(v.files, m.src).size;
  const hadEntry = isSharedKind(m.kind) && has(at(v.files, m.src).resv, i);
  const r = allocPage(v, c.ledger, m, i, false, plan, c.resv0, c.pol);
  if (!r) return undefined;
  if (!r.ok) return plan.inj ? undefined : done(c, 'ENOMEM');
  if (plan.inj) {
    // beyond EOF the page goes back through restore_reserve_on_error, whose own reserve-map
    // update may fail: the file's entries end as before ("keep") or keep the new entry ("gain"),
    // as for a fault whose page cache insertion failed (ops-fault.ts)
    if (!beyondEof || src === 'bad') return undefined;
    if (plan.inj === INJ.gain && !hadEntry) at(v.files, m.src).resv = add(at(v.files, m.src).resv, i);
    else if (plan.inj !== INJ.keep || (!hadEntry && r.restore)) return undefined;
    pageFreed(v, r.nid);
    return done(c, 'EFAULT');
  }
  if (src === 'bad' || beyondEof) {
    pageFreed(v, r.nid); // the page is given back with its reservation
    return done(c, 'EFAULT');
  }
  if (isSharedKind(m.kind)) {
    const f = at(v.files, m.src);
    f.resv = add(f.resv, i);
    f.cache = add(f.cache, i);
    f.nodes = withToken(f.nodes, i, r.nid);
    m.pagecache = add(m.pagecache, i);
    f.data = withToken(f.data, i, TOKEN.file); // the copied data
  } else {
    if (m.kind === 'private' && m.owner) m.resv = del(m.resv, i); // the promise is kept
    m.anon = add(m.anon, i);
    m.nodes = withToken(m.nodes, i, r.nid);
    m.data = withToken(m.data, i, TOKEN.privateBase + slot); // the copied data, this mapping's own
  }
  return done(c, 'ok');
}

/**
 * UFFDIO_CONTINUE of index i: maps the page the file's page cache already
 * holds into this mapping (the answer to a minor fault), for a MAP_PRIVATE
 * mapping of the file as for a shared one (there read-only: a write still
 * copies it). EFAULT, nothing changed, when there is no such page (a private
 * mapping of a file of its own never has one); EEXIST, nothing changed, when
 * this mapping maps a page at i already (the file's, or its own private
 * copy); no reservation and no page count changes on any path.
 */
export function uffdContinue(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj || plan.reserveOffset || plan.surplusFirst) return undefined;
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const m0 = v0.vmas[slot];
  if (!m0 || m0.kind === 'none' || i < m0.from || i >= m0.to) return { view: v0, ret: 'ENOENT' };
  const file = isSharedKind(m0.kind) ? m0.src : m0.file;
  if (file < 0 || !has(at(v0.files, file).cache, i)) return { view: v0, ret: 'EFAULT' };
  if (has(m0.pagecache, i) || has(m0.anon, i)) return { view: v0, ret: 'EEXIST' };
  const v = clone(v0);
  const m = at(v.vmas, slot);
  m.pagecache = add(m.pagecache, i);
  return { view: v, ret: 'ok' };
}
