/**
 * Removal of pages from the page cache, the place where the page cache hands
 * clean pages to cleancache: __delete_from_page_cache() (mm/filemap.c) puts
 * every uptodate page ("if we're uptodate, flush out into the cleancache,
 * otherwise invalidate any existing cleancache entries") and
 * truncate_inode_pages_range() (mm/truncate.c @ v5.10) ends, at its `out:`
 * label, with cleancache_invalidate_inode(), reached even when the mapping
 * has no pages.
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
    // unaccount_page_cache_page() @ v5.10: PageUptodate && PageMappedToDisk
    if (page.uptodate && page.mapped) cleancachePutPage(g, t.params, t, pool, ino, i, page.data);
    else cleancacheInvalidatePage(g, t.params, pool, ino, i);
    page.present = false;
    page.data = 0;
    page.uptodate = false;
    page.mapped = false;
    page.dirty = false;
  }
}

/**
 * truncate_inode_pages_range() / invalidate_inode_pages2_range() over pages
 * [from, to] of the inode: remove them, then cleancache_invalidate_inode()
 * for the whole file (the `out:` label @ v5.10).
 */
export function truncateInodePages(g: G, t: T, ino: number, from = 0, to = t.params.pages - 1): void {
  deleteFromPageCache(g, t, ino, from, to);
  cleancacheInvalidateInode(g, t.params, fsSuperBlock(t), ino);
}
