/*
 * mmcheck trace viewer, step lanes: one row per step, one lane (column) per
 * thread; a step sits in the lane of the thread that took it, with the fields
 * it changed in the same cell. Virtualized: rows have computed heights and only
 * the rows in (or near) the viewport are in the DOM, so 10,000 steps scroll
 * as fast as 10.
 */
'use strict';
// oxlint-disable-next-line max-lines-per-function -- the classic-script module wrapper (file scope), not a function
(function (root) {
  const MMV = (root.MMV = root.MMV || {});
  const { show } = MMV.model;
  const LINE = 17;
  const HEAD = 38;
  const PAD = 8;
  const MAX_LINES = 12;
  const OVERSCAN = 8;

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function callText(m) {
    const a = m.args || {};
    return (
      m.op +
      '(' +
      Object.keys(a)
        .map((k) => k + '=' + show(a[k]))
        .join(', ') +
      ')'
    );
  }

  /** The changes of step `st` that the current options and field filter let through. */
  function visibleChanges(st, opts) {
    return st.changes.filter(
      (c) =>
        (opts.showZero || !c.zero) &&
        (opts.showThread || c.group !== 'thread') &&
        (!opts.terms.length || opts.terms.some((x) => c.path.includes(x))),
    );
  }

  /** Changes split by lane: a thread's own record (T<k>.…) in lane k, everything else in the mover's lane. */
  function byLane(st, changes, lanes) {
    const out = Array.from({ length: lanes }, () => []);
    for (const c of changes) {
      const m = /^T(\d+)[.[]/.exec(c.path);
      const k = m && Number(m[1]) < lanes ? Number(m[1]) : st.thread;
      out[k].push(c);
    }
    return out;
  }

  function linesOf(list) {
    return Math.min(list.length, MAX_LINES) + (list.length > MAX_LINES ? 1 : 0);
  }

  class Lanes {
    constructor(scroller, model, handlers) {
      this.scroller = scroller;
      this.model = model;
      this.on = handlers;
      this.inner = el('div', 'lanes-inner');
      this.head = el('div', 'lane-head');
      scroller.textContent = '';
      scroller.append(this.head, this.inner);
      scroller.style.setProperty('--lanes', String(model.threads));
      this.head.append(el('div', 'num', '#'));
      for (let k = 0; k < model.threads; k++) this.head.append(el('div', 'lane-title', 'T' + k));
      this.selected = 0;
      this.field = null;
      this.pending = false;
      scroller.addEventListener('scroll', () => this.schedule());
      root.addEventListener('resize', () => this.schedule());
    }

    /** Recompute the visible row list and its offsets (after a filter or option change). */
    layout(opts) {
      const m = this.model;
      this.opts = opts;
      const rows = [];
      const shown = [];
      for (let i = 0; i <= m.n; i++) {
        const st = m.steps[i];
        const keepAlways = i === 0 || i === m.violating || i === m.divergence;
        if (i > 0 && !opts.threadOn[st.thread] && !keepAlways) continue;
        const ch = i === 0 ? [] : visibleChanges(st, opts);
        if (opts.terms.length && opts.onlyMatching && ch.length === 0 && !keepAlways) continue;
        rows.push(i);
        shown.push(byLane(st, ch, m.threads));
      }
      const top = new Float64Array(rows.length + 1);
      for (let r = 0; r < rows.length; r++) {
        const st = m.steps[rows[r]];
        let h = 0;
        shown[r].forEach((list, k) => (h = Math.max(h, linesOf(list) * LINE + (k === st.thread ? HEAD : 0))));
        top[r + 1] = top[r] + Math.max(h, HEAD) + PAD;
      }
      this.rows = rows;
      this.shown = shown;
      this.top = top;
      this.rowOf = new Map(rows.map((i, r) => [i, r]));
      this.inner.style.height = top[rows.length] + 'px';
      this.render();
    }

    schedule() {
      if (this.pending) return;
      this.pending = true;
      root.requestAnimationFrame(() => {
        this.pending = false;
        this.render();
      });
    }

    /** First row whose bottom is below y (binary search over the offsets). */
    rowAt(y) {
      let lo = 0;
      let hi = this.rows.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.top[mid + 1] <= y) lo = mid + 1;
        else hi = mid;
      }
      return Math.max(0, lo);
    }

    render() {
      const y0 = this.scroller.scrollTop;
      const y1 = y0 + this.scroller.clientHeight;
      const from = Math.max(0, this.rowAt(y0) - OVERSCAN);
      const to = Math.min(this.rows.length, this.rowAt(y1) + OVERSCAN + 1);
      const frag = document.createDocumentFragment();
      for (let r = from; r < to; r++) frag.append(this.row(r));
      this.inner.textContent = '';
      this.inner.append(frag);
    }

    row(r) {
      const m = this.model;
      const i = this.rows[r];
      const st = m.steps[i];
      const cls = ['row'];
      if (i === this.selected) cls.push('selected');
      if (i === m.violating) cls.push('failing');
      if (i === m.divergence) cls.push('diverge');
      const row = el('div', cls.join(' '));
      row.dataset.step = String(i);
      row.style.top = this.top[r] + 'px';
      row.style.height = this.top[r + 1] - this.top[r] + 'px';
      const mark = i === m.violating ? '✗ ' : i === m.divergence ? '≠ ' : '';
      row.append(el('div', 'num', mark + i));
      if (i === 0) {
        const c = el('div', 'init muted', 'initial state');
        row.append(c);
      } else {
        const lanes = this.shown[r];
        for (let k = 0; k < m.threads; k++) {
          if (k === st.thread) row.append(this.cell(st, lanes[k]));
          else if (lanes[k].length) row.append(this.chips(el('div', 'lane side'), lanes[k]));
          else row.append(el('div', 'lane'));
        }
      }
      row.addEventListener('click', (e) => {
        const chip = e.target.closest && e.target.closest('.chg');
        if (chip) this.on.field(chip.dataset.path);
        this.on.select(i);
      });
      return row;
    }

    cell(st, changes) {
      const m = st.meta;
      const c = el('div', 'lane act');
      const line = el('div', 'what');
      const line2 = el('div', 'what');
      line.append(el('span', 'op', callText(m)));
      line2.append('› ', el('span', 'kstep', m.step));
      if ('ret' in m) line2.append(' ', el('span', 'ret', '= ' + show(m.ret)));
      (m.injected || []).forEach((s) => line2.append(' ', el('span', 'inj', '!inject:' + s)));
      if ((m.choices || []).length > (m.injected || []).length)
        line2.append(' ', el('span', 'choice', '?choose[' + m.choices.join(',') + ']'));
      line.title = line.textContent;
      line2.title = line2.textContent;
      c.append(line, line2);
      return this.chips(c, changes);
    }

    chips(c, changes) {
      changes.slice(0, MAX_LINES).forEach((ch) => c.append(chip(ch, ch.path === this.field)));
      if (changes.length > MAX_LINES)
        c.append(el('div', 'more muted', '+' + (changes.length - MAX_LINES) + ' more (see the state)'));
      return c;
    }

    /** Scroll so that step `i` is visible (centred when it was far away). */
    reveal(i) {
      const r = this.rowOf.get(i);
      if (r === undefined) return false;
      const top = this.top[r];
      const bottom = this.top[r + 1];
      const s = this.scroller;
      const headH = this.head.offsetHeight;
      if (top < s.scrollTop || bottom > s.scrollTop + s.clientHeight - headH)
        s.scrollTop = Math.max(0, top - (s.clientHeight - (bottom - top)) / 2);
      this.render();
      return true;
    }

    /** The visible step `delta` rows away from the selection. */
    neighbour(delta) {
      const r = this.rowOf.get(this.selected);
      if (r === undefined) return this.rows[0];
      return this.rows[Math.max(0, Math.min(this.rows.length - 1, r + delta))];
    }
  }

  function chip(ch, selected) {
    const d = el('div', 'chg g-' + ch.group + (selected ? ' sel-field' : ''));
    d.dataset.path = ch.path;
    d.append(el('span', 'path', ch.path + ': '));
    d.append(ch.old === undefined ? el('span', 'muted', '(absent)') : el('span', 'old', ch.old));
    d.append(' → ');
    d.append(ch.new === undefined ? el('span', 'muted', '(absent)') : el('span', 'new', ch.new));
    d.title = d.textContent;
    return d;
  }

  MMV.Lanes = Lanes;
  MMV.visibleChanges = visibleChanges;
  MMV.el = el;
  MMV.callText = callText;
})(typeof window !== 'undefined' ? window : globalThis);
