/* test_scale_train.c - FLOP and parameter counts, training memory and the training step, against
 * Narayanan et al. 2021 (eq. 3 and Table 1 parameter counts), Korthikanti et al. 2022 and
 * hand-worked pipeline bubbles. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mlsysim/distributed.h"

#define NEAR(a, b, rel) assert_true(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-12)

static ms_dist_model_t gpt(int l, int h, int a)
{
    ms_dist_model_t m = { .layers = l, .hidden = h, .heads = a, .vocab = 51200, .seq_len = 2048,
                          .tied_embeddings = 1, .learned_pos = 1, .biases = 1 };
    return m;
}

/* P = 12lh²(1 + 13/(12h) + (V+s)/(12lh)) (Narayanan 2021 §5.1) and the published sizes. */
static void test_params(void **s)
{
    (void)s;
    int rows[][4] = { {24, 2304, 24, 17}, {40, 6144, 48, 184}, {96, 12288, 96, 1746}, {128, 25600, 160, 10080} };
    for (int i = 0; i < 4; i++) {
        ms_dist_model_t m = gpt(rows[i][0], rows[i][1], rows[i][2]);
        double l = rows[i][0], h = rows[i][1];
        double p = 12 * l * h * h * (1 + 13 / (12 * h) + (51200 + 2048) / (12 * l * h));
        NEAR(ms_dist_params(&m), p, 1e-12);
        assert_true(fabs(ms_dist_params(&m) / 1e9 - rows[i][3] / 10.0) <= 0.05); /* 1.7B, 18.4B, 174.6B, 1008B as printed */
    }
}

/* Published count with full recompute = eq. 3: 96·B·s·l·h²·(1 + s/(6h) + V/(16lh)) (full s²
 * attention square). Our convention is causal: the attention term 96·B·s·l·h²·s/(6h) = 16·B·l·h·s²
 * becomes 16·B·l·h·s(s+1)/2. Model FLOPs (no recompute) are 72/96 of the layer part. 6N counts
 * 6 FLOPs per parameter per token. */
static void test_flops(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(96, 12288, 96);
    double eq3 = ms_dist_megatron_flops(1536, 2048, 96, 12288, 51200);
    NEAR(ms_dist_published_flops(&m, 1536, MS_DIST_RECOMPUTE_FULL), eq3, 1e-12);
    double l = 96, h = 12288, sq = 2048, V = 51200, B = 1536;
    double causal_att = 16 * B * l * h * sq * (sq + 1) / 2, full_att = 16 * B * l * h * sq * sq;
    NEAR(ms_dist_hardware_flops(&m, B, MS_DIST_RECOMPUTE_FULL), eq3 - full_att + causal_att, 1e-12);
    double model = 72 * B * sq * l * h * h + 12 * B * l * h * sq * (sq + 1) / 2 + 6 * B * sq * h * V;
    NEAR(ms_dist_model_flops(&m, 1536), model, 1e-12);
    NEAR(ms_dist_hardware_flops(&m, 1536, MS_DIST_RECOMPUTE_NONE), model, 1e-12);
    /* GPT-3: 6·N·D with N = 174.6e9, D = 300e9 ≈ 3.14e23 (Brown et al. 2020) */
    NEAR(ms_dist_flops_6n(&m, 300e9, 1), 3.14e23, 0.01);
}

/* Model state of plan q at ZeRO 0 (`full` B/param, `grad` of them gradients), ZeRO 1 (the
 * distributed optimizer: `fixed` + (full - fixed)/dp) and ZeRO 3 (full/dp). */
static void state_bytes(const ms_dist_model_t *m, ms_dist_parallel_t q, double P, double grad, double full, double fixed)
{
    ms_dist_memory_t mem;
    q.zero_stage = 0;
    assert_int_equal(ms_dist_train_memory(m, &q, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.gradients_bytes, grad * P, 1e-12);
    NEAR(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes, full * P, 1e-12);
    q.zero_stage = 1;
    assert_int_equal(ms_dist_train_memory(m, &q, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes, (fixed + (full - fixed) / q.dp) * P, 1e-12);
    q.zero_stage = 3;
    assert_int_equal(ms_dist_train_memory(m, &q, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes, full / q.dp * P, 1e-12);
}

/* Korthikanti 2022: one layer, s = 1024, h = 768, a = 12, b = 1, no parallelism:
 * sbh·34 + 5·a·s²·b bytes; selective: 34·sbh; full: 2·sbh (+ one layer's working set). */
static void test_activation_memory(void **s)
{
    (void)s;
    ms_dist_model_t m = { .layers = 1, .hidden = 768, .heads = 12, .vocab = 0, .seq_len = 1024, .biases = 1 };
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .dp = 1, .microbatch = 1, .global_batch = 1 };
    ms_dist_memory_t mem;
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 34.0 * 1024 * 768 + 5.0 * 12 * 1024 * 1024, 1e-12);
    p.recompute = MS_DIST_RECOMPUTE_SELECTIVE;
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 34.0 * 1024 * 768, 1e-12);
    /* TP 4 + SP: sbh·(34/t + 5as/(ht)) */
    p.recompute = MS_DIST_RECOMPUTE_NONE; p.tp = 4; p.sequence_parallel = 1;
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 1024.0 * 768 * (34.0 / 4 + 5.0 * 12 * 1024 / (768.0 * 4)), 1e-12);
    /* the same count for a gated GQA layer without dropout (Llama family): h = 1024, 16 heads, 4 KV
     * heads, FFN 2816, s = 1024: not split by TP 4 + 2 + 2 = 8 (norm, QKV and MLP inputs, no
     * masks); split: Q 2, K and V 4 x 4/16 = 1, projection input 2, gate, up and product 6 x 2.75
     * = 16.5, so 21.5; scores (no flash) 2as/h: softmax output only */
    ms_dist_model_t g = { .layers = 1, .hidden = 1024, .heads = 16, .kv_heads = 4, .ffn = 2816, .gated_ffn = 1,
                          .vocab = 0, .seq_len = 1024 };
    ms_dist_parallel_t gp = { .tp = 1, .pp = 1, .dp = 1, .microbatch = 1, .global_batch = 1 };
    assert_int_equal(ms_dist_train_memory(&g, &gp, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 1024.0 * 1024 * (8.0 + 21.5) + 2.0 * 16 * 1024 * 1024, 1e-12);
    gp.tp = 2;                                                   /* TP without SP: 8 + 21.5/2 */
    assert_int_equal(ms_dist_train_memory(&g, &gp, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 1024.0 * 1024 * (8.0 + 21.5 / 2) + 2.0 * 16 * 1024 * 1024 / 2, 1e-12);
    gp.sequence_parallel = 1;                                    /* TP + SP: everything / 2 */
    assert_int_equal(ms_dist_train_memory(&g, &gp, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.activations_bytes, 1024.0 * 1024 * 29.5 / 2 + 2.0 * 16 * 1024 * 1024 / 2, 1e-12);
    /* model state: 16 B/param mixed-precision Adam; ZeRO-3 over 8 divides all of it by 8 */
    ms_dist_parallel_t q = { .tp = 1, .pp = 1, .dp = 8, .microbatch = 1, .global_batch = 8 };
    assert_int_equal(ms_dist_train_memory(&m, &q, &mem, NULL, 0), MS_DIST_OK);
    double P = ms_dist_params(&m);
    NEAR(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes, 16.0 * P, 1e-12);
    q.zero_stage = 3;
    assert_int_equal(ms_dist_train_memory(&m, &q, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes, 2.0 * P, 1e-12);
    /* Megatron-style mixed precision, fp32 gradients: 18 B/param, and with the distributed optimizer
     * (ZeRO-1) 6 + 12/d, as Megatron-LM's distributed-optimizer documentation tabulates for bf16
     * parameters with fp32 gradients; ZeRO-3 over 8: 18/8 */
    q.grad_bytes_per_param = ms_dist_stack_grad_bytes("H100/NeMo", 0, NULL);
    state_bytes(&m, q, P, 4.0, 18.0, 6.0);
    /* fp16 parameters: fp16 gradients and the optimizer's fp32 copy of them, 20 B/param and 4 + 16/d
     * with the distributed optimizer (the same table's fp16 row); ZeRO-3 over 8: 20/8 */
    double extra = -1;
    q.grad_bytes_per_param = ms_dist_stack_grad_bytes("Megatron-LM", 1, &extra);
    assert_true(q.grad_bytes_per_param == 0.0 && extra == 4.0);
    q.optimizer_bytes_per_param = 12.0 + extra;
    state_bytes(&m, q, P, 2.0, 20.0, 4.0);
    /* which stacks keep fp32 gradients, and what fp16 parameters change */
    assert_true(ms_dist_stack_grad_bytes("A100/Megatron-LM", 0, NULL) == 4.0 && ms_dist_stack_grad_bytes("Megatron-Core", 0, NULL) == 4.0);
    assert_true(ms_dist_stack_grad_bytes("NeMo", 0, NULL) == 4.0 && ms_dist_stack_grad_bytes("mcore", 0, &extra) == 4.0);
    assert_true(extra == 0.0);
    assert_true(ms_dist_stack_grad_bytes("A100/Megatron-DeepSpeed", 0, NULL) == 0.0 && ms_dist_stack_grad_bytes("FSDP", 0, NULL) == 0.0);
    assert_true(ms_dist_stack_grad_bytes("DeepSpeed-ZeRO3", 0, NULL) == 0.0 && ms_dist_stack_grad_bytes("", 0, NULL) == 0.0);
    assert_true(ms_dist_stack_grad_bytes(NULL, 0, NULL) == 0.0);
    /* FP8 casts: separate kernels in the PyTorch-native stacks, fused in the Megatron family */
    assert_true(ms_dist_stack_fp8_separate_casts("H100/llm-foundry") == 1 && ms_dist_stack_fp8_separate_casts("Composer") == 1);
    assert_true(ms_dist_stack_fp8_separate_casts("torchtitan") == 1 && ms_dist_stack_fp8_separate_casts("PyTorch FSDP2") == 1);
    assert_true(ms_dist_stack_fp8_separate_casts("HSDP") == 1);              /* FSDP's hybrid sharding */
    assert_true(ms_dist_stack_fp8_separate_casts("H100/NeMo") == 0 && ms_dist_stack_fp8_separate_casts("Megatron-Core") == 0);
    assert_true(ms_dist_stack_fp8_separate_casts("Megatron-LM FSDP") == 0);   /* Megatron's own FSDP runs TE's modules */
    assert_true(ms_dist_stack_fp8_separate_casts("") == 0 && ms_dist_stack_fp8_separate_casts(NULL) == 0);
    assert_true(ms_dist_stack_fp8_separate_casts("DeepSpeed-ZeRO3") == 0);
    extra = -1;
    assert_true(ms_dist_stack_grad_bytes("FSDP", 1, &extra) == 0.0 && extra == 0.0);   /* ZeRO's 16 B in fp16 too */
    extra = -1;
    assert_true(ms_dist_stack_grad_bytes("A100/Megatron-DeepSpeed", 1, &extra) == 0.0 && extra == 0.0);
}

static ms_dist_accel_t a100(void)
{
    ms_dist_accel_t a = { .peak_flops = 312e12, .mem_bw_bytes_per_s = 2039e9,
                          .mem_capacity_bytes = 80.0 * 1073741824.0, .tdp_w = 400, .efficiency = 0.7 };
    return a;
}

static ms_dist_fabric_t selene(void)
{
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 7e-6 };
    return f;
}

/* Balanced stages (no logit layer, one replica): bubble / (bubble + compute) = (p-1)/(m+p-1);
 * pp 4, m 8: 3/11; interleaved v = 4: 3/35. */
static void test_bubble(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(16, 1024, 16);
    m.vocab = 0;
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 4, .microbatch = 1, .global_batch = 8, .interleave = 1 };
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 4, &t, NULL, 0), MS_DIST_OK);
    assert_int_equal(t.microbatches, 8);
    NEAR(t.bubble_s / (t.bubble_s + t.compute_s), 3.0 / 11.0, 1e-9);
    p.interleave = 4;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 4, &t, NULL, 0), MS_DIST_OK);
    NEAR(t.bubble_s / (t.bubble_s + t.compute_s), 3.0 / 35.0, 1e-9);
}

/* One training step on each of two accelerators (the same model, plan and fabric), both valid. */
static void steps2(const ms_dist_accel_t *a, const ms_dist_accel_t *b, const ms_dist_model_t *m,
                   const ms_dist_parallel_t *p, const ms_dist_fabric_t *f, ms_dist_train_t *ta, ms_dist_train_t *tb)
{
    assert_int_equal(ms_dist_train_step(a, m, p, f, 8, ta, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(b, m, p, f, 8, tb, NULL, 0), MS_DIST_OK);
}

/* The plan of the attention tests: one rank, one micro-batch per step, 8 per batch, flash attention. */
static ms_dist_parallel_t one_rank_plan(void)
{
    return (ms_dist_parallel_t){ .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 8, .interleave = 1,
                                 .flash_attention = 1 };
}

/* Two A100s whose attention runs at 0.5 of peak, a counting the per-score softmax work (224 FLOPs). */
static void score_pair(ms_dist_accel_t *a, ms_dist_accel_t *b)
{
    *a = a100();
    *b = a100();
    a->attn_efficiency = b->attn_efficiency = 0.5;
    a->attn_score_flops = 224.0;
}

/* Shape-dependent efficiency: with the SM count known, GEMMs lose to tile and wave quantization
 * and to the per-tile fixed cost, a small hidden size far more than a large one; memory-bound
 * kernels run at the achievable HBM fraction instead of η. Hand-worked case: h = 1024, tp = 1,
 * T = 2048 tokens, 108 SMs, 128×128 tiles: QKV 16×24 = 384 tiles → 4 waves, 384/432 = 0.889;
 * projection and MLP-out 16×8 = 128 tiles → 2 waves, 0.593; MLP-in 16×32 = 512 → 5 waves, 0.948;
 * K/(K+64) = 0.941 (K = 1024) or 0.985 (K = 4096 for MLP-out). */
static void test_shape_efficiency(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 8, .interleave = 1,
                             .flash_attention = 1 };
    ms_dist_accel_t a = a100(), q = a100();
    q.compute_units = 108;
    q.mem_bw_fraction = 0.88;
    ms_dist_model_t small = gpt(4, 1024, 16), big = gpt(4, 8192, 64);
    small.vocab = big.vocab = 0;
    ms_dist_train_t t0, t1, b0, b1;
    steps2(&a, &q, &small, &p, &f, &t0, &t1);
    steps2(&a, &q, &big, &p, &f, &b0, &b1);
    /* memory-bound kernels: bandwidth 0.88 instead of 0.7 of the datasheet, plus the GEMM
     * epilogues the SM count switches on (4 layers of 18·T·h + 14·T·h + 24·h² bytes, T = 2048;
     * test_gemm_epilogue_bytes) */
    NEAR(t1.memory_bound_s, t0.memory_bound_s * 0.7 / 0.88 + 4 * (32.0 * 2048 * 1024 + 24.0 * 1024 * 1024) / (2039e9 * 0.88), 1e-9);
    /* dense GEMMs of the small model, time-weighted: flops 3h² (QKV), h², 4h², 4h² */
    double qkv = 0.889 * 1024 / 1088.0, proj = 128.0 / 216 * 1024 / 1088.0;
    double up = 512.0 / 540 * 1024 / 1088.0, dn = 128.0 / 216 * 4096 / 4160.0;
    double slow = (3 / qkv + 1 / proj + 4 / up + 4 / dn) / 12.0;  /* time factor of the dense GEMMs */
    /* fused causal attention: 4·h·s(s + 128)/2 forward (the diagonal blocks in full,
     * MS_DIST_ATTN_TILE), 2.5× that in backward (3.5 passes against the
     * dense GEMMs' 3) */
    double score = 2.0 * 2048 * 2176 * 1024, dense = 2.0 * 2048 * 12.0 * 1024 * 1024;
    double expect = (3.0 * dense * slow + 3.5 * score) / (3.0 * dense + 3.5 * score);
    NEAR(t1.matmul_s / t0.matmul_s, expect, 2e-3);
    double r_small = t1.matmul_s / t0.matmul_s, r_big = b1.matmul_s / b0.matmul_s;
    printf("GEMM time factor: h=1024 %.3f, h=8192 %.3f\n", r_small, r_big);
    assert_true(r_small > 1.2 && r_big < 1.05 && r_big >= 1.0);
}

/* A fused attention kernel at its own fraction of peak: forward 4·h·s(s + 128)/2 per sequence (its
 * diagonal blocks of 128 computed in full) and
 * backward 2.5× that (five s×s products against two), at peak·attn_efficiency instead of
 * peak·η. Hand-worked: 4 layers, one micro-batch of 2048 tokens per rank, h = 1024, peak 312
 * TFLOP/s, η 0.7 vs 0.35 for attention. Unfused attention ignores the figure. */
static void test_attention_efficiency(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = one_rank_plan();
    ms_dist_accel_t a = a100(), q = a100();
    q.attn_efficiency = 0.35;
    ms_dist_model_t m = gpt(4, 1024, 16);
    m.vocab = 0;
    ms_dist_train_t t0, t1;
    steps2(&a, &q, &m, &p, &f, &t0, &t1);
    double score = 2.0 * 2048 * 2176 * 1024;                /* forward FLOPs per layer */
    double want = 4 * 3.5 * score * (1.0 / (312e12 * 0.35) - 1.0 / (312e12 * 0.7));
    NEAR(t1.step_time_s - t0.step_time_s, want, 1e-9);
    NEAR(t1.matmul_s - t0.matmul_s, want, 1e-9);
    p.flash_attention = 0;
    steps2(&a, &q, &m, &p, &f, &t0, &t1);
    NEAR(t1.step_time_s, t0.step_time_s, 1e-12);
}

/* The fused attention kernel's non-matmul work per score (attn_score_flops, c): with the figure
 * read at head dimension 128, a pass takes score_flops/peak · (m/E_mm + c/(4·d)), m = 1 forward,
 * 2.5 backward, 1/E_mm = 1/E_ref − c/(7·128). Hand-worked on A100 figures (peak 312 TFLOP/s,
 * E_ref 0.5, c 224: 1/E_mm = 1.75), 4 layers, h = 1024, one micro-batch of 2048 tokens per rank:
 *   d = 128: forward 1.75 + 0.4375, backward 4.375 + 0.4375: 7.0 per score_flops/peak, the old
 *            3.5 × 2 exactly, so the step does not move (without recompute);
 *   d = 64:  forward 1.75 + 0.875, backward 4.375 + 0.875 = 7.875: 0.875 more per layer;
 *   d = 128 with full recompute: one more forward, 2.1875 against 2: 0.1875 more per layer. */
static void test_attention_score_work(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = one_rank_plan();
    ms_dist_accel_t a, b;
    score_pair(&a, &b);
    ms_dist_model_t m128 = gpt(4, 1024, 8), m64 = gpt(4, 1024, 16);
    m128.vocab = m64.vocab = 0;
    double score = 2.0 * 2048 * 2176 * 1024, per = score / 312e12; /* forward FLOPs per layer */
    ms_dist_train_t ta, tb;
    steps2(&a, &b, &m128, &p, &f, &ta, &tb);
    NEAR(ta.step_time_s, tb.step_time_s, 1e-12);
    steps2(&a, &b, &m64, &p, &f, &ta, &tb);
    NEAR(ta.step_time_s - tb.step_time_s, 4 * 0.875 * per, 1e-9);
    NEAR(ta.matmul_s - tb.matmul_s, 4 * 0.875 * per, 1e-9);   /* counted with the attention core */
    p.recompute = MS_DIST_RECOMPUTE_FULL;
    steps2(&a, &b, &m128, &p, &f, &ta, &tb);
    NEAR(ta.step_time_s - tb.step_time_s, 4 * 0.1875 * per, 1e-9);
    /* unfused attention ignores the figure */
    p.recompute = MS_DIST_RECOMPUTE_NONE;
    p.flash_attention = 0;
    steps2(&a, &b, &m64, &p, &f, &ta, &tb);
    NEAR(ta.step_time_s, tb.step_time_s, 1e-12);
}

/* The same term's share of the step falls as the model grows at a fixed head dimension (64): the
 * per-score work grows with the heads (∝ h) while the layer's GEMMs grow with h². */
static void test_attention_score_share(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = one_rank_plan();
    ms_dist_accel_t a, b;
    score_pair(&a, &b);
    int hs[] = { 768, 2048, 4096, 8192 };
    double last = 1.0;
    for (int i = 0; i < 4; i++) {
        ms_dist_model_t m = gpt(8, hs[i], hs[i] / 64);
        ms_dist_train_t ta, tb;
        steps2(&a, &b, &m, &p, &f, &ta, &tb);
        double share = (ta.step_time_s - tb.step_time_s) / ta.step_time_s;
        printf("h = %d: per-score attention work %.2f %% of the step\n", hs[i], 100 * share);
        assert_true(share > 0 && share < last);
        last = share;
    }
}

/* The logit layer and PyTorch's fp32 cross-entropy: 3 GEMM passes of 2·T·h·V FLOPs at peak·η and
 * 40 bytes of HBM traffic per logit (upcast, log_softmax, nll_loss's gradient, log_softmax's
 * backward, downcast). Hand-worked on one A100 (η 0.7 for FLOPs and bytes), T = 2048, h = 1024,
 * V = 50,000, no optimizer state: the step with the vocabulary minus the step without it. */
static void test_cross_entropy_bytes(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    ms_dist_accel_t a = a100();
    ms_dist_model_t m = gpt(2, 1024, 16), m0 = m;
    m.vocab = 50000;
    m0.vocab = 0;
    ms_dist_train_t t, t0;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&a, &m0, &p, &f, 1, &t0, NULL, 0), MS_DIST_OK);
    double T = 2048, V = 50000, h = 1024;
    double want = 3 * 2 * T * h * V / (312e12 * 0.7) + 40 * T * V / (2039e9 * 0.7);
    NEAR(t.step_time_s - t0.step_time_s, want, 1e-9);
}

/* Memory-bound bytes with the shape-dependent GEMM model on (compute_units): halving the HBM
 * bandwidth adds bytes / (bw·hbm_fraction) to the step, so the step difference gives the bytes.
 * Hand-worked for one A100, two GPT layers, h = 1024, T = 2048 tokens, no vocabulary, no
 * optimizer state, flash attention (no score bytes), per layer:
 *   element-wise  forward 2·T·(11h + 2·4h) = 38·T·h, backward 1.5× = 57·T·h
 *   epilogues     forward outputs QKV 3h, projection h, MLP-in 4h, MLP-out h: 2·9·T·h = 18·T·h;
 *                 backward dX h + h + h + 4h: 14·T·h, and dW 2·12h²
 * = 127·T·h + 24·h² bytes per layer (95·T·h without the epilogues). */
static void test_gemm_epilogue_bytes(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    ms_dist_accel_t a = a100(), slow;
    a.compute_units = 108;
    a.mem_bw_fraction = 0.88;
    slow = a;
    slow.mem_bw_bytes_per_s = a.mem_bw_bytes_per_s / 2;
    ms_dist_model_t m = gpt(2, 1024, 16);
    m.vocab = 0;
    ms_dist_train_t t, ts;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&slow, &m, &p, &f, 1, &ts, NULL, 0), MS_DIST_OK);
    double T = 2048, h = 1024;
    double bytes = 2 * (127 * T * h + 24 * h * h);
    NEAR(ts.step_time_s - t.step_time_s, bytes / (2039e9 * 0.88), 1e-9);
    /* without the SM count the epilogues are not counted: 95·T·h per layer */
    a.compute_units = slow.compute_units = 0;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&slow, &m, &p, &f, 1, &ts, NULL, 0), MS_DIST_OK);
    NEAR(ts.step_time_s - t.step_time_s, 2 * 95 * T * h / (2039e9 * 0.88), 1e-9);
}

/* Recompute levels between selective and full, hand-worked on one A100 (η 0.7, no SM count), two
 * GPT layers, h = 1024, T = 2048 tokens, no vocabulary, flash attention, no optimizer state:
 *   full recompute of half the layers: the step halfway between none and full (one GPU: no
 *     collectives), hardware FLOPs + half a forward of the layers; activations per layer half
 *     2·sbh, half the whole 34·sbh, plus one layer's working set 34·sbh: (2·18 + 34)·sbh;
 *   operator-level (torchtitan's selective op): every other matmul, K (h²), the output projection
 *     (h²) and MLP-out (4h²), 2·T·6h² FLOPs at peak·η, and the forward's element-wise passes,
 *     2·T·(11h + 2·4h) bytes at bw·η, per layer; it keeps the input, Q, V, the attention output
 *     (2 B each) and the MLP's first output (2·4 B): 16·sbh per layer + the working set 34·sbh. */
static void test_recompute_levels(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    ms_dist_accel_t a = a100();
    ms_dist_model_t m = gpt(2, 1024, 16);
    m.vocab = 0;
    ms_dist_train_t none, full, half, ops;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &none, NULL, 0), MS_DIST_OK);
    p.recompute = MS_DIST_RECOMPUTE_FULL;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &full, NULL, 0), MS_DIST_OK);
    p.recompute_layer_fraction = 0.5;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &half, NULL, 0), MS_DIST_OK);
    p.recompute_layer_fraction = 0;
    p.recompute = MS_DIST_RECOMPUTE_OPS;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &ops, NULL, 0), MS_DIST_OK);
    double T = 2048, h = 1024, L = 2, sbh = T * h;
    NEAR(half.step_time_s, (none.step_time_s + full.step_time_s) / 2, 1e-12);
    NEAR(half.hardware_flops - none.hardware_flops, (full.hardware_flops - none.hardware_flops) / 2, 1e-12);
    NEAR(none.memory.activations_bytes, L * 34 * sbh, 1e-12);
    NEAR(half.memory.activations_bytes, (L * 18 + 34) * sbh, 1e-12);
    double want = L * (2 * T * 6 * h * h / (312e12 * 0.7) + 2 * T * (11 * h + 8 * h) / (2039e9 * 0.7));
    NEAR(ops.step_time_s - none.step_time_s, want, 1e-9);
    NEAR(ops.hardware_flops - none.hardware_flops, L * 2 * T * 6 * h * h, 1e-12);
    NEAR(ops.memory.activations_bytes, (L * 16 + 34) * sbh, 1e-12);
    /* a fraction outside (0, 1] and an unknown level are refused, naming the field */
    char err[256] = "";
    p.recompute = MS_DIST_RECOMPUTE_FULL;
    p.recompute_layer_fraction = 1.5;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &half, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "recompute_layer_fraction"));
    p.recompute_layer_fraction = 0;
    p.recompute = (ms_dist_recompute_t)4;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &half, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "parallelism.recompute"));
}

/* FP8 linear layers (Transformer Engine's recipe), hand-worked on one A100-like device with a
 * made-up FP8 peak of 2x at η 0.5 (flat η: no SM count, HBM at η), GPT layers of h = 1024, one
 * sequence of 2048 tokens, flash attention, no logit layer, no optimizer: per layer the GEMMs
 * (6·2T·12h² FLOPs over forward and backward, the attention core not among them) move from
 * 312e12·0.7 to 624e12·0.5, and HBM carries the casts: forward (3·1 − 2)·(h + h + 4h) for the
 * norm- and activation-fed inputs + (2 + 2·1)·h for the attention output, backward (2 + 2)·(3h +
 * h + h) for the QKV, projection and MLP-out output gradients + max(0, 2 − 2)·4h for MLP-in's, per
 * token: 30·T·h bytes, and the weights once per step, (2 + 2)·12h² bytes. Weight memory gains
 * 2 B per linear weight (the cast copy and its transpose). */
static void test_fp8_linear(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    ms_dist_accel_t a = a100(), a8 = a100();
    a8.linear_peak_flops = 624e12;
    a8.linear_efficiency = 0.5;
    ms_dist_model_t m = gpt(2, 1024, 16), m8;
    m.vocab = 0;
    m8 = m;
    m8.linear_bytes = 1;
    ms_dist_train_t bf, f8;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &bf, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&a8, &m8, &p, &f, 1, &f8, NULL, 0), MS_DIST_OK);
    double T = 2048, h = 1024, L = 2, BW = 2039e9 * 0.7;
    double gemm = 3 * 2 * T * 12 * h * h;
    double want = L * (gemm / (624e12 * 0.5) - gemm / (312e12 * 0.7) + (30 * T * h + 4 * 12 * h * h) / BW);
    NEAR(f8.step_time_s - bf.step_time_s, want, 1e-9);
    NEAR(f8.memory.weights_bytes - bf.memory.weights_bytes, L * 12 * h * h * 2, 1e-12);
    NEAR(f8.memory.activations_bytes, bf.memory.activations_bytes, 1e-12);   /* kept 16-bit */
    /* the parts still add up; MFU is read against the FP8 peak */
    NEAR(f8.compute_s + f8.dp_comm_s + f8.zero_comm_s + f8.optimizer_s + f8.bubble_s + f8.pp_comm_s + f8.tp_comm_s,
         f8.step_time_s, 1e-9);
    NEAR(f8.mfu, f8.model_flops / f8.step_time_s / 624e12, 1e-12);
    /* te.Linear / Float8Linear (fp8_separate_casts): every GEMM input its own cast, 4 B per element
     * (read 2, write 1 + 1 transposed). Forward QKV-, MLP-in- and MLP-out-inputs 1 B -> 4 B
     * (h + h + 4h elements: +18h), backward MLP-in's output gradient 0 B -> 4 B (4h: +16h):
     * 34·T·h bytes more per layer */
    ms_dist_train_t sep;
    p.fp8_separate_casts = 1;
    assert_int_equal(ms_dist_train_step(&a8, &m8, &p, &f, 1, &sep, NULL, 0), MS_DIST_OK);
    NEAR(sep.step_time_s - f8.step_time_s, L * 34 * T * h / BW, 1e-9);
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &sep, NULL, 0), MS_DIST_OK);
    NEAR(sep.step_time_s, bf.step_time_s, 1e-12);                            /* 16-bit: no casts */
    p.fp8_separate_casts = 0;
    /* the same format as the parameters changes nothing */
    m8.linear_bytes = 2;
    a8.linear_peak_flops = 0;
    a8.linear_efficiency = 0;
    assert_int_equal(ms_dist_train_step(&a8, &m8, &p, &f, 1, &f8, NULL, 0), MS_DIST_OK);
    NEAR(f8.step_time_s, bf.step_time_s, 1e-12);
    /* a linear format wider than the stored one, or an efficiency above 1, is refused */
    char err[256] = "";
    m8.linear_bytes = 4;
    assert_int_equal(ms_dist_train_step(&a8, &m8, &p, &f, 1, &f8, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "linear_bytes"));
    m8.linear_bytes = 1;
    a8.linear_efficiency = 1.5;
    assert_int_equal(ms_dist_train_step(&a8, &m8, &p, &f, 1, &f8, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "linear_efficiency"));
}

/* ZeRO-3 / FSDP HBM work per micro-batch: the full 16-bit gradient copied into the reduce-scatter
 * input (2·2 B per parameter), and per local shard the fp32 master cast to 16 bits before each of
 * the two gathers (2·(4 + 2) B) and the gradient accumulated into fp32 (2 + 4 + 4 B):
 * 4·P + 22·P/dp bytes. Hand-worked on 2 A100 (dp 2), 4 micro-batches, gathers not overlapped:
 * the bandwidth-halving difference of the ZeRO-3 step minus that of the ZeRO-1 step. */
static void test_fsdp_copy_bytes(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 8, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1, .zero_stage = 3 };
    ms_dist_accel_t a = a100(), slow;
    a.mem_bw_fraction = 0.88;
    slow = a;
    slow.mem_bw_bytes_per_s = a.mem_bw_bytes_per_s / 2;
    ms_dist_model_t m = gpt(2, 1024, 16);
    ms_dist_train_t t3, t3s, t1, t1s;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 2, &t3, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&slow, &m, &p, &f, 2, &t3s, NULL, 0), MS_DIST_OK);
    p.zero_stage = 1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 2, &t1, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&slow, &m, &p, &f, 2, &t1s, NULL, 0), MS_DIST_OK);
    assert_int_equal(t3.microbatches, 4);
    double P = ms_dist_params(&m);
    double want = 4 * (4 * P + 22 * P / 2) / (2039e9 * 0.88);
    NEAR((t3s.step_time_s - t3.step_time_s) - (t1s.step_time_s - t1.step_time_s), want, 1e-9);
    /* the copies are memory-bound compute: the breakdown still adds up */
    NEAR(t3.compute_s + t3.dp_comm_s + t3.zero_comm_s + t3.optimizer_s + t3.bubble_s + t3.pp_comm_s
         + t3.tp_comm_s, t3.step_time_s, 1e-9);
}

/* Physical directions: recompute costs time and saves memory; ZeRO-3 saves memory; more network
 * bandwidth never slows a step; MFU ≤ HFU ≤ 1; bad inputs name their field. */
static void test_step_properties(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(96, 12288, 96);
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 8, .pp = 12, .microbatch = 1, .global_batch = 1536, .interleave = 1,
                             .recompute = MS_DIST_RECOMPUTE_FULL };
    ms_dist_train_t full, none;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 384, &full, NULL, 0), MS_DIST_OK);
    assert_true(full.fits);
    assert_true(full.mfu < full.hfu && full.hfu < 1.0);
    NEAR(full.hfu / full.mfu, ms_dist_hardware_flops(&m, 1536, MS_DIST_RECOMPUTE_FULL) / ms_dist_model_flops(&m, 1536), 1e-12);
    p.recompute = MS_DIST_RECOMPUTE_NONE;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 384, &none, NULL, 0), MS_DIST_OK);
    assert_true(none.step_time_s < full.step_time_s);
    assert_true(none.memory.activations_bytes > full.memory.activations_bytes);
    NEAR(none.tokens_per_s, 1536.0 * 2048 / none.step_time_s, 1e-12);

    ms_dist_fabric_t g = f;
    g.inter_bw_bytes_per_s *= 4;
    ms_dist_train_t fast;
    p.recompute = MS_DIST_RECOMPUTE_FULL;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &g, 384, &fast, NULL, 0), MS_DIST_OK);
    assert_true(fast.step_time_s <= full.step_time_s);

    /* 175B on 64 GPUs without model parallelism does not fit without ZeRO-3 */
    ms_dist_parallel_t z = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 64, .recompute = MS_DIST_RECOMPUTE_FULL };
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 64, &t, NULL, 0), MS_DIST_OK);
    assert_false(t.fits);
    z.zero_stage = 3;
    ms_dist_train_t t3;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 64, &t3, NULL, 0), MS_DIST_OK);
    assert_true(t3.memory.total_bytes < t.memory.total_bytes);
    assert_true(t3.zero_comm_s > 0);

    char err[256] = "";
    p.global_batch = 1002; /* not a multiple of dp·b = 4 */
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 384, &t, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "global_batch"));
    p.global_batch = 1536; p.tp = 3;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 384, &t, err, sizeof err), MS_DIST_EINVAL);
}

/* The parts of a step add up to it (the --breakdown invariant), with ZeRO-3 gathers and a DP
 * reduction overlapped with compute. Overlapped compute loses MS_DIST_NCCL_SMS of the 108 SMs, so
 * while the communication M is shorter than the compute C the exposed time is at least 24/108 of
 * M (f·M, f >= 24/108 since the remaining SMs also lose to wave quantization) instead of 0; the
 * interference is the exposed time beyond max(M - C, 0). Without the SM count (f = 0) and without
 * overlap there is no interference. */
static double parts_sum(const ms_dist_train_t *t)
{
    return t->compute_s + t->tp_comm_s + t->ep_comm_s + t->cp_comm_s + t->bubble_s + t->pp_comm_s +
           t->dp_comm_s + t->zero_comm_s + t->optimizer_s + t->host_wait_s;
}

/* MPT-1B-like (24 layers, h 2048) on 16 A100 with their SM count, ZeRO-3 overlapped with compute */
typedef struct { ms_dist_model_t m; ms_dist_accel_t a; ms_dist_fabric_t f; ms_dist_parallel_t z; } zero3_16_t;

static zero3_16_t zero3_16(int microbatch, int global_batch)
{
    zero3_16_t c = { .m = gpt(24, 2048, 16), .a = a100(), .f = selene(),
                     .z = { .tp = 1, .pp = 1, .microbatch = microbatch, .global_batch = global_batch, .interleave = 1,
                            .zero_stage = 3, .overlap_dp = 1, .flash_attention = 1 } };
    c.a.compute_units = 108;
    return c;
}

static void test_overlap_interference(void **s)
{
    (void)s;
    zero3_16_t c = zero3_16(8, 128);
    ms_dist_model_t m = c.m;
    ms_dist_accel_t a = c.a;
    ms_dist_fabric_t f = c.f;
    ms_dist_parallel_t z = c.z;
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &t, NULL, 0), MS_DIST_OK);
    NEAR(parts_sum(&t), t.step_time_s, 1e-9);
    double M = t.zero_comm_total_s / t.microbatches, C = t.compute_s / t.microbatches;
    printf("ZeRO-3: per micro-batch comm %.4g s, compute %.4g s, exposed %.4g s, interference %.4g s\n", M, C,
           t.zero_comm_s / t.microbatches, t.overlap_interference_s / t.microbatches);
    assert_true(M < C);                                          /* the case the factor matters in */
    assert_true(t.zero_comm_s >= 24.0 / 108.0 * t.zero_comm_total_s * (1 - 1e-9));
    NEAR(t.overlap_interference_s, t.zero_comm_s, 1e-9);         /* all exposure is interference */
    /* unknown SM count: no interference, the collective hides entirely */
    ms_dist_accel_t b = a100();
    ms_dist_train_t u;
    assert_int_equal(ms_dist_train_step(&b, &m, &z, &f, 16, &u, NULL, 0), MS_DIST_OK);
    assert_true(u.overlap_interference_s == 0.0 && u.zero_comm_s == 0.0);
    /* no overlap: everything exposed, nothing counted as interference */
    z.overlap_dp = 0;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &t, NULL, 0), MS_DIST_OK);
    NEAR(t.zero_comm_s, t.zero_comm_total_s, 1e-12);
    assert_true(t.overlap_interference_s == 0.0);
    NEAR(parts_sum(&t), t.step_time_s, 1e-9);
    /* data parallel (ZeRO-0) reduction overlapped with the last backward */
    ms_dist_parallel_t d = { .tp = 1, .pp = 1, .microbatch = 8, .global_batch = 128, .interleave = 1,
                             .overlap_dp = 1, .flash_attention = 1 };
    assert_int_equal(ms_dist_train_step(&a, &m, &d, &f, 16, &t, NULL, 0), MS_DIST_OK);
    NEAR(parts_sum(&t), t.step_time_s, 1e-9);
    assert_true(t.dp_comm_s >= 24.0 / 108.0 * t.dp_comm_total_s * (1 - 1e-9));
    assert_true(t.overlap_interference_s > 0 && t.overlap_interference_s <= t.dp_comm_s * (1 + 1e-12));
}

/* A micro-batch that does not divide a replica's sequences leaves a shorter last one (Composer,
 * llm-foundry's trainer, runs it so): 16 GPUs of ZeRO-3, 10 sequences per replica in micro-batches
 * of 4 are 4 + 4 + 2. The step lies between the whole-micro-batch steps of 8 and 12 sequences;
 * every micro-batch gathers and reduces the whole model, the short one too (3 of them); the
 * token-proportional work is 2.5 micro-batches' worth; the breakdown still adds up; a batch of
 * fewer sequences than the micro-batch runs as one micro-batch of that size. A pipeline needs
 * whole micro-batches, and every replica the same number of sequences. */
static void test_short_last_microbatch(void **s)
{
    (void)s;
    zero3_16_t c = zero3_16(4, 160);
    ms_dist_parallel_t z = c.z;
    ms_dist_train_t t, lo, hi, one;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &z, &c.f, 16, &t, NULL, 0), MS_DIST_OK);
    assert_int_equal(t.microbatches, 3);
    NEAR(parts_sum(&t), t.step_time_s, 1e-9);
    z.global_batch = 128;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &z, &c.f, 16, &lo, NULL, 0), MS_DIST_OK);
    z.global_batch = 192;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &z, &c.f, 16, &hi, NULL, 0), MS_DIST_OK);
    assert_true(lo.microbatches == 2 && hi.microbatches == 3);
    assert_true(lo.step_time_s < t.step_time_s && t.step_time_s < hi.step_time_s);
    NEAR(t.zero_comm_total_s, hi.zero_comm_total_s, 1e-12);         /* three gathers and reductions */
    NEAR(t.tokens_per_s * t.step_time_s, 160.0 * 2048, 1e-12);
    /* the kernels: 2.5 micro-batches' worth of the token-proportional work and three of the FSDP
     * copies, so more than 2.5/3 of the three whole micro-batches' and less than all of them */
    assert_true(t.compute_s > 2.5 / 3.0 * hi.compute_s && t.compute_s < hi.compute_s);
    /* fewer sequences than the micro-batch: one micro-batch of them */
    z.global_batch = 48;                                           /* 3 per replica */
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &z, &c.f, 16, &t, NULL, 0), MS_DIST_OK);
    z.microbatch = 3;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &z, &c.f, 16, &one, NULL, 0), MS_DIST_OK);
    assert_int_equal(t.microbatches, 1);
    assert_true(t.step_time_s == one.step_time_s && t.memory.total_bytes == one.memory.total_bytes);
    /* refused: a pipeline with a short micro-batch, replicas of unequal batches */
    char err[256] = "";
    ms_dist_parallel_t q = z;
    q.pp = 2; q.microbatch = 4; q.global_batch = 80;              /* dp 8, 10 per replica */
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 16, &t, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "every micro-batch must be whole"));
    q.pp = 1; q.global_batch = 161;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 16, &t, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "not a multiple of dp = 16"));
    /* the rule itself, shared with the plan loader: which one a batch breaks */
    assert_int_equal(ms_dist_batch_rule(80, 8, 4, 1), MS_DIST_BATCH_OK);              /* a short last micro-batch */
    assert_int_equal(ms_dist_batch_rule(80, 8, 4, 2), MS_DIST_BATCH_PARTIAL_MICROBATCH);
    assert_int_equal(ms_dist_batch_rule(96, 8, 4, 2), MS_DIST_BATCH_OK);
    assert_int_equal(ms_dist_batch_rule(161, 16, 1, 1), MS_DIST_BATCH_NOT_PER_REPLICA);
    assert_int_equal(ms_dist_batch_rule(0, 1, 1, 1), MS_DIST_BATCH_NOT_PER_REPLICA);
    assert_int_equal(ms_dist_batch_rule(8, 0, 1, 1), MS_DIST_BATCH_NOT_PER_REPLICA);
    assert_int_equal(ms_dist_batch_rule(16, 8, 0, 2), MS_DIST_BATCH_OK);                /* micro-batch 0 = 1 */
}

/* The two GPT layers of the TP tests below (h = 1024, 16 heads, no vocabulary) on 2 A100 of one
 * node, TP 2, one micro-batch of 2048 tokens, flash attention, no optimizer state. */
typedef struct { ms_dist_model_t m; ms_dist_accel_t a; ms_dist_fabric_t f; ms_dist_parallel_t p; } tp_pair_t;

static tp_pair_t tp_pair(void)
{
    tp_pair_t c = { .m = gpt(2, 1024, 16), .a = a100(), .f = selene(),
                    .p = { .tp = 2, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                           .flash_attention = 1, .optimizer_bytes_per_param = -1 } };
    c.m.vocab = 0;
    return c;
}

/* Tensor-parallel communication overlapped with the layer's GEMMs (tp_comm_overlap), hand-worked
 * on 2 A100 of one node (TP 2, dp 1), two GPT layers, h = 1024, T = 2048 tokens, no recompute, no
 * SM count (the GEMMs at peak·η), no vocabulary, no optimizer state. Per layer:
 *   M = 2 passes × 2 all-reduces of T·h·2 B over 2 ranks: 4·(T·h·2/bw + 2α + 9.55 µs), bw = 300 GB/s
 *       × 0.80, 9.55 µs the base latency of a collective (MS_NCCL_LL_BASE_LATENCY_S)
 *   C = forward + backward GEMMs of the linear layers: 3 × 2·T·12h²/2 / (312 TFLOP/s × 0.7)
 * With overlap the exposed TP time is max(0, M − C) per layer; without it, M. The NVLink of 300 GB/s
 * hides M entirely (M < C); at 1 GB/s M > C and M − C is left. Without the flag nothing changes. */
static void test_tp_comm_overlap(void **s)
{
    (void)s;
    tp_pair_t c = tp_pair();
    double T = 2048, h = 1024;
    double C = 3.0 * 2.0 * T * 12.0 * h * h / 2.0 / (312e12 * 0.7);
    for (int k = 0; k < 2; k++) {
        double bw = k == 0 ? 300e9 : 1e9;
        c.f.intra_bw_bytes_per_s = bw;
        double M = 4.0 * (T * h * 2.0 / (bw * 0.80) + 2.0 * 0.5e-6 + MS_NCCL_LL_BASE_LATENCY_S);
        ms_dist_train_t t0, t1, tz;
        c.p.tp_comm_overlap = 0;
        assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t0, NULL, 0), MS_DIST_OK);
        c.p.tp_comm_overlap = 1;
        assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t1, NULL, 0), MS_DIST_OK);
        NEAR(t0.tp_comm_s, 2.0 * M, 1e-9);                          /* no overlap: all exposed */
        NEAR(t0.tp_comm_total_s, t0.tp_comm_s, 1e-12);
        NEAR(t1.tp_comm_total_s, 2.0 * M, 1e-9);
        double exposed = M > C ? M - C : 0.0;
        if (k == 0) assert_true(M < C); else assert_true(M > C);
        NEAR(t1.tp_comm_s, 2.0 * exposed, 1e-9);
        NEAR(t0.step_time_s - t1.step_time_s, 2.0 * (M - exposed), 1e-9);
        NEAR(t1.compute_s, t0.compute_s, 1e-9);                     /* the kernels are unchanged */
        NEAR(parts_sum(&t1), t1.step_time_s, 1e-9);
        /* TP 1: no TP collective, the flag changes nothing */
        ms_dist_parallel_t q = c.p;
        q.tp = 1;
        assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 1, &tz, NULL, 0), MS_DIST_OK);
        q.tp_comm_overlap = 0;
        assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 1, &t1, NULL, 0), MS_DIST_OK);
        NEAR(tz.step_time_s, t1.step_time_s, 1e-12);
    }
}

/* A MoE layer's tensor-parallel collectives (train_step.c, "MoE TP"), hand-worked on the two
 * layers of test_tp_comm_overlap made mixtures of 8 experts of FFN 4h, top 2 (TP 2, no sequence
 * parallelism, the GEMMs at peak·η). Per layer:
 *   attention   2 passes × 1 all-reduce of T·h·2 B:  M_a = 2·(T·h·2/(bw·0.80) + 2α + 9.55 µs)
 *   experts     the dispatcher's, 2 passes × 1 of the k = 2 copies: M_e = 2·(2·T·h·2/(bw·0.80) + 2α + 9.55 µs)
 *   C_a         the attention's linear GEMMs (QKV and projection, 4h² a token), forward + backward:
 *               3 × 2·T·4h²/2 / (312 TFLOP/s × 0.7)
 * Without overlap both are exposed; with tp_comm_overlap the attention's hide under C_a (M_a < C_a
 * on 300 GB/s NVLink) and the experts' stay: the dense layers of the same active FLOPs hide all. */
static void test_moe_tp_collectives(void **s)
{
    (void)s;
    tp_pair_t c = tp_pair();
    c.m.experts = 8;
    c.m.top_k = 2;
    double T = 2048, h = 1024, bw = 300e9;
    double lat = 2.0 * 0.5e-6 + MS_NCCL_LL_BASE_LATENCY_S;
    double Ma = 2.0 * (T * h * 2.0 / (bw * 0.80) + lat), Me = 2.0 * (2.0 * T * h * 2.0 / (bw * 0.80) + lat);
    double Ca = 3.0 * 2.0 * T * 4.0 * h * h / 2.0 / (312e12 * 0.7);
    assert_true(Ma < Ca);
    ms_dist_train_t t0, t1, dense;
    c.p.tp_comm_overlap = 0;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t0, NULL, 0), MS_DIST_OK);
    c.p.tp_comm_overlap = 1;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t1, NULL, 0), MS_DIST_OK);
    NEAR(t0.tp_comm_s, 2.0 * (Ma + Me), 1e-9);
    NEAR(t1.tp_comm_total_s, 2.0 * (Ma + Me), 1e-9);
    NEAR(t1.tp_comm_s, 2.0 * Me, 1e-9);
    NEAR(parts_sum(&t1), t1.step_time_s, 1e-9);
    /* Megatron's async backward (tp_async_grad) hides part of the attention's collectives only:
     * the exposed time lies between the dispatcher's and everything */
    ms_dist_train_t ta;
    c.p.tp_comm_overlap = 0;
    c.p.tp_async_grad = 1;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &ta, NULL, 0), MS_DIST_OK);
    NEAR(ta.tp_comm_total_s, 2.0 * (Ma + Me), 1e-9);
    assert_true(ta.tp_comm_s >= 2.0 * Me - 1e-12 && ta.tp_comm_s < t0.tp_comm_s);
    c.p.tp_async_grad = 0;
    tp_pair_t d = tp_pair();                                     /* FFN 8h: the same GEMM FLOPs */
    d.m.ffn = 8 * 1024;
    d.p.tp_comm_overlap = 1;
    assert_int_equal(ms_dist_train_step(&d.a, &d.m, &d.p, &d.f, 2, &dense, NULL, 0), MS_DIST_OK);
    NEAR(dense.compute_s, t1.compute_s, 1e-9);
    NEAR(dense.tp_comm_s, 0.0, 1e-15);
}

/* The experts' all-to-all over the expert-parallel group as Megatron-Core forms it (train_step.c,
 * "EP"): ep consecutive ranks of the data-parallel group with CP, tp apart. On 16 GPUs of 8-GPU
 * nodes at TP 2, CP 2, EP 4 the group is 4 ranks 2 apart, all in one node (where one rank a
 * replica, tp·cp = 4 apart, would span two): per layer and pass 2 all-to-alls of the k copies of
 * the rank's T/tp tokens (sequence parallelism), as ms_coll_time_s gives them on those ranks. */
static void test_moe_ep_group(void **s)
{
    (void)s;
    tp_pair_t c = tp_pair();
    c.m.experts = 8;
    c.m.top_k = 2;
    c.p.cp = 2;
    c.p.ep = 4;
    c.p.sequence_parallel = 1;
    c.p.global_batch = 4;                                          /* dp 4, one sequence each */
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 16, &t, NULL, 0), MS_DIST_OK);
    ms_dist_fabric_t fab;
    ms_dist_fabric_achievable(&c.f, &fab);
    double T = 2048.0 / 2, bytes = T * 1024 * 2.0 * 2 / 2;        /* T = s/cp tokens, k = 2, /tp */
    double a2a = ms_coll_time_s(MS_COLL_ALL_TO_ALL, bytes, 4, 2, &fab);
    NEAR(t.ep_comm_s, 2.0 * 2.0 * 2.0 * a2a, 1e-9);                /* 2 layers, 2 passes, 2 each */
    assert_true(a2a < ms_coll_time_s(MS_COLL_ALL_TO_ALL, bytes, 4, 4, &fab));   /* across nodes */
}

/* Each expert's GEMMs in the shape model (train_step.c, "MoE TP"): two experts, top 1, one on each
 * of 2 ranks (ep 2, dp 2): each expert takes ep·T·k/E = T rows, the dense MLP's shape, and its
 * rank holds one expert's weights, as a dense rank holds its MLP's, so on an H100 of 132 SMs the
 * kernels (GEMMs at their tile and wave quantization, their output writes, the element-wise work)
 * take what the dense layers' take; without an SM count too. */
static void test_moe_expert_shapes(void **s)
{
    (void)s;
    for (int units = 0; units <= 132; units += 132) {
        tp_pair_t c = tp_pair(), d = tp_pair();
        c.a.compute_units = d.a.compute_units = units;
        c.p.tp = d.p.tp = 1;
        c.p.global_batch = d.p.global_batch = 2;
        c.m.experts = 2;
        c.m.top_k = 1;
        c.p.ep = 2;
        ms_dist_train_t moe, dense;
        assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &moe, NULL, 0), MS_DIST_OK);
        assert_int_equal(ms_dist_train_step(&d.a, &d.m, &d.p, &d.f, 2, &dense, NULL, 0), MS_DIST_OK);
        NEAR(moe.compute_s, dense.compute_s, 1e-9);
        assert_true(moe.ep_comm_s > 0);
    }
}

/* ZeRO's shards of a mixture of experts (memory.c): a layer of h = 1024 (attention 4h² + 4h of
 * norms and a router of 8h, dense) and 8 experts of a GeLU MLP 4h (8h² each) on dp 8: with ep 1
 * every rank holds all 8 experts and ZeRO-1 shards the optimizer state of everything over the 8
 * ranks; with ep 8 a rank holds one expert, and no other rank holds it, so its 12 B per
 * parameter stay whole while the dense part's are shared by 8. */
static void test_moe_zero_shards(void **s)
{
    (void)s;
    double h = 1024, dense = 4.0 * h * h + 4.0 * h + 8.0 * h, expert = 8.0 * h * h;
    ms_dist_model_t m = { .layers = 1, .hidden = 1024, .heads = 16, .vocab = 0, .seq_len = 1024, .experts = 8, .top_k = 2 };
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .dp = 8, .ep = 1, .microbatch = 1, .global_batch = 8, .zero_stage = 1 };
    ms_dist_memory_t mem;
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.optimizer_bytes, 12.0 * (dense + 8.0 * expert) / 8.0, 1e-12);
    NEAR(mem.gradients_bytes, 2.0 * (dense + 8.0 * expert), 1e-12);
    p.ep = 8;
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.optimizer_bytes, 12.0 * (dense / 8.0 + expert), 1e-12);
    p.zero_stage = 3;                                   /* weights and gradients alike */
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.weights_bytes, 2.0 * (dense / 8.0 + expert), 1e-12);
    NEAR(mem.gradients_bytes, 2.0 * (dense / 8.0 + expert), 1e-12);
    p.ep = 4;                                           /* two ranks hold each expert */
    assert_int_equal(ms_dist_train_memory(&m, &p, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.weights_bytes, 2.0 * (dense / 8.0 + 2.0 * expert / 2.0), 1e-12);
}

/* The fused attention kernel (attention_kernel), hand-worked on two GPT layers (h = 1024, 16
 * heads, no vocabulary) on one A100, one micro-batch of 2048 tokens, attention at 0.5 of peak, no
 * SM count, no per-score work: the causal core's forward runs 2·T·(s + 128)·h FLOPs (its diagonal
 * blocks in full) and its backward 2.5 times that, so a layer's attention takes
 * 3.5 · 2·T·(s + 128)·h / (312 TFLOP/s · 0.5). FlashAttention-1 takes twice as long
 * (MS_DIST_FLASH1_SPEED 0.5): the step grows by that time per layer and nothing else moves; with
 * full recompute the recomputed forward doubles as well; without flash attention the field is not
 * read. */
static void test_attention_kernel(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(2, 1024, 16);
    m.vocab = 0;
    ms_dist_accel_t a = a100();
    a.attn_efficiency = 0.5;
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 1, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    double T = 2048, att = 3.5 * 2.0 * T * (2048.0 + MS_DIST_ATTN_TILE) * 1024.0 / (312e12 * 0.5);
    for (int rc = 0; rc < 2; rc++) {
        p.recompute = rc ? MS_DIST_RECOMPUTE_FULL : MS_DIST_RECOMPUTE_NONE;
        double per_layer = rc ? att * (1.0 + 1.0 / 3.5) : att;       /* + the recomputed forward */
        ms_dist_train_t t2, t1;
        p.attention_kernel = MS_DIST_ATTN_FLASH2;
        assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t2, NULL, 0), MS_DIST_OK);
        p.attention_kernel = MS_DIST_ATTN_FLASH1;
        assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t1, NULL, 0), MS_DIST_OK);
        NEAR(t1.step_time_s - t2.step_time_s, 2.0 * per_layer * (1.0 / MS_DIST_FLASH1_SPEED - 1.0), 1e-9);
        NEAR(t1.matmul_s - t2.matmul_s, t1.step_time_s - t2.step_time_s, 1e-9);
        NEAR(t1.memory_bound_s, t2.memory_bound_s, 1e-12);
        NEAR(parts_sum(&t1), t1.step_time_s, 1e-9);
    }
    /* unfused attention: the kernel is not read */
    ms_dist_train_t u2, u1;
    p.flash_attention = 0;
    p.attention_kernel = MS_DIST_ATTN_FLASH2;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &u2, NULL, 0), MS_DIST_OK);
    p.attention_kernel = MS_DIST_ATTN_FLASH1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &u1, NULL, 0), MS_DIST_OK);
    NEAR(u1.step_time_s, u2.step_time_s, 1e-15);
    /* names */
    int k = -1;
    assert_string_equal(ms_dist_attn_kernel_name(MS_DIST_ATTN_FLASH1), "flash1");
    assert_string_equal(ms_dist_attn_kernel_name(MS_DIST_ATTN_FLASH2), "flash2");
    assert_int_equal(ms_dist_attn_kernel_parse("fa1", &k), 0);
    assert_int_equal(k, MS_DIST_ATTN_FLASH1);
    assert_int_equal(ms_dist_attn_kernel_parse("flash3", &k), -1);
}

/* How the optimizer step reaches HBM (optimizer_impl), hand-worked on two GPT layers on one A100
 * (no sharding: every parameter P is local), HBM at 2039 GB/s x 0.7. Fused mixed-precision Adam
 * moves 28 B per parameter (gradient read, 12 B of state read and written); unfused, PyTorch's
 * element-wise passes 88 B and gradient-norm clipping 12 B more, 100 B; SGD with momentum (8 B of
 * state) 20 B fused, 20 x 88/28 + 12 unfused. Only the optimizer's time moves; without optimizer
 * state there is nothing to run either way. */
static void test_optimizer_impl(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(2, 1024, 16);
    m.vocab = 0;
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = one_rank_plan();
    double P = ms_dist_params(&m), bw = 2039e9 * 0.7;
    const double state[] = {0.0, 8.0}, fused[] = {28.0, 20.0}, unfused[] = {100.0, 20.0 * 88.0 / 28.0 + 12.0};
    for (int i = 0; i < 2; i++) {
        ms_dist_train_t tf, tu;
        p.optimizer_bytes_per_param = state[i];
        p.optimizer_impl = MS_DIST_OPT_FUSED;
        assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &tf, NULL, 0), MS_DIST_OK);
        p.optimizer_impl = MS_DIST_OPT_UNFUSED;
        assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &tu, NULL, 0), MS_DIST_OK);
        NEAR(tf.optimizer_s, fused[i] * P / bw, 1e-12);
        NEAR(tu.optimizer_s, unfused[i] * P / bw, 1e-12);
        NEAR(tu.step_time_s - tf.step_time_s, (unfused[i] - fused[i]) * P / bw, 1e-9);
        NEAR(tu.compute_s, tf.compute_s, 1e-15);
        NEAR(parts_sum(&tu), tu.step_time_s, 1e-9);
        ms_dist_train_t te;                     /* foreach: the same passes over lists */
        p.optimizer_impl = MS_DIST_OPT_FOREACH;
        assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &te, NULL, 0), MS_DIST_OK);
        NEAR(te.optimizer_s, tu.optimizer_s, 1e-15);
    }
    ms_dist_train_t tn;
    p.optimizer_bytes_per_param = -1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &tn, NULL, 0), MS_DIST_OK);
    assert_true(tn.optimizer_s == 0.0);
    /* names, and the stacks that run it unfused */
    int k = -1;
    assert_string_equal(ms_dist_opt_impl_name(MS_DIST_OPT_UNFUSED), "unfused");
    assert_string_equal(ms_dist_opt_impl_name(MS_DIST_OPT_FUSED), "fused");
    assert_string_equal(ms_dist_opt_impl_name(MS_DIST_OPT_FOREACH), "foreach");
    assert_int_equal(ms_dist_opt_impl_parse("foreach", &k), 0);
    assert_int_equal(k, MS_DIST_OPT_FOREACH);
    assert_int_equal(ms_dist_opt_impl_parse("for-loop", &k), 0);
    assert_int_equal(k, MS_DIST_OPT_UNFUSED);
    assert_int_equal(ms_dist_opt_impl_parse("fused", &k), 0);
    assert_int_equal(k, MS_DIST_OPT_FUSED);
    assert_int_equal(ms_dist_opt_impl_parse("fast", &k), -1);
    assert_int_equal(ms_dist_stack_optimizer_impl("llm-foundry"), MS_DIST_OPT_UNFUSED);
    assert_int_equal(ms_dist_stack_optimizer_impl("Composer"), MS_DIST_OPT_UNFUSED);
    assert_int_equal(ms_dist_stack_optimizer_impl("Megatron-LM"), MS_DIST_OPT_FUSED);
    assert_int_equal(ms_dist_stack_optimizer_impl("torchtitan"), MS_DIST_OPT_FUSED);
    assert_int_equal(ms_dist_stack_optimizer_impl(NULL), MS_DIST_OPT_FUSED);
}

/* Pipeline sends overlapped with the chunks' compute (pp_comm_overlap, Megatron-Core's
 * overlap_p2p_comm), hand-worked on four GPT layers (h = 1024, 16 heads, no vocabulary) on 2 A100
 * of one node: PP 2, interleave 2 (a layer per chunk), TP 1, four micro-batches of 2048 tokens.
 * A transfer is one micro-batch's activations, T·h·2 B over NVLink at 300 GB/s × 0.80 plus α:
 *   synchronous: each micro-batch crosses each of the v = 2 chunk boundaries of a device forward and
 *                backward, 2·v·m = 16 transfers on the critical path;
 *   overlapped:  the fill's and drain's, 2·(pp − 1) = 2.
 * With one chunk per stage (interleave 1) the flag changes nothing (Megatron-Core overlaps only the
 * interleaved schedule), nor without a pipeline. */
static void test_pp_comm_overlap(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(4, 1024, 16);
    m.vocab = 0;
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 2, .microbatch = 1, .global_batch = 4, .interleave = 2,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    double x = 0.5e-6 + 2048.0 * 1024.0 * 2.0 / (300e9 * 0.80);
    ms_dist_train_t t0, t1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 2, &t0, NULL, 0), MS_DIST_OK);
    p.pp_comm_overlap = 1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 2, &t1, NULL, 0), MS_DIST_OK);
    assert_int_equal(t0.microbatches, 4);
    NEAR(t0.pp_comm_s, 16.0 * x, 1e-12);
    NEAR(t0.pp_comm_total_s, t0.pp_comm_s, 1e-15);
    NEAR(t1.pp_comm_s, 2.0 * x, 1e-12);
    NEAR(t1.pp_comm_total_s, 16.0 * x, 1e-12);
    NEAR(t0.step_time_s - t1.step_time_s, 14.0 * x, 1e-12);
    NEAR(t1.compute_s, t0.compute_s, 1e-12);
    NEAR(t1.bubble_s, t0.bubble_s, 1e-12);
    NEAR(parts_sum(&t1), t1.step_time_s, 1e-9);
    /* interleave 1 (two layers a stage), or no pipeline: the flag changes nothing */
    for (int k = 0; k < 2; k++) {
        ms_dist_parallel_t q = p;
        if (k == 0) q.interleave = 1; else { q.pp = 1; q.interleave = 1; }
        int n = k == 0 ? 2 : 1;
        q.pp_comm_overlap = 0;
        assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, n, &t0, NULL, 0), MS_DIST_OK);
        q.pp_comm_overlap = 1;
        assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, n, &t1, NULL, 0), MS_DIST_OK);
        NEAR(t1.step_time_s, t0.step_time_s, 1e-15);
        NEAR(t1.pp_comm_s, t0.pp_comm_s, 1e-15);
        if (k == 0) NEAR(t0.pp_comm_s, 2.0 * 1 * 4 * x, 1e-12);   /* 2·v·m with v = 1 */
        else assert_true(t0.pp_comm_s == 0.0);
    }
}

/* Context parallelism's K/V exchange per layer and micro-batch: an all-gather of the whole
 * sequence's K and V (2·b·s·kv_dim·2 bytes a TP rank) before the attention core and, in the
 * backward, the gather again and a reduce-scatter of their gradients. Ring CP (cp_allgather 0)
 * exposes only what the attention core does not cover: nothing with 32k tokens on NVLink;
 * all-gather CP (Llama 3's) exposes the whole 2·AG + RS, the step longer by exactly that. */
static void test_cp_allgather(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(4, 2048, 16);
    m.seq_len = 32768;
    m.vocab = 0;
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .cp = 4, .microbatch = 1, .global_batch = 2, .interleave = 1,
                             .flash_attention = 1, .optimizer_bytes_per_param = -1 };
    ms_dist_train_t ring, ag;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 8, &ring, NULL, 0), MS_DIST_OK);
    p.cp_allgather = 1;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 8, &ag, NULL, 0), MS_DIST_OK);
    ms_dist_fabric_t fa;
    ms_dist_fabric_achievable(&f, &fa);
    double kv = 2.0 * 32768.0 * 2048.0 * 2.0;          /* K and V, whole sequence, 16-bit (no GQA) */
    double g = ms_coll_time_s(MS_COLL_ALL_GATHER, kv, 4, 1, &fa);
    double r = ms_coll_time_s(MS_COLL_REDUCE_SCATTER, kv, 4, 1, &fa);
    assert_int_equal(ring.microbatches, 1);             /* dp 2, one sequence each */
    assert_true(ring.cp_comm_s == 0.0);
    NEAR(ag.cp_comm_s, 4.0 * (2.0 * g + r), 1e-12);    /* 4 layers, one micro-batch */
    NEAR(ag.step_time_s - ring.step_time_s, ag.cp_comm_s, 1e-12);
    NEAR(parts_sum(&ag), ag.step_time_s, 1e-9);
    /* full recompute gathers again for the recomputed forward */
    p.recompute = MS_DIST_RECOMPUTE_FULL;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 8, &ag, NULL, 0), MS_DIST_OK);
    NEAR(ag.cp_comm_s, 4.0 * (3.0 * g + r), 1e-12);
    /* stacks: Llama 3's gathers, the others ring */
    assert_int_equal(ms_dist_stack_cp_allgather("H100/Llama3", 16), 1);
    assert_int_equal(ms_dist_stack_cp_allgather("llama-3", 2), 1);
    assert_int_equal(ms_dist_stack_cp_allgather("H100/Llama3", 1), 0);   /* no context parallelism */
    assert_int_equal(ms_dist_stack_cp_allgather("H100/NeMo", 16), 0);
    assert_int_equal(ms_dist_stack_cp_allgather("torchtitan", 16), 0);
    assert_int_equal(ms_dist_stack_cp_allgather(NULL, 16), 0);
}

/* The backward's TP collectives beside its GEMMs (tp_async_grad, Megatron's
 * LinearWithGradAccumulationAndAsyncCommunication), hand-worked on the layers of test_tp_comm_overlap
 * (TP 2 on one node, two GPT layers, h = 1024, T = 2048, no SM count: nothing slows the GEMMs).
 * One all-reduce of T·h·2 B over 2 ranks is R = T·h·2/(bw·0.80) + 2α. Per layer:
 *   without SP: forward 2R synchronous; backward 2R (QKV's and MLP-in's input gradients) beside
 *     their weight-gradient GEMMs, C = 2·T·h·(3h/2 + 4h/2) / (312 TFLOP/s × 0.7): max(0, 2R − C);
 *   with SP (R = an all-gather + a reduce-scatter of the same bytes, G and S): forward 2G + 2S;
 *     backward 2G synchronous (the output gradients of the projection and MLP-out) and
 *     2G + 2S (the inputs re-gathered, the input gradients reduce-scattered) beside the dX and dW
 *     GEMMs of QKV and MLP-in, 2C.
 * At 300 GB/s the overlapped collectives hide entirely; at 1 GB/s the excess is left. With
 * tp_comm_overlap set too, the userbuffers model alone applies; TP 1 sees no change. */
static void test_tp_async_grad(void **s)
{
    (void)s;
    tp_pair_t c = tp_pair();
    double T = 2048, h = 1024;
    double C = 2.0 * T * h * (1.5 * h + 2.0 * h) / (312e12 * 0.7);
    for (int sp = 0; sp < 2; sp++)
        for (int k = 0; k < 2; k++) {
            double bw = k == 0 ? 300e9 : 1e9;
            c.f.intra_bw_bytes_per_s = bw;
            c.p.sequence_parallel = sp;
            ms_dist_fabric_t fa;
            ms_dist_fabric_achievable(&c.f, &fa);
            double msg = T * h * 2.0;
            double R = msg / (bw * 0.80) + 2.0 * 0.5e-6 + MS_NCCL_LL_BASE_LATENCY_S;      /* and NCCL's base latency */
            NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, msg, 2, 1, &fa), R, 1e-12);
            double G = ms_coll_time_s(MS_COLL_ALL_GATHER, msg, 2, 1, &fa);
            double S = ms_coll_time_s(MS_COLL_REDUCE_SCATTER, msg, 2, 1, &fa);
            double sync = sp ? 2.0 * R + 2.0 * G : 2.0 * R;
            double M = sp ? 2.0 * (G + S) : 2.0 * R, Cb = sp ? 2.0 * C : C;
            double exposed = M > Cb ? M - Cb : 0.0;
            if (k == 0) assert_true(M < Cb); else assert_true(M > Cb);
            ms_dist_train_t t0, t1, tu;
            c.p.tp_async_grad = 0;
            c.p.tp_comm_overlap = 0;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t0, NULL, 0), MS_DIST_OK);
            c.p.tp_async_grad = 1;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t1, NULL, 0), MS_DIST_OK);
            NEAR(t0.tp_comm_s, 2.0 * 4.0 * R, 1e-9);                 /* synchronous: 4R per layer */
            NEAR(t1.tp_comm_s, 2.0 * (sync + exposed), 1e-9);
            NEAR(t1.tp_comm_total_s, 2.0 * (sync + M), 1e-9);
            NEAR(t1.compute_s, t0.compute_s, 1e-9);                  /* the kernels are unchanged */
            NEAR(parts_sum(&t1), t1.step_time_s, 1e-9);
            /* with userbuffers overlap too, that model alone */
            c.p.tp_comm_overlap = 1;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &tu, NULL, 0), MS_DIST_OK);
            c.p.tp_async_grad = 0;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &c.p, &c.f, 2, &t1, NULL, 0), MS_DIST_OK);
            NEAR(tu.step_time_s, t1.step_time_s, 1e-12);
            c.p.tp_comm_overlap = 0;
            /* TP 1: no TP collective, the flag changes nothing */
            ms_dist_parallel_t q = c.p;
            q.tp = 1;
            q.sequence_parallel = 0;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 1, &t0, NULL, 0), MS_DIST_OK);
            q.tp_async_grad = 1;
            assert_int_equal(ms_dist_train_step(&c.a, &c.m, &q, &c.f, 1, &t1, NULL, 0), MS_DIST_OK);
            NEAR(t0.step_time_s, t1.step_time_s, 1e-12);
        }
    /* the stacks' defaults: the Megatron family yes, Megatron-DeepSpeed and the rest no */
    assert_int_equal(ms_dist_stack_tp_async_grad("H100/NeMo"), 1);
    assert_int_equal(ms_dist_stack_tp_async_grad("Megatron-LM"), 1);
    assert_int_equal(ms_dist_stack_tp_async_grad("megatron_core"), 1);
    assert_int_equal(ms_dist_stack_tp_async_grad("A100/Megatron-DeepSpeed"), 0);
    assert_int_equal(ms_dist_stack_tp_async_grad("llm-foundry"), 0);
    assert_int_equal(ms_dist_stack_tp_async_grad("torchtitan"), 0);
    assert_int_equal(ms_dist_stack_tp_async_grad(""), 0);
    assert_int_equal(ms_dist_stack_tp_async_grad(NULL), 0);
}

/* A stack's sharded-parameter collectives (ZeRO-3 / FSDP) run at its software efficiency of the
 * achievable links: a figure of 0.5 doubles the bandwidth term of the gathers and reduce-scatters
 * exactly (their latency, NCCL's ring steps, stays), 0 and 1 are the same (the default), other
 * collectives do not see it, and values outside (0, 1] are refused naming the field.
 * Hand-worked per unit (2 nodes of 8, one micro-batch of 8): the 24 layers and the root unit each
 * gather twice and reduce-scatter once, 75 collectives, each paying NCCL's ring latency through
 * 16 ranks, 8.4 + 14 · 3.4 + 1 · 14 = 70 us (the fabric's α is 0 here), on its 1/25 of the bytes. */
static void test_sharded_coll_efficiency(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(24, 2048, 16);
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    f.intra_alpha_s = 0.0;
    f.inter_alpha_s = 0.0;
    ms_dist_parallel_t z = { .tp = 1, .pp = 1, .microbatch = 8, .global_batch = 128, .interleave = 1,
                             .zero_stage = 3, .flash_attention = 1 };
    ms_dist_train_t t0, t1, th;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &t0, NULL, 0), MS_DIST_OK); /* 2 nodes */
    z.sharded_coll_efficiency = 1.0;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &t1, NULL, 0), MS_DIST_OK);
    assert_true(t0.zero_comm_total_s > 0);
    NEAR(t1.zero_comm_total_s, t0.zero_comm_total_s, 1e-12);
    ms_dist_fabric_t fab;
    ms_dist_fabric_achievable(&f, &fab);
    double L16 = 8.4e-6 + 14 * 3.4e-6 + 14e-6, lat = 75.0 * L16;
    double B = 2.0 * ms_dist_params(&m);                                   /* 16-bit parameters */
    double bw = ms_coll_time_s(MS_COLL_ALL_GATHER, B, 16, 1, &fab) - L16;  /* one gather's bytes */
    NEAR(ms_coll_time_s(MS_COLL_REDUCE_SCATTER, B, 16, 1, &fab) - L16, bw, 1e-9);
    assert_int_equal(t0.microbatches, 1);
    NEAR(t0.zero_comm_total_s, 3.0 * bw + lat, 1e-9);
    NEAR(t0.sharded_units, 25.0, 1e-12);
    NEAR(t0.sharded_latency_s, lat, 1e-9);
    z.sharded_coll_efficiency = 0.5;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &th, NULL, 0), MS_DIST_OK);
    NEAR(th.zero_comm_total_s - lat, 2.0 * (t0.zero_comm_total_s - lat), 1e-9);
    NEAR(th.zero_comm_s - lat, 2.0 * (t0.zero_comm_s - lat), 1e-9);  /* not overlapped: all exposed */
    NEAR(th.step_time_s - t0.step_time_s, t0.zero_comm_s - lat, 1e-9);
    /* ZeRO-1: the gradient reduction is not a sharded-parameter collective */
    ms_dist_parallel_t d = z;
    d.zero_stage = 1;
    d.sharded_coll_efficiency = 0.0;
    assert_int_equal(ms_dist_train_step(&a, &m, &d, &f, 16, &t0, NULL, 0), MS_DIST_OK);
    d.sharded_coll_efficiency = 0.5;
    assert_int_equal(ms_dist_train_step(&a, &m, &d, &f, 16, &t1, NULL, 0), MS_DIST_OK);
    assert_true(t0.dp_comm_total_s > 0);
    NEAR(t1.dp_comm_total_s, t0.dp_comm_total_s, 1e-12);
    /* ZeRO-1 reduces the gradient in one reduce-scatter and one all-gather; ZeRO-2 (FSDP's
     * SHARD_GRAD_OP) per unit, 25 of each */
    NEAR(t0.dp_comm_total_s, 2.0 * bw + 2.0 * L16, 1e-9);
    d.zero_stage = 2;
    assert_int_equal(ms_dist_train_step(&a, &m, &d, &f, 16, &t1, NULL, 0), MS_DIST_OK);
    NEAR(t1.dp_comm_total_s, 2.0 * bw + 50.0 * L16, 1e-9);
    NEAR(t1.sharded_latency_s, 50.0 * L16, 1e-9);
    d.zero_stage = 1;
    assert_int_equal(ms_dist_train_step(&a, &m, &d, &f, 16, &t1, NULL, 0), MS_DIST_OK);
    assert_true(t1.sharded_units == 0 && t1.sharded_latency_s == 0);   /* one collective, not per unit */
    char err[256] = "";
    z.sharded_coll_efficiency = 1.5;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &th, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "sharded_coll_efficiency"));
    z.sharded_coll_efficiency = -0.1;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &th, err, sizeof err), MS_DIST_EINVAL);
}

/* Hybrid sharding (FSDP HYBRID_SHARD / HSDP) on 2 nodes of 8, hand-worked from the collectives:
 * shard_group 8 gathers and reduce-scatters the parameters inside the node (NVLink) and all-reduces
 * each rank's eighth of the gradient with its twin in the other node, one rail each; the sharded
 * state is an eighth of the model, not a sixteenth. shard_group 16 (= dp) is plain ZeRO-3; one that
 * does not divide dp is refused. */
static void test_hybrid_shard(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(24, 2048, 16);
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene(), fab;
    f.intra_alpha_s = 0.0;
    f.inter_alpha_s = 0.0;
    ms_dist_fabric_achievable(&f, &fab);
    ms_dist_parallel_t z = { .tp = 1, .pp = 1, .microbatch = 8, .global_batch = 128, .interleave = 1,
                             .zero_stage = 3, .flash_attention = 1 };
    ms_dist_train_t full, hyb, same;
    ms_dist_memory_t mf, mh;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &full, NULL, 0), MS_DIST_OK);
    z.dp = 16;
    assert_int_equal(ms_dist_train_memory(&m, &z, &mf, NULL, 0), MS_DIST_OK);
    z.shard_group = 16;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &same, NULL, 0), MS_DIST_OK);
    NEAR(same.step_time_s, full.step_time_s, 1e-12);
    z.shard_group = 8;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &hyb, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_memory(&m, &z, &mh, NULL, 0), MS_DIST_OK);
    double B = 2.0 * ms_dist_params(&m);                                   /* 16-bit parameters */
    double ag = 7.0 / 8.0 * B / (300e9 * MS_DIST_INTRA_LINK_EFFICIENCY);  /* inside the node */
    double rep = 2.0 * 0.5 * (B / 8.0) / (fab.inter_bw_bytes_per_s / 8.0); /* 2 replicas, one rail */
    assert_int_equal(hyb.microbatches, 1);
    /* and the latency, here (the fabric's α 0) the base of 9.55 us for each of the 25 units' (24
     * layers and the root) two gathers, reduce-scatter and replicas' all-reduce: 0.955 ms */
    NEAR(hyb.sharded_units, 25.0, 1e-15);
    NEAR(hyb.sharded_latency_s, 25.0 * 4 * MS_NCCL_LL_BASE_LATENCY_S, 1e-9);
    NEAR(hyb.sharded_latency_s, 0.955e-3, 1e-9);
    NEAR(hyb.zero_comm_total_s, 3.0 * ag + rep + 25 * 4 * MS_NCCL_LL_BASE_LATENCY_S, 1e-9);
    /* on 200 GB/s per node the two are close (full sharding pipelines NVLink under the network; the
     * replicas' all-reduce moves 1/3 of its network bytes); on 25 GB/s (2 x 100 Gb/s) the network
     * decides and hybrid sharding is 2.2x faster */
    ms_dist_train_t full_s, hyb_s;
    ms_dist_fabric_t slow = f;
    slow.inter_bw_bytes_per_s = 25e9;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &slow, 16, &hyb_s, NULL, 0), MS_DIST_OK);
    z.shard_group = 0;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &slow, 16, &full_s, NULL, 0), MS_DIST_OK);
    z.shard_group = 8;
    assert_true(hyb_s.zero_comm_total_s * 2.0 < full_s.zero_comm_total_s);
    NEAR(mh.weights_bytes, 2.0 * mf.weights_bytes, 1e-12);
    NEAR(mh.optimizer_bytes, 2.0 * mf.optimizer_bytes, 1e-12);
    char err[256] = "";
    z.shard_group = 3;
    assert_int_equal(ms_dist_train_step(&a, &m, &z, &f, 16, &hyb, err, sizeof err), MS_DIST_EINVAL);
    assert_non_null(strstr(err, "shard_group"));
    /* the stack's name: hybrid sharding over a node's ranks (dp / tp·cp of them) */
    assert_int_equal(ms_dist_stack_shard_group("A100/FSDP-HYBRID_SHARD", 3, 8, 1, 1, 16), 8);
    assert_int_equal(ms_dist_stack_shard_group("H100/hsdp", 3, 8, 2, 1, 64), 4);
    assert_int_equal(ms_dist_stack_shard_group("A100/FSDP", 3, 8, 1, 1, 16), 0);
    assert_int_equal(ms_dist_stack_shard_group("A100/HSDP", 3, 8, 1, 1, 8), 0);   /* one node: all of dp */
    assert_int_equal(ms_dist_stack_shard_group("A100/HSDP", 0, 8, 1, 1, 16), 0);  /* nothing sharded */
}

/* Context-parallel ranks hold the same weights as their data-parallel peers and each computes a
 * partial gradient on its part of the sequence: gradients are reduced, and ZeRO state sharded, over
 * all dp·cp of them (Megatron-Core's data-parallel group with context parallel; torchtitan's FSDP
 * mesh dp_shard_cp). So cp 2 × dp 8 runs the weights' collectives, optimizer step and model state
 * of dp 16 (both at stride tp = 1), while its activations are those of half the sequence. */
static void test_context_parallel_replicas(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(24, 2048, 16);
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    for (int zero = 0; zero <= 3; zero++) {
        ms_dist_parallel_t c2 = { .tp = 1, .pp = 1, .cp = 2, .microbatch = 1, .global_batch = 64, .interleave = 1,
                                  .zero_stage = zero, .flash_attention = 1 };
        ms_dist_parallel_t c1 = c2;
        c1.cp = 1;
        ms_dist_train_t t2, t1;
        assert_int_equal(ms_dist_train_step(&a, &m, &c2, &f, 16, &t2, NULL, 0), MS_DIST_OK);
        assert_int_equal(ms_dist_train_step(&a, &m, &c1, &f, 16, &t1, NULL, 0), MS_DIST_OK);
        assert_int_equal(t2.dp, 8);
        assert_int_equal(t1.dp, 16);
        if (zero < 3) {
            assert_true(t2.dp_comm_total_s > 0);
            NEAR(t2.dp_comm_total_s, t1.dp_comm_total_s, 1e-12);
        } else {
            assert_true(t2.zero_comm_total_s > 0);
            /* per micro-batch, and cp 2 runs half as many micro-batches per step as dp 16 does not:
             * each of the 8 replicas takes 8 sequences, each of the 16 takes 4 */
            NEAR(t2.zero_comm_total_s / t2.microbatches, t1.zero_comm_total_s / t1.microbatches, 1e-12);
        }
        NEAR(t2.optimizer_s, t1.optimizer_s, 1e-12);
        NEAR(t2.memory.weights_bytes, t1.memory.weights_bytes, 1e-12);
        NEAR(t2.memory.gradients_bytes, t1.memory.gradients_bytes, 1e-12);
        NEAR(t2.memory.optimizer_bytes, t1.memory.optimizer_bytes, 1e-12);
        if (zero >= 1) NEAR(t2.memory.optimizer_bytes, 12.0 * ms_dist_params(&m) / 16.0, 1e-12);
        assert_true(t2.memory.activations_bytes < t1.memory.activations_bytes);
    }
    /* hybrid sharding with cp: a shard spans shard_group data-parallel ranks and their cp ranks */
    ms_dist_parallel_t h = { .tp = 1, .pp = 1, .cp = 2, .dp = 8, .shard_group = 4, .microbatch = 1, .global_batch = 64,
                             .zero_stage = 3, .flash_attention = 1 };
    ms_dist_memory_t mem;
    assert_int_equal(ms_dist_train_memory(&m, &h, &mem, NULL, 0), MS_DIST_OK);
    NEAR(mem.optimizer_bytes, 12.0 * ms_dist_params(&m) / 8.0, 1e-12);
}

/* The host issues every kernel (MS_DIST_HOST_OP_S, 4 µs, by default): a GPT layer issues
 * 3 × 10 kernels a micro-batch with flash attention (forward 10, backward 20), the last stage 12
 * more (final norm, logits, cross-entropy and their backward) and the first 3 (the embedding).
 * A 2-layer model of h 64 at 32 tokens runs each micro-batch in far less than its
 * (2·30 + 15)·4 µs = 300 µs of launches, so each of its 4 micro-batches waits the difference on
 * the host; unfused attention runs 4 kernels for the fused one (2·3·13 + 15 = 93); with sequence
 * parallelism over tp 2 each pass adds 4 collectives a layer (2·(30 + 8)
 * + 15 = 91 kernels); a full recompute adds the forward's 10 again and 4 more collectives. A
 * step captured in a CUDA graph (host_op_s < 0) issues nothing; a GPT-3-sized layer runs
 * milliseconds and never waits. */
static void test_host_launch(void **s)
{
    (void)s;
    ms_dist_model_t m = gpt(2, 64, 2);
    m.seq_len = 32;
    m.vocab = 100;
    ms_dist_accel_t a = a100();
    ms_dist_fabric_t f = selene();
    ms_dist_parallel_t p = { .tp = 1, .pp = 1, .microbatch = 1, .global_batch = 4, .interleave = 1, .flash_attention = 1 };
    ms_dist_train_t t, none;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 1, &t, NULL, 0), MS_DIST_OK);
    ms_dist_parallel_t q = p;
    q.host_op_s = -1;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 1, &none, NULL, 0), MS_DIST_OK);
    assert_true(none.host_issue_s == 0 && none.host_wait_s == 0);
    /* and the fused optimizer step's 7 (36 tensors: 2 layers of 16, the two embeddings and the
     * final norm's 2; one Adam launch, the clipping's norm and scaling launches and its 4 small
     * kernels), issued when the micro-batches leave the host no lead */
    NEAR(t.host_issue_s, 4 * 75 * 4e-6 + 7 * 4e-6, 1e-12);
    double gpu_mb = (none.step_time_s - none.optimizer_s) / 4;      /* one rank: the micro-batches */
    assert_true(gpu_mb < 75 * 4e-6 && none.optimizer_s < 7 * 4e-6);
    NEAR(t.host_wait_s, 4 * (75 * 4e-6 - gpu_mb) + (7 * 4e-6 - none.optimizer_s), 1e-9);
    NEAR(t.step_time_s, none.step_time_s + t.host_wait_s, 1e-12);
    NEAR(parts_sum(&t), t.step_time_s, 1e-12);
    /* a host twice as fast issues half as long */
    q.host_op_s = 2e-6;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 1, &none, NULL, 0), MS_DIST_OK);
    NEAR(none.host_issue_s, t.host_issue_s / 2, 1e-12);
    /* unfused attention: QKᵀ, softmax, dropout and A·V for the one fused kernel, 13 a forward */
    q = p;
    q.flash_attention = 0;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 1, &none, NULL, 0), MS_DIST_OK);
    NEAR(none.host_issue_s, 4 * (2 * 39 + 15) * 4e-6 + 7 * 4e-6, 1e-12);
    /* the optimizer as a per-tensor loop: 9 kernels for each of the 36 tensors and the clipping's
     * 6; as torch.optim's foreach: 9 passes over one list of them and the same 6 */
    q = p;
    q.optimizer_impl = MS_DIST_OPT_UNFUSED;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 1, &none, NULL, 0), MS_DIST_OK);
    NEAR(none.host_issue_s, 4 * 75 * 4e-6 + (9 * 36 + 6) * 4e-6, 1e-12);
    NEAR(none.host_wait_s - t.host_wait_s, (9 * 36 + 6 - 7) * 4e-6 - (none.optimizer_s - t.optimizer_s), 1e-9);
    q.optimizer_impl = MS_DIST_OPT_FOREACH;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 1, &none, NULL, 0), MS_DIST_OK);
    NEAR(none.host_issue_s, 4 * 75 * 4e-6 + (9 + 6) * 4e-6, 1e-12);
    /* sequence parallelism over tp 2: 4 collectives a pass */
    q = p;
    q.tp = 2;
    q.sequence_parallel = 1;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 2, &t, NULL, 0), MS_DIST_OK);
    NEAR(t.host_issue_s, 4 * 91 * 4e-6 + 7 * 4e-6, 1e-12);
    /* full recompute: the forward's 10 kernels again and a third pass of collectives */
    q.recompute = MS_DIST_RECOMPUTE_FULL;
    assert_int_equal(ms_dist_train_step(&a, &m, &q, &f, 2, &t, NULL, 0), MS_DIST_OK);
    NEAR(t.host_issue_s, 4 * (2 * (30 + 10 + 12) + 15) * 4e-6 + 7 * 4e-6, 1e-12);
    /* GPT-3 175B's layers on 8 A100 (TP 8, 12 of 96 layers a stage): milliseconds, never waiting */
    ms_dist_model_t g = gpt(96, 12288, 96);
    q = (ms_dist_parallel_t){ .tp = 8, .pp = 8, .microbatch = 1, .global_batch = 64, .interleave = 1 };
    assert_int_equal(ms_dist_train_step(&a, &g, &q, &f, 64, &t, NULL, 0), MS_DIST_OK);
    assert_true(t.host_issue_s > 0);
    assert_true(t.host_wait_s == 0);
    /* even with its 1,767 optimizer kernels in a loop (193 tensors; 272 M elements a rank, 13
     * launches a clipping pass): the GPU's own optimizer step is longer */
    q.optimizer_impl = MS_DIST_OPT_UNFUSED;
    assert_int_equal(ms_dist_train_step(&a, &g, &q, &f, 64, &t, NULL, 0), MS_DIST_OK);
    assert_true(t.host_wait_s == 0 && t.optimizer_s > 1767 * 4e-6);
}

/* Links run at their achievable fraction, not at η: doubling η leaves a communication-bound
 * step's collectives unchanged; the defaults apply when the fabric gives none. */
static void test_link_efficiency(void **s)
{
    (void)s;
    ms_dist_fabric_t f = selene(), g;
    ms_dist_fabric_achievable(&f, &g);
    NEAR(g.intra_bw_bytes_per_s, 300e9 * MS_DIST_INTRA_LINK_EFFICIENCY, 1e-12);
    NEAR(g.inter_bw_bytes_per_s, 200e9 * MS_DIST_INTER_LINK_EFFICIENCY, 1e-12);
    f.intra_efficiency = 0.77;
    f.inter_efficiency = 0.5;
    ms_dist_fabric_achievable(&f, &g);
    NEAR(g.intra_bw_bytes_per_s, 231e9, 1e-12);
    NEAR(g.inter_bw_bytes_per_s, 100e9, 1e-12);
    ms_dist_model_t m = gpt(24, 2048, 16);
    ms_dist_parallel_t p = { .tp = 8, .pp = 1, .microbatch = 1, .global_batch = 16, .interleave = 1, .flash_attention = 1 };
    ms_dist_accel_t a = a100(), b = a100();
    b.efficiency = 0.35;
    ms_dist_train_t ta, tb;
    assert_int_equal(ms_dist_train_step(&a, &m, &p, &f, 16, &ta, NULL, 0), MS_DIST_OK);
    assert_int_equal(ms_dist_train_step(&b, &m, &p, &f, 16, &tb, NULL, 0), MS_DIST_OK);
    NEAR(ta.tp_comm_s, tb.tp_comm_s, 1e-12);
    NEAR(ta.dp_comm_total_s, tb.dp_comm_total_s, 1e-12);
    assert_true(tb.compute_s > 1.9 * ta.compute_s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_flops),
        cmocka_unit_test(test_activation_memory),
        cmocka_unit_test(test_bubble),
        cmocka_unit_test(test_step_properties),
        cmocka_unit_test(test_shape_efficiency),
        cmocka_unit_test(test_attention_efficiency),
        cmocka_unit_test(test_cross_entropy_bytes),
        cmocka_unit_test(test_attention_score_work),
        cmocka_unit_test(test_attention_score_share),
        cmocka_unit_test(test_gemm_epilogue_bytes),
        cmocka_unit_test(test_fsdp_copy_bytes),
        cmocka_unit_test(test_recompute_levels),
        cmocka_unit_test(test_overlap_interference),
        cmocka_unit_test(test_short_last_microbatch),
        cmocka_unit_test(test_host_launch),
        cmocka_unit_test(test_link_efficiency),
        cmocka_unit_test(test_sharded_coll_efficiency),
        cmocka_unit_test(test_hybrid_shard),
        cmocka_unit_test(test_context_parallel_replicas),
        cmocka_unit_test(test_tp_comm_overlap),
        cmocka_unit_test(test_moe_tp_collectives),
        cmocka_unit_test(test_moe_expert_shapes),
        cmocka_unit_test(test_moe_zero_shards),
        cmocka_unit_test(test_moe_ep_group),
        cmocka_unit_test(test_pp_comm_overlap),
        cmocka_unit_test(test_cp_allgather),
        cmocka_unit_test(test_attention_kernel),
        cmocka_unit_test(test_optimizer_impl),
        cmocka_unit_test(test_tp_async_grad),
        cmocka_unit_test(test_fp8_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
