/* The speedup ceiling: only the part you accelerate gets faster (Amdahl's law). */
'use strict';
const AMDAHL_K = [1, 1.5, 2, 3, 4, 6, 8, 10];
const BASE_ETA = 0.1;
Lab.run({
  id: 'amdahl', title: 'The speedup ceiling (Amdahl)', endpoint: 'eval',
  scenario: 'A vendor offers tensor cores k times faster (here: the achieved compute rate η × peak, from η = 0.1 up ' +
    'to 1.0). Memory traffic and launch overhead do not change. You decode Llama-3 8B on an H100 at batch 256.',
  predict: { question: 'With compute 10× faster, how many times faster is the decode step at batch 256?', unit: '×', min: 0, max: 100 },
  controls: [
    { id: 'k', label: 'Compute speed-up bought (k)', values: AMDAHL_K, value: 1, show: k => k + '×' },
    { id: 'batch', label: 'Batch (sequences)', values: Lab.pow2(1, 512), value: 256 }
  ],
  request: s => Lab.plan('amdahl', {
    workload: { model: 'Llama3_8B', mode: 'inference', batch_size: s.batch, seq_len: 2048 },
    hardware: { accelerator: 'H100', efficiency: BASE_ETA * s.k }
  }),
  metrics: [
    { key: 'latency_s', label: 'Step time' }, { key: 'compute_time_s', label: 'Compute term' },
    { key: 'memory_time_s', label: 'Memory term' }, { key: 'overhead_time_s', label: 'Overhead term' },
    { key: 'speedup', label: 'Speed-up vs k = 1', value: (r, s, sw) => sw ? sw.results[0].latency_s / r.latency_s : null },
    { key: 'amdahl_bound', label: 'Amdahl ceiling (k → ∞)', value: (r, s, sw) => {
      if (!sw) return null;
      const b = sw.results[0];
      return b.latency_s / (b.latency_s - b.compute_time_s + Math.min(b.compute_time_s, b.memory_time_s));
    } }
  ],
  chart: {
    knobControl: 'k', xLabel: 'compute speed-up bought (k)', yLabel: 'step speed-up', logX: false, logY: false,
    sweep: s => ({ knob: 'hardware.efficiency', values: AMDAHL_K.map(k => BASE_ETA * k) }),
    x: v => Math.round(10 * v / BASE_ETA) / 10, current: s => s.k,
    y: [{ key: 'latency_s', label: 'step speed-up', value: (r, sw) => sw.results[0].latency_s / r.latency_s },
      { key: 'ideal', label: 'k (ideal)', value: r => r.efficiency / BASE_ETA }]
  },
  failure: (r, s, sw) => {
    if (!sw) return null;
    const sp = sw.results[0].latency_s / r.latency_s;
    return s.k > 1 && sp < 0.5 * s.k ? `Budget wasted: you pay for ${s.k}× compute and get ${sp.toFixed(2)}× — the memory and overhead terms did not shrink. Buy less compute or raise the batch.` : null;
  },
  failurePreset: { k: 10, batch: 1 },
  actual: (r, s, sw) => sw.results[0].latency_s / sw.results[sw.results.length - 1].latency_s,
  lesson: 'Once compute is fast enough, the step is as slow as its unaccelerated part: the ceiling is 1 / (1 - p).',
  equation: 'speed-up(k) = 1 / ( (1 - p) + p / k ),   p = fraction of the step that k accelerates',
  equationNote: 'Amdahl, AFIPS 1967. Here p comes from the roofline terms at k = 1; past the ridge the step is memory-bound and p stops mattering.'
});
