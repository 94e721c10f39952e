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

#ifdef __cplusplus
}
#endif
#endif
