/**
 * `mmcheck view TRACE.itf.json [--out FILE.html] [--open]`: write the trace
 * viewer with TRACE embedded (one self-contained page that opens from file://,
 * where a page may not read other files) and print its path; --open also
 * hands it to the desktop's browser.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { renderHtmlReport } from '../traces/html.js';
import { readItf } from '../traces/itf.js';
import { parseArgs, UsageError } from './args.js';

export interface ViewOut {
  out(s: string): void;
  err(s: string): void;
}

/** `dir/name.itf.json` -> `dir/name.html` (also for `.json`). */
export function htmlPathFor(trace: string): string {
  const base = basename(trace).replace(/(\.itf)?\.json$/i, '');
  return join(dirname(trace), `${base}.html`);
}

function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return 'explorer';
  return 'xdg-open';
}

/** Start the desktop's opener on `path`; resolves to an error text, or undefined on success. */
function openInBrowser(path: string): Promise<string | undefined> {
  const cmd = opener();
  if (!cmd) return Promise.resolve('no opener for this platform');
  return new Promise((done) => {
    const child = spawn(cmd, [path], { stdio: 'ignore', detached: true });
    child.on('error', (e) => done(`${cmd}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    child.on('spawn', () => {
      child.unref();
      done(undefined);
    });
  });
}

export async function cmdView(argv: string[], io: ViewOut): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { out: { kind: 'string' }, open: { kind: 'bool' } });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck view TRACE.itf.json [--out FILE.html] [--open]');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new UsageError(`trace file '${file}' does not exist`);
  const itf = readItf(file, { mmcheck: false });
  const out = resolve(flags.out === undefined ? htmlPathFor(file) : String(flags.out));
  if (resolve(file) === out) throw new UsageError(`--out ${out} would overwrite the trace itself`);
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderHtmlReport(itf, basename(file)));
  } catch (e) {
    throw new UsageError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.out(out);
  if (flags.open) {
    const why = await openInBrowser(out);
    if (why) io.err(`mmcheck view: could not start a browser (${why}); open ${out} yourself`);
  }
  return 0;
}
