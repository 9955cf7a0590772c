import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Schema } from '../../checker/schema.js';
import { embedJson, renderHtmlReport, viewerHtml, writeHtmlReport } from '../../traces/html.js';
import { parseItf, toItf } from '../../traces/itf.js';
import * as f from './fixtures.js';

const itf = toItf(f.result(), { implSchema: f.poolSchema as unknown as Schema<unknown>, scenario: f.scenario });

function embedded(html: string): string {
  const m = /<script type="application\/json" id="itf-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no itf-data script');
  return m[1]!;
}

describe('HTML viewer and report', () => {
  it('the viewer is a static page: no network resources, a data placeholder, scripts that parse', () => {
    const html = viewerHtml();
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']https?:/i);
    expect(embedded(html)).toBe('');
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(() => new Function(s)).not.toThrow();
    expect(html).toContain("get('trace')"); // ?trace=URL
    expect(html).toContain("addEventListener('drop'");
  });

  it('embeds the trace so that it parses back to the same ITF', () => {
    const html = renderHtmlReport(itf, 'x.itf.json');
    expect(parseItf(embedded(html))).toEqual(itf);
    expect(html).toContain('<title>mmcheck: refinement (refinement) in hugetlb/two-allocs</title>');
    expect(html).toContain('data-name="x.itf.json"');
  });

  it('cannot be broken out of by trace contents', () => {
    const evil = f.result({
      violation: { ...f.violation, message: '</script><script>alert(1)</script> <!-- \u2028' },
    });
    const html = renderHtmlReport(toItf(evil), 'a"b<c');
    const data = embedded(html);
    expect(data).not.toContain('<');
    expect(parseItf(data)['#meta'].violation.message).toBe(evil.violation!.message);
    expect(html).toContain('data-name="a&quot;b&lt;c"');
    expect(embedJson('a</script>')).toBe('a\\u003c/script>');
  });

  it('writeHtmlReport writes a self-contained file', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'mmcheck-html-')), 'out', 'hugetlb-two-allocs.html');
    writeHtmlReport(p, itf);
    const html = readFileSync(p, 'utf8');
    expect(parseItf(embedded(html))).toEqual(itf);
    expect(html).toContain('data-name="hugetlb-two-allocs.itf.json"');
  });
});
