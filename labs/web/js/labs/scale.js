/* The scale illusion: N times the accelerators is not N times the throughput. */
'use strict';
const COUNTS = [256, 512, 1024, 2048, 4096, 8192];
const scalePlan = s => Lab.plan('scale illusion', {
  workload: { model: 'Llama3_70B', mode: 'training', batch_size: 1024, seq_len: 4096 },
  hardware: { accelerator: 'DGX_H100', count: s.count },
  parallelism: { tp: s.tp, pp: s.pp, microbatch: 1, recompute: 'selective', sequence_parallel: true }
});
Lab.run({
  id: 'scale', title: 'The scale illusion', endpoint: 'train',
  scenario: 'You train Llama-3 70B with a global batch of 1024 sequences of 4096 tokens on DGX H100 nodes. ' +
    'Tensor (TP), pipeline (PP) and data parallelism (DP) split the work; each split adds communication or bubbles.',
  predict: { question: 'Going from 256 to 8192 H100s (32×) with TP 8 × PP 4: how many times more tokens per second?', unit: '×', min: 0, max: 1000 },
  controls: [
    { id: 'count', label: 'Accelerators', values: COUNTS, value: 1024 },
    { id: 'tp', label: 'Tensor parallel (TP)', values: [1, 2, 4, 8], value: 8 },
    { id: 'pp', label: 'Pipeline stages (PP)', values: [1, 2, 4, 8, 16], value: 4 }
  ],
  request: scalePlan,
  metrics: [
    { key: 'tokens_per_s', label: 'Tokens per second' }, { key: 'step_time_s', label: 'Step time' },
    { key: 'mfu', label: 'MFU' }, { key: 'bubble_fraction', label: 'Pipeline bubble' },
    { key: 'communication_s', label: 'Exposed communication' }, { key: 'dp', label: 'Data parallel (DP)' },
    { key: 'memory_per_accelerator_bytes', label: 'Memory per accelerator' },
    { key: 'scaling_efficiency', label: 'Scaling efficiency vs 256', value: (r, s, sw) => {
      const b = sw && sw.results[0];
      return b && b.tokens_per_s ? (r.tokens_per_s / b.tokens_per_s) / (s.count / COUNTS[0]) : null;
    } }
  ],
  chart: {
    knobControl: 'count', xLabel: 'accelerators', yLabel: 'tokens per second', logX: true, logY: true,
    sweep: s => ({ knob: 'hardware.count', values: COUNTS }),
    y: [{ key: 'tokens_per_s', label: 'modelled' },
      { key: 'linear', label: 'linear from 256', value: (r, sw) => sw.results[0].tokens_per_s * r.accelerators / COUNTS[0] }]
  },
  failure: r => r.feasible === false ? `Out of memory: ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')} per accelerator (${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')} available). Split the model further (TP or PP).` : null,
  failurePreset: { count: 1024, tp: 1, pp: 1 },
  actual: (r, s, sw) => sw.results[sw.results.length - 1].tokens_per_s / sw.results[0].tokens_per_s,
  lesson: 'With the global batch fixed, more accelerators mean fewer micro-batches per pipeline: the bubble and the exposed all-reduce grow.',
  equation: 'T_step = m·(t_f + t_b) + (p - 1)·(t_f + t_b) + T_comm,   bubble = (p - 1) / (m + p - 1)',
  equationNote: 'Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM", SC 2021.'
});
