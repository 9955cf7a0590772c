/**
 * The spec's VMA view (spec/thp/vmas.ts) from either implementation's per-mm VMA layout
 * (impl/thp-common/vma-layout.ts): holes, PROT_EXEC and VM_LOCKED per subpage, and the mms whose range is not one VMA
 * (transhuge_vma_suitable()'s test: one VMA covers it). An anon scenario only; a file one keeps its one VMA.
 */
import { bit, vmaHugeSuitable, type VmaLayout } from '../../impl/thp-common/vma-layout.js';
import type { ThpView } from '../../spec/thp/machine.js';

type VmaView = Pick<ThpView, 'vmaHole' | 'vmaExec' | 'vmaLocked' | 'vmaCut'>;

export function vmaView(mms: readonly Readonly<VmaLayout>[], nr: number, anon: boolean): VmaView {
  const per = (): number[][] => Array.from({ length: nr }, () => []);
  const v: VmaView = { vmaHole: per(), vmaExec: per(), vmaLocked: per(), vmaCut: [] };
  if (!anon) return v;
  mms.forEach((mm, m) => {
    for (let i = 0; i < nr; i++) {
      if (!(mm.vma & bit(i))) v.vmaHole[i]!.push(m);
      if (mm.vm_exec & bit(i)) v.vmaExec[i]!.push(m);
      if (mm.vm_locked & bit(i)) v.vmaLocked[i]!.push(m);
    }
    if (!vmaHugeSuitable(mm, nr)) v.vmaCut.push(m);
  });
  return v;
}
