/**
 * Where the bench finds the reference SPIN (hugetlb-toy.pml) and Rumur
 * (hugetlb-toy.m) models, and how it runs them. The models are part of the
 * repository (bench/models/); `--models DIR` or MMCHECK_BENCH_MODELS point at
 * another copy. Every place looked at is reported when they are not found.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ToyParams } from './toy/model.js';

export interface ModelDir {
  readonly dir?: string;
  readonly looked: readonly string[];
}

export function locateModels(root: string, explicit?: string): ModelDir {
  const cands: string[] = [];
  if (explicit) cands.push(resolve(explicit));
  else {
    if (process.env.MMCHECK_BENCH_MODELS) cands.push(resolve(process.env.MMCHECK_BENCH_MODELS));
    cands.push(resolve(root, 'bench', 'models'));
  }
  const looked = [...new Set(cands)];
  const dir = looked.find((d) => existsSync(join(d, 'hugetlb-toy.pml')) || existsSync(join(d, 'hugetlb-toy.m')));
  return dir ? { dir, looked } : { looked };
}

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

export interface ToolMeasure {
  readonly states: number;
  readonly transitions: number;
  /** The tool's own search time (pan elapsed time; Rumur's), or wall time when it rounds to 0. */
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly statesPerSecond: number;
  /** pan's "total actual memory usage" (Rumur: peak RSS of the checker). */
  readonly memoryMiB: number;
  readonly errors: number;
}

/** Parse pan's summary. */
export function parsePan(out: string): Omit<ToolMeasure, 'wallSeconds' | 'statesPerSecond'> | undefined {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const states = num(/^\s*(\d+) states, stored/m);
  const transitions = num(/^\s*(\d+) transitions \(= stored\+matched\)/m);
  const seconds = num(/pan: elapsed time ([\d.e+-]+) seconds/);
  const memoryMiB = num(/^\s*([\d.]+)\s+total actual memory usage/m);
  const errors = num(/errors: (\d+)/);
  if (states === undefined || transitions === undefined || seconds === undefined) return undefined;
  return { states, transitions, seconds, memoryMiB: memoryMiB ?? NaN, errors: errors ?? 0 };
}

const sh = (dir: string) => (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const tail = (s: string) => s.trim().split('\n').slice(-2).join(' | ');

/** SPIN -DNOREDUCE (no partial-order reduction: every interleaving, as mmcheck explores). Builds pan itself. */
export function runSpin(p: ToyParams, pml: string): ToolMeasure | string {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-spin-'));
  try {
    copyFileSync(pml, join(dir, 'hugetlb-toy.pml'));
    const run = sh(dir);
    const a = run('spin', ['-a', `-DP=${p.P}`, `-DK=${p.K}`, `-DT=${p.T}`, `-DN=${p.N}`, 'hugetlb-toy.pml']);
    if (a.status !== 0) return `spin -a failed: ${tail(a.stderr || a.stdout)}`;
    const c = run('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-w', '-o', 'pan', 'pan.c']);
    if (c.status !== 0) return `gcc failed: ${tail(c.stderr)}`;
    const t0 = performance.now();
    const r = run('./pan', ['-w21']);
    const wall = (performance.now() - t0) / 1000;
    const parsed = parsePan(r.stdout);
    if (!parsed) return `could not parse pan output (exit ${r.status}): ${tail(r.stdout)}`;
    // pan prints elapsed time with 2 decimals; below that, use the wall time.
    const seconds = parsed.seconds > 0.05 ? parsed.seconds : wall;
    return { ...parsed, seconds, wallSeconds: wall, statesPerSecond: parsed.states / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parse the Rumur checker's closing summary. */
export function parseRumur(out: string): { states: number; transitions: number; errors: number } | undefined {
  // progress lines have the same shape: the summary after 'State Space Explored' is the last one
  const all = [...out.matchAll(/(\d+) states, (\d+) rules fired/g)];
  const m = all[all.length - 1];
  if (!m) return undefined;
  return { states: Number(m[1]), transitions: Number(m[2]), errors: /No error found/.test(out) ? 0 : 1 };
}

/** Rumur, one thread; the constants P, K, T, N at the top of the model are rewritten. */
export function runRumur(p: ToyParams, model: string): ToolMeasure | string {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-rumur-'));
  try {
    let text = readFileSync(model, 'utf8');
    for (const [k, v] of Object.entries({ P: p.P, K: p.K, T: p.T, N: p.N })) {
      const re = new RegExp(`^(\\s*${k}:\\s*)\\d+;`, 'm');
      if (!re.test(text)) return `cannot set constant ${k} in ${model}`;
      text = text.replace(re, `$1${v};`);
    }
    writeFileSync(join(dir, 'm.m'), text);
    const run = sh(dir);
    const a = run('rumur', ['--deadlock-detection', 'stuck', '--threads', '1', 'm.m', '--output', 'm.c']);
    if (a.status !== 0) return `rumur failed: ${tail(a.stderr || a.stdout)}`;
    const c = run('cc', ['-std=c11', '-O3', '-mcx16', '-o', 'm', 'm.c', '-lpthread']);
    if (c.status !== 0) return `cc failed: ${tail(c.stderr)}`;
    const t0 = performance.now();
    const timed = existsSync('/usr/bin/time');
    const r = timed
      ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', './m'], {
          cwd: dir,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        })
      : run('./m', []);
    const wall = (performance.now() - t0) / 1000;
    const parsed = parseRumur(r.stdout + r.stderr);
    if (!parsed) return `could not parse Rumur output (exit ${r.status}): ${tail(r.stdout + r.stderr)}`;
    const rss = /MAXRSS (\d+)/.exec(r.stderr);
    return {
      ...parsed,
      seconds: wall,
      wallSeconds: wall,
      statesPerSecond: parsed.states / wall,
      memoryMiB: rss ? Number(rss[1]) / 1024 : NaN,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
