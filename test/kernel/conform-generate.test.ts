/** Seeded generation of conform scripts: determinism, validity, every op of the profile. */
import { describe, expect, it } from 'vitest';
import { parseScript } from '../../checker/scenario-file.js';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { generateScripts, resolveSteps, scriptArbitrary } from '../../kernel/conform/generate.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { predictScript } from '../../kernel/predict.js';

const arb = scriptArbitrary(hugetlbProfile, hugetlb, 10);
const scripts = (seed: number, n: number) => generateScripts(arb, seed, n).map((v) => v.value_.script);

describe('conform script generation', () => {
  it('the same seed gives the same scripts; another seed other scripts', () => {
    const a = scripts(1234, 40);
    expect(scripts(1234, 40)).toEqual(a);
    expect(scripts(1235, 40)).not.toEqual(a);
    // a longer run starts with the same scripts
    expect(scripts(1234, 60).slice(0, 40)).toEqual(a);
  });

  it('every generated script is a valid script file and runnable on a kernel', () => {
    for (const s of scripts(99, 150)) {
      const again = parseScript(hugetlb, JSON.parse(JSON.stringify(s)), 'generated');
      expect(again.steps).toEqual(s.steps);
      expect(again.params).toEqual(s.params);
      expect(hugetlbProbe.unsupported!(s)).toBeUndefined();
      expect(s.steps.length).toBeGreaterThan(0);
    }
  });

  it('covers every op of the profile and every hugetlb op of the language', () => {
    const seen = new Set(scripts(5, 200).flatMap((s) => s.steps.map((x) => x.op)));
    expect([...seen].sort()).toEqual(hugetlbProfile.ops.map((g) => g.op).sort());
    const missing = Object.keys(hugetlb.impl.ops).filter((op) => !seen.has(op) && !(op in hugetlbProfile.internalOps));
    expect(missing).toEqual([]);
  });

  it('memory offline (dissolve) only where the implementation has no huge page in use: the block holds free pages only', () => {
    let dissolves = 0;
    for (const s of scripts(20261501, 150)) {
      const pred = predictScript(hugetlb, hugetlbProbe, s);
      s.steps.forEach((st, i) => {
        if (st.op !== 'dissolve' || i >= pred.length) return;
        dissolves++;
        const pool = (s.params as { pool: number }).pool;
        const before = i > 0 ? pred[i - 1]!.counters : { HugePages_Total: pool, HugePages_Free: pool };
        expect(before['HugePages_Total']! - before['HugePages_Free']!).toBe(0);
      });
    }
    expect(dissolves).toBeGreaterThan(10);
  });

  it('resolves steps against the generation model: faults only on a mapping, fork only of a private one', () => {
    const p = hugetlb.parseParams!({ pool: 2, fileSize: 2, vmas: 2 });
    const steps = resolveSteps(hugetlbProfile, p, [
      { op: 'fault', raw: { v: 0, i: 0, write: true } }, // nothing mapped: dropped
      { op: 'mmap', raw: { v: 5, kind: 'shared', f: 0, from: 1, len: 0 } },
      { op: 'fork', raw: { v: 0, c: 0 } }, // only a shared mapping: dropped
      { op: 'fault', raw: { v: 3, i: 7, write: false } },
      { op: 'mmap', raw: { v: 0, kind: 'private', f: 0, from: 0, len: 1 } },
      { op: 'fork', raw: { v: 0, c: 0 } }, // no free slot left: dropped
    ]);
    expect(steps).toEqual([
      { op: 'mmap', args: { v: 1, kind: 'shared', f: 0, from: 1, to: 2 } },
      { op: 'fault', args: { v: 1, i: 1, write: false } },
      { op: 'mmap', args: { v: 0, kind: 'private', f: 0, from: 0, to: 2 } },
    ]);
  });

  it('mprotect is generated only where the pieces of its split find free slots', () => {
    const p = hugetlb.parseParams!({ pool: 0, fileSize: 3, vmas: 2 });
    const map = { op: 'mmap', raw: { v: 0, kind: 'shared', f: 0, from: 0, len: 2 } };
    const mid = { op: 'mprotect', raw: { v: 0, from: 1, len: 0, ro: true, misalign: 1 } };
    const edge = { op: 'mprotect', raw: { v: 0, from: 0, len: 0, ro: true, misalign: 1 } };
    // [1,2) of [0,3) needs two new slots, one is free: dropped; [0,1) needs one: kept
    expect(resolveSteps(hugetlbProfile, p, [map, mid]).map((s) => s.op)).toEqual(['mmap']);
    expect(resolveSteps(hugetlbProfile, p, [map, edge]).map((s) => s.op)).toEqual(['mmap', 'mprotect']);
    // the same protection changes nothing and splits nothing: kept
    const same = { op: 'mprotect', raw: { ...mid.raw, ro: false } };
    expect(resolveSteps(hugetlbProfile, p, [map, same]).map((s) => s.op)).toEqual(['mmap', 'mprotect']);
  });

  it('a pin with nothing to pin maps a shared file first; shrunk to keep: false, only that mapping stays', () => {
    const p = hugetlb.parseParams!({ pool: 2, fileSize: 2, vmas: 2 });
    const pin = { op: 'pin', raw: { k: 0, v: 0, i: 0 } };
    const fault = { op: 'fault', raw: { v: 0, i: 0, write: true } };
    const full = resolveSteps(hugetlbProfile, p, [pin, fault]);
    expect(full.map((s) => s.op)).toEqual(['mmap', 'pin', 'fault']);
    const shrunk = resolveSteps(hugetlbProfile, p, [{ ...pin, keep: false }, fault]);
    expect(shrunk).toEqual([full[0], full[2]]);
    // an op that applies without setup is simply dropped
    const twice = resolveSteps(hugetlbProfile, p, [pin, { ...pin, raw: { k: 1, v: 0, i: 0 }, keep: false }]);
    expect(twice).toEqual(full.slice(0, 2));
  });

  it("keeps madvise and new mappings off a split-off piece's addresses (the op language's ops act on one VMA)", () => {
    const p = hugetlb.parseParams!({ pool: 2, fileSize: 2, vmas: 3 });
    const steps = resolveSteps(hugetlbProfile, p, [
      { op: 'mmap', raw: { v: 0, kind: 'shared', f: 0, from: 0, len: 1 } },
      { op: 'mprotect', raw: { v: 0, from: 1, len: 0, ro: true, misalign: 1 } }, // the piece [1,2) goes to slot 1
      // through the piece over [0,2): the kernel also advises slot 0's [0,1) at the same addresses
      { op: 'madvise_dontneed', raw: { v: 1, from: 0, len: 1 } },
      { op: 'munmap', raw: { v: 0 } },
      // slot 0 is free but the piece in slot 1 still lives at its addresses: the mmap takes slot 2
      { op: 'mmap', raw: { v: 0, kind: 'shared', f: 0, from: 0, len: 1 } },
    ]);
    expect(steps).toEqual([
      { op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 2 } },
      { op: 'mprotect', args: { v: 0, from: 1, to: 2, ro: true } },
      { op: 'madvise_dontneed', args: { v: 1, from: 1, to: 2 } },
      { op: 'munmap', args: { v: 0 } },
      { op: 'mmap', args: { v: 2, kind: 'shared', f: 0, from: 0, to: 2 } },
    ]);
  });
});

describe('conform script generation for thp', () => {
  it('valid, deterministic scripts over every user-level THP op; the implementation runs them all', async () => {
    const { thpProfile } = await import('../../kernel/conform/arbitraries/thp/index.js');
    const { thp } = await import('../../subsystems/thp/index.js');
    const { runImplSteps } = await import('../../checker/sequential-impl.js');
    const tarb = scriptArbitrary(thpProfile, thp, 10);
    const gen = generateScripts(tarb, 11, 120).map((v) => v.value_.script);
    expect(generateScripts(tarb, 11, 120).map((v) => v.value_.script)).toEqual(gen);
    const seen = new Set<string>();
    for (const s of gen) {
      expect(parseScript(thp, JSON.parse(JSON.stringify(s)), 'generated').steps).toEqual(s.steps);
      const run = runImplSteps(thp, s, null);
      expect(run.stopped).toBeUndefined();
      for (const st of s.steps) seen.add(st.op);
    }
    expect([...seen].sort()).toEqual(thpProfile.ops.map((g) => g.op).sort());
    // every THP op is either generated or named as kernel-internal with the reason
    const generated = new Set(thpProfile.ops.map((g) => g.op));
    expect(Object.keys(thp.impl.ops).filter((op) => !generated.has(op) && !(op in thpProfile.internalOps))).toEqual([]);
  });
});
