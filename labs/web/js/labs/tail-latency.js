/* The tail-latency trap: queues explode as utilisation approaches 1 (M/M/c, Little's law). */
'use strict';
const QPS = [0.5, 1, 2, 3, 4, 5, 5.5, 6, 6.5, 7, 8, 10, 12, 16];
Lab.run({
  id: 'tail-latency', title: 'The tail-latency trap', endpoint: 'serve',
  scenario: 'Requests for 128-token answers reach Llama-3 8B replicas on H100s at random (Poisson) times; each ' +
    'replica serves 8 requests at once. The SLA is p99 ≤ 10 s. Adding load raises utilisation — and the queue.',
  predict: { question: 'One replica, 5 requests per second (about 78 % busy): what is the p99 latency in seconds?', unit: 's', min: 0, max: 100000 },
  controls: [
    { id: 'qps', label: 'Arrival rate (requests/s)', values: QPS, value: 5 },
    { id: 'replicas', label: 'Replicas', values: [1, 2, 3, 4, 6, 8], value: 1 },
    { id: 'sla', label: 'p99 SLA (s)', values: [2, 5, 10, 20, 30], value: 10 }
  ],
  request: s => ({ model: 'Llama3_8B', hardware: 'H100', batch_size: 8, seq_len: 2048, output_tokens: 128, qps: s.qps, replicas: s.replicas }),
  metrics: [
    { key: 'queue_utilization', label: 'Utilisation ρ' }, { key: 'request_latency_s', label: 'Service time' },
    { key: 'p50_latency_s', label: 'p50 latency' }, { key: 'p99_latency_s', label: 'p99 latency' },
    { key: 'in_system', label: 'Requests in the system (L = λW)', value: r => r.queue_stable ? r.qps * (r.request_latency_s + r.queue_wait_mean_s) : null }
  ],
  chart: {
    knobControl: 'qps', xLabel: 'arrival rate (requests/s)', yLabel: 'latency (s)', logY: true,
    sweep: s => ({ knob: 'qps', values: QPS }),
    y: [{ key: 'p99_latency_s', label: 'p99' }, { key: 'p50_latency_s', label: 'p50' }],
    limit: s => s.sla, limitLabel: 'SLA'
  },
  failure: (r, s) => !r.queue_stable ? `Overloaded: ${r.qps} req/s exceed what ${r.replicas} replica(s) can serve (ρ = ${r.queue_utilization.toFixed(2)}); the queue grows without bound. Add replicas or shed load.`
    : r.p99_latency_s > s.sla ? `SLA violated: p99 ${Lab.fmt(r.p99_latency_s, 'p_s')} > ${s.sla} s at ρ = ${r.queue_utilization.toFixed(2)}. Add a replica.` : null,
  failurePreset: { qps: 16, replicas: 1 },
  actual: r => r.p99_latency_s,
  lesson: 'Mean latency barely moves until ρ ≈ 0.7; the tail explodes near ρ = 1. Run replicas cooler than your average suggests.',
  equation: 'ρ = λ / (c·μ),   P(wait) = ErlangC(c, λ/μ),   L = λ · W (Little)',
  equationNote: 'M/M/c with c = replicas × 8 slots and service time TTFT + 128 × ITL. Little, Operations Research 1961.'
});
