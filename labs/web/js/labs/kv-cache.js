/* The KV-cache wall: every live token keeps its keys and values in HBM. */
'use strict';
Lab.run({
  id: 'kv-cache', title: 'The KV-cache wall', endpoint: 'serve',
  scenario: 'A chat service runs Llama-3 8B on one H100. Each token of every live conversation keeps its keys ' +
    'and values for all 32 layers in HBM. Long contexts and many users compete for the memory the weights left.',
  predict: { question: 'One 32k-token conversation (fp16): how many GB of KV cache does it hold?', unit: 'GB', min: 0, max: 100000 },
  controls: [
    { id: 'batch', label: 'Concurrent conversations', values: Lab.pow2(1, 512), value: 1 },
    { id: 'seq', label: 'Context length (tokens)', values: Lab.pow2(1024, 131072), value: 32768 },
    { id: 'precision', label: 'Precision (weights and KV)', options: ['fp16', 'fp8', 'int8', 'int4'], value: 'fp16' }
  ],
  request: s => ({ model: 'Llama3_8B', hardware: 'H100', batch_size: s.batch, seq_len: s.seq, precision: s.precision }),
  metrics: [
    { key: 'kv_cache_bytes', label: 'KV cache of the batch' }, { key: 'kv_cache_per_token_bytes', label: 'KV per token' },
    { key: 'memory_weights_bytes', label: 'Weights' }, { key: 'memory_utilization', label: 'HBM used' },
    { key: 'max_concurrent_sequences', label: 'Max conversations at this context' }, { key: 'itl_s', label: 'Time per token' }
  ],
  chart: {
    knobControl: 'batch', xLabel: 'concurrent conversations', yLabel: 'bytes of HBM', logX: true, logY: true,
    sweep: s => ({ knob: 'batch_size', values: Lab.pow2(1, 512) }),
    y: [{ key: 'memory_per_accelerator_bytes', label: 'weights + KV' }, { key: 'kv_cache_bytes', label: 'KV cache' }],
    limit: (s, r) => r ? r.memory_capacity_bytes : null, limitLabel: 'HBM capacity'
  },
  failure: r => r.feasible === false ? `The KV-cache wall: weights + KV need ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')}, the H100 has ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')}. Fewer conversations, shorter contexts or a smaller KV format.` : null,
  failurePreset: { batch: 64, seq: 131072 },
  actual: r => r.kv_cache_bytes / 1e9,
  lesson: 'Grouped-query attention keeps 8 KV heads of 128 dims for 32 layers: 128 KiB per token at fp16, so a long conversation costs gigabytes.',
  equation: 'KV bytes = 2 · layers · kv_heads · head_dim · context · batch · bytes_per_element',
  equationNote: 'The 2 counts keys and values. Paged attention (Kwon et al., SOSP 2023) allocates it in 16-token blocks.'
});
