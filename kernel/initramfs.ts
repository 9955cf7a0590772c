/**
 * A minimal initramfs: the newc cpio format the kernel unpacks
 * (Documentation/driver-api/early-userspace/buffer-format.rst), holding the
 * static probe as /init plus the directories it mounts on. Written here so
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

/** newc archive of `/init` (the probe) and the mount points it uses. */
export function packInitramfs(init: Buffer): Buffer {
  const dirs = ['dev', 'proc', 'sys', 'mnt', 'tmp'];
  const entries: Entry[] = [
    ...dirs.map((d) => ({ name: d, mode: 0o040755, data: Buffer.alloc(0) })),
    { name: 'init', mode: 0o100755, data: init },
    { name: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0) },
  ];
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    parts.push(header(e, i + 1), e.data, pad4(e.data.length));
  });
  const out = Buffer.concat(parts);
  return Buffer.concat([out, Buffer.alloc(Math.ceil(out.length / 512) * 512 - out.length)]);
}
