/**
 * Drives an xstate v5 spec machine through its pure `transition` API, with
 * interned spec states and memoized transitions: xstate runs once per
 * (spec state, operation, choice), never once per explored state.
 */
import {
  createActor,
  initialTransition,
  type AnyActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
} from 'xstate';
import { Interner } from './intern.js';
import { PairMap } from './store/pair-map.js';
import type { SharedInternTable } from './store/shared-intern.js';
import type { ArgValue, Args, RetValue, SpecDef } from './types.js';

export class SpecError extends Error {}

/**
 * Built-in xstate actions whose effect the pure `transition()` API applies.
 * Anything else (a plain function, sendTo, emit, spawnChild...) is returned as
 * an action for an actor to execute, and the checker has no actor: its effect
 * would be silently lost, so a spec using one is rejected.
 */
const EFFECTIVE_ACTIONS = new Set([
  'xstate.assign',
  'xstate.raise',
  'xstate.enqueueActions',
  'xstate.log',
  'xstate.cancel',
]);

/** Where a spec machine uses actions the checker would ignore, e.g. `state 'idle' on 'put': a plain function`. */
export function ignoredSpecActions(machine: AnyStateMachine): string[] {
  const impls = (machine.implementations?.actions ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const judge = (a: unknown, where: string): void => {
    let fn: unknown = a;
    let label = 'a plain function';
    const named =
      typeof a === 'string'
        ? a
        : typeof a === 'object' && a !== null && typeof (a as { type?: unknown }).type === 'string'
          ? (a as { type: string }).type
          : undefined;
    if (named !== undefined) {
      if (EFFECTIVE_ACTIONS.has(named)) return;
      fn = impls[named];
      label = `named action '${named}'`;
      if (fn === undefined) {
        out.push(`${where}: ${label} is not implemented`);
        return;
      }
    }
    const type = typeof fn === 'function' ? (fn as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && EFFECTIVE_ACTIONS.has(type)) return;
    out.push(
      `${where}: ${label}${typeof type === 'string' ? ` (${type})` : ''} would be ignored (use assign or enqueueActions)`,
    );
  };
  const visit = (node: any): void => {
    const at = `state '${node.path?.length ? node.path.join('.') : '(root)'}'`;
    for (const a of node.entry ?? []) judge(a, `${at} entry`);
    for (const a of node.exit ?? []) judge(a, `${at} exit`);
    for (const [ev, ts] of node.transitions ?? new Map())
      for (const t of ts) for (const a of t.actions ?? []) judge(a, `${at} on '${ev}'`);
    for (const t of node.always ?? []) for (const a of t.actions ?? []) judge(a, `${at} always`);
    // An invoked actor would never run (the checker has no actor), and registering it would make
    // the shared actor scope (SpecAdapter.inertScope) carry state from one transition to the next.
    if ((node.invoke ?? []).length > 0) out.push(`${at}: invoke would never run (the checker runs no actors)`);
    for (const child of Object.values(node.states ?? {})) visit(child);
  };
  visit(machine.root);
  return out;
}

/** The first path at which two plain values differ, e.g. `context.regs`. */
function describeDiff(a: unknown, b: unknown, path = ''): string {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path || 'the state';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) return describeDiff(x, y, path ? `${path}.${k}` : k);
  }
  return path || 'the state';
}

export interface OpKey {
  readonly op: string;
  readonly args: Args;
}

function defaultView(snapshot: { context: any }): unknown {
  const { ret: _ret, ...rest } = snapshot.context ?? {};
  return rest;
}

/** Tables shared by the threads of a parallel search, so spec-state and return ids agree between them. */
export interface SpecSharing {
  readonly views: SharedInternTable;
  readonly rets: SharedInternTable;
  readonly contexts: SharedInternTable;
}

export class SpecAdapter {
  /** Spec views by spec-state id. */
  readonly views: Interner<unknown>;
  /**
   * A snapshot to step from, per spec-state id (ret cleared). Sparse: an id
   * interned from an abstraction (internView) has no snapshot until the spec
   * itself reaches that view.
   */
  private readonly snapshots: (AnyMachineSnapshot | undefined)[] = [];
  readonly rets: Interner<RetValue>;
  readonly ops: OpKey[] = [];
  private readonly opIndex = new Map<string, number>();
  /** (specId, opId) -> index in `outcomeList` of the flat [nextSpecId, retId, ...] (a PairMap: a specId * 2^20 key is a heap number past 2047 spec states) */
  private readonly outcomeMemo = new PairMap();
  private readonly outcomeList: Int32Array[] = [];
  private readonly internalMemo = new Map<number, Int32Array>();
  /** (specId, opId) -> index in `pendingList` of the spec states the pending op's own internal steps reach */
  private readonly pendingMemo = new PairMap();
  private readonly pendingList: Int32Array[] = [];
  readonly initialId: number;
  transitionsRun = 0;

  /** Canonical encodings of each spec state's full context (ret cleared), to catch a view that hides state. */
  private readonly contexts: Interner<unknown>;
  private readonly contextOf: number[] = [];

  constructor(
    private readonly spec: SpecDef<unknown, unknown>,
    private readonly params: unknown,
    private readonly shared?: SpecSharing,
  ) {
    this.views = new Interner<unknown>(shared?.views);
    this.rets = new Interner<RetValue>(shared?.rets);
    this.contexts = new Interner<unknown>(shared?.contexts);
    const ignored = ignoredSpecActions(spec.machine);
    if (ignored.length > 0) throw new SpecError(`spec actions the checker would ignore: ${ignored.join('; ')}`);
    let snap: AnyMachineSnapshot;
    try {
      [snap] = initialTransition(spec.machine, spec.input(params));
    } catch (e) {
      throw new SpecError(`spec initial state threw: ${(e as Error).message}`);
    }
    this.initialId = this.internSnapshot(snap);
  }

  private view(snap: AnyMachineSnapshot): unknown {
    return this.spec.view ? this.spec.view(snap) : defaultView(snap);
  }

  private internSnapshot(snap: AnyMachineSnapshot): number {
    if (snap.status === 'error')
      throw new SpecError(`spec machine entered an error state: ${String((snap as any).error)}`);
    const id = this.views.intern(this.view(snap));
    const full = this.contexts.intern({ value: snap.value, context: { ...snap.context, ret: null } });
    if (this.contextOf[id] === undefined) {
      // with shared tables, another thread may have reached this view first: its context is the one to match
      this.contextOf[id] = this.shared ? this.shared.views.attach(id, full + 1) - 1 : full;
      if (this.contextOf[id] === full)
        this.snapshots[id] = this.spec.machine.resolveState({
          value: snap.value,
          context: { ...snap.context, ret: undefined },
        });
    }
    if (this.contextOf[id] !== full) {
      throw new SpecError(
        `two spec states share one view but differ in their context: ${describeDiff(this.contexts.get(this.contextOf[id]!), this.contexts.get(full))} is missing from the view`,
      );
    }
    return id;
  }

  /** Dense id for an operation with its args (compile time only). */
  opId(op: string, args: Args): number {
    const key = op + '\u0000' + JSON.stringify(Object.entries(args).sort(([a], [b]) => (a < b ? -1 : 1)));
    let id = this.opIndex.get(key);
    if (id === undefined) {
      id = this.ops.length;
      this.ops.push({ op, args });
      this.opIndex.set(key, id);
    }
    return id;
  }

  private readonly retFast = new Map<unknown, number>();
  /** Strings apart from the rest (1 and '1' differ), by themselves: no key string built per call. */
  private readonly retStrings = new Map<string, number>();

  /** Id of a return value; primitives take a Map fast path (no encoding). */
  retId(v: RetValue): number {
    const str = typeof v === 'string';
    let id = str ? this.retStrings.get(v) : this.retFast.get(v);
    if (id === undefined) {
      id = this.rets.intern(v);
      if (str) this.retStrings.set(v, id);
      else this.retFast.set(v, id);
    }
    return id;
  }

  /** Intern an abstraction (same shape as a spec view). */
  internView(v: unknown): number {
    return this.views.intern(v);
  }

  private step(specId: number, ev: EventObject): AnyMachineSnapshot | undefined {
    this.transitionsRun++;
    let next: AnyMachineSnapshot;
    try {
      const from = this.snapshots[specId] ?? this.sharedSnapshot(specId);
      if (!from) throw new SpecError(`internal: spec state ${specId} has no snapshot`);
      next = this.spec.machine.transition(from, ev, (this.scope ??= this.inertScope()));
    } catch (e) {
      this.scope = undefined; // a transition that threw part-way may have left an actor registered
      throw new SpecError(`spec threw on ${ev.type}: ${(e as Error).message}`);
    }
    if (next.status === 'error')
      throw new SpecError(`spec entered an error state on ${ev.type}: ${String((next as any).error)}`);
    // A child spawned inside assign/enqueueActions would never run, and it would stay registered in
    // the shared scope's actor system (so the scope is dropped): reject it rather than let results
    // depend on call order.
    if (Object.keys(next.children ?? {}).length > 0) {
      this.scope = undefined;
      throw new SpecError(`spec spawned an actor on ${ev.type}: the checker runs no actors`);
    }
    if (next.context?.ret === undefined) return undefined;
    return next;
  }

  /**
   * The actor scope every transition runs in, built once. xstate's `transition(machine, snapshot,
   * event)` is `machine.transition(snapshot, event, scope)` with a new inert scope per call, whose
   * actor computes the machine's initial snapshot without input (thp's context factory then threw,
   * and building that Error was 8.4% of bench thp-menu's self time). The scope carries nothing
   * from one transition to the next for the machines accepted here: ignoredSpecActions allows only
   * assign, raise, enqueueActions, log and cancel, whose deferred effects `defer` drops as the inert
   * scope's did, and no invoke; step() rejects a transition that spawns a child and drops the scope
   * (as after any throw), so no registered actor outlives its transition in the scope's actor system
   * (a second child with the same systemId would collide).
   * The actions a transition returns for an actor to execute were discarded before as now.
   */
  private scope: AnyActorScope | undefined;

  private inertScope(): AnyActorScope {
    const self = createActor(this.spec.machine, { input: this.spec.input(this.params) });
    return {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      emit: () => {},
      system: self.system,
      stopChild: () => {},
      actionExecutor: () => {},
    };
  }

  /** A spec state another thread reached first: its snapshot, rebuilt from the shared full context. */
  private sharedSnapshot(specId: number): AnyMachineSnapshot | undefined {
    const ctx = this.shared ? this.shared.views.aux(specId) - 1 : -1;
    if (ctx < 0) return undefined;
    const full = this.contexts.get(ctx) as { value: AnyMachineSnapshot['value']; context: Record<string, unknown> };
    this.contextOf[specId] = ctx;
    const snap = this.spec.machine.resolveState({ value: full.value, context: { ...full.context, ret: undefined } });
    this.snapshots[specId] = snap;
    return snap;
  }

  private event(op: string, args: Args, choice: ArgValue | undefined): EventObject {
    if (this.spec.event) return this.spec.event(op, args, choice);
    return (choice === undefined ? { type: op, ...args } : { type: op, ...args, choice }) as EventObject;
  }

  /** All (nextSpecId, retId) outcomes of op `opId` from spec state `specId`, as a flat array. */
  outcomes(specId: number, opId: number): Int32Array {
    const at = this.outcomeMemo.get(specId, opId, -1);
    if (at >= 0) return this.outcomeList[at]!;
    const { op, args } = this.ops[opId]!;
    const c = this.spec.choices;
    const choices = typeof c === 'function' ? c(op, args, this.views.get(specId), this.params) : c?.[op];
    const found: number[] = [];
    const tryEvent = (choice: ArgValue | undefined) => {
      const next = this.step(specId, this.event(op, args, choice));
      if (!next) return;
      const s = this.internSnapshot(next);
      const r = this.retId(next.context.ret as RetValue);
      // exact duplicate check (few outcomes, memoized): no packed key that could alias
      for (let i = 0; i < found.length; i += 2) if (found[i] === s && found[i + 1] === r) return;
      found.push(s, r);
    };
    if (choices && choices.length > 0) for (const c of choices) tryEvent(c);
    else tryEvent(undefined);
    const out = Int32Array.from(found);
    this.outcomeMemo.set(specId, opId, this.outcomeList.length);
    this.outcomeList.push(out);
    return out;
  }

  /** Spec states reachable by one internal step from `specId`. */
  internalSuccessors(specId: number): Int32Array {
    let out = this.internalMemo.get(specId);
    if (out !== undefined) return out;
    const found = new Set<number>();
    if (this.spec.internal) {
      for (const ev of this.spec.internal(this.views.get(specId), this.params)) {
        const next = this.step(specId, ev);
        if (next) found.add(this.internSnapshot(next));
      }
    }
    found.delete(specId);
    out = Int32Array.from(found);
    this.internalMemo.set(specId, out);
    return out;
  }

  get hasInternal(): boolean {
    return this.spec.internal !== undefined;
  }

  /** Spec states reachable by one step that operation `opId`, in flight, may take before it linearizes. */
  pendingSuccessors(specId: number, opId: number): Int32Array {
    const at = this.pendingMemo.get(specId, opId, -1);
    if (at >= 0) return this.pendingList[at]!;
    const found = new Set<number>();
    if (this.spec.pendingInternal) {
      const { op, args } = this.ops[opId]!;
      for (const ev of this.spec.pendingInternal(this.views.get(specId), op, args, this.params)) {
        const next = this.step(specId, ev);
        if (next) found.add(this.internSnapshot(next));
      }
    }
    found.delete(specId);
    const out = Int32Array.from(found);
    this.pendingMemo.set(specId, opId, this.pendingList.length);
    this.pendingList.push(out);
    return out;
  }

  get hasPendingInternal(): boolean {
    return this.spec.pendingInternal !== undefined;
  }
}
