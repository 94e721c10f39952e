/* lab.js - the one skeleton every lab page runs: scenario -> locked prediction -> instruments
 * (controls, live numbers, chart) -> reveal -> governing equation -> failure state -> ledger.
 * A lab is a description passed to Lab.run(); every number shown comes from the JSON API
 * (/api/<endpoint>), every curve from /api/sweep over the same request, so they cannot disagree.
 * window.labState exposes the last request and reply to the end-to-end tests. */
'use strict';

const Lab = (() => {
  const LEDGER = 'mlsb-labs-ledger';

  /* ---- formatting: SI prefixes by the key's unit suffix ---- */
  function si(v, unit, base) {
    if (v === null || v === undefined || !isFinite(v)) return '—';
    const pre = base === 1024 ? [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 1024]]
      : [['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]];
    for (const [p, f] of pre) if (Math.abs(v) >= f) return (v / f).toPrecision(3) + ' ' + p + unit;
    return Number(v).toPrecision(3) + (unit ? ' ' + unit : '');
  }
  function fmt(v, key) {
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'string') return v;
    if (v === null || v === undefined || !isFinite(v)) return '—';
    if (/_bytes$/.test(key)) return si(v, 'B');
    if (/_per_s$/.test(key)) return si(v, '/s');
    if (/_s$/.test(key)) {
      const a = Math.abs(v);
      if (a >= 3600 * 24) return (v / 86400).toPrecision(3) + ' days';
      if (a >= 3600) return (v / 3600).toPrecision(3) + ' h';
      if (a >= 1) return v.toPrecision(3) + ' s';
      if (a >= 1e-3) return (v * 1e3).toPrecision(3) + ' ms';
      return (v * 1e6).toPrecision(3) + ' µs';
    }
    if (/flop_per_byte$/.test(key)) return v.toPrecision(3) + ' FLOP/B';
    if (/_j$/.test(key)) return si(v, 'J');
    if (/_l$/.test(key)) return si(v, 'L');
    if (/_t$/.test(key)) return v.toPrecision(3) + ' t';
    if (/_usd$/.test(key)) return '$' + (Math.abs(v) >= 1000 ? si(v, '') : v.toPrecision(3));
    if (/_kg$/.test(key)) return si(v * 1000, 'g');
    if (/(mfu|hfu|utilization|fraction|goodput|probability)$/.test(key)) return (100 * v).toPrecision(3) + ' %';
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Number(v).toPrecision(4);
  }

  /* ---- the ledger: predictions and decisions kept in this browser ---- */
  function ledger() {
    try { return JSON.parse(localStorage.getItem(LEDGER)) || { entries: [] }; } catch (e) { return { entries: [] }; }
  }
  function ledgerAdd(entry) {
    const l = ledger();
    l.entries.push(Object.assign({ time: new Date().toISOString() }, entry));
    localStorage.setItem(LEDGER, JSON.stringify(l));
    return l;
  }
  function ledgerExport() {
    const blob = new Blob([JSON.stringify(ledger(), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'mlsb-labs-ledger.json';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function post(endpoint, body) {
    const r = await fetch('/api/' + endpoint, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    });
    const j = await r.json();
    if (!r.ok) throw new Error((j.field ? j.field + ': ' : '') + j.error);
    return j;
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k) e.appendChild(k);
    return e;
  }

  function run(lab) {
    const $ = id => document.getElementById(id);
    if (typeof Chart === 'undefined')   /* the vendored chart library is missing: say so where the chart goes */
      $('chart').replaceWith(el('p', { class: 'bad', text: 'No chart: Chart.js is not installed on this server (run labs/scripts/setup-web.sh, then reload).' }));
    const state = {};
    for (const c of lab.controls) state[c.id] = c.value;
    window.labEndpoint = lab.endpoint;
    window.labState = { id: lab.id, updates: 0, request: null, result: null, sweep: null, failure: null, error: null };
    document.title = lab.title + ' · MLSys labs';
    $('title').textContent = lab.title;
    $('scenario').textContent = lab.scenario;
    $('question').textContent = lab.predict.question;
    const guess = $('guess');
    guess.min = lab.predict.min; guess.max = lab.predict.max; guess.step = lab.predict.step || 'any';
    $('guess-unit').textContent = lab.predict.unit || '';
    $('equation').textContent = lab.equation;
    $('equation-note').textContent = lab.equationNote || '';

    /* earlier labs' results, read from the ledger */
    const prior = ledger().entries.filter(e => e.lab !== lab.id && e.kind === 'prediction').slice(-3);
    if (prior.length) {
      $('prior').hidden = false;
      for (const p of prior)
        $('prior-list').appendChild(el('li', { text: `${p.title}: you predicted ${p.prediction} ${p.unit || ''}, the model said ${p.actual_text}` }));
    }

    /* controls */
    const box = $('controls');
    for (const c of lab.controls) {
      const id = 'ctl-' + c.id;
      const out = el('output', { id: id + '-value', for: id });
      let input;
      if (c.options) {
        input = el('select', { id, 'data-control': c.id });
        for (const o of c.options) input.appendChild(el('option', { value: o, text: o }));
        input.value = c.value;
      } else {
        input = el('input', { id, type: 'range', min: 0, max: c.values.length - 1, step: 1, 'data-control': c.id });
        input.value = Math.max(0, c.values.indexOf(c.value));
      }
      const show = () => { out.textContent = (c.show ? c.show(state[c.id]) : state[c.id]) + (c.unit ? ' ' + c.unit : ''); };
      input.addEventListener('input', () => {
        state[c.id] = c.options ? input.value : c.values[Number(input.value)];
        show();
        schedule();
      });
      show();
      box.appendChild(el('div', { class: 'control' }, el('label', { for: id, text: c.label }), input, out));
    }

    /* metrics */
    const mbox = $('metrics');
    for (const m of lab.metrics)
      mbox.appendChild(el('div', { class: 'metric' }, el('span', { class: 'metric-label', text: m.label }),
        el('span', { class: 'metric-value', id: 'm-' + m.key, 'data-key': m.key, text: '—' })));

    /* chart */
    let chart = null;
    /* a curve's y: the reply's key (scaled), or a function of the reply and the whole sweep */
    function yval(y, r, sw) {
      if (!r || r.error) return null;
      const v = y.value ? y.value(r, sw) : r[y.key];
      return v === undefined || v === null || !isFinite(v) ? null : (y.scale || 1) * v;
    }
    function drawChart(sw) {
      const xs = sw.values;
      const sets = lab.chart.y.map((y, i) => ({
        label: y.label,
        data: sw.results.map((r, j) => ({ x: lab.chart.x ? lab.chart.x(xs[j]) : xs[j], y: yval(y, r, sw) })),
        borderColor: ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'][i % 4],
        backgroundColor: ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'][i % 4],
        pointRadius: 2, spanGaps: false, showLine: true
      }));
      const cur = lab.chart.current ? lab.chart.current(state)
        : lab.chart.x ? lab.chart.x(state[lab.chart.knobControl]) : state[lab.chart.knobControl];
      const curY = yval(lab.chart.y[0], window.labState.result, sw);
      sets.push({ label: 'you are here', data: [{ x: cur, y: curY }], pointRadius: 7, borderColor: '#000', backgroundColor: '#ffd33d', showLine: false });
      if (lab.chart.limit) {
        const lim = lab.chart.limit(state, window.labState.result);
        if (lim !== null && lim !== undefined)
          sets.push({ label: lab.chart.limitLabel || 'limit', data: sets[0].data.map(p => ({ x: p.x, y: lim })), borderColor: '#d1242f', borderDash: [6, 4], pointRadius: 0, showLine: true });
      }
      const cfg = {
        type: lab.chart.type === 'bar' ? 'bar' : 'scatter',
        data: lab.chart.type === 'bar' ? { labels: xs, datasets: sets.slice(0, lab.chart.y.length).map(s => ({ label: s.label, data: s.data.map(p => p.y), backgroundColor: s.borderColor })) } : { datasets: sets },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: lab.chart.type === 'bar' ? { y: { title: { display: true, text: lab.chart.yLabel } } } : {
            x: { type: lab.chart.logX ? 'logarithmic' : 'linear', title: { display: true, text: lab.chart.xLabel } },
            y: { type: lab.chart.logY ? 'logarithmic' : 'linear', title: { display: true, text: lab.chart.yLabel } }
          },
          plugins: { legend: { position: 'bottom' } }
        }
      };
      if (typeof Chart === 'undefined') return;
      if (chart) chart.destroy();
      chart = new Chart($('chart'), cfg);
    }

    /* a chart drawn from one reply: [{label, points: [{x, y}], line}] on log-log axes */
    function drawSeries(series) {
      const colors = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'];
      const cfg = {
        type: 'scatter',
        data: { datasets: series.map((d, i) => ({ label: d.label, data: d.points, showLine: !!d.line, pointRadius: d.line ? 0 : 5, borderColor: colors[i % 4], backgroundColor: colors[i % 4] })) },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { x: { type: 'logarithmic', title: { display: true, text: lab.chart.xLabel } }, y: { type: 'logarithmic', title: { display: true, text: lab.chart.yLabel } } },
          plugins: { legend: { position: 'bottom' } }
        }
      };
      if (typeof Chart === 'undefined') return;
      if (chart) chart.destroy();
      chart = new Chart($('chart'), cfg);
    }

    /* one evaluation + one sweep per change (the latest change wins) */
    let seq = 0, timer = null;
    function schedule() { clearTimeout(timer); timer = setTimeout(update, 30); }
    async function update() {
      const my = ++seq;
      document.body.dataset.busy = '1';
      const req = lab.request(state);
      try {
        const res = await post(lab.endpoint, req);
        let sw = null;
        if (lab.chart && lab.chart.sweep) {
          const s = lab.chart.sweep(state);
          sw = await post('sweep', { endpoint: lab.chart.endpoint || lab.endpoint, request: s.request || req, knob: s.knob, values: s.values });
        }
        if (my !== seq) return;
        window.labState.request = req;
        window.labState.result = res;
        window.labState.sweep = sw;
        window.labState.error = null;
        $('error').hidden = true;
        for (const m of lab.metrics) {
          const v = m.value ? m.value(res, state, sw) : res[m.key];
          const e = $('m-' + m.key);
          e.textContent = fmt(v, m.key);
          e.dataset.value = typeof v === 'number' ? String(v) : String(v);
        }
        const f = lab.failure(res, state, sw);
        window.labState.failure = f;
        $('failure').hidden = !f;
        $('failure-text').textContent = f || '';
        document.body.classList.toggle('failed', !!f);
        if (sw) drawChart(sw);
        else if (lab.chart && lab.chart.series) drawSeries(lab.chart.series(res, state));
        if (lab.explain) $('explain').textContent = lab.explain(res, state, sw);
      } catch (err) {
        if (my !== seq) return;
        window.labState.error = String(err.message || err);
        $('error').hidden = false;
        $('error').textContent = 'The API refused this setting: ' + window.labState.error;
      } finally {
        if (my === seq) {
          window.labState.updates++;
          document.body.dataset.busy = '0';
          document.body.dataset.updates = String(window.labState.updates);
        }
      }
    }

    /* lock the prediction, then show the instruments and the reveal */
    $('predict-form').addEventListener('submit', async ev => {
      ev.preventDefault();
      const g = Number(guess.value);
      if (guess.value === '' || !isFinite(g)) { $('guess-error').textContent = 'Enter a number first.'; return; }
      guess.disabled = true;
      $('lock').disabled = true;
      $('locked').hidden = false;
      $('instruments').hidden = false;
      $('reveal-box').hidden = false;
      $('equation-box').hidden = false;
      await update();
      const res = window.labState.result;
      if (!res) return;
      const actual = lab.actual(res, state, window.labState.sweep);
      const ratio = g !== 0 && actual !== 0 ? actual / g : NaN;
      const off = isFinite(ratio) ? (ratio >= 1 ? ratio : 1 / ratio) : NaN;
      const actualText = (lab.actualText ? lab.actualText(actual) : Number(actual).toPrecision(3)) + ' ' + (lab.predict.unit || '');
      $('reveal').textContent = `You predicted ${g} ${lab.predict.unit || ''}; the model says ${actualText}` +
        (isFinite(off) ? ` (${off < 1.1 ? 'within 10 %' : off.toPrecision(2) + '× ' + (ratio > 1 ? 'more' : 'less')}).` : '.');
      $('reveal').dataset.actual = String(actual);
      if (lab.lesson) $('lesson').textContent = lab.lesson;
      ledgerAdd({ lab: lab.id, title: lab.title, kind: 'prediction', prediction: g, unit: lab.predict.unit || '', actual, actual_text: actualText });
    });
    $('record').addEventListener('click', () => {
      const res = window.labState.result || {};
      const figures = {};
      for (const m of lab.metrics) figures[m.key] = m.value ? m.value(res, state, window.labState.sweep) : res[m.key];
      ledgerAdd({ lab: lab.id, title: lab.title, kind: 'decision', settings: Object.assign({}, state), figures, failure: window.labState.failure });
      $('recorded').textContent = `Recorded (${ledger().entries.length} entries in your ledger).`;
    });
    $('export').addEventListener('click', ledgerExport);
    window.labControls = { set(id, v) {
      const c = lab.controls.find(x => x.id === id);
      const input = $('ctl-' + id);
      input.value = c.options ? v : c.values.indexOf(v);
      input.dispatchEvent(new Event('input'));
    }, failurePreset: lab.failurePreset, defaults: Object.fromEntries(lab.controls.map(c => [c.id, c.value])) };
  }

  /* a plan (the plan YAML's schema, as JSON) for /api/eval and /api/train */
  function plan(name, sections) { return Object.assign({ version: '1.0', name }, sections); }
  const pow2 = (a, b) => { const v = []; for (let x = a; x <= b; x *= 2) v.push(x); return v; };

  return { run, fmt, post, plan, pow2, ledger, ledgerExport };
})();
