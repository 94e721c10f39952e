// run.mjs - end-to-end tests of every lab in a real headless Chromium (playwright-core).
//
//   node labs/tests/e2e/run.mjs --server build/mlsb-labs --out build/labs/e2e
//
// For the index and each lab listed by GET /api/labs: the page loads with no console error; the
// instruments stay hidden until a prediction is locked; after locking, the reveal appears and
// every number shown equals the API's answer to the page's own request; a slider moved with the
// keyboard changes the request and the numbers (again equal to the API's); the lab's failure
// preset draws the failure state and going back to the defaults clears it; the ledger records
// and exports JSON. The StaffML practice page grades, records (in a fresh database) and searches.
// Screenshots go to --out. Exit 0 pass, 1 fail, 77 skipped (said why).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const labsDir = resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const server = opt('--server');
const out = resolve(opt('--out', 'labs-e2e'));
const only = opt('--lab', null);
const skip = msg => { console.log(`labs e2e: SKIPPED: ${msg}`); process.exit(77); };

if (!server || !existsSync(server)) { console.error('labs e2e: --server PATH to the mlsb-labs binary is required'); process.exit(1); }
let chromium;
try {
  chromium = createRequire(join(labsDir, 'package.json'))('playwright-core').chromium;
} catch (e) {
  skip('playwright-core is not installed: run labs/scripts/setup-web.sh (npm ci)');
}
if (!existsSync(join(labsDir, 'web', 'vendor', 'chart.umd.js'))) skip('the chart library is not vendored: run labs/scripts/setup-web.sh');
const exe = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => p && existsSync(p));
if (!exe) skip('no Chromium found (Debian package chromium; scripts/install-deps.sh installs it) - set CHROMIUM=PATH');
mkdirSync(out, { recursive: true });

// Measured points for the model-vs-reality lab: a fixture of this test (not a measurement).
const fixture = join(out, 'measured-fixture.json');
writeFileSync(fixture, JSON.stringify({
  machine: 'test fixture', peak_flop_per_s: 1e11, bandwidth_bytes_per_s: 2e10,
  points: [
    { name: 'sgemm 512', flop: 2 * 512 ** 3, bytes: 3 * 4 * 512 * 512, seconds: 0.006 },
    { name: 'add 1M', flop: 1e6, bytes: 1.2e7, seconds: 0.0012 },
    { name: 'relu 1M', flop: 1e6, bytes: 8e6, seconds: 0.0009 }
  ]
}));

// A fresh StaffML progress database for the practice page (never the learner's own).
const smlDb = join(out, 'staffml-e2e.db');
for (const f of [smlDb, smlDb + '-wal', smlDb + '-shm']) rmSync(f, { force: true });

// Start the server on a free port; it prints its URL.
const srv = spawn(server, ['--port', '0', '--measured', fixture, '--staffml-db', smlDb], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((ok, fail) => {
  let buf = '';
  srv.stdout.on('data', d => { buf += d; const m = buf.match(/http:\/\/[0-9.]+:\d+\//); if (m) ok(m[0]); });
  srv.on('exit', c => fail(new Error(`mlsb-labs exited with ${c}`)));
  setTimeout(() => fail(new Error('mlsb-labs did not start in 10 s')), 10000);
});

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
} catch (e) {
  srv.kill('SIGTERM');
  skip(`Chromium (${exe}) cannot start: ${String(e.message).split('\n')[0]}`);
}

const api = async (endpoint, body) => {
  const r = await fetch(base + 'api/' + endpoint, { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
};
const failures = [];
const check = (cond, lab, what) => { if (!cond) failures.push(`${lab}: ${what}`); return cond; };

async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 1500 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('console', m => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', e => page.errors.push(String(e)));
  return { ctx, page };
}

const updates = page => page.evaluate(() => Number(document.body.dataset.updates || 0));
// Polls with page.evaluate: waitForFunction would need 'unsafe-eval', which the pages' CSP forbids.
async function waitFor(page, fn, arg, what) {
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    if (await page.evaluate(fn, arg)) return;
    await new Promise(r => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const waitUpdate = (page, prev) => waitFor(page,
  p => Number(document.body.dataset.updates || 0) > p && document.body.dataset.busy === '0', prev, 'the page to update');

// Every metric shown with a value must equal the API's reply to the page's own request.
async function numbersMatchApi(page, id) {
  const st = await page.evaluate(() => ({ request: window.labState.request, result: window.labState.result }));
  const endpoint = await page.evaluate(() => window.labEndpoint);
  const fresh = await api(endpoint, st.request);
  if (!check(fresh.status === 200, id, `API refused the page's request (${fresh.status})`)) return null;
  const shown = await page.$$eval('.metric-value', els => els.map(e => ({ key: e.dataset.key, value: e.dataset.value })));
  let compared = 0;
  for (const m of shown) {
    const v = fresh.json[m.key];
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
      check(m.value === String(v), id, `${m.key}: page shows ${m.value}, API says ${v}`);
      compared++;
    }
  }
  check(compared >= 2, id, `only ${compared} numbers could be compared with the API`);
  return fresh.json;
}

// index page
{
  const { ctx, page } = await newPage();
  await page.goto(base);
  await page.waitForSelector('#lab-list a');
  const n = await page.$$eval('#lab-list a', a => a.length);
  check(n >= 12, 'index', `${n} labs listed`);
  await page.screenshot({ path: join(out, 'index.png'), fullPage: true });
  check(page.errors.length === 0, 'index', `console errors: ${page.errors.join(' | ')}`);
  await ctx.close();
}

const labs = (await (await fetch(base + 'api/labs')).json()).filter(l => !only || l.id === only);
for (const lab of labs) {
  const id = lab.id;
  const before = failures.length;
  const { ctx, page } = await newPage();
  try {
    await page.goto(base + lab.path.slice(1));
    await page.waitForSelector('#lock');
    check(await page.isHidden('#instruments'), id, 'instruments visible before the prediction is locked');
    check(await page.isHidden('#reveal-box'), id, 'reveal visible before the prediction is locked');
    // lock a prediction
    let u = await updates(page);
    await page.fill('#guess', '5');
    await page.click('#lock');
    await waitUpdate(page, u);
    await waitFor(page, () => document.getElementById('reveal').textContent.startsWith('You predicted'), null, 'the reveal');
    check(await page.isVisible('#instruments'), id, 'instruments hidden after locking');
    check(await page.isDisabled('#guess'), id, 'prediction still editable after locking');
    const reveal = await page.textContent('#reveal');
    check(/You predicted 5 .*the model says/.test(reveal), id, `reveal reads "${reveal}"`);
    check(await page.isVisible('#equation'), id, 'no governing equation shown');
    check(await page.evaluate(() => !!window.Chart.getChart('chart')), id, 'no chart drawn');
    const first = await numbersMatchApi(page, id);
    check(!(await page.evaluate(() => window.labState.failure)), id, 'the default state is already a failure');
    // move the first slider one step with the keyboard
    const ctl = await page.$eval('#controls [data-control]', e => ({ id: e.id, tag: e.tagName, value: e.value, max: e.max }));
    const req0 = JSON.stringify(await page.evaluate(() => window.labState.request));
    u = await updates(page);
    await page.focus('#' + ctl.id);
    if (ctl.tag === 'SELECT') await page.keyboard.press('ArrowDown');
    else await page.keyboard.press(Number(ctl.value) < Number(ctl.max) ? 'ArrowRight' : 'ArrowLeft');
    await waitUpdate(page, u);
    const req1 = JSON.stringify(await page.evaluate(() => window.labState.request));
    check(req0 !== req1, id, 'moving the slider did not change the request');
    const second = await numbersMatchApi(page, id);
    if (first && second) {
      const keys = (await page.$$eval('.metric-value', els => els.map(e => e.dataset.key))).filter(k => typeof first[k] === 'number');
      check(keys.some(k => first[k] !== second[k]), id, 'no number changed when the slider moved');
    }
    const chartPoints = await page.evaluate(() => window.Chart.getChart('chart').data.datasets.reduce((n, d) => n + d.data.length, 0));
    check(chartPoints >= 3, id, `chart has ${chartPoints} points`);
    // reach the failure state, then recover
    const preset = await page.evaluate(() => window.labControls.failurePreset);
    u = await updates(page);
    await page.evaluate(p => { for (const [k, v] of Object.entries(p)) window.labControls.set(k, v); }, preset);
    await waitUpdate(page, u);
    const failText = await page.evaluate(() => window.labState.failure);
    check(!!failText && await page.isVisible('#failure'), id, `failure preset ${JSON.stringify(preset)} did not reach the failure state`);
    check(await page.evaluate(() => document.body.classList.contains('failed')), id, 'failure not drawn on the page');
    await page.screenshot({ path: join(out, `${id}-failure.png`), fullPage: true });
    u = await updates(page);
    await page.evaluate(() => { for (const [k, v] of Object.entries(window.labControls.defaults)) window.labControls.set(k, v); });
    await waitUpdate(page, u);
    check(await page.isHidden('#failure') && !(await page.evaluate(() => window.labState.failure)), id, 'failure state did not clear after returning to the defaults');
    await numbersMatchApi(page, id);
    await page.screenshot({ path: join(out, `${id}.png`), fullPage: true });
    // ledger: record, export
    await page.click('#record');
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#export')]);
    const saved = join(out, `${id}-ledger.json`);
    await dl.saveAs(saved);
    const ledger = JSON.parse(readFileSync(saved, 'utf8'));
    const mine = ledger.entries.filter(e => e.lab === id);
    check(mine.some(e => e.kind === 'prediction' && e.prediction === 5) && mine.some(e => e.kind === 'decision'), id, 'ledger export lacks the prediction or the decision');
    check(page.errors.length === 0, id, `console errors: ${page.errors.join(' | ')}`);
  } catch (e) {
    failures.push(`${id}: ${String(e.message).split('\n')[0]}`);
    await page.screenshot({ path: join(out, `${id}-error.png`), fullPage: true }).catch(() => {});
  }
  console.log(`${failures.length === before ? 'PASS' : 'FAIL'} ${id}`);
  await ctx.close();
}

// the StaffML practice page: drill (a bad answer refused, a real one graded and recorded), the
// heat map, vault search
{
  const id = 'practice';
  const before = failures.length;
  const { ctx, page } = await newPage();
  try {
    await page.goto(base + 'practice.html');
    await waitFor(page, () => document.body.dataset.ready === '1', null, 'the practice page');
    check(await page.$$eval('#heat-body tr', r => r.length) === 13, id, 'heat map does not have 13 areas');
    const reviews0 = (await (await fetch(base + 'api/staffml/progress')).json()).reviews;
    const q = await page.evaluate(() => window.practiceState.question);
    check(!!q && !!q.id, id, 'no question shown');
    let allowed = 0;
    if (q.kind === 'numeric') {
      await page.fill('#answer', 'lots');
      await page.click('#submit');
      await waitFor(page, () => document.getElementById('answer-error').textContent.length > 0, null, 'the refusal');
      allowed = 1;   // the 400 reply is logged by the browser as a failed resource
      const r1 = (await (await fetch(base + 'api/staffml/progress')).json()).reviews;
      check(r1 === reviews0, id, 'a non-number answer was recorded');
    }
    await page.fill('#answer', q.kind === 'choice' ? 'A' : q.kind === 'numeric' ? '1' : 'my answer');
    await page.click('#submit');
    await waitFor(page, () => !!window.practiceState.lastAnswer, null, 'the grade');
    if (q.kind === 'open') {
      await page.click('#self-grade button[data-grade="3"]');
      await waitFor(page, () => window.practiceState.lastAnswer.recorded, null, 'the self grade');
    }
    const a = await page.evaluate(() => window.practiceState.lastAnswer);
    check(a.recorded && await page.isVisible('#feedback'), id, 'answer not recorded or no feedback');
    check((await page.textContent('#model-answer')).length > 0, id, 'no model answer shown');
    const p1 = await (await fetch(base + 'api/staffml/progress')).json();
    check(p1.reviews === reviews0 + 1, id, `reviews ${reviews0} -> ${p1.reviews}, want +1`);
    await waitFor(page, () => [...document.querySelectorAll('#heat-body td')].some(td => td.dataset.cards !== '0'), null, 'the heat map update');
    await page.fill('#search', 'kv cache');
    await page.click('#search-form button');
    await waitFor(page, () => document.querySelectorAll('#search-results li[data-id]').length > 0, null, 'search results');
    await page.screenshot({ path: join(out, 'practice.png'), fullPage: true });
    const unexpected = page.errors.filter(e => !(allowed && /status of 400/.test(e)));
    check(unexpected.length === 0 && page.errors.length <= allowed, id, `console errors: ${page.errors.join(' | ')}`);
  } catch (e) {
    failures.push(`${id}: ${String(e.message).split('\n')[0]}`);
    await page.screenshot({ path: join(out, `${id}-error.png`), fullPage: true }).catch(() => {});
  }
  console.log(`${failures.length === before ? 'PASS' : 'FAIL'} ${id}`);
  await ctx.close();
}

await browser.close();
srv.kill('SIGTERM');
const code = await new Promise(ok => srv.on('exit', c => ok(c)));
check(code === 0, 'server', `mlsb-labs exited with ${code} on SIGTERM`);
if (failures.length) {
  console.log(`labs e2e: ${failures.length} failure(s):\n  ` + failures.join('\n  '));
  process.exit(1);
}
console.log(`labs e2e: ${labs.length} labs, the index and the practice page passed in Chromium; screenshots in ${out}`);
