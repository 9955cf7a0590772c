/**
 * Which implementation, at which kernel version, a booted kernel is compared
 * with (`conform`, `reproduce`). A subsystem may have several implementations
 * (Subsystem.impls: thp's compound-page design and its folio successor), each
 * modelling some kernel versions (Subsystem.kernelVersions). The kernel's
 * release (Debian package version, or the bzImage header, which is what
 * `uname -r` prints) picks one:
 *
 * - a modelled version of the same series (6.1.192 -> 6.1); when several
 *   implementations model it, the most recent design (the one whose oldest
 *   modelled version is newest: thp 6.12 is folio, not compound);
 * - otherwise, newer than every numbered version: `mainline` when modelled,
 *   else the newest numbered version;
 * - otherwise the newest numbered version below the release (5.15 -> 5.13),
 *   or the oldest one when the release is older than all.
 *
 * `--impl` and `--kernel-version` override either half.
 */
import { allImpls } from '../checker/impls.js';
import type { Subsystem } from '../checker/types.js';

export interface ModelChoice {
  /** The implementation's name (Subsystem.implName); undefined for a subsystem with one implementation. */
  readonly impl?: string;
  /** A key of that implementation's kernelVersions; undefined when it models none. */
  readonly version?: string;
  /** How the choice was made, for the report (e.g. "6.1.192 is 6.1"). */
  readonly how: string;
}

export class ModelChoiceError extends Error {}

/** Major.minor of a release or version name as one comparable number; undefined for 'mainline', 'model'. */
export function seriesOf(s: string): number | undefined {
  const m = s.match(/^(\d+)\.(\d+)/);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : undefined;
}

interface Candidate {
  readonly impl?: string;
  readonly version: string;
  readonly series?: number;
  /** The implementation's oldest numbered version (tie-break: the most recent design wins). */
  readonly era: number;
}

function candidates(sub: Subsystem): Candidate[] {
  const subs = sub.impls && sub.impls.length > 0 ? allImpls(sub) : [sub];
  return subs.flatMap((s) => {
    const vs = s.kernelVersions?.versions ?? [];
    const nums = vs.map((v) => seriesOf(v.name)).filter((n): n is number => n !== undefined);
    const era = nums.length ? Math.min(...nums) : -1;
    return vs.map((v) => ({
      ...(s.implName !== undefined ? { impl: s.implName } : {}),
      version: v.name,
      ...(seriesOf(v.name) !== undefined ? { series: seriesOf(v.name)! } : {}),
      era,
    }));
  });
}

const best = (cs: readonly Candidate[]): Candidate => cs.reduce((a, b) => (b.era > a.era ? b : a));
const label = (c: Candidate): string => `${c.impl ? `${c.impl} ` : ''}${c.version}`;

/** The implementation and version to compare a kernel of `release` with. */
export function chooseModel(
  sub: Subsystem,
  release: string,
  force: { readonly impl?: string; readonly version?: string } = {},
): ModelChoice {
  let cs = candidates(sub);
  if (cs.length === 0) {
    if (force.version !== undefined)
      throw new ModelChoiceError(`--kernel-version ${force.version}: ${sub.name} models no kernel versions`);
    return {
      ...(sub.implName !== undefined ? { impl: force.impl ?? sub.implName } : {}),
      how: 'no kernel versions modelled',
    };
  }
  if (force.impl !== undefined) {
    const known = [...new Set(cs.map((c) => c.impl ?? ''))];
    cs = cs.filter((c) => c.impl === force.impl);
    if (cs.length === 0)
      throw new ModelChoiceError(
        `--impl ${force.impl}: ${sub.name} has ${known.filter(Boolean).join(', ') || 'one implementation'}`,
      );
  }
  if (force.version !== undefined) {
    const known = [...new Set(cs.map((c) => c.version))];
    cs = cs.filter((c) => c.version === force.version);
    if (cs.length === 0)
      throw new ModelChoiceError(
        `--kernel-version ${force.version}: ${sub.name}${force.impl ? ` [impl ${force.impl}]` : ''} models ${known.join(', ')}`,
      );
    return { ...best(cs), how: `forced by ${force.impl ? '--impl and ' : ''}--kernel-version` };
  }
  const forced = force.impl ? ' (--impl forced)' : '';
  const r = seriesOf(release);
  const numbered = cs.filter((c) => c.series !== undefined);
  if (r === undefined || numbered.length === 0) {
    const def = cs.find((c) => c.version === sub.kernelVersions?.default) ?? cs[0]!;
    return { ...def, how: `release '${release}' names no modelled series: the default${forced}` };
  }
  const exact = numbered.filter((c) => c.series === r);
  if (exact.length > 0) return { ...best(exact), how: `${release} is ${exact[0]!.version}${forced}` };
  const top = Math.max(...numbered.map((c) => c.series!));
  const mainline = cs.filter((c) => c.version === 'mainline');
  if (r > top && mainline.length > 0)
    return { ...best(mainline), how: `${release} is newer than every numbered model: mainline${forced}` };
  const below = numbered.filter((c) => c.series! <= r);
  const pool = below.length > 0 ? below : numbered;
  const pick = below.length > 0 ? Math.max(...pool.map((c) => c.series!)) : Math.min(...pool.map((c) => c.series!));
  const c = best(pool.filter((x) => x.series === pick));
  return { ...c, how: `nearest modelled version to ${release}: ${label(c)} (no model of its own series)${forced}` };
}

/** `compound 6.1` or `6.12`: the implementation and version, as reports print them. */
export function modelLabel(m: { readonly impl?: string; readonly version?: string }): string {
  return (
    [m.impl ? `impl ${m.impl}` : '', m.version ? `kernel-version ${m.version}` : ''].filter(Boolean).join(', ') ||
    'the default'
  );
}
