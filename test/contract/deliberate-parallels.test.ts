/**
 * impl/thp-folio deliberately parallels impl/thp (two independently built
 * implementations judged by the same spec). Every module of one that has a
 * counterpart in the other says so and why, as docs/architecture.md asks of a
 * deliberate duplication; anything both eras share for real goes to
 * impl/thp-common instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const FOLIO = join(root, 'impl', 'thp-folio');
const COMPOUND = join(root, 'impl', 'thp');
/** Modules whose counterpart has another name. */
const RENAMED: Readonly<Record<string, string>> = { 'folio.ts': 'page.ts' };
const SAYS_WHY = /^\/\/ Deliberate (copy|parallel) of impl\/thp's [\w-]+\.ts\b.{40,}$/m;

describe('impl/thp-folio parallels impl/thp', () => {
  const parallels = readdirSync(FOLIO).filter((f) => existsSync(join(COMPOUND, RENAMED[f] ?? f)));

  it('has counterparts in impl/thp', () => {
    expect(parallels.length).toBeGreaterThan(10);
  });

  it('says in each parallel module that it is deliberate, naming the counterpart and why', () => {
    const missing = parallels.filter((f) => {
      const m = SAYS_WHY.exec(readFileSync(join(FOLIO, f), 'utf8'));
      return !m || !m[0].includes(`impl/thp's ${RENAMED[f] ?? f}`);
    });
    expect(missing).toEqual([]);
  });
});
