/**
 * A race that per-step scripts cannot open: a finding marked with `race`
 * (RaceStress) names a C stress program that runs its operations in a loop on
 * two virtual CPUs until the damage shows, as a kernel developer would run it.
 * `mmcheck reproduce SUB --scenario NAME --kernel K` boots it as /init of a
 * 2-vCPU qemu guest and reads its lines (on ttyS1, or stdout when run by hand):
 *
 *   MMCHECK UNAME <release>
 *   MMCHECK RACE BEGIN iters=<n> secs=<s> cpus=<c> control=<0|1> <name>=<int> ...   (counters before)
 *   MMCHECK RACE PROGRESS ...                                                       (ignored)
 *   MMCHECK RACE HIT iter=<k> at=<where> <name>=<int> ...                          (counters showing the damage)
 *   MMCHECK RACE AFTER <name>=<value> ...                                            (what outlived the loop)
 *   MMCHECK RACE END iters=<k> [stop=<why>] ms=<t> <name>=<int> ...
 *   MMCHECK RACE ERROR <text>
 *
 * END's stop= says why the loop ended: hit, iterations or seconds (its limits), or anything else (it could not
 * go on, e.g. mmap_failed; an ERROR line says more). Environment the program reads (the kernel command line's
 * a=b words): MMCHECK_ITERS, MMCHECK_SECS, MMCHECK_CONTROL=1, the control run: the same loop without its
 * concurrent part, and the chosen form's words (RaceStress.forms).
 *
 * The verdict never claims more than the lines show: REPRODUCED only when a HIT
 * line's counters show the damage (RaceStress.shows, checked here, not taken
 * from the program's word) and a control run of the loop without the
 * concurrent part finished without it; NOT REPRODUCED when the loop ran to
 * its limits (END stop=iterations|seconds) without a hit, having opened its
 * window (RaceStress.opens), with the counters after it clean; otherwise
 * INCONCLUSIVE. A HIT counts only at the steps the finding names
 * (RaceDamage.at): damage shown elsewhere came from another window.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gccStatic } from './compile.js';
import { packInitramfs } from './initramfs.js';
import { boot } from './qemu.js';
import { consoleTrouble } from './serial.js';
import { KernelSetupError, requireStaticLibc, requireTool } from './tools.js';
import type { ResolvedKernel } from './types.js';

export {
  damageShown,
  injectEnv,
  raceStressOf,
  type RaceDamage,
  type RaceForm,
  type RaceStress,
} from './race-stress-spec.js';
import { damageShown, injectEnv, type RaceStress } from './race-stress-spec.js';
import { INJECT_MODULE, type KernelInjectSite } from './inject.js';
import { injectModule } from './inject-module.js';

export interface StressHit {
  readonly iter: number;
  readonly at: string;
  /**
   * The integer fields as numbers; one beyond 2^53 (an underflowed unsigned counter reads 2^64 - 1) is kept as the
   * nearest number: compared, never computed with.
   */
  readonly counters: Readonly<Record<string, number>>;
  /** The same fields as printed (for messages: 18446744073709551615, not its rounded number). */
  readonly printed: Readonly<Record<string, string>>;
}

export interface StressLog {
  readonly release?: string;
  readonly begin?: { readonly control: boolean; readonly fields: Readonly<Record<string, string>> };
  readonly hits: readonly StressHit[];
  /** AFTER's fields as printed (a sysctl may read back as a number beyond 2^53). */
  readonly after?: Readonly<Record<string, string>>;
  readonly end?: { readonly iters: number; readonly ms: number; readonly fields: Readonly<Record<string, string>> };
  readonly errors: readonly string[];
  /** RACE lines that did not parse. */
  readonly garbled: readonly string[];
}

const INT = /^-?[0-9]+$/;

/** `a=1 b=x` -> { a: '1', b: 'x' }; undefined when a word is not name=value. */
function fieldsOf(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const w of s.trim().split(/\s+/).filter(Boolean)) {
    const eq = w.indexOf('=');
    if (eq <= 0 || eq === w.length - 1) return undefined;
    out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** The integer fields, without the named ones (beyond 2^53 as the nearest number: see StressHit.counters). */
function counters(f: Readonly<Record<string, string>>, skip: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(f)) if (!skip.includes(k) && INT.test(v)) out[k] = Number(v);
  return out;
}

/** The integer fields as printed, without the named ones. */
function printedInts(f: Readonly<Record<string, string>>, skip: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(f).filter(([k, v]) => !skip.includes(k) && INT.test(v)));
}

export function parseStressLog(log: string, consoleLog = ''): StressLog {
  let release = consoleLog.match(/Linux version (\S+)/)?.[1];
  let begin: StressLog['begin'];
  let after: StressLog['after'];
  let end: StressLog['end'];
  const hits: StressHit[] = [];
  const errors: string[] = [];
  const garbled: string[] = [];
  for (const raw of log.split(/\r?\n/)) {
    const at = raw.indexOf('MMCHECK ');
    if (at < 0) continue;
    const line = raw.slice(at + 8).trim();
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^UNAME (\S+)$/))) {
      release = m[1];
      continue;
    }
    if (!(m = line.match(/^RACE (BEGIN|PROGRESS|HIT|AFTER|END|ERROR)(?: (.*))?$/))) {
      garbled.push(raw);
      continue;
    }
    const [, kind, rest = ''] = m;
    if (kind === 'ERROR') {
      errors.push(rest || '(no text)');
      continue;
    }
    if (kind === 'PROGRESS') continue;
    const f = fieldsOf(rest);
    if (!f) {
      garbled.push(raw);
      continue;
    }
    if (kind === 'BEGIN') begin = { control: f.control === '1', fields: f };
    else if (kind === 'AFTER') after = f;
    else if (kind === 'HIT') {
      if (!INT.test(f.iter ?? '') || !f.at) garbled.push(raw);
      else
        hits.push({
          iter: Number(f.iter),
          at: f.at,
          counters: counters(f, ['iter', 'at']),
          printed: printedInts(f, ['iter', 'at']),
        });
    } else if (!INT.test(f.iters ?? '') || !INT.test(f.ms ?? '')) garbled.push(raw);
    else end = { iters: Number(f.iters), ms: Number(f.ms), fields: f };
  }
  return {
    ...(release ? { release } : {}),
    ...(begin ? { begin } : {}),
    hits,
    ...(after ? { after } : {}),
    ...(end ? { end } : {}),
    errors,
    garbled,
  };
}

export type StressWord = 'REPRODUCED' | 'NOT REPRODUCED' | 'INCONCLUSIVE';

export interface StressVerdict {
  readonly verdict: StressWord;
  /** One line. */
  readonly why: string;
  /** The first HIT whose counters show the damage. */
  readonly hit?: StressHit & { readonly shows: string };
}

const fmtFields = (f: Readonly<Record<string, string | number>>): string =>
  Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/**
 * The first HIT line whose counters show the damage at a step the finding names (the program's word alone counts
 * for nothing); `elsewhere` takes the ones at other steps instead.
 */
export function shownHit(
  spec: Pick<RaceStress, 'shows'>,
  log: StressLog,
  elsewhere = false,
): (StressHit & { shows: string }) | undefined {
  for (const h of log.hits) {
    const s = damageShown(spec.shows, h.counters);
    const inWindow = !spec.shows.at || spec.shows.at.includes(h.at);
    if (s && inWindow !== elsewhere) return { ...h, shows: s };
  }
  return undefined;
}

/** The stop= reasons of a loop that ran to its limits or hit. */
const STOPS = ['hit', 'iterations', 'seconds'];

/** Why a run's log cannot be judged (it did not run its loop to a judgeable point), or undefined. */
function unusable(log: StressLog, control: boolean, what: string): string | undefined {
  if (log.errors.length) return `the ${what} stopped: ${log.errors[0]}`;
  if (!log.begin) return `the ${what} never started`;
  if (log.begin.control !== control)
    return `the ${what} ran ${log.begin.control ? 'as the control (control=1)' : 'with its concurrent part (control=0)'}`;
  return undefined;
}

/**
 * The race run's verdict, given its log and (when it hit) the control run's: a HIT counts even when the run
 * did not end cleanly, a NOT REPRODUCED needs the END line.
 */
export function judgeStress(
  spec: Pick<RaceStress, 'shows' | 'opens'>,
  race: StressLog,
  control?: StressLog,
): StressVerdict {
  const bad = unusable(race, false, 'race run');
  const hit = shownHit(spec, race);
  const other = hit ? undefined : shownHit(spec, race, true);
  if (other)
    return {
      verdict: 'INCONCLUSIVE',
      why: `the damage showed at iteration ${other.iter} at ${other.at} (${fmtFields(other.printed)}), not at a step of this window (${spec.shows.at!.join(', ')}): another window did it`,
    };
  if (bad && !hit) return { verdict: 'INCONCLUSIVE', why: bad };
  if (!hit) {
    if (race.hits.length)
      return {
        verdict: 'INCONCLUSIVE',
        why: `a HIT line at iteration ${race.hits[0]!.iter} whose counters (${fmtFields(race.hits[0]!.printed)}) do not show the damage`,
      };
    if (!race.end)
      return { verdict: 'INCONCLUSIVE', why: 'the race run stopped before its END line (timeout or crash)' };
    if (race.garbled.length)
      return {
        verdict: 'INCONCLUSIVE',
        why: `the race run printed ${race.garbled.length} line(s) that did not parse: ${race.garbled[0]!.trim()}`,
      };
    const lim = race.begin!.fields;
    const stop = race.end.fields.stop;
    if (stop !== undefined && !STOPS.includes(stop))
      return {
        verdict: 'INCONCLUSIVE',
        why: `the loop could not go on (stop=${stop}) after ${race.end.iters} iterations without a HIT (${fmtFields(race.end.fields)})`,
      };
    // a loop that never opened its window (a soft offline that never succeeded) proves nothing either way
    const opened = spec.opens === undefined ? undefined : race.end.fields[spec.opens];
    if (spec.opens !== undefined && (opened === undefined || !INT.test(opened) || Number(opened) <= 0))
      return {
        verdict: 'INCONCLUSIVE',
        why: `no HIT line, and the loop never opened its window (${spec.opens}=${opened ?? 'missing'} in ${race.end.iters} iterations: ${fmtFields(race.end.fields)})${race.after ? `; after it: ${fmtFields(race.after)}` : ''}`,
      };
    // no HIT line is not "not seen" when the counters after the loop show the damage, or the loop stopped early
    const afterShows = race.after
      ? damageShown(spec.shows, Object.fromEntries(Object.entries(race.after).map(([k, v]) => [k, Number(v)])))
      : undefined;
    if (afterShows)
      return {
        verdict: 'INCONCLUSIVE',
        why: `no HIT line, but after ${race.end.iters} iterations the counters show ${afterShows} (${fmtFields(race.after!)})`,
      };
    const iterLimit = Number(lim.iters);
    if (Number.isFinite(iterLimit) && race.end.iters < iterLimit && race.end.ms < Number(lim.secs ?? 0) * 1000)
      return {
        verdict: 'INCONCLUSIVE',
        why: `the loop stopped after ${race.end.iters} of ${iterLimit} iterations in ${(race.end.ms / 1000).toFixed(1)} s without a HIT`,
      };
    return {
      verdict: 'NOT REPRODUCED',
      why: `not seen within ${race.end.iters} iterations in ${(race.end.ms / 1000).toFixed(1)} s (limits: ${lim.iters ?? '?'} iterations, ${lim.secs ?? '?'} s)`,
    };
  }
  const seen = `seen at iteration ${hit.iter} (${hit.at}): ${hit.shows} (${fmtFields(hit.printed)})${race.after ? `; after the loop: ${fmtFields(race.after)}` : ''}`;
  if (bad) return { verdict: 'INCONCLUSIVE', why: `${seen}, but ${bad}`, hit };
  if (!control) return { verdict: 'INCONCLUSIVE', why: `${seen}, but no control run without the concurrent part`, hit };
  const cbad = unusable(control, true, 'control run');
  const chit = shownHit(spec, control) ?? shownHit(spec, control, true);
  if (chit)
    return {
      verdict: 'INCONCLUSIVE',
      why: `${seen}, but the control run without the concurrent part shows it too (iteration ${chit.iter}): no race needed`,
      hit,
    };
  if (cbad || !control.end)
    return { verdict: 'INCONCLUSIVE', why: `${seen}, but ${cbad ?? 'the control run did not finish'}`, hit };
  return {
    verdict: 'REPRODUCED',
    why: `${seen}; the control run without the concurrent part: ${control.end.iters} iterations, not seen`,
    hit,
  };
}

/** The repository root (from kernel/ or dist/kernel/), for a finding's repository path. */
function repoFile(path: string): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [join(here, '..'), join(here, '..', '..')]) {
    const p = join(root, path);
    if (existsSync(p) && existsSync(join(root, 'package.json'))) return p;
  }
  return undefined;
}

export interface StressRun {
  readonly log: StressLog;
  readonly seconds: number;
  readonly timedOut: boolean;
  /** A panic or oops on the console, if any. */
  readonly trouble?: string;
  readonly dir: string;
}

export interface StressRunOptions {
  readonly control: boolean;
  /** The form's words (RaceForm.env); none for a loop without forms. */
  readonly env?: Readonly<Record<string, string>>;
  /** The form's kernel parameters (RaceForm.kernelArgs). */
  readonly kernelArgs?: readonly string[];
  readonly iterations: number;
  readonly seconds: number;
  /** Seconds a boot may take before the loop starts (default 240). */
  readonly bootSeconds?: number;
  /**
   * The kernel functions of the loop's injected sites (RaceStress.inject) on this kernel: the guest gets
   * mmcheck_inject.ko built for it and one MMCHECK_INJ_<SITE> word per site.
   */
  readonly inject?: readonly { readonly site: string; readonly k: KernelInjectSite }[];
}

/** The guest's kernel command line words for a run: the loop's limits, control, form and injected sites. */
export function stressCmdline(o: StressRunOptions): string[] {
  return [
    `MMCHECK_ITERS=${o.iterations}`,
    `MMCHECK_SECS=${o.seconds}`,
    ...(o.control ? ['MMCHECK_CONTROL=1'] : []),
    ...(o.kernelArgs ?? []),
    ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(o.inject ?? []).map((x) => injectEnv(x.site, x.k).join('=')),
  ];
}

/** Compile the stress program, boot it as /init of a 2-vCPU guest (1 GiB: each loop may take memory out of service), read its lines. */
export async function runStress(k: ResolvedKernel, spec: RaceStress, o: StressRunOptions): Promise<StressRun> {
  requireTool('qemu-system-x86_64');
  requireTool('gcc');
  requireStaticLibc();
  const src = repoFile(spec.c);
  if (!src) throw new KernelSetupError(`race reproducer '${spec.c}' not found in the repository`);
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-race-'));
  mkdirSync(dir, { recursive: true });
  const cFile = join(dir, 'race.c');
  const source = readFileSync(src, 'utf8');
  writeFileSync(cFile, source);
  gccStatic(source, cFile, join(dir, 'race'));
  const initrd = join(dir, 'initramfs.cpio');
  const extra = o.inject?.length ? [{ name: INJECT_MODULE, data: readFileSync(injectModule(k)) }] : [];
  writeFileSync(initrd, packInitramfs(readFileSync(join(dir, 'race')), extra));
  const b = await boot({
    image: k.image,
    initramfs: initrd,
    workDir: dir,
    cmdline: stressCmdline(o),
    timeoutSeconds: (o.bootSeconds ?? 240) + o.seconds + 60,
    cpus: 2,
    memoryMiB: 1024,
  });
  const trouble = consoleTrouble(b.console);
  return {
    log: parseStressLog(b.probe, b.console),
    seconds: b.seconds,
    timedOut: b.timedOut,
    ...(trouble ? { trouble } : {}),
    dir,
  };
}
