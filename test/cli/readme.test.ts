/**
 * Every example in README.md runs as written: each JSON scenario file and
 * script through `mmcheck check --scenario-file` / `mmcheck run --script`, and
 * each concrete `mmcheck ...` command (synopsis lines with placeholders such as
 * SUBSYSTEM or FILE are skipped), with the exit code the README promises.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main([...argv], io);
  return { code, out, err };
}

const jsonBlocks = [...README.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
const commands = [...README.matchAll(/`(?:npx )?(mmcheck [^`]+)`/g)]
  .map((m) => m[1]!.trim())
  .filter((c) => !/\b[A-Z]{3,}\b|\.\.\.|\[|\|/.test(c))
  // a bare command name in prose (`mmcheck run`) names the command, it is not an example
  .filter((c) => !/^mmcheck (run|replay|check|conform|reproduce|simulate|view|list)$/.test(c))
  // nor is a command quoted up to a flag whose value the prose gives (`mmcheck run --script`)
  .filter((c) => !/ --(script|scenario|scenario-file|variant|kernel|kernel-version|out|reporter)$/.test(c));

describe('README examples', () => {
  test('the README has scenario, script and command examples', () => {
    expect(jsonBlocks.length).toBeGreaterThanOrEqual(2);
    expect(commands.length).toBeGreaterThanOrEqual(3);
  });
  jsonBlocks.forEach((text, i) => {
    test(`JSON example ${i + 1} runs and passes`, async () => {
      const doc = JSON.parse(text) as { threads?: unknown; steps?: unknown; subsystem?: string };
      const file = join(mkdtempSync(join(tmpdir(), 'mmcheck-readme-')), 'example.json');
      writeFileSync(file, text);
      const r = doc.steps
        ? await run(['run', doc.subsystem ?? 'hugetlb', '--script', file])
        : await run(['check', '--scenario-file', file, '--heartbeat', '0', '--out', join(file, '..')]);
      expect(r.err.replace(/^mmcheck: 1 scenario run.*\n/m, '')).toBe('');
      expect(r.code).toBe(0);
    }, 60000);
  });
  // in README order: the variant run saves the trace the replay example replays
  test.each(commands.map((c) => [c]))(
    '%s',
    async (command) => {
      const argv = command.split(/\s+/).slice(1);
      const r = await run(argv.includes('check') ? [...argv, '--heartbeat', '0'] : argv);
      const variantRun = argv.includes('--variant') && !argv.includes('none');
      const expected = variantRun || argv[0] === 'replay' ? 1 : 0;
      expect(r.err).not.toMatch(/^mmcheck: (?!note:|1 scenario run)/m);
      expect(r.code).toBe(expected);
    },
    120000,
  );
});
