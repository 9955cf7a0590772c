/** A concurrent counterexample of `mmcheck reproduce` run many times with real threads. */
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
 * the runs in which every operation returned what it returned in the
 * counterexample. The verdict is INCONCLUSIVE either way: matching return
 * values do not show the violation (an invariant or counter breach, often
 * with the same returns as a benign order), and the counters the probe reads
 * mid-race are not comparable with one interleaving's prediction. The
 * frequency is printed as evidence, never as REPRODUCED.
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
  const want = race.expected.map((r, i) =>
    r === undefined ? undefined : job.mapping.retOf(r, race.script.steps[i]?.op),
  );
  const tally = new Map<string, number>();
  let seen = 0;
  let ran = 0;
  for (const r of out.results) {
    if (r.kind !== 'ran') continue;
    ran++;
    const got = race.script.steps.map((_, i) => String(r.steps.find((o) => o.step === i)?.ret ?? '-'));
    if (want.every((w, i) => w === undefined || w === got[i])) seen++;
    const key = got.join(' ');
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  io.out(
    `  race          ${race.script.steps.map((st, i) => `T${race.script.concurrency!.threadOf[i]} ${st.op}(${fmtArgs(st.args)})`).join(', ')}`,
  );
  io.out(`  counterexample returns ${want.map((w) => w ?? '(unfinished)').join(' ')}`);
  for (const [key, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 5))
    io.out(`  seen ${String(n).padStart(4)}x   ${key}`);
  io.out(
    `  verdict       INCONCLUSIVE: the counterexample's return values were seen in ${seen} of ${ran} runs with real threads (${runs - ran} could not run); a race run compares return values only, which does not show the violation itself`,
  );
  return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
}
