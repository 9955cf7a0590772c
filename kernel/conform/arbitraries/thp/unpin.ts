/**
 * Dropping a pin taken earlier (io_uring buffer unregistration): mostly one of
 * the pins the script took, sometimes any subpage (EINVAL when nothing is
 * pinned there).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const unpin: OpGen<P, ThpGenModel> = {
  op: 'unpin',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat(), taken: fc.nat({ max: 3 }) }),
  resolve: (m, raw, p) => {
    const k = Number(raw.taken);
    if (k > 0 && m.pins.length > 0) {
      const [mm, sub] = m.pins[k % m.pins.length]!;
      return { mm, sub };
    }
    return { mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub) };
  },
  apply(m, args) {
    const at = m.pins.findIndex(([mm, sub]) => mm === args.mm && sub === args.sub);
    if (at >= 0) m.pins.splice(at, 1);
  },
};
