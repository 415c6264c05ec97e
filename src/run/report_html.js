/* report.html's script: renders the embedded results (the JSON block #llmt-data, written
 * by src/run/report_html_data.c) into the views. Every value from the data reaches the
 * page as text (textContent, setAttribute), never as markup. Big tables draw only the
 * rows on screen. The view state lives in the URL hash, so a link shows the same view. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('llmt-data').textContent);
  var F_ERROR = 1, F_FALLBACK = 2, F_CACHED = 4, F_UNENFORCED = 8, F_NOJSON = 16, F_RELAXED = 32;
  var DIFF = D.mode === 'diff';
  var NEW = DIFF ? 1 : 0;       /* the side whose results the run views show */
  var NM = D.models.length;
  var ROW_H = 26;               /* a table row's height, px, until one is measured */
  var app = document.getElementById('app');

  /* ---- small helpers ---------------------------------------------------------- */
  function el(tag, attrs, kids) {
    var e = document.createElement(tag), k;
    if (attrs) for (k in attrs) {
      if (attrs[k] === null || attrs[k] === undefined) continue;
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'on') { var ev; for (ev in attrs.on) e.addEventListener(ev, attrs.on[ev]); }
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag), k;
    for (k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pct(v) { return v === null || v === undefined || isNaN(v) ? '-' : v.toFixed(2) + '%'; }
  function money(v, unknown) { return v === null || v === undefined ? 'unknown' : (unknown ? '\u2265 ' : '') + '$' + v.toFixed(6); }
  function ms(v) { return v === null || v === undefined || isNaN(v) ? '-' : (v < 10 ? v.toFixed(2) : Math.round(v)) + ' ms'; }
  function signed(v, digits, unit) { return v === null || isNaN(v) ? '-' : (v > 0 ? '+' : '') + v.toFixed(digits) + (unit || ''); }
  function mean(a) { if (!a.length) return null; var s = 0; a.forEach(function (x) { s += x; }); return s / a.length; }
  function quantile(sorted, q) {
    if (!sorted.length) return null;
    var i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[i];
  }
  function heat(acc) {
    if (acc === null || acc === undefined) return '';
    var h = Math.max(0, Math.min(100, acc)) * 1.2;
    return 'background:hsl(' + h.toFixed(0) + ',var(--heat-s),var(--heat-l))';
  }
  function fold(p) { return p.replace(/\/\d+(?=\/|$)/g, '/[]'); }
  function caseName(c) { return D.tasks[D.cases[c].t] + ' / ' + D.cases[c].n; }

  /* ---- state in the URL hash --------------------------------------------------- */
  var S = { view: DIFF ? 'changes' : 'overview', task: '', model: '', only: '', q: '', sort: {}, open: '', field: '' };
  function readHash() {
    var h = new URLSearchParams(location.hash.replace(/^#/, ''));
    S.view = h.get('view') || S.view;
    S.task = h.get('task') || ''; S.model = h.get('model') || ''; S.only = h.get('only') || '';
    S.q = h.get('q') || ''; S.open = h.get('open') || ''; S.field = h.get('field') || '';
    S.sort = {};
    (h.get('sort') || '').split(',').forEach(function (s) {
      var p = s.split('.');
      if (p.length === 3) S.sort[p[0]] = { col: p[1], dir: p[2] === 'd' ? -1 : 1 };
    });
  }
  function writeHash() {
    var h = new URLSearchParams(), k, sorts = [];
    h.set('view', S.view);
    ['task', 'model', 'only', 'q', 'open', 'field'].forEach(function (k2) { if (S[k2]) h.set(k2, S[k2]); });
    for (k in S.sort) sorts.push(k + '.' + S.sort[k].col + '.' + (S.sort[k].dir < 0 ? 'd' : 'a'));
    if (sorts.length) h.set('sort', sorts.join(','));
    var s = '#' + h.toString();
    if (location.hash !== s) history.replaceState(null, '', s);
  }

  /* ---- the results, grouped ------------------------------------------------------ */
  /* cells[c * NM + m] = [results of the new side by repeat, results of the old side] */
  var cells = new Array(D.cases.length * NM);
  /* the value at JSON pointer p in v (undefined when there is none) */
  function atPointer(v, p) {
    if (!p) return v;
    var parts = p.split('/').slice(1);
    for (var i = 0; i < parts.length && v !== undefined && v !== null; i++)
      v = typeof v === 'object' ? v[parts[i].replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    return v;
  }
  D.results.forEach(function (r) {
    if (r.sx) r.x = D.cases[r.c].x;   /* the answer was the expected one */
    /* a large actual value is not repeated: it is the answer's value at the field's path */
    (r.lo || []).forEach(function (l) { if (l.ai) l.ac = atPointer(r.x, D.paths[l.p]); });
    var k = r.c * NM + r.m, cell = cells[k] || (cells[k] = [[], []]);
    cell[DIFF ? (r.s ? 0 : 1) : 0].push(r);
  });
  function answered(r) { return r.a !== null && r.a !== undefined && !(r.f & F_FALLBACK); }
  function cellStats(list) {
    if (!list || !list.length) return null;
    var accs = list.filter(answered).map(function (r) { return r.a; });
    var st = { n: list.length, acc: mean(accs), min: accs.length ? Math.min.apply(null, accs) : null,
      max: accs.length ? Math.max.apply(null, accs) : null, f: 0, invalid: false, flaky: false };
    list.forEach(function (r) { st.f |= r.f || 0; if (!r.v && !(r.f & F_ERROR)) st.invalid = true; });
    if (list.length > 1) {
      var first = JSON.stringify(list[0].x === undefined ? null : list[0].x);
      st.flaky = list.some(function (r) { return JSON.stringify(r.x === undefined ? null : r.x) !== first; });
    }
    return st;
  }
  var statsCache = {};
  function cellOf(c, m, side) {
    var key = c * NM + m + (side ? 'o' : 'n');
    if (!(key in statsCache)) { var cell = cells[c * NM + m]; statsCache[key] = cell ? cellStats(cell[side || 0]) : null; }
    return statsCache[key];
  }
  var maxRepeat = 1;
  cells.forEach(function (cell) { if (cell) maxRepeat = Math.max(maxRepeat, cell[0].length, cell[1].length); });

  /* ---- filters --------------------------------------------------------------------- */
  var searchText = null;
  function caseText(c) {
    if (!searchText) searchText = [];
    if (searchText[c] === undefined) {
      var parts = [D.cases[c].n, D.tasks[D.cases[c].t], JSON.stringify(D.cases[c].x || null)];
      for (var m = 0; m < NM; m++) {
        var cell = cells[c * NM + m];
        if (cell) cell[0].concat(cell[1]).forEach(function (r) { parts.push(JSON.stringify(r.x || null), r.e || '', r.raw || ''); });
      }
      searchText[c] = parts.join('\n').toLowerCase();
    }
    return searchText[c];
  }
  function modelsShown() {
    var out = [];
    for (var m = 0; m < NM; m++) if (!S.model || S.model === D.models[m]) out.push(m);
    return out;
  }
  function changed(c, m) {
    var a = cellOf(c, m, 0), b = cellOf(c, m, 1);
    if (DIFF) return !a || !b || a.acc !== b.acc || (a.f & F_ERROR) !== (b.f & F_ERROR);
    return !!(a && a.flaky);
  }
  function caseShown(c, ms2) {
    if (S.task && D.tasks[D.cases[c].t] !== S.task) return false;
    var any = false, i;
    for (i = 0; i < ms2.length; i++) {
      var st = cellOf(c, ms2[i], 0) || cellOf(c, ms2[i], 1);
      if (!st) continue;
      if (!S.only) { any = true; break; }
      if (S.only === 'fail' && (st.acc === null || st.acc < 100 || st.invalid || (st.f & (F_ERROR | F_FALLBACK)))) { any = true; break; }
      if (S.only === 'invalid' && (st.invalid || (st.f & F_NOJSON))) { any = true; break; }
      if (S.only === 'changed' && changed(c, ms2[i])) { any = true; break; }
    }
    if (!any) return false;
    return !S.q || caseText(c).indexOf(S.q.toLowerCase()) >= 0;
  }
  function filterBar() {
    function sel(name, label, opts) {
      var s = el('select', { id: 'f-' + name, 'aria-label': label, on: { change: function () { S[name] = s.value; S.open = ''; render(); } } },
        opts.map(function (o) { return el('option', { value: o[0], text: o[1] }); }));
      s.value = S[name];
      return el('label', null, [label + ' ', s]);
    }
    var q = el('input', { type: 'search', id: 'f-q', placeholder: 'case names and values', value: S.q });
    var timer = null;
    q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        S.q = q.value; render();
        var nq = document.getElementById('f-q');
        nq.focus(); nq.setSelectionRange(nq.value.length, nq.value.length);
      }, 200);
    });
    var only = [['', 'all cases'], ['fail', 'only failures'], ['invalid', 'only invalid'], ['changed', DIFF ? 'only changed' : 'only flaky (repeats differ)']];
    return el('div', { class: 'filters noprint' }, [
      sel('task', 'Task', [['', 'all']].concat(D.tasks.map(function (t) { return [t, t]; }))),
      sel('model', 'Model', [['', 'all']].concat(D.models.map(function (m) { return [m, m]; }))),
      sel('only', 'Show', only),
      el('label', null, ['Search ', q])]);
  }

  /* ---- sortable tables, drawn whole or only the rows on screen ----------------------- */
  /* cols: [{id, label, num, value(row), cell(row) -> td content, td(row) -> attrs}] */
  function table(id, cols, rows, opts) {
    opts = opts || {};
    var st = S.sort[id];
    if (st) {
      var col = cols.filter(function (c) { return c.id === st.col; })[0];
      if (col) {
        var keyed = rows.map(function (r, i) { return [col.value(r), i, r]; });
        keyed.sort(function (a, b) {
          var x = a[0], y = b[0], r;
          if (x === y) r = 0;
          else if (x === null || x === undefined || x === '') return 1;   /* empty values last either way */
          else if (y === null || y === undefined || y === '') return -1;
          else r = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return r * st.dir || a[1] - b[1];
        });
        rows = keyed.map(function (k) { return k[2]; });
      }
    }
    var head = el('tr', null, cols.map(function (c) {
      var th = el('th', { class: 'sortable' + (c.num ? ' num' : ''), 'data-col': c.id, title: c.title || null, tabindex: 0,
        'aria-sort': st && st.col === c.id ? (st.dir < 0 ? 'descending' : 'ascending') : null, text: c.label });
      function go() {
        S.sort[id] = { col: c.id, dir: st && st.col === c.id ? -st.dir : (c.num ? -1 : 1) };
        render();
      }
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') go(); });
      return th;
    }));
    function row(r) {
      return el('tr', null, cols.map(function (c) {
        var v = c.value(r), a = c.td ? c.td(r) : {};
        a['data-v'] = v === null || v === undefined ? '' : String(v);
        if (c.num) a['class'] = (a['class'] ? a['class'] + ' ' : '') + 'num';
        var content = c.cell ? c.cell(r) : v;
        return el('td', a, [content === null || content === undefined ? '-' : content]);
      }));
    }
    var t = el('table', { id: id, class: opts.cls || null }, [el('thead', null, [head])]);
    var body = el('tbody');
    t.appendChild(body);
    if (!opts.virtual || printing) {
      rows.slice(0, printing ? 5000 : rows.length).forEach(function (r) { body.appendChild(row(r)); });
      return opts.virtual ? el('div', { class: 'scroll' }, [t]) : t;
    }
    var box = el('div', { class: 'scroll', id: id + '-scroll' }, [t]);
    var drawn = [-1, -1], rowH = ROW_H, measured = false;
    function draw() {
      var top = box.scrollTop, h = box.clientHeight || 600;
      var first = Math.max(0, Math.floor(top / rowH) - 10), last = Math.min(rows.length, Math.ceil((top + h) / rowH) + 10);
      if (first === drawn[0] && last === drawn[1]) return;
      drawn = [first, last];
      body.textContent = '';
      var span = cols.length;
      if (first > 0) body.appendChild(el('tr', { 'aria-hidden': 'true', style: 'height:' + first * rowH + 'px' }, [el('td', { colspan: span, style: 'padding:0;border:0' })]));
      for (var i = first; i < last; i++) body.appendChild(row(rows[i]));
      if (last < rows.length) body.appendChild(el('tr', { 'aria-hidden': 'true', style: 'height:' + (rows.length - last) * rowH + 'px' }, [el('td', { colspan: span, style: 'padding:0;border:0' })]));
      /* the spacers assume every row is as high as the first one drawn */
      var tr = box.isConnected && body.querySelector('tr:not([aria-hidden])');
      if (!measured && tr && tr.offsetHeight) { measured = true; if (tr.offsetHeight !== rowH) { rowH = tr.offsetHeight; drawn = [-1, -1]; draw(); } }
    }
    box.addEventListener('scroll', function () { requestAnimationFrame(draw); });
    box.draw_ = draw;
    setTimeout(draw, 0);
    draw();
    return box;
  }

  /* ---- per model figures ------------------------------------------------------------- */
  function modelFigures(side) {
    var out = D.models.map(function (name, m) {
      return { m: m, name: name, n: 0, acc: [], valid: 0, first: 0, errors: 0, fallback: 0, cost: 0, costUnknown: false, lat: [], tokens: 0 };
    });
    var extra = {};
    D.results.forEach(function (r) {
      if (DIFF && (r.s ? 1 : 0) !== side) return;
      if (S.task && D.tasks[D.cases[r.c].t] !== S.task) return;
      var f = out[r.m];
      f.n++;
      if (answered(r)) f.acc.push(r.a);
      if (r.v && !(r.f & F_FALLBACK)) f.valid++;
      if (r.v && r.n <= 1 && !(r.f & F_FALLBACK)) f.first++;
      if (r.f & (F_ERROR | F_FALLBACK)) f.errors++;
      if (r.f & F_FALLBACK) {
        f.fallback++;
        var x = extra[r.ab] || (extra[r.ab] = { m: -1, name: r.ab + ' (fallback)', n: 0, acc: [], valid: 0, first: 0, errors: 0, fallback: 0, cost: 0, costUnknown: false, lat: [], tokens: 0 });
        x.n++; if (r.a !== null) x.acc.push(r.a); if (r.v) x.valid++;
      }
      if (r.k === null || r.k === undefined) f.costUnknown = true; else f.cost += r.k;
      f.lat.push(r.l || 0);
      f.tokens += (r.ti || 0) + (r.to || 0);
    });
    out = out.concat(Object.keys(extra).map(function (k) { return extra[k]; }));
    out.forEach(function (f) {
      f.lat.sort(function (a, b) { return a - b; });
      f.mean = mean(f.acc);
      f.p50 = quantile(f.lat, 0.5); f.p95 = quantile(f.lat, 0.95);
      f.validPct = f.n ? 100 * f.valid / f.n : null; f.firstPct = f.n ? 100 * f.first / f.n : null;
      f.perResult = f.n && !f.costUnknown ? f.cost / f.n : null;
    });
    if (D.model_stats) out.forEach(function (f) {   /* from the history: its own figures */
      var h = D.model_stats[f.name] && D.model_stats[f.name][side];
      if (!h) { f.n = 0; f.mean = null; return; }
      f.n = h.results; f.mean = h.mean_accuracy; f.errors = h.errors; f.validPct = h.results ? 100 * h.valid / h.results : null;
      f.cost = h.cost_usd; f.costUnknown = !h.cost_complete; f.p50 = h.mean_latency_ms; f.p95 = null; f.firstPct = null;
      f.perResult = h.results && h.cost_complete ? h.cost_usd / h.results : null;
    });
    return out;
  }
  function barCell(v, max, text) {
    return el('div', { class: 'bar' }, [el('i', { style: 'width:' + (max > 0 && v > 0 ? Math.min(100, 100 * v / max) : 0).toFixed(1) + '%' }), el('span', { text: text })]);
  }

  /* Accuracy against cost or latency, with the Pareto front (no other model both at
   * least as accurate and at most as costly, better in one). */
  function chart(title, figs, xOf, xLabel, xFmt) {
    var W = 440, H = 290, L = 56, B = 40, T = 40, R = 20;
    var pts = figs.filter(function (f) { return f.mean !== null && xOf(f) !== null; });
    var unknown = figs.filter(function (f) { return f.mean !== null && xOf(f) === null; });
    var s = svg('svg', { class: 'chart', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    s.appendChild(svg('text', { x: L, y: 15, 'font-weight': 'bold' }, title));
    var xmax = Math.max.apply(null, pts.map(xOf).concat([0])) || 1;
    var ymin = Math.min.apply(null, pts.map(function (f) { return f.mean; }).concat([100]));
    ymin = Math.max(0, Math.floor((ymin - 5) / 10) * 10);
    function X(v) { return L + (W - L - R) * v / (xmax * 1.08); }
    function Y(v) { return H - B - (H - B - T) * (v - ymin) / (100 - ymin || 1); }
    s.appendChild(svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
    s.appendChild(svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
    [ymin, (ymin + 100) / 2, 100].forEach(function (v) { s.appendChild(svg('text', { x: 4, y: Y(v) + 4 }, v.toFixed(0) + '%')); });
    [0, xmax / 2, xmax].forEach(function (v) { s.appendChild(svg('text', { x: X(v) - 10, y: H - B + 14 }, xFmt(v))); });
    s.appendChild(svg('text', { x: (W - R + L) / 2 - 30, y: H - 6 }, xLabel));
    var front = pts.filter(function (p) {
      return !pts.some(function (q) { return q !== p && q.mean >= p.mean && xOf(q) <= xOf(p) && (q.mean > p.mean || xOf(q) < xOf(p)); });
    }).sort(function (a, b) { return xOf(a) - xOf(b); });
    if (front.length > 1) s.appendChild(svg('polyline', { class: 'front', points: front.map(function (p) { return X(xOf(p)) + ',' + Y(p.mean); }).join(' ') }));
    pts.forEach(function (p) {
      var on = front.indexOf(p) >= 0, c = svg('circle', { cx: X(xOf(p)), cy: Y(p.mean), r: on ? 6 : 4, class: on ? 'on' : '' });
      c.appendChild(svg('title', {}, p.name + ': ' + pct(p.mean) + ', ' + xFmt(xOf(p)) + (on ? ' (Pareto front)' : '')));
      s.appendChild(c);
      var right = X(xOf(p)) > W - 140;   /* near the right edge: the label goes left */
      s.appendChild(svg('text', { x: X(xOf(p)) + (right ? -8 : 8), y: Y(p.mean) - 6, 'text-anchor': right ? 'end' : 'start' }, p.name));
    });
    var box = el('figure', { style: 'margin:0' }, [s]);
    if (unknown.length) box.appendChild(el('figcaption', { class: 'muted', text: 'Not drawn (' + xLabel + ' unknown): ' + unknown.map(function (f) { return f.name; }).join(', ') }));
    return box;
  }

  function viewOverview() {
    var figs = modelFigures(NEW).filter(function (f) { return !S.model || f.m < 0 || D.models[f.m] === S.model; });
    var maxCost = Math.max.apply(null, figs.map(function (f) { return f.cost; }).concat([0]));
    var maxLat = Math.max.apply(null, figs.map(function (f) { return f.p95 || f.p50 || 0; }).concat([0]));
    var total = 0, unknown = false;
    figs.forEach(function (f) { if (f.m >= 0) { total += f.cost; unknown = unknown || f.costUnknown; } });
    var out = [el('p', null, [D.results.length + ' results, ' + D.cases.length + ' cases, ' + NM + ' models. Total cost ' + money(total, unknown) + '.'])];
    out.push(el('h2', { text: 'Models' }));
    out.push(table('models', [
      { id: 'model', label: 'model', value: function (f) { return f.name; } },
      { id: 'results', label: 'results', num: true, value: function (f) { return f.n; } },
      { id: 'accuracy', label: 'mean accuracy', num: true, value: function (f) { return f.mean; }, cell: function (f) { return barCell(f.mean, 100, pct(f.mean)); } },
      { id: 'valid', label: 'valid', num: true, value: function (f) { return f.validPct; }, cell: function (f) { return barCell(f.validPct, 100, pct(f.validPct)); } },
      { id: 'first', label: 'first-attempt valid', num: true, value: function (f) { return f.firstPct; }, cell: function (f) { return barCell(f.firstPct, 100, pct(f.firstPct)); } },
      { id: 'errors', label: 'errors', num: true, title: 'no answer of its own: a failed call, or answered by a fallback', value: function (f) { return f.errors; } },
      { id: 'fallback', label: 'by fallback', num: true, value: function (f) { return f.fallback; } },
      { id: 'cost', label: 'cost', num: true, value: function (f) { return f.cost; }, cell: function (f) { return barCell(f.cost, maxCost, money(f.cost, f.costUnknown)); } },
      { id: 'p50', label: 'latency p50', num: true, value: function (f) { return f.p50; }, cell: function (f) { return barCell(f.p50, maxLat, ms(f.p50)); } },
      { id: 'p95', label: 'latency p95', num: true, value: function (f) { return f.p95; }, cell: function (f) { return barCell(f.p95, maxLat, ms(f.p95)); } },
      { id: 'tokens', label: 'tokens', num: true, value: function (f) { return f.tokens; } }
    ], figs));
    var own = figs.filter(function (f) { return f.m >= 0; });
    out.push(el('div', { class: 'charts' }, [
      chart('Accuracy vs cost per result', own, function (f) { return f.perResult; }, 'cost per result (USD)', function (v) { return '$' + v.toPrecision(2); }),
      chart('Accuracy vs latency (p50)', own, function (f) { return f.p50; }, 'latency p50 (ms)', function (v) { return ms(v).replace(' ', ''); })]));
    out.push(el('h2', { text: 'Per task' }));
    var per = {}, rows = [];
    D.results.forEach(function (r) {
      var ti = D.cases[r.c].t, k = ti * NM + r.m;
      if ((S.task && S.task !== D.tasks[ti]) || (S.model && S.model !== D.models[r.m]) || (DIFF && (r.s ? 1 : 0) !== NEW)) return;
      var g = per[k] || (per[k] = { k: k, task: D.tasks[ti], model: D.models[r.m], accs: [], n: 0, valid: 0, errors: 0, cost: 0, cases: {} });
      g.n++; g.cases[r.c] = 1;
      if (answered(r)) g.accs.push(r.a);
      if (r.v && !(r.f & F_FALLBACK)) g.valid++;
      if (r.f & (F_ERROR | F_FALLBACK)) g.errors++;
      g.cost += r.k || 0;
    });
    Object.keys(per).map(function (k) { return per[k]; }).sort(function (a, b) { return a.k - b.k; }).forEach(function (g) {
      rows.push({ task: g.task, model: g.model, cases: Object.keys(g.cases).length, n: g.n, acc: mean(g.accs), valid: 100 * g.valid / g.n, errors: g.errors, cost: g.cost });
    });
    out.push(table('tasks', [
      { id: 'task', label: 'task', value: function (r) { return r.task; } },
      { id: 'model', label: 'model', value: function (r) { return r.model; } },
      { id: 'cases', label: 'cases', num: true, value: function (r) { return r.cases; } },
      { id: 'accuracy', label: 'mean accuracy', num: true, value: function (r) { return r.acc; }, cell: function (r) { return barCell(r.acc, 100, pct(r.acc)); } },
      { id: 'valid', label: 'valid', num: true, value: function (r) { return r.valid; }, cell: function (r) { return pct(r.valid); } },
      { id: 'errors', label: 'errors', num: true, value: function (r) { return r.errors; } },
      { id: 'cost', label: 'cost', num: true, value: function (r) { return r.cost; }, cell: function (r) { return money(r.cost); } }
    ], rows));
    return out;
  }

  /* ---- matrix: cases x models --------------------------------------------------------- */
  function marks(st) {
    var m = [];
    if (st.f & F_ERROR) m.push(['e', 'E', 'errored: no answer']);
    if (st.invalid || (st.f & F_NOJSON)) m.push(['i', '!', 'invalid: no JSON or schema violations']);
    if (st.f & F_FALLBACK) m.push(['fb', 'F', 'answered by a fallback model']);
    if (st.f & F_CACHED) m.push(['c', 'C', 'cached or replayed answer']);
    if (st.f & (F_UNENFORCED | F_RELAXED)) m.push(['u', 'U', 'schema not enforced (strict: false) or relaxed for the provider']);
    if (st.flaky) m.push(['fl', '~', 'answers differ between repeats']);
    return m;
  }
  function cellContent(st) {
    if (!st) return '';
    var text = st.acc === null ? 'err' : st.acc.toFixed(1);
    if (st.n > 1 && st.acc !== null) text += ' \u00b1' + ((st.max - st.min) / 2).toFixed(1);
    var kids = [text];
    marks(st).forEach(function (k) { kids.push(el('span', { class: 'mk ' + k[0], title: k[2], text: k[1] })); });
    return el('span', null, kids);
  }
  function openCase(c, m) { S.open = c + '.' + m; render(); }
  function viewMatrix() {
    var ms2 = modelsShown(), rows = [];
    for (var c = 0; c < D.cases.length; c++) if (caseShown(c, ms2)) rows.push(c);
    var cols = [
      { id: 'task', label: 'task', value: function (c) { return D.tasks[D.cases[c].t]; } },
      { id: 'case', label: 'case', value: function (c) { return D.cases[c].n; }, td: function (c) { return { title: D.cases[c].n }; } }];
    ms2.forEach(function (m) {
      cols.push({ id: 'm' + m, label: D.models[m], num: true,
        value: function (c) { var st = cellOf(c, m, 0); return st ? st.acc : null; },
        cell: function (c) { return cellContent(cellOf(c, m, 0)); },
        td: function (c) {
          var st = cellOf(c, m, 0);
          return { class: st ? 'cell' : 'cell na', style: st ? heat(st.acc) : null, tabindex: st ? 0 : null, 'data-case': c, 'data-model': m,
            title: st ? D.models[m] + ': ' + (st.acc === null ? 'no answer' : pct(st.acc)) + (st.n > 1 ? ' over ' + st.n + ' runs (min ' + pct(st.min) + ', max ' + pct(st.max) + ')' : '') : 'not run' };
        } });
    });
    var box = table('matrix', cols, rows, { virtual: true, cls: 'matrix' });
    box.addEventListener('click', function (e) {
      var td = e.target.closest('td.cell');
      if (td && !td.classList.contains('na')) openCase(+td.getAttribute('data-case'), +td.getAttribute('data-model'));
    });
    box.addEventListener('keydown', function (e) {
      var td = e.target.closest && e.target.closest('td.cell');
      if (td && e.key === 'Enter' && !td.classList.contains('na')) openCase(+td.getAttribute('data-case'), +td.getAttribute('data-model'));
    });
    return [el('p', { class: 'legend' }, [rows.length + ' of ' + D.cases.length + ' cases. Cells: mean accuracy' + (maxRepeat > 1 ? ' \u00b1 half the range over repeats' : '') + '. Marks: ',
      el('span', null, [el('b', { class: 'mk e', text: 'E' }), ' errored']), el('span', null, [el('b', { class: 'mk i', text: '!' }), ' invalid']),
      el('span', null, [el('b', { class: 'mk fb', text: 'F' }), ' fallback answered']), el('span', null, [el('b', { class: 'mk c', text: 'C' }), ' cached/replayed']),
      el('span', null, [el('b', { class: 'mk u', text: 'U' }), ' not enforced (strict: false)']), el('span', null, [el('b', { class: 'mk fl', text: '~' }), ' repeats differ'])]), box];
  }

  /* ---- field heat map ------------------------------------------------------------------- */
  function fieldData() {
    var map = {}, names = [];
    D.results.forEach(function (r) {
      if (DIFF && (r.s ? 1 : 0) !== NEW) return;
      if (S.task && D.tasks[D.cases[r.c].t] !== S.task) return;
      function add(p, score, lost) {
        var k = fold(D.paths[p]) || '(root)', e = map[k];
        if (!e) { e = map[k] = { path: k, sum: {}, n: {}, lost: [] }; names.push(k); }
        e.sum[r.m] = (e.sum[r.m] || 0) + score; e.n[r.m] = (e.n[r.m] || 0) + 1;
        if (lost) e.lost.push(r);
      }
      (r.ok || []).forEach(function (p) { add(p, 1, false); });
      (r.lo || []).forEach(function (l) {
        var reason = D.reasons[l.re];
        if (l.sc === null || reason === 'list_item') return;   /* extra keys are not scored */
        add(l.p, l.sc, true);
      });
    });
    return names.map(function (k) { return map[k]; });
  }
  function viewFields() {
    var ms2 = modelsShown(), rows = fieldData().filter(function (f) { return !S.q || f.path.toLowerCase().indexOf(S.q.toLowerCase()) >= 0; });
    var cols = [{ id: 'field', label: 'field (JSON pointer)', value: function (f) { return f.path; }, cell: function (f) { return el('code', { text: f.path }); } }];
    ms2.forEach(function (m) {
      cols.push({ id: 'm' + m, label: D.models[m], num: true,
        value: function (f) { return f.n[m] ? 100 * f.sum[m] / f.n[m] : null; },
        cell: function (f) { return f.n[m] ? (100 * f.sum[m] / f.n[m]).toFixed(1) : ''; },
        td: function (f) { var v = f.n[m] ? 100 * f.sum[m] / f.n[m] : null; return { class: 'cell', style: heat(v), 'data-field': f.path, 'data-model': m, tabindex: 0, title: f.n[m] ? 'mean score over ' + f.n[m] + ' answers' : 'not scored' }; } });
    });
    cols.push({ id: 'lost', label: 'answers that lost points', num: true, value: function (f) { return f.lost.filter(function (r) { return ms2.indexOf(r.m) >= 0; }).length; } });
    var t = table('fields', cols, rows);
    t.addEventListener('click', function (e) {
      var td = e.target.closest('td.cell');
      if (td) { S.field = td.getAttribute('data-field') + '|' + td.getAttribute('data-model'); render(); }
    });
    var out = [el('p', { class: 'legend', text: 'Mean score of each field per model (list items folded to []). Click a cell for the cases where it lost points.' }), t];
    if (S.field) {
      var parts = S.field.split('|'), fm = +parts[1], f = rows.filter(function (x) { return x.path === parts[0]; })[0];
      var lost = f ? f.lost.filter(function (r) { return r.m === fm; }) : [];
      out.push(el('h3', null, ['Where ', el('code', { text: parts[0] }), ' lost points for ' + (D.models[fm] || '?') + ' (' + lost.length + ')']));
      out.push(table('fieldcases', [
        { id: 'case', label: 'case', value: function (r) { return caseName(r.c); }, cell: function (r) {
          return el('a', { href: '#', text: caseName(r.c), on: { click: function (e) { e.preventDefault(); openCase(r.c, r.m); } } }); } },
        { id: 'run', label: 'run', num: true, value: function (r) { return r.r + 1; } },
        { id: 'score', label: 'score', num: true, value: function (r) { var l = r.lo.filter(function (x) { return fold(D.paths[x.p]) === parts[0]; })[0]; return l ? l.sc : null; } },
        { id: 'reason', label: 'reason', value: function (r) { var l = r.lo.filter(function (x) { return fold(D.paths[x.p]) === parts[0]; })[0]; return l ? D.reasons[l.re] : null; } }
      ], lost));
    }
    return out;
  }

  /* ---- comparison: per model deltas and changed cases ----------------------------------- */
  function viewChanges() {
    var a = modelFigures(0), b = modelFigures(1), rows = [];
    a.forEach(function (fa, i) { if (fa.m >= 0) rows.push({ name: fa.name, a: fa, b: b[i] }); });
    var out = [el('p', null, ['Older run ', el('b', { text: D.runs[0].id }), ', newer run ', el('b', { text: D.runs[1].id }), '.'])];
    if (D.note) out.push(el('p', { class: 'banner', text: D.note }));
    out.push(el('h2', { text: 'Per model' }));
    function d(x, y) { return x === null || y === null || x === undefined || y === undefined ? null : y - x; }
    out.push(table('deltas', [
      { id: 'model', label: 'model', value: function (r) { return r.name; }, cell: function (r) { return r.name + (!r.a.n ? ' (new)' : !r.b.n ? ' (gone)' : ''); } },
      { id: 'acc_a', label: 'accuracy (old)', num: true, value: function (r) { return r.a.mean; }, cell: function (r) { return pct(r.a.mean); } },
      { id: 'acc_b', label: 'accuracy (new)', num: true, value: function (r) { return r.b.mean; }, cell: function (r) { return pct(r.b.mean); } },
      { id: 'acc_d', label: '\u0394 accuracy', num: true, value: function (r) { return d(r.a.mean, r.b.mean); },
        cell: function (r) { var v = d(r.a.mean, r.b.mean); return el('span', { class: v < 0 ? 'bad' : v > 0 ? 'good' : '', text: signed(v, 2, ' pts') }); } },
      { id: 'valid_d', label: '\u0394 valid', num: true, value: function (r) { return d(r.a.validPct, r.b.validPct); }, cell: function (r) { return signed(d(r.a.validPct, r.b.validPct), 1, ' pts'); } },
      { id: 'err_d', label: '\u0394 errors', num: true, value: function (r) { return d(r.a.errors, r.b.errors); }, cell: function (r) { return signed(d(r.a.errors, r.b.errors), 0); } },
      { id: 'cost_d', label: '\u0394 cost', num: true, value: function (r) { return d(r.a.cost, r.b.cost); }, cell: function (r) { return money(r.a.cost) + ' \u2192 ' + money(r.b.cost); } },
      { id: 'lat_d', label: '\u0394 latency p50', num: true, value: function (r) { return d(r.a.p50, r.b.p50); }, cell: function (r) { return ms(r.a.p50) + ' \u2192 ' + ms(r.b.p50) + ' (' + signed(d(r.a.p50, r.b.p50), 0, ' ms') + ')'; } }
    ], rows));
    var ms2 = modelsShown(), ch = [];
    for (var c = 0; c < D.cases.length; c++) {
      if (!caseShown(c, ms2)) continue;
      ms2.forEach(function (m) {
        var sa = cellOf(c, m, 1), sb = cellOf(c, m, 0);   /* old, new */
        if (!sa && !sb) return;
        var da = sa ? sa.acc : null, db = sb ? sb.acc : null;
        if (da === db) return;
        ch.push({ c: c, m: m, a: da, b: db, d: da === null || db === null ? (db === null ? -1000 : 1000) : db - da });
      });
    }
    if (!S.sort.cases) ch.sort(function (x, y) { return x.d - y.d; });   /* worse first */
    out.push(el('h2', { text: 'Cases whose accuracy changed (' + ch.length + ', worse first)' }));
    out.push(table('cases', [
      { id: 'case', label: 'case', value: function (r) { return caseName(r.c); }, cell: function (r) {
        return el('a', { href: '#', text: caseName(r.c), on: { click: function (e) { e.preventDefault(); openCase(r.c, r.m); } } }); } },
      { id: 'model', label: 'model', value: function (r) { return D.models[r.m]; } },
      { id: 'old', label: 'old', num: true, value: function (r) { return r.a; }, cell: function (r) { return r.a === null ? 'no answer' : pct(r.a); }, td: function (r) { return { style: heat(r.a) }; } },
      { id: 'new', label: 'new', num: true, value: function (r) { return r.b; }, cell: function (r) { return r.b === null ? 'no answer' : pct(r.b); }, td: function (r) { return { style: heat(r.b) }; } },
      { id: 'delta', label: '\u0394', num: true, value: function (r) { return r.d; }, cell: function (r) {
        return el('span', { class: r.d < 0 ? 'bad' : 'good', text: Math.abs(r.d) === 1000 ? (r.d < 0 ? 'lost its answer' : 'answered now') : signed(r.d, 2, ' pts') }); } }
    ], ch, { virtual: ch.length > 300 }));
    return out;
  }

  /* ---- one case: expected and actual side by side --------------------------------------- */
  /* JSON drawn as text, with the values at the pointers in `marks` ({ptr: [cls, note]})
   * wrapped in a highlighted span and annotated. */
  function jsonView(v, marks2, none) {
    var pre = el('pre');
    function put(parent, val, ptr, indent) {
      var mk = marks2[ptr], target = parent;
      if (mk) { target = el('span', { class: mk[0], title: mk[1], 'data-ptr': ptr }); parent.appendChild(target); }
      if (val !== null && typeof val === 'object') {
        var isArr = Array.isArray(val), keys = isArr ? val.map(function (_, i) { return i; }) : Object.keys(val);
        if (!keys.length) target.appendChild(document.createTextNode(isArr ? '[]' : '{}'));
        else {
          target.appendChild(document.createTextNode(isArr ? '[\n' : '{\n'));
          keys.forEach(function (k, i) {
            target.appendChild(document.createTextNode(indent + '  ' + (isArr ? '' : JSON.stringify(k) + ': ')));
            put(target, val[k], ptr + '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1'), indent + '  ');
            target.appendChild(document.createTextNode(i < keys.length - 1 ? ',\n' : '\n'));
          });
          target.appendChild(document.createTextNode(indent + (isArr ? ']' : '}')));
        }
      } else target.appendChild(document.createTextNode(JSON.stringify(val)));
      if (mk && mk[1]) parent.appendChild(el('span', { class: 'note', text: '\u2190 ' + mk[1] }));
    }
    if (v === undefined) pre.appendChild(document.createTextNode(none || '(no answer)'));
    else put(pre, v, '', '');
    return pre;
  }
  function lostNote(l) { return D.reasons[l.re] + (l.sc === null ? '' : ', score ' + l.sc.toFixed(2) + ', weight ' + l.w) + (l.no ? ' (' + l.no + ')' : ''); }
  function answerPanes(kase, r) {
    var em = {}, am = {};
    (r.lo || []).forEach(function (l) {
      var p = D.paths[l.p], reason = D.reasons[l.re];
      if (reason === 'extra') am[p] = ['j-extra', 'extra key (not scored)'];
      else { em[p] = ['j-lost', lostNote(l)]; if (l.ac !== undefined) am[p] = ['j-lost', lostNote(l)]; }
    });
    return el('div', { class: 'sbs' }, [
      el('div', null, [el('h3', { text: 'Expected' }), jsonView(kase.x, em, '(not known: no answer of this case was scored)')]),
      el('div', null, [el('h3', { text: 'Actual (' + (r.ab || D.models[r.m]) + ')' }), jsonView(r.x, am)])]);
  }
  function lostTable(r) {
    var lo = (r.lo || []).filter(function (l) { return D.reasons[l.re] !== 'extra'; });
    if (!lo.length) return null;
    return table('lost', [
      { id: 'path', label: 'field', value: function (l) { return D.paths[l.p] || '(root)'; }, cell: function (l) { return el('code', { text: D.paths[l.p] || '(root)' }); } },
      { id: 'reason', label: 'reason', value: function (l) { return D.reasons[l.re]; } },
      { id: 'score', label: 'score', num: true, value: function (l) { return l.sc; }, cell: function (l) { return l.sc === null ? '-' : l.sc.toFixed(2); } },
      { id: 'weight', label: 'weight', num: true, value: function (l) { return l.w; } },
      { id: 'expected', label: 'expected', value: function (l) { return l.ex === undefined ? '(absent)' : JSON.stringify(l.ex); }, cell: function (l) { return el('code', { text: l.ex === undefined ? '(absent)' : JSON.stringify(l.ex) }); } },
      { id: 'actual', label: 'actual', value: function (l) { return l.ac === undefined ? '(missing)' : JSON.stringify(l.ac); }, cell: function (l) { return el('code', { text: l.ac === undefined ? '(missing)' : JSON.stringify(l.ac) }); } },
      { id: 'note', label: 'note', value: function (l) { return l.no === undefined ? null : l.no; } }
    ], lo);
  }
  function resultDetails(kase, r) {
    var out = [];
    var badges = ['accuracy ' + (r.a === null ? 'none (no answer)' : pct(r.a)), r.f & F_ERROR ? 'no answer' : r.v ? 'valid' : 'invalid', 'tokens ' + (r.ti || 0) + ' in / ' + (r.to || 0) + ' out',
      'cost ' + money(r.k), 'latency ' + ms(r.l), 'attempts ' + (r.n || 1)];
    if (r.sm) badges.push('structured mode ' + r.sm);
    if (r.pv) badges.push('prompt ' + r.pv);
    if (r.ab) badges.push('answered by ' + r.ab);
    if (r.f & F_CACHED) badges.push('cached / replayed');
    if (r.f & F_UNENFORCED) badges.push('strict: false (schema not enforced)');
    out.push(el('div', null, badges.map(function (b) { return el('span', { class: 'badge', text: b }); })));
    if (r.e) out.push(el('p', { class: 'bad' }, ['Error: ', el('code', { text: r.e })]));
    if (r.xe) out.push(el('p', { class: 'bad' }, ['No JSON answer: ', el('code', { text: r.xe })]));
    if (r.sr) out.push(el('p', { class: 'warn' }, ['Schema relaxed for the provider: ', el('code', { text: JSON.stringify(r.sr) })]));
    out.push(answerPanes(kase, r));
    var lt = lostTable(r);
    if (lt) { out.push(el('h3', { text: 'Fields that lost points' })); out.push(lt); }
    if (r.vi && r.vi.length) {
      out.push(el('h3', { text: 'Schema violations' }));
      out.push(el('ul', null, r.vi.map(function (v) { var i = v.indexOf(': '); return el('li', null, [el('code', { text: i > 0 ? v.slice(0, i) : v }), i > 0 ? ' ' + v.slice(i + 2) : '']); })));
    }
    if (r.raw !== undefined) { out.push(el('h3', { text: 'Raw reply' })); out.push(el('pre', { text: r.raw })); }
    if (r.at && r.at.length) {
      out.push(el('h3', { text: 'Attempts' }));
      out.push(table('attempts', [
        { id: 'i', label: '#', num: true, value: function (a) { return r.at.indexOf(a) + 1; } },
        { id: 'model', label: 'model', value: function (a) { return a.model; } },
        { id: 'class', label: 'outcome', value: function (a) { return a['class'] + (a.http_status ? ' (HTTP ' + a.http_status + ')' : ''); } },
        { id: 'lat', label: 'latency', num: true, value: function (a) { return a.latency_ms; }, cell: function (a) { return ms(a.latency_ms); } },
        { id: 'msg', label: 'message', value: function (a) { return a.message || ''; } }
      ], r.at));
    }
    return out;
  }
  function diffPanes(kase, ra, rb) {
    var sa = {}, sb = {}, marksA = {}, marksB = {}, rows = [];
    function scores(r, into) {
      (r && r.ok || []).forEach(function (p) { into[D.paths[p]] = 1; });
      (r && r.lo || []).forEach(function (l) { if (l.sc !== null && D.reasons[l.re] !== 'list_item') into[D.paths[l.p]] = l.sc; });
    }
    scores(ra, sa); scores(rb, sb);
    Object.keys(sa).concat(Object.keys(sb)).forEach(function (p) {
      if (sa[p] === sb[p] || rows.some(function (x) { return x.p === p; })) return;
      rows.push({ p: p, a: sa[p] === undefined ? null : sa[p], b: sb[p] === undefined ? null : sb[p] });
      var note = 'score ' + (sa[p] === undefined ? '-' : sa[p].toFixed(2)) + ' \u2192 ' + (sb[p] === undefined ? '-' : sb[p].toFixed(2));
      marksA[p] = ['j-chg', note]; marksB[p] = ['j-chg', note];
    });
    return [el('div', { class: 'sbs' }, [
      el('div', null, [el('h3', { text: 'Old answer (' + D.runs[0].id + ')' + (ra ? ': ' + pct(ra.a) : '') }), ra ? jsonView(ra.x, marksA) : el('p', { text: 'not in the old run' })]),
      el('div', null, [el('h3', { text: 'New answer (' + D.runs[1].id + ')' + (rb ? ': ' + pct(rb.a) : '') }), rb ? jsonView(rb.x, marksB) : el('p', { text: 'not in the new run' })])]),
      rows.length ? table('changedfields', [
        { id: 'path', label: 'field whose score changed', value: function (x) { return x.p || '(root)'; }, cell: function (x) { return el('code', { text: x.p || '(root)' }); } },
        { id: 'old', label: 'old score', num: true, value: function (x) { return x.a; }, cell: function (x) { return x.a === null ? '-' : x.a.toFixed(2); } },
        { id: 'new', label: 'new score', num: true, value: function (x) { return x.b; }, cell: function (x) { return x.b === null ? '-' : x.b.toFixed(2); } }], rows) : el('p', { class: 'muted', text: 'No field score changed.' })];
  }
  function casePanel() {
    var p = S.open.split('.'), c = +p[0], m = +p[1], rep = p.length > 2 ? +p[2] : 0;
    var kase = D.cases[c], cell = cells[c * NM + m];
    if (!kase || !cell) return null;
    var list = cell[0].length ? cell[0] : cell[1];
    var r = list.filter(function (x) { return x.r === rep; })[0] || list[0];
    var body = [el('button', { class: 'close', id: 'close', text: 'Close \u2715', on: { click: function () { S.open = ''; render(); } } }),
      el('h2', null, [D.tasks[kase.t] + ' / ', el('span', { id: 'case-name', text: kase.n }), ' \u2014 ' + D.models[m]])];
    if (list.length > 1) body.push(el('div', { class: 'tabs' }, list.map(function (x) {
      return el('button', { 'aria-pressed': String(x === r), text: 'run ' + (x.r + 1) + ': ' + pct(x.a), on: { click: function () { S.open = c + '.' + m + '.' + x.r; render(); } } });
    })));
    if (list.length > 1) {   /* --repeat: the fields whose score differs between repeats */
      var per = {};
      list.forEach(function (x, i) {
        (x.ok || []).forEach(function (p2) { (per[D.paths[p2]] = per[D.paths[p2]] || [])[i] = 1; });
        (x.lo || []).forEach(function (l) { if (l.sc !== null && D.reasons[l.re] !== 'list_item') (per[D.paths[l.p]] = per[D.paths[l.p]] || [])[i] = l.sc; });
      });
      var flaky = Object.keys(per).filter(function (p2) {
        for (var i = 0; i < list.length; i++) if (per[p2][i] !== per[p2][0]) return true;
        return false;
      });
      body.push(el('p', { id: 'flaky', class: flaky.length ? 'warn' : 'muted' }, flaky.length ? ['Fields whose score varies between repeats: '].concat(flaky.map(function (p2, i) {
        return el('span', null, [i ? ', ' : '', el('code', { text: p2 || '(root)' }), ' (' + list.map(function (x, j) { return per[p2][j] === undefined ? '-' : per[p2][j].toFixed(2); }).join(' / ') + ')']);
      })) : ['Every field scored the same in each repeat.']));
    }
    if (DIFF) {
      var ra = cell[1].filter(function (x) { return x.r === rep; })[0] || cell[1][0], rb = cell[0].filter(function (x) { return x.r === rep; })[0] || cell[0][0];
      body = body.concat(diffPanes(kase, ra, rb));
      if (rb && rb.x !== undefined) { body.push(el('h2', { text: 'New answer in detail' })); body = body.concat(resultDetails(kase, rb)); }
    } else body = body.concat(resultDetails(kase, r));
    if (kase.p !== undefined || kase.src !== undefined) {
      body.push(el('h3', { text: 'Prompt sent' }));
      if (kase.p !== undefined) body.push(el('pre', { text: D.texts[kase.p] }));
      if (r && r.sm) body.push(el('p', { class: 'muted', text: r.sm === 'json_schema' ? 'With the provider\'s system prompt; the schema went as its structured-output format.'
        : 'With the provider\'s system prompt and, after it, the task\'s schema (structured mode ' + r.sm + ').' }));
      if (kase.src !== undefined) { body.push(el('h3', { text: 'Source' + (kase.cut ? ' (first part)' : '') })); body.push(el('pre', { text: kase.src })); }
    } else body.push(el('p', { class: 'muted', text: 'The prompt is shown when the report is written by the run (the task folders are at hand).' }));
    var ov = el('div', { class: 'overlay', id: 'case', on: { click: function (e) { if (e.target === ov) { S.open = ''; render(); } } } }, [el('div', { class: 'panel', role: 'dialog', 'aria-modal': 'true' }, body)]);
    return ov;
  }

  /* ---- the page -------------------------------------------------------------------------- */
  var printing = false;
  /* from the history (model_stats): only the changed cases are in the data, so only the
   * comparison itself is shown */
  var VIEWS = D.model_stats ? [['changes', 'Changes', viewChanges]]
    : DIFF ? [['changes', 'Changes', viewChanges], ['overview', 'Overview (new run)', viewOverview], ['matrix', 'Matrix (new run)', viewMatrix], ['fields', 'Field heat map (new run)', viewFields]]
    : [['overview', 'Overview', viewOverview], ['matrix', 'Matrix', viewMatrix], ['fields', 'Field heat map', viewFields]];
  function render() {
    var view = VIEWS.filter(function (v) { return v[0] === S.view; })[0] || VIEWS[0];
    S.view = view[0];
    writeHash();
    var scroll = document.getElementById('matrix-scroll'), keep = scroll ? scroll.scrollTop : 0;
    app.textContent = '';
    var run = D.runs[D.runs.length - 1] || { id: '?' };
    app.appendChild(el('header', null, [
      el('h1', { text: DIFF ? 'llm-tester: ' + D.runs[0].id + ' \u2192 ' + run.id : 'llm-tester run ' + run.id }),
      el('div', { class: 'muted', text: DIFF ? 'Comparison of two runs' : 'Started ' + run.started + ', finished ' + run.finished }),
      el('nav', { role: 'tablist' }, VIEWS.map(function (v) {
        return el('button', { role: 'tab', id: 'tab-' + v[0], 'aria-selected': String(v === view), text: v[1], on: { click: function () { S.view = v[0]; S.field = ''; render(); } } });
      }))]));
    var main = el('main');
    main.appendChild(filterBar());
    view[2]().forEach(function (n) { if (n) main.appendChild(n); });
    app.appendChild(main);
    if (S.open) { var panel = casePanel(); if (panel) app.appendChild(panel); }
    scroll = document.getElementById('matrix-scroll');
    if (scroll && keep) { scroll.scrollTop = keep; scroll.draw_(); }
  }
  window.addEventListener('hashchange', function () { readHash(); render(); });
  window.addEventListener('keydown', function (e) { if (e.key === 'Escape' && S.open) { S.open = ''; render(); } });
  window.addEventListener('beforeprint', function () { printing = true; render(); });
  window.addEventListener('afterprint', function () { printing = false; render(); });
  readHash();
  render();
  document.body.setAttribute('data-ready', '1');
  if (window.performance && performance.mark) performance.mark('llmt-ready');
})();
