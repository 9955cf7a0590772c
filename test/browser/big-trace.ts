/**
 * A synthetic mmcheck ITF trace of any length (10,000 steps for the
 * responsiveness test): three threads taking turns, each step changing one or
 * two impl fields, an abstraction that follows, locals that are zero-initialised
 * (noise the viewer hides by default) and a refinement violation at the end.
 */
export function bigTrace(steps: number): unknown {
  const fields = 40;
  const impl: Record<string, number | string> = {};
  for (let f = 0; f < fields; f++) impl[`f${f}`] = 0;
  impl['mode'] = 'idle';
  const th = (tid: number, op?: string, local?: number) =>
    op === undefined
      ? { tid, slot: 0, finished: false }
      : { tid, slot: 0, finished: false, op, args: {}, pc: 'step', locals: { x: local ?? 0 } };
  const states: unknown[] = [];
  const state = (i: number, meta: Record<string, unknown>, threads: unknown[], abstract: unknown, spec: unknown[]) =>
    states.push({
      '#meta': { index: i, ...meta },
      impl: { ...impl },
      threads,
      abstract,
      spec: { '#set': spec },
      faultsUsed: 0,
    });
  const abs = () => ({ total: impl['f0'] as number });
  state(0, {}, [th(0), th(1), th(2)], abs(), [abs()]);
  for (let i = 1; i <= steps; i++) {
    const tid = i % 3;
    const f = (i * 7) % fields;
    impl[`f${f}`] = (impl[`f${f}`] as number) + 1;
    if (i % 5 === 0) impl['mode'] = impl['mode'] === 'idle' ? 'busy' : 'idle';
    const last = i === steps;
    const threads = [0, 1, 2].map((k) => (k === tid && !last ? th(k, 'work', i % 4 === 0 ? 0 : i % 4) : th(k)));
    const a = abs();
    state(
      i,
      {
        thread: tid,
        op: 'work',
        args: { n: i % 3 },
        slot: 0,
        alt: 0,
        step: `step_${i % 4}`,
        choices: [],
        injected: [],
        invoked: true,
        ...(i % 4 === 3 ? { ret: 0 } : {}),
      },
      threads,
      a,
      last ? [{ total: (a.total as number) + 1 }] : [a],
    );
  }
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'synthetic',
      source: 'mmcheck',
      description: `synthetic ${steps}-step trace`,
      subsystem: 'synthetic',
      scenario: { name: 'big', description: 'a long synthetic trace', params: {} },
      variant: null,
      property: 'refinement',
      violation: { kind: 'refinement', property: 'refinement', message: 'abstraction(impl) matches no spec state' },
      bounds: { threads: 3, opsPerThread: [1, 1, 1], params: {}, faultBudget: 0, faultSites: [] },
      stopReason: 'violation',
      exhaustive: false,
      refinement: 'linearizability+abstraction',
      length: steps,
      varTypes: { impl: 'Untyped', threads: 'Untyped', abstract: 'Untyped', spec: 'Untyped', faultsUsed: 'Int' },
    },
    vars: ['impl', 'threads', 'abstract', 'spec', 'faultsUsed'],
    states,
  };
}
