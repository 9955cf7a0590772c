/**
 * Self-contained HTML reports: the static viewer (traces/viewer/) with one
 * trace embedded, so `traces/out/<name>.html` opens offline next to its ITF.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ItfTrace } from './itf.js';
import { formatItf, validateItf } from './itf.js';

const DATA_TAG = '<script type="application/json" id="itf-data"></script>';

/** The viewer's files, in the order index.html loads them. */
export const VIEWER_SCRIPTS = ['model.js', 'lanes.js', 'inspector.js', 'app.js'] as const;

/**
 * Where the viewer (traces/viewer/index.html and its scripts) lives: next to this
 * module when run from source (tsx), or in the source tree when run from the
 * compiled `dist/traces/`.
 */
export function viewerDir(): string {
  const candidates = [new URL('./viewer/', import.meta.url), new URL('../../traces/viewer/', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(join(p, 'index.html'))) return p;
  }
  throw new Error(`traces/viewer/index.html not found (looked next to ${fileURLToPath(import.meta.url)})`);
}

/** The viewer's index.html (it loads viewer.css and the scripts from its own folder). */
export function viewerPath(): string {
  return join(viewerDir(), 'index.html');
}

/**
 * The viewer as one self-contained page: index.html with viewer.css and the
 * scripts inlined, so a copy opens from anywhere (file:// included).
 */
export function viewerHtml(): string {
  const dir = viewerDir();
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  let html = read('index.html');
  const css = read('viewer.css');
  // the tags as written or as a formatter leaves them (`<link ... />`, any whitespace); a tag that is
  // not found is an error, so a page that would load its parts over file:// is never written
  html = inlineOnce(
    html,
    /<link\s+rel="stylesheet"\s+href="viewer\.css"\s*\/?>/,
    `<style>\n${css}</style>`,
    'viewer.css',
  );
  for (const f of VIEWER_SCRIPTS) {
    const js = read(f);
    if (/<\/script/i.test(js)) throw new Error(`traces/viewer/${f} contains '</script': it cannot be inlined`);
    const tag = new RegExp(`<script\\s+src="${f.replace(/\./g, '\\.')}"\\s*>\\s*</script>`);
    html = inlineOnce(html, tag, `<script>\n${js}</script>`, f);
  }
  return html;
}

function inlineOnce(html: string, tag: RegExp, content: string, what: string): string {
  if (!tag.test(html)) throw new Error(`traces/viewer/index.html does not load ${what}: it cannot be inlined`);
  return html.replace(tag, () => content);
}

/** JSON safe inside a <script> element: no '<' (so no '</script>' or '<!--'), no U+2028/9. */
export function embedJson(text: string): string {
  return text
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The viewer with `itf` embedded, as one HTML string. `name` is shown in the header. */
export function renderHtmlReport(itf: ItfTrace, name = 'embedded trace', viewer = viewerHtml()): string {
  validateItf(itf, { mmcheck: false });
  if (!viewer.includes(DATA_TAG)) throw new Error('the viewer has no itf-data placeholder');
  const m = itf['#meta'] as Partial<ItfTrace['#meta']> | undefined;
  const title =
    m?.source === 'mmcheck' && m.violation && m.scenario
      ? `mmcheck: ${m.property} (${m.violation.kind}) in ${m.subsystem}/${m.scenario.name}`
      : `mmcheck trace viewer: ${name}`;
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
