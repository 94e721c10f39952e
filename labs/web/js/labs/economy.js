/* The inference economy: cost per million tokens = hourly cost / tokens per hour. */
'use strict';
Lab.run({
  id: 'economy', title: 'The inference economy', endpoint: 'serve',
  scenario: 'You price a Llama-3 8B API. An accelerator costs its purchase price over three years plus power and ' +
    'maintenance, whether it is busy or not. Batching spreads that hour over more tokens — until each user waits too long per token.',
  predict: { question: 'On one H100 at batch 1, fully busy: how many dollars per million generated tokens?', unit: '$', min: 0, max: 1e6 },
  controls: [
    { id: 'hw', label: 'Accelerator', options: ['H100', 'H200', 'A100', 'B200', 'MI300X', 'L4', 'T4'], value: 'H100' },
    { id: 'batch', label: 'Batch (concurrent users)', values: Lab.pow2(1, 512), value: 1 },
    { id: 'precision', label: 'Precision', options: ['fp16', 'fp8', 'int8'], value: 'fp16' },
    { id: 'itl', label: 'Per-token SLA (ms)', values: [20, 30, 50, 100], value: 50 }
  ],
  request: s => ({ model: 'Llama3_8B', hardware: s.hw, batch_size: s.batch, seq_len: 2048, precision: s.precision }),
  metrics: [
    { key: 'cost_per_million_tokens_usd', label: 'Cost per million tokens' }, { key: 'cost_per_hour_usd', label: 'Cost per hour' },
    { key: 'tokens_per_s', label: 'Tokens per second' }, { key: 'itl_s', label: 'Time per token (each user)' },
    { key: 'memory_utilization', label: 'HBM used' }
  ],
  chart: {
    knobControl: 'batch', xLabel: 'batch (concurrent users)', yLabel: 'USD per million tokens', logX: true, logY: true,
    sweep: s => ({ knob: 'batch_size', values: Lab.pow2(1, 512) }),
    y: [{ key: 'cost_per_million_tokens_usd', label: 'cost per million tokens' }]
  },
  failure: (r, s) => !r.feasible ? `Out of memory on ${r.hardware}: weights + KV need ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')}, it has ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')}.`
    : r.itl_s * 1e3 > s.itl ? `SLA violated: each user waits ${Lab.fmt(r.itl_s, 'i_s')} per token (SLA ${s.itl} ms). Cheaper tokens, unhappy users: lower the batch or use faster memory.` : null,
  failurePreset: { hw: 'T4', batch: 1 },
  actual: r => r.cost_per_million_tokens_usd,
  lesson: 'At batch 1 you pay a whole accelerator for one user; the memory-bound step costs the same at batch 32, so the price per token falls almost 32×.',
  equation: '$/Mtok = (capex/3 yr + energy · price/kWh + maintenance) per hour / (tokens per hour / 10⁶)',
  equationNote: 'Energy: TDP × (0.3 + 0.7 × min(1, utilisation / 0.5)) × PUE (the power limit is reached at MFU 0.5); prices and TDP from the registry\'s cited datasheets.'
});
