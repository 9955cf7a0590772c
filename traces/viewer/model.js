/*
 * mmcheck trace viewer, model: everything computed once when a trace loads.
 * No DOM here. A trace of 10,000 steps is flattened once (one pass, each state
 * against the previous one), so navigation and filtering never re-diff states.
 *
 * Classic script (not an ES module): pages opened from file:// cannot load
 * module scripts, and the viewer must open from file://.
 */
'use strict';
// oxlint-disable-next-line max-lines-per-function -- the classic-script module wrapper (file scope), not a function
(function (root) {
  const MMV = (root.MMV = root.MMV || {});

  function isObj(x) {
    return typeof x === 'object' && x !== null && !Array.isArray(x);
  }
  function tagOf(x) {
    if (!isObj(x)) return null;
    const k = Object.keys(x);
    return k.length === 1 && k[0][0] === '#' ? k[0] : null;
  }

  /** One-line text of an ITF value; set elements sorted so equal sets print equally. */
  function show(e) {
    if (e === undefined) return '∅';
    if (e === null) return 'null';
    if (typeof e === 'string') return /[\s,:{}[\]()"]/.test(e) || e === '' ? JSON.stringify(e) : e;
    if (typeof e !== 'object') return String(e);
    if (Array.isArray(e)) return '[' + e.map(show).join(', ') + ']';
    switch (tagOf(e)) {
      case '#bigint':
        return e['#bigint'];
      case '#set':
        return '{' + e['#set'].map(show).sort().join(', ') + '}';
      case '#tup':
        return '⟨' + e['#tup'].map(show).join(', ') + '⟩';
      case '#map':
        return '{' + e['#map'].map((p) => show(p[0]) + ' ↦ ' + show(p[1])).join(', ') + '}';
      case '#unserializable':
        return '<' + e['#unserializable'] + '>';
    }
    return (
      '{' +
      Object.keys(e)
        .map((k) => k + ': ' + show(e[k]))
        .join(', ') +
      '}'
    );
  }

  function leafList(a) {
    return a.every((x) => x === null || typeof x !== 'object' || tagOf(x) === '#bigint') && show(a).length <= 40;
  }

  /** Dotted paths to leaf texts: `impl.vma[0].st` -> `live`. Short scalar lists stay one leaf. */
  function flatten(e, prefix, out) {
    out = out || new Map();
    (function rec(x, p) {
      if (Array.isArray(x)) {
        if (leafList(x)) return void out.set(p, show(x));
        x.forEach((y, i) => rec(y, p + '[' + i + ']'));
        if (x.length === 0 && p !== prefix) out.set(p, '[]');
        return;
      }
      if (isObj(x) && !tagOf(x)) {
        const ks = Object.keys(x);
        if (ks.length === 0 && p !== prefix) out.set(p, '{}');
        ks.forEach((k) => rec(x[k], p ? p + '.' + k : k));
        return;
      }
      out.set(p, show(x));
    })(e, prefix);
    return out;
  }

  function under(a, b) {
    return b.startsWith(a + '.') || b.startsWith(a + '[');
  }

  /** Changed leaves between two flattened maps; a container going empty <-> non-empty shows as its elements. */
  function diffFlat(fa, fb) {
    const out = [];
    fa.forEach((x, p) => {
      const y = fb.get(p);
      if (y !== x) out.push({ path: p, old: x, new: y });
    });
    fb.forEach((y, p) => {
      if (!fa.has(p)) out.push({ path: p, old: undefined, new: y });
    });
    if (out.length < 2) return out;
    return out.filter(
      (c) =>
        !(c.new === undefined && out.some((d) => d.old === undefined && under(c.path, d.path))) &&
        !(c.old === undefined && out.some((d) => d.new === undefined && under(c.path, d.path))),
    );
  }

  function diff(a, b, prefix) {
    return diffFlat(flatten(a, prefix), flatten(b, prefix));
  }

  /** True for a local being zero-initialised or cleared (0 <-> absent, 0 -> 0): noise by default. */
  function zeroish(v) {
    return v === undefined || v === '0';
  }

  function threadCount(t) {
    let n = 1;
    t.states.forEach((s, i) => {
      if (Array.isArray(s.threads)) n = Math.max(n, s.threads.length);
      const m = s['#meta'];
      if (i > 0 && m && typeof m.thread === 'number') n = Math.max(n, m.thread + 1);
    });
    return n;
  }

  /** Flatten one state's variables (spec excluded: it is a set of candidates, shown apart). */
  function flattenState(t, s) {
    const out = new Map();
    t.vars.forEach((v) => {
      if (v === 'spec') return;
      if (v === 'threads' && Array.isArray(s.threads)) {
        s.threads.forEach((th, k) => flatten(th, 'T' + k, out));
        return;
      }
      flatten(s[v], v, out);
    });
    return out;
  }

  function groupOf(path) {
    if (path.startsWith('abstract')) return 'abstract';
    if (/^T\d+\.locals/.test(path)) return 'locals';
    if (/^T\d+/.test(path)) return 'thread';
    return 'impl';
  }

  function inFlight(s) {
    return Array.isArray(s.threads) && s.threads.some((th) => isObj(th) && th.op !== undefined);
  }

  /**
   * The first step at which no spec state explains the implementation: the set
   * of spec states consistent with the history is empty, or at a quiescent state
   * (no operation in flight) abstraction(impl) equals none of them. Mid-operation
   * states are not compared: refinement is only promised when nothing is in flight.
   */
  function firstDivergence(t) {
    if (!t.vars.includes('abstract') || !t.vars.includes('spec')) return null;
    for (let i = 1; i < t.states.length; i++) {
      const s = t.states[i];
      const cands = (s.spec && s.spec['#set']) || [];
      if (cands.length === 0) return i;
      if (inFlight(s)) continue;
      const a = show(s.abstract);
      if (!cands.some((c) => show(c) === a)) return i;
    }
    return null;
  }

  /** Everything the views need, computed once per trace. */
  function build(t) {
    const n = t.states.length - 1;
    const threads = threadCount(t);
    const steps = new Array(n + 1);
    const changeIndex = new Map(); // path -> step indices (ascending) where it changes
    let prev = flattenState(t, t.states[0]);
    steps[0] = { i: 0, thread: -1, meta: t.states[0]['#meta'] || {}, changes: [] };
    for (let i = 1; i <= n; i++) {
      const s = t.states[i];
      const cur = flattenState(t, s);
      const changes = diffFlat(prev, cur).map((c) => {
        const group = groupOf(c.path);
        return Object.assign(c, { group, zero: group === 'locals' && zeroish(c.old) && zeroish(c.new) });
      });
      for (const c of changes) {
        let a = changeIndex.get(c.path);
        if (!a) changeIndex.set(c.path, (a = []));
        a.push(i);
      }
      const m = s['#meta'] || {};
      steps[i] = { i, thread: typeof m.thread === 'number' ? m.thread : 0, meta: m, changes };
      prev = cur;
    }
    const mmcheck = (t['#meta'] || {}).source === 'mmcheck';
    return {
      t,
      n,
      threads,
      steps,
      changeIndex,
      fields: [...changeIndex.keys()].sort(),
      violating: mmcheck && n > 0 ? n : null,
      divergence: firstDivergence(t),
    };
  }

  function check(t) {
    if (!isObj(t)) throw new Error('not an ITF trace: top level is not a JSON object');
    if (!Array.isArray(t.vars)) throw new Error('not an ITF trace: missing "vars"');
    if (!Array.isArray(t.states) || t.states.length === 0)
      throw new Error('not an ITF trace: missing or empty "states"');
    t.states.forEach((s, i) => {
      if (!isObj(s)) throw new Error('states[' + i + '] is not an object');
      t.vars.forEach((v) => {
        if (!(v in s)) throw new Error('states[' + i + "] is missing var '" + v + "'");
      });
    });
    return t;
  }

  MMV.model = { isObj, tagOf, show, flatten, flattenState, diff, diffFlat, build, check, firstDivergence, inFlight };
})(typeof window !== 'undefined' ? window : globalThis);
