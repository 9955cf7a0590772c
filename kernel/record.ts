/**
 * The committed record of what reproduced where (docs/findings.json), which
 * the docs generator (`npm run docs`) turns into docs/findings.md. One entry per target
 * (subsystem/scenario or file), one verdict per kernel release; rewriting an
 * entry replaces that kernel's verdict, so the file stays small and diffable.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ResolvedKernel } from './types.js';

export interface KernelRecordEntry {
  readonly request: string;
  readonly release: string;
  readonly package?: string;
  readonly modelVersion: string;
  readonly verdict: string;
}

export interface FindingRecord {
  readonly subsystem: string;
  readonly target: string;
  reproducer: string;
  kernels: KernelRecordEntry[];
}

export function readRecord(file: string): FindingRecord[] {
  if (!existsSync(file)) return [];
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON list of findings`);
  return raw as FindingRecord[];
}

export function recordVerdict(
  file: string,
  v: { subsystem: string; target: string; kernel: ResolvedKernel; verdict: string; reproducer: string },
): void {
  const all = readRecord(file);
  let e = all.find((x) => x.subsystem === v.subsystem && x.target === v.target);
  if (!e) all.push((e = { subsystem: v.subsystem, target: v.target, reproducer: v.reproducer, kernels: [] }));
  // a target that gained a reproducer (e.g. a finding now marked as a race) names it; '' never hides an older one
  else if (v.reproducer) e.reproducer = v.reproducer;
  const entry: KernelRecordEntry = {
    request: v.kernel.request,
    release: v.kernel.release,
    ...(v.kernel.debianPackage ? { package: v.kernel.debianPackage } : {}),
    modelVersion: v.kernel.modelVersion,
    verdict: v.verdict,
  };
  e.kernels = [...e.kernels.filter((k) => k.request !== entry.request), entry].sort((a, b) =>
    a.request.localeCompare(b.request),
  );
  all.sort((a, b) => `${a.subsystem}/${a.target}`.localeCompare(`${b.subsystem}/${b.target}`));
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}
