/**
 * What a conform run actually exercised on the kernel: how often each op ran
 * to an observation, every outcome per op (ok, ENOMEM, SIGBUS, ...), the
 * subsystem's events (surplus pages, COW, split, ...) as its profile tags
 * them, and the counters that were compared. Ops of the language that never
 * ran are listed as such, never hidden.
 */
import type { Script } from '../../checker/scenario-file.js';
import type { Subsystem } from '../../checker/types.js';
import type { KernelScriptResult } from '../types.js';
import type { ConformProfile } from './profile.js';
import { kernelRet } from './observe.js';

export class Coverage {
  readonly ops = new Map<string, number>();
  /** `op → outcome` counts, e.g. `mmap → ENOMEM`. */
  readonly outcomes = new Map<string, number>();
  readonly events = new Map<string, number>();
  readonly compared = new Set<string>();
  scripts = 0;
  steps = 0;

  constructor(private readonly profile: ConformProfile) {}

  private bump(m: Map<string, number>, k: string): void {
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  add(script: Script, kernel: KernelScriptResult, compared: readonly string[]): void {
    if (kernel.kind !== 'ran') return;
    this.scripts++;
    for (const c of compared) this.compared.add(c);
    kernel.steps.forEach((obs, n) => {
      const st = script.steps[obs.step];
      if (!st) return;
      this.steps++;
      this.bump(this.ops, st.op);
      this.bump(this.outcomes, `${st.op} → ${String(kernelRet(obs))}`);
      for (const e of this.profile.events?.(script, obs.step, obs, kernel.steps[n - 1]) ?? [])
        this.bump(this.events, e);
    });
  }

  /** Human-readable summary lines. */
  render(sub: Subsystem): string[] {
    const fmt = (m: Map<string, number>): string =>
      [...m.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    const generated = this.profile.ops.map((g) => g.op);
    const never = generated.filter((op) => !this.ops.has(op));
    const noGen = Object.keys(sub.impl.ops).filter((op) => !generated.includes(op));
    const expected = this.profile.expectedEvents ?? [];
    const missing = expected.filter((e) => !this.events.has(e));
    return [
      `coverage    ${this.scripts} scripts, ${this.steps} steps observed on the kernel`,
      `  ops       ${fmt(this.ops)}`,
      `  outcomes  ${fmt(this.outcomes)}`,
      `  events    ${fmt(this.events)}`,
      `  compared  ${[...this.compared].sort().join(', ')}`,
      ...(never.length ? [`  NOT exercised: ${never.join(', ')} (generated but never observed on the kernel)`] : []),
      ...(missing.length ? [`  events never seen: ${missing.join(', ')}`] : []),
      ...(this.profile.restrictions ?? []).map((r) => `  restricted: ${r}`),
      ...noGen.map(
        (op) =>
          `  not generated: ${op}${this.profile.internalOps[op] ? ` (${this.profile.internalOps[op]})` : ' (no arbitrary for it yet)'}`,
      ),
    ];
  }

  toJSON(): unknown {
    return {
      scripts: this.scripts,
      steps: this.steps,
      ops: Object.fromEntries(this.ops),
      outcomes: Object.fromEntries(this.outcomes),
      events: Object.fromEntries(this.events),
      compared: [...this.compared].sort(),
    };
  }
}
