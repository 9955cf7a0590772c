/**
 * The README's viewer screenshots (docs/img/viewer-*.png), taken on a real
 * counterexample: hugetlb variant H11 (commit cf3ad20bfead) on reserve-vs-fault.
 *
 *   npx tsx test/browser/screenshots.ts
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkScenario } from '../../checker/check.js';
import { renderHtmlReport } from '../../traces/html.js';
import { toItf } from '../../traces/itf.js';
import { findSubsystem } from '../../subsystems/index.js';
import { openBrowser } from './chromium.js';

const out = resolve(fileURLToPath(new URL('../../docs/img', import.meta.url)));
mkdirSync(out, { recursive: true });
const sub = findSubsystem('hugetlb')!;
const scenario = sub.scenarios.find((s) => s.name === 'reserve-vs-fault')!;
const result = checkScenario(sub, scenario, { variant: 'H11' });
if (!result.violation) throw new Error('H11 not caught');
const schema =
  typeof sub.impl.state === 'function' ? (sub.impl.state as (p: unknown) => unknown)(scenario.params) : sub.impl.state;
const page = join(mkdtempSync(join(tmpdir(), 'mmcheck-shots-')), 'hugetlb-reserve-vs-fault-H11.html');
writeFileSync(
  page,
  renderHtmlReport(toItf(result, { implSchema: schema as never, scenario }), 'hugetlb-reserve-vs-fault-H11.itf.json'),
);

const b = await openBrowser({ width: 1280, height: 760 });
await b.page.goto(pathToFileURL(page).href);
await b.page.waitForSelector('body[data-loaded="true"]');
await b.page.screenshot({ path: join(out, 'viewer-violation.png') });
// select abstract.rsvd and walk its changes with n
await b.page.locator('#inspector tr[data-path="abstract.rsvd"]').click();
await b.page.keyboard.press('g');
await b.page.keyboard.press('n');
await b.page.locator('#field-filter').fill('rsvd, resv');
await b.page.screenshot({ path: join(out, 'viewer-field.png') });
if (b.errors.length) throw new Error(b.errors.join('\n'));
await b.close();
console.log(`wrote ${join(out, 'viewer-violation.png')}, ${join(out, 'viewer-field.png')}`);
