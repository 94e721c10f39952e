/* test_solvers.c - one hand-worked case per stand-alone solver (solvers.h): schedule bubble,
 * chunked prefill, disaggregated serving, M/G/c tail latency, checkpointing, data ingestion,
 * topologies, MoE all-to-all, Amdahl, kernel-type efficiency, network roofline, reasoning, weight
 * streaming, DP-SGD, the M/D/1 job queue, LoRA, step factors, collectives, and the solver table
 * every front end reads. Every expected number is derived in the comment above it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/distributed.h"
#include "mlsysim/mlsysim.h"
#include "mlsysim/solvers.h"
#include "ms_test.h"

#define REL(a, b, tol)                                                                            \
    do {                                                                                          \
        double a_ = (a), b_ = (b);                                                                \
        if (!(fabs(a_ - b_) <= (tol) * fabs(b_)))                                                 \
            fprintf(stderr, "%s = %.12g, expected %.12g\n", #a, a_, b_);                         \
        assert_true(fabs(a_ - b_) <= (tol) * fabs(b_));                                           \
    } while (0)

/* (P-1)/(V·M + P-1): P=4, M=8, V=1 -> 3/11; V=4 -> 3/35; one stage -> 0; M=0 is refused. */
static void test_bubble_schedule(void **state)
{
    (void)state;
    REL(ms_bubble_schedule_fraction(4, 8, 1), 3.0 / 11, 1e-15);
    REL(ms_bubble_schedule_fraction(4, 8, 4), 3.0 / 35, 1e-15);
    assert_true(ms_bubble_schedule_fraction(1, 8, 1) == 0.0);
    assert_true(ms_bubble_schedule_fraction(4, 0, 1) < 0);
}

/* Llama-3-8B on H100, S = 2048, B = 1, fp16, η = 0.5, chunks of 512 tokens -> 4 chunks.
 * P_matmul = 7,504,658,432, attention 524,288 FLOP per (query, key) pair, peak·η = 494.5 TFLOP/s,
 * overhead per pass = 10 µs dispatch + 32 x 10 µs = 330 µs. Chunk i (s0 = 512 i):
 *   FLOPs = 2·P·512 + 524288·(512·s0 + 512·513/2); all compute-bound (weights 16.06 GB / 3.35 TB/s
 *   = 4.8 ms < 15.7 ms), so t_i = FLOPs/494.5e12 + 330 µs:
 *   t0 = 16.0097 ms, t1 = 16.2877, t2 = 16.5656, t3 = 16.8435 ms (the stall bound).
 * Causal pairs add up to the unchunked 2048·2049/2 = 2,098,176, so the chunked TTFT is the
 * unchunked one plus three more pass overheads: 64.7165 + 0.99 = 65.7065 ms. */
static void test_chunked_prefill(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    ms_serve_input in;
    ms_serve_input_default(&in);
    ms_chunked_prefill_result r;
    char err[256];
    assert_int_equal(ms_chunked_prefill(m, hw, &in, 512, &r, err, sizeof err), 0);
    assert_int_equal(r.chunks, 4);
    REL(r.first_chunk_s, 0.016009724830802832, 1e-9);
    REL(r.decode_stall_bound_s, 0.016843530413039435, 1e-9);
    REL(r.ttft_s, 0.06570651048768454, 1e-9);
    REL(r.unchunked_ttft_s, 0.06471651048768452, 1e-9);
    REL(r.ttft_s - r.unchunked_ttft_s, 3 * 330e-6, 1e-6);
    /* one chunk of >= S tokens is ms_serve's TTFT exactly */
    assert_int_equal(ms_chunked_prefill(m, hw, &in, 4096, &r, err, sizeof err), 0);
    assert_int_equal(r.chunks, 1);
    REL(r.ttft_s, r.unchunked_ttft_s, 1e-12);
    /* bad input names the field */
    assert_int_equal(ms_chunked_prefill(m, hw, &in, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "chunk_tokens"));
    assert_int_equal(ms_chunked_prefill(ms_registry_model(reg, "ResNet50"), hw, &in, 512, &r, err, sizeof err), -1);
    /* a prompt of 2,000,000 tokens in chunks of 1 would be 2e6 chunks: refused, naming the field */
    ms_serve_input big;
    ms_serve_input_default(&big);
    big.seq_len = 2000000;
    ms_chunked_prefill_result rb;
    char eb[256];
    assert_int_equal(ms_chunked_prefill(ms_registry_model(reg, "Llama3_8B"), ms_registry_hardware(reg, "H100"), &big, 1,
                                        &rb, eb, sizeof eb), -1);
    assert_non_null(strstr(eb, "chunk_tokens"));
}

/* Llama-3-8B, S = 2048, B = 1, fp16: prefill on H100, decode on H200, KV over a 50 GB/s link
 * with α = 10 µs. KV = 2·32·8·128·2048·2 B = 268,435,456 B -> transfer 10 µs + 5.3687 ms =
 * 5.37871 ms. ITL on H200 = (16,060,522,496 + 268,435,456) B / (0.88 x 4.8 TB/s, ms_hw_mem_bw)
 * + 320 µs = 4.18576 ms. */
static void test_disaggregated(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *h100 = ms_registry_hardware(reg, "H100");
    const ms_hardware *h200 = ms_registry_hardware(reg, "H200");
    ms_serve_input in;
    ms_serve_input_default(&in);
    ms_serve_result p;
    assert_int_equal(ms_serve(m, h100, &in, &p), MS_OK);
    ms_disagg_result r;
    char err[256];
    assert_int_equal(ms_disaggregated(m, h100, h200, &in, 50e9, 10e-6, &r, err, sizeof err), 0);
    assert_true(r.kv_bytes == 268435456.0);
    REL(r.kv_transfer_s, 10e-6 + 268435456.0 / 50e9, 1e-12);
    REL(r.ttft_s, p.ttft_s + 5.37870912e-3, 1e-12);
    REL(r.itl_s, (16060522496.0 + 268435456.0) / (0.88 * 4.8e12) + 320e-6, 1e-6);
    assert_true(r.feasible);
    assert_int_equal(ms_disaggregated(m, h100, h200, &in, 0, 10e-6, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "bandwidth"));
}

/* M/M/1, λ = 5/s, service 0.1 s (μ = 10): ρ = 0.5, P_wait = ρ = 0.5, mean wait = 0.5/(10-5) = 0.1 s;
 * p99 wait = ln(0.5/0.01)/5 = 0.782405 s, p50 wait = ln(0.5/0.5)/5 = 0.
 * cv = 0 (M/D/1): factor 1/2 -> mean wait 0.05 s = ρ/(2μ(1-ρ)) (the exact M/D/1 result).
 * cv = 2: factor 5/2 -> mean wait 0.25 s.
 * M/M/2, λ = 10, μ = 10: a = 1, ρ = 0.5, Erlang C = (1/2!/(1-ρ)) / (1 + 1 + 1) = 1/3,
 * mean wait = (1/3)/(20 - 10) = 0.03333 s. λ = 20 on one server: unstable. */
static void test_tail_latency(void **state)
{
    (void)state;
    ms_tail_result r;
    char err[256];
    assert_int_equal(ms_tail_latency(5, 0.1, 1, 1.0, &r, err, sizeof err), 0);
    assert_true(r.stable);
    REL(r.utilization, 0.5, 1e-12);
    REL(r.p_wait, 0.5, 1e-12);
    REL(r.mean_wait_s, 0.1, 1e-12);
    REL(r.p99_wait_s, 0.7824046010856291, 1e-9);
    REL(r.p99_latency_s, 0.8824046010856291, 1e-9);
    assert_true(fabs(r.p50_wait_s) < 1e-12);
    assert_int_equal(ms_tail_latency(5, 0.1, 1, 0.0, &r, err, sizeof err), 0);
    REL(r.mean_wait_s, 0.05, 1e-12);
    assert_int_equal(ms_tail_latency(5, 0.1, 1, 2.0, &r, err, sizeof err), 0);
    REL(r.mean_wait_s, 0.25, 1e-12);
    REL(r.p99_wait_s, 2.5 * 0.7824046010856291, 1e-9);
    assert_int_equal(ms_tail_latency(10, 0.1, 2, 1.0, &r, err, sizeof err), 0);
    REL(r.p_wait, 1.0 / 3, 1e-12);
    REL(r.mean_wait_s, 1.0 / 30, 1e-12);
    assert_int_equal(ms_tail_latency(20, 0.1, 1, 1.0, &r, err, sizeof err), 0);
    assert_false(r.stable);
    assert_int_equal(ms_tail_latency(5, 0.1, 0, 1.0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "servers"));
}

/* δ = 60 s, cluster MTBF 5 h = 18,000 s, recovery 300 s, 30 days of work (2,592,000 s):
 * τ = √(2·60·18000) = 1469.694 s; goodput = 1 - 60/1469.694 - (734.847 + 300)/18000
 * = 1 - 0.0408248 - 0.0574915 = 0.9016837; wall = 2,592,000/0.9016837 = 2,874,622 s;
 * expected failures = 2,874,622/18,000 = 159.70. With MTBF 10 s every interval loses everything:
 * goodput 0, the job never finishes. */
static void test_checkpoint(void **state)
{
    (void)state;
    ms_checkpoint_result r;
    char err[256];
    assert_int_equal(ms_checkpoint_solve(60, 2592000, 300, 18000, 0, &r, err, sizeof err), 0);
    REL(r.interval_s, 1469.6938456699068, 1e-12);
    REL(r.young_daly_s, r.interval_s, 1e-15);
    REL(r.goodput, 0.9016836752405607, 1e-12);
    REL(r.wall_time_s, 2874622.2995647322, 1e-9);
    REL(r.expected_failures, 159.70123886470734, 1e-9);
    REL(r.checkpoints, 2592000 / 1469.6938456699068, 1e-12);
    assert_true(r.daly_s > 0 && r.daly_s < r.young_daly_s);
    /* a fixed hourly interval: goodput = 1 - 60/3600 - (1800 + 300)/18000 = 0.8666667 */
    assert_int_equal(ms_checkpoint_solve(60, 2592000, 300, 18000, 3600, &r, err, sizeof err), 0);
    REL(r.goodput, 1 - 60.0 / 3600 - 2100.0 / 18000, 1e-12);
    assert_int_equal(ms_checkpoint_solve(60, 2592000, 300, 10, 0, &r, err, sizeof err), 0);
    assert_true(r.goodput == 0 && r.wall_time_s == 0);
    assert_int_equal(ms_checkpoint_solve(0, 2592000, 300, 18000, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "checkpoint"));
}

/* 10,000 images/s x 110 kB = 1.1 GB/s of demand. Supply: storage 2 GB/s, 10 GbE 1.25 GB/s,
 * decoding 1,200 images/s per worker x 8 workers x 110 kB = 1.056 GB/s -> the CPU binds,
 * ρ = 1.1/1.056 = 1.041667, stall fraction 1 - 1/ρ = 0.04, 9,600 images/s achieved.
 * With 16 workers the CPU gives 2.112 GB/s and the network (1.25 GB/s) binds: ρ = 0.88. */
static void test_ingest(void **state)
{
    (void)state;
    ms_ingest_result r;
    char err[256];
    assert_int_equal(ms_ingest(10000, 110e3, 2e9, 1.25e9, 1200, 8, &r, err, sizeof err), 0);
    assert_string_equal(r.bottleneck, "cpu");
    REL(r.utilization, 1.1 / 1.056, 1e-12);
    assert_true(r.stalled);
    REL(r.stall_fraction, 0.04, 1e-12);
    REL(r.achieved_samples_per_s, 9600, 1e-12);
    assert_int_equal(ms_ingest(10000, 110e3, 2e9, 1.25e9, 1200, 16, &r, err, sizeof err), 0);
    assert_string_equal(r.bottleneck, "network");
    REL(r.utilization, 0.88, 1e-12);
    assert_false(r.stalled);
    assert_true(r.stall_fraction == 0);
    REL(r.headroom_bytes_per_s, 0.15e9, 1e-9);
    assert_int_equal(ms_ingest(10000, 110e3, 0, 0, 0, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "supply"));
}

/* 64 nodes, 50 GB/s links: fat-tree N/2·bw = 1.6 TB/s (0.8 at 2:1 oversubscription), 4 hops;
 * dragonfly 0.85 x 1.6 = 1.36 TB/s, 3 hops; 3D torus 4x4x4: cut 2·4² = 32 links = 1.6 TB/s,
 * avg 3·4/4 = 3 hops, diameter 3·2 = 6; ring: 2 links = 100 GB/s, 64/4 = 16 hops, diameter 32. */
static void test_topology(void **state)
{
    (void)state;
    ms_topology_result r;
    char err[256];
    assert_int_equal(ms_topology_eval(MS_TOPO_FAT_TREE, 64, 50e9, 1, &r, err, sizeof err), 0);
    REL(r.bisection_bytes_per_s, 1.6e12, 1e-12);
    REL(r.per_node_bisection_bytes_per_s, 50e9, 1e-12);
    assert_true(r.avg_hops == 4);
    assert_int_equal(ms_topology_eval(MS_TOPO_FAT_TREE, 64, 50e9, 2, &r, err, sizeof err), 0);
    REL(r.bisection_bytes_per_s, 0.8e12, 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_DRAGONFLY, 64, 50e9, 1, &r, err, sizeof err), 0);
    REL(r.bisection_bytes_per_s, 1.36e12, 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_TORUS3D, 64, 50e9, 1, &r, err, sizeof err), 0);
    REL(r.bisection_bytes_per_s, 1.6e12, 1e-12);
    REL(r.avg_hops, 3, 1e-12);
    REL(r.diameter_hops, 6, 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_RING, 64, 50e9, 1, &r, err, sizeof err), 0);
    REL(r.bisection_bytes_per_s, 100e9, 1e-12);
    REL(r.avg_hops, 16, 1e-12);
    REL(r.diameter_hops, 32, 1e-12);
    ms_topology t;
    assert_int_equal(ms_topology_parse("torus3d", &t), 0);
    assert_int_equal(t, MS_TOPO_TORUS3D);
    assert_int_equal(ms_topology_parse("mesh", &t), -1);
    assert_int_equal(ms_topology_eval(MS_TOPO_RING, 1, 50e9, 1, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "nodes"));
}

/* 4,096 tokens per rank (2 x 2048), h = 4096, bf16, top-2 of 8 experts, imbalance 1.25, EP = 8,
 * 50 GB/s, α = 5 µs: k' = min(8, 2.5) = 2.5; M = 4096·4096·2·2.5 = 83,886,080 B; sent 7/8 M =
 * 73,400,320 B; one all-to-all = 73,400,320/50e9 + 7·5 µs = 1.5030064 ms; forward 2x, train 4x.
 * Imbalance 8 saturates at all 8 experts: k' = 8. */
static void test_moe_alltoall(void **state)
{
    (void)state;
    ms_moe_a2a_result r;
    char err[256];
    assert_int_equal(ms_moe_alltoall(4096, 4096, 2, 2, 8, 1.25, 8, 50e9, 5e-6, &r, err, sizeof err), 0);
    REL(r.effective_experts_per_token, 2.5, 1e-15);
    REL(r.buffer_bytes, 83886080.0, 1e-15);
    REL(r.sent_bytes, 73400320.0, 1e-15);
    REL(r.alltoall_s, 1.5030064e-3, 1e-12);
    REL(r.layer_forward_s, 2 * 1.5030064e-3, 1e-12);
    REL(r.layer_train_s, 4 * 1.5030064e-3, 1e-12);
    assert_int_equal(ms_moe_alltoall(4096, 4096, 2, 2, 8, 8, 8, 50e9, 5e-6, &r, err, sizeof err), 0);
    REL(r.effective_experts_per_token, 8, 1e-15);
    assert_int_equal(ms_moe_alltoall(4096, 4096, 2, 2, 8, 0.5, 8, 50e9, 5e-6, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "imbalance"));
}

/* Plan fields parallelism.ep and parallelism.cp reach the training step.
 * Mixtral-8x7B on 32 H100 (4 DGX nodes), tp 8, ep 4: dp = 32/8 = 4, the 4 expert groups take
 * the whole dp group, so every MoE layer pays all-to-alls (ep_communication_s > 0); with ep 1 it
 * pays none. Llama-3-8B on 16 H100 (2 nodes), S = 4096, tp 8, cp 2: dp = 16/(8·2) = 1; the two
 * halves of each sequence sit on different nodes, so the K/V all-gather crosses the NICs and is
 * not hidden behind attention (cp_communication_s > 0; at S = 32k attention hides it), and each
 * rank keeps the activations of half a sequence: exactly half those of cp 1 (dp 2, one whole
 * sequence per micro-batch), 783,482,880 vs 1,566,965,760 B. Refusals: ep 3 does not divide dp 4; ep on a dense
 * model; cp on an inference plan. */
static double plan_key(const char *y, const char *key)
{
    ms_result r;
    ms_status st = ms_plan_eval_buffer(reg, "p.yaml", y, strlen(y), &r);
    double v = -1;
    if (st != MS_OK && st != MS_ERR_MEMORY) fprintf(stderr, "plan refused: %s\n", ms_result_get_str(&r, "reason"));
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    assert_true(ms_result_get(&r, key, &v));
    ms_result_free(&r);
    return v;
}

static void test_plan_ep_cp(void **state)
{
    (void)state;
    const char *moe = "version: \"1.0\"\nname: moe\nworkload: {model: Mixtral_8x7B, mode: training, seq_len: 4096, batch_size: 64}\n"
                      "hardware: {accelerator: DGX_H100, nodes: 4}\nparallelism: {tp: 8, ep: %d, zero_stage: 1, recompute: full}\n";
    char y[512];
    snprintf(y, sizeof y, moe, 4);
    assert_true(plan_key(y, "ep") == 4);
    assert_true(plan_key(y, "dp") == 4);
    assert_true(plan_key(y, "ep_communication_s") > 0);
    snprintf(y, sizeof y, moe, 1);
    assert_true(plan_key(y, "ep_communication_s") == 0);
    /* at 2048 tokens the ring's K/V all-gather outlasts the attention it hides behind (9 ms
     * exposed); at 4096 the attention hides it */
    const char *ctx = "version: \"1.0\"\nname: cp\nworkload: {model: Llama3_8B, mode: training, seq_len: 2048, batch_size: 8}\n"
                      "hardware: {accelerator: DGX_H100, nodes: 2}\nparallelism: {tp: 8, cp: %d, recompute: full}\n";
    snprintf(y, sizeof y, ctx, 2);
    assert_true(plan_key(y, "cp") == 2);
    assert_true(plan_key(y, "dp") == 1);
    assert_true(plan_key(y, "cp_communication_s") > 0);
    double act2 = plan_key(y, "memory_activations_bytes");
    snprintf(y, sizeof y, ctx, 1);
    assert_true(plan_key(y, "dp") == 2);
    assert_true(plan_key(y, "cp_communication_s") == 0);
    assert_true(fabs(act2 / plan_key(y, "memory_activations_bytes") - 0.5) < 1e-12);
    ms_plan pa;
    char err[512];
    snprintf(y, sizeof y, moe, 3);
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y, strlen(y), &pa, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "parallelism.ep"));
    const char *dense = "version: \"1.0\"\nname: d\nworkload: {model: Llama3_8B, mode: training}\n"
                        "hardware: {accelerator: DGX_H100, nodes: 1}\nparallelism: {tp: 4, ep: 2}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", dense, strlen(dense), &pa, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "mixture-of-experts"));
    const char *inf = "version: \"1.0\"\nname: i\nworkload: {model: Llama3_8B}\n"
                      "hardware: {accelerator: DGX_H100, nodes: 1}\nparallelism: {tp: 4, cp: 2}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", inf, strlen(inf), &pa, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "parallelism.cp"));
}

/* Amdahl: p = 0.95, s = 64 -> 1/(0.05 + 0.95/64) = 1/0.06484375 = 15.42168675; p = 0 -> 1;
 * p = 1 -> s; p outside [0, 1] is refused. */
static void test_amdahl(void **state)
{
    (void)state;
    REL(ms_amdahl_speedup(0.95, 64), 1.0 / 0.06484375, 1e-12);
    REL(ms_amdahl_speedup(0, 64), 1, 1e-12);
    REL(ms_amdahl_speedup(1, 8), 8, 1e-12);
    assert_true(ms_amdahl_speedup(1.5, 8) == -1);
    assert_true(ms_amdahl_speedup(0.5, 0) == -1);
}

/* η = 0.5 (scale 1): flash attention 0.75, plain attention 0.30, FFN 0.50, conv 0.40; η = 0.6
 * (scale 1.2): flash min(0.90, 0.85) = 0.85 (cap), FFN min(0.60, 0.60) = 0.60; η = 0.7: conv
 * min(0.56, 0.55) = 0.55. Occupancy loss at η = 0.5: 1 - 0.55 = 0.45; memory stall for conv
 * (1 - 0.40) - 0.45 = 0.15, for flash attention (1 - 0.75) - 0.45 < 0 -> 0. Achievable at
 * 1e15 FLOP/s: 0.4e15. */
static void test_kernel_efficiency(void **state)
{
    (void)state;
    ms_kernel_eff_result r;
    char err[256];
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_ATTENTION, 1, 0.5, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.75, 1e-12);
    assert_true(r.memory_stall == 0);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_ATTENTION, 0, 0.5, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.30, 1e-12);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_FFN, 0, 0.5, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.50, 1e-12);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_CONV, 0, 0.5, 1e15, &r, err, sizeof err), 0);
    REL(r.mfu, 0.40, 1e-12);
    REL(r.achievable_flops, 0.4e15, 1e-12);
    REL(r.occupancy_loss, 0.45, 1e-12);
    REL(r.memory_stall, 0.15, 1e-9);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_ATTENTION, 1, 0.6, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.85, 1e-12);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_FFN, 0, 0.6, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.60, 1e-12);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_CONV, 0, 0.7, 0, &r, err, sizeof err), 0);
    REL(r.mfu, 0.55, 1e-12);
    assert_int_equal(ms_kernel_efficiency(MS_KERNEL_FFN, 0, 1.5, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "efficiency"));
    ms_kernel_kind k;
    assert_int_equal(ms_kernel_kind_parse("conv", &k), 0);
    assert_int_equal(k, MS_KERNEL_CONV);
    assert_int_equal(ms_kernel_kind_parse("gemm", &k), -1);
}

/* P = 8e9, fp16, one sample, 256 accelerators of 1 PFLOP/s at η 0.5, 400 GB/s fabric
 * oversubscribed 2:1: N·F = 2.56e17; bisection 200 GB/s; FLOPs 6·8e9 = 4.8e10; sync 2·8e9·2 =
 * 3.2e10 B; intensity 1.5 FLOP/B; ridge 2.56e17/2e11 = 1.28e6; T_compute 4.8e10/1.28e17 =
 * 375 ns; T_net 3.2e10/2e11 = 0.16 s: network-bound. 1e6 samples: T_compute 0.375 s wins. */
static void test_network_roofline(void **state)
{
    (void)state;
    ms_net_roofline_result r;
    char err[256];
    assert_int_equal(ms_network_roofline(8e9, 2, 1, 256, 1e15, 0.5, 400e9, 2, &r, err, sizeof err), 0);
    REL(r.total_flops_per_s, 2.56e17, 1e-12);
    REL(r.bisection_bytes_per_s, 200e9, 1e-12);
    REL(r.intensity_flop_per_byte, 1.5, 1e-12);
    REL(r.ridge_flop_per_byte, 1.28e6, 1e-12);
    REL(r.t_compute_s, 375e-9, 1e-12);
    REL(r.t_network_s, 0.16, 1e-12);
    REL(r.step_s, 0.16, 1e-12);
    assert_true(r.network_bound);
    assert_int_equal(ms_network_roofline(8e9, 2, 1e6, 256, 1e15, 0.5, 400e9, 2, &r, err, sizeof err), 0);
    REL(r.step_s, 0.375, 1e-12);
    assert_false(r.network_bound);
    assert_int_equal(ms_network_roofline(8e9, 2, 1, 256, 1e15, 0.5, 400e9, 0.5, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "oversubscription"));
}

/* Reasoning: T = TTFT + K·t·ITL with ms_serve's TTFT and ITL; 32 steps of 50 tokens = 1,600
 * tokens. Doubling K adds exactly K·t·ITL more. Energy follows the load: at batch 1 the decode of
 * an 8B model on an H100 moves 16 GB per token for 16 GFLOP (MFU well under 1 %), so it draws
 * little more than the 30 % idle floor; E = TDP·(f(MFU_p)·TTFT + f(MFU_d)·K·t·ITL), f(u) =
 * 0.3 + 0.7·min(u / 0.5, 1), with the MFUs from the FLOPs and times by hand. */
static void test_reasoning(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    ms_serve_input in;
    ms_serve_input_default(&in);
    ms_serve_result s;
    assert_int_equal(ms_serve(m, hw, &in, &s), MS_OK);
    ms_reasoning_result r, r2;
    char err[256];
    assert_int_equal(ms_reasoning(m, hw, &in, 32, 50, &r, err, sizeof err), 0);
    assert_true(r.tokens == 1600);
    REL(r.total_s, s.ttft_s + 1600 * s.itl_s, 1e-12);
    const double peak = ms_hw_peak(hw, in.precision);
    const double mfu_p = s.prefill_flops / (s.ttft_s * peak);
    const double mfu_d = ms_decode_flops(m, in.seq_len) / (s.itl_s * peak);
    REL(r.prefill_mfu, mfu_p, 1e-12);
    REL(r.decode_mfu, mfu_d, 1e-12);
    assert_true(mfu_d > 0 && mfu_d < 0.01);
    const double f_p = 0.3 + 0.7 * fmin(mfu_p / 0.5, 1.0), f_d = 0.3 + 0.7 * fmin(mfu_d / 0.5, 1.0);
    REL(r.energy_j, hw->tdp_w * (f_p * s.ttft_s + f_d * 1600 * s.itl_s), 1e-12);
    assert_true(r.energy_j < 0.32 * hw->tdp_w * r.total_s && r.energy_j > 0.3 * hw->tdp_w * r.total_s);
    assert_int_equal(ms_reasoning(m, hw, &in, 64, 50, &r2, err, sizeof err), 0);
    REL(r2.total_s - r.total_s, 1600 * s.itl_s, 1e-9);
    assert_int_equal(ms_reasoning(m, hw, &in, 0, 50, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "steps"));
    assert_int_equal(ms_reasoning(ms_registry_model(reg, "ResNet50"), hw, &in, 8, 50, &r, err, sizeof err), -1);
}

/* A hand-made 80-layer, 80e9-parameter decoder (64 heads of 128, 8 KV heads) on a wafer with
 * 1 PFLOP/s fp16 and 44 GB SRAM, injection 1 TB/s, B = 64, S = 1000, η = 0.5:
 * W_l = 1e9·2 = 2e9 B; inject 2 ms; decode compute 2·1e9·64/5e14 = 0.256 ms -> injection-bound;
 * token 80·2 ms = 0.16 s; 64/0.16 = 400 tokens/s; B* = 2e-3·5e14/2e9 = 500;
 * KV = 1.1·(2·80·8·128)·1000·64·2 = 23,068,672,000 B <= 44e9 fits;
 * prefill per layer = (2·1e9·1000·64 + 4·64·128·1000·1001/2·64) / 5e14 = 0.258099 s (> inject). */
static void test_weight_streaming(void **state)
{
    (void)state;
    ms_model m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "hand80");
    m.kind = MS_MODEL_TRANSFORMER;
    m.layers = 80;
    m.params = m.params_active = 80e9;
    m.attn_flops_per_pair = 4.0 * 64 * 128 * 80;
    m.kv_elems_per_token = 2.0 * 80 * 8 * 128;
    ms_hardware hw;
    memset(&hw, 0, sizeof hw);
    snprintf(hw.name, sizeof hw.name, "wafer");
    hw.flops[MS_FP16] = 1e15;
    hw.sram_bytes = 44e9;
    ms_serve_input in;
    ms_serve_input_default(&in);
    in.batch_size = 64;
    in.seq_len = 1000;
    in.precision = MS_FP16;
    in.efficiency = 0.5;
    ms_weight_stream_result r;
    char err[256];
    assert_int_equal(ms_weight_streaming(&m, &hw, &in, 1e12, &r, err, sizeof err), 0);
    REL(r.layer_weight_bytes, 2e9, 1e-12);
    REL(r.inject_s, 2e-3, 1e-12);
    REL(r.decode_compute_s, 0.256e-3, 1e-12);
    assert_true(r.injection_bound);
    REL(r.token_s, 0.16, 1e-12);
    REL(r.tokens_per_s, 400, 1e-12);
    REL(r.optimal_batch, 500, 1e-12);
    REL(r.kv_bytes, 23068672000.0, 1e-12);
    assert_true(r.kv_fits);
    REL(r.prefill_compute_s, (2e9 * 1000 * 64 + 4.0 * 64 * 128 * 500500 * 64) / 5e14, 1e-12);
    REL(r.prefill_s, 80 * r.prefill_compute_s, 1e-12);
    assert_int_equal(ms_weight_streaming(&m, &hw, &in, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "inject"));
}

/* DP-SGD: ε = 1 -> 1 + 2/1 = 3x (10 h -> 30 h); ε = 0.001 is held at 0.01 -> 201x; the smallest
 * group at 2 % needs 50x the data. */
static void test_dpsgd(void **state)
{
    (void)state;
    ms_dpsgd_result r;
    char err[256];
    assert_int_equal(ms_dpsgd(36000, 1, 1, &r, err, sizeof err), 0);
    REL(r.slowdown, 3, 1e-12);
    REL(r.time_s, 108000, 1e-12);
    REL(r.extra_time_s, 72000, 1e-12);
    REL(r.additional_data_factor, 1, 1e-12);
    assert_int_equal(ms_dpsgd(36000, 0.001, 0.02, &r, err, sizeof err), 0);
    REL(r.slowdown, 201, 1e-12);
    REL(r.additional_data_factor, 50, 1e-12);
    assert_int_equal(ms_dpsgd(36000, 0, 1, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "epsilon"));
}

/* M/D/1: λ = 0.5 jobs/day, D = 1.5 days: ρ = 0.75; W_q = 0.75/(2·(1/1.5)·0.25) = 2.25 days;
 * L_q = 0.5625/0.5 = 1.125 (= λ·W_q, Little); response 3.75 days. ρ = 1 is unstable. */
static void test_job_queue(void **state)
{
    (void)state;
    ms_job_queue_result r;
    char err[256];
    assert_int_equal(ms_job_queue(0.5, 1.5, &r, err, sizeof err), 0);
    REL(r.utilization, 0.75, 1e-12);
    REL(r.mean_wait_days, 2.25, 1e-12);
    REL(r.queue_length, 1.125, 1e-12);
    REL(r.queue_length, 0.5 * r.mean_wait_days, 1e-12);
    REL(r.response_days, 3.75, 1e-12);
    assert_true(r.stable);
    assert_int_equal(ms_job_queue(1, 1, &r, err, sizeof err), 0);
    assert_false(r.stable);
    assert_true(r.mean_wait_days == 0);
    assert_int_equal(ms_job_queue(-1, 1, &r, err, sizeof err), -1);
}

/* LoRA r = 16 on Llama-3-8B (h 4096, 32 heads of 128, 8 KV heads, 32 layers): per layer
 * 16·[(4096+4096) + 2·(4096+1024) + (4096+4096)] = 16·26,624 = 425,984; x32 = 13,631,488.
 * State full = 16·P B (bf16 + Adam); LoRA = 2·(P + P_t) + 14·P_t. FLOP/token 6·P_a vs
 * 4·P_a + 6·P_t. A multi-head model (GPT-2 style, kv = heads) gets upstream's 8·r·h per layer. */
static void test_lora(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    ms_lora_result r;
    char err[256];
    assert_int_equal(ms_lora(m, hw, 16, MS_BF16, 0.5, 8 * 2048, &r, err, sizeof err), 0);
    REL(r.trainable_params, 13631488.0, 1e-12);
    REL(r.full_state_bytes, 16 * m->params, 1e-12);
    REL(r.lora_state_bytes, 2 * (m->params + 13631488.0) + 14 * 13631488.0, 1e-12);
    REL(r.full_flops_per_token, 6 * m->params_active, 1e-12);
    REL(r.lora_flops_per_token, 4 * m->params_active + 6 * 13631488.0, 1e-12);
    REL(r.lora_step_s / r.full_step_s, r.lora_flops_per_token / r.full_flops_per_token, 1e-12);
    REL(r.lora_grad_sync_bytes, 2 * 13631488.0, 1e-12);
    assert_false(r.full_fits);   /* 128 GB of state > 80 GB */
    assert_true(r.lora_fits);
    ms_model mha = *m;
    mha.arch.kv_heads = mha.arch.heads;
    assert_int_equal(ms_lora(&mha, hw, 16, MS_BF16, 0.5, 1, &r, err, sizeof err), 0);
    REL(r.trainable_params, 8.0 * 16 * 4096 * 32, 1e-12);
    assert_int_equal(ms_lora(m, hw, 0, MS_BF16, 0.5, 1, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "rank"));
    assert_int_equal(ms_lora(ms_registry_model(reg, "ResNet50"), hw, 16, MS_BF16, 0.5, 1, &r, err, sizeof err), -1);
}

/* T_c 100 ms, T_dp 40 ms, T_o 10 ms, congestion 1.5, G = 4, straggler 1.1, no overlap:
 * dp = 1.5·40/4 = 15 ms; other = 15 ms; T = (100 + 15 + 15)·1.1 = 143 ms; efficiency 100/143.
 * With half the all-reduce overlapped: dp 7.5 ms, T = 122.5·1.1 = 134.75 ms. */
static void test_step_factors(void **state)
{
    (void)state;
    ms_step_factors_result r;
    char err[256];
    assert_int_equal(ms_step_factors(0.1, 0.04, 0.01, 0, 1.5, 1.1, 4, 0, &r, err, sizeof err), 0);
    REL(r.dp_comm_s, 0.015, 1e-12);
    REL(r.other_comm_s, 0.015, 1e-12);
    REL(r.step_s, 0.143, 1e-12);
    REL(r.straggler_s, 0.013, 1e-9);
    REL(r.scaling_efficiency, 100.0 / 143, 1e-12);
    assert_int_equal(ms_step_factors(0.1, 0.04, 0.01, 0, 1.5, 1.1, 4, 0.5, &r, err, sizeof err), 0);
    REL(r.step_s, 0.13475, 1e-12);
    assert_int_equal(ms_step_factors(0.1, 0.04, 0.01, 0, 0.5, 1, 1, 0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "congestion"));
}

/* 1 GB over 8 ranks at 450 GB/s, α = 0.5 µs:
 * ring 2·7/8·1e9/450e9 + 14·0.5 µs = 3.888889 ms + 7 µs (and the same as the fleet model's
 * ms_coll_allreduce_ring_s); tree 6·(1e9/450e9 + 0.5 µs); double binary tree
 * 1.05·1.75·1e9/450e9 + 1.2·2·3·0.5 µs; all-to-all 7/8·1e9/450e9 + 7·0.5 µs.
 * Hierarchical, 64 ranks in nodes of 8, 50 GB/s per rank between nodes, 5 µs: intra RS + AG
 * 2·7/8·1e9/450e9 = 3.888889 ms; inter ring of 125 MB over 8 nodes 2·7/8·1.25e8/50e9 = 4.375 ms;
 * latency 2·7·5 µs = 70 µs. Bus bandwidth of the ring: (M/T)·2·7/8. */
static void test_collective(void **state)
{
    (void)state;
    ms_collective_result r;
    char err[256];
    double M = 1e9, bw = 450e9, a = 0.5e-6;
    assert_int_equal(ms_collective(MS_COLLECTIVE_RING, M, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    REL(r.time_s, 2 * 7.0 / 8 * M / bw + 14 * a, 1e-12);
    REL(r.time_s, ms_coll_allreduce_ring_s(M, 8, bw, a), 1e-12);
    REL(r.busbw_bytes_per_s, M / r.time_s * 1.75, 1e-12);
    assert_int_equal(ms_collective(MS_COLLECTIVE_TREE, M, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    REL(r.time_s, 6 * (M / bw + a), 1e-12);
    assert_int_equal(ms_collective(MS_COLLECTIVE_DBTREE, M, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    REL(r.bandwidth_term_s, 1.05 * 1.75 * M / bw, 1e-12);
    REL(r.latency_term_s, 1.2 * 6 * a, 1e-12);
    assert_int_equal(ms_collective(MS_COLLECTIVE_ALL_TO_ALL, M, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    REL(r.time_s, 7.0 / 8 * M / bw + 7 * a, 1e-12);
    REL(r.busbw_bytes_per_s, M / r.time_s * 7 / 8, 1e-12);
    assert_int_equal(ms_collective(MS_COLLECTIVE_HIERARCHICAL, M, 64, bw, 0, 8, 50e9, 5e-6, &r, err, sizeof err), 0);
    REL(r.bandwidth_term_s, 1.75 * M / bw + 1.75 * 1.25e8 / 50e9, 1e-12);
    REL(r.latency_term_s, 70e-6, 1e-12);
    assert_int_equal(ms_collective(MS_COLLECTIVE_RING, M, 1, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    assert_true(r.time_s == 0);
    assert_int_equal(ms_collective(MS_COLLECTIVE_HIERARCHICAL, M, 64, bw, 0, 3, 50e9, 5e-6, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "ranks_per_node"));
    /* NVLink SHARP: M once over each link at 0.74 of the ring's rate, NCCL's 25 us; on 8 ranks
     * its bus bandwidth is 1.75 x 0.74 = 1.295 x the ring's (less the latencies) */
    assert_int_equal(ms_collective(MS_COLLECTIVE_NVLS, M, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    REL(r.bandwidth_term_s, M / (0.74 * bw), 1e-12);
    REL(r.latency_term_s, 25e-6, 1e-12);
    REL(r.busbw_bytes_per_s, M / r.time_s * 1.75, 1e-12);
    ms_collective_result ring;
    assert_int_equal(ms_collective(MS_COLLECTIVE_RING, 8e9, 8, bw, a, 8, bw, 0, &ring, err, sizeof err), 0);
    assert_int_equal(ms_collective(MS_COLLECTIVE_NVLS, 8e9, 8, bw, a, 8, bw, 0, &r, err, sizeof err), 0);
    assert_true(r.busbw_bytes_per_s / ring.busbw_bytes_per_s > 1.28 && r.busbw_bytes_per_s / ring.busbw_bytes_per_s < 1.30);
    ms_collective_kind k;
    assert_int_equal(ms_collective_parse("nvls", &k), 0);
    assert_int_equal(k, MS_COLLECTIVE_NVLS);
    assert_int_equal(ms_collective_parse("dbtree", &k), 0);
    assert_int_equal(k, MS_COLLECTIVE_DBTREE);
    assert_int_equal(ms_collective_parse("butterfly", &k), -1);
}

/* The solver table: every solver's first example, split into words, runs through the generic
 * path (names, positional arguments, flags) and gives a result; each argument has help and a
 * sane range; a missing required argument names itself; out-of-range and unknown choices fail. */
static void test_solver_table(void **state)
{
    (void)state;
    char err[512];
    assert_true(ms_solver_count() >= 17);
    for (size_t i = 0; i < ms_solver_count(); i++) {
        const ms_solver *s = ms_solver_at(i);
        assert_ptr_equal(ms_solver_find(s->name), s);
        for (int k = 0; s->args[k].name; k++) {
            assert_true(s->args[k].help && s->args[k].help[0]);
            if (s->args[k].type <= MS_SARG_INT && !s->args[k].required)
                assert_true(s->args[k].def >= s->args[k].min && s->args[k].def <= s->args[k].max);
        }
        char line[512];
        snprintf(line, sizeof line, "%s", s->examples[0]);
        ms_solve_values v;
        ms_solve_values_init(&v);
        int npos = 0, past_name = 0;
        for (char *w = strtok(line, " "); w; w = strtok(NULL, " ")) {
            if (!past_name) { past_name = !strcmp(w, s->name); continue; }
            if (w[0] == '-' && w[1] == '-') {
                int k = ms_solver_arg_index(s, w + 2);
                assert_true(k >= 0);
                assert_int_equal(ms_solver_set_text(s, k, strtok(NULL, " "), &v, err, sizeof err), 0);
            } else {
                assert_true(npos < s->positional);
                assert_int_equal(ms_solver_set_text(s, npos++, w, &v, err, sizeof err), 0);
            }
        }
        ms_result o;
        int bad = 0;
        int rc = ms_solver_run(s, reg, &v, &o, &bad, err, sizeof err);
        if (rc) fprintf(stderr, "%s: %s\n", s->name, err);
        assert_int_equal(rc, 0);
        assert_true(o.n >= 1);
        ms_result_free(&o);
    }
    const ms_solver *t = ms_solver_find("tail");
    ms_solve_values v;
    ms_solve_values_init(&v);
    assert_int_equal(ms_solver_set_text(t, ms_solver_arg_index(t, "qps"), "5", &v, err, sizeof err), 0);
    ms_result o;
    int bad = -1;
    assert_int_equal(ms_solver_run(t, reg, &v, &o, &bad, err, sizeof err), -1);
    ms_result_free(&o);
    assert_int_equal(bad, ms_solver_arg_index(t, "service_ms"));   /* '_' reads as '-' */
    assert_non_null(strstr(err, "required"));
    assert_int_equal(ms_solver_set_text(t, 1, "-3", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "range"));
    assert_int_equal(ms_solver_set_num(t, ms_solver_arg_index(t, "servers"), 1.5, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "integer"));
    const ms_solver *c = ms_solver_find("collective");
    assert_int_equal(ms_solver_set_text(c, 0, "butterfly", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "ring|tree"));
    const ms_solver *l = ms_solver_find("lora");
    ms_solve_values_init(&v);
    assert_int_equal(ms_solver_set_text(l, 0, "NoSuchModel", &v, err, sizeof err), 0);
    assert_int_equal(ms_solver_set_text(l, 1, "H100", &v, err, sizeof err), 0);
    assert_int_equal(ms_solver_run(l, reg, &v, &o, &bad, err, sizeof err), -1);
    ms_result_free(&o);
    assert_int_equal(bad, 0);
    assert_non_null(strstr(err, "NoSuchModel"));
    assert_null(ms_solver_find("nosuch"));
}

/* TCO by hand: 2 accelerators of 1,000 W and $30,000 for 73 days (0.2 year) at MFU 0.5, PUE 1.5,
 * 400 g/kWh, 2 L/kWh, $0.10/kWh, 2-year amortisation, 10 % maintenance, infrastructure x2,
 * embodied 1,000 kg per device: P = 1000·(0.3 + 0.35) = 650 W; IT 650·2·1752 h = 2,277.6 kWh;
 * E = 3,416.4 kWh; CO2 1,366.56 kg + embodied 1000·2·0.2/2 = 200 kg; water 6,832.8 L;
 * CapEx 120,000 -> period 120,000/2·0.2 = 12,000; maintenance 2,400; energy 341.64;
 * TCO 14,741.64 USD, with power_saturation 1 (power linear in MFU up to TDP at MFU 1). With the
 * default saturation (TDP at MFU 0.5 and above) the same MFU draws 1,000 W, and MFU 0.25 draws
 * 1000·(0.3 + 0.7·0.25/0.5) = 650 W. MFU above 1 and a saturation above 1 are refused. */
static void test_tco(void **state)
{
    (void)state;
    ms_tco_input in = {2, 1000, 30000, 73, 0.5, 1.5, 400, 2, 0.10, 2, 0.10, 2, 1000, 1.0};
    ms_tco_result r;
    char err[256];
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), 0);
    REL(r.chip_power_w, 650, 1e-12);
    REL(r.it_energy_kwh, 2277.6, 1e-12);
    REL(r.total_energy_kwh, 3416.4, 1e-12);
    REL(r.operational_co2_kg, 1366.56, 1e-12);
    REL(r.embodied_co2_kg, 200, 1e-12);
    REL(r.water_l, 6832.8, 1e-12);
    REL(r.capex_period_usd, 12000, 1e-12);
    REL(r.maintenance_usd, 2400, 1e-12);
    REL(r.energy_usd, 341.64, 1e-12);
    REL(r.tco_usd, 14741.64, 1e-12);
    in.power_saturation = 0;
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), 0);
    REL(r.chip_power_w, 1000, 1e-12);
    REL(r.it_energy_kwh, 3504, 1e-12);
    in.mfu = 0.25;
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), 0);
    REL(r.chip_power_w, 650, 1e-12);
    in.power_saturation = 1.5;
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "power saturation"));
    in.power_saturation = 0;
    in.mfu = 1.2;
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "mfu"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bubble_schedule),
        cmocka_unit_test(test_chunked_prefill),
        cmocka_unit_test(test_disaggregated),
        cmocka_unit_test(test_tail_latency),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_ingest),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_moe_alltoall),
        cmocka_unit_test(test_plan_ep_cp),
        cmocka_unit_test(test_amdahl),
        cmocka_unit_test(test_kernel_efficiency),
        cmocka_unit_test(test_network_roofline),
        cmocka_unit_test(test_reasoning),
        cmocka_unit_test(test_weight_streaming),
        cmocka_unit_test(test_dpsgd),
        cmocka_unit_test(test_job_queue),
        cmocka_unit_test(test_lora),
        cmocka_unit_test(test_step_factors),
        cmocka_unit_test(test_collective),
        cmocka_unit_test(test_tco),
        cmocka_unit_test(test_solver_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
