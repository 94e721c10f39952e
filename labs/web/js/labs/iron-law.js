/* The iron law of performance: time = max(work / compute rate, bytes / bandwidth) + overhead. */
'use strict';
Lab.run({
  id: 'iron-law', title: 'The iron law of performance', endpoint: 'eval',
  scenario: 'You serve Llama-3 8B on one H100 and generate one token per sequence per step. The step must ' +
    'read every weight from HBM, do 2 FLOPs per weight per sequence, and pay a fixed launch overhead. ' +
    'Which term sets the time, and what happens when you batch more sequences?',
  predict: { question: 'At batch 1 (2k-token context, fp16), how many milliseconds does one decode step take?', unit: 'ms', min: 0, max: 10000 },
  controls: [
    { id: 'batch', label: 'Batch (sequences per step)', values: Lab.pow2(1, 1024), value: 1 },
    { id: 'seq', label: 'Context length (tokens)', values: Lab.pow2(512, 32768), value: 2048 },
    { id: 'precision', label: 'Precision', options: ['fp16', 'fp8', 'int8', 'int4'], value: 'fp16' }
  ],
  request: s => Lab.plan('iron law', {
    workload: { model: 'Llama3_8B', mode: 'inference', batch_size: s.batch, seq_len: s.seq },
    hardware: { accelerator: 'H100', precision: s.precision }
  }),
  metrics: [
    { key: 'latency_s', label: 'Step time' }, { key: 'compute_time_s', label: 'Compute term' },
    { key: 'memory_time_s', label: 'Memory term' }, { key: 'overhead_time_s', label: 'Overhead term' },
    { key: 'throughput_per_s', label: 'Tokens per second' }, { key: 'bottleneck', label: 'Bottleneck' },
    { key: 'memory_per_accelerator_bytes', label: 'Memory needed' }, { key: 'memory_capacity_bytes', label: 'HBM capacity' }
  ],
  chart: {
    knobControl: 'batch', xLabel: 'batch (sequences)', yLabel: 'seconds per step', logX: true, logY: true,
    sweep: s => ({ knob: 'workload.batch_size', values: Lab.pow2(1, 1024) }),
    y: [{ key: 'latency_s', label: 'step time' }, { key: 'compute_time_s', label: 'compute term' }, { key: 'memory_time_s', label: 'memory term' }]
  },
  failure: r => r.feasible === false ? `Out of memory: the step needs ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')} but the H100 has ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')}. Shrink the batch, the context or the precision.` : null,
  failurePreset: { batch: 1024, seq: 32768 },
  actual: r => r.latency_s * 1e3,
  lesson: 'At small batch the memory term wins: every step streams all 16 GB of weights whatever the batch, so batching is almost free until the compute term catches up.',
  explain: r => `The ${r.bottleneck} term sets the pace: compute ${Lab.fmt(r.compute_time_s, 'x_s')}, memory ${Lab.fmt(r.memory_time_s, 'x_s')}, overhead ${Lab.fmt(r.overhead_time_s, 'x_s')}.`,
  equation: 'T_step = max( FLOPs / (peak · η) , bytes / bandwidth ) + T_overhead',
  equationNote: 'Decode FLOPs ≈ 2 · params · batch (+ attention over the context); bytes ≈ weights + KV cache of the batch.'
});
