/**
 * Injected failures on a real kernel. A counterexample that needs one (the
 * checker's `faults`: an allocation that fails at a named site of the
 * implementation, ThreadCtx.inject) runs as a sequential script whose steps
 * carry `injections`: at script step `step`, the `nth` time the implementation
 * reaches fault site `site` during that operation, it fails. On the kernel,
 * the subsystem maps the site to a kernel function (KernelMapping.injectSite:
 * a function, optionally the caller it must return into, the value it
 * returns) and the probe loads kernel/inject/mmcheck_inject.ko around that
 * step: the Nth call of that function by the step's task fails, and the
 * probe prints how many calls it counted and whether the Nth one was failed.
 *
 * The Nth is counted the same way on both sides. The implementation's side:
 * one count per atomic step of the operation in which the site could fail
 * (some successor injects it, the budget allows it), up to the one the
 * counterexample fails (nthOfSchedule); the prediction follows the same rule
 * (pickInjected). The kernel's side: one count per call of the function by the
 * task during the step (kernel/inject/mmcheck_inject.c).
 */
import type { Product } from '../checker/product.js';
import type { StepLabel } from '../checker/result.js';
import type { KernelScript } from './types.js';

/** One injected failure of a script. */
export interface Injection {
  /** The script step (operation) in which it happens. */
  readonly step: number;
  /** The implementation's fault site (ThreadCtx.inject). */
  readonly site: string;
  /** The nth time the operation reaches the site (1 = the first). */
  readonly nth: number;
}

/** How a kernel fails a site: kernel/inject/mmcheck_inject.c's parameters for it. */
export interface KernelInjectSite {
  /** The function whose call fails (a kprobe at its entry: it must be a real, not inlined, function). */
  readonly sym: string;
  /** Only calls that return into this function count (undefined: any caller). */
  readonly caller?: string;
  /** The value the failed call returns (-12: -ENOMEM; 0: a NULL pointer). */
  readonly ret: number;
}

/** The module's file name in the initramfs, and the task name its comm= filter waits for. */
export const INJECT_MODULE = 'mmcheck_inject.ko';
export const INJECT_COMM = 'mmcheck-inj';

/** The counters the probe adds to a step's observation for its injection j (not compared with the model). */
export const injectCounter = (j: number, what: 'hits' | 'fired'): string => `inject${j}_${what}`;
export const isInjectCounter = (name: string): boolean => /^inject[0-9]+_(hits|fired)$/.test(name);

/** finit_module(2)'s parameter string for the injections of one step. */
export function moduleParams(sites: readonly { readonly k: KernelInjectSite; readonly nth: number }[]): string {
  if (sites.length === 0 || sites.length > 4) throw new Error(`moduleParams: 1 to 4 sites, not ${sites.length}`);
  const bad = sites.find(
    (s) => !/^[A-Za-z0-9_.]+$/.test(s.k.sym) || (s.k.caller && !/^[A-Za-z0-9_]+$/.test(s.k.caller)),
  );
  if (bad) throw new Error(`moduleParams: bad symbol '${bad.k.sym}'`);
  return [
    `sym=${sites.map((s) => s.k.sym).join(',')}`,
    `caller=${sites.map((s) => s.k.caller ?? '-').join(',')}`,
    `nth=${sites.map((s) => s.nth).join(',')}`,
    `ret=${sites.map((s) => s.k.ret).join(',')}`,
    `comm=${INJECT_COMM}`,
  ].join(' ');
}

/** The injections of step k of a script. */
export const injectionsAt = (s: KernelScript, k: number): Injection[] =>
  (s.injections ?? []).filter((x) => x.step === k);

/** The sites some successor of `vec` injects (the sites this atomic step could fail at). */
function offered(product: Product, vec: Int32Array): { labels: StepLabel[]; sites: Set<string> } {
  const labels: StepLabel[] = [];
  product.pick(vec, (l) => {
    labels.push(l);
    return false;
  });
  return { labels, sites: new Set(labels.flatMap((l) => l.injected)) };
}

const sameSites = (a: readonly string[], b: ReadonlySet<string>): boolean =>
  a.length === b.size && a.every((x) => b.has(x));

/**
 * The next atomic step of a sequential script's operation, following its planned injections: count, per
 * site, the atomic steps of the operation that offer a failure there (`count`, kept by the caller per
 * operation); take the successor that fails exactly the sites whose count reached their nth.
 */
export function pickInjected(
  product: Product,
  vec: Int32Array,
  planned: readonly Injection[],
  count: Map<string, number>,
): ReturnType<Product['pick']> {
  const { sites } = offered(product, vec);
  for (const s of sites) count.set(s, (count.get(s) ?? 0) + 1);
  const fire = new Set(planned.filter((p) => sites.has(p.site) && count.get(p.site) === p.nth).map((p) => p.site));
  return product.pick(vec, (l) => sameSites(l.injected, fire));
}

/**
 * The injections of a sequential counterexample, as (step, site, nth): replays its schedule on the
 * product, counting per operation the atomic steps that offer a failure at each site. `opOf[i]` is the
 * script step of schedule label i. Throws when the schedule cannot be replayed.
 */
export function nthOfSchedule(product: Product, schedule: readonly StepLabel[], opOf: readonly number[]): Injection[] {
  let vec = product.initial().vec;
  const out: Injection[] = [];
  let count = new Map<string, number>();
  let op = -1;
  schedule.forEach((want, i) => {
    if (opOf[i] !== op) {
      op = opOf[i]!;
      count = new Map();
    }
    const { sites } = offered(product, vec);
    for (const s of sites) count.set(s, (count.get(s) ?? 0) + 1);
    const hit = product.pick(
      vec,
      (l) =>
        l.tid === want.tid &&
        l.step === want.step &&
        l.choices.length === want.choices.length &&
        l.choices.every((c, j) => c === want.choices[j]),
    );
    if (!hit) throw new Error(`the counterexample's step ${i + 1} (${want.op} › ${want.step}) cannot be replayed`);
    for (const site of hit.label.injected) out.push({ step: op, site, nth: count.get(site) ?? 1 });
    vec = hit.vec;
  });
  return out;
}
