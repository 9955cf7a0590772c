/**
 * The op -> C compiler: a batch of scripts becomes one C program (the probe)
 * made of the generic runtime (kernel/probe/runtime.c), the subsystem's C
 * helpers and, per script, a run function that sets up the pool and mounts
 * and executes each step in the process that owns it. The same source,
 * compiled for the host, is the standalone C reproducer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { injectionsAt, moduleParams } from './inject.js';
import type { KernelMapping, KernelScript } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The runtime source; from dist/ the .c file stays in the source tree. */
export function runtimeSource(): string {
  for (const p of [join(here, 'probe', 'runtime.c'), join(here, '..', '..', 'kernel', 'probe', 'runtime.c')]) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      /* try the next location */
    }
  }
  throw new Error('kernel/probe/runtime.c not found');
}

/** C string literal (for comments and messages). */
const cComment = (s: string): string => s.replace(/\*\//g, '* /');

/**
 * The body that runs the steps: in order, or (concurrent) one pthread per model
 * thread, then, once every thread joined, one more observation (the FINAL line:
 * the race's outcome, compared with the counterexample's predicted final state).
 */
function runBody(m: KernelMapping<any>, s: KernelScript, i: number): string {
  const c = s.concurrency;
  if (!c) return `\tfor (int k = 0; k < ${s.steps.length}; k++)\n\t\trun_in(s${i}_task(k), k);`;
  const at: number[] = [0];
  for (const a of c.after) at.push(at[at.length - 1]! + a.length);
  const flat = c.after.flat();
  return [
    `\tstatic const int thr[] = { ${c.threadOf.join(', ')} };`,
    `\tstatic const int after[] = { ${flat.length ? flat.join(', ') : '0'} };`,
    `\tstatic const int after_at[] = { ${at.join(', ')} };`,
    `\tstatic const struct conc c = { ${Math.max(...c.threadOf) + 1}, ${s.steps.length}, thr, after, after_at, s${i}_task };`,
    `\trun_concurrent(&c);`,
    `\tobs_reset();`,
    `\t${m.observe}`,
    `\tfinal_line();`,
  ].join('\n');
}

/** The C that loads kernel/inject/mmcheck_inject.ko for step k's injections (kernel/inject.ts), or ''. */
function injectArm(m: KernelMapping<any>, s: KernelScript, k: number, release: string | undefined): string {
  const at = injectionsAt(s, k);
  if (at.length === 0) return '';
  const sites = at.map((x) => {
    const ks = release === undefined ? 'no kernel release' : (m.injectSite?.(x.site, release) ?? 'no injectSite');
    if (typeof ks === 'string') throw new Error(`step ${k}: cannot inject at ${x.site}: ${ks}`);
    return { k: ks, nth: x.nth };
  });
  const what = at.map((x, j) => `${x.site} #${x.nth} -> ${sites[j]!.k.sym}`).join(', ');
  return `/* injected: ${cComment(what)} */ inject_arm(${at.length}, "${moduleParams(sites)}");`;
}

function scriptFunctions(m: KernelMapping<any>, s: KernelScript, i: number, release: string | undefined): string {
  const cases = s.steps.map((st, k) => {
    const args = JSON.stringify(st.args);
    const arm = injectArm(m, s, k, release);
    return [
      `\tcase ${k}: { /* ${cComment(`${st.op} ${args}`)} */`,
      `\t\tconst char *ret = "ok"; int bus = 0;`,
      ...(arm ? [`\t\t${arm}`] : []),
      `\t\t${m.step(st.op, st.args, s.params)}`,
      ...(arm ? [`\t\tinject_disarm();`] : []),
      `\t\t${m.observe}`,
      ...(arm ? [`\t\tinject_obs();`] : []),
      `\t\tstep_line(${k}, ret, bus);`,
      `\t\tbreak;`,
      `\t}`,
    ].join('\n');
  });
  const tasks = s.steps.map((st, k) => `\tcase ${k}: return ${m.task(st.op, st.args)};`);
  const swap = m.needsSwap?.(s) ?? false;
  return [
    `static void s${i}_step(int k)\n{\n\tswitch (k) {\n${cases.join('\n')}\n\t}\n}`,
    `static int s${i}_task(int k)\n{\n\tswitch (k) {\n${tasks.join('\n')}\n\t}\n\treturn 0;\n}`,
    `static void s${i}_run(void)\n{\n\tcur_step = s${i}_step;\n${swap ? `\tswap_on(${i});\n` : ''}${indent(m.setup(s.params, i))}\n${runBody(m, s, i)}\n}`,
    // swap goes off once the script's processes are gone; a swapoff that fails damages the batch (reboot)
    `static int s${i}_restore(void)\n{\n${swap ? `\tif (!swap_off(${i}))\n\t\treturn 0;\n` : ''}${indent(m.restore(s.params, i))}\n}`,
  ].join('\n\n');
}

const indent = (s: string): string =>
  s
    .split('\n')
    .map((l) => `\t${l}`)
    .join('\n');

export interface CompileOptions {
  /** A comment placed at the top (the reproducer's expected/observed counters). */
  readonly header?: string;
  /** The kernel release the probe is for: which function an injected failure's site is (KernelMapping.injectSite). */
  readonly release?: string;
}

/** C source of a probe running `scripts` in order. */
export function compileScripts(
  m: KernelMapping<any>,
  scripts: readonly KernelScript[],
  opts: CompileOptions = {},
): string {
  if (scripts.length === 0) throw new Error('compileScripts: no scripts');
  const parts: string[] = [];
  if (opts.header)
    parts.push(
      `/*\n${opts.header
        .split('\n')
        .map((l) => ` * ${cComment(l)}`.trimEnd())
        .join('\n')}\n */`,
    );
  parts.push(runtimeSource(), `/* ---- ${m.subsystem} ---- */`, m.cHelpers);
  scripts.forEach((s, i) => parts.push(scriptFunctions(m, s, i, opts.release)));
  const table = scripts.map((_, i) => `\t{ s${i}_run, s${i}_restore },`).join('\n');
  parts.push(
    `static const struct script scripts[] = {\n${table}\n};`,
    `int main(int argc, char **argv)\n{\n\treturn probe_main(scripts, ${scripts.length}, argc, argv);\n}\n`,
  );
  return parts.join('\n\n');
}

/** Compile C to a static binary with the machine's gcc. Throws with gcc's first error line. */
export function gccStatic(source: string, cFile: string, out: string): void {
  try {
    execFileSync('gcc', ['-static', '-pthread', '-O1', '-w', '-o', out, cFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      input: source,
    });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message;
    const first = err.split('\n').find((l) => /error/.test(l)) ?? err.split('\n')[0];
    throw new Error(`gcc failed on ${cFile}: ${first}`);
  }
}
