/**
 * Terminal rendering of check results:
 *   renderTrace(violation)  a Lincheck-like per-thread step table with state diffs;
 *   renderResult(result)    the summary a user reads first (bounds, coverage, verdict).
 *
 * Soundness first: a run that stopped (limit or violation) is never presented as
 * exhaustive, and an exhaustive run is still only a result for its bounds.
 */
import { porSummary, searchSummary, symmetrySummary } from '../checker/search-summary.js';
import type { CheckResult, StepLabel, TraceState, Violation } from '../checker/result.js';
import { diffPlain, show, type Change } from './diff.js';
import { renderFinalState } from './table-final.js';
import { isVacuous } from '../checker/verdict.js';

export interface RenderOptions {
  /** ANSI colours (default false). */
  readonly color?: boolean;
  /** Target width in columns (default 100, minimum 60). */
  readonly width?: number;
  /** At most this many spec candidates are diffed against the abstraction (default 3). */
  readonly maxCandidates?: number;
  /** Whether the search guarantees a shortest counterexample (default true; false: said so). */
  readonly shortest?: boolean;
}

// ---------------------------------------------------------------------------
// Small text helpers
// ---------------------------------------------------------------------------

type Paint = (s: string) => string;
export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
  magenta: Paint;
}

function palette(color: boolean): Palette {
  const c =
    (open: number, close: number): Paint =>
    (s) =>
      color && s ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    bold: c(1, 22),
    dim: c(2, 22),
    red: c(31, 39),
    green: c(32, 39),
    yellow: c(33, 39),
    cyan: c(36, 39),
    magenta: c(35, 39),
  };
}

/** Visible width: code points, ANSI sequences excluded. */
export function visibleWidth(s: string): number {
  // oxlint-disable-next-line no-control-regex -- ESC starts the ANSI colour sequences this strips
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

function pad(s: string, w: number): string {
  const n = visibleWidth(s);
  return n >= w ? s : s + ' '.repeat(w - n);
}

function padLeft(s: string, w: number): string {
  const n = visibleWidth(s);
  return n >= w ? s : ' '.repeat(w - n) + s;
}

/** Word-wrap plain text to `w` columns; words longer than `w` are cut. */
export function wrap(text: string, w: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    let rest = [...word];
    if (line && visibleWidth(line) + 1 + rest.length <= w) {
      line += ' ' + word;
      continue;
    }
    if (line) out.push(line);
    line = '';
    while (rest.length > w) {
      out.push(rest.slice(0, w).join(''));
      rest = rest.slice(w);
    }
    line = rest.join('');
  }
  if (line || out.length === 0) out.push(line);
  return out;
}

export function truncate(s: string, w: number): string {
  const cs = [...s];
  return cs.length <= w ? s : cs.slice(0, Math.max(0, w - 1)).join('') + '…';
}

/** `op(a=1, b=x)` */
export function formatCall(op: string, args: Readonly<Record<string, unknown>> | undefined): string {
  const a = Object.entries(args ?? {})
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
  return `${op}(${a})`;
}

/** The text of one step cell: `op(args) › step [= ret] [!inject:site] [?choices]`. */
export function formatStep(l: StepLabel): string {
  let s = `${formatCall(l.op, l.args)} › ${l.step}`;
  if (l.ret !== undefined) s += ` = ${show(l.ret ?? null)}`;
  for (const site of l.injected) s += ` !inject:${site}`;
  const extraChoices = l.choices.length > l.injected.length ? l.choices : [];
  if (extraChoices.length) s += ` ?choose[${extraChoices.join(',')}]`;
  return s;
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** TLC prints probabilities as `val = 1.1E-14`. */
export function tlcProbability(p: number): string {
  if (p === 0) return '0.0';
  if (!Number.isFinite(p)) return String(p);
  return p.toExponential(1).toUpperCase().replace('E+', 'E');
}

// ---------------------------------------------------------------------------
// renderTrace
// ---------------------------------------------------------------------------

function threadCount(states: readonly TraceState[], transitions: readonly StepLabel[]): number {
  let n = 0;
  for (const s of states) n = Math.max(n, s.threads.length);
  for (const t of transitions) n = Math.max(n, t.tid + 1);
  return Math.max(n, 1);
}

function changeLine(c: Change, p: Palette): string {
  const from = c.old === undefined ? p.dim('(absent)') : c.old;
  const to = c.new === undefined ? p.dim('(absent)') : p.yellow(c.new);
  return `${c.path}: ${from} → ${to}`;
}

interface Layout {
  readonly p: Palette;
  readonly n: number;
  readonly numW: number;
  readonly colW: number;
  readonly W: number;
}

/** One step: its line(s) in the mover's column, then the fields it changed and the abstraction's change. */
function stepRows(
  l: StepLabel,
  i: number,
  states: readonly TraceState[],
  steps: number,
  { p, n, numW, colW, W }: Layout,
): string[] {
  const out: string[] = [];
  const sep = p.dim(' │ ');
  const before = states[i];
  const after = states[i + 1];
  const failing = i === steps - 1;
  const cell = wrap(formatStep(l), colW);
  cell.forEach((line, j) => {
    const num = j === 0 ? (failing ? p.red(`✗${i + 1}`) : String(i + 1)) : '';
    const cols = Array.from({ length: n }, (_, t) => {
      if (t !== l.tid) return ' '.repeat(colW);
      let txt = pad(line, colW);
      if (l.injected.length) txt = p.magenta(txt);
      else if (failing) txt = p.red(txt);
      return txt;
    });
    out.push(`${padLeft(num, numW)}${sep}${cols.join(sep)}`.replace(/\s+$/, ''));
  });
  if (!before || !after) return out;
  const indent = ' '.repeat(numW) + p.dim(' ┆   ');
  const bodyW = W - numW - 5;
  const changes = diffPlain(before.impl, after.impl, 'impl');
  const tb = before.threads[l.tid];
  const ta = after.threads[l.tid];
  if (tb?.locals || ta?.locals) {
    // Locals start and end at 0: an op starting (absent -> 0) or finishing (0 -> absent) is noise.
    for (const c of diffPlain(tb?.locals ?? {}, ta?.locals ?? {}, `T${l.tid}.locals`))
      if (!((c.old === undefined && c.new === '0') || (c.old === '0' && c.new === undefined))) changes.push(c);
  }
  if (after.faultsUsed !== before.faultsUsed)
    changes.push({ path: 'faultsUsed', old: String(before.faultsUsed), new: String(after.faultsUsed) });
  for (const c of changes) for (const w of wrap(changeLine(c, p), bodyW)) out.push(indent + w);
  if (after.abstract !== undefined) {
    const ad = diffPlain(before.abstract, after.abstract, 'abstract');
    if (ad.length) {
      out.push(indent + p.cyan(`abstract → ${truncate(show(after.abstract), bodyW - 11)}`));
      for (const c of ad) for (const w of wrap(changeLine(c, p), bodyW - 2)) out.push(indent + '  ' + w);
    }
  }
  return out;
}

/**
 * The counterexample as a per-thread step table (one column per thread, one
 * row per step), with the impl fields each step changed (old → new), the
 * abstraction when it changed, and at the failing step the spec state(s) the
 * implementation should have matched against the abstraction, as a diff.
 */
export function renderTrace(violation: Violation, opts: RenderOptions = {}): string {
  const p = palette(opts.color ?? false);
  const W = Math.max(60, opts.width ?? 100);
  const maxCand = opts.maxCandidates ?? 3;
  const { states, transitions } = violation.trace;
  const out: string[] = [];

  // Header
  out.push(p.bold(p.red(`✗ ${violation.kind} violation: ${violation.property}`)));
  for (const l of wrap(violation.message, W - 2)) out.push(`  ${l}`);
  out.push(
    p.dim(
      `  ${opts.shortest === false ? 'counterexample (not necessarily shortest)' : 'shortest counterexample'}: ${transitions.length} step${transitions.length === 1 ? '' : 's'}` +
        (transitions.length ? `, failing at step ${transitions.length}` : ', in the initial state'),
    ),
  );
  out.push('');

  const n = threadCount(states, transitions);
  const numW = Math.max(3, String(transitions.length).length + 1);
  const colW = Math.max(12, Math.floor((W - numW - 1 - n * 3) / n));
  const sep = p.dim(' │ ');
  const header = `${padLeft('#', numW)}${sep}${Array.from({ length: n }, (_, t) => pad(p.bold(`T${t}`), colW)).join(sep)}`;
  out.push(header);
  out.push(p.dim(`${'─'.repeat(numW)}─┼─${Array.from({ length: n }, () => '─'.repeat(colW)).join('─┼─')}`));

  const initial = states[0];
  if (initial) {
    out.push(`${padLeft('0', numW)}${sep}${p.dim('initial state')}`);
  }

  transitions.forEach((l, i) => out.push(...stepRows(l, i, states, transitions.length, { p, n, numW, colW, W })));
  out.push('');

  out.push(...renderFinalState(violation, p, W, maxCand));
  return out.map((l) => l.replace(/\s+$/, '')).join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// renderResult
// ---------------------------------------------------------------------------

/** Why the run is or is not exhaustive, in words. */
export function exhaustiveness(r: CheckResult): { exhaustive: boolean; why: string } {
  const exhaustive = r.exhaustive && r.stopReason === 'complete' && !r.violation;
  if (exhaustive) return { exhaustive, why: 'complete: every reachable state of these bounds was visited' };
  switch (r.stopReason) {
    case 'violation':
      return { exhaustive: false, why: 'violation: the search stopped at the first counterexample' };
    case 'state-limit':
      return { exhaustive: false, why: 'state-limit: the search stopped at the state limit' };
    case 'time-limit':
      return { exhaustive: false, why: 'time-limit: the search stopped at the time limit' };
    case 'depth-limit':
      return { exhaustive: false, why: 'depth-limit: the depth bound cut the search' };
    case 'complete':
      if (r.search?.visited === 'bitstate' && !r.violation)
        return {
          exhaustive: false,
          why: 'bitstate: the search completed, but hash compaction may have omitted states',
        };
      return {
        exhaustive: false,
        why: r.violation
          ? 'inconsistent result: search complete but a violation is reported'
          : 'inconsistent result: search complete but not flagged exhaustive',
      };
    default:
      return { exhaustive: false, why: `unknown stop reason '${String(r.stopReason)}'` };
  }
}

/** The run summary: what was explored, how thoroughly, and the verdict. */
export function renderResult(result: CheckResult, opts: RenderOptions = {}): string {
  const p = palette(opts.color ?? false);
  const W = Math.max(60, opts.width ?? 100);
  const r = result;
  const out: string[] = [];
  const kv = (k: string, v: string): void => {
    const lines = wrap(v, W - 16);
    lines.forEach((l, i) => out.push(`  ${pad(i === 0 ? k : '', 14)}${l}`));
  };

  out.push(p.bold(`mmcheck ${r.subsystem} / ${r.scenario}${r.variant ? `  (variant ${r.variant})` : ''}`));
  if (r.scenarioDescription) kv('scenario', r.scenarioDescription);
  if (r.impl) kv('impl', `${r.impl} (an alternative implementation of the ${r.subsystem} spec; --impl ${r.impl})`);
  kv('variant', r.variant ?? 'none (correct implementation)');
  const b = r.bounds;
  const faults =
    b.faultBudget > 0 && b.faultSites.length
      ? `${b.faultBudget} injected failure${b.faultBudget === 1 ? '' : 's'} at ${b.faultSites.join(', ')}`
      : 'no fault injection';
  kv(
    'bounds',
    `${b.threads} thread${b.threads === 1 ? '' : 's'}, ops/thread [${b.opsPerThread.join(', ')}]${b.minOpsPerThread ? ` (menu threads: any program of at least [${b.minOpsPerThread.join(', ')}] ops)` : ''}, ${faults}; params ${show(b.params)}`,
  );
  const ex = exhaustiveness(r);
  kv('exhaustive', ex.exhaustive ? `yes (${ex.why})` : p.yellow(`NO (${ex.why})`));
  kv('search', searchSummary(r));
  kv('states', `${fmtInt(r.states)} distinct, ${fmtInt(r.transitions)} transitions, max depth ${fmtInt(r.maxDepth)}`);
  if (r.symmetry) kv('symmetry', symmetrySummary(r.symmetry));
  if (r.por) kv('por', porSummary(r.por));
  kv('time', `${r.seconds.toFixed(2)} s, ${fmtInt(r.statesPerSecond)} states/s`);
  kv(
    'fingerprints',
    `collision probability calculated (optimistic): val = ${tlcProbability(r.collisionProbability)}; ${r.bytesPerState.toFixed(1)} bytes/state`,
  );
  kv(
    'refinement',
    `${r.refinement}${r.refinement === 'none (no spec)' ? '' : `, ${fmtInt(r.specStates)} spec states`}`,
  );

  if (r.invariants.length) {
    const nameW = Math.min(40, Math.max(9, ...r.invariants.map((i) => i.name.length)));
    out.push(`  invariants${ex.exhaustive ? '' : ' (counts cover the explored part only)'}`);
    out.push(
      p.dim(`    ${pad('name', nameW)}  ${pad('when', 9)}  ${padLeft('checked', 12)}  ${padLeft('non-trivial', 12)}`),
    );
    for (const i of r.invariants) {
      const vac =
        i.applicable === false
          ? '  ' + p.dim('not applicable (scenario params)')
          : isVacuous(i)
            ? '  ' + p.yellow('VACUOUS')
            : '';
      out.push(
        `    ${pad(truncate(i.name, nameW), nameW)}  ${pad(i.when, 9)}  ${padLeft(fmtInt(i.checked), 12)}  ${padLeft(fmtInt(i.nonTrivial), 12)}${vac}`,
      );
    }
  } else kv('invariants', 'none registered');

  const unreached = b.faultSitesNeverReached ?? [];
  if (unreached.length)
    kv(
      'fault sites',
      `${unreached.join(', ')}: listed but never reached by any step (VACUOUS: a typo, or a path not explored)`,
    );
  if (r.preconditions.length) {
    out.push('  preconditions broken by the scenario (paths pruned, not bugs):');
    for (const pc of r.preconditions)
      for (const l of wrap(`${fmtInt(pc.count)}× ${pc.text}`, W - 4)) out.push(`    ${l}`);
  } else kv('preconditions', 'none broken');

  const { verdict, paint } = verdictOf(r, ex, p);
  wrap(verdict, W - 16).forEach((l, i) => out.push(`  ${pad(i === 0 ? 'verdict' : '', 14)}${paint(l)}`));
  return out.join('\n') + '\n';
}

/** The closing verdict line of renderResult and its colour. */
function verdictOf(
  r: CheckResult,
  ex: { exhaustive: boolean; why: string },
  p: ReturnType<typeof palette>,
): { verdict: string; paint: Paint } {
  const vacuous = r.invariants.filter(isVacuous).map((i) => i.name);
  let verdict: string;
  let paint: Paint;
  if (r.violation) {
    const v = r.violation;
    const k = v.trace.transitions.length;
    const which =
      r.search?.shortestCounterexample === false
        ? 'counterexample (not necessarily shortest)'
        : 'shortest counterexample';
    verdict = `VIOLATION: ${v.property} (${v.kind}); ${which} has ${k} step${k === 1 ? '' : 's'}`;
    paint = (s) => p.red(p.bold(s));
  } else if (ex.exhaustive) {
    verdict =
      `PASS within bounds: no violation in all ${fmtInt(r.states)} reachable states of this scenario ` +
      (r.symmetry?.applied
        ? `(canonical states; ${fmtInt(r.symmetry.unreducedStates)} without symmetry reduction) `
        : '') +
      (r.por?.applied ? '(reduced by partial-order reduction) ' : '') +
      `(a bounded result, not a proof for other bounds)`;
    if (vacuous.length) verdict += `; but VACUOUS: ${vacuous.join(', ')} never exercised`;
    paint = vacuous.length ? (s) => p.yellow(p.bold(s)) : (s) => p.green(p.bold(s));
  } else {
    verdict =
      `INCONCLUSIVE, NOT exhaustive: no violation in the ${fmtInt(r.states)} states explored, ` +
      `but the search did not finish (${ex.why})`;
    paint = (s) => p.yellow(p.bold(s));
  }
  return { verdict, paint };
}
