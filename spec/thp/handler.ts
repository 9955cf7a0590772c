/**
 * The THP spec reducer's per-operation handlers share this shape: a handler
 * mutates a draft of the view and returns the operation's result, or REJECT
 * when the event (with its nondeterministic choice) is not enabled.
 */
import type { RetValue } from '../../checker/types.js';
import type { ThpView } from './view.js';

export const REJECT = Symbol('reject');

/** The decoded event and the facts most handlers need. */
export interface Env {
  readonly ev: { type: string; [arg: string]: unknown };
  readonly n: number;
  readonly choice: string | undefined;
  /** True when no choice was given or it is the first listed outcome. */
  first(ch: readonly string[]): boolean;
  readonly mm: number;
  readonly sub: number;
  badMm(x: number): boolean;
  badSub(x: number): boolean;
  readonly anon: boolean;
  /** Pins and speculative references held, summed over the subpages. */
  readonly pins: number;
  readonly refs: number;
}

export type Handler = (c: ThpView, e: Env) => RetValue | undefined | typeof REJECT;

/** An integer event argument, or -1 when absent or not an integer. */
export const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : -1);
