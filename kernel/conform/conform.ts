/**
 * `mmcheck conform` on one kernel: generate scripts from a seed, run them in
 * batches (many scripts per boot), judge every step against the
 * implementation's prediction and the spec, group the disagreements by class
 * and operation, shrink one script per group on the kernel (one boot per batch
 * of candidates) and save the minimal one.
 */
import type fc from 'fast-check';
import type { Script } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { RetValue, Subsystem } from '../../checker/types.js';
import type {
  KernelBatchOutcome,
  KernelBatchRunner,
  KernelMapping,
  KernelScriptResult,
  ResolvedKernel,
} from '../types.js';
import { Coverage } from './coverage.js';
import { generateScripts, scriptArbitrary, type GenScript } from './generate.js';
import { judge, type Disagreement, type Verdict } from './judge.js';
import { predict, retKey } from './predict.js';
import type { ConformProfile } from './profile.js';
import { saveDisagreement, type SavedFiles } from './save.js';
import { shrinkDisagreement, type ShrinkResult } from './shrink.js';

export interface ConformOptions {
  readonly runs: number;
  readonly seed: number;
  /** Maximum generated steps per script (before dropping steps that do not apply). */
  readonly length: number;
  /** Scripts per boot. */
  readonly perBoot: number;
  /** Shrink candidates per boot, boots per shrink, and how many disagreement groups to shrink. */
  readonly shrinkBatch: number;
  readonly shrinkBoots: number;
  readonly maxShrinks: number;
  /** Where minimal scripts, traces and C reproducers go. */
  readonly outDir: string;
}

export interface ConformTarget {
  /** The implementation to compare with: the subsystem and the variant that models this kernel (null: default). */
  readonly sub: Subsystem;
  readonly variant: string | null;
  /** The kernel version the implementation models for this kernel (Subsystem.kernelVersions); default: the subsystem's. */
  readonly kernelVersion?: string;
  readonly profile: ConformProfile;
  readonly runner: KernelBatchRunner;
  /** How the subsystem's ops run on a kernel: the counters and return encoding the model is compared in. */
  readonly mapping?: KernelMapping<any>;
  /** Standalone C reproducer of a script (h8's op->C compiler), for saved disagreements. */
  readonly toC?: (script: Script, d: Disagreement) => string;
}

/** Disagreements of one class on one operation. */
export interface DisagreementGroup {
  readonly signature: string;
  readonly count: number;
  /** Index (in generation order) and disagreement of the first script that showed it. */
  readonly first: { readonly index: number; readonly d: Disagreement; readonly script: Script };
  /**
   * Kernel and implementation against the spec: how many of the group's scripts each known finding
   * explains (KernelMapping.explain), and how many none does.
   */
  readonly explained?: Readonly<Record<string, number>>;
  readonly unexplained?: number;
  /** Of the unexplained, what is known (e.g. a known finding at an earlier step): note -> scripts. */
  readonly notes?: Readonly<Record<string, number>>;
  readonly shrunk?: ShrinkResult;
  readonly files?: SavedFiles;
  readonly saveError?: string;
}

export interface KernelConformResult {
  readonly kernel: ResolvedKernel;
  readonly seed: number;
  readonly generated: number;
  readonly judged: number;
  readonly agreed: number;
  readonly disagreed: number;
  /** Of those, kernel-vs-model and model-error: the implementation does not model this kernel. */
  readonly diverged: number;
  /** Of the others (kernel and implementation against the spec), those no known finding explains. */
  readonly unexplained: number;
  readonly boots: number;
  readonly kernelSeconds: number;
  readonly errors: readonly { readonly index: number; readonly detail: string }[];
  /** Scripts after which the probe found the pool not restored. */
  readonly poolNotRestored: readonly number[];
  /** Why the run stopped early (boot failure, timeout), if it did. */
  readonly stopped?: string;
  readonly groups: readonly DisagreementGroup[];
  readonly coverage: Coverage;
  readonly verdict: 'AGREE' | 'DISAGREE' | 'INCONCLUSIVE';
}

/** The implementation does not model the kernel (as opposed to the spec's promise being broken). */
export const isDivergence = (d: Disagreement): boolean => d.cls === 'kernel-vs-model' || d.cls === 'model-error';

const signature = (d: Disagreement): string =>
  `${d.cls} on ${d.op}${d.fields.length ? ` (${d.fields.join(', ')})` : ''}`;

/** Why kernel and implementation disagree with the spec in one script: a known finding, or none (and what is known). */
type Why = { readonly finding: string } | { readonly finding?: undefined; readonly note?: string };

/**
 * A fix the modelled kernel version lacks, when the implementation with that one fix applied (the
 * version's other lacks kept) keeps the spec at every step up to the disagreement's, and a modelled
 * version has it: then the disagreement is that known bug, fixed upstream by the commit (a history
 * variant), such as 6.1 lacking df7a6d1f6405. Applying one fix at a time keeps the attribution when
 * a version lacks several fixes that no single modelled version tells apart.
 */
function lackedFix(t: ConformTarget, script: Script, step: number): string | undefined {
  const kv = t.sub.kernelVersions;
  const v = t.kernelVersion;
  if (!kv || v === undefined) return undefined;
  const lacks = kv.versions.find((x) => x.name === v)?.lacks ?? [];
  for (const f of lacks) {
    const w = kv.versions.find((x) => !x.lacks.includes(f) && x.lacks.every((g) => lacks.includes(g)));
    if (!w) continue;
    const name = `${v}+${f}`;
    const withFix = { name, description: `${v} with ${f} applied`, lacks: lacks.filter((g) => g !== f) };
    const sub = { ...t.sub, kernelVersions: { ...kv, versions: [...kv.versions, withFix] } };
    const p = predict(sub, t.variant, t.mapping, script, name);
    if (p.stopped && p.stopped.step <= step) continue;
    if (p.steps.length > step && p.steps.slice(0, step + 1).every((s) => s.agree))
      return `${f} (a fix ${v} lacks; ${w.name} has it and keeps the spec here)`;
  }
  return undefined;
}

/** The known finding behind a kernel-and-implementation-against-the-spec disagreement, if any. */
function explainOne(t: ConformTarget, script: Script, d: Disagreement): Why | undefined {
  if (isDivergence(d)) return undefined;
  const run = runImplSteps(t.sub, script, t.variant, false, t.kernelVersion);
  const e = t.mapping?.explain?.(script, d.step, run);
  if (typeof e === 'string') return { finding: e };
  const fix = lackedFix(t, script, d.step);
  if (fix) return { finding: fix };
  return e ? { note: e.notExplained } : {};
}

interface WhyCounts {
  readonly findings: Map<string, number>;
  unexplained: number;
  readonly notes: Map<string, number>;
}

const countWhy = (c: WhyCounts, w: Why): void => {
  if (w.finding !== undefined) c.findings.set(w.finding, (c.findings.get(w.finding) ?? 0) + 1);
  else {
    c.unexplained++;
    if (w.note) c.notes.set(w.note, (c.notes.get(w.note) ?? 0) + 1);
  }
};

/** A group's explanations: per known finding, and how many scripts none explains (with what is known). */
function whyOf(c: WhyCounts): Pick<DisagreementGroup, 'explained' | 'unexplained' | 'notes'> {
  if (c.findings.size === 0 && c.unexplained === 0) return {};
  return {
    explained: Object.fromEntries(c.findings),
    unexplained: c.unexplained,
    ...(c.notes.size ? { notes: Object.fromEntries(c.notes) } : {}),
  };
}

/** Judge one kernel result against the implementation's prediction and the spec. */
export function judgeOne(t: ConformTarget, script: Script, k: KernelScriptResult): Verdict {
  const enc = t.mapping ? (r: RetValue, op?: string) => t.mapping!.retOf(r, op) : retKey;
  return judge(t.sub, script, predict(t.sub, t.variant, t.mapping, script, t.kernelVersion), k, enc);
}

/**
 * One batch, booted again once when the boot itself failed or timed out: under
 * TCG on a loaded host a kernel occasionally panics in its boot-time timer
 * check, which says nothing about the scripts. A second failure stops the run
 * (INCONCLUSIVE).
 */
async function runBatchRetry(
  t: ConformTarget,
  scripts: readonly Script[],
  log: (line: string) => void,
): Promise<KernelBatchOutcome & { attempts: number }> {
  const first = await t.runner.runBatch(t.sub.name, scripts);
  if (first.kind === 'ran') return { ...first, attempts: 1 };
  log(`  ${first.kind}: ${first.detail.split('\n')[0]}; booting once more`);
  return { ...(await t.runner.runBatch(t.sub.name, scripts)), attempts: 2 };
}

// oxlint-disable-next-line max-lines-per-function -- one linear pipeline: generate, run in boots, judge, group, shrink, save
export async function conformOnKernel(
  t: ConformTarget,
  o: ConformOptions,
  log: (line: string) => void,
): Promise<KernelConformResult> {
  const kernel = t.runner.kernel;
  const arb = scriptArbitrary(t.profile, t.sub, o.length);
  const values = generateScripts(arb, o.seed, o.runs);
  const coverage = new Coverage(t.profile);
  const errors: { index: number; detail: string }[] = [];
  const poolNotRestored: number[] = [];
  const groups = new Map<
    string,
    { count: number; first: DisagreementGroup['first']; value: fc.Value<GenScript>; why: WhyCounts }
  >();
  let boots = 0;
  let kernelSeconds = 0;
  let judged = 0;
  let agreed = 0;
  let stopped: string | undefined;

  for (let at = 0; at < values.length && !stopped; at += o.perBoot) {
    const batch = values.slice(at, at + o.perBoot);
    const scripts = batch.map((v) => v.value_.script);
    const out = await runBatchRetry(t, scripts, log);
    boots += out.attempts;
    if (out.kind !== 'ran') {
      stopped = `${out.kind} on scripts ${at}..${at + batch.length - 1}: ${out.detail}`;
      break;
    }
    kernelSeconds += out.seconds;
    if (out.results.length !== scripts.length) {
      stopped = `the runner returned ${out.results.length} results for ${scripts.length} scripts`;
      break;
    }
    out.results.forEach((r, j) => {
      const index = at + j;
      const script = scripts[j]!;
      const v = judgeOne(t, script, r);
      if (r.kind === 'ran' && !r.poolRestored) poolNotRestored.push(index);
      if (v.kind === 'error') {
        errors.push({ index, detail: v.detail });
        return;
      }
      judged++;
      coverage.add(script, r, v.compared);
      if (v.kind === 'agree') {
        agreed++;
        return;
      }
      const sig = signature(v.d);
      const g = groups.get(sig) ?? {
        count: 0,
        first: { index, d: v.d, script },
        value: batch[j]!,
        why: { findings: new Map(), unexplained: 0, notes: new Map() },
      };
      g.count++;
      groups.set(sig, g);
      const why = explainOne(t, script, v.d);
      if (why !== undefined) countWhy(g.why, why);
    });
    log(
      `  boot ${boots}: scripts ${at}..${at + batch.length - 1} in ${out.seconds.toFixed(1)} s, ${judged - agreed} disagreeing so far`,
    );
  }

  const result: DisagreementGroup[] = [];
  let shrinks = 0;
  const kernelTag = kernel.release.replace(/[^A-Za-z0-9_.-]/g, '_');
  for (const [sig, g] of groups) {
    const explained = whyOf(g.why);
    if (shrinks >= o.maxShrinks || stopped) {
      result.push({ signature: sig, count: g.count, first: g.first, ...explained });
      continue;
    }
    shrinks++;
    log(`  shrinking: ${sig} (first seen in script ${g.first.index})`);
    const shrunk = await shrinkDisagreement(
      arb,
      g.value,
      g.first.d,
      async (scripts) => {
        const out = await runBatchRetry(t, scripts, log);
        if (out.kind !== 'ran') return `${out.kind}: ${out.detail}`;
        return out.results.map((r, j) => judgeOne(t, scripts[j]!, r));
      },
      { batch: o.shrinkBatch, maxBoots: o.shrinkBoots },
    );
    boots += shrunk.boots;
    const base = `conform-${t.sub.name}-${kernelTag}-${shrinks}`;
    try {
      const files = saveDisagreement(
        o.outDir,
        base,
        t.sub,
        shrunk.minimal.value_.script,
        t.variant,
        t.kernelVersion,
        shrunk.disagreement,
        kernel,
        t.toC,
      );
      result.push({ signature: sig, count: g.count, first: g.first, ...explained, shrunk, files });
    } catch (e) {
      result.push({
        signature: sig,
        count: g.count,
        first: g.first,
        ...explained,
        shrunk,
        saveError: (e as Error).message.split('\n')[0]!,
      });
    }
  }
  const disagreed = [...groups.values()].reduce((n, g) => n + g.count, 0);
  const diverged = [...groups.values()].reduce((n, g) => n + (isDivergence(g.first.d) ? g.count : 0), 0);
  const unexplained = result.reduce((n, g) => n + (g.unexplained ?? 0), 0);
  return {
    kernel,
    seed: o.seed,
    generated: values.length,
    judged,
    agreed,
    disagreed,
    diverged,
    unexplained,
    boots,
    kernelSeconds,
    errors,
    poolNotRestored,
    ...(stopped ? { stopped } : {}),
    groups: result,
    coverage,
    verdict: disagreed > 0 ? 'DISAGREE' : stopped || errors.length > 0 ? 'INCONCLUSIVE' : 'AGREE',
  };
}
