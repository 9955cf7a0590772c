/**
 * Memory offline with per-node pools (impl/hugetlb/dissolve.ts,
 * spec/hugetlb/ops-numa.ts offlineNodePage): a free page of any node may be
 * dissolved while the global pool has a free unreserved page, and it leaves as
 * a surplus page when its node has surplus pages (cb402bbdabca).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { decodeChoice } from '../../spec/hugetlb/choices.js';
import { offlineNodePage } from '../../spec/hugetlb/ops-numa.js';
import { initView } from '../../spec/hugetlb/model.js';
import { parseParams } from '../../subsystems/hugetlb/params.js';

describe('hugetlb memory offline with several nodes', () => {
  test('node-offline-surplus refines the spec; before cb402bbdabca node 1 keeps a surplus page it no longer has', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'node-offline-surplus')!;
    const ok = checkScenario(hugetlb, sc, { variant: null });
    expect(ok.violation).toBeUndefined();
    expect(ok.exhaustive).toBe(true);
    const bad = checkScenario(hugetlb, sc, { variant: 'cb402bbdabca' }).violation;
    expect(bad?.kind).toBe('invariant');
    expect(bad?.property).toBe('surplus-bounded');
  });

  test("the spec: a node loses a surplus page exactly when it has one, and only a node's free page", () => {
    const v = initView(parseParams({ pool: 0, fileSize: 1, vmas: 1, nodePool: 2 }));
    // node 0 one persistent free page, node 1 one free surplus page
    const two = { ...v, total: 2, free: 2, surp: 1, nodes: [1, 0], nodeSurp: [0, 1] };
    const persistent1 = offlineNodePage(two, decodeChoice(4096));
    expect(persistent1).toBeUndefined();
    const surplus1 = offlineNodePage(two, decodeChoice(4096 + 4));
    expect([surplus1?.total, surplus1?.surp, surplus1?.nodes, surplus1?.nodeSurp]).toEqual([1, 0, [1, 0], [0, 0]]);
    // node 0 has no surplus page (node 1 has): its page leaves as a persistent one
    expect(offlineNodePage(two, decodeChoice(4))).toBeUndefined();
    expect(offlineNodePage(two, decodeChoice(0))?.nodes).toEqual([0, 0]);
    const one = { ...two, surp: 0, total: 1, free: 1, nodeSurp: [0, 0] };
    const node0 = offlineNodePage(one, decodeChoice(0));
    expect([node0?.total, node0?.nodes]).toEqual([0, [0, 0]]);
    // node 1 has neither a persistent nor a surplus page: nothing of it can be offlined
    expect(offlineNodePage(one, decodeChoice(4096 + 4))).toBeUndefined();
    expect(offlineNodePage(one, decodeChoice(4096))).toBeUndefined();
  });
});
