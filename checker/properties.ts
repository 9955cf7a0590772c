/**
 * State properties: invariants evaluated on a decoded implementation state,
 * with per-invariant counts of evaluations and non-vacuous evaluations.
 */
import type { Failure } from './model.js';
import type { InvariantStats } from './result.js';
import type { Invariant } from './types.js';

export function evalInvariants<G, P>(
  invs: readonly Invariant<G, P>[],
  stats: InvariantStats[],
  g: G,
  params: P,
  q: { quiescent: boolean; inFlight: readonly (string | undefined)[]; variant: string | null },
): Failure | undefined {
  for (let i = 0; i < invs.length; i++) {
    const inv = invs[i]!;
    if (inv.when === 'quiescent' && !q.quiescent) continue;
    const st = stats[i]!;
    st.checked++;
    let r: boolean | null | string;
    try {
      r = inv.check(g, params, q);
    } catch (e) {
      return {
        kind: 'impl-error',
        property: inv.name,
        message: `invariant ${inv.name} threw: ${(e as Error).message}`,
      };
    }
    if (r === true) st.nonTrivial++;
    else if (r === null) continue;
    else
      return {
        kind: 'invariant',
        property: inv.name,
        message: typeof r === 'string' ? `${inv.name}: ${r}` : `${inv.name} does not hold (${inv.doc})`,
      };
  }
  return undefined;
}
