/** The newc archive the kernel unpacks: layout, padding, and (when cpio is installed) a real reader's view. */
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { packInitramfs } from '../../kernel/initramfs.js';
import { hasTool } from '../../kernel/tools.js';

describe('packInitramfs', () => {
  const init = Buffer.from('#!fake binary\n');
  const a = packInitramfs(init);

  test('newc headers, 4-byte alignment, a trailer, 512-byte total, deterministic', () => {
    expect(a.toString('latin1', 0, 6)).toBe('070701');
    expect(a.length % 512).toBe(0);
    expect(a.toString('latin1')).toContain('TRAILER!!!');
    expect(packInitramfs(init).equals(a)).toBe(true);
    const at = a.indexOf('init\0');
    const hdr = a.toString('latin1', at - 110, at);
    expect(hdr.slice(0, 6)).toBe('070701');
    expect(parseInt(hdr.slice(14, 22), 16)).toBe(0o100755); // mode
    expect(parseInt(hdr.slice(54, 62), 16)).toBe(init.length); // filesize
    const dataAt = Math.ceil((at + 5) / 4) * 4;
    expect(a.subarray(dataAt, dataAt + init.length).equals(init)).toBe(true);
  });

  test.skipIf(!hasTool('cpio'))('cpio lists what the kernel will see', () => {
    const out = execFileSync('cpio', ['-t', '--quiet'], { input: a }).toString().split('\n').filter(Boolean);
    expect(out).toEqual(['dev', 'proc', 'sys', 'mnt', 'tmp', 'init']);
  });
});
