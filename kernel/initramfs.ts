/**
 * A minimal initramfs: the newc cpio format the kernel unpacks
 * (Documentation/driver-api/early-userspace/buffer-format.rst), holding the
 * static probe as /init plus the directories it mounts on (and the kernel
 * modules a batch needs, kernel/modules.ts). Written here so
 * the runner needs no cpio binary and the archive is byte-for-byte
 * deterministic (mtime 0).
 */
interface Entry {
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function header(e: Entry, ino: number): Buffer {
  const name = Buffer.from(`${e.name}\0`);
  const fields = [
    '070701',
    hex8(ino),
    hex8(e.mode),
    hex8(0), // uid
    hex8(0), // gid
    hex8(1), // nlink
    hex8(0), // mtime
    hex8(e.data.length),
    hex8(0), // devmajor
    hex8(0), // devminor
    hex8(0), // rdevmajor
    hex8(0), // rdevminor
    hex8(name.length),
    hex8(0), // check
  ].join('');
  const h = Buffer.concat([Buffer.from(fields), name]);
  return Buffer.concat([h, pad4(h.length)]);
}

/** A file placed at the initramfs root beside /init (a kernel module the probe loads: kernel/modules.ts). */
export interface ExtraFile {
  readonly name: string;
  readonly data: Buffer;
}

/** newc archive of `/init` (the probe), the mount points it uses and any extra files (mode 0644, at the root). */
export function packInitramfs(init: Buffer, extra: readonly ExtraFile[] = []): Buffer {
  const dirs = ['dev', 'proc', 'sys', 'mnt', 'tmp'];
  for (const f of extra)
    if (!/^[A-Za-z0-9._-]+$/.test(f.name) || f.name === 'init' || dirs.includes(f.name))
      throw new Error(`packInitramfs: bad extra file name '${f.name}'`);
  const entries: Entry[] = [
    ...dirs.map((d) => ({ name: d, mode: 0o040755, data: Buffer.alloc(0) })),
    { name: 'init', mode: 0o100755, data: init },
    ...extra.map((f) => ({ name: f.name, mode: 0o100644, data: f.data })),
    { name: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0) },
  ];
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    parts.push(header(e, i + 1), e.data, pad4(e.data.length));
  });
  const out = Buffer.concat(parts);
  return Buffer.concat([out, Buffer.alloc(Math.ceil(out.length / 512) * 512 - out.length)]);
}
