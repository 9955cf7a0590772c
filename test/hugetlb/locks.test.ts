/**
 * impl/hugetlb/context.ts lock helpers: releasing a lock the thread does not
 * hold is a bug in the model, reported as an internal error (lockdep).
 */
import { describe, expect, test } from 'vitest';
import {
  faultMutexLock,
  faultMutexUnlock,
  inodeLock,
  inodeUnlock,
  resizeUnlock,
  type T,
} from '../../impl/hugetlb/context.js';
import { initState } from '../../impl/hugetlb/state.js';
import { InternalError } from '../../impl/lockdep.js';
import { parseParams } from '../../subsystems/hugetlb/index.js';

const params = parseParams({ pool: 1, fileSize: 1, vmas: 1 });
const thread = (tid: number): T => ({ tid }) as unknown as T;

describe('hugetlb lock helpers (lockdep_assert_held)', () => {
  test('inode_unlock by the holder releases; by another thread or twice is an internal error', () => {
    const g = initState(params);
    const f = g.file[0]!;
    inodeLock(f, thread(0));
    expect(() => inodeUnlock(f, thread(1))).toThrow(InternalError);
    inodeUnlock(f, thread(0));
    expect(f.ilock).toBe(0);
    expect(() => inodeUnlock(f, thread(0))).toThrow(/lockdep_assert_held\(inode->i_rwsem\)/);
  });

  test('a fault mutex slot must be held to be released', () => {
    const g = initState(params);
    faultMutexLock(g, 3);
    faultMutexUnlock(g, 3);
    expect(g.fmx).toEqual([]);
    expect(() => faultMutexUnlock(g, 3)).toThrow(InternalError);
  });

  test('h->resize_lock released by a thread that does not hold it', () => {
    const g = initState(params);
    g.resize = 2; // thread 1 holds it
    expect(() => resizeUnlock(g, thread(0))).toThrow(InternalError);
  });
});
