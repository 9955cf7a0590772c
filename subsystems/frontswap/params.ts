/**
 * frontswap scenario parameters: defaults, validation of a scenario file's
 * "params" object, and the CLI reshaping knobs (--threads, --ops, --pool =
 * backend capacity, --file-size = slots per swap device).
 */
import type { FrontswapParams } from '../../impl/frontswap/state.js';

type P = FrontswapParams;

/** The defaults every scenario starts from. */
export const base: P = {
  types: 1,
  slots: 1,
  capacity: 2,
  swapon: true,
  writethrough: false,
  backends: 1,
  registered: 1,
  synchronous: false,
};
const KEYS = ['types', 'slots', 'capacity', 'swapon', 'writethrough', 'backends', 'registered', 'synchronous'] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('expected an object of frontswap parameters');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`unknown parameter '${k}' (known: ${KEYS.join(', ')})`);
  const int = (k: 'types' | 'slots' | 'capacity' | 'backends' | 'registered', lo: number, hi: number): number => {
    const v = r[k] ?? base[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`${k}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (k: 'swapon' | 'writethrough' | 'synchronous'): boolean => {
    const v = r[k] ?? base[k];
    if (typeof v !== 'boolean') throw new Error(`${k}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const backends = int('backends', 1, 2);
  const registered = int('registered', 0, backends);
  return {
    types: int('types', 1, 4),
    slots: int('slots', 1, 8),
    capacity: int('capacity', 1, 16),
    swapon: bool('swapon'),
    writethrough: bool('writethrough'),
    backends,
    registered,
    synchronous: bool('synchronous'),
  };
}
