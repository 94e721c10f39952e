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
    o->chunk_tokens = C;
    while (s0 < S) {
        double c = fmin(C, S - s0);
        double pairs = c * s0 + c * (c + 1) / 2;
        double flops = B * (2.0 * m->params_matmul * c + m->attn_flops_per_pair * pairs);
        /* weights streamed once; KV of the prefix read and of the chunk written (a single chunk
         * from token 0 writes S tokens of KV: ms_serve's prefill traffic) */
        double bytes = W + kv_tok * (s0 + c) * B;
        double t = fmax(flops / peak, bytes / hw->mem_bw_bytes_per_s) + hw->dispatch_s +
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
