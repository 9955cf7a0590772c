/** The generated HTML docs open from file:// in chromium, with the spec diagrams drawn by Mermaid. */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../subsystems/index.js';
import { haveChromium, openBrowser, type Browser } from './chromium.js';

const root = resolve(__dirname, '../..');
const shots = resolve(process.env['MMCHECK_SCREENSHOTS'] ?? mkdtempSync(join(tmpdir(), 'mmcheck-docs-shots-')));
mkdirSync(shots, { recursive: true });

describe.skipIf(!haveChromium())('generated HTML docs in chromium', () => {
  let b: Browser;
  beforeAll(async () => {
    b = await openBrowser({ width: 1200, height: 900 });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('every subsystem page opens from file:// and draws its spec machine', async () => {
    for (const sub of registry) {
      const page = join(root, 'docs', 'subsystems', `${sub.name}.html`);
      expect(existsSync(page), `${page} (run npm run docs)`).toBe(true);
      await b.page.goto(pathToFileURL(page).href + '#spec-machine');
      await expect(b.page.locator('h1').textContent()).resolves.toContain(sub.name);
      if (sub.spec) {
        await b.page.waitForSelector('pre.mermaid svg', { timeout: 15_000 });
        expect(await b.page.locator('pre.mermaid svg').count()).toBe(1);
      }
      await b.page.screenshot({ path: join(shots, `docs-${sub.name}.png`) });
    }
    expect(b.errors).toEqual([]);
  });

  it('links between pages work from file://', async () => {
    await b.page.goto(pathToFileURL(join(root, 'docs', 'index.html')).href);
    await b.page.locator('a[href="coverage.html"]').first().click();
    await expect(b.page.locator('h1').textContent()).resolves.toContain('Coverage');
    await b.page.goto(pathToFileURL(join(root, 'docs', 'index.html')).href);
    await b.page.locator(`a[href="subsystems/${registry[0]!.name}.html"]`).click();
    await expect(b.page.locator('h1').textContent()).resolves.toContain(registry[0]!.name);
  });
});
