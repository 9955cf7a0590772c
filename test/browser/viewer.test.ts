/**
 * The trace viewer in a real browser (Debian's chromium through playwright-core):
 * a real hugetlb counterexample (H11), keys, filters, toggles, the three ways of
 * opening a trace, and a 10,000-step trace. Every test takes a screenshot
 * (into $MMCHECK_SCREENSHOTS, default a temp dir) and asserts on the page.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { renderHtmlReport, viewerPath } from '../../traces/html.js';
import { toItf, type ItfTrace } from '../../traces/itf.js';
import { findSubsystem } from '../../subsystems/index.js';
import { bigTrace } from './big-trace.js';
import { haveChromium, openBrowser, type Browser } from './chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-viewer-'));
const shots = resolve(process.env['MMCHECK_SCREENSHOTS'] ?? join(dir, 'shots'));
mkdirSync(shots, { recursive: true });

function realTrace(): ItfTrace {
  const sub = findSubsystem('hugetlb')!;
  const scenario = sub.scenarios.find((s) => s.name === 'reserve-vs-fault')!;
  const result = checkScenario(sub, scenario, { variant: 'H11' });
  if (!result.violation) throw new Error('hugetlb H11 was not caught on reserve-vs-fault');
  const schema =
    typeof sub.impl.state === 'function'
      ? (sub.impl.state as (p: unknown) => unknown)(scenario.params)
      : sub.impl.state;
  return toItf(result, { implSchema: schema as never, scenario });
}

const run = haveChromium();

describe.skipIf(!run)('trace viewer in chromium', () => {
  let b: Browser;
  let itf: ItfTrace;
  let reportUrl: string;
  let bigPath: string;
  let server: Server;
  let base: string;
  const selected = () => b.page.evaluate(() => Number(document.body.dataset['selected']));
  const shot = (name: string) => b.page.screenshot({ path: join(shots, `${name}.png`) });

  beforeAll(async () => {
    itf = realTrace();
    const report = join(dir, 'hugetlb-reserve-vs-fault-H11.html');
    writeFileSync(report, renderHtmlReport(itf, 'hugetlb-reserve-vs-fault-H11.itf.json'));
    writeFileSync(join(dir, 'h11.itf.json'), JSON.stringify(itf));
    reportUrl = pathToFileURL(report).href;
    bigPath = join(dir, 'big.itf.json');
    writeFileSync(bigPath, JSON.stringify(bigTrace(10_000)));
    const viewerDir = resolve(viewerPath(), '..');
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const file = u.pathname.startsWith('/traces/') ? join(dir, u.pathname.slice(8)) : join(viewerDir, u.pathname);
      try {
        const body = readFileSync(file);
        res.writeHead(200, {
          'content-type': file.endsWith('.html') ? 'text/html' : file.endsWith('.css') ? 'text/css' : 'text/javascript',
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    b = await openBrowser();
  });

  afterAll(async () => {
    await b?.close();
    server?.close();
  });

  it('opens a real counterexample on the violating step, visible and highlighted', async () => {
    await b.page.goto(reportUrl);
    await b.page.waitForSelector('body[data-loaded="true"]');
    const n = itf.states.length - 1;
    expect(await selected()).toBe(n);
    const row = b.page.locator(`#lanes .row[data-step="${n}"]`);
    await expect(row.getAttribute('class')).resolves.toMatch(/\bfailing\b.*\bselected\b|\bselected\b.*\bfailing\b/);
    expect(await row.isVisible()).toBe(true);
    const box = (await row.boundingBox())!;
    const lanes = (await b.page.locator('#lanes').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(lanes.y);
    expect(box.y + 20).toBeLessThanOrEqual(lanes.y + lanes.height);
    // the step sits in its thread's lane: the active cell is column 1 + thread
    const tid = itf.states[n]!['#meta'].thread!;
    expect(
      await row
        .locator(':scope > div')
        .nth(1 + tid)
        .getAttribute('class'),
    ).toContain('act');
    // enum values by name, in the cells of the lane
    await expect(b.page.locator('#lanes').textContent()).resolves.toMatch(/impl\.vma\[0\]\.st: creating → live/);
    await expect(b.page.locator('#inspector h2').textContent()).resolves.toContain(`step ${n}`);
    await expect(b.page.locator('#inspector table.diff').count()).resolves.toBeGreaterThan(0);
    expect(b.errors).toEqual([]);
    await shot('viewer-violation');
  });

  it('j/k move the selection, n/p jump to the changes of the selected field, v/d/g jump', async () => {
    await b.page.goto(reportUrl);
    await b.page.waitForSelector('body[data-loaded="true"]');
    const n = itf.states.length - 1;
    await b.page.keyboard.press('k');
    expect(await selected()).toBe(n - 1);
    await b.page.keyboard.press('k');
    expect(await selected()).toBe(n - 2);
    await b.page.keyboard.press('j');
    expect(await selected()).toBe(n - 1);
    await b.page.keyboard.press('g');
    expect(await selected()).toBe(0);
    await b.page.keyboard.press('j');
    expect(await selected()).toBe(1);
    await b.page.keyboard.press('v');
    expect(await selected()).toBe(n);
    // the steps that change abstract.rsvd, computed from the trace itself
    const rsvd = (i: number) => (itf.states[i]!['abstract'] as Record<string, unknown>)['rsvd'];
    const changes = itf.states.map((_, i) => i).filter((i) => i > 0 && rsvd(i) !== rsvd(i - 1));
    expect(changes.length).toBeGreaterThan(0);
    await b.page.locator('#inspector tr[data-path="abstract.rsvd"]').click();
    expect(await b.page.evaluate(() => document.body.dataset['field'])).toBe('abstract.rsvd');
    await b.page.keyboard.press('g');
    for (const want of changes) {
      await b.page.keyboard.press('n');
      expect(await selected()).toBe(want);
      await expect(b.page.locator(`#lanes .row[data-step="${want}"] .chg.sel-field`).count()).resolves.toBe(1);
    }
    await b.page.keyboard.press('n'); // no further change: stays
    expect(await selected()).toBe(changes[changes.length - 1]);
    if (changes.length > 1) {
      await b.page.keyboard.press('p');
      expect(await selected()).toBe(changes[changes.length - 2]);
    }
    await b.page.keyboard.press('d');
    await expect(b.page.locator(`#lanes .row.diverge`).count()).resolves.toBe(1);
    expect(b.errors).toEqual([]);
    await shot('viewer-keys');
  });

  it('filters by thread and by field', async () => {
    await b.page.goto(reportUrl);
    await b.page.waitForSelector('body[data-loaded="true"]');
    const n = itf.states.length - 1;
    const threadOf = (i: number) => itf.states[i]!['#meta'].thread;
    await b.page.locator('#threads input[data-thread="1"]').uncheck();
    await b.page.keyboard.press('g');
    const shown = await b.page
      .locator('#lanes .row')
      .evaluateAll((rs) => rs.map((r) => Number((r as HTMLElement).dataset['step'])));
    // the initial state, the violating step and the first spec/abstraction divergence stay shown whatever
    // the filter (traces/viewer/lanes.js layout: keepAlways); every other row is thread 0's
    const kept = await b.page
      .locator('#lanes .row.failing, #lanes .row.diverge')
      .evaluateAll((rs) => rs.map((r) => Number((r as HTMLElement).dataset['step'])));
    expect(kept).toContain(n);
    expect(shown.length).toBeGreaterThan(1);
    for (const i of shown) if (i !== 0 && !kept.includes(i)) expect(threadOf(i)).toBe(0);
    const t1Steps = itf.states.map((_, i) => i).filter((i) => i > 0 && !kept.includes(i) && threadOf(i) === 1);
    expect(t1Steps.length).toBeGreaterThan(0);
    for (const i of t1Steps) expect(shown).not.toContain(i);
    await b.page.locator('#threads input[data-thread="1"]').check();
    await b.page.locator('#field-filter').fill('abstract.rsvd');
    const chips = await b.page
      .locator('#lanes .chg')
      .evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset['path']));
    expect(chips.length).toBeGreaterThan(0);
    for (const p of chips) expect(p).toContain('abstract.rsvd');
    const rows = await b.page.locator('#lanes .row').count();
    expect(rows).toBeLessThan(n + 1);
    const paths = await b.page
      .locator('#inspector table.state tr')
      .evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset['path']));
    for (const p of paths) expect(p).toContain('abstract.rsvd');
    await shot('viewer-filter');
  });

  it('hides idle threads and zero locals by default, shows them with the toggle', async () => {
    await b.page.goto(reportUrl);
    await b.page.setInputFiles('#file', bigPath);
    await b.page.waitForFunction(
      () => document.title.includes('refinement') && document.getElementById('fname')!.textContent === 'big.itf.json',
    );
    await b.page.keyboard.press('g');
    await b.page.keyboard.press('j');
    await b.page.keyboard.press('j');
    await b.page.keyboard.press('j');
    await b.page.keyboard.press('j'); // step 4: T1 starts with local x = 0
    expect(await selected()).toBe(4);
    const chips4 = () =>
      b.page
        .locator('#lanes .row[data-step="4"] .chg')
        .evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset['path']));
    expect(await chips4()).not.toContain('T1.locals.x');
    const idleRows = () => b.page.locator('#inspector tr[data-path^="T0"]').count();
    expect(await idleRows()).toBe(0);
    await b.page.locator('#opt-zero').check();
    expect(await chips4()).toContain('T1.locals.x');
    expect(await idleRows()).toBeGreaterThan(0);
    await shot('viewer-zero-locals');
  });

  it('loads a 10,000-step trace with the file picker and keeps the DOM small', async () => {
    await b.page.goto(pathToFileURL(viewerPath()).href);
    await b.page.setInputFiles('#file', bigPath);
    await b.page.waitForSelector('body[data-loaded="true"]');
    expect(await selected()).toBe(10_000);
    expect(await b.page.locator('#lanes .row[data-step="10000"]').isVisible()).toBe(true);
    // virtualized: only the rows near the viewport exist
    expect(await b.page.locator('#lanes .row').count()).toBeLessThan(100);
    await b.page.keyboard.press('g');
    expect(await selected()).toBe(0);
    for (let k = 0; k < 5; k++) await b.page.keyboard.press('j');
    expect(await selected()).toBe(5);
    await b.page.locator('#lanes').evaluate((e) => (e.scrollTop = e.scrollHeight / 2));
    await b.page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#lanes .row')].map((r) => Number((r as HTMLElement).dataset['step']));
      return rows.some((i) => i > 4000 && i < 6000);
    });
    expect(await b.page.locator('#lanes .row').count()).toBeLessThan(100);
    await b.page.keyboard.press('G');
    expect(await selected()).toBe(10_000);
    expect(b.errors).toEqual([]);
    await shot('viewer-10k');
  });

  it('opens a dropped file from file://', async () => {
    await b.page.goto(pathToFileURL(viewerPath()).href);
    const text = JSON.stringify(itf);
    await b.page.evaluate((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], 'dropped.itf.json', { type: 'application/json' }));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await b.page.waitForSelector('body[data-loaded="true"]');
    await expect(b.page.locator('#fname').textContent()).resolves.toBe('dropped.itf.json');
    expect(await selected()).toBe(itf.states.length - 1);
    await shot('viewer-drop');
  });

  it('?trace= fetches when served and explains itself from file://', async () => {
    await b.page.goto(`${base}/index.html?trace=/traces/h11.itf.json`);
    await b.page.waitForSelector('body[data-loaded="true"]');
    expect(await selected()).toBe(itf.states.length - 1);
    await shot('viewer-served');
    await b.page.goto(`${pathToFileURL(viewerPath()).href}?trace=h11.itf.json`);
    await expect(b.page.locator('#error').textContent()).resolves.toContain('mmcheck view');
    expect(await b.page.locator('#error').isVisible()).toBe(true);
    await b.page.goto(`${base}/index.html?trace=/traces/missing.itf.json`);
    await expect(b.page.locator('#error').textContent()).resolves.toContain('HTTP 404');
  });
});
