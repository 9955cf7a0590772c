/**
 * The end of a rendered counterexample: the spec states the implementation
 * should have matched against abstraction(impl), the impl state and the
 * threads in flight. Split from table.ts (renderTrace).
 */
import type { Violation } from '../checker/result.js';
import { diffPlain, groupedLines, show } from './diff.js';
import { formatCall, truncate, wrap, type Palette } from './table.js';

interface SpecDiff {
  readonly lines: string[];
}

/** Spec candidates against abstraction(impl), closest first, as -/+ lines. */
function specVsAbstract(
  candidates: readonly unknown[],
  abstract: unknown,
  max: number,
  p: Palette,
  width: number,
): SpecDiff {
  const lines: string[] = [];
  const scored = candidates
    .map((c, i) => ({ c, i, d: diffPlain(c, abstract) }))
    .sort((a, b) => a.d.length - b.d.length || a.i - b.i);
  const shown = scored.slice(0, max);
  shown.forEach(({ d }, k) => {
    const head =
      candidates.length === 1
        ? 'the only spec state'
        : `spec state ${k + 1} of ${candidates.length}${k === 0 ? ' (closest)' : ''}`;
    if (d.length === 0) {
      lines.push(...wrap(`${head}: equals the abstraction`, width - 2).map((l) => `  ${l}`));
      return;
    }
    const what = `${head}: ${d.length === 1 ? '1 field differs' : `${d.length} fields differ`} (- spec expected, + abstraction(impl))`;
    lines.push(...wrap(what, width - 2).map((l) => `  ${l}`));
    for (const c of d) {
      lines.push(
        ...wrap(`- ${c.path}: ${c.old ?? '(absent)'}`, width - 4).map((l, j) => p.red(`    ${j ? '  ' : ''}${l}`)),
      );
      lines.push(
        ...wrap(`+ ${c.path}: ${c.new ?? '(absent)'}`, width - 4).map((l, j) => p.green(`    ${j ? '  ' : ''}${l}`)),
      );
    }
  });
  if (scored.length > shown.length) lines.push(p.dim(`  … ${scored.length - shown.length} more spec states not shown`));
  return { lines };
}

/** The failing state: spec vs abstraction, then the full final state. */
export function renderFinalState(violation: Violation, p: Palette, W: number, maxCand: number): string[] {
  const { states, transitions } = violation.trace;
  const out: string[] = [];
  const last = states[states.length - 1];
  const prev = states.length >= 2 ? states[states.length - 2] : undefined;
  if (last) {
    const at = transitions.length ? `after step ${transitions.length}` : 'in the initial state';
    if (last.abstract !== undefined) {
      let cands = last.spec ?? [];
      let note = `spec states consistent with the history ${at}`;
      if (cands.length === 0 && prev?.spec && prev.spec.length) {
        cands = prev.spec;
        note = `no spec state is consistent with the history ${at}; candidates before the failing step`;
      }
      out.push(p.bold(`Spec vs abstraction(impl) ${at}:`));
      if (cands.length === 0) out.push(...wrap(`no spec state left (${note})`, W - 2).map((l) => `  ${l}`));
      else {
        out.push(...wrap(`${note}: ${cands.length}`, W - 2).map((l) => p.dim(`  ${l}`)));
        out.push(...specVsAbstract(cands, last.abstract, maxCand, p, W).lines);
      }
      out.push(`  abstraction(impl) = ${truncate(show(last.abstract), W - 22)}`);
      if (violation.kind === 'linearizability')
        out.push(
          ...wrap(
            'note: a linearizability violation is about a returned value (see the message); the state may still match a spec state',
            W - 2,
          ).map((l) => p.dim(`  ${l}`)),
        );
      out.push('');
    } else if (last.spec && last.spec.length) {
      out.push(p.bold(`Spec states ${at}:`));
      for (const s of last.spec.slice(0, maxCand)) out.push(`  ${truncate(show(s), W - 2)}`);
      out.push('');
    }
    out.push(p.bold(`Impl state ${at}:`));
    for (const line of groupedLines(last.impl))
      for (const w of wrap(line, W - 4).map((x, j) => (j ? '  ' : '') + x)) out.push(`  ${w}`);
    const busy = last.threads.filter((t) => t.op !== undefined);
    if (busy.length) {
      out.push(p.bold('Threads in flight:'));
      for (const t of busy) {
        const locals = t.locals && Object.keys(t.locals).length ? ` locals ${show(t.locals)}` : '';
        out.push(`  T${t.tid} ${formatCall(t.op!, t.args)}${t.pc ? ` next › ${t.pc}` : ''}${locals}`);
      }
    }
  }
  return out;
}
