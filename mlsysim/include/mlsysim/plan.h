/* plan.h - MLSys·im plan files (YAML): one scenario = workload + hardware + parallelism + ops +
 * constraints. The parser refuses unknown keys, wrong types and unknown registry names with
 * "file:line: field: reason". `mlsysim schema` prints the JSON Schema (ms_plan_schema_json). */
#ifndef MLSYSIM_PLAN_H
#define MLSYSIM_PLAN_H

#include "mlsysim/physics.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_PLAN_MAX_ASSERTS 32
/* parallelism.launch_overhead's ceiling: a kernel launch takes microseconds (a plan or --set above
 * it is refused). */
#define MS_PLAN_LAUNCH_OVERHEAD_MAX_S 1e-3

typedef struct {
    char metric[64];           /* a JSON output key, e.g. "latency_s" */
    int has_min, has_max;
    double min, max;
    int line;                  /* 1-based line in the plan file */
} ms_plan_assert;

typedef struct {
    char version[16];
    char name[128];
    char path[256];                   /* file the plan came from (for messages) */
    /* workload */
    ms_model model;                   /* resolved copy (registry or inline arch) */
    ms_mode mode;
    int batch_size, seq_len;
    ms_optimizer optimizer;
    int steps, cfg;                   /* diffusion: denoising steps (0 = the model's), guidance (MS_CFG_*) */
    ms_moe_routing moe_routing;       /* inference of a MoE model: the experts its tokens reach */
    /* hardware */
    ms_hardware hw;                   /* resolved copy */
    int count;                        /* accelerators in total */
    int per_node;                     /* accelerators per node */
    ms_precision precision;
    int weight_precision, kv_precision;   /* inference storage of weights / KV cache; -1 = precision */
    double efficiency;
    int efficiency_set;               /* the plan gave hardware.efficiency */
    int has_fabric;
    ms_fabric fabric;
    double intra_bw_bytes_per_s;      /* 0 = the accelerator's own link */
    double intra_latency_s;           /* a node's link latency inside it; 0 = the accelerator's link's */
    double intra_efficiency;          /* the node's achievable NVLink fraction; 0 = the default */
    double nvls_efficiency;           /* the node's NVLink SHARP all-reduce rate; 0 = none */
    int nics_per_node;                /* fabric ports per node; 0 = one per accelerator */
    double node_power_w;              /* a system entry's node power beyond its accelerators' TDP
                                         (host CPUs, NICs, switches, fans); 0 = accelerators only */
    double node_price_usd;            /* its node price beyond the accelerators; 0 = none */
    double power_limit_w;             /* board power limit below TDP (nvidia-smi -pl); 0 = TDP */
    double memory_reserve;            /* fraction of each accelerator's memory kept free (runtime,
                                         fragmentation headroom); 0 = none */
    double decode_serial;             /* inference: share of the shorter of a decode GEMM's weight stream
                                         and math in series with the longer (0 = roofline, default) */
    double congestion;                /* training: communication slowdown k_c >= 1 (default 1) */
    double straggler;                 /* training: slowest rank over the mean k_s >= 1 (default 1) */
    int topology;                     /* ms_topology (solvers.h) of the fabric between nodes (default fat-tree) */
    /* parallelism */
    int has_parallelism;
    int tp, pp, dp, microbatch, interleave, zero_stage, sequence_parallel;
    int zero_stage_set;               /* the plan gave parallelism.zero_stage */
    int shard_group;                  /* data-parallel ranks a ZeRO shard spans (hybrid sharding); 0 = all,
                                         or what the framework's name implies (HSDP: a node) */
    char framework[MS_NAME_MAX];      /* training software stack ("" = none): its validated figures
                                         (ms_dist_stack_figures) and, without zero_stage, its sharding */
    int ep, cp;                       /* expert-parallel (inside dp) and context-parallel degrees */
    int overlap_dp;                   /* gradient reduction overlapped with backward (default 1) */
    int flash_attention;              /* fused attention, no S x S scores in HBM (default 1) */
    int attention_kernel;             /* training, with flash_attention: ms_dist_attn_kernel_t (default flash2) */
    int tp_comm_overlap;              /* training: TP collectives overlapped with the layer's GEMMs (default 0) */
    int pp_comm_overlap;              /* training: interleaved pipeline sends overlapped with compute */
    int pp_comm_overlap_set;          /* the plan gave it; else parallelism.framework's (ms_dist_stack_pp_comm_overlap) */
    int cp_allgather;                 /* training, cp > 1: K and V all-gathered on the critical path (Llama 3's), not ring-passed */
    int cp_allgather_set;             /* the plan gave it; else parallelism.framework's (ms_dist_stack_cp_allgather) */
    double launch_overhead_s;         /* training: host time to issue one kernel (0 = none: a CUDA graph) */
    int launch_overhead_set;          /* the plan gave it; else MS_DIST_HOST_OP_S (PyTorch eager) */
    int optimizer_impl;               /* training: ms_dist_opt_impl_t, fused or unfused */
    int optimizer_impl_set;           /* the plan gave it; else parallelism.framework's (ms_dist_stack_optimizer_impl) */
    double moe_imbalance;             /* MoE: busiest expert's load over the fair share (>= 1, default 1) */
    ms_recompute recompute;
    double recompute_layer_fraction;  /* full recompute: the fraction of layers recomputed (default 1) */
    /* ops */
    int has_ops;
    ms_grid grid;
    double duration_days;
    /* constraints */
    int n_asserts;
    ms_plan_assert asserts[MS_PLAN_MAX_ASSERTS];
} ms_plan;

ms_status ms_plan_load_file(const ms_registry *r, const char *path, ms_plan *plan,
                            char *err, size_t errlen);
ms_status ms_plan_load_buffer(const ms_registry *r, const char *label, const char *yaml,
                              size_t len, ms_plan *plan, char *err, size_t errlen);
/* Writes the plan's JSON Schema (draft 2020-12) into buf (NUL-terminated, truncated to cap) and
 * returns its full length, like snprintf; buf may be NULL to ask for the length. */
size_t ms_plan_schema_json(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
