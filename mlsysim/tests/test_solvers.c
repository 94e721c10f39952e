/* test_solvers.c - one hand-worked case per stand-alone solver (solvers.h): schedule bubble,
 * chunked prefill, disaggregated serving, M/G/c tail latency, checkpointing, data ingestion,
 * topologies, MoE all-to-all. Every expected number is derived in the comment above it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/solvers.h"

static ms_registry *reg;

static int setup(void **state)
{
    (void)state;
    char err[512];
    reg = ms_registry_new(err, sizeof err);
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ms_registry_free(reg);
    return 0;
}

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
}

/* Llama-3-8B, S = 2048, B = 1, fp16: prefill on H100, decode on H200, KV over a 50 GB/s link
 * with α = 10 µs. KV = 2·32·8·128·2048·2 B = 268,435,456 B -> transfer 10 µs + 5.3687 ms =
 * 5.37871 ms. ITL on H200 = (16,060,522,496 + 268,435,456) B / 4.8 TB/s + 320 µs = 3.72187 ms. */
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
    REL(r.itl_s, 3.72186624e-3, 1e-6);
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
    const char *ctx = "version: \"1.0\"\nname: cp\nworkload: {model: Llama3_8B, mode: training, seq_len: 4096, batch_size: 8}\n"
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
