/**
 * A minimal disagreement as files a user can act on: the script
 * (`mmcheck run --script`, `mmcheck reproduce`), an ITF trace of the
 * implementation running it (the trace viewer; `#meta.conform` holds the
 * kernel's and the model's sides at the disagreeing step) and, when the
 * subsystem has an op->C compiler, a standalone C reproducer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternativeImpl } from '../../checker/impls.js';
import { implSchema } from '../../checker/product.js';
import type { CheckResult, ViolationKind } from '../../checker/result.js';
import type { Script } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { formatItf, toItf, type ItfTrace } from '../../traces/itf.js';
import type { ResolvedKernel } from '../types.js';
import type { Disagreement } from './judge.js';

export interface SavedFiles {
  readonly script: string;
  readonly itf: string;
  /** Absent when no C compiler exists for the subsystem (`cNote` says so). */
  readonly c?: string;
  readonly cNote?: string;
}

/** The script as a one-thread scenario (what the trace's #meta.scenario records, so replay can rebuild it). */
function asScenario(name: string, script: Script, d: Disagreement, kernel: ResolvedKernel): Scenario {
  return {
    name,
    description: `mmcheck conform on ${kernel.release}: ${d.cls} at step ${d.step} (${d.op}): ${d.message}`,
    params: script.params,
    threads: [script.steps.map((s) => [s])],
  };
}

export function scriptItf(
  sub: Subsystem,
  script: Script,
  variant: string | null,
  kernelVersion: string | undefined,
  d: Disagreement,
  kernel: ResolvedKernel,
  name: string,
): ItfTrace {
  const run = runImplSteps(sub, script, variant, true, kernelVersion);
  const trace = run.trace!;
  const scenario: Scenario = {
    ...asScenario(name, script, d, kernel),
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
  };
  const alt = alternativeImpl(sub);
  const result: CheckResult = {
    subsystem: sub.name,
    ...(alt !== undefined ? { impl: alt } : {}),
    scenario: name,
    scenarioDescription: scenario.description,
    variant,
    bounds: { threads: 1, opsPerThread: [script.steps.length], params: script.params, faultBudget: 0, faultSites: [] },
    stopReason: 'violation',
    exhaustive: false,
    states: trace.states.length,
    transitions: trace.transitions.length,
    maxDepth: trace.transitions.length,
    seconds: 0,
    statesPerSecond: 0,
    collisionProbability: 0,
    bytesPerState: 0,
    refinement: sub.spec ? 'linearizability+abstraction' : 'none (no spec)',
    specStates: 0,
    invariants: [],
    preconditions: [],
    violation: {
      // not one of the checker's kinds: the property broken is agreement with a real kernel
      kind: `conform:${d.cls}` as ViolationKind,
      property: `conform:${d.cls}`,
      message: d.message,
      trace,
    },
  };
  const itf = toItf(result, { implSchema: implSchema(sub, script.params) as never, scenario });
  return {
    ...itf,
    '#meta': {
      ...itf['#meta'],
      conform: {
        kernel: kernel.release,
        request: kernel.request,
        modelVersion: kernel.modelVersion,
        // what the kernel was compared with: the implementation and the version it modelled (--impl, --kernel-version)
        ...(sub.implName !== undefined ? { impl: sub.implName } : {}),
        ...(kernelVersion !== undefined ? { kernelVersion } : {}),
        disagreement: d,
      },
    },
  };
}

export function saveDisagreement(
  dir: string,
  base: string,
  sub: Subsystem,
  script: Script,
  variant: string | null,
  kernelVersion: string | undefined,
  d: Disagreement,
  kernel: ResolvedKernel,
  toC: ((script: Script, d: Disagreement) => string) | undefined,
): SavedFiles {
  mkdirSync(dir, { recursive: true });
  const scriptPath = join(dir, `${base}.script.json`);
  writeFileSync(
    scriptPath,
    JSON.stringify(
      {
        description: `${d.cls} at step ${d.step} (${d.op}) on ${kernel.release}: ${d.message}`,
        params: script.params,
        steps: script.steps,
      },
      null,
      2,
    ) + '\n',
  );
  const itfPath = join(dir, `${base}.itf.json`);
  writeFileSync(itfPath, formatItf(scriptItf(sub, script, variant, kernelVersion, d, kernel, base)));
  if (!toC) return { script: scriptPath, itf: itfPath, cNote: `no op->C compiler for ${sub.name}` };
  const cPath = join(dir, `${base}.c`);
  writeFileSync(cPath, toC(script, d));
  return { script: scriptPath, itf: itfPath, c: cPath };
}
