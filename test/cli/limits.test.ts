/**
 * Honest limits: a step that never returns is stopped by --time-limit and
 * named; SIGINT/SIGTERM print the partial result (INCONCLUSIVE, interrupted),
 * flush the JSON report and exit 3; a heartbeat goes to stderr; clamped flags
 * are reported; the summary's time is wall time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry } from '../fixtures/limits.js';

const registryModule = new URL('../fixtures/limits.ts', import.meta.url).href;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, registry, { registryModule });
  return { code, out, err };
}

function runProcess(
  args: string[],
  signalAfterMs: number,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; out: string; err: string }> {
  const script = fileURLToPath(new URL('../fixtures/run-cli.ts', import.meta.url));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    // signal once the search is under way (the first heartbeat says so)
    let sent = false;
    const send = () => {
      if (!sent) {
        sent = true;
        p.kill(signal);
      }
    };
    p.stderr.on('data', () => {
      if (/running slow\//.test(err)) setTimeout(send, signalAfterMs);
    });
    setTimeout(send, 20000);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('--time-limit stops a step that never returns', () => {
  test('the worker is terminated; INCONCLUSIVE names the step; exit 3', async () => {
    const t0 = Date.now();
    const r = await run(['check', 'hang', '--time-limit', '1', '--heartbeat', '0']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCONCLUSIVE hang\/spins: --time-limit 1 s: step T0 spin\(\) › spin_forever did not return/);
    expect(r.out).toMatch(/NOT exhaustive/);
    expect(Date.now() - t0).toBeLessThan(15000);
  }, 20000);
});

describe('SIGINT and SIGTERM', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig}: partial result, INCONCLUSIVE (interrupted), JSON flushed, exit 3`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mmcheck-sig-'));
      const report = join(dir, 'r.json');
      const r = await runProcess(
        [
          'check',
          'slow',
          '--jobs',
          '1',
          '--heartbeat',
          '1',
          '--reporter',
          `text,json=${report}`.replace('text,', ''),
          '--out',
          dir,
        ],
        1500,
        sig,
      );
      expect(r.code).toBe(3);
      expect(r.err).toMatch(new RegExp(`mmcheck: ${sig}: stopping`));
      const doc = JSON.parse(readFileSync(report, 'utf8'));
      expect(doc.interrupted).toBe(true);
      expect(doc.verdict).toBe('inconclusive');
      expect(doc.exitCode).toBe(3);
      const [first, ...rest] = doc.scenarios;
      expect(first.verdict).toBe('inconclusive');
      expect(first.reason).toMatch(/interrupt/);
      expect(first.result.states).toBeGreaterThan(0);
      expect(first.result.maxDepth).toBeGreaterThan(0);
      expect(rest.map((s: { verdict: string }) => s.verdict)).toEqual(['not-started', 'not-started']);
      expect(r.err).toMatch(/INCONCLUSIVE \(interrupted\)/);
    }, 30000);
  }
});

describe('heartbeat and notes', () => {
  test('a heartbeat line on stderr when it is not a terminal', async () => {
    const r = await runProcess(
      ['check', 'slow', '--scenario', 'long-0', '--jobs', '1', '--heartbeat', '1', '--quiet'],
      1500,
      'SIGINT',
    );
    expect(r.err).toMatch(/^mmcheck: \d+ s, 0\/1 scenarios done; running slow\/long-0 \(/m);
  }, 30000);
  test('--jobs beyond the scenarios is reported as clamped; the summary time is wall time', async () => {
    const r = await run(['check', 'faulty', '--scenario', 'dead-clause', '--jobs', '7', '--allow-vacuous']);
    expect(r.err).toMatch(/note: --jobs 7 clamped to 1: only 1 scenario run/);
    expect(r.out).toMatch(/states in \d+\.\d s wall/);
  }, 20000);
});
