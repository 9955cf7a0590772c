/** The serial-log parser: protocol lines from ttyS1, trouble lines from the console. */
import { describe, expect, test } from 'vitest';
import { consoleTrouble, parseProbeLog } from '../../kernel/serial.js';

const good = [
  'MMCHECK UNAME 6.1.0-57-amd64',
  'MMCHECK BEGIN 2 FIRST 0',
  'MMCHECK S 0 BEGIN',
  'MMCHECK S 0 STEP 0 ret=ok sigbus=0 HugePages_Total=2 HugePages_Rsvd=1 spool0_used=1',
  'MMCHECK S 0 STEP 1 ret=SIGBUS sigbus=1 HugePages_Total=2 HugePages_Rsvd=-1',
  'MMCHECK S 0 AFTER HugePages_Total=2 HugePages_Rsvd=-1',
  'MMCHECK S 0 END restored=0',
  'MMCHECK END NEXT 1',
].join('\r\n');

describe('parseProbeLog', () => {
  test('steps, return values, SIGBUS, negative counters (an unsigned underflow), restore state', () => {
    const p = parseProbeLog(good);
    expect(p.release).toBe('6.1.0-57-amd64');
    expect(p.started && p.finished).toBe(true);
    expect(p.next).toBe(1);
    const s = p.scripts.get(0)!;
    expect(s.steps).toEqual([
      { step: 0, ret: 'ok', sigbus: false, counters: { HugePages_Total: 2, HugePages_Rsvd: 1, spool0_used: 1 } },
      { step: 1, ret: 'SIGBUS', sigbus: true, counters: { HugePages_Total: 2, HugePages_Rsvd: -1 } },
    ]);
    expect(s.restored).toBe(false);
    expect(s.after).toEqual({ HugePages_Total: 2, HugePages_Rsvd: -1 });
    expect(p.garbled).toEqual([]);
  });

  test('numeric return values become numbers; serial noise before a marker is skipped', () => {
    const p = parseProbeLog('\u0000junkMMCHECK S 3 STEP 0 ret=7 sigbus=0 a=1\nMMCHECK S 3 END restored=1');
    expect(p.scripts.get(3)!.steps[0]!.ret).toBe(7);
    expect(p.scripts.get(3)!.restored).toBe(true);
    expect(p.started).toBe(false);
  });

  test('a truncated or garbled line is reported, never half-parsed', () => {
    const p = parseProbeLog(
      'MMCHECK S 0 STEP 0 ret=ok sigbus=0 HugePages_Total=2 HugePa\nMMCHECK S 0 STEP 1 ret=ok sigbus=2\nMMCHECK WHAT',
    );
    expect(p.scripts.get(0)?.steps ?? []).toEqual([]);
    expect(p.garbled).toHaveLength(3);
  });

  test('a boot that stopped mid-script: no END line, no restored flag, errors kept', () => {
    const p = parseProbeLog('MMCHECK BEGIN 1 FIRST 0\nMMCHECK S 0 BEGIN\nMMCHECK S 0 ERROR timeout after 60 s\n');
    expect(p.finished).toBe(false);
    expect(p.scripts.get(0)!.restored).toBeUndefined();
    expect(p.scripts.get(0)!.errors).toEqual(['timeout after 60 s']);
  });

  test('the console gives the release when the probe never ran, and panics explain a failed boot', () => {
    const con =
      '[    0.000000] Linux version 6.12.118+deb12-amd64 (debian-kernel@lists.debian.org)\n[    1.2] Kernel panic - not syncing: VFS: Unable to mount root fs\n';
    expect(parseProbeLog('', con).release).toBe('6.12.118+deb12-amd64');
    expect(consoleTrouble(con)).toBe('Kernel panic - not syncing: VFS: Unable to mount root fs');
    expect(consoleTrouble('[ 1.0] all fine\n')).toBeUndefined();
  });
});
