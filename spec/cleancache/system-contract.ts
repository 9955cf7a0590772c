/**
 * The system contract (Documentation/vm/cleancache.rst @ v5.10,
 * "Motivation"): file operations on one filesystem; every read returns the
 * latest data written, whatever the page cache and cleancache did meanwhile.
 * A file is its list of page versions, as long as its size: a read at or past
 * EOF returns no data ('eof'), a write past EOF extends the file (the hole
 * reads zeros), truncate cuts or extends it (zeros), a new file is empty.
 */
import { num, reject, type Ctx, type Ev } from './context.js';

export const FS_OPS = new Set([
  'read',
  'write',
  'dio_write',
  'gup_write',
  'truncate',
  'punch',
  'unlink',
  'writeback',
  'evict',
  'create',
  'fs_mount',
  'fs_umount',
]);

/** The file cut to, or extended with zeros to, `size` pages. */
const resize = (file: readonly number[], size: number) =>
  Array.from({ length: size }, (_, i) => (i < file.length ? file[i]! : 0));

/** The system contract: file operations on one filesystem. */
export function applyFs(c: Ctx, e: Ev, okOnly: boolean): Partial<Ctx> {
  switch (e.type) {
    case 'read':
    case 'write':
    case 'dio_write':
    case 'truncate':
    case 'punch':
    case 'unlink':
    case 'gup_write': {
      if (!c.mounted) return { ret: 'unmounted' };
      const f = num(e.f);
      const file = c.files[f];
      if (!file) return { ret: 'enoent' };
      const files = c.files.slice();
      const idx = num(e.idx);
      if (e.type === 'read') return { ret: idx < file.length ? file[idx]! : 'eof' };
      if (e.type === 'gup_write') {
        // a store into the mapped page: SIGBUS past EOF; "nopage" when the
        // page was not in the page cache, which this layer does not see
        if (idx >= file.length) return { ret: 'sigbus' };
        if (!okOnly) return { ret: 'nopage' };
        const nf = file.slice();
        nf[idx] = num(e.v);
        files[f] = nf;
        return { files, ret: null };
      }
      if (e.type === 'write' || e.type === 'dio_write') {
        const nf = resize(file, Math.max(file.length, idx + 1));
        nf[idx] = num(e.v);
        files[f] = nf;
      } else if (e.type === 'truncate') files[f] = resize(file, num(e.size));
      else if (e.type === 'punch') {
        const nf = file.slice();
        if (idx < nf.length) nf[idx] = 0; // a hole reads zeros; the size stays
        files[f] = nf;
      } else files[f] = null;
      return { files, ret: null };
    }
    case 'writeback':
    case 'evict':
      return { ret: null }; // invisible: the data does not change
    case 'create': {
      if (!c.mounted) return okOnly ? { ret: 'unmounted' } : reject;
      const f = num(e.f);
      if (c.files[f]) return okOnly ? { ret: 'eexist' } : reject;
      if (!okOnly) return { ret: 'enospc' };
      const files = c.files.slice();
      files[f] = [];
      return { files, ret: null };
    }
    case 'fs_mount':
      if (c.mounted) return { ret: 'ebusy' };
      return { mounted: true, ret: null };
    case 'fs_umount':
      if (!c.mounted) return okOnly ? { ret: 'unmounted' } : reject;
      if (!okOnly) return { ret: 'ebusy' }; // file operations in flight
      return { mounted: false, ret: null };
  }
  return reject;
}
