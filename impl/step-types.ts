/**
 * The typed step and operation of an implementation whose step labels are a
 * declared list (hugetlb, cleancache, frontswap: `STEP_LABELS` in
 * impl/<sub>/labels.ts). A step's `name` and every label it returns must be
 * one of the list's labels L, so a misspelt label does not compile; the
 * checker still sees a plain StepDef / OpDef. THP types labels per operation
 * instead (`KStep<L>` in impl/thp/steps.ts).
 */
import type { RetValue, StepDef, ThreadCtx } from '../checker/types.js';

/** What a step returns: the label of the next step, or `done(value)` to finish the op. */
export type LabelResult<L extends string> = L | { readonly ret: RetValue };

/**
 * A step whose name and successor labels are L. T is the implementation's
 * view of its thread (hugetlb's has typed locals); StepDef declares run and
 * enabled as methods, so such a step is accepted where the checker expects one.
 */
export interface LabelledStep<G, P, L extends string, T extends ThreadCtx<P> = ThreadCtx<P>> extends StepDef<G, P> {
  readonly name: L;
  enabled?(g: Readonly<G>, t: T): boolean;
  run(g: G, t: T): LabelResult<L>;
}

/** An operation (OpDef) made of such steps; steps[0] is the entry. */
export interface LabelledOp<S> {
  /** One line: what the operation is and the kernel path it follows. */
  readonly doc: string;
  /** Names of the integer locals this operation uses. */
  readonly locals?: readonly string[];
  readonly steps: readonly S[];
}
