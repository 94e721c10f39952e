/* registry.h - MLSys·im's data: hardware, models, systems (nodes, fabrics), grids.
 *
 * Every quantity is an SI double: bytes, bytes/s, FLOP/s, seconds, watts, USD. A figure that is
 * unknown is 0 (never NaN). Entries come from YAML files (mlsysim/registry/<name>.yaml) embedded in the
 * library at build time; ms_registry_load_file() adds or overrides entries at run time. Each entry
 * carries its source (document, URL or datasheet, date) in `source`.
 *
 * Conventions (see mlsysim/README.md):
 *   - flops[p] is the DENSE peak for precision p (FLOP/s, or OP/s for integer formats);
 *     sparse figures (2:4 structured sparsity) live apart in sparse_flops[p].
 *   - interconnect bandwidth is PER DIRECTION (NVLink "900 GB/s" bidirectional = 450 GB/s).
 *   - memory capacities are stored in bytes; the YAML says GB (1e9) or GiB (2^30) explicitly.
 */
#ifndef MLSYSIM_REGISTRY_H
#define MLSYSIM_REGISTRY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes returned by every function that reads outside input. */
typedef enum {
    MS_OK = 0,
    MS_ERR_INPUT = 1,   /* bad file, field, name or value: message says which */
    MS_ERR_MEMORY = 2,  /* the workload does not fit in memory (CLI exit code 2) */
    MS_ERR_ASSERT = 3,  /* a plan's constraint was violated (CLI exit code 3) */
    MS_ERR_NOMEM = 4    /* allocation failed */
} ms_status;

/* Numeric formats. Storage bytes: fp32 4, tf32 4, bf16 2, fp16 2, fp8 1, int8 1, int4 0.5, fp4 0.5. */
typedef enum {
    MS_FP32 = 0, MS_TF32, MS_BF16, MS_FP16, MS_FP8, MS_INT8, MS_INT4, MS_FP4,
    MS_PREC_COUNT
} ms_precision;

double ms_precision_bytes(ms_precision p);                 /* bytes per element */
/* The same table as an initializer, for hot loops that index it directly. */
#define MS_PRECISION_BYTES_INIT {4.0, 4.0, 2.0, 2.0, 1.0, 1.0, 0.5, 0.5}
const char *ms_precision_name(ms_precision p);             /* "fp16" */
int ms_precision_parse(const char *s, ms_precision *out);  /* 0 ok, -1 unknown */

/* ---- Hardware: one accelerator (or one SoC / microcontroller) ---- */
typedef enum {
    MS_HW_CLOUD = 0, MS_HW_WORKSTATION, MS_HW_MOBILE, MS_HW_EDGE, MS_HW_TINY, MS_HW_CLASS_COUNT
} ms_hw_class;
const char *ms_hw_class_name(ms_hw_class c);

#define MS_NAME_MAX 48
#define MS_TITLE_MAX 96
#define MS_HW_ALIASES 6          /* other names an accelerator entry may list */
#define MS_SOURCE_MAX 320

typedef struct {
    char name[MS_NAME_MAX];                /* registry key, e.g. "H100" */
    char title[MS_TITLE_MAX];              /* "NVIDIA H100 SXM5 80GB" */
    /* other names it is written as, where neither its name nor its title is: the name its driver
     * reports (nvidia-smi, torch.cuda.get_device_name: "NVIDIA H100 80GB HBM3"), MLPerf's
     * ("H100-SXM-80GB"), the common short form ("H100 SXM") */
    char aliases[MS_HW_ALIASES][MS_TITLE_MAX];
    int n_aliases;
    char source[MS_SOURCE_MAX];
    ms_hw_class hw_class;
    int year;
    double flops[MS_PREC_COUNT];           /* dense peak, FLOP/s (OP/s for int), 0 = unsupported */
    double sparse_flops[MS_PREC_COUNT];    /* 2:4 sparse peak, kept apart; 0 = none */
    double mem_bytes;                      /* main memory (HBM/DRAM) capacity, bytes */
    double mem_bw_bytes_per_s;             /* main memory bandwidth, bytes/s */
    double sram_bytes;                     /* on-chip SRAM where it matters, bytes */
    double sram_bw_bytes_per_s;
    double flash_bytes;                    /* MCUs: weights live in flash, bytes */
    double flash_bw_bytes_per_s;
    double tdp_w;                          /* board/chip power, W */
    double link_bw_bytes_per_s;            /* chip-to-chip link, per direction, bytes/s */
    double link_latency_s;                 /* chip-to-chip α, s */
    double host_bw_bytes_per_s;            /* host link (PCIe) per direction, bytes/s */
    double price_usd;                      /* unit price where known, else 0 */
    double dispatch_s;                     /* fixed launch/dispatch overhead per evaluation, s */
    int compute_units;                     /* SMs / cores that GEMM tiles are scheduled on; 0 =
                                              unknown (no shape-dependent GEMM efficiency) */
} ms_hardware;

/* The format a device computes precision p with: p itself when its `flops` lists it, else the
 * narrowest listed format that holds p's values exactly (emulation: p's storage, that format's
 * rate: fp8 -> fp16 -> bf16 -> fp32, int8 -> fp16 ..., int4 -> int8 -> fp8 ..., fp4 -> fp8 ...;
 * never a narrower or a different 8-bit format); -1 if there is none (Edge TPU asked for fp16). */
int ms_hw_compute_precision(const ms_hardware *hw, ms_precision p);
/* 0: p is native; 1: p is emulated (msg: a warning naming the format used); -1: p cannot run on
 * this device (msg: the error, with the formats it has). */
int ms_hw_precision_check(const ms_hardware *hw, ms_precision p, char *msg, size_t cap);
/* Dense peak for precision p at its compute format (ms_hw_compute_precision), FLOP/s. When p
 * cannot run at all it returns the fastest listed peak, so the value is always finite; the engine
 * and the CLI refuse such a request before using it. */
double ms_hw_peak(const ms_hardware *hw, ms_precision p);
/* Fraction of datasheet HBM bandwidth that memory-bound kernels reach on a GPU: 0.88 on A100
 * 80 GB (1.80 of 2.04 TB/s measured with Nsight Compute, NVIDIA developer forum "Trouble to Reach
 * Peak Bandwidth of A100"; about 90 % is the most any kernel reaches), assumed for the other GPUs. */
#define MS_HW_ACHIEVABLE_HBM_FRACTION 0.88
/* The fraction of its datasheet memory bandwidth a device's memory-bound kernels reach where it is
 * known: MS_HW_ACHIEVABLE_HBM_FRACTION on a GPU whose SM count the registry states
 * (compute_units > 0), else 0 (unknown). */
double ms_hw_mem_bw_fraction(const ms_hardware *hw);
/* The main-memory bandwidth the engine's kernels read at, bytes/s: ms_hw_mem_bw_fraction of the
 * datasheet figure where it is known, the datasheet figure on every other device. On such a GPU
 * every memory term (roofline, prefill, decode, the fleet step) reads at this one rate; elsewhere
 * the roofline reads the datasheet figure and the fleet step η of it (its older model: no
 * measurement on those devices to replace either). */
double ms_hw_mem_bw(const ms_hardware *hw);

/* ---- Models ---- */
typedef enum {
    MS_MODEL_TRANSFORMER = 0, MS_MODEL_CNN, MS_MODEL_MLP,
    MS_MODEL_DIFFUSION,      /* latent diffusion: text encoder + U-Net x steps + VAE decoder */
    MS_MODEL_SSM,            /* selective state-space language model (Mamba) */
    MS_MODEL_DLRM            /* recommender: embedding tables + bottom/top MLPs + interaction */
} ms_model_kind;
const char *ms_model_kind_name(ms_model_kind k);

/* Transformer architecture (decoder or encoder, dense or MoE, MHA/GQA/MLA). */
typedef struct {
    int layers, hidden, heads, head_dim;  /* head_dim 0 = hidden/heads */
    int kv_heads;            /* GQA/MQA key-value heads; 0 = heads (MHA), which ms_model_derive writes */
    int ffn;                 /* dense FFN inner size */
    int vocab;
    int max_pos;             /* learned absolute position embeddings (GPT-2, BERT); 0 = rotary */
    int type_vocab;          /* BERT token-type embeddings; 0 = none */
    int gated_ffn;           /* 1: SwiGLU (3 matrices), 0: 2 matrices */
    int tied_embeddings;     /* 1: LM head shares the input embedding */
    int bias;                /* 1: linear layers carry biases (GPT-2, BERT) */
    int layernorm;           /* 1: LayerNorm (weight+bias), 0: RMSNorm (weight) */
    int encoder;             /* 1: bidirectional encoder (BERT); 0: causal decoder */
    int pooler;              /* BERT pooler (hidden x hidden + bias) */
    /* Mixture of experts (0 experts = dense). */
    int experts, experts_active, shared_experts, moe_ffn, dense_layers;
    /* Multi-head latent attention (DeepSeek-V2/V3); kv_lora_rank 0 = none. */
    int q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim;
} ms_arch;

/* Selective state-space language model (Mamba: Gu & Dao 2023, "Mamba: Linear-Time Sequence
 * Modeling with Selective State Spaces", §3.4 and Table 12 for the sizes). Each layer: RMSNorm,
 * in_proj d -> 2·d_inner (x and the gate z), causal depthwise conv1d (d_conv taps) on x,
 * x_proj d_inner -> dt_rank + 2·d_state (Δ, B, C), dt_proj dt_rank -> d_inner, the selective scan
 * with A [d_inner, d_state] and D [d_inner], out_proj d_inner -> d. */
typedef struct {
    int layers, d_model;
    int expand;              /* d_inner = expand x d_model (2) */
    int d_state;             /* N, state size per inner channel (16) */
    int d_conv;              /* conv1d taps (4) */
    int dt_rank;             /* 0: ceil(d_model / 16) */
    int vocab;
    int tied_embeddings;     /* 1: LM head shares the embedding (Mamba does) */
    /* derived (ms_model_derive) */
    double state_elems_per_seq;   /* recurrent state of one sequence, all layers: L·d_inner·(N + d_conv - 1) */
    double flops_per_token;       /* forward FLOPs of one token (matmuls, conv, scan, LM head) */
    double act_elems_per_token;   /* elements training keeps per token, all layers */
} ms_ssm_arch;

/* Latent diffusion (Rombach et al., "High-Resolution Image Synthesis with Latent Diffusion
 * Models", CVPR 2022): a text encoder (a transformer encoder), a U-Net that denoises a latent of
 * latent x latent x latent_channels `steps` times (twice per step with classifier-free guidance),
 * and a VAE decoder that turns the latent into pixels (side = latent x 2^(vae_levels - 1)). */
#define MS_UNET_MAX_LEVELS 6
typedef struct {
    int latent, latent_channels;             /* latent side (64 for 512x512 images) and channels (4) */
    int levels;                              /* U-Net resolution levels */
    int channels[MS_UNET_MAX_LEVELS];        /* U-Net channels per level (320 640 1280 1280) */
    int attention[MS_UNET_MAX_LEVELS];       /* 1: a transformer block after each ResNet block */
    int layers_per_block;                    /* ResNet blocks per level going down (up: one more) */
    int heads;                               /* attention heads (head dim = channels / heads) */
    int context_dim, context_len;            /* text embedding width and tokens (768, 77) */
    int vae_levels;
    int vae_channels[MS_UNET_MAX_LEVELS];    /* VAE channels per level (128 256 512 512) */
    int vae_layers_per_block;                /* the decoder has one more per level */
    int steps;                               /* default denoising steps */
    int guidance;                            /* 1: classifier-free guidance by default */
    ms_arch text;                            /* the text encoder */
    /* derived (ms_model_derive), per sample */
    double unet_params, unet_flops;          /* one U-Net forward at `latent` */
    double unet_act_elems;                   /* elements a U-Net training step keeps for backward */
    double unet_skip_elems, unet_peak_elems; /* inference: skip tensors held for the up path, and the
                                                largest input + output of one operation */
    double text_params, text_flops;          /* one prompt of context_len tokens */
    double vae_params, vae_flops;            /* one image (post-quant conv + decoder) */
    double vae_act_elems;                    /* every decoder operation's output, elements */
    double vae_peak_elems;                   /* largest input + output of one decoder operation */
    int unet_blocks, text_layers, vae_blocks;/* blocks that pay the per-layer overhead */
} ms_diffusion_arch;

/* DLRM-style recommender (Naumov et al. 2019, "Deep Learning Recommendation Model for
 * Personalization and Recommendation Systems"; DCN-v2 interaction: Wang et al. 2021). Dense
 * features pass a bottom MLP, each sparse feature pools `lookups` rows of its embedding table,
 * the vectors interact (pairwise dots, or DCN-v2 low-rank cross layers), a top MLP scores. */
#define MS_MLP_MAX_LAYERS 8
typedef struct {
    int dense_features;
    int bottom[MS_MLP_MAX_LAYERS], n_bottom;  /* bottom MLP widths; the last equals `dim` */
    int top[MS_MLP_MAX_LAYERS], n_top;        /* top MLP widths (the last is the score, 1) */
    int tables;                               /* sparse features, one table each */
    double rows;                              /* rows of all tables together */
    double lookups;                           /* rows gathered per sample, all tables together */
    int dim;                                  /* embedding width */
    int cross_layers, cross_rank;             /* DCN-v2 (0 layers: dot interaction) */
    /* derived (ms_model_derive) */
    double embedding_params, dense_params;
    double dense_flops;                       /* forward FLOPs per sample (MLPs, interaction, pooling) */
    double interaction_elems;                 /* per sample: the vectors that interact, (tables + 1)·dim */
    double act_elems;                         /* per sample: every MLP, cross-layer and interaction output */
    int blocks;                               /* layers that pay the per-layer overhead */
} ms_dlrm_arch;

typedef struct {
    char name[MS_NAME_MAX];
    char title[MS_TITLE_MAX];
    char source[MS_SOURCE_MAX];
    ms_model_kind kind;
    ms_arch arch;                  /* transformers only */
    ms_ssm_arch ssm;               /* MS_MODEL_SSM only */
    ms_diffusion_arch diffusion;   /* MS_MODEL_DIFFUSION only */
    ms_dlrm_arch dlrm;             /* MS_MODEL_DLRM only */
    int layers;                    /* all kinds (CNN/MLP: layer count for the per-layer overhead) */
    double published_params;       /* published parameter count (for the self-check) */
    double published_active_params;/* MoE: published active count; 0 = n/a */
    double fwd_flops;              /* CNN/MLP: published forward FLOPs per sample (MAC = 2 FLOP);
                                      diffusion: one image at the default steps and guidance; SSM:
                                      one token; DLRM: one sample (derived) */
    double act_peak_bytes;         /* tiny models: peak activation bytes per sample at int8, 0 = unknown */
    double input_seq;              /* encoders: sequence the published FLOPs refer to (unused if 0) */
    double saved_act_elems;        /* CNN/MLP with a layer graph: activations training keeps for
                                      backward, elements per sample (ms_graph_eval); 0 = no graph */
    /* Derived at load time (ms_model_derive); transformers from the architecture. */
    double params;                 /* total parameters */
    double params_active;          /* parameters touched per token (MoE), = params when dense */
    double params_matmul;          /* active parameters in matmuls per token (no input embedding) */
    double attn_flops_per_pair;    /* forward attention FLOPs per (query, key) pair, all layers:
                                      2 (QK^T) + 2 (AV) FLOP x heads x head_dim x layers */
    double kv_elems_per_token;     /* KV-cache elements per token (all layers), 0 for non-transformers */
} ms_model;

/* Fills the derived fields (params, params_active, params_matmul, attn_flops_per_pair,
 * kv_elems_per_token) from the architecture or the published figures; a transformer's kv_heads 0
 * (MHA) becomes heads, so every reader after it finds the count. */
void ms_model_derive(ms_model *m);

/* ---- Systems: nodes and fabrics ---- */
typedef struct {
    char name[MS_NAME_MAX];
    char title[MS_TITLE_MAX];
    char source[MS_SOURCE_MAX];
    double bw_bytes_per_s;     /* per port, per direction */
    double latency_s;          /* α */
    double oversubscription;   /* >= 1 */
    double efficiency;         /* achievable fraction of bw for NCCL collectives (NCCL-tests busbw /
                                  line rate); 0 = MS_DIST_INTER_LINK_EFFICIENCY */
} ms_fabric;

typedef struct {
    char name[MS_NAME_MAX];
    char title[MS_TITLE_MAX];
    char source[MS_SOURCE_MAX];
    char accelerator[MS_NAME_MAX];  /* hardware key */
    int accelerators;               /* per node */
    double intra_bw_bytes_per_s;    /* per GPU, per direction (NVLink/NVSwitch) */
    double intra_latency_s;
    double intra_efficiency;        /* achievable fraction of intra_bw (NCCL-tests busbw / line
                                       rate); 0 = MS_DIST_INTRA_LINK_EFFICIENCY */
    double nvls_efficiency;         /* NVLink SHARP all-reduce rate / the ring's (ms_dist_fabric_t);
                                       0 = the node has none */
    int nics;                       /* per node */
    char fabric[MS_NAME_MAX];       /* default fabric key */
    double price_usd;
    double power_w;                 /* node power at full load (incl. CPUs, NICs), 0 = unknown */
} ms_node;

/* A node's links as MLSys·im's models read them, for per_node accelerators hw: each accelerator's
 * link inside the node (intra_bw when > 0, a node's NVLink or a plan's own figure; else the
 * accelerator's link, else its host link, else 32 GB/s) at intra_latency when > 0 (the node's),
 * else the accelerator's link latency, else 1 µs; between nodes, nics ports (0: one per accelerator, the DGX/HGX layout) of fabric fb shared
 * by its oversubscription, at the fabric's latency; without a fabric the node's own links (a run of
 * one node never leaves it). Plans (ms_plan_eval) and `validate`'s blank hardware columns both read
 * nodes through it. */
typedef struct {
    double intra_bw_bytes_per_s, intra_latency_s;   /* per accelerator, per direction */
    double inter_bw_bytes_per_s, inter_latency_s;   /* per node, per direction */
    int nics;                                       /* the NICs counted: nics, else per_node */
} ms_node_links;
void ms_node_links_of(const ms_hardware *hw, double intra_bw, double intra_latency, int per_node, int nics,
                      const ms_fabric *fb, ms_node_links *out);

/* ---- Grids: where the electricity comes from ---- */
typedef struct {
    char name[MS_NAME_MAX];
    char title[MS_TITLE_MAX];
    char source[MS_SOURCE_MAX];
    double carbon_g_per_kwh;   /* gCO2e/kWh */
    double pue;                /* >= 1 */
    double wue_l_per_kwh;      /* L/kWh of IT energy */
    double price_usd_per_kwh;
} ms_grid;

/* ---- Scenarios: named plans (a system, a workload and its targets) that the labs and StaffML
 * reuse; `mlsysim scenario list|show|eval NAME` (registry/scenarios.yaml) ---- */
#define MS_SCENARIO_PLAN_MAX 2048
typedef struct {
    char name[MS_NAME_MAX];
    char title[MS_TITLE_MAX];
    char source[MS_SOURCE_MAX];        /* where the targets come from */
    char question[MS_SOURCE_MAX];      /* what the scenario asks */
    char plan[MS_SCENARIO_PLAN_MAX];   /* a plan in `mlsysim eval`'s YAML format */
} ms_scenario;

/* ---- The registry ---- */
typedef struct ms_registry ms_registry;

/* The embedded registry (built in). Returns NULL only on allocation failure or a broken build. */
ms_registry *ms_registry_new(char *err, size_t errlen);
void ms_registry_free(ms_registry *r);
/* Adds/overrides entries from a YAML file (same format as mlsysim/registry/<name>.yaml). On error
 * returns MS_ERR_INPUT and writes "file:line: field: reason" into err. */
ms_status ms_registry_load_file(ms_registry *r, const char *path, char *err, size_t errlen);
/* Same from a buffer; `label` names it in messages. One file gives each name of a section once
 * and at most MS_REGISTRY_MAX_FILE_ENTRIES entries per section. */
#define MS_REGISTRY_MAX_FILE_ENTRIES 10000
ms_status ms_registry_load_buffer(ms_registry *r, const char *label, const char *yaml, size_t len,
                                  char *err, size_t errlen);

size_t ms_registry_hardware_count(const ms_registry *r);
size_t ms_registry_model_count(const ms_registry *r);
size_t ms_registry_node_count(const ms_registry *r);
size_t ms_registry_fabric_count(const ms_registry *r);
size_t ms_registry_grid_count(const ms_registry *r);
size_t ms_registry_scenario_count(const ms_registry *r);
const ms_hardware *ms_registry_hardware_at(const ms_registry *r, size_t i);
const ms_model *ms_registry_model_at(const ms_registry *r, size_t i);
const ms_node *ms_registry_node_at(const ms_registry *r, size_t i);
const ms_fabric *ms_registry_fabric_at(const ms_registry *r, size_t i);
const ms_grid *ms_registry_grid_at(const ms_registry *r, size_t i);
const ms_scenario *ms_registry_scenario_at(const ms_registry *r, size_t i);
/* Lookups are case-insensitive and ignore '_', '-', '.' and ' ' ("llama3-8b" finds Llama3_8B); a
 * name no entry has finds the one entry whose title it is ("Llama-3.1-8B" finds Llama3_8B, titled
 * "Llama 3.1 8B"), none when two entries share that title. A model is also found by its hub
 * repository id, when exactly one entry's name or title reads the same without the organisation
 * and the release words Meta, Instruct, chat, hf, base and it ("meta-llama/Llama-2-70b-chat-hf"
 * finds Llama2_70B, "mistralai/Mistral-7B-Instruct-v0.1" Mistral_7B). An accelerator is also found
 * by its title without its maker's name ("A100-SXM4-40GB" finds A100_40GB, titled "NVIDIA A100
 * SXM4 40GB"). */
const ms_hardware *ms_registry_hardware(const ms_registry *r, const char *name);
const ms_model *ms_registry_model(const ms_registry *r, const char *name);
/* How far apart two names are: the edits (a character inserted, removed or replaced) from one to
 * the other, read as the lookups read names (case and the separators '_', '-', ' ', '.' dropped),
 * counted up to 3 (3 = three or more). */
int ms_name_distance(const char *a, const char *b);
/* What an error says after "unknown model" / "unknown accelerator": "'NAME' (did you mean
 * NEAREST? see `mlsysim zoo models`)", NEAREST the entry whose name is within two edits of NAME
 * (the nearest, the first of equals), or "'NAME' (see `mlsysim zoo models`)" when none is; written
 * to buf (n bytes) and returned. */
const char *ms_registry_unknown_model(const ms_registry *r, const char *name, char *buf, size_t n);
const char *ms_registry_unknown_hardware(const ms_registry *r, const char *name, char *buf, size_t n);
const ms_node *ms_registry_node(const ms_registry *r, const char *name);
const ms_fabric *ms_registry_fabric(const ms_registry *r, const char *name);
const ms_grid *ms_registry_grid(const ms_registry *r, const char *name);
const ms_scenario *ms_registry_scenario(const ms_registry *r, const char *name);

/* Parses a quantity with a unit ("80 GiB", "3.35 TB/s", "989 TFLOPS", "5 us", "700 W", "$25,000").
 * `dim` is one of "bytes", "bytes/s", "flop/s", "s", "W", "usd", "" (plain number). Returns 0 on
 * success, -1 with a reason in err. A bare number is taken in SI base units. */
int ms_parse_quantity(const char *text, const char *dim, double *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
