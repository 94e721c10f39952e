/* test_parity.c - parity with upstream MLSys·im (harvard-edge/cs249r_book, folder mlsysim/).
 *
 * One case per upstream test or documented example that pins a number: the upstream file and
 * test are named beside each case, with upstream's value and its tolerance (pytest.approx: rel
 * 1e-6 unless the upstream test states another). Where we differ
 * on purpose the case asserts OUR value, reproduces upstream's from the same inputs with
 * upstream's formula, and the reason is one line in mlsysim/README.md, "Where we differ from
 * upstream". */
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

/* ours vs upstream within upstream's relative tolerance; prints both on failure */
#define PARITY(ours, upstream, rel)                                                               \
    do {                                                                                          \
        double o_ = (ours), u_ = (upstream);                                                      \
        if (!(fabs(o_ - u_) <= (rel) * fabs(u_)))                                                 \
            fprintf(stderr, "%s: ours %.9g, upstream %.9g (rel tol %g)\n", #ours, o_, u_,        \
                    (double)(rel));                                                               \
        assert_true(fabs(o_ - u_) <= (rel) * fabs(u_));                                           \
    } while (0)

/* tests/test_formulas.py :: TestRingAllreduce::test_known_answer, TestTreeAllreduce::
 * test_known_answer, TestAllToAll::test_known_answer. 1 GB over 8 ranks, 50 GB/s, α = 500 ns:
 * ring 2·7/8·0.02 + 14·0.5 µs = 0.035007 s; tree 2·3·0.02 + 6·0.5 µs = 0.120003 s;
 * all-to-all 7/8·0.02 + 7·0.5 µs = 0.0175035 s. Tolerance rel 1e-4. */
static void test_collectives(void **state)
{
    (void)state;
    PARITY(ms_coll_allreduce_ring_s(1e9, 8, 50e9, 500e-9), 0.035007, 1e-4);
    PARITY(ms_coll_allreduce_tree_s(1e9, 8, 50e9, 500e-9), 0.120003, 1e-4);
    PARITY(ms_coll_all_to_all_s(1e9, 8, 50e9, 500e-9), 0.0175035, 1e-4);
    /* TestTreeAllreduce::test_tree_has_more_bandwidth_cost_than_ring */
    assert_true(ms_coll_allreduce_tree_s(1e9, 8, 50e9, 500e-9) > ms_coll_allreduce_ring_s(1e9, 8, 50e9, 500e-9));
}

/* tests/test_formulas.py :: TestYoungDalyInterval::test_known_answer: δ = 60 s, MTBF 50,000 h
 * -> √(2·60·1.8e8) = 146,969.4 s (rel 1e-4). TestMTBFCluster::test_1000_components: 50,000 h /
 * 1000 = 50 h (rel 1e-6). ReliabilityModel (reference §1.17): DGX-H100 node 1/(8/5e4 + 8/1.5e5 +
 * 2/1e5) = 4,285.7 h. TestMTBFCluster::test_correlation_factor (25 h at 0.5) has no counterpart:
 * we model no correlation factor (README, "Where we differ"). */
static void test_reliability(void **state)
{
    (void)state;
    PARITY(ms_rel_young_daly_s(60, 50000 * 3600.0), 146969.4, 1e-4);
    PARITY(ms_rel_cluster_mtbf_h(50000, 1000), 50.0, 1e-6);
    ms_dist_reliability_t r = {0};
    PARITY(ms_rel_node_mtbf_h(&r, 8), 4285.7, 1e-4);
    /* Upstream's goodput is 1 - δ/τ - R/M; ours also charges the half interval of work a failure
     * loses on average: at δ = 60, M = 18,000, R = 300, τ = 1469.69 s the two differ by exactly
     * τ/(2M) = 0.040825 (README, "Where we differ"). */
    ms_checkpoint_result c;
    assert_int_equal(ms_checkpoint_solve(60, 86400, 300, 18000, 0, &c, NULL, 0), 0);
    double upstream_goodput = 1 - 60 / c.interval_s - 300.0 / 18000;
    PARITY(upstream_goodput - c.goodput, c.interval_s / (2 * 18000), 1e-12);
}

/* tests/test_formulas.py :: TestMTBFNode (rel 1e-4): one GPU at 10,000 h -> 10,000 h;
 * ::test_two_identical_gpus_halves_mtbf -> 5,000 h; ::test_mixed_components: 4 GPUs at 10,000 h,
 * 2 NICs at 50,000 h, 2 PSUs at 20,000 h -> 1/(4e-4 + 4e-5 + 1e-4) = 1,851.85 h.
 * TestFailureProbability::test_job_equals_mtbf: 1 - e^-1 = 0.6321 (rel 1e-4). */
static void test_mtbf_node_and_failure(void **state)
{
    (void)state;
    double one[1] = {10000}, n1[1] = {1}, n2[1] = {2};
    PARITY(ms_rel_series_mtbf_h(one, n1, 1), 10000.0, 1e-4);
    PARITY(ms_rel_series_mtbf_h(one, n2, 1), 5000.0, 1e-4);
    ms_dist_reliability_t r = {.accel_mtbf_h = 10000, .nic_mtbf_h = 50000, .psu_mtbf_h = 20000,
                               .nics_per_node = 2, .psus_per_node = 2};
    PARITY(ms_rel_node_mtbf_h(&r, 4), 1851.85, 1e-4);
    PARITY(ms_rel_failure_prob(100 * 3600.0, 100 * 3600.0), 0.6321, 1e-4);
}

/* tests/test_formulas.py :: TestQueueLatencyMMC: λ = 80/s, μ = 10/s, c = 10 -> 0 < ρ < 1 and
 * p99 >= p50 (::test_stable_queue); c = 500, λ = 400, μ = 1 stays finite (::test_large_server_count,
 * log-space Erlang C upstream; ours iterates the Erlang B recursion, which never overflows).
 * ::test_unstable_queue (λ = 100, μ = 10, c = 10) expects ρ = 1 and infinite waits: ours reports
 * ρ = 1 with stable = 0 and no wait figures, since results are strict JSON (no Inf). */
static void test_queue_mmc(void **state)
{
    (void)state;
    ms_tail_result r;
    assert_int_equal(ms_tail_latency(80, 0.1, 10, 1.0, &r, NULL, 0), 0);
    assert_true(r.stable && r.utilization > 0 && r.utilization < 1);
    assert_true(r.p99_latency_s >= r.p50_latency_s);
    assert_int_equal(ms_tail_latency(400, 1.0, 500, 1.0, &r, NULL, 0), 0);
    assert_true(r.stable && r.utilization > 0 && r.utilization < 1);
    assert_true(isfinite(r.p99_wait_s) && r.p99_wait_s >= 0 && isfinite(r.p_wait));
    assert_int_equal(ms_tail_latency(100, 0.1, 10, 1.0, &r, NULL, 0), 0);
    PARITY(r.utilization, 1.0, 1e-12);
    assert_false(r.stable);
}

/* tests/test_formulas.py :: TestPipelineBubble::test_classic_case (P=4, M=8, V=1 -> 3/11) and
 * ::test_interleaved_reduces_bubble (V=4 -> 3/35), rel 1e-4. Our engine's `bubble_fraction`
 * key is bubble time over the whole step; the schedule formula is `bubble_schedule_fraction`. */
static void test_pipeline_bubble(void **state)
{
    (void)state;
    PARITY(ms_bubble_schedule_fraction(4, 8, 1), 3.0 / 11, 1e-4);
    PARITY(ms_bubble_schedule_fraction(4, 8, 4), 3.0 / 35, 1e-4);
    /* ::test_more_microbatches_reduces_bubble */
    assert_true(ms_bubble_schedule_fraction(4, 64, 1) < ms_bubble_schedule_fraction(4, 8, 1));
}

/* The engine reports both bubble figures: tests/test_golden_regressions.py ::
 * test_golden_distributed_llama3_8b_research_cluster (Llama-3-8B, TP 8, PP 4, 16 micro-batches)
 * pins bubble_fraction = 0.15789473684210525 = 3/19 (rel 1e-6); its step time (5088.5 ms) is not
 * compared: our step model is a different, calibrated one (docs/mlsysim-scale.md); our plan
 * with the same schedule (32 H100, tp 8, pp 4, dp 1, batch 16 of micro-batch 1) reports that as
 * `bubble_schedule_fraction`, while `bubble_fraction` stays bubble time over the whole step
 * (which also holds communication and the optimizer), so it is smaller. */
static void test_engine_bubble_keys(void **state)
{
    (void)state;
    static const char y[] =
        "version: \"1.0\"\nname: bubble\nworkload: {model: Llama3_8B, mode: training, seq_len: 2048, batch_size: 16}\n"
        "hardware: {accelerator: DGX_H100, nodes: 4}\nparallelism: {tp: 8, pp: 4, microbatch: 1}\n";
    ms_result r;
    ms_status st = ms_plan_eval_buffer(reg, "bubble.yaml", y, strlen(y), &r);
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    double sched = -1, frac = -1, mb = 0;
    assert_true(ms_result_get(&r, "bubble_schedule_fraction", &sched));
    assert_true(ms_result_get(&r, "bubble_fraction", &frac));
    assert_true(ms_result_get(&r, "microbatches", &mb));
    ms_result_free(&r);
    assert_true(mb == 16);
    PARITY(sched, 0.15789473684210525, 1e-6);
    assert_true(frac > 0 && frac < sched);
}

/* tests/test_formulas.py :: TestKVCacheSize::test_known_answer: 2·32 layers·32 heads·128·2048
 * tokens·2 B = 1 GiB exactly (rel 1e-6); Llama-2-7B has that shape (MHA, 32 x 32 x 128). */
static void test_kv_cache(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama2_7B");
    assert_non_null(m);
    PARITY(ms_kv_cache_bytes(m, 2048, 1, MS_FP16), 1073741824.0, 1e-6);
    /* test_golden_regressions.py :: test_golden_serving_llama3_8b_h100: Llama-3-8B KV at
     * S = 2048 = 0.268435456 GB = 2·32·8·128·2048·2 B (rel 1e-6) */
    PARITY(ms_kv_cache_bytes(ms_registry_model(reg, "Llama3_8B"), 2048, 1, MS_FP16), 0.268435456e9, 1e-6);
}

/* tests/test_golden_regressions.py :: test_golden_roofline_resnet50_a100_batch1 (rel 1e-6):
 * ResNet-50 (8.2 GFLOP, 25.6M params) on A100, B = 1, fp16, η = 0.5: latency 0.5675641025641026 ms,
 * throughput 1761.915518409758/s, weights 0.0512 GB, intensity 145.5965909090909 FLOP/B;
 * ::test_golden_engine_utilization_and_energy_resnet50_a100 (rel 1e-9): MFU 0.046306754009487236,
 * HFU = MFU, energy 0.07546666666666667 J, intensity at B = 32 1220.2380952380952 FLOP/B;
 * ::test_golden_engine_non_transformer_training_memory (rel 1e-6): 25.6e6 x 16 B = 0.4096 GB of
 * weights, gradients and Adam state. Our registry counts ResNet-50 at 25,557,032 parameters
 * (torchvision); upstream rounds to 25.6M, which the case uses. */
static void test_roofline_resnet(void **state)
{
    (void)state;
    ms_model m = *ms_registry_model(reg, "ResNet50");
    m.published_params = m.params = m.params_active = 25.6e6;
    ms_workload w;
    ms_workload_default(&w);
    w.power_saturation = 1.0;                    /* upstream's linear power model */
    ms_eval_result r;
    ms_eval(&m, ms_registry_hardware(reg, "A100"), &w, &r);
    PARITY(r.latency_s, 0.5675641025641026e-3, 1e-6);
    PARITY(r.throughput_per_s, 1761.915518409758, 1e-6);
    PARITY(r.memory_weights_bytes, 0.0512e9, 1e-6);
    PARITY(r.intensity_flop_per_byte, 145.5965909090909, 1e-6);
    PARITY(r.mfu, 0.046306754009487236, 1e-9);
    PARITY(r.hfu, r.mfu, 1e-12);
    PARITY(r.energy_j, 0.07546666666666667, 1e-9);
    assert_true(r.overhead_dominated);
    w.batch_size = 32;
    ms_eval(&m, ms_registry_hardware(reg, "A100"), &w, &r);
    PARITY(r.intensity_flop_per_byte, 1220.2380952380952, 1e-9);
    w.batch_size = 8;
    w.mode = MS_MODE_TRAINING;
    ms_eval(&m, ms_registry_hardware(reg, "A100"), &w, &r);
    PARITY(r.memory_weights_bytes + r.memory_gradients_bytes + r.memory_optimizer_bytes, 0.4096e9, 1e-6);
}

/* tests/test_golden_regressions.py :: test_golden_serving_llama3_8b_h100 (rel 1e-6): Llama-3-8B
 * on H100, S = 2048, B = 1, fp16, η = 0.5: ITL 5.194159837611941 ms, KV 0.268435456 GB, weights
 * 16.060000000000002 GB, total 16.328435456 GB, utilization 0.1900880068540573 (of 80 GiB) — equal
 * with upstream's rounded 8.03e9 parameters, the ITL reproduced with upstream's formula (bytes at
 * the datasheet's 3.35 TB/s + 32 x 10 µs): ours reads HBM at its achievable 0.88 of that
 * (ms_hw_mem_bw; README, "Where we differ"), 5.8588 ms; with the 8,030,261,248 our registry derives from the
 * architecture they move by 3e-5 (checked at 1e-4). TTFT 70.97037058756726 ms differs on purpose: upstream prices prefill as
 * (2·P_total·S + 4·L·a·d·S²)/(peak·η) + dispatch (every parameter incl. the embedding lookup does
 * 2 FLOPs per token; attention bidirectional), we count matmul parameters and causal pairs
 * S(S+1)/2 and charge the per-layer overhead. Upstream's figure is reproduced here from our
 * registry's numbers with its formula, so the inputs agree and only the formula differs. */
static void test_serving_llama(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    ms_serve_input in;
    ms_serve_input_default(&in);
    ms_serve_result r;
    ms_model mr = *m;
    mr.published_params = mr.params = mr.params_active = 8.03e9;   /* upstream's rounded count */
    assert_int_equal(ms_serve(&mr, hw, &in, &r), MS_OK);
    double bytes = r.weights_bytes + r.kv_cache_bytes, tax = m->arch.layers * 10e-6;
    PARITY(bytes / hw->mem_bw_bytes_per_s + tax, 5.194159837611941e-3, 1e-6);
    assert_true(fabs(r.itl_s - (bytes / (0.88 * hw->mem_bw_bytes_per_s) + tax)) <= 1e-12);
    assert_true(fabs(r.itl_s - 5.858818e-3) <= 1e-6 * 5.858818e-3);
    PARITY(r.kv_cache_bytes, 0.268435456e9, 1e-6);
    PARITY(r.weights_bytes, 16.060000000000002e9, 1e-6);
    PARITY(r.memory_bytes, 16.328435456e9, 1e-6);
    PARITY(r.memory_utilization, 0.1900880068540573, 1e-6);
    assert_true(r.feasible);
    double S = 2048, L = m->arch.layers, a = m->arch.heads, d = m->arch.hidden / m->arch.heads;
    double upstream_ttft = (2 * mr.params * S + 4 * L * a * d * S * S) / (989e12 * 0.5) + hw->dispatch_s;
    PARITY(upstream_ttft, 70.97037058756726e-3, 1e-6);
    assert_int_equal(ms_serve(m, hw, &in, &r), MS_OK);
    /* upstream's formula with our derived parameter count, and ours at the achievable rate */
    PARITY((r.weights_bytes + r.kv_cache_bytes) / hw->mem_bw_bytes_per_s + tax, 5.194159837611941e-3, 1e-4);
    assert_true(fabs(r.itl_s - ((r.weights_bytes + r.kv_cache_bytes) / ms_hw_mem_bw(hw) + tax)) <= 1e-12);
    /* ours: 64.7165 ms = (2·7,504,658,432·2048 + 524,288·2048·2049/2)/494.5e12 + 330 µs */
    PARITY(r.ttft_s, 0.06471651048768452, 1e-9);
}

/* tests/test_golden_regressions.py :: test_golden_training_memory_llama3_8b_h100 (rel 1e-6):
 * Llama-3-8B on H100, batch 8, S = 1024, fp16, Adam, selective recompute: weights and gradients
 * 16.060000000000002, optimizer 96.36 GB (16 B/param of upstream's rounded 8.03e9) — equal.
 * Activations 36.507222016 GB (Korthikanti 34·s·b·h per layer) differ on purpose: ours add the fp32
 * logits and loss of the vocabulary layer; upstream's 0.803 GB communication buffers (5 % of the
 * gradients) have no counterpart (README, "Where we differ"). */
static void test_training_memory(void **state)
{
    (void)state;
    ms_model m8 = *ms_registry_model(reg, "Llama3_8B");
    m8.published_params = m8.params = m8.params_active = 8.03e9;
    const ms_model *m = &m8;
    ms_train_config c;
    ms_train_config_default(&c);
    c.micro_batch = 8;
    c.seq_len = 1024;
    c.recompute = MS_RECOMPUTE_SELECTIVE;
    ms_train_memory t;
    ms_training_memory(m, &c, &t);
    PARITY(t.weights_bytes, 16.060000000000002e9, 1e-6);
    PARITY(t.gradients_bytes, 16.060000000000002e9, 1e-6);
    PARITY(t.optimizer_bytes, 96.36e9, 1e-6);
    double upstream_act = 34.0 * 1024 * 8 * 4096 * 32;   /* = 36,507,222,016 B */
    PARITY(upstream_act, 36.507222016e9, 1e-12);
    /* ours = upstream's Korthikanti term + the fp32 logits, 4·s·b·V = 4.20 GB */
    PARITY(t.activations_bytes - 4.0 * 1024 * 8 * m->arch.vocab, upstream_act, 1e-9);
}

/* tests/test_golden_regressions.py :: test_golden_sustainability_and_economics_research_cluster
 * (rel 1e-6; H100 at $25,000): 256 H100, 1 day, MFU 0.45, US_Avg -> IT 2644.992 kWh, total
 * 2962.3910400000004 kWh, 1270.8657561600003 kg CO2e, 5332.303872000001 L; capex
 * 5844.748858447489, energy 355.48692480000005, maintenance 876.7123287671233, TCO
 * 7076.948112014612 USD. */
static void test_sustainability_economics(void **state)
{
    (void)state;
    ms_dist_accel_t h100 = { .peak_flops = 989e12, .mem_bw_bytes_per_s = 3.35e12, .tdp_w = 700, .unit_cost_usd = 25000 };
    ms_dist_grid_t us = { .name = "US_Avg", .carbon_g_per_kwh = 429, .pue = 1.12, .wue_l_per_kwh = 1.8, .price_usd_per_kwh = 0.12 };
    ms_dist_econ_inputs_t e = { .utilization = 0.45, .power_saturation = 1.0 };   /* upstream's linear power */
    ms_dist_ops_t o;
    assert_int_equal(ms_econ_run(&h100, 256, 86400, 1e9, &us, &e, &o), MS_DIST_OK);
    PARITY(o.energy_it_j / 3.6e6, 2644.992, 1e-6);
    PARITY(o.energy_j / 3.6e6, 2962.3910400000004, 1e-6);
    PARITY(o.carbon_kg, 1270.8657561600003, 1e-6);
    PARITY(o.water_l, 5332.303872000001, 1e-6);
    PARITY(o.capex_usd, 5844.748858447489, 1e-6);
    PARITY(o.energy_cost_usd, 355.48692480000005, 1e-6);
    PARITY(o.maintenance_usd, 876.7123287671233, 1e-6);
    PARITY(o.energy_cost_usd + o.maintenance_usd, 1232.1992535671234, 1e-6);
    PARITY(o.cost_usd, 7076.948112014612, 1e-6);
    /* ours (README "Where we differ"): the power limit is reached at MFU 0.5, so at 0.45 an H100
     * draws 700·(0.3 + 0.7·0.9) = 651 W, not upstream's 700·(0.3 + 0.7·0.45) = 430.5 W:
     * IT energy 256 · 651 W · 24 h = 3,999.744 kWh */
    e.power_saturation = 0;
    assert_int_equal(ms_econ_run(&h100, 256, 86400, 1e9, &us, &e, &o), MS_DIST_OK);
    PARITY(o.energy_it_j / 3.6e6, 3999.744, 1e-9);
}

/* ScalingModel (reference §1.20, docs/math.qmd): C = 6PD with D = 20P gives P* = √(C/120).
 * tests/test_formulas.py :: TestTransformerTrainingFlops::test_gpt3 pins 6·175e9·300e9 =
 * 3.15e23 (rel 1e-3); at that budget the compute-optimal model is √(3.15e23/120) = 51.2e9
 * parameters and 1.025e12 tokens. */
static void test_chinchilla(void **state)
{
    (void)state;
    double p, d;
    ms_chin_optimal(3.15e23, 20, &p, &d);
    PARITY(6 * p * d, 3.15e23, 1e-3);
    PARITY(p, sqrt(3.15e23 / 120), 1e-9);
    PARITY(d, 20 * sqrt(3.15e23 / 120), 1e-9);
}

/* TailLatencyModel (reference §1.14): the Kingman correction scales waits by (cv²+1)/2; with
 * cv = 1 it is Erlang C. M/M/1 at ρ = 0.5 (λ = 5/s, 0.1 s): P_wait = 0.5 and the q-quantile wait
 * ln(P_wait/(1-q))/(cμ(1-ρ)): p99 = ln 50/5 = 0.782405 s; cv = 0 halves it. */
static void test_tail_latency(void **state)
{
    (void)state;
    ms_tail_result r;
    assert_int_equal(ms_tail_latency(5, 0.1, 1, 1.0, &r, NULL, 0), 0);
    PARITY(r.p_wait, 0.5, 1e-12);
    PARITY(r.p99_wait_s, log(50.0) / 5, 1e-12);
    assert_int_equal(ms_tail_latency(5, 0.1, 1, 0.0, &r, NULL, 0), 0);
    PARITY(r.p99_wait_s, log(50.0) / 10, 1e-12);
}

/* TopologyModel (reference §1.8), 64 nodes: fat-tree β = 1 -> bisection link·N/2 and 4 hops,
 * dragonfly β = 0.85 and 3 hops, 3D torus 0.75·N^(1/3) = 3 hops, ring N/4 = 16 hops — equal.
 * Ring and torus bisection differ on purpose: upstream's β (2/N, 2·N^(-1/3)) gives link and
 * link·N^(2/3); a cut through a ring severs two links and through a k³ torus 2k² links (README). */
static void test_topology(void **state)
{
    (void)state;
    ms_topology_result r;
    double bw = 50e9, N = 64;
    assert_int_equal(ms_topology_eval(MS_TOPO_FAT_TREE, 64, bw, 1, &r, NULL, 0), 0);
    PARITY(r.bisection_bytes_per_s, bw * 1.0 * N / 2, 1e-12);
    PARITY(r.avg_hops, 4, 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_DRAGONFLY, 64, bw, 1, &r, NULL, 0), 0);
    PARITY(r.bisection_bytes_per_s, bw * 0.85 * N / 2, 1e-12);
    PARITY(r.avg_hops, 3, 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_TORUS3D, 64, bw, 1, &r, NULL, 0), 0);
    PARITY(r.avg_hops, 0.75 * cbrt(N), 1e-12);
    PARITY(r.bisection_bytes_per_s, 2 * (bw * 2 * pow(N, -1.0 / 3) * N / 2), 1e-12);
    assert_int_equal(ms_topology_eval(MS_TOPO_RING, 64, bw, 1, &r, NULL, 0), 0);
    PARITY(r.avg_hops, N / 4, 1e-12);
    PARITY(r.bisection_bytes_per_s, 2 * (bw * (2 / N) * N / 2), 1e-12);
}

/* MoERoutingModel (reference §1.7): effective experts min(E, k·f), payload B·S·h·b·k·(f), dispatch
 * payload·(EP-1)/EP — equal. Mixtral-like: 4096 tokens, h 4096, fp16, top-2 of 8, f 1.5, EP 8:
 * payload 4096·4096·2·3 = 100,663,296 B, dispatch 88,080,384 B. */
static void test_moe(void **state)
{
    (void)state;
    ms_moe_a2a_result r;
    assert_int_equal(ms_moe_alltoall(4096, 4096, 2, 2, 8, 1.5, 8, 50e9, 0, &r, NULL, 0), 0);
    PARITY(r.buffer_bytes, 100663296.0, 1e-15);
    PARITY(r.sent_bytes, 88080384.0, 1e-15);
}

/* tests/test_formulas.py :: TestAmdahlsSpeedup::test_classic_case (p 0.9, s 10 -> 5.2632, rel
 * 1e-3), ::test_fully_parallelizable (p 1 -> 10), ::test_no_parallel_portion (p 0 -> 1). */
static void test_amdahl(void **state)
{
    (void)state;
    PARITY(ms_amdahl_speedup(0.9, 10), 5.2632, 1e-3);
    PARITY(ms_amdahl_speedup(1.0, 10), 10.0, 1e-6);
    PARITY(ms_amdahl_speedup(0.0, 1000), 1.0, 1e-6);
}

/* The stand-alone `solve collective` against the same known answers as the fleet model's
 * collectives (tests/test_formulas.py :: TestRingAllreduce / TestTreeAllreduce / TestAllToAll
 * ::test_known_answer, rel 1e-4), and TestHierarchicalAllreduce::
 * test_inter_node_uses_reduced_message: 8 GB over 4 nodes of 8 (300 GB/s, 500 ns inside; 25 GB/s,
 * 5 µs between) beats the same over 4 nodes of 1. Upstream's hierarchical formula (RS inside,
 * ring of M/g across nodes, AG inside, added) gives 2·7/8·8e9/300e9 + 14·0.5 µs +
 * 2·3/4·1e9/25e9 + 6·5 µs = 0.1067 s; ours is the same sum. */
static void test_collective_solver(void **state)
{
    (void)state;
    ms_collective_result r, slow;
    char err[256];
    assert_int_equal(ms_collective(MS_COLLECTIVE_RING, 1e9, 8, 50e9, 500e-9, 8, 50e9, 0, &r, err, sizeof err), 0);
    PARITY(r.time_s, 2 * 7 / 8.0 * (1e9 / 50e9) + 2 * 7 * 500e-9, 1e-4);
    assert_int_equal(ms_collective(MS_COLLECTIVE_TREE, 1e9, 8, 50e9, 500e-9, 8, 50e9, 0, &r, err, sizeof err), 0);
    PARITY(r.time_s, 2 * 3 * (1e9 / 50e9) + 2 * 3 * 500e-9, 1e-4);
    assert_int_equal(ms_collective(MS_COLLECTIVE_ALL_TO_ALL, 1e9, 8, 50e9, 500e-9, 8, 50e9, 0, &r, err, sizeof err), 0);
    PARITY(r.time_s, 7 / 8.0 * (1e9 / 50e9) + 7 * 500e-9, 1e-4);
    assert_int_equal(ms_collective(MS_COLLECTIVE_HIERARCHICAL, 8e9, 32, 300e9, 500e-9, 8, 25e9, 5e-6, &r, err, sizeof err), 0);
    PARITY(r.time_s, 2 * 7 / 8.0 * 8e9 / 300e9 + 14 * 500e-9 + 2 * 3 / 4.0 * 1e9 / 25e9 + 6 * 5e-6, 1e-6);
    assert_int_equal(ms_collective(MS_COLLECTIVE_HIERARCHICAL, 8e9, 4, 300e9, 500e-9, 1, 25e9, 5e-6, &slow, err, sizeof err), 0);
    assert_true(r.time_s < slow.time_s);
}

/* tests/test_golden_regressions.py, the Sustainability and Economics goldens (Research_256 =
 * 32 DGX H100 = 256 H100 at 700 W and $25,000, one day, MFU 0.45, US average grid: PUE 1.12,
 * 429 g/kWh, 1.8 L/kWh, upstream's default $0.12/kWh, 3-year amortisation, 5 % maintenance):
 * IT 2,644.992 kWh, total 2,962.391 kWh, 1,270.866 kg CO2, 5,332.30 L, CapEx 5,844.75,
 * energy 355.49, maintenance 876.71, TCO 7,076.95 USD (rel 1e-6; the cents of the two small
 * figures allow rel 1e-5). The
 * stand-alone `solve tco` with every input given (our plans use the grid's own price instead,
 * see "Where we differ"). */
static void test_tco_golden(void **state)
{
    (void)state;
    ms_tco_input in = {256, 700, 25000, 1, 0.45, 1.12, 429, 1.8, 0.12, 3, 0.05, 1, 0, 1.0}; /* upstream's linear power */
    ms_tco_result r;
    char err[256];
    assert_int_equal(ms_tco(&in, &r, err, sizeof err), 0);
    PARITY(r.it_energy_kwh, 2644.992, 1e-6);
    PARITY(r.total_energy_kwh, 2962.391, 1e-6);
    PARITY(r.co2_kg, 1270.866, 1e-6);
    PARITY(r.water_l, 5332.30, 1e-6);
    PARITY(r.capex_period_usd, 5844.75, 1e-6);
    PARITY(r.energy_usd, 355.49, 1e-5);        /* printed to the cent */
    PARITY(r.maintenance_usd, 876.71, 1e-5);   /* printed to the cent */
    PARITY(r.tco_usd, 7076.95, 1e-6);
}

/* mlsysim/models/data (registry): StateSpace.Mamba_130M (130M params, 260 MFLOP per token, 24
 * layers, d 768, state 16), StateSpace.Mamba_2_8B (2.8B, 5.6 GFLOP, 64 layers, d 2560),
 * GenerativeVision.StableDiffusion_v1_5 (860M, 50 steps, 512x512), Recommendation.DLRM (model size
 * 100 GB, ~25e9 embedding entries). These are registry figures with two significant digits, not
 * tests: we agree within 2 % (5 % for DLRM's round "100 GB"), counting from the architecture.
 * Where we differ on purpose (README, "Where we differ"): the SSM state cache upstream writes
 * L·B·h·state·b, with h = d_model; the scan state lives on the d_inner = 2·d_model channels and
 * the conv keeps d_conv - 1 inputs, L·B·d_inner·(state + d_conv - 1)·b (2.4x upstream's); and
 * upstream's diffusion lowering is ops_per_step x steps with 20 GFLOP per step, which is not a
 * count of the U-Net (ours: every conv, linear and attention of the U-Net at 64x64 latents, x 2
 * with classifier-free guidance, plus the text encoder and the VAE decoder). */
static void test_new_workload_kinds(void **state)
{
    (void)state;
    const ms_model *m130 = ms_registry_model(reg, "Mamba_130M"), *m28 = ms_registry_model(reg, "Mamba_2_8B");
    PARITY(m130->params, 130e6, 0.02);
    PARITY(m130->fwd_flops, 260e6, 0.02);
    PARITY(m28->params, 2.8e9, 0.02);
    PARITY(m28->fwd_flops, 5.6e9, 0.02);
    /* the state of one sequence in fp16: ours vs upstream's L·h·state·b from the same shapes */
    double ours = ms_ssm_state_bytes(m28, 2.0), upstream = 64.0 * 2560 * 16 * 2;
    assert_true(ours == 64.0 * 5120 * (16 + 3) * 2);
    PARITY(ours / upstream, 2.375, 1e-12);
    const ms_model *sd = ms_registry_model(reg, "StableDiffusion_v1_5");
    PARITY(sd->diffusion.unet_params, 860e6, 0.02);
    assert_int_equal(sd->diffusion.steps, 50);
    assert_int_equal(ms_diffusion_image_px(sd), 512);
    /* upstream: 20 GFLOP per step; ours per step (two guidance passes of the U-Net): */
    double step = 2 * sd->diffusion.unet_flops;
    fprintf(stderr, "SD 1.5 per denoising step: ours %.4g FLOP, upstream 2e10 (%.0fx)\n", step, step / 2e10);
    assert_true(step > 20 * 2e10);
    const ms_model *dl = ms_registry_model(reg, "DLRM_DCNv2");
    PARITY(dl->params * 4.0, 100e9, 0.05);
    PARITY(dl->dlrm.embedding_params, 25e9, 0.05);
}

/* tests/test_formulas.py :: TestActivationMemory (rel 1e-6): one layer, S = 1024, B = 1, h = 768,
 * a = 12, fp16: no recompute 34·s·b·h + 5·a·s²·b = 89,653,248 B; selective 34·s·b·h = 26,738,688
 * B; full 2·s·b·h = 1,572,864 B; ::test_precision_scales_relative_to_fp16: fp32 twice fp16;
 * ::test_scales_with_layers: 12 layers twelve times one. Ours is the same Korthikanti per-layer
 * term (memory.c) plus, once per model, the fp32 logits (and under full recompute the one layer
 * being recomputed): the per-layer term is the difference between two depths of GPT-2 small's
 * shape (h 768, a 12). */
static double act_bytes(int layers, ms_recompute rc, ms_precision p)
{
    ms_model m = *ms_registry_model(reg, "GPT2_Small");
    m.arch.layers = layers;
    ms_train_config c;
    ms_train_config_default(&c);
    c.micro_batch = 1;
    c.seq_len = 1024;
    c.recompute = rc;
    c.precision = p;
    ms_train_memory t;
    ms_training_memory(&m, &c, &t);
    return t.activations_bytes;
}

static void test_activation_memory_per_layer(void **state)
{
    (void)state;
    const double s = 1024, h = 768, a = 12;
    PARITY(act_bytes(2, MS_RECOMPUTE_NONE, MS_FP16) - act_bytes(1, MS_RECOMPUTE_NONE, MS_FP16),
           34 * s * h + 5 * a * s * s, 1e-6);
    PARITY(act_bytes(2, MS_RECOMPUTE_SELECTIVE, MS_FP16) - act_bytes(1, MS_RECOMPUTE_SELECTIVE, MS_FP16), 34 * s * h, 1e-6);
    PARITY(act_bytes(2, MS_RECOMPUTE_FULL, MS_FP16) - act_bytes(1, MS_RECOMPUTE_FULL, MS_FP16), 2 * s * h, 1e-6);
    PARITY(act_bytes(2, MS_RECOMPUTE_NONE, MS_FP32) - act_bytes(1, MS_RECOMPUTE_NONE, MS_FP32),
           2 * (34 * s * h + 5 * a * s * s), 1e-6);
    PARITY(act_bytes(13, MS_RECOMPUTE_SELECTIVE, MS_FP16) - act_bytes(1, MS_RECOMPUTE_SELECTIVE, MS_FP16),
           12 * 34 * s * h, 1e-6);
}

/* tests/test_solver_suite.py :: TestContinuousBatchingModel::test_reference_llama3_8b_h100_8k_context
 * (Llama-3-8B on an H100, 8k context, mean request 2,048 tokens, 16-token pages): 65 requests
 * with static reservation, 259 paged (exact), paged fragmentation 0.0038 (abs 5e-4),
 * speedup_vs_static 1.56 (abs 0.01); TestServingCapacityModel::test_shorter_requests_raise_per_
 * replica_capacity pins the same 65 / 259. Upstream draws request lengths from a capped
 * exponential, we take the mean plus half a block; both admit 259. The speedup differs on
 * purpose: ours is 1.47 because our decode step of 259 sequences runs its GEMMs compute-bound
 * (7.9 ms, more than the 5.4 ms of weight reads at the achievable 0.88 of HBM bandwidth) before
 * the KV read, where upstream's ITL counts bytes only (README, "Where we differ"). ::test_fixed_length_requests_make_allocators_coincide
 * (4k context, every request full, pages 16, 64, 2048): paged = static, no waste.
 * ::test_batch_cap_binding_both_allocators_removes_advantage: a cap of 16 binds both. */
static void test_continuous_batching(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    ms_batching_input in = {.max_seq_len = 8192, .mean_seq_len = 2048, .page_tokens = 16, .max_batch = 4096,
                            .precision = MS_FP16, .efficiency = 0.5};
    ms_batching_result r;
    assert_int_equal(ms_continuous_batching(m, hw, &in, &r), MS_OK);
    assert_int_equal(r.static_sequences, 65);
    assert_int_equal(r.paged_sequences, 259);
    assert_true(fabs(r.paged_waste_fraction - 0.0038) <= 5e-4);
    double speedup = r.paged_tokens_per_s / r.static_tokens_per_s;
    PARITY(speedup, 1.4660, 1e-3);
    assert_true(fabs(speedup - 1.56) > 0.01);
    in.max_batch = 16;
    assert_int_equal(ms_continuous_batching(m, hw, &in, &r), MS_OK);
    assert_int_equal(r.paged_sequences, 16);
    assert_int_equal(r.static_sequences, 16);
    PARITY(r.paged_tokens_per_s / r.static_tokens_per_s, 1.0, 1e-12);
    static const int pages[] = {16, 64, 2048};
    for (int i = 0; i < 3; i++) {
        ms_batching_input f = {.max_seq_len = 4096, .mean_seq_len = 4096, .page_tokens = pages[i], .max_batch = 4096,
                               .precision = MS_FP16, .efficiency = 0.5};
        assert_int_equal(ms_continuous_batching(m, hw, &f, &r), MS_OK);
        assert_int_equal(r.paged_sequences, r.static_sequences);
        assert_true(r.paged_waste_fraction == 0.0);
    }
    /* ::test_page_size_matters_when_context_divides_evenly (4k context, mean 1,024): waste grows
     * and capacity falls with the page: 16 < 64 < 2048 */
    double waste_prev = -1;
    long cap_prev = 1L << 40;
    for (int i = 0; i < 3; i++) {
        ms_batching_input f = {.max_seq_len = 4096, .mean_seq_len = 1024, .page_tokens = pages[i], .max_batch = 4096,
                               .precision = MS_FP16, .efficiency = 0.5};
        assert_int_equal(ms_continuous_batching(m, hw, &f, &r), MS_OK);
        assert_true(r.paged_waste_fraction > waste_prev);
        assert_true(i < 2 ? r.paged_sequences <= cap_prev : r.paged_sequences < cap_prev);
        waste_prev = r.paged_waste_fraction;
        cap_prev = r.paged_sequences;
    }
}

/* tests/test_solver_suite.py :: TestCompressionModel (pytest.approx, rel 1e-6): int4 against an
 * fp16 baseline is 4x and saves 75 % (::test_int4_compression_ratio_is_4x_vs_explicit_fp16_baseline),
 * int8 against fp16 2x and 50 % (::test_memory_savings_percentage); against fp32, 16 / 8 / 4 bits
 * are 2x / 4x / 8x (::test_default_baseline_is_fp32: upstream's default baseline is fp32, ours
 * fp16, so the cases name it). ::test_memory_bound_speedup_tracks_baseline_ratio pins batch-1
 * Llama-3-8B decode on an H100 at 4.0x for int4 over fp16: ours is 3.44x because both steps go
 * through the roofline, whose fixed parts (32 layers x 10 us, the fp16 KV cache read) do not
 * shrink; the weight bytes alone shrink exactly 4x (README, "Where we differ"). */
static void test_compression(void **state)
{
    (void)state;
    const ms_model *ll = ms_registry_model(reg, "Llama3_8B"), *rn = ms_registry_model(reg, "ResNet50");
    const ms_hardware *h100 = ms_registry_hardware(reg, "H100"), *a100 = ms_registry_hardware(reg, "A100");
    ms_workload w;
    ms_workload_default(&w);
    ms_compress_result r;
    ms_compress_input c = {.base = MS_FP16, .target = MS_INT4, .sparsity = 0, .prune = MS_PRUNE_NONE};
    ms_compress(ll, h100, &w, &c, &r);
    PARITY(r.compression_ratio, 4.0, 1e-6);
    PARITY(100.0 * (1 - r.weights_after_bytes / r.weights_before_bytes), 75.0, 1e-6);
    PARITY(r.weights_before_bytes, ll->params * 2, 1e-6);
    PARITY(r.speedup, r.latency_before_s / r.latency_after_s, 1e-12);
    PARITY(r.speedup, 3.44, 0.01);
    c.target = MS_INT8;
    ms_compress(rn, a100, &w, &c, &r);
    PARITY(r.compression_ratio, 2.0, 1e-6);
    PARITY(100.0 * (1 - r.weights_after_bytes / r.weights_before_bytes), 50.0, 1e-6);
    static const struct { ms_precision p; double ratio; } fp32[] = {{MS_FP16, 2.0}, {MS_INT8, 4.0}, {MS_INT4, 8.0}};
    for (int i = 0; i < 3; i++) {
        ms_compress_input c32 = {.base = MS_FP32, .target = fp32[i].p, .sparsity = 0, .prune = MS_PRUNE_NONE};
        ms_compress(rn, a100, &w, &c32, &r);
        PARITY(r.compression_ratio, fp32[i].ratio, 1e-6);
    }
}

/* tests/test_solver_suite.py :: TestWeightStreamingModel::test_memory_utilization_is_a_unit_free_ratio
 * (rel 1e-6): Llama-3-8B on a Cerebras CS-3 at S = 8192, B = 512 needs 1.1 x 8192·8·128·2·2·32·512
 * B of KV cache on the wafer and does not fit; the utilization is that over the SRAM. The bytes
 * agree exactly; upstream's registry reads the CS-3's 44 GB of SRAM as 44 GiB, ours as 44 GB
 * (Cerebras's figure), so our utilization is 2^30/10^9 = 1.074 x upstream's. */
static void test_weight_streaming_kv(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *cs3 = ms_registry_hardware(reg, "Cerebras_CS3");
    assert_non_null(cs3);
    ms_serve_input in;
    ms_serve_input_default(&in);
    in.seq_len = 8192;
    in.batch_size = 512;
    ms_weight_stream_result r;
    char err[256];
    assert_int_equal(ms_weight_streaming(m, cs3, &in, cs3->host_bw_bytes_per_s, &r, err, sizeof err), 0);
    double kv = 8192.0 * 8 * 128 * 2 * 2 * 32 * 512;
    PARITY(r.kv_bytes, 1.1 * kv, 1e-6);
    assert_false(r.kv_fits);
    double upstream_util = 1.1 * kv / (44.0 * 1073741824.0);
    PARITY((r.kv_bytes / r.sram_bytes) / upstream_util, 1073741824.0 / 1e9, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collectives),
        cmocka_unit_test(test_reliability),
        cmocka_unit_test(test_mtbf_node_and_failure),
        cmocka_unit_test(test_queue_mmc),
        cmocka_unit_test(test_pipeline_bubble),
        cmocka_unit_test(test_engine_bubble_keys),
        cmocka_unit_test(test_kv_cache),
        cmocka_unit_test(test_roofline_resnet),
        cmocka_unit_test(test_serving_llama),
        cmocka_unit_test(test_training_memory),
        cmocka_unit_test(test_sustainability_economics),
        cmocka_unit_test(test_chinchilla),
        cmocka_unit_test(test_tail_latency),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_moe),
        cmocka_unit_test(test_amdahl),
        cmocka_unit_test(test_collective_solver),
        cmocka_unit_test(test_tco_golden),
        cmocka_unit_test(test_new_workload_kinds),
        cmocka_unit_test(test_activation_memory_per_layer),
        cmocka_unit_test(test_continuous_batching),
        cmocka_unit_test(test_compression),
        cmocka_unit_test(test_weight_streaming_kv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
