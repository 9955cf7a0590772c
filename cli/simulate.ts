/**
 * `mmcheck simulate SUBSYSTEM`: random walks and swarm runs past the
 * exhaustive limit (checker/simulate.ts). Prints SAMPLED, the seed and the
 * coverage; a violation is shrunk, printed and saved as ITF (replayable with
 * `mmcheck replay`). Exit 1 on a violation, 3 otherwise: a sample is never a
 * pass.
 */
import { join } from 'node:path';
import { followEdges } from '../checker/check.js';
import { implSchema, Product } from '../checker/product.js';
import type { CheckResult } from '../checker/result.js';
import { simulate, type SimulateResult } from '../checker/simulate.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { writeHtmlReport } from '../traces/html.js';
import { toItf, writeItf } from '../traces/itf.js';
import { renderTrace } from '../traces/table.js';
import { requireImpl } from './select.js';
import { parseArgs, UsageError } from './args.js';

export const SIMULATE_HELP = `simulate options (mmcheck simulate SUBSYSTEM): random walks, NOT exhaustive (SAMPLED)
  --runs N               walks (default 1000)
  --depth N              steps per walk at most (default 200)
  --seed N               seed (default 1); printed, so a run can be repeated exactly
  --scenario NAME        base scenarios (comma list; default: all defaults)
  --no-swarm             walk the base scenarios as they are (default: random threads and op programs drawn
                         from each base's ops, params and fault sites: swarm testing)
  --threads N / --ops N  swarm: at most N threads / N ops per thread (default: the base's)
  --variant NAME         simulate a buggy variant
  --impl NAME            simulate this implementation of the spec (default: the main one)
  --out DIR              where a shrunk counterexample goes (default traces/out)
  --json                 one JSON line`;

interface Io {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

export function cmdSimulate(argv: string[], io: Io, registry: readonly Subsystem[]): number {
  const { positionals, flags } = parseArgs(argv, {
    runs: { kind: 'int', min: 1 },
    depth: { kind: 'int', min: 1 },
    seed: { kind: 'int', min: 0 },
    scenario: { kind: 'string' },
    'no-swarm': { kind: 'bool' },
    threads: { kind: 'int', min: 1 },
    ops: { kind: 'int', min: 1 },
    variant: { kind: 'string' },
    impl: { kind: 'string' },
    out: { kind: 'string' },
    json: { kind: 'bool' },
  });
  if (positionals.length !== 1) throw new UsageError('simulate takes one SUBSYSTEM (see mmcheck --help)');
  const found = registry.find((s) => s.name === positionals[0]);
  if (!found)
    throw new UsageError(`unknown subsystem '${positionals[0]}' (known: ${registry.map((r) => r.name).join(', ')})`);
  const sub = requireImpl(found, flags.impl === undefined ? undefined : String(flags.impl));
  const swarm = !flags['no-swarm'];
  if (!swarm && (flags.threads !== undefined || flags.ops !== undefined))
    throw new UsageError('--threads/--ops shape swarm runs; drop --no-swarm');
  if (flags.threads !== undefined && (flags.threads as number) > 8) throw new UsageError('--threads: at most 8');
  let scenarios: readonly Scenario[] = sub.scenarios;
  if (flags.scenario !== undefined) {
    const names = String(flags.scenario).split(',');
    scenarios = names.map((n) => {
      const s = sub.scenarios.find((x) => x.name === n);
      if (!s)
        throw new UsageError(
          `unknown scenario '${n}' for ${sub.name} (known: ${sub.scenarios.map((x) => x.name).join(', ')})`,
        );
      return s;
    });
  }
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  const r = simulate(sub, {
    seed: (flags.seed as number | undefined) ?? 1,
    runs: (flags.runs as number | undefined) ?? 1000,
    depth: (flags.depth as number | undefined) ?? 200,
    variant,
    swarm,
    scenarios,
    ...(flags.threads !== undefined ? { maxThreads: flags.threads as number } : {}),
    ...(flags.ops !== undefined ? { maxOps: flags.ops as number } : {}),
  });
  const outDir = (flags.out as string | undefined) ?? join('traces', 'out');
  const result = r.violation ? violationResult(sub, r, variant) : undefined;
  const tracePath = result ? saveTrace(sub, r, variant, result, outDir, io) : undefined;
  if (flags.json)
    io.out(
      JSON.stringify({
        sampled: true,
        exhaustive: false,
        subsystem: sub.name,
        variant,
        swarm,
        ...r,
        ...(tracePath ? { tracePath } : {}),
      }),
    );
  else {
    for (const l of summary(sub, r, variant, swarm, scenarios.length)) io.out(l);
    if (result?.violation) {
      io.out(renderTrace(result.violation, { color: io.isTTY }));
      if (tracePath) io.out(`counterexample saved: ${tracePath} (and .html); replay with: mmcheck replay ${tracePath}`);
    }
  }
  return r.violation ? 1 : 3;
}

/** Save the shrunk counterexample as ITF (+ HTML); undefined (and one line on stderr) when it cannot be. */
function saveTrace(
  sub: Subsystem,
  r: SimulateResult,
  variant: string | null,
  result: CheckResult,
  outDir: string,
  io: Io,
): string | undefined {
  const base = `${sub.name}-simulate-seed${r.seed}${variant ? `-${variant}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const tracePath = join(outDir, `${base}.itf.json`);
  const scenario = r.violation!.scenario;
  try {
    const itf = toItf(result, { implSchema: implSchema(sub, scenario.params) as never, scenario });
    writeItf(tracePath, itf);
    writeHtmlReport(join(outDir, `${base}.html`), itf);
    return tracePath;
  } catch (e) {
    io.err(
      `mmcheck: cannot save the counterexample to ${tracePath}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`,
    );
    return undefined;
  }
}

/** The shrunk counterexample as a CheckResult (what ITF export and the trace table read). */
function violationResult(sub: Subsystem, r: SimulateResult, variant: string | null): CheckResult {
  const v = r.violation!;
  const product = new Product(sub, v.scenario, variant);
  const { states, transitions } = followEdges(product, v.path);
  return {
    subsystem: sub.name,
    scenario: v.scenario.name,
    scenarioDescription: `${v.scenario.description} (SAMPLED by mmcheck simulate, seed ${r.seed}, shrunk ${v.shrinks} times)`,
    variant,
    bounds: {
      threads: v.scenario.threads.length,
      opsPerThread: v.scenario.threads.map((t) => t.length),
      params: v.scenario.params,
      faultBudget: v.scenario.faults?.budget ?? 0,
      faultSites: v.scenario.faults?.sites ?? [],
    },
    stopReason: 'violation',
    exhaustive: false,
    states: states.length,
    transitions: transitions.length,
    maxDepth: transitions.length,
    seconds: r.seconds,
    statesPerSecond: 0,
    collisionProbability: 0,
    bytesPerState: 0,
    refinement: sub.spec ? 'linearizability+abstraction' : 'none (no spec)',
    specStates: 0,
    invariants: [],
    preconditions: [],
    violation: {
      kind: v.failure.kind,
      property: v.failure.property,
      message: v.failure.message,
      trace: { states, transitions },
    },
  };
}

function summary(sub: Subsystem, r: SimulateResult, variant: string | null, swarm: boolean, bases: number): string[] {
  const c = r.coverage;
  const what = `${sub.name}${variant ? ` [variant ${variant}]` : ''}`;
  const never = (m: Record<string, number>): string[] => Object.keys(m).filter((k) => m[k] === 0);
  const steps = Object.keys(c.steps);
  const ops = Object.keys(c.ops);
  const props = Object.entries(c.properties);
  const vacuous = props.filter(([, [, n]]) => n === 0).map(([k]) => k);
  const out = [
    `SAMPLED ${what}: ${r.runs} random walks (${swarm ? `swarm over ${bases} base scenario(s)` : `${bases} scenario(s) as they are`}), ` +
      `${r.steps.toLocaleString('en-US')} steps, ${r.seconds.toFixed(1)} s, seed ${r.seed} -- ` +
      (r.violation
        ? `VIOLATION ${r.violation.failure.kind} ${r.violation.failure.property}, shrunk ${r.violation.shrinks} times to ${r.violation.scenario.threads.length} thread(s), ${r.violation.path.length} steps`
        : 'no violation found; NOT exhaustive (a sample proves nothing about the states it missed)'),
    `  coverage: steps ${steps.length - never(c.steps).length}/${steps.length} reached${never(c.steps).length ? ` (never: ${never(c.steps).join(', ')})` : ''}`,
    `  ops completed: ${ops.map((o) => `${o} ${c.ops[o]}`).join(', ')}`,
    `  outcomes: ${
      Object.entries(c.outcomes)
        .map(
          ([o, m]) =>
            `${o} {${Object.entries(m)
              .map(([k, n]) => `${k}: ${n}`)
              .join(', ')}}`,
        )
        .join('; ') || 'none'
    }`,
    `  invariants non-vacuous: ${props.length - vacuous.length}/${props.length}${vacuous.length ? ` (never exercised: ${vacuous.join(', ')})` : ''}`,
    `  repeat with: mmcheck simulate ${sub.name} --seed ${r.seed}${variant ? ` --variant ${variant}` : ''}${swarm ? '' : ' --no-swarm'}`,
  ];
  return out;
}
