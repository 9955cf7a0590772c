/**
 * cleancache scenario parameters: their defaults, validation of a scenario
 * file's "params" object, and the CLI reshaping knobs (--threads, --ops,
 * --pool = backend capacity in pages, --file-size = pages per file).
 */
import type { CleancacheParams } from '../../impl/cleancache/state.js';

type P = CleancacheParams;

/** The defaults every scenario starts from. */
export const base: P = {
  mode: 'api',
  nsb: 2,
  keys: 1,
  pages: 1,
  maxPools: 2,
  capacity: 1,
  registered: true,
  remote: false,
  files: 1,
  inodes: 1,
  fsUuid: 0,
  mounted: true,
};

const KEYS = [
  'mode',
  'nsb',
  'keys',
  'pages',
  'maxPools',
  'capacity',
  'registered',
  'remote',
  'files',
  'inodes',
  'fsUuid',
  'mounted',
] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('expected an object of cleancache parameters');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`unknown parameter '${k}' (known: ${KEYS.join(', ')})`);
  const mode = r.mode ?? base.mode;
  if (mode !== 'api' && mode !== 'fs') throw new Error(`mode: expected "api" or "fs", got ${JSON.stringify(mode)}`);
  const int = (k: (typeof KEYS)[number], lo: number, hi: number, dflt: number): number => {
    const v = r[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`${k}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (k: (typeof KEYS)[number], dflt: boolean): boolean => {
    const v = r[k] ?? dflt;
    if (typeof v !== 'boolean') throw new Error(`${k}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const p: P = {
    mode,
    nsb: int('nsb', 0, 4, mode === 'fs' ? 0 : base.nsb),
    keys: int('keys', 1, 4, base.keys),
    pages: int('pages', 1, 4, base.pages),
    maxPools: int('maxPools', 1, 4, base.maxPools),
    capacity: int('capacity', 1, 8, base.capacity),
    registered: bool('registered', base.registered),
    remote: bool('remote', base.remote),
    files: int('files', 0, 4, base.files),
    inodes: int('inodes', 1, 4, base.inodes),
    fsUuid: int('fsUuid', 0, 99, base.fsUuid),
    mounted: bool('mounted', base.mounted),
  };
  if (p.mode === 'api' && p.nsb < 1) throw new Error('nsb: api mode needs at least one superblock');
  if (p.inodes < p.files) throw new Error(`inodes: need at least one inode per file (${p.files})`);
  const handles = p.maxPools * Math.max(p.keys, p.inodes) * p.pages;
  if (handles > 31) throw new Error(`maxPools * max(keys, inodes) * pages = ${handles}: at most 31 backend handles`);
  if (p.nsb * p.keys * p.pages > 31)
    throw new Error(`nsb * keys * pages = ${p.nsb * p.keys * p.pages}: at most 31 API handles`);
  return p;
}
