/* Training memory budget: weights + gradients + optimizer state + activations per accelerator. */
'use strict';
Lab.run({
  id: 'training-memory', title: 'Training memory budget', endpoint: 'eval',
  scenario: 'You fine-tune Llama-3.2 1B on a single H100 (80 GB). Mixed-precision Adam keeps 16-bit weights and ' +
    'gradients plus fp32 master weights and two moments. Activations grow with batch and sequence length. ' +
    'How far can you push the batch before the budget breaks?',
  predict: { question: 'Weights + gradients + Adam state of the 1.24 B-parameter model: how many GB, before any activation?', unit: 'GB', min: 0, max: 10000 },
  controls: [
    { id: 'batch', label: 'Micro-batch (sequences in flight; global batch 64)', values: Lab.pow2(1, 64), value: 1 },
    { id: 'seq', label: 'Sequence length', values: Lab.pow2(512, 16384), value: 2048 },
    { id: 'optimizer', label: 'Optimizer', options: ['adam', 'sgd', 'none'], value: 'adam' },
    { id: 'recompute', label: 'Activation recomputation', options: ['none', 'selective', 'full'], value: 'none' }
  ],
  request: s => Lab.plan('training memory', {
    workload: { model: 'Llama3_2_1B', mode: 'training', batch_size: 64, seq_len: s.seq, optimizer: s.optimizer },
    hardware: { accelerator: 'H100' },
    parallelism: { microbatch: s.batch, recompute: s.recompute }
  }),
  metrics: [
    { key: 'memory_per_accelerator_bytes', label: 'Total per accelerator' }, { key: 'memory_capacity_bytes', label: 'HBM capacity' },
    { key: 'memory_weights_bytes', label: 'Weights' }, { key: 'memory_gradients_bytes', label: 'Gradients' },
    { key: 'memory_optimizer_bytes', label: 'Optimizer state' }, { key: 'memory_activations_bytes', label: 'Activations' },
    { key: 'step_time_s', label: 'Step time' }
  ],
  chart: {
    knobControl: 'batch', xLabel: 'micro-batch (sequences)', yLabel: 'bytes per accelerator', logX: true, logY: true,
    sweep: s => ({ knob: 'parallelism.microbatch', values: Lab.pow2(1, 64) }),
    y: [{ key: 'memory_per_accelerator_bytes', label: 'total' }, { key: 'memory_activations_bytes', label: 'activations' },
      { key: 'memory_optimizer_bytes', label: 'optimizer state' }],
    limit: (s, r) => r ? r.memory_capacity_bytes : null, limitLabel: 'HBM capacity'
  },
  failure: r => r.feasible === false ? `Out of memory: ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')} needed, ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')} available. Recompute activations, shorten sequences or lower the micro-batch.` : null,
  failurePreset: { batch: 64, seq: 16384 },
  actual: r => (r.memory_weights_bytes + r.memory_gradients_bytes + r.memory_optimizer_bytes) / 1e9,
  lesson: 'Mixed-precision Adam costs 16 bytes per parameter before a single activation: the model states, not the weights, set the floor.',
  equation: 'M = P·(2 + 2 + 12) + activations(b, s, recompute)',
  equationNote: 'Rajbhandari et al., ZeRO (SC 2020): 16 bytes/parameter for mixed-precision Adam; activations per Korthikanti et al. (MLSys 2023).'
});
