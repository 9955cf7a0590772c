/**
 * Self-contained HTML reports: the static viewer (traces/viewer.html) with one
 * trace embedded, so `traces/out/<name>.html` opens offline next to its ITF.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ItfTrace } from './itf.js';
import { formatItf, validateItf } from './itf.js';

const DATA_TAG = '<script type="application/json" id="itf-data"></script>';

/**
 * Where viewer.html lives: next to this module when run from source (tsx), or
 * in the source tree when run from the compiled `dist/traces/`.
 */
export function viewerPath(): string {
  const candidates = [new URL('./viewer.html', import.meta.url), new URL('../../traces/viewer.html', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new Error(`traces/viewer.html not found (looked next to ${fileURLToPath(import.meta.url)})`);
}

/** The viewer page's source. */
export function viewerHtml(): string {
  return readFileSync(viewerPath(), 'utf8');
}

/** JSON safe inside a <script> element: no '<' (so no '</script>' or '<!--'), no U+2028/9. */
export function embedJson(text: string): string {
  return text.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The viewer with `itf` embedded, as one HTML string. `name` is shown in the header. */
export function renderHtmlReport(itf: ItfTrace, name = 'embedded trace', viewer = viewerHtml()): string {
  validateItf(itf);
  if (!viewer.includes(DATA_TAG)) throw new Error('viewer.html has no itf-data placeholder');
  const m = itf['#meta'];
  const title = `mmcheck: ${m.property} (${m.violation.kind}) in ${m.subsystem}/${m.scenario.name}`;
  return viewer
    .replace(/<title>[^<]*<\/title>/, () => `<title>${escapeHtml(title)}</title>`)
    .replace('<body>', () => `<body data-name="${escapeHtml(name)}">`)
    .replace(DATA_TAG, () => `<script type="application/json" id="itf-data">${embedJson(formatItf(itf))}</script>`);
}

/** Write the self-contained HTML report for `itf` to `path` (creating directories). */
export function writeHtmlReport(path: string, itf: ItfTrace): void {
  const name = basename(path).replace(/\.html?$/, '') + '.itf.json';
  const html = renderHtmlReport(itf, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
}
