/* solve_table.c - the table of stand-alone solvers (solvers.h): each solver's arguments with type,
 * unit, range and default, its help and examples, and the function that turns the checked
 * arguments into a result. `mlsysim solve` and the labs API's /api/solve/NAME read this one table,
 * so a solver added here is reachable from both. */
#include "mlsysim/solvers.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- argument access inside a run function (the names are the table's; a typo is a bug the
 * solver tests catch because the value then reads as NaN / "") ---- */
static double N(const ms_solver *s, const ms_solve_values *v, const char *name)
{
    int i = ms_solver_arg_index(s, name);
    return i < 0 ? NAN : v->num[i];
}

static const char *S(const ms_solver *s, const ms_solve_values *v, const char *name)
{
    int i = ms_solver_arg_index(s, name);
    return i < 0 ? "" : v->str[i];
}

/* MODEL and HW (already known to exist) and the serving workload arguments. */
static int serve_setup(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v,
                       const ms_model **m, const ms_hardware **hw, ms_serve_input *in, char *err, size_t errlen)
{
    *m = ms_registry_model(reg, S(s, v, "model"));
    *hw = ms_registry_hardware(reg, S(s, v, "hardware"));
    ms_serve_input_default(in);
    in->batch_size = (int)N(s, v, "batch-size");
    in->seq_len = (int)N(s, v, "seq-len");
    ms_precision_parse(S(s, v, "precision"), &in->precision);
    in->efficiency = N(s, v, "efficiency");
    char msg[256];
    if (ms_hw_precision_check(*hw, in->precision, msg, sizeof msg) < 0) return fail(err, errlen, "precision: %s", msg);
    return 0;
}

#define ARG_END {NULL, MS_SARG_NUM, NULL, 0, 0, 0, NULL, 0, NULL, NULL}
#define ARG_MODEL {"model", MS_SARG_MODEL, "", 0, 0, 0, NULL, 1, NULL, "registry model (mlsysim zoo models)"}
#define ARG_HW(help) {"hardware", MS_SARG_HW, "", 0, 0, 0, NULL, 1, NULL, help}
#define ARGS_SERVE                                                                                     \
    {"batch-size", MS_SARG_INT, "sequences", 1, 1e8, 1, NULL, 0, NULL, "concurrent sequences"},        \
    {"seq-len", MS_SARG_INT, "tokens", 1, 1e8, 2048, NULL, 0, NULL, "prompt length / decode context"}, \
    {"precision", MS_SARG_PRECISION, "", 0, 0, 0, "fp16", 0, NULL, "numeric format"},                \
    {"efficiency", MS_SARG_NUM, "", 1e-6, 1, MS_DEFAULT_EFFICIENCY, NULL, 0, NULL, "fraction of peak FLOP/s reached"}

/* ---------------------------------------------------------------------------------------------
 * Run functions: one per solver, in table order.
 * ------------------------------------------------------------------------------------------- */

static int run_chunked(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                       char *err, size_t errlen)
{
    const ms_model *m;
    const ms_hardware *hw;
    ms_serve_input in;
    if (serve_setup(s, reg, v, &m, &hw, &in, err, errlen)) return -1;
    ms_chunked_prefill_result r;
    if (ms_chunked_prefill(m, hw, &in, (int)N(s, v, "chunk"), &r, err, errlen)) return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "hardware", hw->name);
    ms_result_int(o, "seq_len", in.seq_len);
    ms_result_int(o, "batch_size", in.batch_size);
    ms_result_int(o, "chunks", r.chunks);
    ms_result_num(o, "chunk_tokens", r.chunk_tokens);
    ms_result_num(o, "ttft_s", r.ttft_s);
    ms_result_num(o, "unchunked_ttft_s", r.unchunked_ttft_s);
    ms_result_num(o, "decode_stall_bound_s", r.decode_stall_bound_s);
    ms_result_num(o, "first_chunk_s", r.first_chunk_s);
    ms_result_num(o, "prefill_flop", r.flops);
    return 0;
}

static int run_disagg(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    const ms_model *m;
    const ms_hardware *hw;
    ms_serve_input in;
    if (serve_setup(s, reg, v, &m, &hw, &in, err, errlen)) return -1;
    const ms_hardware *dh = ms_registry_hardware(reg, S(s, v, "decode-hw"));
    ms_disagg_result r;
    if (ms_disaggregated(m, hw, dh, &in, N(s, v, "link-gbs") * 1e9, N(s, v, "link-us") * 1e-6, &r, err, errlen))
        return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "prefill_hardware", hw->name);
    ms_result_str(o, "decode_hardware", dh->name);
    ms_result_num(o, "prefill_ttft_s", r.prefill_ttft_s);
    ms_result_num(o, "kv_bytes", r.kv_bytes);
    ms_result_num(o, "kv_transfer_s", r.kv_transfer_s);
    ms_result_num(o, "ttft_s", r.ttft_s);
    ms_result_num(o, "itl_s", r.itl_s);
    ms_result_num(o, "colocated_ttft_s", r.colocated_ttft_s);
    ms_result_bool(o, "feasible", r.feasible);
    return 0;
}

static int run_tail(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                    char *err, size_t errlen)
{
    (void)reg;
    ms_tail_result r;
    if (ms_tail_latency(N(s, v, "qps"), N(s, v, "service-ms") * 1e-3, (int)N(s, v, "servers"), N(s, v, "cv"), &r,
                        err, errlen))
        return -1;
    ms_result_num(o, "utilization", r.utilization);
    ms_result_bool(o, "stable", r.stable);
    ms_result_num(o, "p_wait", r.p_wait);
    ms_result_num(o, "kingman_factor", r.kingman_factor);
    if (r.stable) {
        ms_result_num(o, "mean_wait_s", r.mean_wait_s);
        ms_result_num(o, "p50_latency_s", r.p50_latency_s);
        ms_result_num(o, "p99_latency_s", r.p99_latency_s);
        ms_result_num(o, "p99_wait_s", r.p99_wait_s);
    } else {
        ms_result_note(o, "utilization >= 1: the queue grows without bound; add servers");
    }
    return 0;
}

static int run_checkpoint(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                          char *err, size_t errlen)
{
    (void)reg;
    ms_checkpoint_result r;
    if (ms_checkpoint_solve(N(s, v, "checkpoint-s"), N(s, v, "job-hours") * 3600, N(s, v, "recovery-s"),
                            N(s, v, "mtbf-hours") * 3600, N(s, v, "interval-s"), &r, err, errlen))
        return -1;
    ms_result_num(o, "interval_s", r.interval_s);
    ms_result_num(o, "young_daly_s", r.young_daly_s);
    ms_result_num(o, "daly_s", r.daly_s);
    ms_result_num(o, "goodput", r.goodput);
    ms_result_num(o, "wall_time_s", r.wall_time_s);
    ms_result_num(o, "overhead_s", r.overhead_s);
    ms_result_num(o, "expected_failures", r.expected_failures);
    ms_result_num(o, "checkpoints", r.checkpoints);
    ms_result_num(o, "failure_prob", r.failure_prob);
    if (r.goodput <= 0) ms_result_note(o, "goodput 0: failures come faster than checkpoints save work");
    return 0;
}

static int run_ingest(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    (void)reg;
    ms_ingest_result r;
    if (ms_ingest(N(s, v, "samples-per-s"), N(s, v, "sample-kb") * 1e3, N(s, v, "storage-gbs") * 1e9,
                  N(s, v, "network-gbs") * 1e9, N(s, v, "cpu-samples-per-s"), (int)N(s, v, "workers"), &r, err, errlen))
        return -1;
    ms_result_num(o, "demand_bytes_per_s", r.demand_bytes_per_s);
    ms_result_num(o, "supply_bytes_per_s", r.supply_bytes_per_s);
    ms_result_str(o, "bottleneck", r.bottleneck);
    ms_result_num(o, "utilization", r.utilization);
    ms_result_bool(o, "stalled", r.stalled);
    ms_result_num(o, "stall_fraction", r.stall_fraction);
    ms_result_num(o, "achieved_samples_per_s", r.achieved_samples_per_s);
    ms_result_num(o, "headroom_bytes_per_s", r.headroom_bytes_per_s);
    return 0;
}

static int run_topology(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                        char *err, size_t errlen)
{
    (void)reg;
    ms_topology t;
    ms_topology_parse(S(s, v, "kind"), &t);
    ms_topology_result r;
    if (ms_topology_eval(t, (int)N(s, v, "nodes"), N(s, v, "link-gbs") * 1e9, N(s, v, "oversub"), &r, err, errlen))
        return -1;
    ms_result_str(o, "topology", ms_topology_name(t));
    ms_result_int(o, "nodes", (long long)N(s, v, "nodes"));
    ms_result_num(o, "bisection_bytes_per_s", r.bisection_bytes_per_s);
    ms_result_num(o, "per_node_bisection_bytes_per_s", r.per_node_bisection_bytes_per_s);
    ms_result_num(o, "avg_hops", r.avg_hops);
    ms_result_num(o, "diameter_hops", r.diameter_hops);
    return 0;
}

static int run_moe(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                   char *err, size_t errlen)
{
    (void)reg;
    ms_moe_a2a_result r;
    if (ms_moe_alltoall(N(s, v, "tokens"), (int)N(s, v, "hidden"), N(s, v, "bytes"), (int)N(s, v, "top-k"),
                        (int)N(s, v, "experts"), N(s, v, "imbalance"), (int)N(s, v, "ep"), N(s, v, "link-gbs") * 1e9,
                        N(s, v, "link-us") * 1e-6, &r, err, errlen))
        return -1;
    ms_result_num(o, "effective_experts_per_token", r.effective_experts_per_token);
    ms_result_num(o, "buffer_bytes", r.buffer_bytes);
    ms_result_num(o, "sent_bytes", r.sent_bytes);
    ms_result_num(o, "alltoall_s", r.alltoall_s);
    ms_result_num(o, "layer_forward_s", r.layer_forward_s);
    ms_result_num(o, "layer_train_s", r.layer_train_s);
    return 0;
}

static int run_bubble(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    (void)reg, (void)err, (void)errlen;
    ms_result_num(o, "bubble_schedule_fraction",
                  ms_bubble_schedule_fraction((int)N(s, v, "pp"), (int)N(s, v, "microbatches"), (int)N(s, v, "interleave")));
    return 0;
}

static int run_amdahl(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    (void)reg, (void)err, (void)errlen;
    double p = N(s, v, "parallel-fraction"), k = N(s, v, "speedup");
    ms_result_num(o, "speedup", ms_amdahl_speedup(p, k));
    if (p < 1) ms_result_num(o, "max_speedup", 1.0 / (1.0 - p));
    else ms_result_note(o, "parallel fraction 1: the speed-up grows without bound with s");
    return 0;
}

static int run_kernel(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    double peak = N(s, v, "peak-tflops") * 1e12;
    const char *hwname = S(s, v, "hardware");
    ms_precision p = MS_FP16;
    ms_precision_parse(S(s, v, "precision"), &p);
    if (hwname[0]) peak = ms_hw_peak(ms_registry_hardware(reg, hwname), p);
    ms_kernel_kind k;
    ms_kernel_kind_parse(S(s, v, "kernel"), &k);
    ms_kernel_eff_result r;
    if (ms_kernel_efficiency(k, (int)N(s, v, "flash"), N(s, v, "efficiency"), peak, &r, err, errlen)) return -1;
    ms_result_str(o, "kernel", ms_kernel_kind_name(k));
    if (hwname[0]) ms_result_str(o, "hardware", hwname);
    ms_result_num(o, "mfu", r.mfu);
    if (peak > 0) ms_result_num(o, "achievable_flops_per_s", r.achievable_flops);
    ms_result_num(o, "occupancy_loss", r.occupancy_loss);
    ms_result_num(o, "memory_stall", r.memory_stall);
    return 0;
}

static int run_netroof(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                       char *err, size_t errlen)
{
    const ms_model *m = ms_registry_model(reg, S(s, v, "model"));
    const ms_hardware *hw = ms_registry_hardware(reg, S(s, v, "hardware"));
    ms_precision p;
    ms_precision_parse(S(s, v, "precision"), &p);
    ms_net_roofline_result r;
    if (ms_network_roofline(m->params, ms_precision_bytes(p), N(s, v, "samples"), (int)N(s, v, "accelerators"),
                            ms_hw_peak(hw, p), N(s, v, "efficiency"), N(s, v, "fabric-gbs") * 1e9, N(s, v, "oversub"),
                            &r, err, errlen))
        return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "hardware", hw->name);
    ms_result_num(o, "total_flops_per_s", r.total_flops_per_s);
    ms_result_num(o, "bisection_bytes_per_s", r.bisection_bytes_per_s);
    ms_result_num(o, "step_flop", r.step_flops);
    ms_result_num(o, "sync_bytes", r.sync_bytes);
    ms_result_num(o, "intensity_flop_per_byte", r.intensity_flop_per_byte);
    ms_result_num(o, "ridge_flop_per_byte", r.ridge_flop_per_byte);
    ms_result_num(o, "t_compute_s", r.t_compute_s);
    ms_result_num(o, "t_network_s", r.t_network_s);
    ms_result_num(o, "step_s", r.step_s);
    ms_result_str(o, "bottleneck", r.network_bound ? "network" : "compute");
    return 0;
}

static int run_reasoning(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                         char *err, size_t errlen)
{
    const ms_model *m;
    const ms_hardware *hw;
    ms_serve_input in;
    if (serve_setup(s, reg, v, &m, &hw, &in, err, errlen)) return -1;
    ms_reasoning_result r;
    if (ms_reasoning(m, hw, &in, (int)N(s, v, "steps"), (int)N(s, v, "tokens-per-step"), &r, err, errlen)) return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "hardware", hw->name);
    ms_result_num(o, "reasoning_tokens", r.tokens);
    ms_result_num(o, "ttft_s", r.ttft_s);
    ms_result_num(o, "itl_s", r.itl_s);
    ms_result_num(o, "step_s", r.step_s);
    ms_result_num(o, "total_s", r.total_s);
    ms_result_num(o, "prefill_mfu", r.prefill_mfu);
    ms_result_num(o, "decode_mfu", r.decode_mfu);
    ms_result_num(o, "energy_j", r.energy_j);
    return 0;
}

static int run_stream(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                      char *err, size_t errlen)
{
    const ms_model *m;
    const ms_hardware *hw;
    ms_serve_input in;
    if (serve_setup(s, reg, v, &m, &hw, &in, err, errlen)) return -1;
    int set = N(s, v, "inject-gbs") > 0;
    double inj = set ? N(s, v, "inject-gbs") * 1e9
                 : hw->link_bw_bytes_per_s > 0 ? hw->link_bw_bytes_per_s : 100e9;
    ms_weight_stream_result r;
    if (ms_weight_streaming(m, hw, &in, inj, &r, err, errlen)) return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "hardware", hw->name);
    ms_result_num(o, "inject_bytes_per_s", inj);
    ms_result_num(o, "layer_weight_bytes", r.layer_weight_bytes);
    ms_result_num(o, "inject_s", r.inject_s);
    ms_result_num(o, "decode_compute_s", r.decode_compute_s);
    ms_result_num(o, "prefill_compute_s", r.prefill_compute_s);
    ms_result_num(o, "token_s", r.token_s);
    ms_result_num(o, "prefill_s", r.prefill_s);
    ms_result_num(o, "tokens_per_s", r.tokens_per_s);
    ms_result_num(o, "kv_bytes", r.kv_bytes);
    ms_result_num(o, "sram_bytes", r.sram_bytes);
    ms_result_bool(o, "kv_fits", r.kv_fits);
    ms_result_num(o, "optimal_batch", r.optimal_batch);
    ms_result_str(o, "bottleneck", r.injection_bound ? "injection" : "compute");
    if (!set)
        ms_result_note(o, "injection bandwidth: the hardware's link (%g GB/s); set --inject-gbs to change it", inj / 1e9);
    if (!r.kv_fits) ms_result_note(o, "the KV cache (+10 %%) does not fit the on-chip memory: lower batch or context");
    return 0;
}

static int run_dpsgd(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                     char *err, size_t errlen)
{
    (void)reg;
    ms_dpsgd_result r;
    if (ms_dpsgd(N(s, v, "base-hours") * 3600, N(s, v, "epsilon"), N(s, v, "min-group"), &r, err, errlen)) return -1;
    ms_result_num(o, "slowdown", r.slowdown);
    ms_result_num(o, "time_s", r.time_s);
    ms_result_num(o, "extra_time_s", r.extra_time_s);
    ms_result_num(o, "additional_data_factor", r.additional_data_factor);
    return 0;
}

static int run_jobqueue(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                        char *err, size_t errlen)
{
    (void)reg;
    ms_job_queue_result r;
    if (ms_job_queue(N(s, v, "jobs-per-day"), N(s, v, "job-days"), &r, err, errlen)) return -1;
    ms_result_num(o, "utilization", r.utilization);
    ms_result_bool(o, "stable", r.stable);
    if (r.stable) {
        ms_result_num(o, "mean_wait_days", r.mean_wait_days);
        ms_result_num(o, "queue_length", r.queue_length);
        ms_result_num(o, "response_days", r.response_days);
    } else {
        ms_result_note(o, "utilization >= 1: jobs arrive faster than the cluster finishes them; the queue grows without bound");
    }
    return 0;
}

static int run_lora(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                    char *err, size_t errlen)
{
    const ms_model *m = ms_registry_model(reg, S(s, v, "model"));
    const ms_hardware *hw = ms_registry_hardware(reg, S(s, v, "hardware"));
    ms_precision p;
    ms_precision_parse(S(s, v, "precision"), &p);
    char msg[256];
    if (ms_hw_precision_check(hw, p, msg, sizeof msg) < 0) return fail(err, errlen, "precision: %s", msg);
    ms_lora_result r;
    double tokens = N(s, v, "batch-size") * N(s, v, "seq-len");
    if (ms_lora(m, hw, (int)N(s, v, "rank"), p, N(s, v, "efficiency"), tokens, &r, err, errlen)) return -1;
    ms_result_str(o, "model", m->name);
    ms_result_str(o, "hardware", hw->name);
    ms_result_num(o, "trainable_params", r.trainable_params);
    ms_result_num(o, "trainable_fraction", r.trainable_fraction);
    ms_result_num(o, "full_state_bytes", r.full_state_bytes);
    ms_result_num(o, "lora_state_bytes", r.lora_state_bytes);
    ms_result_bool(o, "full_fits", r.full_fits);
    ms_result_bool(o, "lora_fits", r.lora_fits);
    ms_result_num(o, "full_flop_per_token", r.full_flops_per_token);
    ms_result_num(o, "lora_flop_per_token", r.lora_flops_per_token);
    ms_result_num(o, "full_step_s", r.full_step_s);
    ms_result_num(o, "lora_step_s", r.lora_step_s);
    ms_result_num(o, "full_grad_sync_bytes", r.full_grad_sync_bytes);
    ms_result_num(o, "lora_grad_sync_bytes", r.lora_grad_sync_bytes);
    ms_result_note(o, "model state only (weights, gradients, Adam); activations are the same for both and left out");
    return 0;
}

static int run_factors(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                       char *err, size_t errlen)
{
    (void)reg;
    ms_step_factors_result r;
    if (ms_step_factors(N(s, v, "compute-ms") * 1e-3, N(s, v, "dp-comm-ms") * 1e-3, N(s, v, "other-comm-ms") * 1e-3,
                        N(s, v, "bubble-ms") * 1e-3, N(s, v, "congestion"), N(s, v, "straggler"),
                        (int)N(s, v, "grad-accum"), N(s, v, "overlap"), &r, err, errlen))
        return -1;
    ms_result_num(o, "dp_comm_s", r.dp_comm_s);
    ms_result_num(o, "other_comm_s", r.other_comm_s);
    ms_result_num(o, "straggler_s", r.straggler_s);
    ms_result_num(o, "step_s", r.step_s);
    ms_result_num(o, "scaling_efficiency", r.scaling_efficiency);
    return 0;
}

static int run_collective(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                          char *err, size_t errlen)
{
    (void)reg;
    ms_collective_kind k;
    ms_collective_parse(S(s, v, "kind"), &k);
    int g = (int)N(s, v, "ranks-per-node");
    double inter = N(s, v, "inter-gbs") > 0 ? N(s, v, "inter-gbs") * 1e9 : N(s, v, "link-gbs") * 1e9;
    ms_collective_result r;
    if (ms_collective(k, N(s, v, "mb") * 1e6, (int)N(s, v, "ranks"), N(s, v, "link-gbs") * 1e9,
                      N(s, v, "link-us") * 1e-6, g, inter, N(s, v, "inter-us") * 1e-6, &r, err, errlen))
        return -1;
    ms_result_str(o, "collective", ms_collective_name(k));
    ms_result_int(o, "ranks", (long long)N(s, v, "ranks"));
    ms_result_num(o, "bytes", N(s, v, "mb") * 1e6);
    ms_result_num(o, "time_s", r.time_s);
    ms_result_num(o, "bandwidth_term_s", r.bandwidth_term_s);
    ms_result_num(o, "latency_term_s", r.latency_term_s);
    ms_result_num(o, "algbw_bytes_per_s", r.algbw_bytes_per_s);
    ms_result_num(o, "busbw_bytes_per_s", r.busbw_bytes_per_s);
    return 0;
}

/* Named clusters (accelerator and count) and cooling profiles (PUE), each with its source. */
static const struct { const char *name, *hw; int count; } clusters[] = {
    {"research_256", "H100", 256},      /* upstream MLSys·im Research_256: 32 DGX H100 */
    {"frontier_16k", "H100", 16384},    /* Llama 3 405B's pre-training cluster (Dubey et al. 2024) */
    {"campus_8", "A100", 8},            /* one DGX A100: a university lab's node */
};
static const struct { const char *name; double pue; } cooling[] = {
    {"enterprise", 1.58},  /* Uptime Institute Global Data Center Survey 2023: average PUE 1.58 */
    {"hyperscale", 1.10},  /* Google Environmental Report 2023: fleet trailing-twelve-month PUE 1.10 */
    {"liquid", 1.06},      /* upstream MLSys·im's liquid-cooled / hydro convention (grids.yaml) */
};

static int run_tco(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *o,
                   char *err, size_t errlen)
{
    const char *hwname = S(s, v, "hardware");
    int count = (int)N(s, v, "accelerators");
    const char *cl = S(s, v, "cluster");
    if (strcmp(cl, "none")) {
        for (size_t i = 0; i < sizeof clusters / sizeof clusters[0]; i++)
            if (!strcmp(cl, clusters[i].name)) hwname = clusters[i].hw, count = clusters[i].count;
    } else if (!hwname[0] || count < 1) {
        return fail(err, errlen, "give --hardware and --accelerators, or a --cluster preset");
    }
    const ms_hardware *hw = ms_registry_hardware(reg, hwname);
    const ms_grid *g = ms_registry_grid(reg, S(s, v, "grid"));
    ms_tco_input in;
    memset(&in, 0, sizeof in);
    in.accelerators = count;
    in.tdp_w = N(s, v, "tdp-w") > 0 ? N(s, v, "tdp-w") : hw->tdp_w;
    in.unit_cost_usd = N(s, v, "unit-cost") > 0 ? N(s, v, "unit-cost") : hw->price_usd;
    in.days = N(s, v, "days");
    in.mfu = N(s, v, "mfu");
    in.pue = g->pue;
    for (size_t i = 0; i < sizeof cooling / sizeof cooling[0]; i++)
        if (!strcmp(S(s, v, "cooling"), cooling[i].name)) in.pue = cooling[i].pue;
    if (N(s, v, "pue") > 0) in.pue = N(s, v, "pue");
    in.carbon_g_per_kwh = g->carbon_g_per_kwh;
    in.wue_l_per_kwh = g->wue_l_per_kwh;
    in.price_usd_per_kwh = N(s, v, "price-kwh") > 0 ? N(s, v, "price-kwh") : g->price_usd_per_kwh;
    in.amortization_years = N(s, v, "years");
    in.maintenance_fraction = N(s, v, "maintenance");
    in.infra_multiplier = N(s, v, "infra");
    in.embodied_kg_per_device = N(s, v, "embodied-kg");
    in.power_saturation = N(s, v, "power-saturation");
    ms_tco_result r;
    if (ms_tco(&in, &r, err, errlen)) return -1;
    ms_result_str(o, "hardware", hw->name);
    ms_result_int(o, "accelerators", count);
    ms_result_str(o, "grid", g->name);
    ms_result_num(o, "pue", in.pue);
    ms_result_num(o, "price_usd_per_kwh", in.price_usd_per_kwh);
    ms_result_num(o, "unit_cost_usd", in.unit_cost_usd);
    ms_result_num(o, "power_saturation", in.power_saturation);
    ms_result_num(o, "chip_power_w", r.chip_power_w);
    ms_result_num(o, "it_energy_kwh", r.it_energy_kwh);
    ms_result_num(o, "energy_kwh", r.total_energy_kwh);
    ms_result_num(o, "operational_carbon_kg", r.operational_co2_kg);
    ms_result_num(o, "embodied_carbon_kg", r.embodied_co2_kg);
    ms_result_num(o, "carbon_kg", r.co2_kg);
    ms_result_num(o, "water_l", r.water_l);
    ms_result_num(o, "capex_total_usd", r.capex_total_usd);
    ms_result_num(o, "capex_period_usd", r.capex_period_usd);
    ms_result_num(o, "maintenance_usd", r.maintenance_usd);
    ms_result_num(o, "energy_usd", r.energy_usd);
    ms_result_num(o, "tco_usd", r.tco_usd);
    ms_result_num(o, "usd_per_accelerator_hour", r.usd_per_accelerator_hour);
    if (in.unit_cost_usd <= 0) ms_result_note(o, "%s has no unit price in the registry: CapEx is 0; set --unit-cost", hw->name);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------------- */

static const ms_solver solvers[] = {
    {"chunked-prefill", "Chunked prefill", "prefill in chunks of C tokens: TTFT and the decode-stall bound",
     "chunk time = max(FLOPs/(peak*eta), bytes/BW) + dispatch; stall bound = longest chunk", 2,
     {ARG_MODEL, ARG_HW("accelerator"),
      {"chunk", MS_SARG_INT, "tokens", 1, 1e7, 0, NULL, 1, NULL, "tokens per prefill chunk"}, ARGS_SERVE, ARG_END},
     {"solve chunked-prefill Llama3_8B H100 --chunk 512", NULL}, run_chunked},
    {"disagg", "Disaggregated prefill/decode", "prefill on one accelerator, decode on another, KV cache over a link",
     "TTFT = TTFT_prefill + alpha + KV/bw; ITL on the decode hardware", 2,
     {ARG_MODEL, ARG_HW("prefill accelerator"),
      {"decode-hw", MS_SARG_HW, "", 0, 0, 0, NULL, 1, NULL, "decode accelerator"},
      {"link-gbs", MS_SARG_NUM, "GB/s", 1e-6, 1e9, 0, NULL, 1, NULL, "KV transfer link bandwidth"},
      {"link-us", MS_SARG_NUM, "us", 0, 1e9, 0, NULL, 0, NULL, "KV transfer link latency"}, ARGS_SERVE, ARG_END},
     {"solve disagg Llama3_8B H100 --decode-hw H200 --link-gbs 50", NULL}, run_disagg},
    {"tail", "Tail latency (M/G/c: Erlang C x Kingman)", "M/G/c waits: Erlang C scaled by Kingman's (1 + cv^2)/2",
     "W_q(q) = ln(P_wait/(1-q))/(c*mu - lambda) * (1+cv^2)/2", 0,
     {{"qps", MS_SARG_NUM, "requests/s", 1e-12, 1e12, 0, NULL, 1, NULL, "arrival rate"},
      {"service-ms", MS_SARG_NUM, "ms", 1e-9, 1e12, 0, NULL, 1, NULL, "mean service time"},
      {"servers", MS_SARG_INT, "", 1, 1e6, 1, NULL, 0, NULL, "replicas c"},
      {"cv", MS_SARG_NUM, "", 0, 100, 1, NULL, 0, NULL, "service-time coefficient of variation (0 deterministic, 1 exponential)"},
      ARG_END},
     {"-o json solve tail --qps 5 --service-ms 100 --cv 0", NULL}, run_tail},
    {"checkpoint", "Checkpointing (Young-Daly)", "Young-Daly interval, goodput, wall time, expected failures",
     "goodput = 1 - delta/tau - (tau/2 + R)/M; tau* = sqrt(2*delta*M)", 0,
     {{"checkpoint-s", MS_SARG_NUM, "s", 1e-9, 1e12, 0, NULL, 1, NULL, "time to write one checkpoint (delta)"},
      {"job-hours", MS_SARG_NUM, "h", 1e-9, 1e9, 0, NULL, 1, NULL, "useful work of the job"},
      {"mtbf-hours", MS_SARG_NUM, "h", 1e-9, 1e12, 0, NULL, 1, NULL, "cluster mean time between failures"},
      {"recovery-s", MS_SARG_NUM, "s", 0, 1e12, 300, NULL, 0, NULL, "failure to running again"},
      {"interval-s", MS_SARG_NUM, "s", 0, 1e12, 0, NULL, 0, NULL, "checkpoint interval (0 = Young's optimum)"},
      ARG_END},
     {"solve checkpoint --checkpoint-s 60 --job-hours 720 --mtbf-hours 5 --recovery-s 300", NULL}, run_checkpoint},
    {"ingest", "Data ingestion", "data-path demand vs the slowest supply stage; stall fraction",
     "rho = demand/min(storage, network, cpu*workers*bytes); stall = 1 - 1/rho", 0,
     {{"samples-per-s", MS_SARG_NUM, "samples/s", 1e-12, 1e15, 0, NULL, 1, NULL, "what the accelerators consume"},
      {"sample-kb", MS_SARG_NUM, "kB", 1e-9, 1e12, 0, NULL, 1, NULL, "bytes per sample"},
      {"storage-gbs", MS_SARG_NUM, "GB/s", 0, 1e9, 0, NULL, 0, NULL, "storage read bandwidth (0 = not a limit)"},
      {"network-gbs", MS_SARG_NUM, "GB/s", 0, 1e9, 0, NULL, 0, NULL, "network bandwidth (0 = not a limit)"},
      {"cpu-samples-per-s", MS_SARG_NUM, "samples/s", 0, 1e15, 0, NULL, 0, NULL, "preprocessing rate per worker (0 = not a limit)"},
      {"workers", MS_SARG_INT, "", 1, 1e6, 1, NULL, 0, NULL, "preprocessing workers"}, ARG_END},
     {"solve ingest --samples-per-s 10000 --sample-kb 110 --storage-gbs 2 --network-gbs 1.25 --cpu-samples-per-s 1200 --workers 8",
      NULL},
     run_ingest},
    {"topology", "Network topology", "bisection bandwidth and hops of fat-tree, dragonfly, 3D torus, ring",
     "fat-tree N/2*bw/o; dragonfly 0.85*N/2*bw/o; torus 2k^2*bw; ring 2*bw", 0,
     {{"kind", MS_SARG_CHOICE, "", 0, 0, 0, NULL, 1, "fat-tree|dragonfly|torus3d|ring", "topology"},
      {"nodes", MS_SARG_INT, "", 2, 1e9, 0, NULL, 1, NULL, "endpoints"},
      {"link-gbs", MS_SARG_NUM, "GB/s", 1e-6, 1e9, 0, NULL, 1, NULL, "link bandwidth per direction"},
      {"oversub", MS_SARG_NUM, "", 1, 1e6, 1, NULL, 0, NULL, "switch oversubscription"}, ARG_END},
     {"solve topology --kind torus3d --nodes 64 --link-gbs 50", NULL}, run_topology},
    {"moe", "MoE all-to-all", "expert-parallel all-to-all payload and time with routing imbalance",
     "M = T*h*b*min(E, k*f); one all-to-all (EP-1)/EP*M/bw + (EP-1)*alpha", 0,
     {{"tokens", MS_SARG_NUM, "", 1, 1e15, 0, NULL, 1, NULL, "tokens per EP rank (micro-batch x sequence)"},
      {"hidden", MS_SARG_INT, "", 1, 1e7, 0, NULL, 1, NULL, "hidden size"},
      {"top-k", MS_SARG_INT, "", 1, 1e6, 0, NULL, 1, NULL, "experts per token"},
      {"experts", MS_SARG_INT, "", 2, 1e6, 0, NULL, 1, NULL, "experts"},
      {"ep", MS_SARG_INT, "", 1, 1e6, 0, NULL, 1, NULL, "expert-parallel ranks"},
      {"link-gbs", MS_SARG_NUM, "GB/s", 1e-6, 1e9, 0, NULL, 1, NULL, "link bandwidth per direction"},
      {"imbalance", MS_SARG_NUM, "", 1, 1e6, 1, NULL, 0, NULL, "busiest expert's load over the fair share"},
      {"bytes", MS_SARG_NUM, "B", 0.125, 8, 2, NULL, 0, NULL, "bytes per element"},
      {"link-us", MS_SARG_NUM, "us", 0, 1e9, 0, NULL, 0, NULL, "link latency"}, ARG_END},
     {"solve moe --tokens 4096 --hidden 4096 --top-k 2 --experts 8 --ep 8 --link-gbs 50 --imbalance 1.25", NULL}, run_moe},
    {"bubble", "Pipeline schedule bubble", "pipeline-schedule bubble of 1F1B / interleaved schedules",
     "(P-1)/(V*M + P-1)", 0,
     {{"pp", MS_SARG_INT, "", 1, 1e6, 0, NULL, 1, NULL, "pipeline stages P"},
      {"microbatches", MS_SARG_INT, "", 1, 1e9, 0, NULL, 1, NULL, "micro-batches M"},
      {"interleave", MS_SARG_INT, "", 1, 1e6, 1, NULL, 0, NULL, "model chunks per stage V"}, ARG_END},
     {"solve bubble --pp 4 --microbatches 8 --interleave 4", NULL}, run_bubble},
    {"amdahl", "Amdahl's law", "speed-up when a fraction p of the work runs s times faster",
     "1 / ((1-p) + p/s); limit 1/(1-p)", 0,
     {{"parallel-fraction", MS_SARG_NUM, "", 0, 1, 0, NULL, 1, NULL, "fraction p that is sped up"},
      {"speedup", MS_SARG_NUM, "", 1e-9, 1e12, 0, NULL, 1, NULL, "speed-up s of that fraction (e.g. processors)"}, ARG_END},
     {"solve amdahl --parallel-fraction 0.95 --speedup 64", NULL}, run_amdahl},
    {"kernel-efficiency", "Per-kernel-type efficiency", "fraction of peak an attention / FFN / conv kernel reaches",
     "scale = eta/0.5; flash attention min(0.75*scale, 0.85), attention 0.30*scale, ffn min(0.5*scale, 0.6), conv min(0.4*scale, 0.55)",
     0,
     {{"kernel", MS_SARG_CHOICE, "", 0, 0, 0, NULL, 1, "attention|ffn|conv", "kernel class"},
      {"flash", MS_SARG_INT, "", 0, 1, 0, NULL, 0, NULL, "1: FlashAttention (attention only)"},
      {"efficiency", MS_SARG_NUM, "", 1e-6, 1, MS_DEFAULT_EFFICIENCY, NULL, 0, NULL, "the workload's eta"},
      {"hardware", MS_SARG_HW, "", 0, 0, 0, NULL, 0, NULL, "accelerator whose peak to scale (optional)"},
      {"precision", MS_SARG_PRECISION, "", 0, 0, 0, "fp16", 0, NULL, "format of that peak"},
      {"peak-tflops", MS_SARG_NUM, "TFLOP/s", 0, 1e9, 0, NULL, 0, NULL, "peak to scale when no hardware is named"}, ARG_END},
     {"solve kernel-efficiency --kernel attention --flash 1 --hardware H100", "solve kernel-efficiency --kernel conv --efficiency 0.4", NULL},
     run_kernel},
    {"network-roofline", "Network roofline", "is a data-parallel step bound by the fleet's FLOP/s or by its fabric?",
     "intensity = 6*P*samples / (2*P*b); ridge = N*peak / (bw/o); step = max(compute, network)", 2,
     {ARG_MODEL, ARG_HW("accelerator of the fleet"),
      {"accelerators", MS_SARG_INT, "", 1, 1e8, 0, NULL, 1, NULL, "accelerators N"},
      {"fabric-gbs", MS_SARG_NUM, "GB/s", 1e-6, 1e12, 0, NULL, 1, NULL, "fabric (bisection) bandwidth before oversubscription"},
      {"oversub", MS_SARG_NUM, "", 1, 1e6, 1, NULL, 0, NULL, "oversubscription"},
      {"samples", MS_SARG_NUM, "", 1e-9, 1e12, 1, NULL, 0, NULL, "samples trained per gradient synchronisation"},
      {"precision", MS_SARG_PRECISION, "", 0, 0, 0, "fp16", 0, NULL, "numeric format"},
      {"efficiency", MS_SARG_NUM, "", 1e-6, 1, MS_DEFAULT_EFFICIENCY, NULL, 0, NULL, "fraction of peak FLOP/s reached"}, ARG_END},
     {"solve network-roofline Llama3_8B H100 --accelerators 256 --fabric-gbs 400 --samples 1024", NULL}, run_netroof},
    {"reasoning", "Reasoning-time scaling", "test-time compute: K reasoning steps of t tokens after one prefill",
     "T = TTFT + K * t * ITL; E = TDP*(f(MFU_prefill)*TTFT + f(MFU_decode)*K*t*ITL), f(u) = 0.3 + 0.7*min(1, u/0.5)", 2,
     {ARG_MODEL, ARG_HW("accelerator"),
      {"steps", MS_SARG_INT, "", 1, 1e7, 8, NULL, 0, NULL, "reasoning steps K"},
      {"tokens-per-step", MS_SARG_INT, "tokens", 1, 1e7, 50, NULL, 0, NULL, "tokens per step t"}, ARGS_SERVE, ARG_END},
     {"solve reasoning Llama3_8B H100 --steps 32", "solve reasoning Llama3_70B H100 --steps 8 --tokens-per-step 200", NULL},
     run_reasoning},
    {"weight-streaming", "Wafer-scale weight streaming", "weights stream in layer by layer; KV cache in on-wafer SRAM",
     "T_layer = max(W_l/BW_inject, 2*(P/L)*B/(peak*eta)); B* = T_inject*peak*eta/(2P/L)", 2,
     {ARG_MODEL, ARG_HW("wafer-scale (or any) accelerator"),
      {"inject-gbs", MS_SARG_NUM, "GB/s", 0, 1e12, 0, NULL, 0, NULL, "weight injection bandwidth (0 = the hardware's link, else 100 GB/s)"},
      ARGS_SERVE, ARG_END},
     {"solve weight-streaming Llama3_70B Cerebras_CS3 --inject-gbs 1200 --batch-size 64", NULL}, run_stream},
    {"dp-sgd", "DP-SGD cost", "differentially private training: slowdown for a privacy budget, data for the smallest group",
     "slowdown = 1 + 2/max(eps, 0.01); extra data = 1/p_min", 0,
     {{"base-hours", MS_SARG_NUM, "h", 1e-9, 1e9, 0, NULL, 1, NULL, "training time without DP"},
      {"epsilon", MS_SARG_NUM, "", 1e-9, 1e9, 0, NULL, 1, NULL, "privacy budget"},
      {"min-group", MS_SARG_NUM, "", 1e-9, 1, 0.01, NULL, 0, NULL, "share of the smallest subgroup (upstream's default 1 %)"}, ARG_END},
     {"solve dp-sgd --base-hours 10 --epsilon 1", "solve dp-sgd --base-hours 10 --epsilon 8 --min-group 0.02", NULL}, run_dpsgd},
    {"job-queue", "Cluster job queue (M/D/1)", "wait for a shared cluster: Poisson arrivals, fixed job length",
     "rho = lambda*D; W_q = rho/(2*mu*(1-rho)); L_q = rho^2/(2*(1-rho))", 0,
     {{"jobs-per-day", MS_SARG_NUM, "1/day", 1e-12, 1e9, 0, NULL, 1, NULL, "arrival rate lambda"},
      {"job-days", MS_SARG_NUM, "days", 1e-12, 1e9, 0, NULL, 1, NULL, "length of each job D"}, ARG_END},
     {"solve job-queue --jobs-per-day 0.5 --job-days 1.5", NULL}, run_jobqueue},
    {"lora", "LoRA fine-tuning", "memory and step time of rank-r LoRA against full fine-tuning",
     "P_t = r*sum(d_in + d_out) over Q,K,V,O; state full P(2b+12), LoRA (P+P_t)b + P_t(b+12); FLOP/token 6P vs 4P + 6P_t", 2,
     {ARG_MODEL, ARG_HW("accelerator"),
      {"rank", MS_SARG_INT, "", 1, 1e6, 16, NULL, 0, NULL, "adapter rank r"},
      {"batch-size", MS_SARG_INT, "sequences", 1, 1e8, 1, NULL, 0, NULL, "sequences per step"},
      {"seq-len", MS_SARG_INT, "tokens", 1, 1e8, 2048, NULL, 0, NULL, "tokens per sequence"},
      {"precision", MS_SARG_PRECISION, "", 0, 0, 0, "bf16", 0, NULL, "weight / gradient format"},
      {"efficiency", MS_SARG_NUM, "", 1e-6, 1, MS_DEFAULT_EFFICIENCY, NULL, 0, NULL, "fraction of peak FLOP/s reached"}, ARG_END},
     {"solve lora Llama3_8B H100 --rank 16 --batch-size 8", NULL}, run_lora},
    {"step-factors", "Congestion, stragglers, gradient accumulation",
     "a data-parallel step with network congestion, a straggler and gradient accumulation",
     "T = (T_c + k_c*T_dp*(1-overlap)/G + k_c*T_o + T_b) * k_s; efficiency = T_c/T", 0,
     {{"compute-ms", MS_SARG_NUM, "ms", 1e-12, 1e12, 0, NULL, 1, NULL, "compute per micro-batch"},
      {"dp-comm-ms", MS_SARG_NUM, "ms", 0, 1e12, 0, NULL, 0, NULL, "gradient all-reduce"},
      {"other-comm-ms", MS_SARG_NUM, "ms", 0, 1e12, 0, NULL, 0, NULL, "TP / EP communication per micro-batch"},
      {"bubble-ms", MS_SARG_NUM, "ms", 0, 1e12, 0, NULL, 0, NULL, "pipeline bubble per micro-batch"},
      {"congestion", MS_SARG_NUM, "", 1, 1e6, 1, NULL, 0, NULL, "communication slowdown k_c"},
      {"straggler", MS_SARG_NUM, "", 1, 1e6, 1, NULL, 0, NULL, "slowest rank over the mean k_s"},
      {"grad-accum", MS_SARG_INT, "", 1, 1e6, 1, NULL, 0, NULL, "micro-batches per all-reduce G"},
      {"overlap", MS_SARG_NUM, "", 0, 1, 0, NULL, 0, NULL, "fraction of the all-reduce hidden behind compute"}, ARG_END},
     {"solve step-factors --compute-ms 100 --dp-comm-ms 40 --other-comm-ms 10 --congestion 1.5 --grad-accum 4 --straggler 1.1", NULL},
     run_factors},
    {"collective", "Collective timing", "alpha-beta time of ring, tree, double binary tree, hierarchical, NVLink SHARP, all-to-all",
     "ring 2(N-1)/N*M/bw + 2(N-1)*alpha; tree 2*ceil(log2 N)*(M/bw + alpha); nvls M/(0.74*bw) + 25 us; a2a (N-1)/N*M/bw + (N-1)*alpha", 0,
     {{"kind", MS_SARG_CHOICE, "", 0, 0, 0, NULL, 1, "ring|tree|dbtree|hierarchical|nvls|all-to-all|reduce-scatter|all-gather",
       "algorithm"},
      {"mb", MS_SARG_NUM, "MB", 0, 1e12, 0, NULL, 1, NULL, "buffer per rank (10^6 bytes)"},
      {"ranks", MS_SARG_INT, "", 1, 1e8, 0, NULL, 1, NULL, "ranks N"},
      {"link-gbs", MS_SARG_NUM, "GB/s", 1e-6, 1e9, 0, NULL, 1, NULL, "(intra-node) link bandwidth per direction"},
      {"link-us", MS_SARG_NUM, "us", 0, 1e9, 0, NULL, 0, NULL, "(intra-node) latency alpha"},
      {"ranks-per-node", MS_SARG_INT, "", 1, 1e6, 8, NULL, 0, NULL, "hierarchical: ranks per node g"},
      {"inter-gbs", MS_SARG_NUM, "GB/s", 0, 1e9, 0, NULL, 0, NULL, "hierarchical: per-rank inter-node bandwidth (0 = link-gbs)"},
      {"inter-us", MS_SARG_NUM, "us", 0, 1e9, 5, NULL, 0, NULL, "hierarchical: inter-node latency"}, ARG_END},
     {"solve collective --kind ring --mb 1000 --ranks 8 --link-gbs 450 --link-us 0.5",
      "solve collective --kind hierarchical --mb 1000 --ranks 64 --ranks-per-node 8 --link-gbs 450 --inter-gbs 50",
      "solve collective --kind nvls --mb 1000 --ranks 8 --link-gbs 450", NULL},
     run_collective},
    {"tco", "Economics and sustainability (TCO)",
     "energy, carbon, water and cost of a cluster, every input overridable",
     "P = TDP*(0.3 + 0.7*min(1, MFU/s)); E = P*N*h*PUE; CO2 = E*CI; TCO = CapEx/years*d/365 + maintenance + E*price", 0,
     {{"hardware", MS_SARG_HW, "", 0, 0, 0, NULL, 0, NULL, "accelerator (TDP and unit price from the registry)"},
      {"accelerators", MS_SARG_INT, "", 0, 1e8, 0, NULL, 0, NULL, "accelerators N"},
      {"cluster", MS_SARG_CHOICE, "", 0, 0, 0, "none", 0, "none|research_256|frontier_16k|campus_8",
       "named preset instead of --hardware/--accelerators (256 H100; 16,384 H100; 8 A100)"},
      {"days", MS_SARG_NUM, "days", 1e-9, 1e6, 1, NULL, 0, NULL, "duration"},
      {"mfu", MS_SARG_NUM, "", 0, 1, 1, NULL, 0, NULL, "utilisation (MFU) as an input: power = TDP*(0.3 + 0.7*min(1, MFU/s))"},
      {"power-saturation", MS_SARG_NUM, "", 0.01, 1, MS_POWER_SATURATION, NULL, 0, NULL,
       "s, the MFU at which an accelerator reaches its TDP (its power limit; 1 = upstream's linear model)"},
      {"grid", MS_SARG_GRID, "", 0, 0, 0, "US_Avg", 0, NULL, "region: carbon intensity, PUE, water, price (mlsysim zoo grids)"},
      {"cooling", MS_SARG_CHOICE, "", 0, 0, 0, "grid", 0, "grid|enterprise|hyperscale|liquid",
       "PUE profile: the grid's, enterprise air 1.58, hyperscale 1.10, liquid 1.06"},
      {"pue", MS_SARG_NUM, "", 0, 5, 0, NULL, 0, NULL, "PUE override (0 = from --cooling / the grid)"},
      {"price-kwh", MS_SARG_NUM, "USD/kWh", 0, 10, 0, NULL, 0, NULL, "electricity price override (0 = the grid's)"},
      {"unit-cost", MS_SARG_NUM, "USD", 0, 1e9, 0, NULL, 0, NULL, "price per accelerator override (0 = the registry's)"},
      {"tdp-w", MS_SARG_NUM, "W", 0, 1e6, 0, NULL, 0, NULL, "power per accelerator override (0 = the registry's)"},
      {"years", MS_SARG_NUM, "years", 1e-3, 100, 3, NULL, 0, NULL, "amortisation period"},
      {"maintenance", MS_SARG_NUM, "", 0, 1, 0.05, NULL, 0, NULL, "yearly maintenance as a fraction of CapEx"},
      {"infra", MS_SARG_NUM, "", 0.1, 10, 1, NULL, 0, NULL, "CapEx multiplier for the building, power and network (1 = accelerators only; upstream: 2-2.5 for a full datacenter)"},
      {"embodied-kg", MS_SARG_NUM, "kg", 0, 1e6, 0, NULL, 0, NULL, "embodied carbon per device (amortised like CapEx)"},
      ARG_END},
     {"solve tco --cluster research_256 --mfu 0.45 --price-kwh 0.12",
      "solve tco --hardware H100 --accelerators 1024 --days 30 --mfu 0.4 --grid Quebec --cooling liquid --embodied-kg 1500", NULL},
     run_tco},
};

size_t ms_solver_count(void) { return sizeof solvers / sizeof solvers[0]; }

const ms_solver *ms_solver_at(size_t i) { return i < ms_solver_count() ? &solvers[i] : NULL; }

const ms_solver *ms_solver_find(const char *name)
{
    for (size_t i = 0; name && i < ms_solver_count(); i++)
        if (!strcmp(solvers[i].name, name)) return &solvers[i];
    return NULL;
}

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

int ms_solver_arg_index(const ms_solver *s, const char *name)
{
    for (int i = 0; name && i < MS_SOLVE_MAX_ARGS && s->args[i].name; i++)
        if (same_name(s->args[i].name, name)) return i;
    return -1;
}

void ms_solve_values_init(ms_solve_values *v) { memset(v, 0, sizeof *v); }

static int has_choice(const char *choices, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = choices; p && *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, w, n)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int ms_solver_set_num(const ms_solver *s, int i, double x, ms_solve_values *v, char *err, size_t errlen)
{
    const ms_solve_arg *a = &s->args[i];
    if (a->type != MS_SARG_NUM && a->type != MS_SARG_INT) return fail(err, errlen, "expected a name, not a number");
    if (!isfinite(x)) return fail(err, errlen, "expected a finite number");
    if (a->type == MS_SARG_INT && x != floor(x)) return fail(err, errlen, "expected an integer (got %g)", x);
    if (x < a->min || x > a->max) return fail(err, errlen, "%g is out of range [%g, %g]", x, a->min, a->max);
    v->num[i] = x;
    v->given[i] = 1;
    return 0;
}

int ms_solver_set_text(const ms_solver *s, int i, const char *text, ms_solve_values *v, char *err, size_t errlen)
{
    const ms_solve_arg *a = &s->args[i];
    if (!text) return fail(err, errlen, "needs a value");
    if (a->type == MS_SARG_NUM || a->type == MS_SARG_INT) {
        char *end;
        errno = 0;
        double x = strtod(text, &end);
        if (end == text || *end || errno) return fail(err, errlen, "'%.40s' is not a number", text);
        return ms_solver_set_num(s, i, x, v, err, errlen);
    }
    if (strlen(text) >= MS_NAME_MAX) return fail(err, errlen, "'%.40s...' is too long", text);
    if (a->type == MS_SARG_CHOICE && !has_choice(a->choices, text))
        return fail(err, errlen, "'%s' is not one of %s", text, a->choices);
    ms_precision p;
    if (a->type == MS_SARG_PRECISION && ms_precision_parse(text, &p))
        return fail(err, errlen, "'%s' is not fp32, tf32, bf16, fp16, fp8, int8, int4 or fp4", text);
    memcpy(v->str[i], text, strlen(text) + 1);
    v->given[i] = 1;
    return 0;
}

int ms_solver_run(const ms_solver *s, const ms_registry *reg, const ms_solve_values *in, ms_result *out,
                  int *bad_arg, char *err, size_t errlen)
{
    ms_solve_values v = *in;
    int dummy;
    if (!bad_arg) bad_arg = &dummy;
    *bad_arg = -1;
    ms_result_init(out, s->title);
    for (int i = 0; i < MS_SOLVE_MAX_ARGS && s->args[i].name; i++) {
        const ms_solve_arg *a = &s->args[i];
        if (!v.given[i]) {
            if (a->required) {
                *bad_arg = i;
                return fail(err, errlen, "required (%s)", a->help);
            }
            v.num[i] = a->def;
            snprintf(v.str[i], sizeof v.str[i], "%s", a->sdef ? a->sdef : "");
            continue;
        }
        if (a->type == MS_SARG_MODEL && !ms_registry_model(reg, v.str[i])) {
            *bad_arg = i;
            char why[256];
            return fail(err, errlen, "unknown model %s", ms_registry_unknown_model(reg, v.str[i], why, sizeof why));
        }
        if (a->type == MS_SARG_HW && !ms_registry_hardware(reg, v.str[i])) {
            *bad_arg = i;
            char why[256];
            return fail(err, errlen, "unknown hardware %s", ms_registry_unknown_hardware(reg, v.str[i], why, sizeof why));
        }
        if (a->type == MS_SARG_GRID && !ms_registry_grid(reg, v.str[i])) {
            *bad_arg = i;
            return fail(err, errlen, "unknown grid '%s' (see mlsysim zoo grids)", v.str[i]);
        }
    }
    return s->run(s, reg, &v, out, err, errlen);
}
