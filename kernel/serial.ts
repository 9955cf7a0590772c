/**
 * Parsing what a boot printed. The probe writes its protocol lines to a
 * second serial port (ttyS1) so kernel messages on the console (ttyS0) never
 * interleave with them; the console log is still read, for the kernel's
 * release and for panics/oopses that explain a boot that produced nothing.
 *
 *   MMCHECK UNAME <release>
 *   MMCHECK BEGIN <n> FIRST <i>
 *   MMCHECK S <i> BEGIN
 *   MMCHECK S <i> STEP <k> ret=<r> sigbus=<0|1> <name>=<int> ...
 *   MMCHECK S <i> ERROR <text>
 *   MMCHECK S <i> NOTE <text>                (the script goes on: e.g. an injection module that did not load)
 *   MMCHECK S <i> FINAL <name>=<int> ...     (a concurrent script: counters once every thread finished)
 *   MMCHECK S <i> AFTER <name>=<int> ...     (counters after the restore)
 *   MMCHECK S <i> END restored=<0|1>
 *   MMCHECK END NEXT <i>
 */
import type { KernelStepObservation } from './types.js';

export interface ParsedScript {
  readonly index: number;
  readonly steps: KernelStepObservation[];
  readonly errors: string[];
  /** NOTE lines: what went wrong without stopping the script (kernel/inject.ts: the module did not load). */
  readonly notes: string[];
  /** undefined when the script's END line never came. */
  restored?: boolean;
  /** Counters after the probe's restore (unmount, pool emptied): what outlived the script. */
  after?: Record<string, number>;
  /** A concurrent script's counters once every thread finished (FINAL). */
  final?: Record<string, number>;
}

export interface ParsedLog {
  readonly release?: string;
  /** BEGIN seen: the probe started as init. */
  readonly started: boolean;
  /** END seen: the probe finished the batch (or stopped it after a damaged pool). */
  readonly finished: boolean;
  /** First script not run in this boot (END NEXT), when finished. */
  readonly next?: number;
  readonly scripts: Map<number, ParsedScript>;
  /** Lines that looked like protocol lines but did not parse. */
  readonly garbled: string[];
}

/** A kernel's "something went badly wrong" line on the console, if any. */
export function consoleTrouble(consoleLog: string): string | undefined {
  const m = consoleLog.match(
    /(Kernel panic[^\r\n]*|BUG: [^\r\n]*|Oops: [^\r\n]*|general protection fault[^\r\n]*|VFS: Unable to mount root[^\r\n]*|No working init found[^\r\n]*)/,
  );
  return m?.[1];
}

const INT = /^-?[0-9]+$/;

function parseStep(i: number, rest: string): KernelStepObservation | undefined {
  const m = rest.match(/^STEP ([0-9]+) ret=(\S+) sigbus=([01])((?: \S+=-?[0-9]+)*)\s*$/);
  if (!m) return undefined;
  const counters: Record<string, number> = {};
  for (const kv of m[4]!.trim().split(' ').filter(Boolean)) {
    const eq = kv.indexOf('=');
    const v = kv.slice(eq + 1);
    if (!INT.test(v)) return undefined;
    counters[kv.slice(0, eq)] = Number(v);
  }
  const r = m[2]!;
  void i;
  return { step: Number(m[1]), ret: INT.test(r) ? Number(r) : r, sigbus: m[3] === '1', counters };
}

export function parseProbeLog(probeLog: string, consoleLog = ''): ParsedLog {
  const scripts = new Map<number, ParsedScript>();
  const garbled: string[] = [];
  let started = false;
  let finished = false;
  let next: number | undefined;
  let release = consoleLog.match(/Linux version (\S+)/)?.[1];
  const get = (i: number): ParsedScript => {
    let s = scripts.get(i);
    if (!s) scripts.set(i, (s = { index: i, steps: [], errors: [], notes: [] }));
    return s;
  };
  for (const raw of probeLog.split(/\r?\n/)) {
    const at = raw.indexOf('MMCHECK ');
    if (at < 0) continue;
    const line = raw.slice(at + 8).trim();
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^UNAME (\S+)$/))) release = m[1];
    else if (/^BEGIN [0-9]+ FIRST [0-9]+$/.test(line)) started = true;
    else if ((m = line.match(/^END NEXT ([0-9]+)$/))) {
      finished = true;
      next = Number(m[1]);
    } else if ((m = line.match(/^S ([0-9]+) (.*)$/))) {
      const i = Number(m[1]);
      const rest = m[2]!;
      if (rest === 'BEGIN') get(i);
      else if (rest.startsWith('STEP ')) {
        const st = parseStep(i, rest);
        if (st) get(i).steps.push(st);
        else garbled.push(raw);
      } else if (rest.startsWith('ERROR ')) get(i).errors.push(rest.slice(6));
      else if (rest.startsWith('NOTE ')) get(i).notes.push(rest.slice(5));
      else if ((m = rest.match(/^END restored=([01])$/))) get(i).restored = m[1] === '1';
      else if ((m = rest.match(/^(AFTER|FINAL)((?: \S+=-?[0-9]+)*)$/)) && (m[1] === 'FINAL' || m[2])) {
        const kvs: Record<string, number> = {};
        for (const kv of m[2]!.trim().split(' ').filter(Boolean))
          kvs[kv.slice(0, kv.indexOf('='))] = Number(kv.slice(kv.indexOf('=') + 1));
        if (m[1] === 'AFTER') get(i).after = kvs;
        else get(i).final = kvs;
      } else garbled.push(raw);
    } else garbled.push(raw);
  }
  return {
    ...(release ? { release } : {}),
    started,
    finished,
    ...(next !== undefined ? { next } : {}),
    scripts,
    garbled,
  };
}
