/**
 * A store into a page-cache page through a get_user_pages() reference: the
 * writer of the race that mm/vmscan.c __remove_mapping() @ v5.10 describes
 * ("get_user_pages(&page); [user mapping goes away] write_to(page);
 * SetPageDirty(page); put_page(page)"), e.g. a MAP_SHARED mapping of the file
 * used as the buffer of an O_DIRECT read. The pin is a page reference taken
 * without the page lock; the data is stored and the page dirtied without it
 * too (set_page_dirty() from the dirty pte when the mapping goes away), so
 * only reclaim's reference freeze keeps the page in the page cache.
 */
import { done } from '../../checker/types.js';
import { arg, finishFileOp, lookupInode, pageOf, type Op } from './fs-common.js';

export const GUP_PRECONDITION =
  'a page pinned by get_user_pages is not truncated, punched or invalidated while the pin is held (not modelled: the store would go to a page no longer in the file)';

export const gupWrite: Op = {
  doc: 'store of version v into page idx of file f through a get_user_pages() reference (a MAP_SHARED mapping as an I/O buffer): pin the page-cache page, store, set_page_dirty, put_page; "nopage" when the page is not in the page cache (the fault that would read it in is not modelled), "sigbus" at or past EOF',
  locals: ['ino'],
  steps: [
    {
      // follow_page(): a reference on the uptodate page-cache page, no page lock
      name: 'get_user_pages',
      run(g, t) {
        const ino = lookupInode(g, t);
        if (typeof ino !== 'number') return ino;
        const index = arg(t, 'idx');
        if (index >= g.inodes[ino]!.isize) return done('sigbus');
        const page = pageOf(g, t, ino, index);
        if (!page.present || !page.uptodate) return done('nopage');
        page.readers++;
        g.inodes[ino]!.refs++; // the mapping pins the inode
        g.users++;
        t.l.ino = ino;
        return 'write_to';
      },
    },
    {
      name: 'write_to',
      run(g, t) {
        const page = pageOf(g, t, t.l.ino!, arg(t, 'idx'));
        t.assume(page.present, GUP_PRECONDITION);
        page.data = arg(t, 'v');
        return 'put_page';
      },
    },
    {
      // SetPageDirty() (the dirty pte when the user mapping goes away), then
      // put_page(): both without the page lock
      name: 'put_page',
      run(g, t) {
        const ino = t.l.ino!;
        const page = pageOf(g, t, ino, arg(t, 'idx'));
        page.dirty = true;
        page.readers--;
        g.inodes[ino]!.refs--;
        return finishFileOp(g, null);
      },
    },
  ],
};
