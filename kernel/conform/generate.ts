/**
 * Seeded script generation: the same seed gives the same scripts. Each
 * generated script keeps its fast-check Value (value + shrink context), so a
 * disagreement can be shrunk later with the arbitrary's own shrinker.
 */
import fc from 'fast-check';
import type { Script } from '../../checker/scenario-file.js';
import type { Args, Subsystem } from '../../checker/types.js';
import { lacksBuiltin } from '../kconfig.js';
import type { ResolvedKernel } from '../types.js';
import type { ConformProfile } from './profile.js';

/** What the arbitrary produces: the script plus the params as a script file writes them. */
export interface GenScript {
  readonly script: Script;
}

/**
 * One drawn step. `keep: false` (absent means true) comes only from shrinking an op with
 * OpGen.setup: the op is dropped but the setup steps it brought (a pin's mmap) stay, so a
 * minimal script can keep a mapping the failure needs without the op that made the generator
 * map it (dropping the whole draw would drop both).
 */
type Draw = {
  readonly op: string;
  readonly raw: Readonly<Record<string, number | boolean | string>>;
  readonly keep?: boolean;
};

/**
 * Always true when generated (it consumes no randomness, so a seed gives the same scripts as
 * without it); shrinks to false once.
 */
class KeepOp extends fc.Arbitrary<boolean> {
  generate(): fc.Value<boolean> {
    return new fc.Value(true, undefined);
  }
  canShrinkWithoutContext(value: unknown): value is boolean {
    return typeof value === 'boolean';
  }
  shrink(value: boolean): fc.Stream<fc.Value<boolean>> {
    return value ? fc.Stream.of(new fc.Value(false, undefined)) : fc.Stream.nil();
  }
}

/**
 * The profile as one kernel can run it: an op whose device the kernel's configuration lacks
 * (OpGen.needs) is left out, with the reason in internalOps (the coverage summary prints it as
 * "not generated"); with the configuration unknown it is generated, and a restriction says what
 * was assumed (a missing device then shows as the probe's ENOENT).
 */
export function profileForKernel(
  profile: ConformProfile,
  kernel: Pick<ResolvedKernel, 'config' | 'release' | 'modules' | 'modelImpl'>,
): ConformProfile {
  const left: Record<string, string> = {};
  const assumed: string[] = [];
  for (const g of profile.ops) {
    const impl = kernel.modelImpl;
    if (g.models && impl !== undefined && !g.models.includes(impl))
      left[g.op] =
        `the ${impl} implementation ${kernel.release} is compared with does not model it (only ${g.models.join(', ')})`;
    if (!g.needs || g.op in left) continue;
    const m = g.needs.module;
    const loadable = m !== undefined && kernel.config?.options[g.needs.config] === 'm' && !!kernel.modules?.[m];
    const why =
      (g.needs.alsoBuiltin ?? []).map((o) => lacksBuiltin(kernel.config, o)).find((w) => w !== undefined) ??
      (loadable ? undefined : lacksBuiltin(kernel.config, g.needs.config, m));
    if (why) left[g.op] = `${kernel.release} has no ${g.needs.device}: ${why}`;
    else if (!kernel.config)
      assumed.push(
        `${g.op} generated although ${kernel.release}'s configuration is unknown: ${g.needs.device} assumed (${g.needs.config}=y)`,
      );
  }
  if (Object.keys(left).length === 0 && assumed.length === 0) return profile;
  return {
    ...profile,
    ops: profile.ops.filter((g) => !(g.op in left)),
    internalOps: { ...profile.internalOps, ...left },
    restrictions: [...(profile.restrictions ?? []), ...assumed],
  };
}

/** Resolve drawn steps against the generation model, dropping those that do not apply. */
export function resolveSteps<P, M>(
  profile: ConformProfile<P, M>,
  p: P,
  draws: readonly Draw[],
): { op: string; args: Args }[] {
  const m = profile.model(p);
  const out: { op: string; args: Args }[] = [];
  const apply = (op: string, args: Args): void => {
    profile.ops.find((g) => g.op === op)?.apply(m, args, p);
    out.push({ op, args });
  };
  for (const d of draws) {
    const gen = profile.ops.find((g) => g.op === d.op)!;
    let args = gen.resolve(m, d.raw, p);
    if (args === undefined && gen.setup) {
      // the steps that make the op applicable (OpGen.setup), then the op itself
      for (const s of gen.setup(m, d.raw, p) ?? []) apply(s.op, s.args);
      args = gen.resolve(m, d.raw, p);
    }
    if (args !== undefined && d.keep !== false) apply(d.op, args);
  }
  return out;
}

/**
 * Scripts of 1..maxLength steps over every op of the profile, with generated
 * parameters. Parameters and steps are drawn independently (a tuple, not a
 * chain), so shrinking one keeps the other: dropping a step keeps the pool.
 * minLength 0 with a filter on the resolved script, not minLength 1: fast-check
 * shrinks an array's tail with the array's own minLength, so with 1 it could
 * never drop the last step.
 */
export function scriptArbitrary(profile: ConformProfile, sub: Subsystem, maxLength: number): fc.Arbitrary<GenScript> {
  const parse = (raw: Record<string, unknown>): unknown => (sub.parseParams ? sub.parseParams(raw) : raw);
  const step = fc.oneof(
    ...profile.ops.map((g) => ({
      weight: g.weight ?? 1,
      arbitrary: g.setup
        ? fc.tuple(g.draw(), new KeepOp()).map(([raw, keep]): Draw => ({ op: g.op, raw, keep }))
        : g.draw().map((raw): Draw => ({ op: g.op, raw })),
    })),
  );
  return fc
    .tuple(profile.params(), fc.array(step, { minLength: 0, maxLength, size: 'max' }))
    .map(([raw, draws]): GenScript => {
      const p = parse(raw);
      return { script: { params: p, steps: resolveSteps(profile, p, draws) } };
    })
    .filter((g) => g.script.steps.length > 0);
}

/** Records every Value the wrapped arbitrary generates (value and shrink context). */
class Capture<T> extends fc.Arbitrary<T> {
  readonly values: fc.Value<T>[] = [];
  constructor(private readonly inner: fc.Arbitrary<T>) {
    super();
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    const v = this.inner.generate(mrng, biasFactor);
    this.values.push(v);
    return v;
  }
  canShrinkWithoutContext(value: unknown): value is T {
    return this.inner.canShrinkWithoutContext(value);
  }
  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    return this.inner.shrink(value, context);
  }
}

/** `runs` scripts from `seed`; each with its Value for shrinking. */
export function generateScripts(arb: fc.Arbitrary<GenScript>, seed: number, runs: number): fc.Value<GenScript>[] {
  const cap = new Capture(arb);
  const sampled = fc.sample(cap, { seed, numRuns: runs });
  if (cap.values.length !== sampled.length)
    throw new Error(`internal: captured ${cap.values.length} of ${sampled.length} generated scripts`);
  return cap.values;
}
