/* practice.js - the StaffML practice page: drill (graded and recorded by the server, FSRS-6),
 * the progress heat map (area x track) and vault search; all state lives in the server's SQLite
 * database, shared with the staffml CLI. window.practiceState is read by the end-to-end tests. */
'use strict';
(() => {
  const $ = id => document.getElementById(id);
  const st = window.practiceState = { question: null, shownAt: 0, lastAnswer: null, progress: null, busy: false };

  async function call(method, path, body) {
    const r = await fetch('/api/staffml/' + path, method === 'GET' ? {} : { method, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) { const e = new Error((j.field ? j.field + ': ' : '') + j.error); e.status = r.status; throw e; }
    return j;
  }

  function filters() { return { track: $('f-track').value, area: $('f-area').value, level: $('f-level').value }; }

  async function next() {
    const q = await call('POST', 'next', filters());
    st.question = q.done ? null : q;
    st.lastAnswer = null;
    $('done').hidden = !q.done;
    $('card').hidden = !!q.done;
    if (q.done) return;
    $('q-meta').textContent = `${q.id} · ${q.track} · ${q.area} · L${q.level}`;
    $('q-title').textContent = q.title;
    $('q-scenario').textContent = q.scenario;
    $('q-question').textContent = q.question;
    $('q-unit').textContent = q.kind === 'numeric' ? q.unit : q.kind === 'choice' ? '(A–D)' : '';
    const ol = $('q-options');
    ol.textContent = '';
    ol.hidden = q.kind !== 'choice';
    for (const o of q.options || []) { const li = document.createElement('li'); li.textContent = o; ol.appendChild(li); }
    $('answer').value = '';
    $('answer').disabled = false;
    $('submit').disabled = false;
    $('feedback').hidden = true;
    $('self-grade').hidden = true;
    $('answer-error').textContent = '';
    st.shownAt = performance.now();
    $('answer').focus();
  }

  function showFeedback(a) {
    $('feedback').hidden = false;
    $('verdict').textContent = a.correct === true ? 'Right.' : a.correct === false ? 'Not quite.' : 'Compare with the model answer.';
    $('verdict').className = a.correct === false ? 'bad' : 'good';
    if (a.expected !== undefined) $('verdict').textContent += ` The answer is ${Number(a.expected).toPrecision(4)} ${a.unit} (within ${a.tolerance * 100} %).`;
    if (a.correct_choice !== undefined) $('verdict').textContent += ` The answer is ${'ABCD'[a.correct_choice]}.`;
    $('model-answer').textContent = a.answer;
    $('napkin').textContent = a.napkin;
    $('mistake').textContent = a.mistake;
    $('self-grade').hidden = a.recorded;
    if (a.recorded) {
      const d = a.next_review_s / 86400;
      $('scheduled').textContent = `Saved. Next review ${d < 1 ? 'in ' + Math.round(a.next_review_s / 60) + ' minutes' : 'in ' + Math.round(d) + ' day(s)'} (stability ${a.stability_days.toFixed(2)} days).`;
    } else $('scheduled').textContent = '';
  }

  async function answer(selfGrade) {
    const q = st.question;
    const body = { id: q.id, answer: $('answer').value, seconds: (performance.now() - st.shownAt) / 1000 };
    if (selfGrade) body.self_grade = selfGrade;
    try {
      const a = await call('POST', 'answer', body);
      st.lastAnswer = a;
      $('answer-error').textContent = '';
      $('answer').disabled = a.recorded || q.kind === 'open';
      $('submit').disabled = $('answer').disabled;
      showFeedback(a);
      if (a.recorded) await progress();
    } catch (e) {
      $('answer-error').textContent = e.message;
    }
  }

  async function progress() {
    const p = await call('GET', 'progress');
    st.progress = p;
    $('stats').textContent = `${p.cards_seen} of ${p.questions} questions seen, ${p.reviews} reviews, ` +
      `${Math.round(100 * p.retention_30d)} % recalled in the last 30 days (${p.reviews_30d} reviews), ` +
      `streak ${p.streak_days} day(s); due in the next 7 days: ${p.due_forecast.join(' · ')}`;
    const head = $('heat-head');
    while (head.children.length > 1) head.lastChild.remove();
    for (const t of p.tracks) { const th = document.createElement('th'); th.textContent = t; head.appendChild(th); }
    const body = $('heat-body');
    body.textContent = '';
    p.areas.forEach((a, i) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = a;
      tr.appendChild(th);
      p.cells[i].forEach(c => {
        const td = document.createElement('td');
        td.textContent = c.cards ? String(c.cards) : '';
        td.dataset.cards = String(c.cards);
        td.style.backgroundColor = c.cards ? `hsl(${Math.round(120 * c.mean_recall)}, 65%, 75%)` : '#eaeef2';
        td.title = c.cards ? `${c.cards} cards, mean recall ${(100 * c.mean_recall).toFixed(0)} %` : 'none seen';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  async function search(ev) {
    ev.preventDefault();
    const ul = $('search-results');
    ul.textContent = '';
    try {
      const r = await call('POST', 'search', { text: $('search').value });
      if (!r.results.length) { const li = document.createElement('li'); li.textContent = 'No match.'; ul.appendChild(li); }
      for (const q of r.results) {
        const li = document.createElement('li');
        li.textContent = `${q.title} (${q.id} · ${q.track} · ${q.area} · L${q.level})`;
        li.dataset.id = q.id;
        ul.appendChild(li);
      }
    } catch (e) {
      const li = document.createElement('li'); li.textContent = e.message; ul.appendChild(li);
    }
  }

  async function start() {
    for (const t of ['cloud', 'edge', 'mobile', 'tinyml']) { const o = document.createElement('option'); o.value = o.textContent = t; $('f-track').appendChild(o); }
    try {
      await progress();
      for (const a of st.progress.areas) { const o = document.createElement('option'); o.value = o.textContent = a; $('f-area').appendChild(o); }
    } catch (e) {
      $('unavailable').hidden = false;
      $('unavailable').textContent = e.message;
      $('drill').hidden = true;
      return;
    }
    $('next').addEventListener('click', () => next().catch(e => { $('answer-error').textContent = e.message; }));
    $('answer-form').addEventListener('submit', ev => { ev.preventDefault(); answer(0); });
    for (const b of document.querySelectorAll('#self-grade button')) b.addEventListener('click', () => answer(Number(b.dataset.grade)));
    $('search-form').addEventListener('submit', search);
    await next();
    document.body.dataset.ready = '1';
  }
  start();
})();
