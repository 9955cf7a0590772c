/**
 * One boot: qemu-system-x86_64 under TCG (no KVM needed), the kernel, an
 * initramfs whose /init is the probe, console on ttyS0 and the probe's
 * protocol on ttyS1, both to files. The probe powers the machine off when
 * done; a boot that does not end in time is killed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools.js';

export interface BootResult {
  readonly console: string;
  readonly probe: string;
  readonly timedOut: boolean;
  readonly seconds: number;
  readonly exitCode: number | null;
}

export interface BootOptions {
  readonly image: string;
  readonly initramfs: string;
  readonly workDir: string;
  readonly cmdline: readonly string[];
  readonly timeoutSeconds: number;
  readonly memoryMiB?: number;
  readonly cpus?: number;
  /** NUMA nodes, the memory split evenly between them (default 1: no -numa options). */
  readonly numaNodes?: number;
  /**
   * MiB of hotpluggable memory per NUMA node (default 0: none): one pc-dimm per node, present at boot,
   * which the kernel adds through ACPI memory hotplug (not boot memory: no memblock allocation sits in it).
   */
  readonly hotplugMiB?: number;
}

/** -m with hotplug slots and one pc-dimm of mib MiB per node (BootOptions.hotplugMiB). */
export function hotplugArgs(nodes: number, memoryMiB: number, mib: number): { m: string; devices: string[] } {
  if (mib <= 0) return { m: String(memoryMiB), devices: [] };
  const devices = Array.from({ length: nodes }, (_, i) => [
    '-object',
    `memory-backend-ram,id=hp${i},size=${mib}M`,
    '-device',
    `pc-dimm,id=dimm${i},memdev=hp${i}${nodes > 1 ? `,node=${i}` : ''}`,
  ]).flat();
  return { m: `${memoryMiB},slots=${nodes},maxmem=${memoryMiB + nodes * mib}M`, devices };
}

/** -numa options for n nodes of memoryMiB / n each; every CPU on node 0. */
export function numaArgs(n: number, memoryMiB: number, cpus: number): string[] {
  if (n <= 1) return [];
  const per = Math.floor(memoryMiB / n);
  return Array.from({ length: n }, (_, i) => [
    '-object',
    `memory-backend-ram,id=mem${i},size=${per}M`,
    '-numa',
    `node,nodeid=${i},memdev=mem${i}${i === 0 ? `,cpus=0-${cpus - 1}` : ''}`,
  ]).flat();
}

export function qemuArgs(o: BootOptions): string[] {
  const hp = hotplugArgs(o.numaNodes ?? 1, o.memoryMiB ?? 512, o.hotplugMiB ?? 0);
  return [
    '-accel',
    'tcg',
    '-m',
    hp.m,
    '-smp',
    String(o.cpus ?? 1),
    ...numaArgs(o.numaNodes ?? 1, o.memoryMiB ?? 512, o.cpus ?? 1),
    ...hp.devices,
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    o.image,
    '-initrd',
    o.initramfs,
    // no_timer_check: under TCG on a loaded host the boot-time IO-APIC timer test can miss its ticks
    // and panic ("IO-APIC + timer doesn't work!"); Documentation/admin-guide/kernel-parameters.txt
    '-append',
    ['console=ttyS0', 'panic=-1', 'oops=panic', 'quiet', 'loglevel=4', 'no_timer_check', ...o.cmdline].join(' '),
    '-serial',
    `file:${join(o.workDir, 'console.log')}`,
    '-serial',
    `file:${join(o.workDir, 'probe.log')}`,
  ];
}

export function boot(o: BootOptions): Promise<BootResult> {
  requireTool('qemu-system-x86_64');
  const t0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('qemu-system-x86_64', qemuArgs(o), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutSeconds * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (f: string): string => {
        try {
          return readFileSync(join(o.workDir, f), 'latin1');
        } catch {
          return '';
        }
      };
      const consoleLog = read('console.log') + (stderr ? `\n[qemu stderr] ${stderr}` : '');
      resolvePromise({
        console: consoleLog,
        probe: read('probe.log'),
        timedOut,
        seconds: (Date.now() - t0) / 1000,
        exitCode: code,
      });
    });
  });
}
