/**
 * kernel/qemu.ts: the qemu command line. A VM with two NUMA nodes (for THP
 * migrate, move_pages needs a node to move to) only where a script needs it.
 */
import { describe, expect, test } from 'vitest';
import { numaArgs, qemuArgs } from '../../kernel/qemu.js';
import { thpProbe } from '../../subsystems/thp/probe.js';

const base = { image: '/k', initramfs: '/i', workDir: '/w', cmdline: [], timeoutSeconds: 1 };

describe('qemu arguments', () => {
  test('one node: no -numa options; two: the memory split in two, every CPU on node 0', () => {
    expect(qemuArgs(base)).not.toContain('-numa');
    expect(numaArgs(2, 512, 2)).toEqual([
      '-object',
      'memory-backend-ram,id=mem0,size=256M',
      '-numa',
      'node,nodeid=0,memdev=mem0,cpus=0-1',
      '-object',
      'memory-backend-ram,id=mem1,size=256M',
      '-numa',
      'node,nodeid=1,memdev=mem1',
    ]);
    expect(qemuArgs({ ...base, numaNodes: 2 }).join(' ')).toContain('-numa node,nodeid=1,memdev=mem1');
  });

  test('THP scripts ask for a second node only when they migrate', () => {
    const params = { nr: 4, mms: 1, kind: 'anon', initial: 'pmd' };
    const fault = { params, steps: [{ op: 'split', args: { sub: 0 } }] };
    const migrate = { params, steps: [{ op: 'migrate', args: { mm: 0 } }] };
    expect(thpProbe.numaNodes!([fault])).toBe(1);
    expect(thpProbe.numaNodes!([fault, migrate])).toBe(2);
  });
});
