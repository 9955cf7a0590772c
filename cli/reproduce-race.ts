/** A concurrent counterexample of `mmcheck reproduce` run many times with real threads. */
import { fmtOutcome, judgeRace } from '../kernel/race.js';
import type { Race } from '../kernel/target.js';
import { QemuBatchRunner } from '../kernel/runner.js';
import type { ResolvedKernel } from '../kernel/types.js';
import { kernelMappings } from '../subsystems/probes.js';
import { EXIT } from './io.js';
import type { Job } from './reproduce-job.js';
import { fmtArgs, type Io, type KernelVerdict } from './reproduce-verdict.js';

/**
 * A counterexample whose operations overlap: run it `runs` times with real
 * threads (the trace's happens-before order kept, the rest racing) and count
 * the runs that end with its outcome: every return value and the counters once
 * every thread finished, as the implementation predicts them (kernel/race.ts).
 * REPRODUCED when seen at least once and no violation-free interleaving of
 * the same operations ends that way (kernel/race-search.ts); otherwise
 * INCONCLUSIVE, with the frequency.
 */
export async function raceOnKernel(
  job: Job,
  k: ResolvedKernel,
  io: Io,
  race: Race,
  runs: number,
  bootSeconds?: number,
): Promise<KernelVerdict> {
  const runner = new QemuBatchRunner(k, { mappings: kernelMappings, ...(bootSeconds ? { bootSeconds } : {}) });
  const out = await runner.runBatch(
    job.sub.name,
    Array.from({ length: runs }, () => race.script),
  );
  io.out(
    `  booted        ${runner.bootedRelease ?? '?'} (${runner.boots.length} boot(s): ${runner.boots.map((b) => `${b.seconds.toFixed(1)} s`).join(', ')}; 2 vCPUs)`,
  );
  if (out.kind !== 'ran') {
    io.out(`  verdict       INCONCLUSIVE: ${out.kind}: ${out.detail}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
  }
  io.out(
    `  race          ${race.script.steps.map((st, i) => `T${race.script.concurrency!.threadOf[i]} ${st.op}(${fmtArgs(st.args)})`).join(', ')}`,
  );
  const p = race.prediction;
  if (p?.kind === 'outcome') io.out(`  predicted     ${fmtOutcome(p.outcome)}`);
  const v = judgeRace(race.script, p, out.results);
  for (const [key, n] of v.tally?.outcomes.slice(0, 5) ?? []) io.out(`  seen ${String(n).padStart(4)}x   ${key}`);
  io.out(`  verdict       ${v.verdict}: ${v.why}`);
  return v.verdict === 'REPRODUCED'
    ? { code: EXIT.pass, word: 'REPRODUCED' }
    : { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
}
