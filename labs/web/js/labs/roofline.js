/* Roofline and the ridge point: attainable FLOP/s = min(peak, intensity x bandwidth). */
'use strict';
Lab.run({
  id: 'roofline', title: 'Roofline and the ridge point', endpoint: 'eval',
  scenario: 'An accelerator has a compute roof (peak FLOP/s) and a memory slope (bandwidth). A kernel with ' +
    'arithmetic intensity I FLOP/byte can reach at most min(peak, I × bandwidth). The ridge point ' +
    'peak / bandwidth is where the two meet. Decoding an LLM: where does it sit?',
  predict: { question: 'What is the H100\'s ridge point (fp16 dense peak / HBM bandwidth), in FLOP per byte?', unit: 'FLOP/B', min: 0, max: 100000 },
  controls: [
    { id: 'batch', label: 'Batch (sequences per decode step)', values: Lab.pow2(1, 4096), value: 1 },
    { id: 'hw', label: 'Accelerator', options: ['H100', 'A100', 'B200', 'MI300X', 'L4'], value: 'H100' }
  ],
  request: s => Lab.plan('roofline', {
    workload: { model: 'Llama3_8B', mode: 'inference', batch_size: s.batch, seq_len: 2048 },
    hardware: { accelerator: s.hw }
  }),
  metrics: [
    { key: 'arithmetic_intensity_flop_per_byte', label: 'Arithmetic intensity' },
    { key: 'ridge_point_flop_per_byte', label: 'Ridge point' }, { key: 'bottleneck', label: 'Bottleneck' },
    { key: 'mfu', label: 'Model FLOPs utilisation' }, { key: 'latency_s', label: 'Step time' },
    { key: 'memory_per_accelerator_bytes', label: 'Memory needed' }
  ],
  chart: {
    knobControl: 'batch', xLabel: 'batch (sequences)', yLabel: 'FLOP per byte', logX: true, logY: true,
    sweep: s => ({ knob: 'workload.batch_size', values: Lab.pow2(1, 4096) }),
    y: [{ key: 'arithmetic_intensity_flop_per_byte', label: 'arithmetic intensity' }],
    limit: (s, r) => r ? r.ridge_point_flop_per_byte : null, limitLabel: 'ridge point'
  },
  failure: r => r.feasible === false ? `Out of memory on ${r.hardware}: ${Lab.fmt(r.memory_per_accelerator_bytes, 'x_bytes')} needed, ${Lab.fmt(r.memory_capacity_bytes, 'x_bytes')} available. The KV cache of a large batch does not fit; lower the batch.` : null,
  failurePreset: { batch: 4096, hw: 'L4' },
  actual: r => r.ridge_point_flop_per_byte,
  lesson: 'Below the ridge point the kernel is memory-bound and the tensor cores idle; decode at batch 1 sits two orders of magnitude below it.',
  explain: r => `Intensity ${Lab.fmt(r.arithmetic_intensity_flop_per_byte, 'i_flop_per_byte')} vs ridge ${Lab.fmt(r.ridge_point_flop_per_byte, 'r_flop_per_byte')}: ${r.bottleneck}-bound, MFU ${Lab.fmt(r.mfu, 'mfu')}.`,
  equation: 'attainable FLOP/s = min( peak , I × bandwidth ),   ridge = peak / bandwidth',
  equationNote: 'Williams, Waterman and Patterson, "Roofline", CACM 2009.'
});
