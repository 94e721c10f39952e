/* solvers.c - the stand-alone solvers of solvers.h. Formulas and sources beside each function. */
#include "mlsysim/solvers.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/distributed.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int pos(double v) { return isfinite(v) && v > 0; }
static int nonneg(double v) { return isfinite(v) && v >= 0; }

/* ---- pipeline schedule bubble (Narayanan et al. 2021, §2.2.1 and eq. for interleaving) ---- */
double ms_bubble_schedule_fraction(int stages, int microbatches, int chunks_per_stage)
{
    if (microbatches < 1 || chunks_per_stage < 1) return -1;
    if (stages <= 1) return 0;
    double p = stages - 1.0;
    return p / ((double)chunks_per_stage * microbatches + p);
}

/* ---- chunked prefill ---- */
static double eta_of(double e) { return e > 0 && e <= 1 ? e : MS_DEFAULT_EFFICIENCY; }

int ms_chunked_prefill(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                       int chunk_tokens, ms_chunked_prefill_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (m->kind != MS_MODEL_TRANSFORMER || m->arch.encoder)
        return fail(err, errlen, "model '%s': chunked prefill needs a decoder transformer", m->name);
    if (chunk_tokens < 1) return fail(err, errlen, "chunk_tokens: must be >= 1 (got %d)", chunk_tokens);
    if (in->seq_len < 1) return fail(err, errlen, "seq_len: must be >= 1 (got %d)", in->seq_len);
    ms_serve_result base;
    if (ms_serve(m, hw, in, &base) != MS_OK)
        return fail(err, errlen, "model '%s': not servable", m->name);
    double b = ms_precision_bytes(in->precision);
    double eta = eta_of(in->efficiency);
    double B = in->batch_size > 0 ? in->batch_size : 1;
    double S = in->seq_len;
    double cached = in->cached_prefix > 0 ? fmin(in->cached_prefix, S - 1) : 0;
    double W = m->params * (in->weight_bytes > 0 ? in->weight_bytes : b);
    double kv_tok = m->kv_elems_per_token * (in->kv_bytes > 0 ? in->kv_bytes : b);
    double peak = ms_hw_peak(hw, in->precision) * eta;
    double C = chunk_tokens;
    double s0 = cached;
    if (ceil((S - s0) / C) > MS_CHUNKED_PREFILL_MAX_CHUNKS)
        return fail(err, errlen, "chunk_tokens: %d tokens per chunk makes %.0f chunks of a %d-token prompt (at most %d); use larger chunks",
                    chunk_tokens, ceil((S - s0) / C), in->seq_len, MS_CHUNKED_PREFILL_MAX_CHUNKS);
    o->chunk_tokens = C;
    while (s0 < S) {
        double c = fmin(C, S - s0);
        double pairs = c * s0 + c * (c + 1) / 2;
        double flops = B * (2.0 * m->params_matmul * c + m->attn_flops_per_pair * pairs);
        /* weights streamed once; KV of the prefix read and of the chunk written (a single chunk
         * from token 0 writes S tokens of KV: ms_serve's prefill traffic) */
        double bytes = W + kv_tok * (s0 + c) * B;
        double t = fmax(flops / peak, bytes / ms_hw_mem_bw(hw)) + hw->dispatch_s +
                   m->layers * MS_LAYER_TAX_S;
        if (o->chunks == 0) o->first_chunk_s = t;
        o->chunks++;
        o->ttft_s += t;
        o->flops += flops;
        if (t > o->decode_stall_bound_s) o->decode_stall_bound_s = t;
        s0 += c;
    }
    o->unchunked_ttft_s = base.ttft_s;
    return 0;
}

/* ---- disaggregated prefill / decode (Zhong et al., "DistServe", OSDI'24) ---- */
int ms_disaggregated(const ms_model *m, const ms_hardware *ph, const ms_hardware *dh,
                     const ms_serve_input *in, double bw, double alpha, ms_disagg_result *o,
                     char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(bw)) return fail(err, errlen, "link bandwidth: must be > 0 bytes/s");
    if (!nonneg(alpha)) return fail(err, errlen, "link latency: must be >= 0 s");
    ms_serve_result p, d;
    if (ms_serve(m, ph, in, &p) != MS_OK || ms_serve(m, dh, in, &d) != MS_OK)
        return fail(err, errlen, "model '%s': disaggregated serving needs a transformer", m->name);
    o->prefill_ttft_s = p.ttft_s;
    o->kv_bytes = p.kv_cache_bytes;
    o->kv_transfer_s = alpha + p.kv_cache_bytes / bw;
    o->ttft_s = p.ttft_s + o->kv_transfer_s;
    o->itl_s = d.itl_s;
    o->colocated_ttft_s = d.ttft_s;
    o->colocated_itl_s = d.itl_s;
    o->feasible = d.feasible && p.weights_bytes + p.kv_cache_bytes <= ph->mem_bytes;
    return 0;
}

/* ---- M/G/c tail latency: Erlang C (M/M/c) with the Allen–Cunneen / Kingman factor ---- */
int ms_tail_latency(double lambda, double service_s, int c, double cv, ms_tail_result *o,
                    char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(lambda)) return fail(err, errlen, "arrival rate: must be > 0 requests/s");
    if (!pos(service_s)) return fail(err, errlen, "service time: must be > 0 s");
    if (c < 1) return fail(err, errlen, "servers: must be >= 1 (got %d)", c);
    if (!nonneg(cv)) return fail(err, errlen, "service cv: must be >= 0");
    double mu = 1.0 / service_s;
    o->utilization = lambda / (c * mu);
    o->kingman_factor = (1.0 + cv * cv) / 2.0;
    o->stable = o->utilization < 1.0;
    if (!o->stable) {
        o->p_wait = 1.0;
        return 0;
    }
    o->p_wait = ms_queue_erlang_c(lambda, mu, c);
    double k = o->kingman_factor;
    o->mean_wait_s = ms_queue_mean_wait_s(lambda, mu, c) * k;
    o->p50_wait_s = ms_queue_wait_quantile_s(lambda, mu, c, 0.50) * k;
    o->p99_wait_s = ms_queue_wait_quantile_s(lambda, mu, c, 0.99) * k;
    o->p50_latency_s = o->p50_wait_s + service_s;
    o->p99_latency_s = o->p99_wait_s + service_s;
    return 0;
}

/* ---- checkpointing (Young 1974; Daly 2006) ---- */
int ms_checkpoint_solve(double delta, double job_s, double recovery_s, double mtbf_s,
                        double interval_s, ms_checkpoint_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(delta)) return fail(err, errlen, "checkpoint time: must be > 0 s");
    if (!pos(job_s)) return fail(err, errlen, "job length: must be > 0 s");
    if (!nonneg(recovery_s)) return fail(err, errlen, "recovery time: must be >= 0 s");
    if (!pos(mtbf_s)) return fail(err, errlen, "MTBF: must be > 0 s");
    if (!nonneg(interval_s)) return fail(err, errlen, "interval: must be >= 0 s (0 = Young's optimum)");
    o->young_daly_s = ms_rel_young_daly_s(delta, mtbf_s);
    o->daly_s = ms_rel_daly_s(delta, mtbf_s);
    o->interval_s = interval_s > 0 ? interval_s : o->young_daly_s;
    o->goodput = ms_rel_goodput(o->interval_s, delta, recovery_s, mtbf_s);
    o->checkpoints = job_s / o->interval_s;
    if (o->goodput > 0) {
        o->wall_time_s = job_s / o->goodput;
        o->overhead_s = o->wall_time_s - job_s;
        o->expected_failures = o->wall_time_s / mtbf_s;
        o->failure_prob = ms_rel_failure_prob(o->wall_time_s, mtbf_s);
    } else {
        o->failure_prob = 1.0;
    }
    return 0;
}

/* ---- data ingestion ---- */
int ms_ingest(double rate, double bytes, double storage_bw, double net_bw, double cpu_rate,
              int workers, ms_ingest_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(rate)) return fail(err, errlen, "samples/s: must be > 0");
    if (!pos(bytes)) return fail(err, errlen, "bytes per sample: must be > 0");
    if (!nonneg(storage_bw) || !nonneg(net_bw) || !nonneg(cpu_rate))
        return fail(err, errlen, "storage, network and cpu rates: must be >= 0 (0 = not in the path)");
    if (cpu_rate > 0 && workers < 1) return fail(err, errlen, "workers: must be >= 1 (got %d)", workers);
    double supply = INFINITY;
    o->bottleneck = "none";
    if (storage_bw > 0 && storage_bw < supply) { supply = storage_bw; o->bottleneck = "storage"; }
    if (net_bw > 0 && net_bw < supply) { supply = net_bw; o->bottleneck = "network"; }
    if (cpu_rate > 0 && cpu_rate * workers * bytes < supply) { supply = cpu_rate * workers * bytes; o->bottleneck = "cpu"; }
    if (!isfinite(supply)) return fail(err, errlen, "give at least one supply stage (storage, network or cpu)");
    o->demand_bytes_per_s = rate * bytes;
    o->supply_bytes_per_s = supply;
    o->utilization = o->demand_bytes_per_s / supply;
    o->stalled = o->utilization > 1.0;
    o->stall_fraction = o->stalled ? 1.0 - 1.0 / o->utilization : 0.0;
    o->achieved_samples_per_s = fmin(o->demand_bytes_per_s, supply) / bytes;
    o->headroom_bytes_per_s = supply - o->demand_bytes_per_s;
    return 0;
}

/* ---- topologies ---- */
static const char *const topo_names[MS_TOPO_COUNT] = {"fat-tree", "dragonfly", "torus3d", "ring"};

const char *ms_topology_name(ms_topology t)
{
    return (unsigned)t < MS_TOPO_COUNT ? topo_names[t] : "?";
}

int ms_topology_parse(const char *s, ms_topology *out)
{
    for (int i = 0; i < MS_TOPO_COUNT; i++)
        if (!strcmp(s, topo_names[i])) { *out = (ms_topology)i; return 0; }
    if (!strcmp(s, "fat_tree")) { *out = MS_TOPO_FAT_TREE; return 0; }
    if (!strcmp(s, "torus_3d")) { *out = MS_TOPO_TORUS3D; return 0; }
    return -1;
}

int ms_topology_eval(ms_topology t, int n, double bw, double oversub, ms_topology_result *o,
                     char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if ((unsigned)t >= MS_TOPO_COUNT) return fail(err, errlen, "topology: unknown");
    if (n < 2) return fail(err, errlen, "nodes: must be >= 2 (got %d)", n);
    if (!pos(bw)) return fail(err, errlen, "link bandwidth: must be > 0 bytes/s");
    if (!(isfinite(oversub) && oversub >= 1)) return fail(err, errlen, "oversubscription: must be >= 1");
    double N = n;
    switch (t) {
    case MS_TOPO_FAT_TREE:
        o->bisection_bytes_per_s = N / 2 * bw / oversub;
        o->avg_hops = 4;
        o->diameter_hops = 4;
        break;
    case MS_TOPO_DRAGONFLY:
        o->bisection_bytes_per_s = 0.85 * N / 2 * bw / oversub;
        o->avg_hops = 3;
        o->diameter_hops = 3;
        break;
    case MS_TOPO_TORUS3D: {
        double k = cbrt(N);
        o->bisection_bytes_per_s = 2 * k * k * bw;
        o->avg_hops = 3 * k / 4;
        o->diameter_hops = 3 * floor(k / 2);
        break;
    }
    case MS_TOPO_RING:
    default:
        o->bisection_bytes_per_s = 2 * bw;
        o->avg_hops = N / 4;
        o->diameter_hops = floor(N / 2);
        break;
    }
    o->per_node_bisection_bytes_per_s = o->bisection_bytes_per_s / (N / 2);
    return 0;
}

/* ---- MoE all-to-all (Lepikhin et al., GShard 2020; Fedus et al., Switch 2021) ---- */
int ms_moe_alltoall(double tokens, int hidden, double bpe, int top_k, int experts, double imbalance,
                    int ep, double bw, double alpha, ms_moe_a2a_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(tokens)) return fail(err, errlen, "tokens: must be > 0");
    if (hidden < 1) return fail(err, errlen, "hidden: must be >= 1");
    if (!pos(bpe)) return fail(err, errlen, "bytes per element: must be > 0");
    if (experts < 2) return fail(err, errlen, "experts: must be >= 2");
    if (top_k < 1 || top_k > experts) return fail(err, errlen, "top_k: must be in 1..experts");
    if (!(isfinite(imbalance) && imbalance >= 1)) return fail(err, errlen, "imbalance: must be >= 1");
    if (ep < 1) return fail(err, errlen, "ep: must be >= 1");
    if (!pos(bw)) return fail(err, errlen, "bandwidth: must be > 0 bytes/s");
    if (!nonneg(alpha)) return fail(err, errlen, "latency: must be >= 0 s");
    o->effective_experts_per_token = fmin((double)experts, top_k * imbalance);
    o->buffer_bytes = tokens * hidden * bpe * o->effective_experts_per_token;
    o->sent_bytes = o->buffer_bytes * (ep - 1.0) / ep;
    o->alltoall_s = ep > 1 ? ms_coll_all_to_all_s(o->buffer_bytes, ep, bw, alpha) : 0.0;
    o->layer_forward_s = 2 * o->alltoall_s;
    o->layer_train_s = 4 * o->alltoall_s;
    return 0;
}

/* ---- Amdahl (Amdahl 1967, "Validity of the single processor approach ...") ---- */
double ms_amdahl_speedup(double p, double s)
{
    if (!(isfinite(p) && p >= 0 && p <= 1) || !pos(s)) return -1;
    return 1.0 / ((1.0 - p) + p / s);
}

/* ---- per-kernel-type efficiency (constants: upstream MLSys·im EfficiencyModel) ---- */
static const char *const kernel_names[MS_KERNEL_COUNT] = {"attention", "ffn", "conv"};

const char *ms_kernel_kind_name(ms_kernel_kind k)
{
    return k >= 0 && k < MS_KERNEL_COUNT ? kernel_names[k] : "?";
}

int ms_kernel_kind_parse(const char *s, ms_kernel_kind *out)
{
    for (int i = 0; i < MS_KERNEL_COUNT; i++)
        if (s && !strcmp(s, kernel_names[i])) { *out = (ms_kernel_kind)i; return 0; }
    return -1;
}

int ms_kernel_efficiency(ms_kernel_kind k, int flash, double eta, double peak,
                         ms_kernel_eff_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!(isfinite(eta) && eta > 0 && eta <= 1)) return fail(err, errlen, "efficiency: must be in (0, 1] (got %g)", eta);
    if (!nonneg(peak)) return fail(err, errlen, "peak: must be >= 0 FLOP/s (got %g)", peak);
    if (k < 0 || k >= MS_KERNEL_COUNT) return fail(err, errlen, "kernel: must be attention, ffn or conv");
    double scale = eta / 0.5, m;
    switch (k) {
    case MS_KERNEL_ATTENTION: m = flash ? fmin(0.75 * scale, 0.85) : 0.30 * scale; break;
    case MS_KERNEL_FFN: m = fmin(0.50 * scale, 0.60); break;
    default: m = fmin(0.40 * scale, 0.55); break;
    }
    o->mfu = fmin(fmax(m, 0.0), 1.0);
    o->achievable_flops = peak * o->mfu;
    o->occupancy_loss = 1.0 - fmin(eta * 1.1, 1.0);
    o->memory_stall = fmax(0.0, (1.0 - o->mfu) - o->occupancy_loss);
    return 0;
}

/* ---- network roofline ---- */
int ms_network_roofline(double P, double b, double samples, int n, double peak, double eta,
                        double bw, double oversub, ms_net_roofline_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(P)) return fail(err, errlen, "params: must be > 0 (got %g)", P);
    if (!pos(b)) return fail(err, errlen, "bytes_per_param: must be > 0 (got %g)", b);
    if (!pos(samples)) return fail(err, errlen, "samples: must be > 0 (got %g)", samples);
    if (n < 1) return fail(err, errlen, "accelerators: must be >= 1 (got %d)", n);
    if (!pos(peak)) return fail(err, errlen, "peak: must be > 0 FLOP/s (got %g)", peak);
    if (!(isfinite(eta) && eta > 0 && eta <= 1)) return fail(err, errlen, "efficiency: must be in (0, 1] (got %g)", eta);
    if (!pos(bw)) return fail(err, errlen, "fabric bandwidth: must be > 0 (got %g)", bw);
    if (!(isfinite(oversub) && oversub >= 1)) return fail(err, errlen, "oversubscription: must be >= 1 (got %g)", oversub);
    o->total_flops_per_s = peak * n;
    o->bisection_bytes_per_s = bw / oversub;
    o->step_flops = 6.0 * P * samples;
    o->sync_bytes = 2.0 * P * b;
    o->intensity_flop_per_byte = o->step_flops / o->sync_bytes;
    o->ridge_flop_per_byte = o->total_flops_per_s / o->bisection_bytes_per_s;
    o->t_compute_s = o->step_flops / (o->total_flops_per_s * eta);
    o->t_network_s = o->sync_bytes / o->bisection_bytes_per_s;
    o->step_s = fmax(o->t_compute_s, o->t_network_s);
    o->network_bound = o->t_network_s > o->t_compute_s;
    return 0;
}

/* ---- reasoning-time scaling ---- */
int ms_reasoning(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in, int steps,
                 int tokens_per_step, ms_reasoning_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (m->kind != MS_MODEL_TRANSFORMER || m->arch.encoder)
        return fail(err, errlen, "model '%s': reasoning needs a decoder transformer", m->name);
    if (steps < 1) return fail(err, errlen, "steps: must be >= 1 (got %d)", steps);
    if (tokens_per_step < 1) return fail(err, errlen, "tokens_per_step: must be >= 1 (got %d)", tokens_per_step);
    ms_serve_result s;
    if (ms_serve(m, hw, in, &s) != MS_OK) return fail(err, errlen, "model '%s': not servable on '%s'", m->name, hw->name);
    o->tokens = (double)steps * tokens_per_step;
    o->ttft_s = s.ttft_s;
    o->itl_s = s.itl_s;
    o->step_s = tokens_per_step * s.itl_s;
    o->total_s = s.ttft_s + steps * o->step_s;
    /* power follows the load, as everywhere in the engine (ms_power_fraction): the prefill's MFU
     * over the TTFT, one decode pass's over the reasoning steps */
    double peak = ms_hw_peak(hw, in->precision);
    o->prefill_mfu = peak > 0 && s.ttft_s > 0 ? s.prefill_flops / (s.ttft_s * peak) : 0.0;
    o->decode_mfu = peak > 0 && s.itl_s > 0 ? s.decode_flops / (s.itl_s * peak) : 0.0;
    o->energy_j = hw->tdp_w * (ms_power_fraction(o->prefill_mfu, 0) * s.ttft_s
                               + ms_power_fraction(o->decode_mfu, 0) * steps * o->step_s);
    return 0;
}

/* ---- wafer-scale weight streaming ---- */
int ms_weight_streaming(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                        double inj, ms_weight_stream_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (m->kind != MS_MODEL_TRANSFORMER || m->arch.encoder || m->layers < 1)
        return fail(err, errlen, "model '%s': weight streaming needs a decoder transformer", m->name);
    if (!pos(inj)) return fail(err, errlen, "inject bandwidth: must be > 0 bytes/s (got %g)", inj);
    if (in->batch_size < 1) return fail(err, errlen, "batch_size: must be >= 1 (got %d)", in->batch_size);
    if (in->seq_len < 1) return fail(err, errlen, "seq_len: must be >= 1 (got %d)", in->seq_len);
    double b = ms_precision_bytes(in->precision);
    double eta = eta_of(in->efficiency);
    double peak = ms_hw_peak(hw, in->precision) * eta;
    double L = m->layers, B = in->batch_size, S = in->seq_len;
    double p_l = m->params_active / L;
    o->layer_weight_bytes = m->params / L * b;
    o->inject_s = o->layer_weight_bytes / inj;
    o->decode_compute_s = 2.0 * p_l * B / peak;
    /* causal attention: S(S+1)/2 (query, key) pairs per sequence */
    double attn = m->attn_flops_per_pair / L * S * (S + 1) / 2.0 * B;
    o->prefill_compute_s = (2.0 * p_l * S * B + attn) / peak;
    o->token_s = L * fmax(o->inject_s, o->decode_compute_s);
    o->prefill_s = L * fmax(o->inject_s, o->prefill_compute_s);
    o->tokens_per_s = B / o->token_s;
    o->kv_bytes = 1.1 * m->kv_elems_per_token * S * B * b;
    o->sram_bytes = hw->sram_bytes > 0 ? hw->sram_bytes : hw->mem_bytes;
    o->optimal_batch = o->inject_s * peak / (2.0 * p_l);
    o->injection_bound = o->inject_s > o->decode_compute_s;
    o->kv_fits = o->kv_bytes <= o->sram_bytes;
    return 0;
}

/* ---- DP-SGD (upstream ResponsibleEngineeringModel; Abadi et al. 2016 for the method) ---- */
int ms_dpsgd(double base_s, double eps, double pmin, ms_dpsgd_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(base_s)) return fail(err, errlen, "base time: must be > 0 s (got %g)", base_s);
    if (!pos(eps)) return fail(err, errlen, "epsilon: must be > 0 (got %g)", eps);
    if (!(isfinite(pmin) && pmin > 0 && pmin <= 1)) return fail(err, errlen, "min group fraction: must be in (0, 1] (got %g)", pmin);
    o->slowdown = 1.0 + 2.0 / fmax(eps, 0.01);
    o->time_s = base_s * o->slowdown;
    o->extra_time_s = o->time_s - base_s;
    o->additional_data_factor = 1.0 / fmax(pmin, 1e-6);
    return 0;
}

/* ---- M/D/1 job queue (Pollaczek-Khinchine mean wait with zero service variance) ---- */
int ms_job_queue(double lambda, double days, ms_job_queue_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(lambda)) return fail(err, errlen, "jobs per day: must be > 0 (got %g)", lambda);
    if (!pos(days)) return fail(err, errlen, "job days: must be > 0 (got %g)", days);
    double mu = 1.0 / days, rho = lambda / mu;
    o->utilization = rho;
    o->stable = rho < 1;
    if (!o->stable) return 0;
    o->mean_wait_days = rho / (2.0 * mu * (1.0 - rho));
    o->queue_length = rho * rho / (2.0 * (1.0 - rho));
    o->response_days = o->mean_wait_days + days;
    return 0;
}

/* ---- LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") ---- */
int ms_lora(const ms_model *m, const ms_hardware *hw, int r, ms_precision prec, double eta,
            double tokens, ms_lora_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (m->kind != MS_MODEL_TRANSFORMER)
        return fail(err, errlen, "model '%s': LoRA adapters are placed on attention projections; pick a transformer", m->name);
    if (r < 1) return fail(err, errlen, "rank: must be >= 1 (got %d)", r);
    if (!(isfinite(eta) && eta > 0 && eta <= 1)) return fail(err, errlen, "efficiency: must be in (0, 1] (got %g)", eta);
    if (!pos(tokens)) return fail(err, errlen, "tokens per step: must be > 0 (got %g)", tokens);
    const ms_arch *a = &m->arch;
    double h = a->hidden, d = a->head_dim > 0 ? a->head_dim : (double)a->hidden / a->heads;
    double q = a->heads * d, kv = a->kv_heads * d;
    double per_layer = r * ((h + q) + 2.0 * (h + kv) + (q + h));
    double P = m->params, Pa = m->params_active, b = ms_precision_bytes(prec);
    o->trainable_params = per_layer * a->layers;
    o->trainable_fraction = o->trainable_params / P;
    if (o->trainable_params >= P)
        return fail(err, errlen, "rank: %d gives %.3g adapter parameters, more than the model's %.3g; pick a smaller rank",
                    r, o->trainable_params, P);
    double Pt = o->trainable_params;
    o->full_state_bytes = P * (b + b + 12.0);
    o->lora_state_bytes = (P + Pt) * b + Pt * (b + 12.0);
    o->full_flops_per_token = 6.0 * Pa;
    o->lora_flops_per_token = 4.0 * Pa + 6.0 * Pt;
    double peak = ms_hw_peak(hw, prec) * eta;
    o->full_step_s = tokens * o->full_flops_per_token / peak;
    o->lora_step_s = tokens * o->lora_flops_per_token / peak;
    o->full_grad_sync_bytes = P * b;
    o->lora_grad_sync_bytes = Pt * b;
    o->full_fits = o->full_state_bytes <= hw->mem_bytes;
    o->lora_fits = o->lora_state_bytes <= hw->mem_bytes;
    return 0;
}

/* ---- congestion, stragglers, gradient accumulation ---- */
int ms_step_factors(double tc, double tdp, double to, double tb, double kc, double ks, int g,
                    double w, ms_step_factors_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!pos(tc)) return fail(err, errlen, "compute time: must be > 0 s (got %g)", tc);
    if (!nonneg(tdp) || !nonneg(to) || !nonneg(tb))
        return fail(err, errlen, "communication and bubble times: must be >= 0 s");
    if (!(isfinite(kc) && kc >= 1)) return fail(err, errlen, "congestion: must be >= 1 (got %g)", kc);
    if (!(isfinite(ks) && ks >= 1)) return fail(err, errlen, "straggler: must be >= 1 (got %g)", ks);
    if (g < 1) return fail(err, errlen, "grad_accum: must be >= 1 (got %d)", g);
    if (!(isfinite(w) && w >= 0 && w <= 1)) return fail(err, errlen, "overlap: must be in [0, 1] (got %g)", w);
    o->dp_comm_s = kc * tdp * (1.0 - w) / g;
    o->other_comm_s = kc * to;
    double base = tc + o->dp_comm_s + o->other_comm_s + tb;
    o->step_s = base * ks;
    o->straggler_s = o->step_s - base;
    o->scaling_efficiency = tc / o->step_s;
    return 0;
}

/* ---- collectives ---- */
static const char *const coll_names[MS_COLLECTIVE_COUNT] = {
    "ring", "tree", "dbtree", "hierarchical", "nvls", "all-to-all", "reduce-scatter", "all-gather"};

const char *ms_collective_name(ms_collective_kind k)
{
    return k >= 0 && k < MS_COLLECTIVE_COUNT ? coll_names[k] : "?";
}

int ms_collective_parse(const char *s, ms_collective_kind *out)
{
    for (int i = 0; i < MS_COLLECTIVE_COUNT; i++)
        if (s && !strcmp(s, coll_names[i])) { *out = (ms_collective_kind)i; return 0; }
    return -1;
}

int ms_collective(ms_collective_kind k, double M, int n, double bw, double alpha, int g,
                  double bw_out, double alpha_out, ms_collective_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!nonneg(M)) return fail(err, errlen, "bytes: must be >= 0 (got %g)", M);
    if (n < 1) return fail(err, errlen, "ranks: must be >= 1 (got %d)", n);
    if (!pos(bw)) return fail(err, errlen, "bandwidth: must be > 0 bytes/s (got %g)", bw);
    if (!nonneg(alpha)) return fail(err, errlen, "latency: must be >= 0 s (got %g)", alpha);
    if (k < 0 || k >= MS_COLLECTIVE_COUNT) return fail(err, errlen, "kind: unknown collective");
    double N = n, bt = 0, lt = 0;
    int allreduce = k <= MS_COLLECTIVE_NVLS;
    if (n > 1) switch (k) {
    case MS_COLLECTIVE_RING: bt = 2 * (N - 1) / N * M / bw; lt = 2 * (N - 1) * alpha; break;
    case MS_COLLECTIVE_TREE: {
        double steps = 2.0 * ceil(log2(N));
        bt = steps * M / bw; lt = steps * alpha;
        break;
    }
    case MS_COLLECTIVE_DBTREE: bt = 1.05 * 2 * (N - 1) / N * M / bw; lt = 1.2 * 2 * log2(N) * alpha; break;
    case MS_COLLECTIVE_HIERARCHICAL: {
        if (g < 1 || n % g) return fail(err, errlen, "ranks_per_node: %d does not divide ranks %d", g, n);
        if (!pos(bw_out)) return fail(err, errlen, "inter-node bandwidth: must be > 0 bytes/s (got %g)", bw_out);
        if (!nonneg(alpha_out)) return fail(err, errlen, "inter-node latency: must be >= 0 s (got %g)", alpha_out);
        double G = g, nodes = N / G;
        /* reduce-scatter and all-gather inside the node, ring all-reduce of M/g across nodes */
        bt = 2 * (G - 1) / G * M / bw + (nodes > 1 ? 2 * (nodes - 1) / nodes * (M / G) / bw_out : 0);
        lt = 2 * (G - 1) * alpha + (nodes > 1 ? 2 * (nodes - 1) * alpha_out : 0);
        break;
    }
    case MS_COLLECTIVE_NVLS: bt = ms_coll_nvls_bw_s(M, bw, MS_COLLECTIVE_NVLS_EFFICIENCY); lt = MS_NCCL_NVLS_LATENCY_S; break;
    default: bt = (N - 1) / N * M / bw; lt = (N - 1) * alpha; break;
    }
    o->bandwidth_term_s = bt;
    o->latency_term_s = lt;
    o->time_s = bt + lt;
    if (o->time_s > 0) {
        o->algbw_bytes_per_s = M / o->time_s;
        o->busbw_bytes_per_s = o->algbw_bytes_per_s * (allreduce ? 2 * (N - 1) / N : (N - 1) / N);
    }
    return 0;
}

/* ---- microcontroller kernel efficiency (calibration in solvers.h) ---- */
static const char *const tiny_kernel_names[MS_TINY_KERNEL_COUNT] = {"cmsis-nn", "plain-c"};

const char *ms_tiny_kernel_name(ms_tiny_kernel k)
{
    return k >= 0 && k < MS_TINY_KERNEL_COUNT ? tiny_kernel_names[k] : "?";
}

int ms_tiny_kernel_parse(const char *s, ms_tiny_kernel *out)
{
    for (int i = 0; i < MS_TINY_KERNEL_COUNT; i++)
        if (s && !strcmp(s, tiny_kernel_names[i])) { *out = (ms_tiny_kernel)i; return 0; }
    return -1;
}

double ms_tiny_kernel_efficiency(ms_tiny_kernel k)
{
    return k == MS_TINY_KERNEL_PLAIN_C ? MS_TINY_EFF_PLAIN_C : MS_TINY_EFF_CMSIS_NN;
}

/* ---- TCO with every input exposed (formulas and golden in solvers.h) ---- */
int ms_tco(const ms_tco_input *in, ms_tco_result *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (in->accelerators < 1) return fail(err, errlen, "accelerators: must be >= 1 (got %d)", in->accelerators);
    if (!pos(in->tdp_w)) return fail(err, errlen, "tdp: the hardware has no power figure; give one");
    if (!nonneg(in->unit_cost_usd)) return fail(err, errlen, "unit cost: must be >= 0 USD (got %g)", in->unit_cost_usd);
    if (!pos(in->days)) return fail(err, errlen, "days: must be > 0 (got %g)", in->days);
    if (!(isfinite(in->mfu) && in->mfu >= 0 && in->mfu <= 1)) return fail(err, errlen, "mfu: must be in [0, 1] (got %g)", in->mfu);
    if (!(isfinite(in->pue) && in->pue >= 1)) return fail(err, errlen, "pue: must be >= 1 (got %g)", in->pue);
    if (!nonneg(in->carbon_g_per_kwh) || !nonneg(in->wue_l_per_kwh) || !nonneg(in->price_usd_per_kwh))
        return fail(err, errlen, "carbon intensity, water use and price: must be >= 0");
    if (!pos(in->amortization_years)) return fail(err, errlen, "amortization years: must be > 0 (got %g)", in->amortization_years);
    if (!nonneg(in->maintenance_fraction) || !pos(in->infra_multiplier) || !nonneg(in->embodied_kg_per_device))
        return fail(err, errlen, "maintenance fraction and embodied carbon: must be >= 0; infrastructure multiplier > 0");
    if (!(isfinite(in->power_saturation) && in->power_saturation >= 0 && in->power_saturation <= 1))
        return fail(err, errlen, "power saturation: must be in (0, 1], or 0 for the default %g (got %g)",
                    MS_POWER_SATURATION, in->power_saturation);
    double n = in->accelerators, hours = 24.0 * in->days, share = in->days / 365.0;
    o->chip_power_w = in->tdp_w * ms_power_fraction(in->mfu, in->power_saturation);
    o->it_energy_kwh = o->chip_power_w * n * hours / 1000.0;
    o->total_energy_kwh = o->it_energy_kwh * in->pue;
    o->operational_co2_kg = o->total_energy_kwh * in->carbon_g_per_kwh / 1000.0;
    o->embodied_co2_kg = in->embodied_kg_per_device * n * share / in->amortization_years;
    o->co2_kg = o->operational_co2_kg + o->embodied_co2_kg;
    o->water_l = o->total_energy_kwh * in->wue_l_per_kwh;
    o->capex_total_usd = in->unit_cost_usd * n * in->infra_multiplier;
    o->capex_period_usd = o->capex_total_usd / in->amortization_years * share;
    o->maintenance_usd = o->capex_total_usd * in->maintenance_fraction * share;
    o->energy_usd = o->total_energy_kwh * in->price_usd_per_kwh;
    o->tco_usd = o->capex_period_usd + o->maintenance_usd + o->energy_usd;
    o->usd_per_accelerator_hour = o->tco_usd / (n * hours);
    return 0;
}
