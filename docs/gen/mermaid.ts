/**
 * Mermaid state diagrams drawn from xstate v5 machine definitions: every state
 * node (nested and parallel ones too), every transition with its event and
 * guard. Transitions without a target (the spec's operations that update
 * context in place) are gathered into one self-loop per state, so a one-state
 * spec reads as "these operations, this state".
 */
import type { AnyStateMachine } from 'xstate';

interface TransitionLike {
  readonly eventType: string;
  readonly target?: readonly { readonly id: string }[] | undefined;
  readonly guard?: string | { readonly type?: string } | ((...a: never[]) => unknown) | undefined;
}
interface NodeLike {
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly initial?: { readonly target: readonly { readonly id: string }[] } | undefined;
  readonly states: Readonly<Record<string, NodeLike>>;
  readonly transitions: ReadonlyMap<string, readonly TransitionLike[]>;
}

/** Mermaid-safe identifier for a state node id. */
function sid(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

function label(s: string): string {
  return s
    .replace(/[:;#"]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function eventsLabel(events: string[]): string {
  const shown = events.slice(0, 8).join(', ');
  return events.length > 8 ? `${shown}, … (${events.length} operations)` : shown;
}

function emit(node: NodeLike, out: string[], indent: string): void {
  const children = Object.values(node.states);
  const initial = node.initial?.target[0];
  if (initial) out.push(`${indent}[*] --> ${sid(initial.id)}`);
  children.forEach((c, i) => {
    if (node.type === 'parallel' && i > 0) out.push(`${indent}--`);
    if (Object.keys(c.states).length > 0) {
      out.push(`${indent}state ${sid(c.id)} {`);
      emit(c, out, indent + '  ');
      out.push(`${indent}}`);
    } else out.push(`${indent}${sid(c.id)} : ${label(c.key)}`);
    edges(c, out, indent);
    if (c.type === 'final') out.push(`${indent}${sid(c.id)} --> [*]`);
  });
}

function edges(node: NodeLike, out: string[], indent: string): void {
  const inPlace: string[] = [];
  for (const [ev, ts] of node.transitions) {
    for (const t of ts) {
      const g = t.guard;
      const name = typeof g === 'string' ? g : typeof g === 'function' ? g.name || 'guard' : g?.type;
      const guard = name ? ` [${label(name)}]` : '';
      const targets = t.target ?? [];
      if (targets.length === 0) inPlace.push(label(ev) + guard);
      for (const target of targets) out.push(`${indent}${sid(node.id)} --> ${sid(target.id)} : ${label(ev)}${guard}`);
    }
  }
  if (inPlace.length) out.push(`${indent}${sid(node.id)} --> ${sid(node.id)} : ${eventsLabel(inPlace)}`);
}

/** A `stateDiagram-v2` for the machine (without the ```mermaid fence). */
export function machineDiagram(machine: AnyStateMachine): string {
  const root = machine.root as unknown as NodeLike;
  const out = ['stateDiagram-v2'];
  if (Object.keys(root.states).length === 0) {
    // a machine with no states of its own: the root itself is the one state
    out.push(`  [*] --> ${sid(root.id)}`);
    out.push(`  ${sid(root.id)} : ${label(root.key)}`);
    edges(root, out, '  ');
  } else {
    emit(root, out, '  ');
    edges(root, out, '  ');
  }
  return out.join('\n');
}

/** The state nodes and event names of a machine, for the text beside the diagram. */
export function machineSummary(machine: AnyStateMachine): { states: string[]; events: string[] } {
  const states: string[] = [];
  const events = new Set<string>();
  (function walk(n: NodeLike) {
    if (n !== (machine.root as unknown as NodeLike)) states.push(n.id);
    for (const ev of n.transitions.keys()) events.add(ev);
    Object.values(n.states).forEach(walk);
  })(machine.root as unknown as NodeLike);
  return { states, events: [...events] };
}
