/** `mmcheck view TRACE`: writes the viewer with the trace inside and prints its path. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Schema } from '../../checker/schema.js';
import { main } from '../../cli/mmcheck.js';
import { htmlPathFor } from '../../cli/view.js';
import { formatItf, parseItf, toItf } from '../../traces/itf.js';
import * as f from './fixtures.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), isTTY: false } };
}

const itf = toItf(f.result(), { implSchema: f.poolSchema as unknown as Schema<unknown>, scenario: f.scenario });

describe('mmcheck view', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-view-'));
  const trace = join(dir, 'hugetlb-x.itf.json');
  writeFileSync(trace, formatItf(itf));

  it('writes NAME.html next to NAME.itf.json with the trace and the scripts inlined, and prints the path', async () => {
    const o = io();
    expect(await main(['view', trace], o.io)).toBe(0);
    expect(o.out).toEqual([join(dir, 'hugetlb-x.html')]);
    const html = readFileSync(join(dir, 'hugetlb-x.html'), 'utf8');
    const data = /<script type="application\/json" id="itf-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(parseItf(data)).toEqual(itf);
    expect(html).not.toMatch(/<script src=|<link rel="stylesheet"/); // self-contained: opens from anywhere
    expect(html).toContain('MMV.Lanes');
  });

  it('--out chooses the page; a foreign (non-mmcheck) ITF trace is accepted', async () => {
    const foreign = join(dir, 'quint.itf.json');
    writeFileSync(foreign, JSON.stringify({ '#meta': { source: 'quint' }, vars: ['x'], states: [{ x: 1 }, { x: 2 }] }));
    const o = io();
    const out = join(dir, 'sub', 'q.html');
    expect(await main(['view', foreign, '--out', out], o.io)).toBe(0);
    expect(o.out).toEqual([out]);
    expect(readFileSync(out, 'utf8')).toContain('"source": "quint"');
  });

  it('bad input: one line, exit 2', async () => {
    for (const [argv, msg] of [
      [['view'], 'usage: mmcheck view'],
      [['view', join(dir, 'none.itf.json')], 'does not exist'],
      [['view', trace, '--bogus'], "unknown option '--bogus'"],
      [['view', trace, '--out', trace], 'overwrite the trace'],
    ] as const) {
      const o = io();
      expect(await main([...argv], o.io)).toBe(2);
      expect(o.err.join('\n')).toContain(msg);
      expect(o.err).toHaveLength(1);
    }
    const bad = join(dir, 'bad.itf.json');
    writeFileSync(bad, '{"vars": ["x"]}');
    const o = io();
    expect(await main(['view', bad], o.io)).toBe(2);
    expect(o.err[0]).toMatch(/bad\.itf\.json: not an ITF trace: missing "states"/);
  });

  it('names the page after the trace', () => {
    expect(htmlPathFor('a/b/c.itf.json')).toBe(join('a/b', 'c.html'));
    expect(htmlPathFor('c.json')).toBe('c.html');
  });
});
