/* Failure is routine: MTBF shrinks with size; checkpoint interval trades write time for lost work. */
'use strict';
const INTERVALS = [60, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400];
Lab.run({
  id: 'failures', title: 'Failure is routine', endpoint: 'train',
  scenario: 'A month-long Llama-3 70B run on DGX H100 nodes. Every GPU, NIC and power supply fails now and then; ' +
    'a cluster of thousands fails every few hours. You checkpoint every τ seconds: too often wastes write time, too rarely loses work.',
  predict: { question: 'On 8192 H100s (1024 nodes), what is the mean time between failures of the whole cluster, in hours?', unit: 'h', min: 0, max: 1e6 },
  controls: [
    { id: 'count', label: 'Accelerators', values: [512, 1024, 2048, 4096, 8192, 16384], value: 8192 },
    { id: 'interval', label: 'Checkpoint interval τ', values: INTERVALS, value: 1800, show: v => v >= 3600 ? v / 3600 + ' h' : v / 60 + ' min' }
  ],
  request: s => Object.assign(Lab.plan('failures', {
    workload: { model: 'Llama3_70B', mode: 'training', batch_size: 2048, seq_len: 4096 },
    hardware: { accelerator: 'DGX_H100', count: s.count },
    parallelism: { tp: 8, pp: 4, microbatch: 1, recompute: 'selective', sequence_parallel: true },
    ops: { region: 'US_Avg', duration_days: 30 }
  }), { checkpoint_interval_s: s.interval }),
  metrics: [
    { key: 'mtbf_s', label: 'Cluster MTBF' }, { key: 'checkpoint_write_s', label: 'Checkpoint write' },
    { key: 'checkpoint_interval_s', label: 'Optimal τ (Young–Daly)' }, { key: 'chosen_goodput', label: 'Goodput at your τ' },
    { key: 'goodput', label: 'Goodput at optimal τ' }, { key: 'failure_probability', label: 'P(failure during the run)' }
  ],
  chart: {
    knobControl: 'interval', xLabel: 'checkpoint interval (s)', yLabel: 'goodput', logX: true,
    sweep: s => ({ knob: 'checkpoint_interval_s', values: INTERVALS }),
    y: [{ key: 'chosen_goodput', label: 'goodput at τ' }],
    limit: () => 0.5, limitLabel: 'half the cluster wasted'
  },
  failure: r => r.chosen_goodput < 0.5 ? `The job spends more time failing than training: goodput ${Lab.fmt(r.chosen_goodput, 'goodput')} at τ = ${Lab.fmt(r.chosen_checkpoint_interval_s, 'x_s')} on a cluster that fails every ${Lab.fmt(r.mtbf_s, 'x_s')}. Checkpoint closer to the Young–Daly interval.` : null,
  failurePreset: { count: 16384, interval: 86400 },
  actual: r => r.mtbf_s / 3600,
  lesson: 'MTBF divides by the number of parts: 1024 nodes that each fail every few years fail, together, every few hours.',
  equation: 'MTBF = 1 / Σ (n_i / MTBF_i),   τ* = √(2·δ·MTBF),   goodput ≈ 1 − δ/τ − (τ/2 + R)/MTBF',
  equationNote: 'Young, CACM 1974; Daly, FGCS 2006. δ: checkpoint write time, R: restart time (300 s).'
});
