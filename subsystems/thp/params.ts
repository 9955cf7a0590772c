/**
 * THP parameters: validation of user-provided params (scenario and script
 * files) and the shaping of default scenarios from --threads / --ops /
 * --file-size (subpages per THP). --pool does not apply.
 */
import type { ThpParams } from '../../impl/thp/page.js';

type P = ThpParams;

/** Subpages per THP in the default scenarios (HPAGE_PMD_NR scaled down). */
export const DEFAULT_NR = 4;

/** Default-scenario params: `mms` processes, the THP anon or file, initially unmapped, PMD-mapped in mm 0, or shared by PMD after fork. */
export const thpParams = (kind: P['kind'], initial: P['initial'], mms = 2): P => ({
  nr: DEFAULT_NR,
  mms,
  kind,
  initial,
});

/** Tracked THPs at most (params.thps): each adds a copy of the per-THP state (impl/thp-common/kthps.ts). */
export const MAX_THPS = 4;

const KINDS = ['anon', 'file'] as const;
const INITIALS = ['none', 'pmd', 'forked'] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('thp params must be an object {nr, mms, kind, initial, prior, thps}');
  const r = raw as Record<string, unknown>;
  const known = new Set(['nr', 'mms', 'kind', 'initial', 'prior', 'thps']);
  for (const k of Object.keys(r))
    if (!known.has(k))
      throw new Error(`thp params: unknown field '${k}' (expected nr, mms, kind, initial, prior, thps)`);
  const nr = r.nr ?? DEFAULT_NR;
  const mms = r.mms ?? 2;
  const kind = r.kind ?? 'anon';
  const initial = r.initial ?? 'pmd';
  if (typeof nr !== 'number' || !Number.isInteger(nr) || nr < 2 || nr > 16)
    throw new Error('thp params: nr must be an integer in [2, 16]');
  if (typeof mms !== 'number' || !Number.isInteger(mms) || mms < 1 || mms > 8)
    throw new Error('thp params: mms must be an integer in [1, 8]');
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind))
    throw new Error("thp params: kind must be 'anon' or 'file'");
  if (typeof initial !== 'string' || !(INITIALS as readonly string[]).includes(initial))
    throw new Error("thp params: initial must be 'none', 'pmd' or 'forked'");
  if (initial === 'forked' && mms < 2) throw new Error("thp params: initial 'forked' needs mms >= 2");
  const prior = r.prior ?? 0;
  if (prior !== 0 && prior !== 1)
    throw new Error('thp params: prior must be 0 or 1 (another THP queued for deferred split before this one)');
  const thps = r.thps ?? 1;
  if (typeof thps !== 'number' || !Number.isInteger(thps) || thps < 1 || thps > MAX_THPS)
    throw new Error(`thp params: thps must be an integer in [1, ${MAX_THPS}] (tracked THPs)`);
  if (thps > 1 && prior === 1)
    throw new Error('thp params: prior needs thps 1 (the prior THP is queued before the one tracked THP)');
  return {
    nr,
    mms,
    kind: kind as P['kind'],
    initial: initial as P['initial'],
    ...(prior === 1 ? { prior } : {}),
    ...(thps > 1 ? { thps } : {}),
  };
}
