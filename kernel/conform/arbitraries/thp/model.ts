/**
 * The generation model for THP scripts: which processes (mm slots) exist.
 * mm 0 is the script's process; a fork creates the next one. Subpage indices
 * and ranges are drawn against params.nr.
 */
import type { ThpParams } from '../../../../impl/thp/page.js';

export interface ThpGenModel {
  /** Processes alive: mm slots 0..live-1. */
  live: number;
}

export type P = ThpParams;

export function initModel(p: P): ThpGenModel {
  return { live: p.initial === 'forked' ? 2 : 1 };
}

/** A live mm from a raw natural. */
export const mmOf = (m: Readonly<ThpGenModel>, raw: unknown): number => Number(raw) % m.live;
export const subOf = (p: P, raw: unknown): number => Number(raw) % p.nr;

/** A subpage range [from, to) of the THP from two raw naturals. */
export function subRange(p: P, from: unknown, len: unknown): { from: number; to: number } {
  const f = Number(from) % p.nr;
  return { from: f, to: f + 1 + (Number(len) % (p.nr - f)) };
}
