/* physics.h - MLSys·im's single-node and serving physics: small pure functions over registry data.
 *
 * Every function is pure (no I/O, no allocation, no global state), takes SI units and returns SI
 * units: seconds, bytes, FLOP, FLOP/s, joules. Results are always finite for valid inputs (a model
 * that does not fit sets `feasible = 0`; it does not produce Inf). The formula and its source sit
 * next to each implementation in src/physics/.
 */
#ifndef MLSYSIM_PHYSICS_H
#define MLSYSIM_PHYSICS_H

#include "mlsysim/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calibration constants (documented in mlsysim/README.md, "Physics"). */
#define MS_DEFAULT_EFFICIENCY 0.5         /* η: achieved / peak FLOP/s (PaLM-era MFU 0.3-0.5) */
#define MS_LAYER_TAX_S 10e-6              /* framework overhead per layer per forward pass, s */
#define MS_ENERGY_IDLE_FRACTION 0.30      /* power at no load: 0.30 x TDP (ms_power_fraction) */
#define MS_POWER_SATURATION 0.5           /* MFU at which an accelerator draws its TDP (ms_power_fraction) */
#define MS_DVFS_POWER_EXPONENT 3.0        /* dynamic power ~ f·V², V ~ f: P ~ f³ (ms_power_limit_clock) */
#define MS_KV_PAGE_TOKENS 16              /* vLLM block size (Kwon et al., SOSP'23) */

typedef enum { MS_MODE_INFERENCE = 0, MS_MODE_TRAINING } ms_mode;
typedef enum { MS_RECOMPUTE_NONE = 0, MS_RECOMPUTE_SELECTIVE, MS_RECOMPUTE_FULL } ms_recompute;
typedef enum { MS_OPT_ADAM = 0, MS_OPT_SGD, MS_OPT_NONE } ms_optimizer;
typedef enum { MS_BOUND_COMPUTE = 0, MS_BOUND_MEMORY } ms_bound;

const char *ms_mode_name(ms_mode m);
const char *ms_recompute_name(ms_recompute r);
const char *ms_optimizer_name(ms_optimizer o);
const char *ms_bound_name(ms_bound b);         /* "compute" / "memory" */
int ms_mode_parse(const char *s, ms_mode *out);
int ms_recompute_parse(const char *s, ms_recompute *out);
int ms_optimizer_parse(const char *s, ms_optimizer *out);

/* ---- Transformer counting (exact for the architecture) ---- */
/* Forward FLOPs of one sequence of `seq` tokens: 2·P_matmul·S + pairs·attn_flops_per_pair, with
 * S²/2 (query, key) pairs for a causal decoder (attention over the prefix only) and S² for an
 * encoder. CNN/MLP: published FLOPs per sample (seq ignored). */
double ms_forward_flops(const ms_model *m, double seq);
/* Forward FLOPs of one decode step (1 new token attending to `ctx` cached tokens). */
double ms_decode_flops(const ms_model *m, double ctx);
/* Weight bytes: params x bytes(p). */
double ms_weight_bytes(const ms_model *m, ms_precision p);
/* KV-cache bytes of `batch` sequences of `seq` tokens: MHA/GQA 2·L·H_kv·d·S·B·b,
 * MLA L·(kv_lora_rank + qk_rope_head_dim)·S·B·b. */
double ms_kv_cache_bytes(const ms_model *m, double seq, double batch, ms_precision p);

/* ---- CNN / MLP layer graphs (src/physics/cnn_graph.c) ---- */
typedef struct {
    double params;            /* weights and biases (BN: gamma, beta) */
    double macs;              /* multiply-accumulates of one forward pass, per sample */
    double saved_act_elems;   /* activations training keeps for backward, per sample */
    double peak_live_elems;   /* largest input + output of one layer (plus the named outputs a
                                 later step still reads), per sample */
    int layers;               /* conv and fc layers */
} ms_graph_stats;

/* Walks a layer graph ("in 3x224x224; conv 64 k7 s2; bn; relu; ...", grammar in cnn_graph.c:
 * rectangular kernels and strides (k10x4 s2x2), padding modes (pP, same, valid), groups,
 * depthwise, named outputs with concat / add / from, nearest upsampling and composite blocks).
 * 0 ok; -1 with "step N 'text': reason" in err. */
int ms_graph_eval(const char *spec, ms_graph_stats *out, char *err, size_t errlen);
/* The graph language's layer table as text, one line per layer (its words and meaning); written
 * like snprintf (returns the full length; buf may be NULL). */
size_t ms_graph_grammar(char *buf, size_t cap);

/* ---- Training memory per accelerator ---- */
typedef struct {
    int micro_batch;          /* sequences (or samples) per micro-batch per data-parallel rank */
    int seq_len;
    ms_precision precision;   /* weights/activations format; < 4 bytes means mixed precision */
    ms_optimizer optimizer;
    ms_recompute recompute;
    int tp, pp, dp;           /* >= 1 */
    int zero_stage;           /* 0..3 */
    int sequence_parallel;    /* Megatron sequence parallelism (shards the non-TP activations) */
    int microbatches;         /* micro-batches per step (pipeline in flight = min(pp, microbatches)) */
} ms_train_config;

typedef struct {
    double weights_bytes, gradients_bytes, optimizer_bytes, activations_bytes, total_bytes;
} ms_train_memory;

/* Fills a default config: micro_batch 1, seq 2048, fp16, Adam, no recompute, 1x1x1, ZeRO 0. */
void ms_train_config_default(ms_train_config *c);
void ms_training_memory(const ms_model *m, const ms_train_config *c, ms_train_memory *out);
/* Fraction of its TDP an accelerator draws at utilization u (MFU):
 *   idle + (1 - idle) · min(1, u / sat),   idle = MS_ENERGY_IDLE_FRACTION
 * Power rises with load from the idle floor and reaches the board's power limit (TDP) at
 * u = sat, MS_POWER_SATURATION = 0.5 when sat <= 0: past it the firmware holds the power at the
 * limit and lowers the clock instead (an A100 running FlashAttention-2 at 57 % of its boost-clock
 * peak drops from 1410 to about 1200 MHz on its power limit, github.com/liangan1/GPU_travel
 * performance/flash-attn; LLM training iterations and prefill phases reach or exceed TDP, Patel
 * et al., ASPLOS'24, "Characterizing Power Management Opportunities for LLMs in the Cloud").
 * Training at MFU 0.35-0.5 thus draws 0.79-1.0 x TDP, where a line from idle to TDP at MFU 1
 * gives 0.55-0.65 (mlsysim/README.md, "Power"). sat = 1 is that line, upstream MLSys·im's model. */
double ms_power_fraction(double u, double sat);
/* Clock of a board held at a power limit below its TDP (nvidia-smi -pl), as a fraction of the
 * clock it sustains at TDP, for work that draws the TDP there (GEMMs and fused attention: the
 * knee of ms_power_fraction):
 *   f_limit / f_TDP = ((limit - P0) / (TDP - P0))^(1/3),   P0 = MS_ENERGY_IDLE_FRACTION · TDP
 * The idle floor P0 does not follow the clock; the rest is CMOS switching power α·C·V²·f, and over
 * the range DVFS works in the voltage falls with the frequency, so that power goes as f³
 * (MS_DVFS_POWER_EXPONENT; Hennessy & Patterson, Computer Architecture: A Quantitative Approach,
 * 6th ed., Sec. 1.5). H100 SXM held at 500 of its 700 W: 0.840. 1 when limit <= 0, tdp <= 0 or
 * limit >= tdp (no limit below TDP); 0 when limit <= P0 (the board cannot run there: callers
 * refuse it). Memory-bound kernels are taken not to reach the limit and keep their speed. */
double ms_power_limit_clock(double limit_w, double tdp_w);
/* Average power of a step held at that limit, W, from the same step without it (drawing p_free_w
 * on average for t_free_s) and its time under the limit (t_limited_s). Only the compute-bound
 * phases slow, by 1/k (k = ms_power_limit_clock): they lasted t_c = (t_limited - t_free)/(1/k - 1)
 * at full clock, drawing the TDP, and now draw the limit for t_c/k, the rest of the step keeping
 * its time at the idle floor P0 or more. The step's energy falls by that picture's ratio
 *   r = (P0·(t_free - t_c) + limit·t_c/k) / (P0·(t_free - t_c) + TDP·t_c)
 * and P = p_free·t_free·r / t_limited, at most the limit (the ratio, not the picture's own power:
 * ms_power_fraction's step average stays the unlimited figure). Per unit of work the slowed
 * phases spend limit/k where they spent the TDP, 0.85 of it at 500 of 700 W: the idle floor for
 * longer, and switching energy C·V² per event with V falling with f, k² of it. A step that does
 * not slow (a memory-bound decode) keeps p_free_w. */
double ms_power_limited_w(double tdp_w, double limit_w, double p_free_w, double t_free_s, double t_limited_s);

/* GEMM shape efficiency (gemm_shape.c): the fraction of a large GEMM's rate that an M×N×K GEMM
 * reaches on `units` compute units (SMs) in 128×128 output tiles: wave quantization, tile
 * quantization and a per-tile cost worth 64 K-steps; 1 when units <= 0. */
double ms_gemm_shape_efficiency(double M, double N, double K, int units);
/* The same for a main loop `speed` times the reference rate (ms_gemm_tile_speed), whose fixed
 * per-tile time is then worth speed · 64 K-steps; speed 1 is ms_gemm_shape_efficiency. */
double ms_gemm_shape_efficiency_at(double M, double N, double K, int units, double speed);
/* The FLOP-weighted rate of one transformer layer's GEMMs for T tokens: QKV (N = qkv_n, K = h),
 * output projection (N = h, K = proj_k), MLP up (N = up_n, K = h; gate and up fused), MLP down
 * (N = h, K = down_k), widths already divided by any tensor parallelism; 1 when units <= 0. */
double ms_gemm_layer_rate(double T, double h, double qkv_n, double proj_k, double up_n, double down_k, int units);
/* ms_gemm_layer_rate for GEMMs whose main loop runs `speed` times the reference rate. */
double ms_gemm_layer_rate_at(double T, double h, double qkv_n, double proj_k, double up_n, double down_k, int units,
                             double speed);
/* The per-SM main-loop rate at which a tile's fixed cost is worth 64 K-steps: A100's 16-bit GEMMs
 * at its calibrated η (312 TFLOP/s x 0.74 over 108 SMs, about 2.14 TFLOP/s per SM), so the fixed
 * cost is a time, 64 x 2·128·128 FLOP at that rate, about 0.98 µs per tile. */
#define MS_GEMM_TILE_REF_SM_FLOPS (312e12 * 0.74 / 108.0)
/* The `speed` of ms_gemm_shape_efficiency_at for a GEMM whose main loop reaches `flops` FLOP/s
 * (peak x η) over `units` SMs: its per-SM rate over MS_GEMM_TILE_REF_SM_FLOPS (A100 16-bit 1,
 * H100 16-bit at η 0.61 2.1, H100 FP8 at 0.54 3.7); 1 when either is unknown (<= 0). */
double ms_gemm_tile_speed(double flops, int units);

/* Optimizer-state bytes per parameter (Adam mixed precision 12, Adam fp32 8, SGD+momentum 4 or 8). */
double ms_optimizer_bytes_per_param(ms_optimizer o, ms_precision p);

/* ---- Single-node roofline evaluation ---- */
/* Which experts a MoE model's tokens reach, for the weights an inference pass reads.
 * UNIFORM: each token picks its top_k of E experts at random, so n tokens touch
 *   E·(1 - (1 - k/E)^n) of them on average (all of them within a few dozen tokens);
 * FIXED: every token picks the same top_k, so a pass reads the active experts alone, however
 *   many tokens it carries: a router that has collapsed, or a benchmark engine built without
 *   a checkpoint, as TensorRT-LLM 0.9.0's Mixtral runs were measured (mlsysim/validation/README.md,
 *   "Fake weights route every token alike"). */
typedef enum { MS_MOE_UNIFORM = 0, MS_MOE_FIXED = 1 } ms_moe_routing;
/* The routed experts of a layer that `tokens` tokens reach under `routing`, expected (0 where
 * none is routed: a dense model, or every expert active), and the fraction of the model's weights
 * they read: every weight outside the routed experts and the experts reached (1 where none is
 * routed). */
double ms_moe_experts_read(const ms_model *m, double tokens, ms_moe_routing routing);
double ms_moe_weight_fraction(const ms_model *m, double tokens, ms_moe_routing routing);
/* "uniform" / "fixed" (any case); -1 for another word, which messages answer with
 * MS_MOE_ROUTING_WORDS */
#define MS_MOE_ROUTING_WORDS "uniform or fixed"
int ms_moe_routing_parse(const char *s, ms_moe_routing *out);
const char *ms_moe_routing_name(ms_moe_routing r);

typedef struct {
    ms_mode mode;
    int batch_size;            /* sequences or samples per step */
    int seq_len;               /* tokens per sequence (transformers); context for decode */
    ms_precision precision;
    double efficiency;         /* η in (0, 1] */
    double power_saturation;   /* MFU at which power reaches TDP (ms_power_fraction); 0 = default */
    ms_recompute recompute;    /* training only */
    ms_optimizer optimizer;    /* training only */
    int zero_stage;            /* training only; with dp = 1 it changes nothing */
    /* inference: storage of the weights and of the KV cache when they differ from `precision`
     * (weight-only int4, fp8 KV cache), bytes per element; 0 = the precision's */
    double weight_bytes, kv_bytes;
    /* diffusion only: denoising steps (0 = the model's default) and classifier-free guidance
     * (MS_CFG_MODEL = the model's default, MS_CFG_ON: two U-Net passes per step, MS_CFG_OFF: one) */
    int steps;
    int cfg;
    /* decode step of a decoder LM: the share of the shorter of its GEMMs' math and weight stream
     * that runs in series with the longer (ms_serve_input.gemm_serial; 0 = the roofline's max) */
    double gemm_serial;
    ms_moe_routing moe_routing; /* inference of a MoE model: which experts its tokens reach */
} ms_workload;

enum { MS_CFG_MODEL = 0, MS_CFG_ON = 1, MS_CFG_OFF = 2 };

typedef struct {
    double flops;              /* model FLOPs of the step (no recompute) */
    double hw_flops;           /* FLOPs executed (with recompute) */
    double bytes;              /* bytes moved to/from memory in the step */
    double t_compute_s, t_memory_s, t_overhead_s;
    double t_attention_s;      /* decode: the attention kernel's own time (KV cache read), which adds
                                  to the GEMMs' max(compute, weights); 0 for other steps */
    double latency_s;          /* max(t_compute, t_memory) + t_overhead */
    double throughput_per_s;   /* samples/s, or tokens/s for decode and training of LMs */
    double intensity_flop_per_byte;
    double ridge_flop_per_byte;/* peak / bandwidth */
    double mfu, hfu;
    double power_w, energy_j;
    double bw_bytes_per_s;     /* bandwidth the step streams from (HBM, SRAM, flash or host) */
    double peak_flops;         /* peak of the precision used, FLOP/s */
    /* memory per accelerator */
    double memory_bytes, memory_capacity_bytes;
    double memory_weights_bytes, memory_gradients_bytes, memory_optimizer_bytes;
    double memory_activations_bytes, memory_kv_bytes;
    double memory_state_bytes;  /* SSM: the recurrent state of the batch (it replaces a KV cache) */
    ms_bound bottleneck;
    int feasible;              /* memory_bytes <= memory_capacity_bytes */
    int overhead_dominated;    /* t_overhead > max(t_compute, t_memory) */
} ms_eval_result;

void ms_workload_default(ms_workload *w);     /* inference, B=1, S=2048, fp16, η=0.5 */

/* Roofline for one accelerator.
 *   inference, decoder LM : one decode step (B sequences, one token each, context S)
 *   inference, SSM (Mamba): one decode step (B sequences, one token each; the state, not S, is read)
 *   inference, diffusion  : one generation of B images (text encoder, steps x U-Net, VAE decoder)
 *   inference, encoder/CNN/DLRM: one forward pass of B sequences/samples
 *   training              : forward + backward (3x forward FLOPs, 4x with full recompute)
 * time = max(FLOPs / (peak·η), bytes / bandwidth) + dispatch + layers x 10 µs (x3 training; a decode
 * step pays no dispatch, as the serving ITL). A set that does not fit gets feasible = 0 and the
 * in-memory time (no offload time). */
void ms_eval(const ms_model *m, const ms_hardware *hw, const ms_workload *w, ms_eval_result *out);

/* ---- Workload kinds beyond transformers and CNNs (diffusion.c, ssm.c, dlrm.c) ----
 * Their counts are derived from the architecture by ms_model_derive; ms_eval and ms_serve
 * evaluate them with the same roofline as every other model. */

/* The denoising steps and guidance a diffusion workload runs with: the workload's when it sets
 * them, else the model's defaults. *passes = U-Net (and text encoder) passes per image and step:
 * 2 with classifier-free guidance (conditional + unconditional), else 1. */
void ms_diffusion_schedule(const ms_model *m, const ms_workload *w, int *steps, int *passes);
/* Image side in pixels: latent x 2^(vae_levels - 1). */
int ms_diffusion_image_px(const ms_model *m);
/* Bytes of one sequence's recurrent state (SSM) at `bytes` per element. */
double ms_ssm_state_bytes(const ms_model *m, double bytes);
/* Embedding rows gathered per sample x width x `bytes` (DLRM). */
double ms_dlrm_gather_bytes(const ms_model *m, double bytes);

/* ---- LLM serving ---- */
typedef struct {
    int batch_size;            /* concurrent sequences */
    int seq_len;               /* prompt length (prefill) = context for decode */
    ms_precision precision;
    double efficiency;
    int cached_prefix;         /* prompt tokens already in the KV cache (prefix caching) */
    double weight_bytes, kv_bytes;  /* bytes per weight / KV element; 0 = the precision's */
    /* decode GEMMs: the fraction of the shorter of their weight stream and their math that runs
     * in series with the longer (0 = the roofline's max, full overlap; 1 = the two summed). A
     * serving stack's figure (serving validation); plans: hardware.decode_serial. */
    double gemm_serial;
    ms_moe_routing moe_routing;  /* a MoE model's experts reached (default uniform) */
} ms_serve_input;

typedef struct {
    double ttft_s;             /* prefill of the batch's prompts + dispatch */
    double itl_s;              /* one decode step at context seq_len */
    double tokens_per_s;       /* batch / itl */
    double prefill_flops, decode_bytes;
    double decode_flops;       /* one decode step of the batch at context seq_len */
    double kv_cache_bytes;     /* of the batch at seq_len */
    double kv_bytes_per_token;
    double weights_bytes;
    double memory_bytes;       /* weights + KV */
    double memory_utilization; /* memory_bytes / capacity */
    long max_concurrent_sequences; /* at seq_len, paged KV (16-token blocks) */
    ms_bound prefill_bound, decode_bound;
    int feasible;
} ms_serve_result;

void ms_serve_input_default(ms_serve_input *s);
/* Decoder transformers and SSMs (the SSM has a constant-size state instead of a KV cache:
 * kv_cache_bytes is that state, kv_bytes_per_token 0, and the concurrency does not depend on S).
 * Returns MS_ERR_INPUT (and fills nothing useful) for other models. */
ms_status ms_serve(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                   ms_serve_result *out);

/* Continuous batching with a paged KV cache vs static batching that reserves max_seq per request. */
typedef struct {
    int max_seq_len;           /* longest sequence a request may reach */
    double mean_seq_len;       /* mean tokens per live sequence (prompt + generated so far) */
    int page_tokens;           /* KV block size, tokens */
    int max_batch;             /* scheduler cap */
    ms_precision precision;
    double efficiency;
} ms_batching_input;

typedef struct {
    double kv_free_bytes;               /* capacity - weights */
    long paged_sequences, static_sequences;
    double paged_itl_s, static_itl_s;
    double paged_tokens_per_s, static_tokens_per_s;
    double paged_waste_fraction;        /* internal fragmentation of the last block */
} ms_batching_result;

ms_status ms_continuous_batching(const ms_model *m, const ms_hardware *hw,
                                 const ms_batching_input *in, ms_batching_result *out);

/* Speculative decoding (Leviathan et al., ICML 2023): a draft proposes k tokens, the target
 * verifies them in one pass; E[tokens per verify] = (1 - α^(k+1)) / (1 - α). */
typedef struct {
    double expected_tokens;    /* tokens accepted per target pass */
    double itl_s;              /* effective time per generated token */
    double baseline_itl_s;     /* target alone */
    double speedup;
} ms_spec_result;

ms_status ms_speculative(const ms_model *target, const ms_model *draft, const ms_hardware *hw,
                         const ms_serve_input *in, double acceptance, int k, ms_spec_result *out);

/* ---- Queueing: M/M/c (Erlang C) ---- */
typedef struct {
    double utilization;        /* ρ = λ / (c μ) */
    double p_wait;             /* Erlang C: P(wait > 0) */
    double mean_wait_s;
    double p50_s, p99_s;       /* response-time quantiles: wait quantile + service time */
    int stable;                /* ρ < 1; when 0 the times are reported as 0 and must not be used */
} ms_queue_result;

/* λ requests/s, mean service time s, c replicas. */
void ms_mmc(double arrival_per_s, double service_s, int replicas, ms_queue_result *out);
/* The one p99 of the library: the 99th percentile of the M/M/c response time (wait + service),
 * exact. Smallest replica count (<= max_replicas) whose p99 <= target; 0 if none. */
int ms_mmc_replicas_for_p99(double arrival_per_s, double service_s, double p99_target_s,
                            int max_replicas);
/* The same when each replica serves `slots` requests at once (c = replicas x slots servers). */
int ms_mmc_replicas_for_p99_slots(double arrival_per_s, double service_s, int slots,
                                  double p99_target_s, int max_replicas);

/* M/G/c with service-time squared coefficient of variation cs2 (0 = deterministic, M/D/c; 1 =
 * exponential, exactly ms_mmc). Allen–Cunneen approximation: P(wait) = Erlang C, mean wait = the
 * M/M/c wait × (1 + cs2)/2 (exact for c = 1: the Pollaczek–Khinchine mean), the wait tail
 * exponential with that mean given a wait, P(W > t) = C·exp(-t/θ), θ = (1 + cs2)/(2(cμ - λ)); the
 * response quantile is the wait quantile + the mean service time (exact for deterministic service).
 * A decode-dominated LLM request has a nearly fixed service time for a fixed output length: M/D/c. */
void ms_mgc(double arrival_per_s, double service_s, double cs2, int replicas, ms_queue_result *out);

/* ---- Continuous batching: prefill/decode interference ----
 * One replica serves `batch` sequences by iterations; a request's prompt takes prefill_s alone and
 * then `out_tokens` decode iterations of decode_step_s. Arriving prompts are prefilled between (or,
 * chunked, inside) decode iterations, so decode stalls for the prefill share u_p = λ·prefill_s of
 * the time (Agrawal et al. 2024, Sarathi-Serve, "generation stalls"): the effective inter-token
 * latency is decode_step_s / (1 - u_p). Decode needs the share u_d = λ·out_tokens·decode_step_s/batch
 * of the time; the replica keeps up iff u_p + u_d < 1. */
typedef struct {
    double prefill_share;      /* u_p = λ · prefill_s */
    double decode_share;       /* λ · out_tokens · decode_step_s / batch */
    double itl_s;              /* effective inter-token latency: decode_step_s / (1 - u_p) */
    double itl_slowdown;       /* itl_s / decode_step_s */
    double tokens_per_s;       /* λ · out_tokens when stable */
    double request_s;          /* prefill_s + out_tokens · itl_s: one request, no queueing */
    int stable;
} ms_cb_result;
/* 0 on success, MS_ERR_INPUT for negative/non-finite inputs or batch < 1. */
int ms_cb_interference(double arrival_per_s, double prefill_s, double decode_step_s, int batch,
                       double out_tokens, ms_cb_result *out);

/* A closed loop of `clients` clients with no think time (a benchmark's `concurrency`: each sends
 * its next request when the last one's final token arrives) on one replica holding at most
 * `slots` sequences (the KV cache's or the server's limit). m = min(clients, slots) are served,
 * the rest wait for a slot. With λ completions per second, prefills take u_p = λ·prefill_s of the
 * time, so a token comes every decode_step_s / (1 - u_p) (ms_cb_interference). A request's time
 * to first token is, with wave_ttft_s > 0, that figure (identical requests in a closed loop arrive
 * in waves: ms_cb_wave_ttft); with 0, prompts arriving one by one: it waits for the prefills ahead
 * of it (M/D/1: u_p·prefill_s / (2 (1 - u_p))) and, when others decode, for half the iteration in
 * progress (decode_step_s / 2 · (m - 1) / m), then takes prefill_s. Each served request thus
 * takes S(λ) = first token + (out_tokens - 1) · ITL, and Little's law closes the loop:
 * λ = m / S(λ), solved by bisection on (0, 1/prefill_s). decode_step_s is the step of m sequences.
 * TTFT = (clients - m) / λ (waiting for a slot) + the first token's time. */
typedef struct {
    double requests_per_s;     /* λ */
    double prefill_share;      /* u_p */
    double ttft_s, itl_s;      /* as a client measures them */
    double tokens_per_s;       /* λ · out_tokens */
    double request_s;          /* a client's request from sending to its last token, the wait for a
                                  slot in: clients / λ (Little's law over the loop) */
    int served;                /* m */
} ms_cb_closed_result;
/* 0 on success, MS_ERR_INPUT for clients or slots < 1, out_tokens < 1, or negative / non-finite
 * times (decode_step_s must be > 0). */
int ms_cb_closed_loop(int clients, int slots, double prefill_s, double decode_step_s, double out_tokens,
                      double wave_ttft_s, ms_cb_closed_result *out);

/* The mean time to first token of a wave: `prompts` identical requests that arrive together on a
 * continuous-batching server which prefills at most `per_iteration` of them an iteration (its
 * per-iteration token budget over the prompt length, at least 1). Iteration j (from 0) prefills
 * its group, group_prefill_s for a full one and pro rata for a short last one, and decodes one
 * token of each of the j·per_iteration sequences admitted before it (that share of
 * decode_step_s, the step of all `prompts`); a prompt's first token comes as its iteration ends.
 * Clients of a closed loop of identical requests start together, and measured loops keep
 * arriving in such waves at every loop length (mlsysim/validation/README.md, "Closed loops arrive
 * in waves"). -1 for prompts or per_iteration < 1 and negative or non-finite times. */
double ms_cb_wave_ttft(int prompts, int per_iteration, double group_prefill_s, double decode_step_s);
/* Prompts of `prompt_tokens` a server with a budget of max_num_tokens prefill tokens an iteration
 * takes in one iteration of a wave of `prompts`: max_num_tokens / prompt_tokens, at least 1 (a
 * longer prompt is prefilled alone) and at most `prompts`. */
int ms_cb_wave_per_iteration(int max_num_tokens, int prompt_tokens, int prompts);

/* A closed loop of `clients` clients on one accelerator (`serve --clients`): each request a prompt
 * of in->seq_len tokens (in->batch_size ignored) and out_tokens answered; the server holds as many
 * sequences as the memory beside the weights holds at the mean context seq_len + out_tokens/2
 * (ms_serve's max_concurrent_sequences there) and prefills max_num_tokens / seq_len prompts an
 * iteration (at least 1). Prefill and decode times are ms_serve's: one prompt's prefill, the
 * group's, and the decode step of the sequences in flight at the mean context; the loop is
 * ms_cb_closed_loop with the wave's first token (ms_cb_wave_ttft). */
typedef struct {
    ms_cb_closed_result loop;  /* λ, TTFT, ITL, tokens/s, served = sequences in flight */
    long slots;                /* sequences the memory holds at the mean context */
    int per_iteration;         /* prompts prefilled an iteration */
    double prefill_s;          /* one prompt's */
    double group_prefill_s;    /* per_iteration prompts' */
    double decode_step_s;      /* of the sequences in flight, at the mean context */
    double wave_ttft_s;        /* ms_cb_wave_ttft of them */
} ms_serve_loop_result;
/* MS_OK; MS_ERR_INPUT for a model ms_serve refuses, clients < 1, out_tokens < 1, max_num_tokens < 1;
 * MS_ERR_MEMORY when not one sequence fits beside the weights. */
ms_status ms_serve_closed_loop(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in, int clients,
                               int out_tokens, int max_num_tokens, ms_serve_loop_result *out);

/* ---- Compression: quantization and pruning ---- */
typedef enum { MS_PRUNE_NONE = 0, MS_PRUNE_UNSTRUCTURED, MS_PRUNE_STRUCTURED, MS_PRUNE_2_4 } ms_prune;

typedef struct {
    ms_precision base, target;   /* e.g. fp16 -> int4 */
    double sparsity;             /* fraction of weights removed, [0, 1) */
    ms_prune prune;
} ms_compress_input;

typedef struct {
    double weights_before_bytes, weights_after_bytes;
    double compression_ratio;            /* before / after */
    double latency_before_s, latency_after_s;
    double bytes_before, bytes_after;    /* moved per step */
    double speedup;
    int feasible_before, feasible_after;
} ms_compress_result;

void ms_compress(const ms_model *m, const ms_hardware *hw, const ms_workload *w,
                 const ms_compress_input *c, ms_compress_result *out);

/* ---- Microcontrollers ---- */
typedef struct {
    double weights_bytes, activation_bytes;
    double flash_bytes, sram_bytes;
    int fits_flash, fits_sram;
    double macs;
    double latency_s, energy_j;
} ms_tiny_result;

/* Weights must fit flash (or main memory when there is no flash), peak activations SRAM;
 * latency = MACs / (peak MAC/s · η); energy = TDP x latency. */
void ms_tinyml(const ms_model *m, const ms_hardware *hw, ms_precision p, double efficiency,
               ms_tiny_result *out);

#ifdef __cplusplus
}
#endif
#endif
