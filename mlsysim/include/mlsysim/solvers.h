/* solvers.h - MLSys·im's stand-alone solvers: chunked prefill, disaggregated prefill/decode,
 * M/G/c tail latency, checkpoint/reliability, data-ingestion stalls, network topologies, MoE
 * all-to-all payload and the pipeline-schedule bubble.
 *
 * Each solver is one pure function (no I/O, no allocation, no global state) over SI doubles:
 * seconds, bytes, bytes/s, FLOP/s. Functions that can be given bad numbers return 0 on success
 * and -1 with a message naming the field in `err` (when err is not NULL). The formula and its
 * source sit next to each implementation in src/solvers/solvers.c; `mlsysim solve` reaches
 * every one of them from the command line.
 */
#ifndef MLSYSIM_SOLVERS_H
#define MLSYSIM_SOLVERS_H

#include <stddef.h>

#include "mlsysim/physics.h"
#include "mlsysim/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Pipeline schedule bubble ----
 * The fraction of a 1F1B schedule's slots that are idle: (P-1) / (V·M + P-1) for P stages,
 * M micro-batches and V model chunks per stage (Narayanan et al. 2021, interleaved schedule).
 * This is a property of the schedule alone; the engine's `bubble_fraction` key is bubble time
 * over the whole step time (which also holds communication and the optimizer), so the two differ.
 * Returns 0 for P <= 1, -1 for M < 1 or V < 1. */
double ms_bubble_schedule_fraction(int stages, int microbatches, int chunks_per_stage);

/* ---- Chunked prefill (decode-stall bound) ----
 * A prompt of S tokens is prefilled in ceil(S/C) chunks of C tokens; each chunk is one forward
 * pass that decode steps of other requests must wait behind. Chunk i covers tokens [s0, s0+c):
 *   FLOPs = B·(2·P_matmul·c + attn_per_pair·(c·s0 + c(c+1)/2))       (causal attention)
 *   bytes = weights + KV of the prefix read + KV of the chunk written
 *   time  = max(FLOPs/(peak·η), bytes/BW) + dispatch + L·10 µs
 * With C >= S this is exactly ms_serve's TTFT. */
typedef struct {
    int chunks;
    double chunk_tokens;        /* C (the last chunk may be shorter) */
    double ttft_s;              /* sum of the chunk times */
    double unchunked_ttft_s;    /* one pass over the whole prompt (ms_serve) */
    double decode_stall_bound_s;/* the longest chunk: the most a decode step waits */
    double first_chunk_s;
    double flops;               /* all chunks */
} ms_chunked_prefill_result;

#define MS_CHUNKED_PREFILL_MAX_CHUNKS 1000000   /* more is refused: the walk is one step per chunk */

int ms_chunked_prefill(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                       int chunk_tokens, ms_chunked_prefill_result *out, char *err, size_t errlen);

/* ---- Disaggregated prefill / decode ----
 * Prefill runs on one accelerator type, decode on another; the KV cache of the batch crosses a
 * link of bandwidth bw and latency α between them:
 *   TTFT = TTFT_prefill + α + KV_bytes / bw;   ITL = ITL on the decode hardware.
 * Feasible when weights + KV fit the decode device (and the weights fit the prefill one). */
typedef struct {
    double prefill_ttft_s;      /* on the prefill hardware */
    double kv_bytes;
    double kv_transfer_s;       /* α + KV / bw */
    double ttft_s;              /* prefill + transfer */
    double itl_s;               /* on the decode hardware */
    double colocated_ttft_s, colocated_itl_s;   /* both phases on the decode hardware */
    int feasible;
} ms_disagg_result;

int ms_disaggregated(const ms_model *m, const ms_hardware *prefill_hw, const ms_hardware *decode_hw,
                     const ms_serve_input *in, double link_bw_bytes_per_s, double link_alpha_s,
                     ms_disagg_result *out, char *err, size_t errlen);

/* ---- Tail latency, M/G/c ----
 * Erlang C gives the M/M/c wait; the Allen–Cunneen (Kingman for c = 1) approximation scales
 * every waiting-time figure by (1 + cv²)/2 for a service time with coefficient of variation cv
 * (cv = 1: exponential, exact M/M/c; cv = 0: deterministic, exact M/D/1 mean wait).
 *   P_wait = ErlangC(λ, μ, c);  W_q(q) = max(0, ln(P_wait/(1-q)) / (cμ - λ)) · (1+cv²)/2
 *   latency quantile = W_q(q) + service time (the service itself is not made a distribution). */
typedef struct {
    double utilization;         /* ρ = λ/(cμ) */
    double p_wait;              /* probability an arrival waits (Erlang C) */
    double kingman_factor;      /* (1 + cv²)/2 */
    double mean_wait_s;
    double p50_wait_s, p99_wait_s;
    double p50_latency_s, p99_latency_s;
    int stable;                 /* ρ < 1; else the waits are not finite and are reported as 0 */
} ms_tail_result;

int ms_tail_latency(double arrival_per_s, double service_s, int servers, double service_cv,
                    ms_tail_result *out, char *err, size_t errlen);

/* ---- Checkpointing and reliability ----
 * Inputs: δ (seconds to write one checkpoint), the job's useful work (seconds), recovery R
 * (seconds from a failure to running again) and the cluster MTBF M (seconds); interval τ
 * (0 = Young's optimum √(2δM)).
 *   goodput = 1 - δ/τ - (τ/2 + R)/M   (first-order: per failure, half an interval of work is
 *                                      lost plus the recovery); clamped to [0, 1]
 *   wall time = work / goodput; expected failures = wall / M; checkpoints = work / τ. */
typedef struct {
    double interval_s;          /* τ used */
    double young_daly_s;        /* √(2δM) */
    double daly_s;              /* Daly 2006 higher-order optimum */
    double goodput;
    double wall_time_s;         /* 0 when goodput is 0 (the job never finishes) */
    double expected_failures;
    double checkpoints;
    double failure_prob;        /* P(at least one failure during the wall time) */
    double overhead_s;          /* wall - work */
} ms_checkpoint_result;

int ms_checkpoint_solve(double checkpoint_s, double job_s, double recovery_s, double mtbf_s,
                        double interval_s, ms_checkpoint_result *out, char *err, size_t errlen);

/* ---- Data ingestion ----
 * Demand = samples/s the accelerators consume × bytes/sample. Supply = the slowest stage that
 * is given (> 0): storage read bandwidth, network bandwidth, and CPU preprocessing (samples/s per
 * worker × workers × bytes/sample). ρ = demand/supply; ρ > 1 stalls the accelerators, which then
 * run at 1/ρ of their rate (stall fraction 1 - 1/ρ). */
typedef struct {
    double demand_bytes_per_s;
    double supply_bytes_per_s;
    const char *bottleneck;     /* "storage", "network" or "cpu" (the slowest supply stage) */
    double utilization;         /* ρ */
    int stalled;                /* ρ > 1 */
    double stall_fraction;      /* of wall time the accelerators wait, 0 when not stalled */
    double achieved_samples_per_s;
    double headroom_bytes_per_s;/* supply - demand (negative when stalled) */
} ms_ingest_result;

int ms_ingest(double samples_per_s, double bytes_per_sample, double storage_bw_bytes_per_s,
              double network_bw_bytes_per_s, double cpu_samples_per_s_per_worker, int workers,
              ms_ingest_result *out, char *err, size_t errlen);

/* ---- Network topologies ----
 * N endpoints with links of bandwidth bw (per direction) and a switch oversubscription o >= 1.
 * Bisection bandwidth = the bandwidth of the links a cut into two halves severs (Dally & Towles,
 * "Principles and Practices of Interconnection Networks", ch. 3):
 *   fat-tree (non-blocking Clos): N/2 · bw / o;        avg hops 4 (leaf-spine-core-spine-leaf)
 *   dragonfly (Kim et al. ISCA'08): 0.85 · N/2 · bw / o (global links, upstream's β); hops 3
 *   3D torus k×k×k (N = k³): 2·k² · bw (wrap-around doubles the cut); hops 3·k/4
 *   ring: 2 · bw (the cut severs two links);           hops N/4 (bidirectional) */
typedef enum { MS_TOPO_FAT_TREE = 0, MS_TOPO_DRAGONFLY, MS_TOPO_TORUS3D, MS_TOPO_RING, MS_TOPO_COUNT } ms_topology;

const char *ms_topology_name(ms_topology t);
int ms_topology_parse(const char *s, ms_topology *out);   /* "fat-tree", "dragonfly", "torus3d", "ring" */

typedef struct {
    double bisection_bytes_per_s;
    double per_node_bisection_bytes_per_s;   /* bisection / (N/2): what each node of one half gets */
    double avg_hops;
    double diameter_hops;
} ms_topology_result;

int ms_topology_eval(ms_topology t, int nodes, double link_bw_bytes_per_s, double oversubscription,
                     ms_topology_result *out, char *err, size_t errlen);

/* ---- MoE all-to-all with routing imbalance ----
 * T tokens per EP rank (micro-batch × sequence), hidden h, b bytes per element, top-k of E experts,
 * imbalance f >= 1 (the busiest expert receives f times its fair share). Effective experts per
 * token k' = min(E, k·f); the rank's buffer M = T·h·b·k'; it sends M·(EP-1)/EP to other ranks.
 * One all-to-all: (EP-1)/EP · M / bw + (EP-1)·α. A MoE layer's forward pass runs two (dispatch and
 * combine), its backward pass two more. */
typedef struct {
    double effective_experts_per_token;
    double buffer_bytes;        /* M */
    double sent_bytes;          /* M·(EP-1)/EP per rank */
    double alltoall_s;          /* one all-to-all */
    double layer_forward_s;     /* dispatch + combine */
    double layer_train_s;       /* forward + backward: 4 all-to-alls */
} ms_moe_a2a_result;

int ms_moe_alltoall(double tokens, int hidden, double bytes_per_elem, int top_k, int experts,
                    double imbalance, int ep, double bw_bytes_per_s, double alpha_s,
                    ms_moe_a2a_result *out, char *err, size_t errlen);

/* ---- Amdahl's law ----
 * Speed-up of a job whose fraction p runs s times faster: 1 / ((1-p) + p/s) (Amdahl 1967).
 * Returns -1 for p outside [0, 1] or s <= 0. */
double ms_amdahl_speedup(double parallel_fraction, double speedup);

/* ---- Per-kernel-type efficiency ----
 * The fraction of peak a kernel class reaches, scaled from the workload's η (0.5 is the
 * PaLM-era reference, so scale = η/0.5) and capped where the kernel class saturates:
 *   attention with FlashAttention  min(0.75·scale, 0.85)   attention without  0.30·scale
 *   FFN (large GEMMs)              min(0.50·scale, 0.60)   convolution        min(0.40·scale, 0.55)
 * clamped to [0, 1]. Constants as upstream MLSys·im's EfficiencyModel (its constants.py); the
 * FlashAttention figure sits in FlashAttention-2's reported 50-73 % of A100 peak (Dao 2023).
 * The loss is split into occupancy 1 - min(1.1·η, 1) and memory stalls (what remains). */
typedef enum { MS_KERNEL_ATTENTION = 0, MS_KERNEL_FFN, MS_KERNEL_CONV, MS_KERNEL_COUNT } ms_kernel_kind;

const char *ms_kernel_kind_name(ms_kernel_kind k);
int ms_kernel_kind_parse(const char *s, ms_kernel_kind *out);   /* "attention", "ffn", "conv" */

typedef struct {
    double mfu;                 /* fraction of peak the kernel reaches */
    double achievable_flops;    /* peak · mfu (0 when no peak was given) */
    double occupancy_loss, memory_stall;
} ms_kernel_eff_result;

int ms_kernel_efficiency(ms_kernel_kind k, int flash_attention, double eta, double peak_flops,
                         ms_kernel_eff_result *out, char *err, size_t errlen);

/* ---- Network roofline (the fleet's roofline with the fabric as the memory) ----
 * N accelerators of peak F each (η applied), a fabric of bisection bandwidth bw/o. One step
 * trains `samples` samples of a P-parameter model and synchronises its gradients once:
 *   FLOPs = 6·P·samples;  sync bytes = 2·P·b (reduce-scatter + all-gather of b-byte gradients)
 *   intensity = FLOPs / sync bytes;  ridge = N·F / (bw/o)
 *   T_compute = FLOPs / (N·F·η);  T_net = sync / (bw/o);  step = max (no overlap credit).
 * With samples = 1 this is upstream's NetworkRooflineModel. */
typedef struct {
    double total_flops_per_s;   /* N·F */
    double bisection_bytes_per_s;
    double step_flops, sync_bytes;
    double intensity_flop_per_byte, ridge_flop_per_byte;
    double t_compute_s, t_network_s, step_s;
    int network_bound;
} ms_net_roofline_result;

int ms_network_roofline(double params, double bytes_per_param, double samples, int accelerators,
                        double peak_flops_each, double eta, double fabric_bw_bytes_per_s,
                        double oversubscription, ms_net_roofline_result *out, char *err, size_t errlen);

/* ---- Reasoning-time scaling (test-time compute) ----
 * K reasoning steps of t tokens each after one prefill: T = TTFT + K·t·ITL, with TTFT and ITL
 * from ms_serve at the given context (ITL held at that context, as upstream's
 * InferenceScalingModel does; t = 50 is its TOKENS_PER_REASONING_STEP). Energy: the power follows
 * the load as elsewhere (TDP · ms_power_fraction(MFU), physics.h): E = TDP · (f(MFU_prefill) · TTFT
 * + f(MFU_decode) · K·t·ITL); a small-batch decode is memory-bound and draws near the idle floor. */
typedef struct {
    double tokens;              /* K·t */
    double ttft_s, itl_s;
    double step_s;              /* t·ITL */
    double total_s;
    double prefill_mfu, decode_mfu;   /* FLOPs / (time · peak) of the prefill and of one decode pass */
    double energy_j;
} ms_reasoning_result;

int ms_reasoning(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in, int steps,
                 int tokens_per_step, ms_reasoning_result *out, char *err, size_t errlen);

/* ---- Wafer-scale weight streaming (Cerebras-style) ----
 * Weights stay off-chip and stream in one layer at a time over an injection link of bandwidth
 * bw_inj; the KV cache (+10 % working space) must live in on-wafer SRAM. Per layer, with
 * W_l = P·b/L:  T_inject = W_l / bw_inj;  decode compute = 2·(P/L)·B / (peak·η);
 * prefill compute = (2·(P/L)·S·B + attention of S causal tokens / L) / (peak·η);
 * T_layer = max(inject, compute); a token takes L·T_layer; the batch that balances the two is
 * B* = T_inject·peak·η / (2·P/L). (Upstream's WeightStreamingModel; our prefill attention counts
 * the causal pairs of every head, upstream S²·H_kv·d.) */
typedef struct {
    double layer_weight_bytes;
    double inject_s;            /* per layer */
    double decode_compute_s;    /* per layer */
    double prefill_compute_s;   /* per layer */
    double token_s;             /* one decode step, all layers */
    double prefill_s;           /* all layers */
    double tokens_per_s;        /* B / token_s */
    double kv_bytes;            /* with the 10 % working margin */
    double sram_bytes;
    double optimal_batch;       /* B* */
    int injection_bound;        /* decode limited by the weight stream */
    int kv_fits;
} ms_weight_stream_result;

int ms_weight_streaming(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                        double inject_bw_bytes_per_s, ms_weight_stream_result *out, char *err,
                        size_t errlen);

/* ---- DP-SGD cost ----
 * Differentially private training clips per-example gradients and adds noise; upstream's
 * ResponsibleEngineeringModel charges it as slowdown = 1 + 2 / max(ε, 0.01) (its
 * DP_SGD_SLOWDOWN_COEFFICIENT 2.0: a tighter privacy budget ε needs more noise, more steps).
 * Fairness: the smallest subgroup at share p_min needs 1/max(p_min, 1e-6) times the data to be
 * seen as often as the average sample. */
typedef struct {
    double slowdown;
    double time_s;              /* base · slowdown */
    double extra_time_s;
    double additional_data_factor;
} ms_dpsgd_result;

int ms_dpsgd(double base_s, double epsilon, double min_group_fraction, ms_dpsgd_result *out,
             char *err, size_t errlen);

/* ---- Cluster job queue (M/D/1) ----
 * Jobs arrive at λ per day (Poisson) and each holds the cluster for D days (deterministic):
 *   μ = 1/D; ρ = λ/μ;  W_q = ρ / (2μ(1-ρ));  L_q = ρ² / (2(1-ρ))  (Pollaczek-Khinchine, cv = 0);
 * response = W_q + D. Not finite for ρ >= 1 (reported as 0 with stable = 0). */
typedef struct {
    double utilization, mean_wait_days, queue_length, response_days;
    int stable;
} ms_job_queue_result;

int ms_job_queue(double jobs_per_day, double job_days, ms_job_queue_result *out, char *err,
                 size_t errlen);

/* ---- LoRA fine-tuning: memory and time against full fine-tuning ----
 * Rank-r adapters on the attention projections (Hu et al. 2021): a d_in×d_out matrix gains
 * r·(d_in + d_out) trainable parameters. Per layer Q (h→a·d), K and V (h→kv·d), O (a·d→h); for
 * multi-head attention that is 8·r·h per layer, upstream's 2·r·h·4L.
 *   model state, full  = P·(b + b + 12)     (weights, gradients, fp32 Adam master+moments)
 *   model state, LoRA  = (P + P_t)·b + P_t·(b + 12)   (frozen base; only adapters train)
 *   FLOPs per token, full = 6·P_a;  LoRA = 2(P_a+P_t) forward + 2·P_a activation gradients
 *                          + 4·P_t adapter gradients = 4·P_a + 6·P_t
 * (activations are left out; they are the same for both). Step time = tokens·FLOPs/(peak·η). */
typedef struct {
    double trainable_params, trainable_fraction;
    double full_state_bytes, lora_state_bytes;
    double full_flops_per_token, lora_flops_per_token;
    double full_step_s, lora_step_s;
    double full_grad_sync_bytes, lora_grad_sync_bytes;   /* what data parallelism all-reduces */
    int full_fits, lora_fits;   /* model state <= device memory */
} ms_lora_result;

int ms_lora(const ms_model *m, const ms_hardware *hw, int rank, ms_precision precision, double eta,
            double tokens_per_step, ms_lora_result *out, char *err, size_t errlen);

/* ---- Step-time factors: congestion, stragglers, gradient accumulation ----
 * A data-parallel step of compute T_c, DP gradient all-reduce T_dp, other communication T_o
 * (TP, EP) and pipeline bubble T_b. Network congestion multiplies all communication by k_c;
 * gradient accumulation over G micro-batches runs the all-reduce once per G, so its cost per
 * micro-batch is T_dp/G; overlap hides a fraction ω of it; the slowest of N ranks sets the pace
 * (straggler factor k_s >= 1):
 *   T = (T_c + k_c·T_dp·(1-ω)/G + k_c·T_o + T_b) · k_s;   scaling efficiency = T_c / T
 * (upstream's DistributedModel applies the same factors). */
typedef struct {
    double dp_comm_s, other_comm_s;   /* after congestion and accumulation */
    double step_s;              /* per micro-batch */
    double scaling_efficiency;
    double straggler_s;         /* the part the straggler adds */
} ms_step_factors_result;

int ms_step_factors(double compute_s, double dp_comm_s, double other_comm_s, double bubble_s,
                    double congestion, double straggler, int grad_accum, double overlap,
                    ms_step_factors_result *out, char *err, size_t errlen);

/* ---- Stand-alone collective timings (α-β model) ----
 * M bytes per rank, N ranks, link bandwidth β per direction and latency α:
 *   ring all-reduce    2(N-1)/N·M/β + 2(N-1)α
 *   tree all-reduce    2⌈log2 N⌉·(M/β + α)   (binary tree, reduce then broadcast)
 *   double binary tree 1.05·2(N-1)/N·M/β + 1.2·2·log2 N·α (two trees carry half the data each;
 *                      NCCL's scheme, Sanders et al. 2009; the 1.05 and 1.2 overheads are
 *                      upstream MLSys·im's)
 *   all-to-all, reduce-scatter, all-gather   (N-1)/N·M/β + (N-1)α
 *   hierarchical all-reduce over nodes of g ranks: intra-node reduce-scatter (g-1)/g·M/β + (g-1)α,
 *                      ring all-reduce of M/g over N/g nodes at (β_inter, α_inter), intra-node
 *                      all-gather; phases added (not pipelined).
 *   NVLink SHARP all-reduce (the switch reduces and multicasts): M/(0.74·β) + 25 µs, each link
 *                      carrying M once at MS_COLLECTIVE_NVLS_EFFICIENCY of the ring's rate, at
 *                      NCCL's NVLS latency (MS_NCCL_NVLS_LATENCY_S), whatever N. */
#define MS_COLLECTIVE_NVLS_EFFICIENCY 0.74   /* H100: 275 GB/s algbw / the ring's 370 (nccl-tests issue 212) */
typedef enum {
    MS_COLLECTIVE_RING = 0, MS_COLLECTIVE_TREE, MS_COLLECTIVE_DBTREE, MS_COLLECTIVE_HIERARCHICAL,
    MS_COLLECTIVE_NVLS, MS_COLLECTIVE_ALL_TO_ALL, MS_COLLECTIVE_REDUCE_SCATTER, MS_COLLECTIVE_ALL_GATHER, MS_COLLECTIVE_COUNT
} ms_collective_kind;

const char *ms_collective_name(ms_collective_kind k);
int ms_collective_parse(const char *s, ms_collective_kind *out);

typedef struct {
    double time_s;
    double bandwidth_term_s, latency_term_s;
    double algbw_bytes_per_s;   /* M / time */
    double busbw_bytes_per_s;   /* nccl-tests bus bandwidth: algbw·2(N-1)/N for all-reduce,
                                   algbw·(N-1)/N otherwise */
} ms_collective_result;

int ms_collective(ms_collective_kind k, double bytes, int ranks, double bw_bytes_per_s,
                  double alpha_s, int ranks_per_node, double inter_bw_bytes_per_s,
                  double inter_alpha_s, ms_collective_result *out, char *err, size_t errlen);

/* ---- Economics and sustainability with every input exposed (TCO) ----
 * N accelerators of TDP W and unit cost C run for D days at utilisation MFU:
 *   P_chip = W·ms_power_fraction(MFU, s)   (physics.h: 30 % idle floor, TDP from MFU s = 0.5 on;
 *                                         s = 1 is upstream's line W·(0.30 + 0.70·MFU))
 *   E_IT = P_chip·N·24·D;  E = E_IT·PUE;  CO2 = E·CI + embodied;  water = E·WUE
 *   CapEx = C·N·infra;  CapEx for the period = CapEx / years · D/365;
 *   maintenance = CapEx·m·D/365;  energy cost = E·price;  TCO = period CapEx + maintenance + energy
 * Embodied carbon per device is amortised like the CapEx (kg·N·D/(365·years)); upstream adds it
 * whole. With MFU 0.45, 256 H100 (700 W, $25,000), PUE 1.12, 429 g/kWh, 1.8 L/kWh, $0.12/kWh, one
 * day and power_saturation 1 this is upstream's golden: 2,644.992 kWh IT, 1,270.866 kg, TCO
 * $7,076.95. power_saturation 0 means MS_POWER_SATURATION. */
typedef struct {
    int accelerators;
    double tdp_w, unit_cost_usd;
    double days, mfu;
    double pue, carbon_g_per_kwh, wue_l_per_kwh, price_usd_per_kwh;
    double amortization_years, maintenance_fraction, infra_multiplier;
    double embodied_kg_per_device;
    double power_saturation;
} ms_tco_input;

typedef struct {
    double chip_power_w;
    double it_energy_kwh, total_energy_kwh;
    double operational_co2_kg, embodied_co2_kg, co2_kg;
    double water_l;
    double capex_total_usd, capex_period_usd, maintenance_usd, energy_usd, tco_usd;
    double usd_per_accelerator_hour;
} ms_tco_result;

int ms_tco(const ms_tco_input *in, ms_tco_result *out, char *err, size_t errlen);

/* ---- Microcontroller kernel efficiency: CMSIS-NN SIMD vs plain C int8 loops ----
 * The int8 peaks of the registry's Cortex-M parts count the SIMD rate CMSIS-NN's kernels use
 * (SMLAD: 2 int8 MAC per cycle); MS_TINY_EFF_CMSIS_NN (0.5, the engine's default η) is the share of
 * it such a library reaches. Plain C int8 loops (the kits' runtime: scalar loads, zero-point
 * subtracts, bounds checks, loop overhead) are calibrated apart, once, on Cortex-M4:
 * 7,005,811 instructions per LeNet-5 inference of 416,520 MACs under QEMU's instruction count
 * (kits/ABOUT.md) = 16.82 instructions per MAC; at one instruction per cycle that is
 * η = 1 / (16.82 · 2) = 0.0297 of the SMLAD peak. Calibrated for the SMLAD-class cores
 * (Cortex-M4/M7/M33); other core families are not calibrated. */
#define MS_TINY_EFF_CMSIS_NN 0.5
#define MS_TINY_PLAIN_C_INSTR_PER_MAC (7005811.0 / 416520.0)
#define MS_TINY_EFF_PLAIN_C (1.0 / (MS_TINY_PLAIN_C_INSTR_PER_MAC * 2.0))

typedef enum { MS_TINY_KERNEL_CMSIS_NN = 0, MS_TINY_KERNEL_PLAIN_C, MS_TINY_KERNEL_COUNT } ms_tiny_kernel;
const char *ms_tiny_kernel_name(ms_tiny_kernel k);            /* "cmsis-nn", "plain-c" */
int ms_tiny_kernel_parse(const char *s, ms_tiny_kernel *out); /* 0 ok, -1 unknown */
double ms_tiny_kernel_efficiency(ms_tiny_kernel k);           /* the named η above */

/* ---- The solver table: one description of every solver above for the CLI and the labs API ----
 * Each solver lists its arguments (name, type, unit, range, default, help). Front ends fill an
 * ms_solve_values by argument name (the CLI from `--name VALUE`, the labs API from a JSON object
 * whose keys are the names with '-' written '_'), then ms_solver_run checks what is required,
 * resolves registry names and writes the solver's figures into an ms_result. */
#define MS_SOLVE_MAX_ARGS 20

typedef enum {
    MS_SARG_NUM = 0,            /* a number in [min, max] */
    MS_SARG_INT,                /* an integer in [min, max] */
    MS_SARG_CHOICE,             /* one word of `choices` ("a|b|c") */
    MS_SARG_MODEL,              /* a registry model name */
    MS_SARG_HW,                 /* a registry hardware name */
    MS_SARG_PRECISION,          /* fp32 ... fp4 */
    MS_SARG_GRID                /* a registry grid (region) name */
} ms_solve_arg_type;

typedef struct {
    const char *name;           /* "service-ms": the flag --service-ms, the JSON key service_ms */
    ms_solve_arg_type type;
    const char *unit;           /* "ms", "GB/s", "" */
    double min, max;            /* NUM / INT */
    double def;                 /* NUM / INT default when not required */
    const char *sdef;           /* CHOICE / PRECISION default; NULL = none */
    int required;
    const char *choices;        /* CHOICE: "ring|tree|..." */
    const char *help;
} ms_solve_arg;

typedef struct {
    double num[MS_SOLVE_MAX_ARGS];
    char str[MS_SOLVE_MAX_ARGS][MS_NAME_MAX];
    int given[MS_SOLVE_MAX_ARGS];
} ms_solve_values;

typedef struct ms_solver ms_solver;
struct ms_solver {
    const char *name;           /* "tail" */
    const char *title;          /* the result's title */
    const char *summary;        /* one line */
    const char *formula;        /* one line */
    int positional;             /* leading arguments that may be given without their flag */
    ms_solve_arg args[MS_SOLVE_MAX_ARGS];   /* ends at name == NULL */
    const char *examples[4];    /* command lines (after "mlsysim "); NULL-terminated */
    int (*run)(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v,
               ms_result *out, char *err, size_t errlen);
};

size_t ms_solver_count(void);
const ms_solver *ms_solver_at(size_t i);
const ms_solver *ms_solver_find(const char *name);     /* NULL if unknown */
/* The index of argument `name` ('-' and '_' read alike), or -1. */
int ms_solver_arg_index(const ms_solver *s, const char *name);
/* Empties v (nothing given). */
void ms_solve_values_init(ms_solve_values *v);
/* Sets argument i from text (CLI) or from a number (JSON); checks type, range and choices.
 * 0, or -1 with a message naming the argument. */
int ms_solver_set_text(const ms_solver *s, int i, const char *text, ms_solve_values *v, char *err, size_t errlen);
int ms_solver_set_num(const ms_solver *s, int i, double x, ms_solve_values *v, char *err, size_t errlen);
/* Fills defaults, refuses missing required arguments and unknown registry names, runs the solver
 * into *out (initialised here in every case; free it with ms_result_free). 0, or -1 with the message in err and in
 * *bad_arg the index of the argument at fault (-1 when the inputs only fail together). */
int ms_solver_run(const ms_solver *s, const ms_registry *reg, const ms_solve_values *v, ms_result *out,
                  int *bad_arg, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
