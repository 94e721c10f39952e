/* The concurrency wave: a benchmark's closed loop of clients, whose identical prompts arrive in waves. */
'use strict';
const CLIENTS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256];
Lab.run({
  id: 'concurrency', title: 'The concurrency wave', endpoint: 'serve',
  scenario: 'A load test runs N clients against Llama-3 8B on one H100; each sends a prompt, waits for its 200-token ' +
    'answer, and sends the next at once (a closed loop, as a benchmark\'s "concurrency" runs). The server batches ' +
    'in flight and prefills up to 8,192 prompt tokens an iteration. The goal: a first token within 2 s.',
  predict: { question: '16 clients with 2,000-token prompts: what is the mean time to the first token, in seconds?', unit: 's', min: 0, max: 100000 },
  controls: [
    { id: 'clients', label: 'Clients (concurrency)', values: CLIENTS, value: 16 },
    { id: 'seq_len', label: 'Prompt (tokens)', values: [200, 500, 1000, 2000, 4000, 7000], value: 2000 },
    { id: 'sla', label: 'First-token goal (s)', values: [0.5, 1, 2, 5, 10], value: 2 }
  ],
  request: s => ({ model: 'Llama3_8B', hardware: 'H100', seq_len: s.seq_len, output_tokens: 200, clients: s.clients }),
  metrics: [
    { key: 'loop_ttft_s', label: 'Time to first token' }, { key: 'loop_itl_s', label: 'Inter-token latency' },
    { key: 'loop_tokens_per_s', label: 'Throughput (tokens/s)' }, { key: 'loop_in_flight', label: 'Sequences in flight' },
    { key: 'loop_prompts_per_iteration', label: 'Prompts prefilled per iteration' },
    { key: 'in_loop', label: 'Clients (N = X · R)', value: r => r.loop_requests_per_s * r.loop_request_latency_s }
  ],
  chart: {
    knobControl: 'clients', xLabel: 'clients (concurrency)', yLabel: 'latency (s)', logY: true,
    sweep: s => ({ knob: 'clients', values: CLIENTS }),
    y: [{ key: 'loop_ttft_s', label: 'first token' }, { key: 'loop_itl_s', label: 'inter-token' }],
    limit: s => s.sla, limitLabel: 'goal'
  },
  failure: (r, s) => r.loop_ttft_s > s.sla
    ? `First token ${Lab.fmt(r.loop_ttft_s, 'loop_ttft_s')} > ${s.sla} s: ${r.loop_clients} clients' prompts arrive together and wait for the ` +
      `${Math.ceil(r.loop_in_flight / r.loop_prompts_per_iteration)} prefill iterations of the wave. Fewer clients per replica, or shorter prompts.`
    : null,
  failurePreset: { clients: 256, seq_len: 2000 },
  actual: r => r.loop_ttft_s,
  lesson: 'Throughput flattens once the GPU is busy, but the first token keeps growing with the clients: identical requests ' +
    'in a closed loop arrive in waves, and a prompt waits for the ones prefilled before it (about half the wave).',
  equation: 'N = X · R (Little);   TTFT = mean over a wave of N prompts of the iterations up to its own: k = ⌈N / g⌉ iterations of g = 8192 / prompt',
  equationNote: 'Little, Operations Research 1961; the wave is what 715 measured NIM closed loops show (MLSys·im validation README, "Closed loops arrive in waves").'
});
