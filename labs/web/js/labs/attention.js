/* The quadratic attention wall: the S x S score matrix. */
'use strict';
Lab.run({
  id: 'attention', title: 'The quadratic attention wall', endpoint: 'eval',
  scenario: 'You train Llama-3.2 1B on one H100 and want longer contexts. Without a fused attention kernel each ' +
    'layer materialises the S × S attention scores for every head; with FlashAttention they never reach HBM.',
  predict: { question: 'Without FlashAttention, at 2k tokens and one sequence in flight: how many GB of activations?', unit: 'GB', min: 0, max: 100000 },
  controls: [
    { id: 'seq', label: 'Sequence length (tokens)', values: Lab.pow2(512, 65536), value: 2048 },
    { id: 'flash', label: 'Fused (Flash) attention', options: ['off', 'on'], value: 'off' },
    { id: 'recompute', label: 'Activation recomputation', options: ['none', 'selective', 'full'], value: 'none' }
  ],
  request: s => Lab.plan('attention wall', {
    workload: { model: 'Llama3_2_1B', mode: 'training', batch_size: 64, seq_len: s.seq },
    hardware: { accelerator: 'H100' },
    parallelism: { microbatch: 1, recompute: s.recompute, flash_attention: s.flash === 'on' }
  }),
  metrics: [
    { key: 'memory_activations_bytes', label: 'Activations' }, { key: 'memory_per_accelerator_bytes', label: 'Total per accelerator' },
    { key: 'memory_capacity_bytes', label: 'HBM capacity' }, { key: 'model_flop', label: 'FLOPs per step' },
    { key: 'step_time_s', label: 'Step time' }
  ],
  chart: {
    knobControl: 'seq', xLabel: 'sequence length (tokens)', yLabel: 'activation bytes', logX: true, logY: true,
    sweep: s => ({ knob: 'workload.seq_len', values: Lab.pow2(512, 65536) }),
    y: [{ key: 'memory_activations_bytes', label: 'activations' }],
    limit: (s, r) => r ? r.memory_capacity_bytes : null, limitLabel: 'HBM capacity'
  },
  failure: r => r.feasible === false ? `Out of memory at ${r.seq_len} tokens: ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')} needed. Turn on fused attention or recompute, or shorten the sequence.` : null,
  failurePreset: { seq: 32768, flash: 'off', recompute: 'none' },
  actual: r => r.memory_activations_bytes / 1e9,
  lesson: 'Doubling the context doubles the linear activations but quadruples the score matrices: without fusion the S² term takes over.',
  equation: 'activations per layer ≈ s·b·h·(34 + 5·a·s/h) bytes   (fused attention drops the 5·a·s² term)',
  equationNote: 'Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models", MLSys 2023; Dao et al., FlashAttention, NeurIPS 2022.'
});
