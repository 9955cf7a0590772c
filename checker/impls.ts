/**
 * Subsystems with several implementations of one spec (Subsystem.impls, e.g.
 * thp's v4.5 - v6.1 compound-page design and its folio-era successor).
 * `selectImpl` returns the subsystem as seen with one implementation, so every
 * command (check, simulate, run, replay, reproduce) runs it unchanged; the
 * spec, op schemas, scenarios, knobs and params are shared by all of them.
 */
import type { Subsystem } from './types.js';

export class ImplError extends Error {}

/** Names of a subsystem's implementations, the main one first; [] when it has only one. */
export function implNames(sub: Subsystem): string[] {
  if (!sub.impls || sub.impls.length === 0) return [];
  return [sub.implName ?? 'main', ...sub.impls.map((i) => i.name)];
}

/**
 * The subsystem with implementation `name`. Undefined, or the name of the
 * implementation `sub` already has, returns `sub` itself. Unknown names throw
 * ImplError naming the known ones.
 */
export function selectImpl(sub: Subsystem, name: string | undefined): Subsystem {
  if (name === undefined || name === sub.implName) return sub;
  const alt = sub.impls?.find((i) => i.name === name);
  if (!alt) {
    const known = implNames(sub);
    throw new ImplError(
      known.length > 0
        ? `${sub.name} has no implementation '${name}' (known: ${known.join(', ')})`
        : `${sub.name} has a single implementation: --impl does not apply`,
    );
  }
  const { impls: _impls, findings: _findings, observer: _observer, kernelVersions: _kv, ...shared } = sub;
  return {
    ...shared,
    implName: alt.name,
    impl: alt.impl,
    abstraction: alt.abstraction,
    invariants: alt.invariants,
    variants: alt.variants,
    ...(alt.findings ? { findings: alt.findings } : {}),
    ...(alt.observer ? { observer: alt.observer } : {}),
    ...(alt.kernelVersions ? { kernelVersions: alt.kernelVersions } : {}),
  };
}

/** The subsystem once per implementation: the main one first, then each of `impls`. */
export function allImpls(sub: Subsystem): Subsystem[] {
  return [sub, ...(sub.impls ?? []).map((i) => selectImpl(sub, i.name))];
}

/** The name of a selected alternative implementation (not the main one), for labels; undefined otherwise. */
export function alternativeImpl(sub: Subsystem): string | undefined {
  return sub.impls === undefined ? sub.implName : undefined;
}

/** `thp` or `thp [impl folio]`: how results and traces name a run's subsystem. */
export function subsystemLabel(subsystem: string, impl: string | undefined): string {
  return impl ? `${subsystem} [impl ${impl}]` : subsystem;
}
