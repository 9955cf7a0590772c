/**
 * kernel/conform/coverage.ts: the summary names every op of the language that
 * conform does not generate, with the reason the profile gives; an op with no
 * C counterpart says so. hugetlb dissolve has one since session 14 (memory
 * offline of a block of a hotplugged pc-dimm, subsystems/hugetlb/probe-c-nodes.ts
 * h_dissolve); conform generates it since session 15 (the op offlines the whole block).
 */
import { describe, expect, test } from 'vitest';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { thpProfile } from '../../kernel/conform/arbitraries/thp/index.js';
import { Coverage } from '../../kernel/conform/coverage.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { hotplugArgs } from '../../kernel/qemu.js';
import { bootGroups } from '../../kernel/runner.js';
import { thp } from '../../subsystems/thp/index.js';

describe('conform coverage summary', () => {
  test('hugetlb dissolve runs on a VM with hotplugged memory onlined movable; conform generates it', () => {
    const p = hugetlb.scenarios[0]!.params as never;
    expect(hugetlbProbe.step('dissolve', {}, p)).toMatch(/h_dissolve\(\)/);
    const script = (op: string) => ({ params: p, steps: [{ op, args: {} }] }) as never;
    expect(hugetlbProbe.hotplugMiB?.([script('dissolve')])).toBe(128);
    expect(hugetlbProbe.hotplugMiB?.([script('set_nr')])).toBe(0);
    expect(hugetlbProbe.cmdline([script('dissolve')])).toContain('memhp_default_state=online_movable');
    expect(hugetlbProbe.cmdline([script('set_nr')])).not.toContain('memhp_default_state=online_movable');
    expect(hotplugArgs(2, 512, 128)).toEqual({
      m: '512,slots=2,maxmem=768M',
      devices: [
        '-object',
        'memory-backend-ram,id=hp0,size=128M',
        '-device',
        'pc-dimm,id=dimm0,memdev=hp0,node=0',
        '-object',
        'memory-backend-ram,id=hp1,size=128M',
        '-device',
        'pc-dimm,id=dimm1,memdev=hp1,node=1',
      ],
    });
    expect(hotplugArgs(1, 512, 0)).toEqual({ m: '512', devices: [] });
    // a batch's dissolve scripts boot apart from the others (a long-term pin on the DIMM would migrate
    // its page first), and one- and two-node scripts apart as before
    const p2 = { ...(p as object), nodePool: 2 };
    const two = { params: p2, steps: [{ op: 'set_nr_node', args: { nid: 1, n: 1 } }] } as never;
    const twoOff = { params: p2, steps: [{ op: 'dissolve', args: {} }] } as never;
    const batch = [script('pin'), script('dissolve'), two, script('set_nr'), twoOff, script('dissolve')];
    expect(bootGroups(hugetlbProbe, batch)).toEqual([[0, 3], [1, 5], [2], [4]]);
    expect(bootGroups(hugetlbProbe, [script('pin'), script('set_nr')])).toEqual([[0, 1]]);
    const lines = new Coverage(hugetlbProfile).render(hugetlb);
    expect(lines.join('\n')).not.toMatch(/not generated: dissolve/);
    expect(lines.join('\n')).toMatch(
      /dissolve \(memory offline of a node block\) only where no huge page can be in use/,
    );
  });

  test('THP force_write, force_read, migrate and populate_read are generated, not listed as missing', () => {
    const lines = new Coverage(thpProfile).render(thp).join('\n');
    for (const op of ['force_write', 'force_read', 'migrate', 'populate_read'])
      expect(lines).not.toMatch(new RegExp(`not generated: ${op} `));
    expect(lines).toMatch(/not generated: collapse \(khugepaged/);
  });
});
