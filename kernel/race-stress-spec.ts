/**
 * A finding's race mark (kernel/race-stress.ts runs and judges it): the C stress program, its limits, the
 * damage its HIT lines must show and where, the END counter of the times it opened its window, and its forms.
 * Plain data: a finding is a scenario, and scenarios go to worker threads by structured clone.
 */
export interface RaceStress {
  /** The C stress program, a repository path (docs/reproducers/...). */
  readonly c: string;
  /** Most iterations of the loop (MMCHECK_ITERS). */
  readonly iterations: number;
  /** Most seconds the loop runs (MMCHECK_SECS). */
  readonly timeoutSec: number;
  /** Iterations of the control run (MMCHECK_CONTROL=1: the loop without its concurrent part). */
  readonly controlIterations: number;
  /**
   * The damage a HIT line's counters must show: counter `greater` above counter `than`. Plain data, not a
   * function, because a finding is a scenario and scenarios go to worker threads by structured clone.
   */
  readonly shows: RaceDamage;
  /**
   * The END counter that counts the times the loop opened its window (e.g. `offlined`): a loop that never
   * opened it (0) proves nothing either way.
   */
  readonly opens?: string;
  /** The forms the loop can run in (the first is the default); each adds its words to the guest's environment. */
  readonly forms?: readonly RaceForm[];
  /**
   * The implementation's fault sites (ThreadCtx.inject) the loop fails with kernel/inject/mmcheck_inject.ko: the
   * guest gets the module built for its kernel (/mmcheck_inject.ko) and, per site, the kernel function the
   * subsystem maps it to on that kernel (KernelMapping.injectSite) as `MMCHECK_INJ_<SITE>=sym:caller:ret`
   * (caller `-` for any). The loop loads the module itself, with its own holds and per-thread names.
   */
  readonly inject?: readonly string[];
}

/** The guest's environment word for an injected site (RaceStress.inject): MMCHECK_INJ_<SITE>=sym:caller:ret. */
export function injectEnv(
  site: string,
  k: { readonly sym: string; readonly caller?: string; readonly ret: number },
): [string, string] {
  if (!/^[a-z][a-z0-9_]*$/.test(site)) throw new Error(`race: bad inject site '${site}'`);
  return [`MMCHECK_INJ_${site.toUpperCase()}`, `${k.sym}:${k.caller ?? '-'}:${k.ret}`];
}

/** One form of a race loop: `--race-form NAME` runs it with `env` (NAME=VALUE words of the kernel command line). */
export interface RaceForm {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  /** Kernel parameters the guest boots with in this form (e.g. `preempt=full`), each `name=value`. */
  readonly kernelArgs?: readonly string[];
  /** What it sets up, one line. */
  readonly says: string;
}

/** A HIT line shows the damage when its counter `greater` exceeds its counter `than`; `says` names it in one line. */
export interface RaceDamage {
  readonly greater: string;
  readonly than: string;
  readonly says: string;
  /** The HIT lines' `at` values that count (the window's own steps); a HIT elsewhere is another window's. */
  readonly at?: readonly string[];
}

/** The damage the counters show, in one line, or undefined when they do not show it (a counter missing included). */
export function damageShown(d: RaceDamage, counters: Readonly<Record<string, number>>): string | undefined {
  const a = counters[d.greater];
  const b = counters[d.than];
  return a !== undefined && b !== undefined && a > b ? d.says : undefined;
}

/** A finding's race stress program, if it is marked as one; a malformed mark is an error. */
export function raceStressOf(finding: object): RaceStress | undefined {
  const r = (finding as { race?: unknown }).race;
  if (r === undefined) return undefined;
  const x = r as Partial<RaceStress>;
  const posInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (
    typeof x.c !== 'string' ||
    !x.c.endsWith('.c') ||
    !posInt(x.iterations) ||
    !posInt(x.timeoutSec) ||
    !posInt(x.controlIterations) ||
    typeof x.shows !== 'object' ||
    x.shows === null ||
    typeof x.shows.greater !== 'string' ||
    typeof x.shows.than !== 'string' ||
    typeof x.shows.says !== 'string' ||
    (x.shows.at !== undefined &&
      (!Array.isArray(x.shows.at) || x.shows.at.length === 0 || !x.shows.at.every((a) => typeof a === 'string'))) ||
    (x.opens !== undefined && typeof x.opens !== 'string') ||
    (x.inject !== undefined &&
      (!Array.isArray(x.inject) ||
        x.inject.length === 0 ||
        !x.inject.every((s) => typeof s === 'string' && /^[a-z][a-z0-9_]*$/.test(s))))
  )
    throw new Error(
      'race: expected { c: PATH.c, iterations, timeoutSec, controlIterations (positive integers), shows: { greater, than, says, at?: [STEP, ...] }, opens?: COUNTER, forms?, inject?: [SITE, ...] }',
    );
  if (x.forms !== undefined) {
    const word = /^[A-Z][A-Z0-9_]*$/;
    const ok =
      Array.isArray(x.forms) &&
      x.forms.length > 0 &&
      x.forms.every(
        (f) =>
          typeof f?.name === 'string' &&
          /^[a-z][a-z0-9-]*$/.test(f.name) &&
          typeof f.says === 'string' &&
          typeof f.env === 'object' &&
          f.env !== null &&
          Object.entries(f.env).every(
            ([k, v]) => word.test(k) && typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v),
          ) &&
          (f.kernelArgs === undefined ||
            (Array.isArray(f.kernelArgs) &&
              f.kernelArgs.every(
                (a: unknown) => typeof a === 'string' && /^[a-z][a-z0-9_.]*=[A-Za-z0-9_.,-]+$/.test(a),
              ))),
      ) &&
      new Set(x.forms.map((f) => f.name)).size === x.forms.length;
    if (!ok)
      throw new Error(
        'race: forms must be [{ name: lower-case-word, env: { NAME: VALUE }, kernelArgs?: [param=value, ...], says }, ...] with distinct names',
      );
  }
  return x as RaceStress;
}
