/*
 * mmcheck trace viewer, application: loading (embedded data, file picker, drag
 * and drop, ?trace=URL when served), the verdict, the toolbar (jump to the
 * violation and to the first spec/abstraction divergence, thread and field
 * filters, toggles) and the keyboard (j/k steps, n/p changes of the selected
 * field). The selection is mirrored in the URL hash (#step=N) and on
 * <body data-selected> for tests.
 */
'use strict';
// oxlint-disable-next-line max-lines-per-function -- the classic-script module wrapper (file scope), not a function
(function (root) {
  const MMV = root.MMV;
  const { show, check, build } = MMV.model;
  const el = MMV.el;
  const $ = (id) => document.getElementById(id);
  const app = (root.mmviewer = { model: null, lanes: null, selected: 0, field: null });
  const query = new URLSearchParams(location.search);

  function fail(msg) {
    const e = $('error');
    e.textContent = msg;
    e.hidden = false;
  }

  function options() {
    const m = app.model;
    const threadOn = [];
    for (let k = 0; k < m.threads; k++) {
      const box = document.querySelector('#threads input[data-thread="' + k + '"]');
      threadOn.push(!box || box.checked);
    }
    const terms = $('field-filter')
      .value.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    return {
      threadOn,
      terms,
      onlyMatching: true,
      showZero: $('opt-zero').checked,
      showThread: $('opt-threads').checked,
    };
  }

  function meta(t) {
    const m = t['#meta'] || {};
    const v = m.violation || {};
    const box = el('div', 'verdict');
    const title =
      m.source === 'mmcheck'
        ? '✗ ' + v.kind + ' violation: ' + (m.property || v.property)
        : 'ITF trace' + (m.source ? ' from ' + m.source : '');
    box.append(el('div', 'title', title));
    if (v.message) box.append(el('div', 'msg', v.message));
    const dl = el('dl', 'meta');
    const add = (k, val) => {
      if (val !== undefined && val !== null && val !== '') dl.append(el('dt', null, k), el('dd', null, val));
    };
    const sc = m.scenario || {};
    add('subsystem', m.subsystem);
    add('scenario', (sc.name || '') + (sc.description ? ' — ' + sc.description : ''));
    if ('variant' in m) add('variant', m.variant === null ? 'none (correct implementation)' : m.variant);
    if (m.bounds)
      add(
        'bounds',
        m.bounds.threads +
          ' threads, ops/thread [' +
          (m.bounds.opsPerThread || []).join(', ') +
          '], params ' +
          show(m.bounds.params),
      );
    add('steps', String(t.states.length - 1));
    add('search', m.stopReason ? m.stopReason + (m.exhaustive ? ' (exhaustive)' : ' (not exhaustive)') : undefined);
    const more = el('details');
    const raw = el('details');
    raw.append(el('summary', null, 'all #meta fields'), el('pre', 'mono', JSON.stringify(m, null, 2)));
    more.append(el('summary', null, 'scenario, variant, bounds'), dl, raw);
    box.append(more);
    return box;
  }

  function threadBoxes(n) {
    const span = $('threads');
    span.textContent = '';
    for (let k = 0; k < n; k++) {
      const lab = el('label', 'opt');
      const box = el('input');
      box.type = 'checkbox';
      box.checked = true;
      box.dataset.thread = String(k);
      box.addEventListener('change', relayout);
      lab.append(box, ' T' + k);
      span.append(lab);
    }
  }

  function relayout() {
    if (!app.model) return;
    app.lanes.layout(options());
    select(app.selected, false);
  }

  function select(i, reveal) {
    const m = app.model;
    if (!m) return;
    app.selected = Math.max(0, Math.min(m.n, i));
    app.lanes.selected = app.selected;
    document.body.dataset.selected = String(app.selected);
    if (reveal !== false) app.lanes.reveal(app.selected);
    else app.lanes.render();
    MMV.inspector.render($('inspector'), m, app.selected, options(), setField, app.field);
    if (history.replaceState) history.replaceState(null, '', '#step=' + app.selected);
  }

  function setField(path) {
    app.field = path || null;
    app.lanes.field = app.field;
    $('field-name').textContent = app.field || '(none: click a changed field)';
    document.body.dataset.field = app.field || '';
    select(app.selected, false);
  }

  /** The next (dir 1) or previous (-1) step that changes the selected field. */
  function nextChange(dir) {
    const m = app.model;
    if (!app.field) return;
    const idx = m.changeIndex.get(app.field) || [];
    const on = options().threadOn;
    const ok = (i) => on[m.steps[i].thread];
    const cand =
      dir > 0 ? idx.find((i) => i > app.selected && ok(i)) : [...idx].reverse().find((i) => i < app.selected && ok(i));
    if (cand !== undefined) select(cand);
  }

  function render(t, name) {
    const m = build(t);
    app.model = m;
    $('error').hidden = true;
    $('drop').hidden = true;
    $('app').hidden = false;
    $('fname').textContent = name || '';
    document.title = 'mmcheck: ' + ((t['#meta'] && t['#meta'].property) || name || 'trace');
    $('meta').textContent = '';
    $('meta').append(meta(t));
    threadBoxes(m.threads);
    $('jump-violation').disabled = m.violating === null;
    $('jump-violation').firstChild.textContent =
      m.violating === null ? '✗ violating step ' : '✗ violating step ' + m.violating + ' ';
    $('jump-divergence').firstChild.textContent =
      m.divergence === null ? '≠ no divergence ' : '≠ first divergence: step ' + m.divergence + ' ';
    $('jump-divergence').disabled = m.divergence === null;
    $('jump-divergence').title =
      m.divergence === null ? 'abstraction(impl) matches a spec state at every quiescent step' : 'step ' + m.divergence;
    const list = $('fields');
    list.textContent = '';
    m.fields.forEach((f) => list.append(Object.assign(document.createElement('option'), { value: f })));
    app.lanes = new MMV.Lanes($('lanes'), m, { select: (i) => select(i), field: setField });
    app.lanes.layout(options());
    const h = /^#step=(\d+)$/.exec(location.hash);
    setField(null);
    select(h ? Number(h[1]) : m.violating !== null ? m.violating : 0);
    document.body.dataset.loaded = 'true';
  }

  function load(text, name) {
    try {
      render(check(typeof text === 'string' ? JSON.parse(text) : text), name);
    } catch (e) {
      fail((name ? name + ': ' : '') + (e && e.message ? e.message : String(e)));
    }
  }
  app.load = load;

  function loadFile(f) {
    const r = new FileReader();
    r.onload = () => load(String(r.result), f.name);
    r.onerror = () => fail(f.name + ': cannot read');
    r.readAsText(f);
  }

  function onKey(e) {
    if (!app.model || e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target && e.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const m = app.model;
    const keys = {
      j: () => select(app.lanes.neighbour(1)),
      ArrowDown: () => select(app.lanes.neighbour(1)),
      k: () => select(app.lanes.neighbour(-1)),
      ArrowUp: () => select(app.lanes.neighbour(-1)),
      n: () => nextChange(1),
      p: () => nextChange(-1),
      v: () => m.violating !== null && select(m.violating),
      d: () => m.divergence !== null && select(m.divergence),
      g: () => select(app.lanes.rows[0]),
      G: () => select(app.lanes.rows[app.lanes.rows.length - 1]),
      '/': () => $('field-filter').focus(),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  }

  function wire() {
    $('file').addEventListener('change', (e) => {
      const f = e.target.files && e.target.files[0];
      if (f) loadFile(f);
    });
    ['opt-zero', 'opt-threads'].forEach((id) => $(id).addEventListener('change', relayout));
    $('field-filter').addEventListener('input', relayout);
    $('jump-violation').addEventListener('click', () => select(app.model.violating));
    $('jump-divergence').addEventListener('click', () => select(app.model.divergence));
    $('field-clear').addEventListener('click', () => setField(null));
    document.addEventListener('keydown', onKey);
    document.addEventListener('dragover', (e) => {
      e.preventDefault();
      document.body.classList.add('dragging');
    });
    document.addEventListener('dragleave', (e) => {
      if (e.target === document.documentElement || e.clientX === 0) document.body.classList.remove('dragging');
    });
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      document.body.classList.remove('dragging');
      const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (f) loadFile(f);
    });
  }

  function start() {
    wire();
    if (query.get('zero')) $('opt-zero').checked = true;
    if (query.get('threads')) $('opt-threads').checked = true;
    const embedded = $('itf-data').textContent.trim();
    const param = query.get('trace');
    if (embedded) return load(embedded, document.body.dataset.name || 'embedded trace');
    if (!param) return;
    if (location.protocol === 'file:')
      return fail(
        '?trace=' +
          param +
          ': a page opened from file:// may not read other files. Choose the file above or drop it here, ' +
          'run `mmcheck view ' +
          param +
          '` (writes a page with the trace inside), or serve the directory over http.',
      );
    fetch(param)
      .then((r) => {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then((txt) => load(txt, param))
      .catch((e) => fail(param + ': cannot fetch (' + e.message + ')'));
  }

  start();
})(window);
