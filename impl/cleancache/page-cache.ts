/**
 * Removal of pages from the page cache, the place where the page cache hands
 * clean pages to cleancache: __delete_from_page_cache() (mm/filemap.c) puts
 * every uptodate page ("if we're uptodate, flush out into the cleancache,
 * otherwise invalidate any existing cleancache entries") and
 * truncate_inode_pages_range() (mm/truncate.c) brackets the removal with
 * cleancache_invalidate_inode().
 */
import { cleancacheInvalidateInode, cleancacheInvalidatePage, cleancachePutPage, hookPool } from './frontend.js';
import { fsSuperBlock, pageOf, type G, type T } from './fs-common.js';

/**
 * Remove every page of the inode in [from, to] from the page cache the way
 * truncate_inode_pages_range() / invalidate_inode_pages2_range() and reclaim
 * do: each uptodate page goes through __delete_from_page_cache(), which puts
 * it into cleancache; a !uptodate one is invalidated there.
 */
export function deleteFromPageCache(g: G, t: T, ino: number, from: number, to: number): void {
  const pool = hookPool(g, fsSuperBlock(t));
  for (let i = from; i <= to; i++) {
    const page = pageOf(g, t, ino, i);
    if (!page.present) continue;
    if (page.uptodate) cleancachePutPage(g, t.params, t, pool, ino, i, page.data);
    else cleancacheInvalidatePage(g, t.params, pool, ino, i);
    page.present = false;
    page.data = 0;
    page.uptodate = false;
    page.dirty = false;
  }
}

/**
 * truncate_inode_pages_range() over the whole file: cleancache_invalidate_inode()
 * before and after removing the pages. `skipInvalidate` is the caller that
 * never reaches the invalidation (see the variants).
 */
export function truncateInodePages(g: G, t: T, ino: number, skipInvalidate: boolean): void {
  if (!skipInvalidate) cleancacheInvalidateInode(g, t.params, fsSuperBlock(t), ino);
  deleteFromPageCache(g, t, ino, 0, t.params.pages - 1);
  if (!skipInvalidate) cleancacheInvalidateInode(g, t.params, fsSuperBlock(t), ino);
}
