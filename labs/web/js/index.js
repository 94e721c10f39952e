/* index.js - the lab list (GET /api/labs) and the ledger kept by the lab pages. */
'use strict';
(async () => {
  const list = document.getElementById('lab-list');
  const labs = await (await fetch('/api/labs')).json();
  for (const l of labs) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = l.path;
    a.textContent = l.title;
    a.dataset.lab = l.id;
    li.appendChild(a);
    list.appendChild(li);
  }
  const entries = Lab.ledger().entries;
  if (entries.length) {
    document.getElementById('ledger-summary').textContent = `${entries.length} entries.`;
    const ul = document.getElementById('ledger-list');
    for (const e of entries.slice(-8)) {
      const li = document.createElement('li');
      li.textContent = e.kind === 'prediction'
        ? `${e.title}: predicted ${e.prediction} ${e.unit}, model ${e.actual_text}`
        : `${e.title}: decision recorded${e.failure ? ' (in failure: ' + e.failure + ')' : ''}`;
      ul.appendChild(li);
    }
  }
  document.getElementById('export').addEventListener('click', Lab.ledgerExport);
})();
