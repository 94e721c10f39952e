/* distributed.h - MLSys·im at fleet scale: collectives, distributed training step, training
 * memory, reliability, economics and carbon, scaling laws, sensitivity/synthesis and the design
 * searches (parallelism, placement, serving batching), plus the validation table of published runs.
 *
 * The API takes explicit numeric structs and never depends on the registry or plan types: a
 * caller fills the structs from wherever its numbers come from. Units are SI doubles (seconds,
 * bytes, FLOP, FLOP/s, bytes/s, watts, joules, USD); names end in their unit. Every bandwidth is
 * PER DIRECTION (an NVLink figure quoted as "600 GB/s bidirectional" is 300e9 here).
 *
 * Conventions used by every function:
 *   - returns MS_DIST_OK (0) on success, a negative MS_DIST_E* status otherwise, and when an
 *     error buffer is given writes a message naming the offending field;
 *   - pure: no global state, no allocation unless the function says so; thread-safe.
 */
#ifndef MLSYSIM_DISTRIBUTED_H
#define MLSYSIM_DISTRIBUTED_H

#include <stddef.h>

/* Efficiency of a distributed training plan that names none: the figure calibrated once on the
 * Megatron-LM rows of Narayanan et al. 2021 (mlsysim/validation/calibration.csv), the large-scale
 * training stack with the most published per-configuration measurements. Single-accelerator
 * evaluations keep MS_DEFAULT_EFFICIENCY. */
#define MS_DIST_DEFAULT_TRAIN_EFFICIENCY 0.70

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------------- */
enum {
    MS_DIST_OK = 0,
    MS_DIST_EINVAL = -1,   /* an input field is out of range (message names it) */
    MS_DIST_ENOFIT = -2,   /* the plan does not fit in accelerator memory (CLI exit code 2) */
    MS_DIST_EIO = -3,      /* a file could not be read or parsed (message names file:line) */
    MS_DIST_ENOMEM = -4    /* allocation failed */
};

/* ---------------------------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------------------------- */

/* One accelerator. */
typedef struct ms_dist_accel {
    double peak_flops;           /* FLOP/s, dense 16-bit tensor-core peak (datasheet) */
    double mem_bw_bytes_per_s;   /* HBM bandwidth, bytes/s (datasheet) */
    double mem_capacity_bytes;   /* HBM capacity, bytes */
    double tdp_w;                /* board power, W (energy model); 0 = unknown */
    /* Power limit set below TDP (nvidia-smi -pl), W; 0 = none. The GEMMs and the attention core
     * then run at ms_power_limit_clock(power_limit_w, tdp_w) of their speed, the memory-bound
     * kernels and links at theirs; the board draws at most this much. Needs tdp_w. */
    double power_limit_w;
    double unit_cost_usd;        /* purchase price, USD (TCO); 0 = unknown */
    /* Fraction of datasheet peak FLOP/s and HBM bandwidth that the software stack reaches on
     * large kernels: the ONE calibration figure per accelerator generation and software stack
     * (see docs/mlsysim-scale.md). 0 selects MS_DIST_DEFAULT_EFFICIENCY. */
    double efficiency;
    /* Shape-dependent GEMM efficiency (0 = off): the number of compute units (SMs: 108 on A100,
     * 132 on H100 SXM) over which 128×128 output tiles are scheduled in waves. Each GEMM then runs
     * at peak·η·q with q = (wave quantization)·(tile quantization)·K/(K + 64) (a fixed per-tile
     * prologue/epilogue worth 64 steps of the K loop). */
    int compute_units;
    /* Fraction of datasheet HBM bandwidth the memory-bound kernels reach (0 = η, the older model):
     * a plan's GPU takes ms_hw_mem_bw_fraction (registry.h: MS_HW_ACHIEVABLE_HBM_FRACTION, 0.88,
     * measured on A100 80 GB), a row of runs.csv its hbm_fraction column. */
    double mem_bw_fraction;
    /* Fraction of datasheet peak FLOP/s the fused (flash) attention kernel reaches, forward and
     * backward (0 = η, the GEMM figure). Attention kernels run below the GEMMs: FlashAttention-2
     * reaches 50-73 % of peak on A100 (Dao 2023, arXiv 2307.08691) and 35 % on H100, where it does
     * not use the Hopper instructions (Shah et al. 2024, FlashAttention-3, arXiv 2407.08608). Used
     * only with ms_dist_parallel_t.flash_attention. */
    double attn_efficiency;
    /* The fused attention kernel's non-matmul work per score (query-key pair) and pass, in the
     * tensor-core FLOPs the SM could retire in its time (0 = off: the kernel runs at
     * attn_efficiency whatever its head dimension). Per score and pass the kernel runs 4·d (forward)
     * or 10·d (backward) matmul FLOPs for head dimension d, but one exponential on the
     * special-function units (16 per clock per SM on sm_80 and sm_90, CUDA C++ Programming Guide,
     * "Arithmetic Instructions") and about three FP32 operations (FlashAttention-2, Dao 2023,
     * Algorithms 1 and 2: row max, scale-and-shift, row sum; backward: scale-and-shift, P·(dP − D)),
     * which FlashAttention-2 does not overlap with its matmuls (Shah et al. 2024, FlashAttention-3,
     * arXiv 2407.08608, Sec. 3.1). That work does not shrink with d, so a kernel with d = 64 runs
     * at a lower fraction of peak than one with d = 128. attn_efficiency is read as the figure at
     * head dimension MS_DIST_ATTN_REF_HEAD_DIM. A100: 128 + 3·32 = 224 (312 TFLOP/s dense BF16 on
     * 108 SMs at 1.41 GHz = 2048 FLOP per clock per SM: 128 per exponential, 32 per FP32 operation
     * at 64 per clock); H100 SXM: 254 + 3·29.5 = 342 (989 TFLOP/s against 3.9 TFLOP/s of
     * exponentials, FlashAttention-3 Sec. 1; 67 TFLOP/s FP32 = 33.5 T operations/s). */
    double attn_score_flops;
    /* Low-precision linear layers (FP8 training as NVIDIA's Transformer Engine runs it): the
     * peak FLOP/s of the transformer layers' linear GEMMs (QKV, output projection, MLP) when they
     * run in a narrower format than the rest of the step, whose attention core, logit layer and
     * element-wise kernels stay 16-bit at peak_flops; 0 = peak_flops. With
     * ms_dist_model_t.linear_bytes. */
    double linear_peak_flops;
    /* Fraction of linear_peak_flops those GEMMs' main loops reach; 0 = efficiency. */
    double linear_efficiency;
} ms_dist_accel_t;

/* The head dimension at which attn_efficiency is read (the GPT-3-style models of
 * FlashAttention-2's benchmarks and of Llama 3 use 128). */
#define MS_DIST_ATTN_REF_HEAD_DIM 128.0

/* The block a fused causal attention kernel works in, along the sequence: FlashAttention-2's kernels
 * at head dimension 128 take 128 queries per block in the forward pass and 128 keys per block in
 * the backward pass (flash-attention's kernel traits for sm80, which it also runs on sm90) and mask
 * inside the blocks that cross the diagonal, so a causal sequence of s tokens costs s(s + 128)/2
 * query-key pairs: 13 % more than the s(s+1)/2 the model needs at s = 1024, 0.2 % at 65,536. An A100
 * FlashAttention-2 causal benchmark rising from 1024 to 4096 tokens as s/(s + 127) does (144 and
 * 156 TFLOP/s, github.com/liangan1/GPU_travel performance/flash-attn) agrees. */
#define MS_DIST_ATTN_TILE 128.0

/* Which fused attention kernel a run uses (ms_dist_parallel_t.attention_kernel). attn_efficiency
 * and the stacks' attention factors are FlashAttention-2-class figures (FlashAttention-2 and the
 * Triton and cuDNN kernels of its generation, which the validated stacks ran). FlashAttention-1
 * (Dao et al. 2022; the flash_attn 0.x package) runs the same algorithm without FlashAttention-2's
 * fewer non-matmul FLOPs, sequence-length parallelism and warp partitioning: "around 2× speedup
 * compared to FlashAttention" (Dao 2023, FlashAttention-2, arXiv 2307.08691, abstract), so its
 * forward and backward take 1 / MS_DIST_FLASH1_SPEED times as long. */
typedef enum { MS_DIST_ATTN_FLASH2 = 0, MS_DIST_ATTN_FLASH1 = 1 } ms_dist_attn_kernel_t;
#define MS_DIST_FLASH1_SPEED 0.5

/* How a run's optimizer step and gradient clipping reach HBM (ms_dist_parallel_t.optimizer_impl).
 * Fused (apex / Transformer Engine FusedAdam, Megatron's and DeepSpeed's optimizers, PyTorch's
 * fused=True): one pass that reads the fp32 gradient and the optimizer state and writes the
 * state back, 4 + 2·state bytes per local parameter (28 B for mixed-precision Adam's 12 B of
 * state). Unfused: PyTorch's element-wise ops, one kernel and one pass over HBM each, as a
 * per-tensor loop (Composer's DecoupledAdamW) or torch.optim's foreach path runs AdamW: the decay
 * of the weights (read and write 4 B), the first moment scaled then added to (8 + 12), the second
 * scaled then given g² (8 + 12), the denominator's square root, bias-correction division and ε
 * (3 × 8, two new tensors), the update read from weights, moment and denominator (16): 88 B where
 * the fused pass takes 28, MS_DIST_UNFUSED_ADAM_BYTES / 28 times the fused traffic for any state
 * size; plus torch.nn.utils.clip_grad_norm_ as PyTorch-native stacks run it every step, a norm
 * pass over the fp32 gradients and an unconditional scaling pass (4 + 8 = MS_DIST_GRAD_CLIP_BYTES).
 * Memory-bound, at the memory-bound kernels' bandwidth. Foreach: torch.optim's passes over lists of
 * tensors, the unfused bytes in a few launches per pass where the loop launches each pass for
 * every tensor (the host's issue time, train_step.c "host"). */
typedef enum { MS_DIST_OPT_FUSED = 0, MS_DIST_OPT_UNFUSED = 1, MS_DIST_OPT_FOREACH = 2 } ms_dist_opt_impl_t;
#define MS_DIST_FUSED_ADAM_BYTES 28.0
#define MS_DIST_UNFUSED_ADAM_BYTES 88.0
#define MS_DIST_GRAD_CLIP_BYTES 12.0

/* Host time to issue one kernel from PyTorch's eager mode (the Python call, the dispatcher and
 * the CUDA launch): about 4 µs per operator on CUDA, measured by PyTorch's profiler on a model
 * its maintainers call dispatch-bound (pytorch/pytorch issue 82793, 2022); the simplest op on
 * a one-element tensor takes 5 µs, 7 µs while autograd records it (issue 41383, 2020). The GPU
 * runs a kernel only once the host has issued it, so a training step whose kernels are shorter
 * than this waits on the host (ms_dist_train_step, "host"). */
#define MS_DIST_HOST_OP_S 4e-6

#define MS_DIST_DEFAULT_EFFICIENCY 0.5

/* A decoder-only transformer (GPT / Llama family). */
typedef struct ms_dist_model {
    int layers;          /* l */
    int hidden;          /* h */
    int heads;           /* a (query heads) */
    int kv_heads;        /* GQA/MQA key-value heads; 0 = heads (MHA) */
    int ffn;             /* FFN inner size; 0 = 4h */
    int gated_ffn;       /* 1 = SwiGLU-style (3 FFN matrices), 0 = GeLU MLP (2 matrices) */
    int vocab;           /* V */
    int seq_len;         /* s, tokens per sequence */
    int experts;         /* MoE experts per layer; 0 or 1 = dense */
    int top_k;           /* MoE experts per token; 0 = 1 when experts > 1 */
    int tied_embeddings; /* 1 = output layer shares the input embedding (GPT-style, Megatron) */
    int learned_pos;     /* 1 = learned position embedding of s·h parameters (GPT-2/3) */
    int biases;          /* 1 = linear layers carry biases (GPT), 0 = none (Llama) */
    double bytes_per_param;   /* 16-bit training weights: 2; 0 = 2 */
    /* Bytes per element the transformer layers' linear GEMMs read (FP8 training: 1); 0 =
     * bytes_per_param. Narrower than bytes_per_param, the parameters, gradients and activations
     * stay in bytes_per_param and each GEMM operand is cast first (see train_step.c "FP8"). */
    double linear_bytes;
} ms_dist_model_t;

typedef enum ms_dist_recompute {
    MS_DIST_RECOMPUTE_NONE = 0,
    MS_DIST_RECOMPUTE_SELECTIVE = 1, /* attention core only (Korthikanti et al. 2022) */
    MS_DIST_RECOMPUTE_FULL = 2,      /* whole layer: forward computed twice */
    /* operator-level selective checkpointing as PyTorch's torchtitan runs it ("selective op"
     * AC): the attention core's output and every other matmul output of the layer's forward are
     * saved (Q, V and, gated, the gate and down projections; GeLU, the MLP's first), the other
     * matmuls (K, the output projection and the up / MLP-out projection) and every element-wise
     * op are recomputed before the backward */
    MS_DIST_RECOMPUTE_OPS = 3
} ms_dist_recompute_t;

/* How a distributed plan is parallelised. tp·pp·dp·cp (·ep inside dp) = accelerators. */
typedef struct ms_dist_parallel {
    int tp;                 /* tensor parallel degree (1 = none) */
    int pp;                 /* pipeline stages */
    int dp;                 /* data-parallel replicas; 0 = derive from accelerator count */
    int ep;                 /* expert parallel degree (groups taken inside dp); 1 = none */
    int cp;                 /* context parallel degree (sequence split); 1 = none */
    int microbatch;         /* sequences per micro-batch (b) */
    int global_batch;       /* sequences per optimizer step (B), a multiple of dp; of dp·b with pp > 1 */
    int interleave;         /* model chunks per pipeline stage (v); 1 = plain 1F1B */
    ms_dist_recompute_t recompute;
    /* With full recompute, the fraction of the layers recomputed (the rest keep all their
     * activations): Megatron-LM's --recompute-num-layers over the layers of a stage, torchtitan's
     * selective layer checkpointing of every n-th layer (1/n). 0 = 1, all of them. */
    double recompute_layer_fraction;
    int sequence_parallel;  /* 1 = Megatron sequence parallelism with TP */
    int zero_stage;         /* 0..3 (optimizer / +gradients / +parameters sharded over dp·cp:
                             * context-parallel ranks hold the same weights) */
    /* Data-parallel ranks one ZeRO shard spans (hybrid sharding: PyTorch FSDP HYBRID_SHARD / HSDP,
     * whose default group is a node's GPUs; DeepSpeed ZeRO++ hpZ and MiCS alike), each with its cp
     * ranks. The sharded state is divided by shard_group·cp instead of dp·cp; the sharded collectives (ZeRO-3 gathers and gradient
     * reduce-scatters, ZeRO-1/2 reduce-scatter and gather) run inside groups of it, and each rank's
     * reduced gradient shard is then all-reduced across the dp / shard_group replicas. It must
     * divide dp. 0 = dp: one shard over every replica (plain ZeRO / FSDP FULL_SHARD). */
    int shard_group;
    int overlap_dp;         /* 1 = gradient reduction (and ZeRO-3 gathers) overlapped with compute */
    int flash_attention;    /* 1 = fused attention: no s×s score tensor in HBM */
    /* with flash_attention, the kernel (ms_dist_attn_kernel_t): FlashAttention-2 class (0, the
     * figures' own) or FlashAttention-1 (1, at MS_DIST_FLASH1_SPEED of their speed) */
    int attention_kernel;
    /* FP8 training only (model linear_bytes below the weights'): 1 = every FP8 GEMM input is cast
     * (with its transpose) by its own kernel from the 16-bit tensor the norm or activation wrote,
     * as a stack that swaps each nn.Linear for an FP8 linear runs it (Composer / llm-foundry's
     * te.Linear, torchtitan's Float8Linear); 0 = the norm- and activation-fed inputs are cast by
     * the kernels that make them (Transformer Engine's LayerNormLinear / LayerNormMLP, as
     * Megatron-Core and NeMo run them). ms_dist_stack_fp8_separate_casts gives a stack's. */
    int fp8_separate_casts;
    /* 1 = data-parallel and ZeRO collectives run as flat rings with every hop on one rank's share
     * of its node's NICs (no NVLink phase, no pipelining of phases): how DeepSpeed ZeRO-3 ran in
     * Narayanan et al. 2021 Table 2. 0 = hierarchical multi-rail collectives as NCCL runs them. */
    int flat_dp_collectives;
    /* Software efficiency of the stack's sharded-parameter collectives (ZeRO-3 / FSDP all-gathers
     * and reduce-scatters): the fraction of the links' achievable (NCCL-tests) rate they reach,
     * apart from the hardware: per-layer gathers of fragmented buffers driven from the host reach
     * less than NCCL-tests' large-message rate. 0 = 1 (MS_DIST_SHARDED_COLL_EFFICIENCY). */
    double sharded_coll_efficiency;
    /* Optimizer state per parameter, bytes: 0 = 12 (mixed-precision Adam: fp32 master, m, v);
     * negative = no optimizer state (inference-style forward/backward only). */
    double optimizer_bytes_per_param;
    /* Gradient bytes per parameter kept between the backward and the optimizer step: 0 = the
     * weights' (ZeRO's mixed precision, 2 + 2 + 12 = 16 B per parameter with Adam, DeepSpeed and
     * PyTorch FSDP alike); 4 = fp32 gradients, Megatron-style mixed precision (the main_grad
     * buffer: 2 + 4 + 12 = 18 B per parameter, 6 + 12/dp with the distributed optimizer).
     * ms_dist_stack_grad_bytes gives a stack's (with fp16 parameters the Megatron family keeps fp16
     * gradients and 4 B more of optimizer state: 20 B). Memory only: the step's time does not use it. */
    double grad_bytes_per_param;
    /* MoE routing imbalance: the busiest expert's load over the fair share (>= 1; 0 = 1). Each
     * token's expert-parallel all-to-all carries min(E, top_k x imbalance) copies instead of top_k
     * (ms_moe_alltoall's effective experts per token, solvers.h). */
    double moe_imbalance;
    /* 1 = tensor-parallel communication overlapped with the layer's GEMMs (Transformer Engine
     * userbuffers, NeMo / Megatron-Core `ub_tp_comm_overlap` / `tp_comm_overlap`: the sequence-
     * parallel all-gather runs in chunks under the GEMM that consumes it, the reduce-scatter under
     * the GEMM that produces it). Each layer's TP collectives are then exposed only where they
     * outlast its GEMMs: max(0, M - C), M the layer's TP collective time over its passes, C its
     * linear-layer GEMM time in the same passes. 0 = synchronous, all of M on the critical path. */
    int tp_comm_overlap;
    /* 1 = the backward's tensor-parallel collectives run asynchronously beside the GEMMs that do
     * not need them, as Megatron-LM (by its 2022 release with sequence parallelism), Megatron-
     * Core and Transformer Engine's linear layers run them: each column-parallel layer's input-
     * gradient all-reduce (with sequence parallelism: reduce-scatter) beside its weight-gradient
     * GEMM, and with sequence parallelism the re-gather of its input beside its input-gradient
     * GEMM; the forward's collectives and the row-parallel layers' output-gradient all-gathers
     * stay synchronous (train_step.c, "TP async"). Ignored with tp_comm_overlap, which hides more.
     * 0 = every TP collective synchronous (Megatron-LM of 2021 and stacks without it).
     * ms_dist_stack_tp_async_grad gives a stack's. */
    int tp_async_grad;
    /* 1 = the interleaved 1F1B schedule's pipeline sends and receives overlapped with the chunks'
     * compute (Megatron-Core / NeMo `overlap_p2p_comm`, Megatron-LM's default: each transfer is
     * posted before the next chunk runs and waited for only when its data is needed). Only the
     * pipeline's fill and drain wait for their data: 2·(pp - 1) transfers are exposed instead of
     * 2·v per micro-batch. Needs interleave > 1 (Megatron-Core overlaps only the interleaved
     * schedule); 0 = every transfer on the critical path. ms_dist_stack_pp_comm_overlap gives a
     * stack's. */
    int pp_comm_overlap;
    /* 1 = all-gather context parallelism (Llama 3's: each rank gathers the whole sequence's K and
     * V before its attention and reduce-scatters their gradients after, the collectives on the
     * critical path; Dubey et al. 2024, Sec. 3.3.2); 0 = ring context parallelism (Megatron-Core's
     * and torchtitan's: K and V chunks pass round the ring while the attention core computes on the
     * chunk at hand, so only what the core does not cover is exposed). Only with cp > 1.
     * ms_dist_stack_cp_allgather gives a stack's. */
    int cp_allgather;
    /* how the optimizer step reaches HBM (ms_dist_opt_impl_t): fused (0) or PyTorch's unfused
     * element-wise passes with gradient-norm clipping (1). ms_dist_stack_optimizer_impl gives a
     * stack's. */
    int optimizer_impl;
    /* Host time to issue one kernel: 0 = MS_DIST_HOST_OP_S (PyTorch eager), < 0 = none (a step
     * captured in a CUDA graph replays without the host). */
    double host_op_s;
} ms_dist_parallel_t;

/* The cluster's network. */
/* Message-size regimes of one link: a measured α and β per size range. Regime i covers messages
 * of at least min_bytes[i] bytes up to the next regime's min_bytes (the first regime also covers
 * anything smaller). Shared-memory and NIC transports switch protocol (eager / rendezvous) and run
 * from cache or from DRAM by message size, so one α and one β cannot describe every size. */
#define MS_COLL_MAX_REGIMES 8
typedef struct ms_coll_regimes {
    int n;                                     /* regimes in use, 0 = none */
    double min_bytes[MS_COLL_MAX_REGIMES];     /* ascending */
    double bw_bytes_per_s[MS_COLL_MAX_REGIMES];
    double alpha_s[MS_COLL_MAX_REGIMES];
} ms_coll_regimes_t;

typedef struct ms_dist_fabric {
    int accels_per_node;          /* g, accelerators per node (NVLink domain) */
    int nodes;                    /* nodes in the job; 0 = derive from the plan */
    double intra_bw_bytes_per_s;  /* per accelerator, per direction, inside a node (NVLink) */
    double intra_alpha_s;         /* per-message latency inside a node */
    double inter_bw_bytes_per_s;  /* per NODE, per direction, all NICs together */
    double inter_alpha_s;         /* per-message latency between nodes */
    /* Optional measured size regimes of the link inside a node (NULL = intra_bw / intra_alpha for
     * every size). Used for collectives within one node; measured figures, not scaled by η. */
    const ms_coll_regimes_t *intra_regimes;
    /* Achievable fraction of the datasheet (line-rate) bandwidth that NCCL's collectives reach on
     * large messages (NCCL-tests bus bandwidth / line rate), per link class; 0 = the defaults
     * below. Applied by ms_dist_fabric_achievable (the training step and the inference TP group);
     * ms_coll_time_s itself uses the bandwidths it is given. Independent of the compute η. */
    double intra_efficiency;
    double inter_efficiency;
    /* NVLink SHARP (NVLS, NVSwitch 3 and later): the switch reduces and multicasts, so an
     * all-reduce moves M over each accelerator's links instead of the ring's 2(n-1)/n·M. Its
     * algorithm bandwidth as a fraction of the bandwidth the ring reaches on the same links (the
     * achievable intra bandwidth); 0 = the node has none (A100 and older). See ms_coll_time_s. */
    double nvls_efficiency;
    /* 1 = NCCL_ALGO=RING: the all-reduce runs as the ring even where NCCL would pick NVLink SHARP
     * or its tree between two nodes (the setting NCCL-tests figures of raw link speed use). */
    int ring_only;
} ms_dist_fabric_t;

/* Default link efficiencies (NCCL-tests bus bandwidth / per-direction line rate, large messages):
 *   inside a node (NVLink-class links driven by SM copies): 0.80: an NVLink lane of 25 GB/s carries
 *     ~20 GB/s of 128-byte payloads (NCCL maintainer, NVIDIA/nccl-tests issue 149, 2023-07-05);
 *     measured 230 of 300 GB/s on A100 NVLink3 (0.77, same comment) and 370 of 450 GB/s on H100
 *     NVLink4 with NCCL_ALGO=RING (0.82, NVIDIA/nccl-tests issue 212, 2024-05-06);
 *   between nodes (InfiniBand / RoCE NICs): 0.94: 46-48 GB/s per 400 Gb/s NDR NIC (NCCL
 *     maintainer, NVIDIA/nccl-tests issue 290, 2025-03-03); EDR 12.2 of 12.5 GB/s (issue 29). */
#define MS_DIST_INTRA_LINK_EFFICIENCY 0.80
#define MS_DIST_INTER_LINK_EFFICIENCY 0.94

/* Default sharded_coll_efficiency for a stack without a calibrated figure: 1, the NCCL-tests rate.
 * PyTorch FSDP gathers one flat parameter per wrapped unit (a whole layer, tens to hundreds of MB)
 * with a single all_gather_into_tensor on its own stream, the large-message case NCCL-tests
 * measures (PyTorch "FSDP Notes"; DeepSpeed issue 5047, 2024: FSDP ~10 % faster than ZeRO-3 because
 * it launches one all-gather per layer). DeepSpeed ZeRO-3 of 2021 is far below it (see
 * mlsysim/validation/stacks.csv). */
#define MS_DIST_SHARDED_COLL_EFFICIENCY 1.0

/* SMs NCCL's kernels hold while a collective runs (its channels, one block each): 24 on HGX A100
 * (NVIDIA/nccl-tests issue 100, NCCL_DEBUG log "Channel 23/24") and 24 blocks of ncclAllGather on
 * H100 (NVIDIA developer forum, "Compute-Communication Overlap Causes Severe GEMM Performance
 * Degradation because of Tail Effect", 2025). Compute that overlaps a collective runs its GEMMs on
 * the remaining compute_units - 24 SMs (see ms_dist_train_step). */
#define MS_DIST_NCCL_SMS 24

/* Latency of NCCL's ring across nodes, as NCCL's own cost model puts it for its Simple protocol,
 * the one it runs large messages with (src/graph/tuning.cc, releases since NVLink SHARP support,
 * 2.17 on: baseLat and hwLat of the ring; the network step was 9.6 us in the 2021 releases): a base of 8.4 us per collective, then one latency per ring step, 3.4 us for a step
 * over NVLink and 14 us for a step over the network. A ring passes every rank: an all-gather or
 * reduce-scatter over n ranks in N nodes takes n - 1 steps, N - 1 of them between nodes. See
 * ms_coll_time_s. */
#define MS_NCCL_RING_BASE_LATENCY_S 8.4e-6
/* The base latency of every other collective, paid once per collective call (its launch and the
 * protocol's setup) beside the steps' α: 9.55 us, measured, the published nccl-tests times of the
 * smallest all-reduces less their steps at NVLink's 0.5 us (2 x A100 at 32 B, 10.14 us, NVIDIA/nccl
 * issue 583, 2021: 9.14 us; 8 x A100 at 1 KB, 16.96 us, Azure NDmv4 with NCCL 2.17.1,
 * microsoft/mscclpp docs/performance-ndmv4.md: 9.96 us; their mean). NCCL's own cost model puts
 * 6.6 us there (src/graph/tuning.cc: baseLat ring LL, the protocol it runs small messages with),
 * which the engine used before. Negligible for the bulk transfers of training; a decode step's
 * tensor-parallel all-reduces (a few kB each, two per layer) are mostly this. */
#define MS_NCCL_LL_BASE_LATENCY_S 9.55e-6
#define MS_NCCL_RING_NVLINK_STEP_S 3.4e-6
#define MS_NCCL_RING_NET_STEP_S 14e-6
/* Latency of an all-reduce through NVLink SHARP, NCCL's cost model's NVLS latency over NVLink
 * (src/graph/tuning.cc, releases with NVLS, 2.17 on: 25 us, Simple protocol only): large enough
 * that NCCL keeps the ring (LL) for small messages and switches to NVLS for large ones. */
#define MS_NCCL_NVLS_LATENCY_S 25e-6

/* A copy of f with intra_bw and inter_bw scaled by their achievable fractions (intra_efficiency,
 * inter_efficiency, or the defaults above when 0). Measured intra_regimes are kept as they are. */
void ms_dist_fabric_achievable(const ms_dist_fabric_t *f, ms_dist_fabric_t *out);

/* ---------------------------------------------------------------------------------------------
 * Collectives (α–β model). M = bytes of the full buffer on each rank; n = ranks; bw per direction.
 * ------------------------------------------------------------------------------------------- */
typedef enum ms_dist_coll {
    MS_COLL_ALLREDUCE_RING = 0,
    MS_COLL_ALLREDUCE_TREE,
    MS_COLL_REDUCE_SCATTER,
    MS_COLL_ALL_GATHER,
    MS_COLL_ALL_TO_ALL
} ms_dist_coll_t;

/* Ring all-reduce: each rank moves 2(n-1)/n·M bytes; time 2(n-1)/n·M/bw + 2(n-1)α. */
double ms_coll_allreduce_ring_s(double bytes, int n, double bw_bytes_per_s, double alpha_s);
/* Tree (binary, pipelined reduce + broadcast): 2⌈log2 n⌉·(α + M/bw). */
double ms_coll_allreduce_tree_s(double bytes, int n, double bw_bytes_per_s, double alpha_s);
/* Reduce-scatter or all-gather (ring): (n-1)/n·M/bw + (n-1)α. */
double ms_coll_reduce_scatter_s(double bytes, int n, double bw_bytes_per_s, double alpha_s);
double ms_coll_all_gather_s(double bytes, int n, double bw_bytes_per_s, double alpha_s);
/* All-to-all (pairwise): (n-1)/n·M/bw + (n-1)α. */
double ms_coll_all_to_all_s(double bytes, int n, double bw_bytes_per_s, double alpha_s);
/* Bytes each rank sends for a collective (the β-term numerator). */
double ms_coll_bytes_per_rank(ms_dist_coll_t kind, double bytes, int n);
/* A collective over n ranks placed on consecutive accelerators of the fabric: inside one node it
 * runs on NVLink; across nodes it is hierarchical and multi-rail (intra-node reduce-scatter,
 * inter-node collective on M/local per rank, each rank on its own share bw_inter/g of the node's
 * NICs, intra-node all-gather), with the phases pipelined as NCCL runs them: bandwidth term of the
 * slowest phase plus every phase's latency. The inter-node phase of a ring moves what NCCL's ring
 * moves through a node's NICs: 2(n-1)/n·M per all-reduce ((n-1)/n·M for reduce-scatter and
 * all-gather) over n = all ranks, so its bus bandwidth is the node's network bandwidth at any node
 * count (nccl-tests doc/PERFORMANCE.md). Latency: an all-gather or reduce-scatter across nodes
 * runs as NCCL's one flat ring through all n ranks (NCCL has no hierarchical algorithm for them),
 * so it pays a ring step per rank: MS_NCCL_RING_BASE_LATENCY_S + (n - N) steps inside nodes at
 * max(intra α, MS_NCCL_RING_NVLINK_STEP_S) + (N - 1) between them at max(inter α,
 * MS_NCCL_RING_NET_STEP_S), N the nodes; the all-reduce keeps the steps of its phases, (local - 1)
 * inside and (N - 1) between nodes (where a ring's latency would dominate NCCL picks its tree,
 * whose latency grows with log N instead). Every collective but those cross-node all-gathers and
 * reduce-scatters adds NCCL's base latency MS_NCCL_LL_BASE_LATENCY_S once. On a fabric with NVLink
 * SHARP (nvls_efficiency > 0, ring_only 0) an all-reduce takes, where faster, NVLS inside one node
 * (M / (nvls_efficiency · intra bw) + MS_NCCL_NVLS_LATENCY_S) or NVLS's tree on exactly two nodes
 * (the slower of NVLS inside and M/local per rail, + MS_NCCL_NVLS_LATENCY_S + 2 inter α), as NCCL
 * picks them (ms_coll_time_parts_s names the choice). `stride` is the distance between consecutive ranks
 * (e.g. DP groups stride over tp·cp accelerators); ranks per node = max(1, g/stride) capped at n.
 * The bandwidths are used as given: pass ms_dist_fabric_achievable's copy for datasheet links. */
double ms_coll_time_s(ms_dist_coll_t kind, double bytes, int n, int stride,
                      const ms_dist_fabric_t *fabric);
/* The bandwidth term of an all-reduce through NVLink SHARP: M / (efficiency · bw), each link
 * carrying M once, bw the rate the ring reaches on the same links; its latency is
 * MS_NCCL_NVLS_LATENCY_S (ms_coll_time_s takes the sum where it beats the ring). */
double ms_coll_nvls_bw_s(double bytes, double bw_bytes_per_s, double efficiency);
/* ms_coll_time_s, with its latency term alone in *lat_s (its steps: what a collective of `bytes`
 * costs beyond moving them, for explaining a prediction) and in *algorithm what it was costed as:
 * "ring" (NCCL's ring inside a node, its hierarchical ring across nodes, or any collective but the
 * all-reduce), "nvls" (an all-reduce inside a node through NVLink SHARP) or "nvls_tree" (an
 * all-reduce on two nodes through NVLink SHARP's tree). NULL = not wanted. */
double ms_coll_time_parts_s(ms_dist_coll_t kind, double bytes, int n, int stride, const ms_dist_fabric_t *fabric,
                            double *lat_s, const char **algorithm);
/* Ring all-reduce with a per-size α and β: the regime that holds `bytes` (see ms_coll_regimes_t).
 * Falls back to 0 when r is NULL or empty. */
double ms_coll_allreduce_ring_regimes_s(double bytes, int n, const ms_coll_regimes_t *r);
/* Index of the regime that holds a message of `bytes` (0 when below every min_bytes), -1 if none. */
int ms_coll_regime_index(const ms_coll_regimes_t *r, double bytes);
/* Fits ring all-reduce regimes to k measured (bytes[i] ascending, seconds[i]) points of an n-rank
 * all-reduce: every split of the sizes into at most max_regimes contiguous ranges of at least
 * min_points sizes each is tried, each range gets the α, β of smallest worst relative error
 * (searched from the least-squares-in-log fit), and the
 * split with the smallest maximum relative error wins (fewer regimes on a tie within 0.5 %).
 * A regime starts at the geometric mean of the last size before it and its first size.
 * Returns the maximum relative error over the points, or -1 on bad input. */
double ms_coll_regimes_fit(const double *bytes, const double *seconds, int k, int n, int max_regimes,
                           int min_points, ms_coll_regimes_t *out);
/* Reads regimes from a CSV file with the header min_bytes,bw_bytes_per_s,alpha_s ('#' lines are
 * comments). Refuses non-finite or non-positive values, sizes not ascending, more than
 * MS_COLL_MAX_REGIMES rows, naming file, line and column. MS_DIST_OK or MS_DIST_EIO. */
int ms_coll_regimes_load(const char *path, ms_coll_regimes_t *out, char *err, size_t errlen);
/* Writes regimes in the format ms_coll_regimes_load reads (temp file, fsync, rename). */
int ms_coll_regimes_save(const char *path, const ms_coll_regimes_t *r, const char *comment, char *err,
                         size_t errlen);

/* NCCL-tests bus bandwidth of a collective of `bytes` over n ranks that took `seconds`:
 * algbw = bytes/seconds; busbw = algbw·2(n-1)/n for all-reduce, algbw·(n-1)/n for
 * reduce-scatter, all-gather and all-to-all (nccl-tests doc/PERFORMANCE.md). 0 for n <= 1. */
double ms_coll_bus_bw(ms_dist_coll_t kind, double bytes, int n, double seconds);

/* ---------------------------------------------------------------------------------------------
 * FLOPs counting
 * ------------------------------------------------------------------------------------------- */
/* Parameter count of the model (weights incl. embeddings; MoE counts all experts). */
double ms_dist_params(const ms_dist_model_t *m);
/* Parameters used per token (MoE: top_k experts). */
double ms_dist_active_params(const ms_dist_model_t *m);
/* 6·N·tokens (Kaplan/Chinchilla), N = active parameters without embeddings if `with_embed` = 0. */
double ms_dist_flops_6n(const ms_dist_model_t *m, double tokens, int with_embed);
/* Model FLOPs per step: matmuls of the forward + backward (factor 3 on the forward) including
 * causal attention scores (s(s+1)/2 query-key pairs, the convention of the roofline too) and the
 * logit layer, no recompute (the MFU numerator). */
double ms_dist_model_flops(const ms_dist_model_t *m, double sequences);
/* Hardware FLOPs per step: as above plus the recomputed forward work (the HFU numerator). */
double ms_dist_hardware_flops(const ms_dist_model_t *m, double sequences, ms_dist_recompute_t rc);
/* The batch rule of every data-parallel plan: each replica takes the same number of sequences
 * (global_batch a positive multiple of dp), and with a pipeline (pp > 1) every micro-batch is
 * whole (a multiple of dp·microbatch); without one, a micro-batch that does not divide a
 * replica's sequences leaves a shorter last one, as Composer runs it. Returns which rule a batch
 * breaks (MS_DIST_BATCH_OK: none), so the plan loader and the engine each word their own error. */
typedef enum {
    MS_DIST_BATCH_OK = 0,
    MS_DIST_BATCH_NOT_PER_REPLICA,     /* not a positive multiple of dp */
    MS_DIST_BATCH_PARTIAL_MICROBATCH   /* pp > 1 and not a multiple of dp·microbatch */
} ms_dist_batch_rule_t;
ms_dist_batch_rule_t ms_dist_batch_rule(long global_batch, int dp, int microbatch, int pp);
/* The fraction of a plan's layers that full recompute re-runs: recompute_layer_fraction (0 or
 * outside (0, 1) = 1) with MS_DIST_RECOMPUTE_FULL, else 0. */
double ms_dist_recomputed_layers(const ms_dist_parallel_t *p);
/* A recompute level's name: "none", "selective", "full", "operator-level" ("?" out of range). */
const char *ms_dist_recompute_name(ms_dist_recompute_t rc);
/* A fused attention kernel's name, "flash2" or "flash1" ("?" out of range), and the kernel of a
 * name: flash2 or fa2, flash1 or fa1 (returns 0, or -1 for any other text). */
const char *ms_dist_attn_kernel_name(int kernel);
int ms_dist_attn_kernel_parse(const char *s, int *out);
/* An optimizer implementation's name, "fused", "unfused" or "foreach" ("?" out of range), and the
 * implementation of a name: fused; unfused, or torch.optim's name for it, for-loop; foreach
 * (returns 0, or -1 for any other text, which messages answer with MS_DIST_OPT_IMPL_WORDS). */
const char *ms_dist_opt_impl_name(int impl);
int ms_dist_opt_impl_parse(const char *s, int *out);
#define MS_DIST_OPT_IMPL_WORDS "fused, unfused (for-loop) or foreach"
/* The same for a plan's recomputation (its recompute mode and recompute_layer_fraction). */
double ms_dist_plan_hardware_flops(const ms_dist_model_t *m, double sequences, const ms_dist_parallel_t *p);
/* Hardware FLOPs as published TFLOP/s figures count them: the attention scores over the full s²
 * square. For a GPT-style dense model with full recompute this equals Narayanan et al. 2021
 * eq. (3): 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)). Used to turn a published TFLOP/s into time. */
double ms_dist_published_flops(const ms_dist_model_t *m, double sequences, ms_dist_recompute_t rc);
/* Narayanan et al. 2021 eq. (3) verbatim (FLOPs per iteration with full recompute). */
double ms_dist_megatron_flops(double batch, double seq, double layers, double hidden, double vocab);

/* ---------------------------------------------------------------------------------------------
 * Training memory per accelerator
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_memory {
    double weights_bytes;
    double gradients_bytes;
    double optimizer_bytes;     /* fp32 master + Adam m, v: 12 B/param before ZeRO */
    double activations_bytes;   /* Korthikanti et al. 2022 with the plan's TP/SP/recompute */
    double buffers_bytes;       /* pipeline send/recv + ZeRO-3 gather buffers */
    double total_bytes;
} ms_dist_memory_t;

int ms_dist_train_memory(const ms_dist_model_t *m, const ms_dist_parallel_t *p,
                         ms_dist_memory_t *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Distributed training step
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_train {
    int fits;                       /* memory.total_bytes <= accel capacity */
    int accelerators;               /* tp·pp·dp·cp */
    int dp;                         /* resolved data-parallel degree */
    int microbatches;               /* m = ceil(B / (dp · b)) per replica (a short last one counts) */
    double step_time_s;             /* one optimizer step */
    double compute_s;               /* on-device kernel time on the critical path (m microbatches) */
    double bubble_s;                /* pipeline fill/drain */
    double bubble_fraction;         /* bubble_s / step_time_s */
    double tp_comm_s;               /* TP all-reduces / SP all-gather+reduce-scatter (exposed) */
    double tp_comm_total_s;         /* the same before overlap (= tp_comm_s without tp_comm_overlap) */
    const char *tp_algorithm;       /* how the TP group's collective runs (ms_coll_time_parts_s); NULL: tp 1 */
    double pp_comm_s;               /* pipeline point-to-point sends (exposed) */
    double pp_comm_total_s;         /* the same before overlap (= pp_comm_s without pp_comm_overlap) */
    double dp_comm_s;               /* gradient reduction left exposed after overlap */
    double dp_comm_total_s;         /* gradient reduction time before overlap */
    double zero_comm_s;             /* ZeRO-3 parameter gathers (exposed) */
    double ep_comm_s;               /* MoE all-to-all */
    double cp_comm_s;               /* context-parallel KV exchange */
    double communication_s;         /* sum of exposed communication */
    double optimizer_s;             /* optimizer update (memory-bound) */
    double matmul_s;                /* part of compute_s in GEMMs (incl. the attention core) */
    double memory_bound_s;          /* part of compute_s in memory-bound kernels: norms,
                                       activations, residuals, softmax/score path, loss,
                                       GEMM output writes, FSDP casts and copies */
    double zero_comm_total_s;       /* ZeRO-3 gathers + reduce-scatters, hidden or not */
    double overlap_interference_s;  /* part of dp_comm_s + zero_comm_s that is compute slowed by
                                       the collectives it overlaps (NCCL holds MS_DIST_NCCL_SMS) */
    double host_issue_s;            /* host time to issue the critical stage's kernels over the
                                       step's micro-batches (kernels x host_op_s) */
    double host_wait_s;             /* part of the step the GPU waits on the host: where issuing a
                                       micro-batch's kernels takes longer than running them */
    double sharded_units;           /* ZeRO-2/3: collectives of each kind per pass, one per FSDP
                                       unit (the stage's layers + the root); 0 without */
    double sharded_latency_s;       /* their latency term (ring steps) per step, hidden or not: the
                                       part of zero_comm_total_s (ZeRO-3) or dp_comm_total_s
                                       (ZeRO-2) that does not move bytes */
    double tokens_per_s;
    double model_flops;             /* per step, no recompute (MFU numerator) */
    double hardware_flops;          /* per step, with recompute (HFU numerator) */
    double tflops_per_accelerator;  /* hardware_flops / step / accelerators / 1e12: the figure
                                       Megatron-LM reports */
    double mfu, hfu;                /* vs datasheet peak */
    double clock_fraction;          /* tensor clock under accelerator.power_limit_w: 1 without */
    ms_dist_memory_t memory;
} ms_dist_train_t;

/* Evaluates one training step. Returns MS_DIST_OK even if the plan does not fit (out->fits = 0)
 * so searches can report why; MS_DIST_EINVAL on inconsistent inputs (message names the field). */
int ms_dist_train_step(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                       const ms_dist_parallel_t *p, const ms_dist_fabric_t *f,
                       int accelerators, ms_dist_train_t *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Reliability (Wall 15) and checkpointing (Wall 19)
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_reliability {
    double accel_mtbf_h;        /* per accelerator; 0 = 50,000 h */
    double nic_mtbf_h;          /* per NIC; 0 = 150,000 h */
    double psu_mtbf_h;          /* per PSU; 0 = 100,000 h */
    double node_other_mtbf_h;   /* rest of the node (CPU, DIMMs, board); 0 = none */
    int nics_per_node;          /* 0 = accels_per_node */
    int psus_per_node;          /* 0 = 2 */
    double checkpoint_bytes;    /* 0 = 14 B/param of the model (fp16 weights + fp32 Adam state) */
    double storage_bw_bytes_per_s; /* aggregate write bandwidth; 0 = 100 GB/s */
    double restart_s;           /* detect + reschedule + reload after a failure; 0 = 300 s */
} ms_dist_reliability_t;

/* Series system: 1/MTBF = Σ count_i / MTBF_i. Returns hours. */
double ms_rel_series_mtbf_h(const double *mtbf_h, const double *count, int n);
double ms_rel_node_mtbf_h(const ms_dist_reliability_t *r, int accels_per_node);
double ms_rel_cluster_mtbf_h(double node_mtbf_h, int nodes);
/* P(at least one failure in t) = 1 - exp(-t/MTBF). */
double ms_rel_failure_prob(double duration_s, double mtbf_s);
/* Young 1974: τ = √(2·δ·MTBF). */
double ms_rel_young_daly_s(double checkpoint_s, double mtbf_s);
/* Daly 2006 higher-order optimum (τ = √(2δM)·(1 + √(δ/2M)/3 + δ/(9M)) - δ for δ < 2M, else M). */
double ms_rel_daly_s(double checkpoint_s, double mtbf_s);
double ms_rel_checkpoint_write_s(double bytes, double bw_bytes_per_s);
/* Fraction of wall time doing useful work with checkpoints every τ (first-order model):
 * 1 - δ/τ - (τ/2 + R)/MTBF, clamped to [0, 1]. */
double ms_rel_goodput(double interval_s, double checkpoint_s, double restart_s, double mtbf_s);

/* ---------------------------------------------------------------------------------------------
 * Economics (Wall 17) and sustainability (Wall 18)
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_grid {
    const char *name;               /* region label (not owned) */
    double carbon_g_per_kwh;        /* grid intensity, gCO2e/kWh */
    double pue;                     /* 0 = 1.12 */
    double wue_l_per_kwh;           /* water, L/kWh of facility energy */
    double price_usd_per_kwh;       /* 0 = 0.12 */
} ms_dist_grid_t;

typedef struct ms_dist_econ_inputs {
    double amortization_years;      /* 0 = 3 */
    double infra_multiplier;        /* node/DC capex over accelerator price; 0 = 1.0 */
    double maintenance_frac_per_year; /* of capex; 0 = 0.05 */
    double utilization;             /* average MFU-like load for power: P = TDP·ms_power_fraction(u); <0 → 1 */
    double power_saturation;        /* the load at which an accelerator reaches TDP (physics.h
                                       ms_power_fraction); 0 = MS_POWER_SATURATION, 1 = linear */
    double accel_power_w;           /* > 0: each accelerator's average power, W, as the caller
                                       worked it out (a step under a power limit:
                                       ms_power_limited_w), in place of TDP·ms_power_fraction(u) */
    /* Node level (all optional, 0 = accelerators only): a node holds accels_per_node accelerators
     * and adds node_power_w at full load (host CPUs, memory, NICs, switches, fans: no power limit
     * reached early, so scaled linearly with the load as 0.3 + 0.7·u) and
     * node_price_usd (chassis, CPUs, NICs; on top of the accelerators' price, amortised like them). */
    int accels_per_node;
    double node_power_w;
    double node_price_usd;
} ms_dist_econ_inputs_t;

typedef struct ms_dist_ops {
    double energy_it_j;             /* accelerators + node overhead (host, NICs, fans) */
    double energy_node_j;           /* the node-overhead part of energy_it_j */
    double energy_j;                /* × PUE */
    double carbon_kg;
    double water_l;
    double capex_usd;               /* amortised over the run */
    double energy_cost_usd;
    double maintenance_usd;
    double cost_usd;                /* TCO of the run */
    double cost_per_mtok_usd;       /* per million tokens (if tokens > 0) */
} ms_dist_ops_t;

/* Energy/carbon/water/cost of running `accelerators` for `duration_s` processing `tokens`. */
int ms_econ_run(const ms_dist_accel_t *a, int accelerators, double duration_s, double tokens,
                const ms_dist_grid_t *g, const ms_dist_econ_inputs_t *e, ms_dist_ops_t *out);

/* Fleet summary for `mlsysim eval` (training + ops section). */
typedef struct ms_dist_fleet_eval {
    double mtbf_s;                  /* cluster */
    double checkpoint_write_s;
    double checkpoint_interval_s;   /* Young–Daly */
    double failure_prob;            /* during the run */
    double goodput;
    double wall_time_s;             /* useful time / goodput */
    ms_dist_ops_t ops;
} ms_dist_fleet_eval_t;

/* Combines a training step with reliability and economics: a run of `steps` optimizer steps
 * (or, if steps <= 0, of duration_s of useful work). */
int ms_dist_fleet_eval(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                       const ms_dist_fabric_t *f, const ms_dist_train_t *t, double steps,
                       double duration_s, const ms_dist_reliability_t *r, const ms_dist_grid_t *g,
                       const ms_dist_econ_inputs_t *e, ms_dist_fleet_eval_t *out);

/* ---------------------------------------------------------------------------------------------
 * Scaling laws (Wall 11): Hoffmann et al. 2022
 * ------------------------------------------------------------------------------------------- */
/* Compute-optimal N and D for a budget C = 6·N·D with D = tokens_per_param·N (20 if 0). */
void ms_chin_optimal(double flops, double tokens_per_param, double *params, double *tokens);
/* Approach-3 loss fit: L(N, D) = 1.69 + 406.4/N^0.34 + 410.7/D^0.28. */
double ms_chin_loss(double params, double tokens);

/* ---------------------------------------------------------------------------------------------
 * Parallelism search
 * ------------------------------------------------------------------------------------------- */
typedef enum ms_dist_loss_reason {
    MS_LOSE_NONE = 0,        /* a winner or close */
    MS_LOSE_MEMORY,          /* does not fit */
    MS_LOSE_BUBBLE,          /* slower mainly because of the pipeline bubble */
    MS_LOSE_COMMUNICATION,   /* slower mainly because of exposed communication */
    MS_LOSE_COMPUTE,         /* slower mainly because of recompute / small kernels */
    MS_LOSE_INVALID          /* degrees do not divide the cluster or the batch */
} ms_dist_loss_reason_t;

const char *ms_dist_loss_reason_name(ms_dist_loss_reason_t r);

/* The space: every combination of the listed values (NULL = default). tp, pp, microbatch and
 * interleave lists end with 0; zero_stage and recompute lists end with -1.
 * Defaults: tp every divisor of the accelerator count ≤ accels_per_node, pp every divisor ≤ layers
 * (uneven stages allowed), microbatch {1,2,4,8},
 * recompute {none, selective, full}, zero {0,1,2,3}, interleave {1}. dp is derived. */
typedef struct ms_dist_space {
    const int *tp, *pp, *microbatch, *interleave, *zero_stage;
    const int *recompute;           /* values of ms_dist_recompute_t */
    int sequence_parallel;          /* -1 = try both, 0/1 fixed */
} ms_dist_space_t;

typedef struct ms_dist_candidate {
    ms_dist_parallel_t par;
    ms_dist_train_t res;
    ms_dist_loss_reason_t reason;   /* why it loses to the best */
} ms_dist_candidate_t;

typedef struct ms_dist_search_result {
    long evaluated;                 /* points evaluated */
    long feasible;                  /* of which fit in memory */
    long lost[MS_LOSE_INVALID + 1]; /* how many lose for each reason */
    int n_best;                     /* entries filled in best[] */
    ms_dist_candidate_t best[16];   /* fastest feasible first */
    ms_dist_candidate_t example[MS_LOSE_INVALID + 1]; /* the fastest loser of each reason */
    int has_example[MS_LOSE_INVALID + 1];
    double seconds;                 /* wall time of the search */
} ms_dist_search_result_t;

/* Evaluates every point of the space (OpenMP threads when built with OpenMP) with the base plan's
 * global batch and flags; keeps the k ≤ 16 fastest feasible plans. */
int ms_dist_search_parallelism(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                               const ms_dist_fabric_t *f, int accelerators,
                               const ms_dist_parallel_t *base, const ms_dist_space_t *space,
                               int k, ms_dist_search_result_t *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Placement search (region minimising cost + carbon tax)
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_placement {
    int best;                       /* index into grids */
    double objective_usd[64];       /* cost + carbon_kg/1000·tax per region (first 64) */
    ms_dist_ops_t ops[64];
} ms_dist_placement_t;

int ms_dist_search_placement(const ms_dist_accel_t *a, int accelerators, double duration_s,
                             double tokens, const ms_dist_grid_t *grids, int n_grids,
                             const ms_dist_econ_inputs_t *e, double carbon_tax_usd_per_t,
                             ms_dist_placement_t *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Queueing and serving batching
 * ------------------------------------------------------------------------------------------- */
/* M/M/c: probability an arrival waits (Erlang C); 1 if unstable. */
double ms_queue_erlang_c(double arrival_per_s, double service_per_s, int servers);
/* M/M/c waiting time quantile q (e.g. 0.99): max(0, ln(P_wait/(1-q))/(cμ-λ)); +inf if unstable. */
double ms_queue_wait_quantile_s(double arrival_per_s, double service_per_s, int servers, double q);
/* Mean waiting time: P_wait/(cμ - λ). */
double ms_queue_mean_wait_s(double arrival_per_s, double service_per_s, int servers);

/* Latency of one batch of size b on one replica (seconds), or < 0 if b does not fit. */
typedef double (*ms_dist_batch_latency_fn)(int batch, void *ctx);

typedef struct ms_dist_batching {
    int batch;                 /* chosen batch size */
    int replicas;              /* replicas needed */
    double batch_latency_s;    /* service time of one batch */
    double p99_latency_s;      /* queue wait p99 + service (batches as M/M/c customers) */
    double utilization;        /* ρ = λ/(cμ) */
    double throughput_per_s;   /* requests/s the replicas can sustain */
} ms_dist_batching_t;

/* Picks the batch size (1..max_batch) and the fewest replicas that meet p99 ≤ sla_s at qps
 * (requests/s): requests are grouped into batches of b, batches arrive at qps/b per second
 * (Poisson) and each replica serves a batch in latency(b). Among feasible choices: fewest
 * replicas, then lowest p99. Returns MS_DIST_EINVAL if none meets the SLA with ≤ max_replicas. */
int ms_dist_search_batching(ms_dist_batch_latency_fn latency, void *ctx, int max_batch,
                            double sla_s, double qps, int max_replicas, ms_dist_batching_t *out,
                            char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Validation against published runs (mlsysim/validation/runs.csv)
 * ------------------------------------------------------------------------------------------- */
typedef struct ms_dist_run_row {
    char id[64];                    /* short label (a longer one is refused, not cut) */
    char citation[160];
    char stack[64];                 /* software stack: calibration key with the accelerator */
    ms_dist_accel_t accel;
    ms_dist_model_t model;
    ms_dist_parallel_t par;
    ms_dist_fabric_t fabric;
    int accelerators;
    int line;                       /* the row's line in its table */
    char refusal[384];              /* "" = predicted; else why it cannot be: its generation has no
                                     * calibration.csv entry, or no figure its precision or power
                                     * limit needs ("column ...", set by the loader;
                                     * ms_dist_validation_run moves the row to refused) */
    int published_batch;            /* the row's global_batch. A published batch that does not
                                     * divide among the data-parallel replicas (of whole
                                     * micro-batches with a pipeline), often one given in tokens,
                                     * is predicted at the nearest whole number of sequences a
                                     * replica, par.global_batch, and the step scaled by
                                     * published_batch / par.global_batch: the work per sequence
                                     * is the same, so tokens/s and TFLOP/s are compared as run. */
    double measured_tflops;         /* per accelerator, as the paper reports */
    double measured_step_s;         /* published or derived from the reported TFLOP/s */
    double predicted_step_s;
    double predicted_tflops;
    double error;                   /* (predicted - measured)/measured on step time */
    double predicted_tokens_per_s;  /* per accelerator: the engine's tokens_per_s / accelerators */
    double tokens_error;            /* (predicted - measured)/measured on tokens/s per accelerator,
                                     * measured_step_s / predicted_step_s - 1 (a step predicted 20 %
                                     * too fast is 25 % too many tokens/s) */
    int heldout;                    /* 1: not used to choose any calibration figure */
    char calibration[32];           /* the calibration.csv key used (stack, else generation) */
    char generation[64];            /* the accelerator generation: its calibration.csv key when
                                     * listed ("A100" for "A100-80GB/..."), else the text before '/';
                                     * the baseline groups rows by it */
    char hardware_from[48];         /* "" = the row's own hardware columns; else the registry entry
                                     * (a node such as DGX_H100, or an accelerator) that its blank
                                     * ones came from */
    char model_from[48];            /* "" = the row's own architecture columns; else the registry
                                     * model its column `model` names, whose figures its blank ones
                                     * (and, without an arch column, its form) took */
    char stack_figures[32];         /* the stacks.csv entry whose figures the row took (by name or
                                     * alias), or "" (none: factors 1) */
    double stack_compute_factor;    /* stacks.csv compute_factor of the software stack (1 = none);
                                     * accel.efficiency = the calibration.csv η × this */
    double stack_attention_factor;  /* stacks.csv attention_factor of the software stack (1 = none);
                                     * accel.attn_efficiency = the calibration.csv
                                     * attention_efficiency (blank: the row's η) × this */
    double baseline_tflops;         /* constant-TFLOP/s baseline for this row's generation */
    double baseline_error;          /* the baseline's error on step time */
    char sharding[160];             /* which data-parallel semantics the row ran and why (the
                                     * zero_stage column, or what its stack name implies) */
    char precision[8];              /* bf16 (the default), fp16 or fp8 (the precision column) */
    double fp8_efficiency;          /* the generation's calibration.csv fp8_efficiency (0: none) */
    ms_dist_train_t predicted;      /* the whole prediction (its parts: `validate --breakdown`) */
} ms_dist_run_row_t;

/* What a software stack's name says about its data-parallel sharding, for runs whose zero_stage
 * is not given. Matched without regard to case, '-', '_' or blanks, on the part after '/' (or the
 * whole name): FSDP (PyTorch-FSDP, FULL_SHARD, llm-foundry, Composer, MosaicML, torchtitan) and
 * ZeRO-3 = 3, ZeRO-3 sharding (every parameter gathered before the forward and the backward, gradients
 * reduce-scattered); SHARD_GRAD_OP and ZeRO-2 = 2; ZeRO-1, a distributed optimizer and NeMo /
 * Megatron-Core (distributed optimizer by default) = 1; DDP = 0, and so are Megatron-LM and
 * DeepSpeed alone, by their own defaults (gradient all-reduce; zero_optimization.stage 0).
 * Returns -1 when the name implies nothing (an unknown name). `what` (may be NULL) receives a short
 * description of the semantics matched, or "" when none. */
int ms_dist_stack_sharding(const char *stack, const char **what);

/* The shard group a stack's name implies (ms_dist_parallel_t.shard_group): a name that says hybrid
 * sharding (FSDP HYBRID_SHARD, HSDP) shards over the data-parallel ranks of one node,
 * accels_per_node / (tp·cp) of them, PyTorch's default for it, and replicates across nodes.
 * 0 (shard over all dp ranks) for every other name, for zero_stage 0, and when that group would
 * not divide dp or would be all of it. Names are read as ms_dist_stack_sharding reads them. */
int ms_dist_stack_shard_group(const char *stack, int zero_stage, int accels_per_node, int tp, int cp, int dp);

/* A software stack's own figures, what a framework reaches apart from the hardware (see
 * mlsysim/validation/stacks.csv, each chosen on one calibration row of that stack): compute_factor
 * multiplies the generation's η, sharded_coll_efficiency is the fraction of the links' NCCL-tests
 * rate its ZeRO-3 / FSDP collectives reach, attention_factor multiplies the generation's fused
 * attention efficiency. */
typedef struct ms_dist_stack_figures {
    const char *name;               /* the stack whose figures these are; NULL: none (all 1) */
    double compute_factor, sharded_coll_efficiency, attention_factor;
} ms_dist_stack_figures_t;

/* The built-in figures of a software stack named as stacks.csv names it or by one of its aliases
 * (without regard to case, '-', '_' or blanks; "GEN/software" reads the part after '/'), e.g.
 * "llm-foundry", "torchtitan", "FSDP", "DeepSpeed-ZeRO3", "Megatron-DeepSpeed". Returns 1 when
 * listed, else 0 with the defaults (factors 1, name NULL). `out` may be NULL. The same figures
 * as mlsysim/validation/stacks.csv (a test keeps them equal). */
int ms_dist_stack_figures(const char *software, ms_dist_stack_figures_t *out);

/* The gradient bytes per parameter a software stack keeps (ms_dist_parallel_t.grad_bytes_per_param)
 * and what its optimizer keeps beyond the optimizer's own state (*optimizer_extra, may be NULL), as
 * the Megatron Core developer guide ("Distributed Optimizer") tabulates bytes per parameter with
 * Adam: the Megatron family (Megatron-LM, Megatron-Core, NeMo) keeps fp32 main gradients, so with
 * bf16 (or fp32) parameters the gradients take 4 B (18 B per parameter, 6 + 12/d with the
 * distributed optimizer); with fp16 parameters (fp16_params != 0) the gradients stay fp16 (0: the
 * weights' bytes) and the optimizer keeps their fp32 copy, 4 B more (20 B, 4 + 16/d). Every other
 * stack (DeepSpeed ZeRO, PyTorch FSDP, an unknown or empty name): 0 and 0 (16 B). Names are read
 * as ms_dist_stack_sharding reads them; Megatron-DeepSpeed keeps DeepSpeed's. */
double ms_dist_stack_grad_bytes(const char *stack, int fp16_params, double *optimizer_extra);

/* What a software stack's "selective" activation recomputation is: torchtitan's (its configs'
 * default selective_ac_option "op", torchtitan/models/llama3/infra/parallelize.py) is operator-level,
 * MS_DIST_RECOMPUTE_OPS; every other stack's (Megatron-LM's --recompute-granularity selective,
 * NeMo's, an unknown or empty name) is the attention core's, MS_DIST_RECOMPUTE_SELECTIVE. Names are
 * read as ms_dist_stack_sharding reads them. */
ms_dist_recompute_t ms_dist_stack_selective(const char *stack);

/* Whether a software stack runs FP8 training with a separate cast kernel for every GEMM input
 * (ms_dist_parallel_t.fp8_separate_casts): 1 for the PyTorch-native stacks that swap nn.Linear
 * for an FP8 linear module (llm-foundry / Composer: `fc_type: te`, Transformer Engine's te.Linear,
 * which its benchmark script sets for H100 FP8 runs, scripts/train/benchmarking/submit_benchmarks.py;
 * torchtitan: torchao's Float8Linear; any name that says FSDP); 0 for the Megatron family (Megatron-
 * LM, Megatron-Core, NeMo: TE's fused LayerNormLinear / LayerNormMLP), any other or empty name.
 * Names are read as ms_dist_stack_sharding reads them. */
int ms_dist_stack_fp8_separate_casts(const char *stack);

/* Whether a software stack runs the backward's tensor-parallel collectives asynchronously
 * (ms_dist_parallel_t.tp_async_grad): 1 for the Megatron family as it runs today (Megatron-LM,
 * Megatron-Core, NeMo: megatron/core/tensor_parallel/layers.py,
 * LinearWithGradAccumulationAndAsyncCommunication, and Transformer Engine's Linear and
 * LayerNormLinear); 0 for Megatron-DeepSpeed, DeepSpeed, the PyTorch-native stacks (DTensor
 * tensor parallelism waits on each collective), any other or empty name. A run on Megatron-LM
 * as old as Narayanan et al. 2021's says 0 itself. Names are read as
 * ms_dist_stack_sharding reads them. */
int ms_dist_stack_tp_async_grad(const char *stack);

/* Whether a software stack overlaps the interleaved pipeline schedule's sends with compute
 * (ms_dist_parallel_t.pp_comm_overlap) for a layout with pp stages of `interleave` chunks: 1 for
 * the Megatron family as it runs today when pp > 1 and interleave > 1 (Megatron-LM's
 * --no-overlap-p2p-communication leaves it on whenever the schedule interleaves; NeMo's recipes
 * and Megatron-Bridge's comm_overlap.py set it for VP > 1); 0 for Megatron-DeepSpeed, every other
 * name and every other layout. */
int ms_dist_stack_pp_comm_overlap(const char *stack, int pp, int interleave);

/* Whether a software stack runs context parallelism by all-gathering K and V
 * (ms_dist_parallel_t.cp_allgather) for a layout with cp context-parallel ranks: 1 for Llama 3's
 * own stack (a name with "llama3" in its software part, as runs.csv's H100/Llama3; Dubey et al.
 * 2024, Sec. 3.3.2: "the all-gather communication latency is exposed in the critical path") when
 * cp > 1; 0 (ring attention, overlapped) for every other name and without context parallelism. */
int ms_dist_stack_cp_allgather(const char *stack, int cp);

/* How a software stack runs its optimizer step (ms_dist_parallel_t.optimizer_impl): unfused for
 * Composer and what runs on it (llm-foundry, MosaicML's examples), whose yamls take
 * `decoupled_adamw`, a per-tensor loop of PyTorch element-wise ops, and the `gradient_clipping`
 * algorithm (composer/optim/decoupled_weight_decay.py; llm-foundry scripts/train/yamls); fused
 * for every other name (Megatron-LM, NeMo and DeepSpeed run fused Adam; torchtitan's default
 * implementation is fused). */
int ms_dist_stack_optimizer_impl(const char *stack);

/* Error summary of a set of rows: the model and the constant-TFLOP/s baseline. */
typedef struct ms_dist_val_stats {
    int n;
    double median_abs_error, max_abs_error, mean_abs_error;   /* on step time */
    double baseline_median_abs_error, baseline_max_abs_error;
    double median_abs_tokens_error, max_abs_tokens_error;     /* on tokens/s per accelerator */
    double baseline_median_abs_tokens_error, baseline_max_abs_tokens_error;
} ms_dist_val_stats_t;

/* A row of a validation table the engine could not predict: a layout it refuses (tp·pp·cp that
 * does not divide the accelerators), or a figure the calibration lacks for it (ms_dist_run_row_t.
 * refusal). ms_dist_validation_run moves it out of the rows and says why; serving tables leave
 * theirs out the same way (ms_serving_validation.skipped). */
typedef struct ms_dist_refused_row {
    char id[64];
    int line;                       /* in the table */
    char reason[1024];              /* "runs.csv:12: T1-7.5B: parallelism: ..." */
} ms_dist_refused_row_t;

typedef struct ms_dist_validation {
    int n;
    ms_dist_run_row_t *rows;        /* malloc'd; free with ms_dist_validation_free */
    int nrefused;                   /* rows the engine refused (ms_dist_validation_run), not in rows */
    ms_dist_refused_row_t *refused; /* malloc'd; freed with the rows */
    char table_file[1024];          /* the runs.csv read */
    double median_abs_error;        /* all rows */
    double max_abs_error;
    double mean_abs_error;
    ms_dist_val_stats_t calibration; /* rows with split = calibration */
    ms_dist_val_stats_t heldout;     /* rows with split = heldout */
    char calibration_file[1024];     /* the calibration.csv read */
    char stacks_file[1024];          /* the stacks.csv looked for (optional: it may not exist) */
    /* A table whose calibration.csv sits in another folder had no figure chosen on its rows: a
     * blank or absent split is held out there, and a generation without calibration rows in it
     * takes its baseline from the calibration rows of the runs.csv beside that calibration.csv
     * (baseline_table; "" when there is none or the table is that one). */
    int foreign;
    /* In the folder of its calibration.csv, but holding none of the rows its stacks.csv names as
     * calibrated_on: the figures were chosen on another table (foreign is set too). */
    int other_table;
    char baseline_table[1024];
    int baseline_from_reference;     /* rows whose baseline came from baseline_table */
} ms_dist_validation_t;

/* Published NCCL-tests bus bandwidths (mlsysim/validation/collectives.csv) against the fleet
 * model's collective on the row's links at their achievable fractions. */
typedef struct ms_dist_coll_row {
    char id[48];
    char generation[16];
    char citation[400];
    ms_dist_coll_t kind;
    int ranks;
    double bytes;                   /* the message (NCCL-tests "size") */
    ms_dist_fabric_t fabric;        /* line rates, α, per-node ranks and achievable fractions */
    double measured_busbw_bytes_per_s;
    double predicted_busbw_bytes_per_s;
    double line_busbw_bytes_per_s;  /* the same collective at line rate (efficiency 1): baseline */
    double error;                   /* (predicted - measured) / measured, bus bandwidth */
    double baseline_error;          /* the line-rate prediction's error */
    int heldout;                    /* 1: no efficiency was chosen on this row */
    const char *algorithm;          /* what the prediction ran it as (ms_coll_time_parts_s) */
} ms_dist_coll_row_t;

typedef struct ms_dist_coll_validation {
    int n;
    ms_dist_coll_row_t *rows;       /* malloc'd; free with ms_dist_coll_validation_free */
    ms_dist_val_stats_t calibration, heldout;  /* baseline: line rate */
} ms_dist_coll_validation_t;

/* Reads collectives.csv (header: id,generation,kind,ranks,ranks_per_node,intra_gb_s_dir,
 * intra_efficiency,intra_alpha_us,inter_node_gb_s_dir,inter_efficiency,inter_alpha_us,bytes,
 * measured_busbw_gb_s,split,citation; kind allreduce|reduce_scatter|all_gather|all_to_all; blank
 * efficiencies = the defaults) and predicts every row. Errors name file, line and column. */
int ms_dist_coll_validation_load(const char *path, ms_dist_coll_validation_t *v, char *err, size_t errlen);
/* What a validation table is, by its header (read as every table here is read: a byte-order mark
 * and comment lines skipped): serving measurements (columns model, metric, measured), NCCL-tests
 * figures (ranks, measured_busbw_gb_s), else training runs, whose loader says what is wrong with
 * a file that is none of them or cannot be read. */
typedef enum { MS_DIST_TABLE_RUNS, MS_DIST_TABLE_SERVING, MS_DIST_TABLE_COLLECTIVES } ms_dist_table_kind_t;
ms_dist_table_kind_t ms_dist_table_kind(const char *path);
/* The same, with the generations' figures of a calibration.csv (NULL = none): a row whose
 * nvls_efficiency is blank or absent takes its generation's (the entry its `generation` names, as
 * runs.csv rows find theirs); 0 = the node has no NVLink SHARP. */
int ms_dist_coll_validation_load_figures(const char *path, const char *calibration, ms_dist_coll_validation_t *v,
                                         char *err, size_t errlen);
void ms_dist_coll_validation_free(ms_dist_coll_validation_t *v);

/* Reads the table (CSV, one run per line, see validation/README.md). The optional `split` column
 * (calibration | heldout; blank = calibration) marks the rows a calibration figure was chosen on.
 * A row's efficiency is the calibration.csv entry named by its stack, else by the stack's
 * generation (the part before '/'), times the compute_factor of its software stack (the part after
 * '/') in stacks.csv beside it (optional; header stack,compute_factor,
 * sharded_collective_efficiency,calibrated_on and optionally attention_factor; blank figures = 1),
 * which also sets the row's par.sharded_coll_efficiency and multiplies its
 * accel.attn_efficiency by attention_factor (stack_attention_factor). `calibrated_on` must name a calibration row of that stack. The
 * baseline predicts every row of a generation at one constant TFLOP/s per accelerator: the median
 * measured figure of that generation's calibration rows (of all calibration rows when the
 * generation has none). */
int ms_dist_validation_load(const char *path, ms_dist_validation_t *v, char *err, size_t errlen);
/* The same with calibration.csv and stacks.csv read from the files given (NULL = beside the
 * table), e.g. the project's own for a table kept elsewhere. With a stacks file given, its
 * `calibrated_on` rows are not looked for in the table (they were chosen on another one).
 * calibration.csv's optional columns compute_units, hbm_fraction, intra_link_efficiency and
 * inter_link_efficiency give a generation's hardware figures to its rows that leave theirs blank. */
int ms_dist_validation_load_with(const char *path, const char *calibration_csv, const char *stacks_csv,
                                 ms_dist_validation_t *v, char *err, size_t errlen);
/* Predicts every row and fills the errors. A row the engine refuses does not stop the others: it
 * moves from rows to refused with its reason, and the statistics are over the rows predicted; an
 * error only when no row can be predicted (err: the first one's reason). */
int ms_dist_validation_run(ms_dist_validation_t *v, char *err, size_t errlen);
void ms_dist_validation_free(ms_dist_validation_t *v);

#ifdef __cplusplus
}
#endif
#endif
