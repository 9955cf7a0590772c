/**
 * File and mount lifetimes as the real kernel shows them (the conform runs on
 * Debian 6.1.192 and 6.12.118 that found each case are in the commit log):
 * after umount the mount's names are gone, a remount gives fresh files, a file
 * of a mount that is not mounted does not exist. Implementation and spec
 * must agree on every step.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';
import { FILE_EVENTS, FILE_LIVES, fileStep, flagsOf, lifeOf, mountStep } from '../../spec/hugetlb/lifecycle.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });
const run = (params: object, steps: OpChoice[]) => runScript(hugetlb, { params: parseParams(params), steps }, null);
const rets = (obs: ReturnType<typeof run>) => obs.map((x) => x.impl.ret);
const rsvd = (obs: ReturnType<typeof run>) => obs.map((x) => x.impl.HugePages_Rsvd);

describe('hugetlb lifetimes', () => {
  test('the file lifecycle table: close/unlink only from the states that hold a descriptor/name; umount only when closed', () => {
    const table = Object.fromEntries(FILE_LIVES.map((l) => [l, FILE_EVENTS.map((e) => fileStep(l, e) ?? '-')]));
    expect(table).toEqual({
      open: ['closed', 'open_unlinked', '-', '-', '-'],
      open_unlinked: ['held', '-', '-', '-', '-'],
      closed: ['-', 'held', '-', 'gone', '-'],
      held: ['-', '-', 'gone', '-', '-'],
      gone: ['-', '-', '-', 'gone', 'open'],
    });
    for (const l of FILE_LIVES) expect(lifeOf(flagsOf(l))).toBe(l);
    expect([mountStep('mounted', 'umount'), mountStep('mounted', 'mount'), mountStep('unmounted', 'umount')]).toEqual([
      'unmounted',
      undefined,
      undefined,
    ]);
  });

  test('after umount the names are gone: unlink ENOENT, close EBADF, truncate/mmap EINVAL', () => {
    const obs = run({ pool: 2, fileSize: 2, vmas: 1, mounts: [{ size: -1, min: 1, mounted: true }] }, [
      o('close', { f: 0 }),
      o('umount', { m: 0 }),
      o('unlink', { f: 0 }),
      o('close', { f: 0 }),
      o('truncate', { f: 0, size: 1 }),
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['ok', 'ok', 'ENOENT', 'EBADF', 'EINVAL', 'EINVAL']);
    expect(rsvd(obs)).toEqual([1, 0, 0, 0, 0, 0]);
  });

  test('a linked, closed file with a reservation is evicted by umount; a remount gives a fresh, open file', () => {
    const obs = run({ pool: 2, fileSize: 2, vmas: 1, mounts: [{ size: -1, min: -1, mounted: true }] }, [
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('munmap', { v: 0 }),
      o('close', { f: 0 }),
      o('umount', { m: 0 }),
      o('mount', { m: 0, size: -1, min: -1 }),
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
      o('munmap', { v: 0 }),
      o('truncate', { f: 0, size: 0 }),
      o('unlink', { f: 0 }),
      o('close', { f: 0 }),
      o('umount', { m: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(obs.map((x) => [x.impl.HugePages_Free, x.impl.HugePages_Rsvd])).toEqual([
      [2, 2],
      [1, 1],
      [1, 1],
      [1, 1],
      [2, 0], // kill_sb evicted the page and the reservation
      [2, 0],
      [2, 1], // the fresh file has no reservation: mmap takes one
      [2, 1],
      [2, 0],
      [2, 0],
      [2, 0],
      [2, 0],
    ]);
  });

  test('a file of a mount that is not mounted does not exist until the mount creates it', () => {
    const obs = run({ pool: 1, fileSize: 1, vmas: 1, mounts: [{ size: -1, min: -1, mounted: false }] }, [
      o('close', { f: 0 }),
      o('unlink', { f: 0 }),
      o('mount', { m: 0, size: 1, min: 1 }),
      o('unlink', { f: 0 }),
      o('close', { f: 0 }),
      o('umount', { m: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['EBADF', 'ENOENT', 'ok', 'ok', 'ok', 'ok']);
    expect(rsvd(obs)).toEqual([0, 0, 1, 1, 1, 0]);
  });

  test('umount is EBUSY while the file is open or mapped, and nothing changes', () => {
    const obs = run({ pool: 1, fileSize: 1, vmas: 1 }, [
      o('umount', { m: 0 }),
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
      o('close', { f: 0 }),
      o('umount', { m: 0 }),
      o('unlink', { f: 0 }),
      o('munmap', { v: 0 }),
      o('umount', { m: 0 }),
    ]);
    expect(obs.every((x) => x.agree)).toBe(true);
    expect(rets(obs)).toEqual(['EBUSY', 'ok', 'ok', 'EBUSY', 'ok', 'ok', 'ok']);
  });
});
