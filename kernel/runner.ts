/**
 * KernelBatchRunner on qemu: compiles a batch of scripts into one probe,
 * boots it, and maps the probe's lines back to per-script observations.
 * A script that leaves the pool damaged (the probe's restore check fails)
 * ends the boot; the runner boots again for the scripts after it, so no
 * script ever starts on a pool another script broke.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScripts, gccStatic } from './compile.js';
import { packInitramfs } from './initramfs.js';
import { swapModule } from './modules.js';
import { INJECT_MODULE } from './inject.js';
import { injectModule } from './inject-module.js';
import { boot } from './qemu.js';
import { consoleTrouble, parseProbeLog, type ParsedScript } from './serial.js';
import { requireStaticLibc, requireTool } from './tools.js';
import type {
  KernelBatchOutcome,
  KernelBatchRunner,
  KernelMapping,
  KernelScript,
  KernelScriptResult,
  ResolvedKernel,
} from './types.js';

export interface QemuRunnerOptions {
  /** Subsystem name -> its kernel mapping. */
  readonly mappings: Readonly<Record<string, KernelMapping<any>>>;
  readonly workDir?: string;
  /** Seconds per boot before a script starts, plus per script. */
  readonly bootSeconds?: number;
  readonly perScriptSeconds?: number;
  readonly log?: (s: string) => void;
}

/** What a script's result carries besides its steps: the counters after restore, a race's final counters. */
const extras = (
  ps: ParsedScript,
): { after?: Record<string, number>; final?: Record<string, number>; notes?: string[] } => ({
  ...(ps.after ? { after: ps.after } : {}),
  ...(ps.final ? { final: ps.final } : {}),
  ...(ps.notes.length ? { notes: ps.notes } : {}),
});

/**
 * The scripts of a batch that boot together (indices, in order): one group per node count
 * (KernelMapping.exactNodes) and per hotplugged memory. A script that offlines memory boots with a
 * DIMM onlined movable, where huge pages are then allocated, and a long-term pin of a page there
 * migrates it first (FOLL_LONGTERM), so the other scripts boot without it.
 */
export function bootGroups(m: KernelMapping<any>, scripts: readonly KernelScript[]): number[][] {
  const key = (s: KernelScript): number =>
    (m.exactNodes && m.numaNodes ? m.numaNodes([s]) : 0) * 1e6 + (m.hotplugMiB?.([s]) ?? 0);
  const keys = scripts.map(key);
  return [...new Set(keys)].sort((a, b) => a - b).map((n) => scripts.flatMap((_, i) => (keys[i] === n ? [i] : [])));
}

export class QemuBatchRunner implements KernelBatchRunner {
  /** Boots done and their wall time, for reports. */
  readonly boots: { seconds: number; scripts: number }[] = [];
  private release?: string;
  constructor(
    readonly kernel: ResolvedKernel,
    private readonly opts: QemuRunnerOptions,
  ) {
    requireTool('qemu-system-x86_64');
    requireStaticLibc();
  }

  /** The release the booted kernel reported (uname -r), once a boot ran. */
  get bootedRelease(): string | undefined {
    return this.release;
  }

  async runBatch(subsystem: string, scripts: readonly KernelScript[]): Promise<KernelBatchOutcome> {
    const m = this.opts.mappings[subsystem];
    if (!m) throw new Error(`no kernel mapping for subsystem '${subsystem}'`);
    const groups = bootGroups(m, scripts);
    if (groups.length <= 1) return this.runBoots(m, scripts);
    const results: KernelScriptResult[] = [];
    let seconds = 0;
    for (const idx of groups) {
      const r = await this.runBoots(
        m,
        idx.map((i) => scripts[i]!),
      );
      if (r.kind !== 'ran') return r;
      r.results.forEach((x, k) => (results[idx[k]!] = x));
      seconds += r.seconds;
    }
    return { kind: 'ran', results, seconds };
  }

  /** Why a script's injected failures cannot be made on this kernel (no kernel function for a site), or undefined. */
  private cannotInject(m: KernelMapping<any>, s: KernelScript): string | undefined {
    for (const x of s.injections ?? []) {
      const k = m.injectSite
        ? m.injectSite(x.site, this.kernel.release)
        : `${m.subsystem} names no kernel injection sites`;
      if (typeof k === 'string') return `injected failure at ${x.site} on ${this.kernel.release}: ${k}`;
    }
    return undefined;
  }

  /** The probe of a batch compiled for this kernel, packed with the modules it loads; returns the initramfs path. */
  private initramfs(m: KernelMapping<any>, scripts: readonly KernelScript[], dir: string): string {
    const src = compileScripts(m, scripts, { release: this.kernel.release });
    const cFile = join(dir, 'probe.c');
    writeFileSync(cFile, src);
    gccStatic(src, cFile, join(dir, 'probe'));
    const initrd = join(dir, 'initramfs.cpio');
    writeFileSync(initrd, packInitramfs(readFileSync(join(dir, 'probe')), this.moduleFiles(m, scripts)));
    return initrd;
  }

  /** The kernel modules a batch's initramfs carries beside the probe. */
  private moduleFiles(m: KernelMapping<any>, scripts: readonly KernelScript[]): { name: string; data: Buffer }[] {
    // a swap device only for a batch with a script that needs one (its module, when brd is one: kernel/modules.ts)
    const brd = scripts.some((s) => m.needsSwap?.(s)) ? swapModule(this.kernel) : undefined;
    const extra = brd ? [{ name: 'brd.ko', data: readFileSync(brd) }] : [];
    // an injected failure: the module built for this kernel (kernel/inject-module.ts; missing headers: one line, exit 2)
    if (scripts.some((s) => s.injections?.length))
      extra.push({ name: INJECT_MODULE, data: readFileSync(injectModule(this.kernel)) });
    return extra;
  }

  /** Boot (and reboot after a damaged pool) until every script of a batch ran. */
  private async runBoots(m: KernelMapping<any>, scripts: readonly KernelScript[]): Promise<KernelBatchOutcome> {
    const t0 = Date.now();
    const results: (KernelScriptResult | undefined)[] = scripts.map((s) => {
      const why = m.unsupported?.(s) ?? this.cannotInject(m, s);
      return why ? { kind: 'error', detail: `not runnable on a kernel: ${why}` } : undefined;
    });
    const runnable = scripts.map((s, i) => ({ s, i })).filter((x) => results[x.i] === undefined);
    if (runnable.length === 0) return { kind: 'ran', results: results as KernelScriptResult[], seconds: 0 };
    const dir = this.opts.workDir ?? mkdtempSync(join(tmpdir(), 'mmcheck-boot-'));
    mkdirSync(dir, { recursive: true });
    const initrd = this.initramfs(
      m,
      runnable.map((x) => x.s),
      dir,
    );
    let first = 0;
    while (first < runnable.length) {
      const left = runnable.length - first;
      // TCG boots in ~10 s on an idle core but several times that on a loaded machine: be generous, a timeout is INCONCLUSIVE
      const timeout = (this.opts.bootSeconds ?? 240) + left * (this.opts.perScriptSeconds ?? 10);
      const b = await boot({
        image: this.kernel.image,
        initramfs: initrd,
        workDir: dir,
        cmdline: [...m.cmdline(runnable.map((x) => x.s)), `MMCHECK_FIRST=${first}`],
        timeoutSeconds: timeout,
        // concurrent scripts race on two virtual CPUs (multi-threaded TCG)
        cpus: runnable.some((x) => x.s.concurrency) ? 2 : 1,
        numaNodes: m.numaNodes?.(runnable.map((x) => x.s)) ?? 1,
        hotplugMiB: m.hotplugMiB?.(runnable.map((x) => x.s)) ?? 0,
      });
      this.boots.push({ seconds: b.seconds, scripts: left });
      const log = parseProbeLog(b.probe, b.console);
      if (log.release) this.release = log.release;
      if (!log.started) {
        const why =
          consoleTrouble(b.console) ?? (b.timedOut ? `no probe output within ${timeout} s` : 'the probe never started');
        return {
          kind: b.timedOut ? 'timeout' : 'boot-failed',
          detail: `${why} (logs in ${dir})`,
          log: b.console.slice(-4000),
        };
      }
      let last = first - 1;
      for (const [idx, ps] of log.scripts) {
        if (idx < first || idx >= runnable.length) continue;
        last = Math.max(last, idx);
        const target = runnable[idx]!.i;
        if (ps.errors.length > 0 || ps.restored === undefined) {
          const why =
            ps.errors.join('; ') ||
            (b.timedOut
              ? 'boot timed out during this script'
              : (consoleTrouble(b.console) ?? 'the kernel stopped during this script'));
          results[target] =
            ps.steps.length && ps.restored !== undefined && ps.errors.every((e) => e.startsWith('task '))
              ? { kind: 'ran', steps: ps.steps, poolRestored: ps.restored, ...extras(ps) }
              : { kind: 'error', detail: why };
        } else
          results[target] = {
            kind: 'ran',
            steps: ps.steps,
            poolRestored: ps.restored,
            ...extras(ps),
          };
      }
      const next = log.finished && log.next !== undefined ? log.next : last + 1;
      if (next <= first)
        return { kind: 'boot-failed', detail: 'the probe made no progress', log: b.console.slice(-4000) };
      first = next;
    }
    const out = results.map((r) => r ?? { kind: 'error' as const, detail: 'no output for this script' });
    // a boot directory of our own is removed once everything ran; failures keep it (its logs explain them)
    if (!this.opts.workDir && !process.env.MMCHECK_KEEP_BOOT) rmSync(dir, { recursive: true, force: true });
    return { kind: 'ran', results: out, seconds: (Date.now() - t0) / 1000 };
  }
}
