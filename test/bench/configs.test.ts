/** The bench finds its reference models (or says where it looked), parses Rumur, and builds every real configuration. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CONFIGS, loadConfig } from '../../bench/configs.js';
import { locateModels, parseRumur } from '../../bench/models.js';
import { menu } from '../../checker/types.js';

describe('bench models and configurations', () => {
  test('--models DIR is used when it holds the models; otherwise every place looked at is listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-models-'));
    expect(locateModels('/nonexistent/repo', dir)).toEqual({ looked: [dir] });
    writeFileSync(join(dir, 'hugetlb-toy.pml'), '/* model */');
    expect(locateModels('/nonexistent/repo', dir).dir).toBe(dir);
    const none = locateModels('/nonexistent/repo');
    expect(none.looked).toContain('/nonexistent/repo/bench/models');
  });

  test("parses Rumur's summary", () => {
    const out = 'Status:\n\n\tNo error found.\n\nState Space Explored:\n\n\t11909 states, 29879 rules fired in 1s.\n';
    expect(parseRumur(out)).toEqual({ states: 11909, transitions: 29879, errors: 0 });
    expect(parseRumur('Status:\n\n\t1 error found.\n\n\t12 states, 30 rules fired in 0s.')!.errors).toBe(1);
    expect(parseRumur('\t\t10000 states, 22372 rules fired in 0s.\n' + out)!.states).toBe(11909);
    expect(parseRumur('rumur: syntax error')).toBeUndefined();
  });

  test.each(CONFIGS.filter((c) => c.real).map((c) => [c.name, c] as const))(
    '%s builds a menu scenario of its subsystem',
    async (_n, c) => {
      const got = await loadConfig(c, join(__dirname, '..', '..', 'bench'));
      if (typeof got === 'string') throw new Error(got);
      expect(got.sub.name).toBe(c.real!.subsystem);
      expect(got.scenario.threads.length).toBeGreaterThanOrEqual(3);
      for (const t of got.scenario.threads) expect(t).toEqual(menu(t[0]!, t.length));
    },
  );

  test('every parallel configuration runs the scenario of its 1-worker baseline', async () => {
    const par = CONFIGS.filter((c) => c.baseline);
    expect(par.length).toBeGreaterThanOrEqual(1);
    for (const c of par) {
      const b = CONFIGS.find((x) => x.name === c.baseline);
      expect(b, c.name).toBeDefined();
      expect(c.workers).toBeGreaterThan(1);
      expect(b!.workers ?? 1).toBe(1);
      const here = join(__dirname, '..', '..', 'bench');
      const [x, y] = await Promise.all([loadConfig(c, here), loadConfig(b!, here)]);
      if (typeof x === 'string' || typeof y === 'string') throw new Error(String(x) + String(y));
      expect(x.scenario).toEqual(y.scenario);
      expect(x.registryModule).toBeDefined();
    }
  });
});
