/**
 * The C race loops of finding-uffd-copy-vs-truncate and finding-unmapped-child-survives (session 16, issue 10),
 * judged from the lines Debian 6.12.118 and 6.1.192 printed here. The uffd loop's damage is an underflowed
 * HugePages_Rsvd (18446744073709551615, beyond 2^53): before session 16 the parser dropped such a counter, so the
 * HIT showed nothing. The child loop's damage is a page the marked child kept (kept=1) with no page available to
 * it before the owner's COW (avail=0); a legitimate interleaving SIGBUSes at index 1 and prints no HIT.
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { raceFormOf } from '../../cli/reproduce.js';
import { judgeStress, parseStressLog, raceStressOf } from '../../kernel/race-stress.js';
import { findings } from '../../subsystems/hugetlb/findings.js';

const uffd = raceStressOf(findings.find((f) => f.name === 'finding-uffd-copy-vs-truncate')!)!;
const child = raceStressOf(findings.find((f) => f.name === 'finding-unmapped-child-survives')!)!;

const UFFD_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=2000 secs=170 cpus=2 control=0 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE HIT iter=2 at=truncate Total=2 Free=1 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE HIT iter=2 at=fault Total=2 Free=1 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE HIT iter=2 at=close Total=2 Free=2 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE AFTER Total=2 Free=2 Rsvd=18446744073709551615 Surp=2 nr_hugepages=0
MMCHECK RACE END iters=2 stop=hit inside=2 copied=0 efault=2 other=0 unreserved=1 readings=13 hit=1 ms=463
`;
const UFFD_CONTROL_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=300 secs=170 cpus=2 control=1 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=300 stop=iterations inside=0 copied=150 efault=150 other=0 unreserved=0 readings=0 hit=0 ms=4601
`;
/** 6.1.192: the concurrent reader missed the transient underflow, the entry left beyond EOF showed it. */
const UFFD_61 = `MMCHECK UNAME 6.1.0-57-amd64
MMCHECK RACE BEGIN iters=2000 secs=170 cpus=2 control=0 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE HIT iter=1 at=fault Total=2 Free=1 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE HIT iter=1 at=close Total=2 Free=2 Rsvd=18446744073709551615 Surp=0
MMCHECK RACE AFTER Total=2 Free=2 Rsvd=18446744073709551615 Surp=2 nr_hugepages=0
MMCHECK RACE END iters=1 stop=hit inside=1 copied=0 efault=1 other=0 unreserved=1 readings=16 hit=1 ms=554
`;
const CHILD_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=20000 secs=90 cpus=2 control=0 hog=rt Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE HIT iter=235 at=child kept=1 avail=0 present=1 again=1 delay_ns=41700 Total=2 Free=1 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=235 stop=hit overlaps=109 sigbus1=234 ok1=1 marked=235 hit=1 ms=27084
`;
const CHILD_CONTROL_612 = `MMCHECK UNAME 6.12.118+deb12-amd64
MMCHECK RACE BEGIN iters=300 secs=90 cpus=2 control=1 hog=rt Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=300 stop=iterations overlaps=0 sigbus1=300 ok1=0 marked=300 hit=0 ms=30582
`;

describe('finding-uffd-copy-vs-truncate: its race loop', () => {
  test('is marked, its C loop is in the repository, the damage is Rsvd above Free at the window steps', () => {
    expect(existsSync(uffd.c)).toBe(true);
    expect(uffd.shows).toMatchObject({ greater: 'Rsvd', than: 'Free' });
    expect(uffd.shows.at).toEqual(['truncate', 'copy', 'remap', 'fault', 'close']);
    expect(uffd.opens).toBe('inside');
  });

  test('an underflowed HugePages_Rsvd (2^64 - 1) counts: REPRODUCED, quoted as printed', () => {
    const l = parseStressLog(UFFD_612);
    expect(l.hits[0]!.counters.Rsvd).toBeGreaterThan(2 ** 63);
    expect(l.hits[0]!.printed.Rsvd).toBe('18446744073709551615');
    const v = judgeStress(uffd, l, parseStressLog(UFFD_CONTROL_612));
    expect(v.verdict).toBe('REPRODUCED');
    expect(v.hit).toMatchObject({ iter: 2, at: 'truncate' });
    expect(v.why).toContain('Rsvd=18446744073709551615 Surp=0');
    expect(v.why).toMatch(/control run .*300 iterations, not seen/);
    expect(judgeStress(uffd, parseStressLog(UFFD_61), parseStressLog(UFFD_CONTROL_612))).toMatchObject({
      verdict: 'REPRODUCED',
      hit: { iter: 1, at: 'fault' },
    });
  });

  test('the underflow at the set-up mmap is another window; the control showing it: no race needed', () => {
    const atMmap = UFFD_612.replace(/at=(truncate|fault|close)/g, 'at=mmap');
    expect(judgeStress(uffd, parseStressLog(atMmap), parseStressLog(UFFD_CONTROL_612))).toMatchObject({
      verdict: 'INCONCLUSIVE',
      why: expect.stringMatching(/at mmap .*another window/),
    });
    const dirty = UFFD_CONTROL_612.replace(
      'MMCHECK RACE AFTER',
      'MMCHECK RACE HIT iter=7 at=fault Total=2 Free=1 Rsvd=18446744073709551615 Surp=0\nMMCHECK RACE AFTER',
    );
    expect(judgeStress(uffd, parseStressLog(UFFD_612), parseStressLog(dirty)).why).toMatch(/no race needed/);
  });

  test('a loop that never truncated inside a copy is INCONCLUSIVE, one that did and saw nothing NOT REPRODUCED', () => {
    const clean = `MMCHECK RACE BEGIN iters=2000 secs=170 cpus=2 control=0 Total=2 Free=2 Rsvd=0 Surp=0
MMCHECK RACE AFTER Total=0 Free=0 Rsvd=0 Surp=0 nr_hugepages=0
MMCHECK RACE END iters=2000 stop=iterations inside=0 copied=1000 efault=1000 other=0 unreserved=0 readings=0 hit=0 ms=90000
`;
    expect(judgeStress(uffd, parseStressLog(clean)).why).toMatch(/never opened its window \(inside=0/);
    expect(judgeStress(uffd, parseStressLog(clean.replace('inside=0', 'inside=700'))).verdict).toBe('NOT REPRODUCED');
  });
});

describe('finding-unmapped-child-survives: its race loop', () => {
  test('is marked, its C loop is in the repository, its default form boots a fully preemptible kernel', () => {
    expect(existsSync(child.c)).toBe(true);
    expect(child.shows).toMatchObject({ greater: 'kept', than: 'avail', at: ['child'] });
    expect(raceFormOf(child, undefined)).toMatchObject({
      name: 'preempt',
      env: { MMCHECK_HOG: 'rt' },
      kernelArgs: ['preempt=full'],
    });
    expect(raceFormOf(child, 'plain')?.kernelArgs).toBeUndefined();
  });

  test('the marked child keeping a page with none available before the COW: REPRODUCED', () => {
    const v = judgeStress(child, parseStressLog(CHILD_612), parseStressLog(CHILD_CONTROL_612));
    expect(v.verdict).toBe('REPRODUCED');
    expect(v.hit).toMatchObject({ iter: 235, at: 'child', counters: { kept: 1, avail: 0, present: 1 } });
  });

  test('a page available to the child before the COW explains its page: no damage', () => {
    const spare = CHILD_612.replace('avail=0', 'avail=1');
    expect(judgeStress(child, parseStressLog(spare), parseStressLog(CHILD_CONTROL_612))).toMatchObject({
      verdict: 'INCONCLUSIVE',
      why: expect.stringMatching(/do not show the damage/),
    });
  });
});

describe('race forms with kernel parameters', () => {
  test('kernelArgs must be name=value words', () => {
    const form = (kernelArgs: unknown) => ({
      race: { ...child, forms: [{ name: 'a', env: {}, kernelArgs, says: '' }] },
    });
    expect(raceStressOf(form(['preempt=full', 'nokaslr=1']))?.forms?.[0]?.kernelArgs).toEqual([
      'preempt=full',
      'nokaslr=1',
    ]);
    for (const bad of [['preempt full'], ['Preempt=full'], ['init=/bin/sh x'], 'preempt=full', [1]])
      expect(() => raceStressOf(form(bad))).toThrow(/kernelArgs/);
  });
});
