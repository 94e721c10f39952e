/* The compression frontier: fewer bits, fewer weights, less time, until quality pays. */
'use strict';
Lab.run({
  id: 'compression', title: 'The compression frontier', endpoint: 'compress',
  scenario: 'Llama-3 70B in fp16 needs 141 GB: more than one H100. Quantization shrinks every weight; pruning ' +
    'removes some. Decode streams every weight each step, so bytes saved are time saved, if the hardware can use the format.',
  predict: { question: 'Quantizing from fp16 to int4 on an H100 (batch 1): how many times faster is one decode step?', unit: '×', min: 0, max: 1000 },
  controls: [
    { id: 'to', label: 'Weight format', options: ['int4', 'int8', 'fp8', 'fp16'], value: 'int4' },
    { id: 'prune', label: 'Pruning', options: ['none', 'unstructured', 'structured', '2:4'], value: 'none' },
    { id: 'sparsity', label: 'Sparsity (unstructured / structured)', values: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], value: 0 },
    { id: 'hw', label: 'Accelerator', options: ['H100', 'H200', 'L40S', 'L4'], value: 'H100' }
  ],
  request: s => ({ model: 'Llama3_70B', hardware: s.hw, from: 'fp16', to: s.to, prune: s.prune, sparsity: s.sparsity, batch_size: 1, seq_len: 2048 }),
  metrics: [
    { key: 'weights_before_bytes', label: 'Weights before' }, { key: 'weights_after_bytes', label: 'Weights after' },
    { key: 'compression_ratio', label: 'Compression ratio' }, { key: 'latency_after_s', label: 'Decode step after' },
    { key: 'speedup', label: 'Speed-up' }, { key: 'feasible_after', label: 'Fits after' }
  ],
  chart: {
    type: 'bar', knobControl: 'to', yLabel: 'seconds per decode step',
    sweep: s => ({ knob: 'to', values: ['fp16', 'fp8', 'int8', 'int4'] }),
    y: [{ key: 'latency_after_s', label: 'decode step' }]
  },
  failure: r => r.feasible_after === false ? `Does not fit: ${Lab.fmt(r.weights_after_bytes, 'x_bytes')} of weights on a ${r.hardware} with ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')}. Quantize further or prune.` : null,
  failurePreset: { to: 'fp16', prune: 'none', hw: 'L40S' },
  actual: r => r.speedup,
  lesson: 'A memory-bound step speeds up by the byte ratio, not the FLOP ratio, and only as far as the memory term dominates.',
  equation: 'speed-up ≈ T(fp16) / T(q) with T = max(FLOPs/(peak_q·η), (bytes_w · bits_q/16 + KV)/BW) + overhead',
  equationNote: 'Quantization formats: Dettmers et al. (LLM.int8(), 2022), Frantar et al. (GPTQ, 2023); 2:4 sparsity: NVIDIA Ampere whitepaper.'
});
