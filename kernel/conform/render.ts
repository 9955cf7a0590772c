/** The text report of a conform run on one kernel. */
import type { KernelConformResult } from './conform.js';
import type { Subsystem } from '../../checker/types.js';
import { modelLabel } from '../model-choice.js';

const fmtStep = (s: { op: string; args: Readonly<Record<string, unknown>> }): string =>
  `${s.op}(${Object.entries(s.args)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ')})`;

export function renderConform(sub: Subsystem, r: KernelConformResult, rerun: string): string[] {
  const k = r.kernel;
  const lines = [
    `mmcheck conform ${sub.name} on ${k.release}${k.debianPackage ? ` (${k.debianPackage})` : ''}, compared with ${modelLabel({ impl: k.modelImpl, version: k.modelVersion })}${k.modelHow ? ` (${k.modelHow})` : ''}`,
    `  seed        ${r.seed} (the same seed gives the same scripts: ${rerun})`,
    `  scripts     ${r.generated} generated, ${r.judged} judged on the kernel: ${r.agreed} agree, ${r.disagreed} disagree` +
      `${r.errors.length ? `, ${r.errors.length} not run (probe errors)` : ''}; ${r.boots} boots, ${r.kernelSeconds.toFixed(0)} s in batches`,
    ...r.coverage.render(sub).map((l) => `  ${l}`),
  ];
  if (r.poolNotRestored.length)
    lines.push(
      `  pool        not restored after ${r.poolNotRestored.length} scripts (the runner rebooted after each): ${r.poolNotRestored.slice(0, 10).join(', ')}${r.poolNotRestored.length > 10 ? ', ...' : ''}`,
    );
  for (const e of r.errors.slice(0, 5)) lines.push(`  error       script ${e.index}: ${e.detail}`);
  if (r.errors.length > 5) lines.push(`  error       ... ${r.errors.length - 5} more`);
  if (r.groups.length) lines.push('  disagreements');
  for (const g of r.groups) {
    lines.push(`    ${g.signature}: ${g.count} scripts (first: script ${g.first.index}, step ${g.first.d.step})`);
    if (g.explained || g.unexplained)
      lines.push(
        `      known findings: ${
          Object.entries(g.explained ?? {})
            .map(([f, n]) => `${n} explained by ${f}`)
            .join(', ') || 'none'
        }${g.unexplained ? `; ${g.unexplained} NOT explained by a known finding (new: shrink it and report it)` : ''}`,
      );
    const notes = Object.entries(g.notes ?? {});
    for (const [note, n] of notes.slice(0, 3)) lines.push(`      not explained: ${note} (${n} scripts)`);
    if (notes.length > 3) lines.push(`      not explained: ... ${notes.length - 3} more`);
    if (!g.shrunk) {
      lines.push(`      ${g.first.d.message}`, '      not shrunk (--max-shrinks reached or the run stopped)');
      continue;
    }
    const s = g.shrunk;
    const script = s.minimal.value_.script;
    lines.push(
      `      shrunk to ${script.steps.length} steps in ${s.boots} boots (${s.candidates} candidates)${
        s.minimalReached ? ', minimal: no smaller candidate fails' : `, NOT minimal: stopped by ${s.stoppedBy}`
      }`,
      `      params ${JSON.stringify(script.params)}`,
      ...script.steps.map((st, i) => `      ${i === s.disagreement.step ? '>' : ' '} ${i}: ${fmtStep(st)}`),
      `      step ${s.disagreement.step}: ${s.disagreement.message}`,
    );
    if (g.files)
      lines.push(
        `      saved ${g.files.script}, ${g.files.itf}${g.files.c ? `, ${g.files.c}` : ` (no C reproducer: ${g.files.cNote})`}`,
      );
    if (g.saveError) lines.push(`      could not save: ${g.saveError}`);
  }
  const verdict =
    r.verdict === 'AGREE'
      ? `AGREE: every step of ${r.judged} scripts matched the implementation and the spec`
      : r.verdict === 'DISAGREE'
        ? `DISAGREE: ${r.disagreed} of ${r.judged} scripts (${r.diverged} where the implementation does not model the kernel, ${
            r.disagreed - r.diverged
          } where kernel and implementation agree against the spec${
            r.disagreed > r.diverged
              ? r.unexplained
                ? `, ${r.unexplained} of them NOT explained by a known finding`
                : ', every one explained by a known finding'
              : ''
          })`
        : `INCONCLUSIVE: ${r.stopped ?? `${r.errors.length} scripts could not be run`}`;
  lines.push(
    `  verdict     ${verdict}${r.stopped && r.verdict !== 'INCONCLUSIVE' ? ` (run stopped early: ${r.stopped})` : ''}`,
  );
  return lines;
}
