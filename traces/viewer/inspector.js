/*
 * mmcheck trace viewer, inspector: the state after the selected step, with the
 * cells that step changed highlighted, and the spec states it should match
 * next to abstraction(impl).
 */
'use strict';
// oxlint-disable-next-line max-lines-per-function -- the classic-script module wrapper (file scope), not a function
(function (root) {
  const MMV = (root.MMV = root.MMV || {});
  const { show, flattenState, diff, inFlight } = MMV.model;
  const el = MMV.el;

  /** Thread records of idle threads and zero locals are noise unless asked for. */
  function hidden(path, value, s, opts) {
    if (opts.showZero) return false;
    const m = /^T(\d+)(\.locals)?/.exec(path);
    if (!m) return false;
    const th = s.threads && s.threads[Number(m[1])];
    if (!th || th.op === undefined) return true; // idle thread
    return m[2] !== undefined && value === '0';
  }

  function stateTable(model, i, opts, onField, field) {
    const t = model.t;
    const s = t.states[i];
    const changed = new Set(model.steps[i].changes.map((c) => c.path));
    const tb = el('table', 'state');
    let hiddenCount = 0;
    flattenState(t, s).forEach((val, path) => {
      if (opts.terms.length && !opts.terms.some((x) => path.includes(x))) return;
      if (hidden(path, val, s, opts)) return void hiddenCount++;
      const cls = [changed.has(path) ? 'changed' : '', path === field ? 'sel-field' : ''].join(' ').trim();
      const tr = el('tr', cls);
      tr.dataset.path = path;
      tr.append(el('td', 'k', path), el('td', 'v', val));
      tr.addEventListener('click', () => onField(path));
      tb.append(tr);
    });
    return { tb, hiddenCount };
  }

  function specSection(model, i) {
    const t = model.t;
    const s = t.states[i];
    const wrap = el('section', 'spec');
    if (!t.vars.includes('abstract')) return wrap;
    const cands = (s.spec && s.spec['#set']) || [];
    const head = el('h3', null, 'Spec vs abstraction(impl)');
    wrap.append(head);
    if (cands.length === 0) {
      wrap.append(el('div', 'bad', 'no spec state is consistent with the history up to step ' + i));
      const prev = i > 0 ? (t.states[i - 1].spec || {})['#set'] || [] : [];
      if (prev.length) wrap.append(diffTables(prev, s.abstract, 'candidates before this step'));
      return wrap;
    }
    const a = show(s.abstract);
    const match = cands.findIndex((c) => show(c) === a);
    if (inFlight(s))
      wrap.append(el('div', 'muted', 'an operation is in flight: refinement is checked only at quiescent states'));
    if (match >= 0)
      wrap.append(el('div', 'ok', 'abstraction(impl) equals spec state ' + (match + 1) + ' of ' + cands.length));
    else wrap.append(diffTables(cands, s.abstract, cands.length + ' spec state(s) consistent with the history'));
    return wrap;
  }

  function diffTables(cands, abs, note) {
    const box = el('div');
    box.append(el('div', 'muted', note));
    const scored = cands
      .map((c, k) => ({ k, d: diff(c, abs, '') }))
      .sort((x, y) => x.d.length - y.d.length || x.k - y.k)
      .slice(0, 3);
    scored.forEach((sc, r) => {
      const tb = el('table', 'diff');
      const hr = el('tr');
      hr.append(el('th', null, 'field'), el('th', null, 'spec (expected)'), el('th', null, 'abstraction(impl)'));
      tb.append(hr);
      sc.d.forEach((c) => {
        const tr = el('tr');
        tr.append(el('td', 'mono', c.path || '(value)'), el('td', 'spec', c.old === undefined ? '(absent)' : c.old));
        tr.append(el('td', 'abs', c.new === undefined ? '(absent)' : c.new));
        tb.append(tr);
      });
      const what = sc.d.length === 1 ? ' field differs' : ' fields differ';
      box.append(el('div', 'cand', (r === 0 ? 'closest spec state: ' : 'spec state: ') + sc.d.length + what), tb);
    });
    return box;
  }

  function render(pane, model, i, opts, onField, field) {
    const st = model.steps[i];
    pane.textContent = '';
    const title =
      i === 0
        ? 'Initial state'
        : 'State after step ' + i + ' — T' + st.thread + ' ' + MMV.callText(st.meta) + ' › ' + st.meta.step;
    const h = el('h2', i === model.violating ? 'bad' : null, (i === model.violating ? '✗ ' : '') + title);
    pane.append(h);
    if (i === model.violating)
      pane.append(el('div', 'bad msg', ((model.t['#meta'] || {}).violation || {}).message || ''));
    pane.append(specSection(model, i));
    const { tb, hiddenCount } = stateTable(model, i, opts, onField, field);
    pane.append(el('h3', null, 'State (cells this step changed are highlighted)'), tb);
    if (hiddenCount)
      pane.append(
        el('div', 'muted', hiddenCount + ' idle-thread and zero-local fields hidden (toggle “idle & zero locals”)'),
      );
  }

  MMV.inspector = { render };
})(typeof window !== 'undefined' ? window : globalThis);
