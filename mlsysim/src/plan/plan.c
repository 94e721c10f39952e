/* plan.c - reads a plan (YAML) into ms_plan, resolving registry names; prints its JSON Schema.
 *
 * Invariants: every key is known (unknown keys are refused), every scalar has the right type and
 * range, every name resolves in the registry; any failure is reported as "file:line: field: reason"
 * and leaves *plan unspecified. Accepted upstream spellings: workload.name for workload.model and
 * hardware.name for hardware.accelerator; hardware.accelerators / hardware.nodes for count.
 * The sections workload, hardware, parallelism and ops are read from one field table each (key,
 * alias, type, range, default, description), which also gives the "unknown field" hint, the
 * defaults of ms_plan_init and the sections of the JSON Schema.
 */
#include "mlsysim/plan.h"
#include "mlsysim/distributed.h"
#include "mlsysim/engine.h"
#include "mlsysim/solvers.h"
#include "plan_internal.h"
#include "../core/file_util.h"
#include "../core/yaml_util.h"
#include "../registry/internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A constraint may name any numeric key a plan evaluation produces (engine.h, keys.c). */
static int metric_known(const char *m)
{
    const ms_result_key *k = ms_result_key_find(m);
    return k && k->kind != MS_V_STR && k->kind != MS_V_RAW;
}

typedef struct {
    msy_doc y;
    const ms_registry *reg;
    ms_plan *plan;
    int have_model, have_hw, nodes;    /* section state the field handlers share */
    struct fy_node *count_node;
} reader;

#define FAIL(node, field, ...) msy_fail(&rd->y, node, field, __VA_ARGS__)

/* ---- the field tables: one per plan section ----
 * Each row is read by one loop (read_section); the same rows give the "unknown field" hint, the
 * defaults ms_plan_init applies (ms__plan_defaults) and the section's JSON Schema, so they cannot
 * disagree. Fields that resolve registry names or fill several plan fields have a handler. */
typedef enum { FT_INT, FT_NUM, FT_BOOL, FT_QTY, FT_ENUM, FT_SPECIAL } ftype;

typedef struct {
    const char *key, *alias;           /* alias: the upstream spelling, same meaning */
    ftype type;
    int off;                           /* offset in ms_plan (int or double field); -1 none */
    double min, max;                   /* FT_INT, FT_NUM */
    int has_def;
    double def;                        /* default (FT_ENUM: the enum value) */
    const char *opts;                  /* FT_QTY: dimension; FT_ENUM: the names, space-separated */
    int (*parse)(const char *, int *); /* FT_ENUM */
    int (*special)(reader *, struct fy_node *, const char *field);
    int set_off;                       /* int flag set to 1 when the field is given; -1 none */
    const char *schema;                /* FT_SPECIAL: the JSON Schema of the value; else extras */
    const char *doc;
} field;

#define OFF(m) ((int)offsetof(ms_plan, m))

static int parse_mode(const char *s, int *v) { ms_mode x; int r = ms_mode_parse(s, &x); *v = (int)x; return r; }
static int parse_opt(const char *s, int *v) { ms_optimizer x; int r = ms_optimizer_parse(s, &x); *v = (int)x; return r; }
static int parse_prec(const char *s, int *v) { ms_precision x; int r = ms_precision_parse(s, &x); *v = (int)x; return r; }
static int parse_topo(const char *s, int *v) { ms_topology x; int r = ms_topology_parse(s, &x); *v = (int)x; return r; }
static int parse_rc(const char *s, int *v) { ms_recompute x; int r = ms_recompute_parse(s, &x); *v = (int)x; return r; }
static int parse_cfg(const char *s, int *v)
{
    if (!strcmp(s, "model")) *v = MS_CFG_MODEL;
    else if (!strcmp(s, "on") || !strcmp(s, "true")) *v = MS_CFG_ON;
    else if (!strcmp(s, "off") || !strcmp(s, "false")) *v = MS_CFG_OFF;
    else return -1;
    return 0;
}

static int parse_routing(const char *s, int *v)
{
    ms_moe_routing x;
    int r = ms_moe_routing_parse(s, &x);
    *v = (int)x;
    return r;
}

static int f_model(reader *rd, struct fy_node *v, const char *f)
{
    char name[MS_NAME_MAX];
    if (rd->have_model) return FAIL(v, f, "give one of model / arch");
    if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
    const ms_model *m = ms_registry_model(rd->reg, name);
    char why[256];
    if (!m) return FAIL(v, f, "unknown model %s", ms_registry_unknown_model(rd->reg, name, why, sizeof why));
    rd->plan->model = *m;
    rd->have_model = 1;
    return 0;
}

static int f_arch(reader *rd, struct fy_node *v, const char *f)
{
    if (rd->have_model) return FAIL(v, f, "give one of model / arch");
    ms_model m;
    memset(&m, 0, sizeof m);
    if (ms__read_arch(&rd->y, v, f, &m.arch)) return -1;
    m.kind = MS_MODEL_TRANSFORMER;
    m.layers = m.arch.layers;
    strcpy(m.name, "custom");
    snprintf(m.title, sizeof m.title, "custom transformer (%d layers, hidden %d)", m.arch.layers, m.arch.hidden);
    snprintf(m.source, sizeof m.source, "plan file %s", rd->y.label);
    ms_model_derive(&m);
    m.published_params = m.params;
    rd->plan->model = m;
    rd->have_model = 1;
    return 0;
}

static int f_accelerator(reader *rd, struct fy_node *v, const char *f)
{
    ms_plan *p = rd->plan;
    char name[MS_NAME_MAX];
    if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
    const ms_hardware *h = ms_registry_hardware(rd->reg, name);
    if (!h) {
        const ms_node *nd = ms_registry_node(rd->reg, name);
        char why[256];
        if (!nd) return FAIL(v, f, "unknown accelerator %s", ms_registry_unknown_hardware(rd->reg, name, why, sizeof why));
        h = ms_registry_hardware(rd->reg, nd->accelerator);
        if (!p->per_node) p->per_node = nd->accelerators;
        if (!p->intra_bw_bytes_per_s) p->intra_bw_bytes_per_s = nd->intra_bw_bytes_per_s;
        p->intra_latency_s = nd->intra_latency_s;
        p->intra_efficiency = nd->intra_efficiency;
        p->nvls_efficiency = nd->nvls_efficiency;
        p->nics_per_node = nd->nics;
        if (h) {   /* what the node adds to its accelerators (the TDPs and prices of the registry) */
            p->node_power_w = fmax(0.0, nd->power_w - nd->accelerators * h->tdp_w);
            p->node_price_usd = fmax(0.0, nd->price_usd - nd->accelerators * h->price_usd);
        }
        if (!p->has_fabric && nd->fabric[0]) {
            const ms_fabric *fb = ms_registry_fabric(rd->reg, nd->fabric);
            if (fb) { p->fabric = *fb; p->has_fabric = 1; }
        }
    }
    p->hw = *h;
    rd->have_hw = 1;
    return 0;
}

static int f_count(reader *rd, struct fy_node *v, const char *f)
{
    if (msy_int(&rd->y, v, f, &rd->plan->count, 1, 100000000)) return -1;
    rd->count_node = v;
    return 0;
}

static int f_nodes(reader *rd, struct fy_node *v, const char *f)
{
    return msy_int(&rd->y, v, f, &rd->nodes, 1, 10000000);
}

static int f_fabric(reader *rd, struct fy_node *v, const char *f)
{
    char name[MS_NAME_MAX];
    if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
    const ms_fabric *fb = ms_registry_fabric(rd->reg, name);
    if (!fb) return FAIL(v, f, "unknown fabric '%s' (see `mlsysim zoo systems`)", name);
    rd->plan->fabric = *fb;
    rd->plan->has_fabric = 1;
    return 0;
}

static int f_framework(reader *rd, struct fy_node *v, const char *f)
{
    return msy_str(&rd->y, v, f, rd->plan->framework, sizeof rd->plan->framework);
}

static int f_region(reader *rd, struct fy_node *v, const char *f)
{
    char name[MS_NAME_MAX];
    if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
    const ms_grid *g = ms_registry_grid(rd->reg, name);
    if (!g) return FAIL(v, f, "unknown region '%s' (see `mlsysim zoo grids`)", name);
    rd->plan->grid = *g;
    return 0;
}

static const field workload_fields[] = {
    {"model", "name", FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_model, -1,
     "{\"type\": \"string\"", "registry model name (mlsysim zoo models)"},
    {"arch", NULL, FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_arch, -1,
     "{\"$ref\": \"#/$defs/arch\"", "a transformer's architecture, instead of model"},
    {"mode", NULL, FT_ENUM, OFF(mode), 0, 0, 1, MS_MODE_INFERENCE, "inference training", parse_mode, NULL, -1, NULL,
     "inference: one decode step or forward pass; training: one optimizer step"},
    {"seq_len", NULL, FT_INT, OFF(seq_len), 1, 100000000, 1, 2048, NULL, NULL, NULL, -1, NULL,
     "tokens per sequence (the context of a decode step)"},
    {"batch_size", NULL, FT_INT, OFF(batch_size), 1, 100000000, 1, 1, NULL, NULL, NULL, -1, NULL,
     "sequences or samples per step (the global batch for training)"},
    {"optimizer", NULL, FT_ENUM, OFF(optimizer), 0, 0, 1, MS_OPT_ADAM, "adam adamw sgd none", parse_opt, NULL, -1, NULL,
     "training: Adam keeps 12 B/param of state (mixed precision), SGD with momentum 8, none 0"},
    {"steps", NULL, FT_INT, OFF(steps), 0, 10000, 1, 0, NULL, NULL, NULL, -1, NULL,
     "diffusion: denoising steps per image (0: the model's default, e.g. 50)"},
    {"cfg", NULL, FT_ENUM, OFF(cfg), 0, 0, 1, MS_CFG_MODEL, "model on off", parse_cfg, NULL, -1, NULL,
     "diffusion: classifier-free guidance, two U-Net passes per step (model: the model's default)"},
    {"moe_routing", NULL, FT_ENUM, OFF(moe_routing), 0, 0, 1, MS_MOE_UNIFORM, "uniform fixed", parse_routing, NULL, -1, NULL,
     "inference of a MoE model: uniform, each token picks its top_k experts at random, so a batch's tokens read nearly every "
     "expert's weights; fixed, every token picks the same top_k, so a pass reads the active experts alone (a router that has "
     "collapsed, or benchmark engines built without a checkpoint, as TensorRT-LLM 0.9.0's Mixtral runs were measured)"},
};

static const field hardware_fields[] = {
    {"accelerator", "name", FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_accelerator, -1,
     "{\"type\": \"string\"", "registry hardware or node name (a node sets per_node, NVLink and fabric)"},
    {"count", "accelerators", FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_count, -1,
     "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100000000, \"default\": 1", "accelerators in total"},
    {"nodes", NULL, FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_nodes, -1,
     "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10000000", "count = nodes x per_node"},
    {"per_node", "accelerators_per_node", FT_INT, OFF(per_node), 1, 1000000, 0, 0, NULL, NULL, NULL, -1, NULL,
     "accelerators per node (default: the node's, else min(count, 8))"},
    {"precision", NULL, FT_ENUM, OFF(precision), 0, 0, 1, MS_FP16, "fp32 tf32 bf16 fp16 fp8 int8 int4 fp4", parse_prec, NULL, -1,
     NULL, "numeric format; one the device lacks is emulated on a wider one it has, or refused; training in fp8: the linear layers' GEMMs in fp8 (Transformer Engine), the rest 16-bit"},
    {"weight_precision", NULL, FT_ENUM, OFF(weight_precision), 0, 0, 1, -1, "fp32 tf32 bf16 fp16 fp8 int8 int4 fp4", parse_prec, NULL, -1,
     NULL, "inference: how the weights are stored (weight-only int4 ...), computed in precision; default: precision"},
    {"kv_precision", NULL, FT_ENUM, OFF(kv_precision), 0, 0, 1, -1, "fp32 tf32 bf16 fp16 fp8 int8 int4 fp4", parse_prec, NULL, -1,
     NULL, "inference: how the KV cache is stored (fp8 KV ...); default: precision"},
    {"efficiency", NULL, FT_NUM, OFF(efficiency), 1e-6, 1.0, 0, 0, NULL, NULL, NULL, OFF(efficiency_set), NULL,
     "fraction of peak FLOP/s reached (links run at their fabric's NCCL-tests fraction, not at this); default for training the calibrated figure of the accelerator generation (ms_calibrated_efficiency: A100 0.74, H100 0.61), else 0.70; inference of a transformer in fp16/bf16 the same figure, in fp8 the generation's fp8_efficiency (H100 0.54), else 0.5"},
    {"power_limit", NULL, FT_QTY, (int)offsetof(ms_plan, power_limit_w), 0, 0, 0, 0, "W", NULL, NULL, -1, NULL,
     "each accelerator held at this power limit below its TDP, e.g. '500 W' (nvidia-smi -pl): the compute (training: the GEMMs and attention) "
     "runs at ((limit - 0.3 TDP) / (0.7 TDP))^(1/3) of its clock (dynamic power ~ f^3), memory-bound work and links at theirs; default: TDP"},
    {"memory_reserve", NULL, FT_NUM, (int)offsetof(ms_plan, memory_reserve), 0, 0.9, 1, 0, NULL, NULL, NULL, -1, NULL,
     "fraction of each accelerator's memory kept free (runtime, fragmentation): what fits must fit in the rest"},
    {"decode_serial", NULL, FT_NUM, (int)offsetof(ms_plan, decode_serial), 0, 1, 1, 0, NULL, NULL, NULL, -1, NULL,
     "inference: the share of the shorter of a decode step's GEMM weight stream and GEMM math that runs in series with the longer "
     "(0 = the roofline's max, both overlapped; 1 = the two summed); a serving stack's figure, e.g. TensorRT-LLM 0.9's (mlsysim/validation/README.md, section Decode GEMMs near the ridge)"},
    {"congestion", NULL, FT_NUM, (int)offsetof(ms_plan, congestion), 1, 1e6, 1, 1, NULL, NULL, NULL, -1, NULL,
     "training: network congestion factor k_c, every exposed collective takes k_c times as long (as solve step-factors)"},
    {"straggler", NULL, FT_NUM, (int)offsetof(ms_plan, straggler), 1, 1e6, 1, 1, NULL, NULL, NULL, -1, NULL,
     "training: slowest rank's step over the mean k_s, the synchronous step takes k_s times as long (as solve step-factors)"},
    {"topology", NULL, FT_ENUM, OFF(topology), 0, 0, 1, MS_TOPO_FAT_TREE, "fat-tree dragonfly torus3d ring", parse_topo, NULL, -1, NULL,
     "how the nodes are wired (as solve topology): each node's inter-node bandwidth is min(its NICs, the topology's bisection per node) and the fabric's latency (a fat-tree's 4 hops) scales with the average hops / 4"},
    {"fabric", NULL, FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_fabric, -1,
     "{\"type\": \"string\"", "registry fabric name between nodes (mlsysim zoo systems)"},
    {"intra_bw", "intra_node_bw", FT_QTY, (int)offsetof(ms_plan, intra_bw_bytes_per_s), 0, 0, 0, 0, "bytes/s", NULL, NULL, -1, NULL,
     "per accelerator per direction inside a node, e.g. '450 GB/s' (default: the node's or the device's link)"},
};

static const field parallelism_fields[] = {
    {"tp", NULL, FT_INT, OFF(tp), 1, 1000000, 1, 1, NULL, NULL, NULL, -1, NULL, "tensor-parallel degree (divides the heads)"},
    {"pp", NULL, FT_INT, OFF(pp), 1, 1000000, 1, 1, NULL, NULL, NULL, -1, NULL, "pipeline stages (uneven stages allowed)"},
    {"dp", NULL, FT_INT, OFF(dp), 0, 100000000, 0, 0, NULL, NULL, NULL, -1, NULL, "data-parallel replicas; 0 or absent: count / (tp x pp)"},
    {"ep", NULL, FT_INT, OFF(ep), 1, 1000000, 1, 1, NULL, NULL, NULL, -1, NULL, "expert-parallel degree: a MoE model's experts split over ep ranks of each data-parallel group (divides dp; training)"},
    {"cp", NULL, FT_INT, OFF(cp), 1, 1000000, 1, 1, NULL, NULL, NULL, -1, NULL, "context-parallel degree: each sequence split over cp ranks (training)"},
    {"microbatch", NULL, FT_INT, OFF(microbatch), 1, 1000000, 1, 1, NULL, NULL, NULL, -1, NULL, "sequences per micro-batch"},
    {"interleave", NULL, FT_INT, OFF(interleave), 1, 1000, 1, 1, NULL, NULL, NULL, -1, NULL, "model chunks per pipeline stage"},
    {"recompute", NULL, FT_ENUM, OFF(recompute), 0, 0, 1, MS_RECOMPUTE_NONE, "none selective full", parse_rc, NULL, -1, NULL,
     "activation recomputation (Korthikanti et al. 2022); selective is the framework's own: the attention core (Megatron-LM, NeMo), "
     "operator-level with framework torchtitan (every other matmul and the element-wise ops recomputed)"},
    {"recompute_layer_fraction", NULL, FT_NUM, (int)offsetof(ms_plan, recompute_layer_fraction), 1e-6, 1, 1, 1, NULL, NULL, NULL, -1, NULL,
     "with recompute full, the fraction of the layers recomputed, the others keeping their activations "
     "(Megatron-LM --recompute-num-layers over a stage's layers; torchtitan's selective layer checkpointing of every n-th layer: 1/n; training)"},
    {"sequence_parallel", NULL, FT_BOOL, OFF(sequence_parallel), 0, 0, 1, 0, NULL, NULL, NULL, -1, NULL, "Megatron sequence parallelism"},
    {"zero_stage", NULL, FT_INT, OFF(zero_stage), 0, 3, 1, 0, NULL, NULL, NULL, OFF(zero_stage_set), NULL,
     "ZeRO: 1 optimizer, 2 + gradients, 3 + weights sharded (default: what parallelism.framework implies, else 0)"},
    {"shard_group", NULL, FT_INT, OFF(shard_group), 0, 1000000, 1, 0, NULL, NULL, NULL, -1, NULL,
     "data-parallel ranks one ZeRO shard spans, replicated across the others (hybrid sharding: PyTorch FSDP HYBRID_SHARD / HSDP, "
     "ZeRO++ hpZ); must divide dp (default 0: every replica, or a node's ranks when parallelism.framework names hybrid sharding)"},
    {"framework", NULL, FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_framework, -1, "{\"type\": \"string\"",
     "training software stack, e.g. Megatron-LM, NeMo, llm-foundry, torchtitan, FSDP, DeepSpeed-ZeRO3, Megatron-DeepSpeed: "
     "the figures validated for it (mlsysim/validation/stacks.csv: compute, sharded-collective and attention factors; none = 1) "
     "and, without zero_stage, the sharding its name implies (FSDP = 3, NeMo = 1)"},
    {"overlap_dp", NULL, FT_BOOL, OFF(overlap_dp), 0, 0, 1, 1, NULL, NULL, NULL, -1, NULL, "gradient reduction overlapped with backward"},
    {"flash_attention", NULL, FT_BOOL, OFF(flash_attention), 0, 0, 1, 1, NULL, NULL, NULL, -1, NULL, "fused attention: no S x S scores in HBM"},
    {"attention_kernel", NULL, FT_ENUM, OFF(attention_kernel), 0, 0, 1, MS_DIST_ATTN_FLASH2, "flash2 flash1", ms_dist_attn_kernel_parse, NULL, -1, NULL,
     "the fused attention kernel (training, with flash_attention): flash2, the FlashAttention-2-class figures the generations and stacks were validated with; "
     "flash1, FlashAttention-1 (the flash_attn 0.x package), at half their speed (Dao 2023: FlashAttention-2 is about 2x faster)"},
    {"tp_comm_overlap", NULL, FT_BOOL, OFF(tp_comm_overlap), 0, 0, 1, 0, NULL, NULL, NULL, -1, NULL,
     "tensor-parallel collectives overlapped with the layer's GEMMs (Transformer Engine userbuffers; Megatron-Core tp_comm_overlap, NeMo ub_tp_comm_overlap): each layer exposes max(0, M - C), M its TP collective time, C its linear-layer GEMM time (training)"},
    {"pp_comm_overlap", NULL, FT_BOOL, OFF(pp_comm_overlap), 0, 0, 1, 0, NULL, NULL, NULL, OFF(pp_comm_overlap_set), NULL,
     "pipeline sends and receives overlapped with the chunks' compute (Megatron-Core / NeMo overlap_p2p_comm, the interleaved schedule: needs interleave > 1): only the fill's and drain's 2(pp - 1) transfers are exposed (training; default: on for a Megatron-family framework (Megatron-LM, Megatron-Core, NeMo) with pp > 1 and interleave > 1, else off)"},
    {"cp_allgather", NULL, FT_BOOL, OFF(cp_allgather), 0, 0, 1, 0, NULL, NULL, NULL, OFF(cp_allgather_set), NULL,
     "context parallelism by all-gather (Llama 3's: every rank gathers the whole sequence's K and V before its attention and reduce-scatters their gradients, on the critical path) "
     "instead of the ring (Megatron-Core, torchtitan: K and V chunks pass round the ring while the attention core computes, only what it does not cover exposed); "
     "needs cp > 1 (training; default: on for a framework named Llama3, else off)"},
    {"launch_overhead", NULL, FT_QTY, (int)offsetof(ms_plan, launch_overhead_s), 0, 0, 0, 0, "s", NULL, NULL, OFF(launch_overhead_set), NULL,
     "host time to issue one kernel (training): the GPU runs a kernel only once the host has issued it, so a micro-batch takes at least its kernels' issue time "
     "(result keys host_issue_s, host_wait_s); default 4 us, PyTorch's eager mode (pytorch/pytorch issues 82793 and 41383); 0 us for a step captured in a CUDA graph"},
    {"optimizer_impl", NULL, FT_ENUM, OFF(optimizer_impl), 0, 0, 1, MS_DIST_OPT_FUSED, "fused unfused foreach", ms_dist_opt_impl_parse, NULL, OFF(optimizer_impl_set), NULL,
     "how the optimizer step reaches HBM and how many kernels it launches (training): fused, one pass over the gradients and the optimizer state (28 B per local parameter for mixed-precision Adam: "
     "apex / Transformer Engine FusedAdam, Megatron, DeepSpeed, torch fused=True), a kernel per 36 tensors; unfused, PyTorch's element-wise ops one pass each in a loop over the tensors "
     "(Composer's DecoupledAdamW; for-loop reads the same) and gradient-norm clipping, 100 B for Adam, 9 kernels per tensor; foreach, the same passes over lists of tensors (torch.optim's default), "
     "9 kernels per 64 tensors (default: unfused for a Composer framework (llm-foundry, Composer, MosaicML), else fused)"},
    {"moe_imbalance", NULL, FT_NUM, (int)offsetof(ms_plan, moe_imbalance), 1, 1e6, 1, 1, NULL, NULL, NULL, -1, NULL,
     "MoE routing imbalance, the busiest expert's load over the fair share: the expert-parallel all-to-all carries min(E, top_k x imbalance) copies of each token (as solve moe; training)"},
};

static const field ops_fields[] = {
    {"region", NULL, FT_SPECIAL, -1, 0, 0, 0, 0, NULL, NULL, f_region, -1,
     "{\"type\": \"string\", \"default\": \"US_Avg\"", "registry grid name (mlsysim zoo grids)"},
    {"duration_days", NULL, FT_NUM, OFF(duration_days), 1e-9, 1e6, 1, 30, NULL, NULL, NULL, -1, NULL, "length of the run"},
};

typedef struct {
    const char *name;
    const field *f;
    size_t n;
    const char *extra;                 /* more schema keywords of the section object */
} section;

static const section sections[] = {
    {"workload", workload_fields, sizeof workload_fields / sizeof workload_fields[0],
     "\"oneOf\": [{\"required\": [\"model\"]}, {\"required\": [\"arch\"]}, {\"required\": [\"name\"]}], "},
    {"hardware", hardware_fields, sizeof hardware_fields / sizeof hardware_fields[0], ""},
    {"parallelism", parallelism_fields, sizeof parallelism_fields / sizeof parallelism_fields[0], ""},
    {"ops", ops_fields, sizeof ops_fields / sizeof ops_fields[0], ""},
};

void ms__plan_defaults(ms_plan *p)
{
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        for (size_t i = 0; i < sections[s].n; i++) {
            const field *fd = &sections[s].f[i];
            if (!fd->has_def || fd->off < 0) continue;
            char *at = (char *)p + fd->off;
            if (fd->type == FT_NUM) *(double *)(void *)at = fd->def;
            else *(int *)(void *)at = (int)fd->def;
        }
}

static void field_list(const section *sec, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sec->n; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s", n ? " " : "", sec->f[i].key);
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
}

static int read_section(reader *rd, struct fy_node *n, const section *sec)
{
    ms_plan *p = rd->plan;
    if (!msy_is_map(n)) return FAIL(n, sec->name, "expected a mapping");
    msy_fields it = {0};
    while (msy_next(n, sec->name, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        const field *fd = NULL;
        for (size_t i = 0; i < sec->n && !fd; i++)
            if (!strcmp(key, sec->f[i].key) || (sec->f[i].alias && !strcmp(key, sec->f[i].alias))) fd = &sec->f[i];
        if (!fd) {
            char list[640];
            field_list(sec, list, sizeof list);
            return FAIL(fy_node_pair_key(it.pair), f, "unknown field (%s)", list);
        }
        char *at = fd->off >= 0 ? (char *)p + fd->off : NULL;
        int rc = 0;
        switch (fd->type) {
        case FT_INT: rc = msy_int(&rd->y, v, f, (int *)(void *)at, (long)fd->min, (long)fd->max); break;
        case FT_NUM: rc = msy_num(&rd->y, v, f, (double *)(void *)at, fd->min, fd->max); break;
        case FT_BOOL: rc = msy_bool(&rd->y, v, f, (int *)(void *)at); break;
        case FT_QTY: rc = msy_qty(&rd->y, v, f, fd->opts, (double *)(void *)at); break;
        case FT_ENUM: {
            char sv[32];
            rc = msy_str(&rd->y, v, f, sv, sizeof sv);
            if (!rc && fd->parse(sv, (int *)(void *)at)) rc = FAIL(v, f, "'%s' is not one of: %s", sv, fd->opts);
            break;
        }
        case FT_SPECIAL: rc = fd->special(rd, v, f); break;
        }
        if (rc) return -1;
        if (fd->set_off >= 0) *(int *)(void *)((char *)p + fd->set_off) = 1;
    }
    return 0;
}

static int read_workload(reader *rd, struct fy_node *n)
{
    if (read_section(rd, n, &sections[0])) return -1;
    if (!rd->have_model) return FAIL(n, "workload", "needs 'model' (a registry name) or 'arch'");
    return 0;
}

static int read_hardware(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    if (read_section(rd, n, &sections[1])) return -1;
    if (!rd->have_hw) return FAIL(n, "hardware", "needs 'accelerator' (a registry name)");
    if (rd->nodes > 0) {
        if (!p->per_node) p->per_node = 1;
        long long c = (long long)rd->nodes * p->per_node;      /* both <= 10^7: no overflow */
        if (c > 100000000)
            return FAIL(n, "hardware.nodes", "nodes x per_node = %d x %d = %lld accelerators (at most 100000000)",
                        rd->nodes, p->per_node, c);
        if (p->count && p->count != c)
            return FAIL(rd->count_node, "hardware.count", "%d != nodes x per_node = %lld", p->count, c);
        p->count = (int)c;
    }
    if (!p->count) p->count = 1;
    if (!p->per_node) p->per_node = p->count < 8 ? p->count : 8;
    if (p->per_node > p->count) p->per_node = p->count;
    if (p->count % p->per_node)
        return FAIL(rd->count_node ? rd->count_node : n, "hardware.count", "%d accelerators do not fill nodes of %d",
                    p->count, p->per_node);
    return 0;
}

static int read_parallelism(reader *rd, struct fy_node *n)
{
    rd->plan->has_parallelism = 1;
    return read_section(rd, n, &sections[2]);
}

static int read_ops(reader *rd, struct fy_node *n)
{
    rd->plan->has_ops = 1;
    return read_section(rd, n, &sections[3]);
}

static int read_constraints(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    char key[64], f[96];
    if (!msy_is_map(n)) return FAIL(n, "constraints", "expected a mapping");
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        msy_key(pr, key, sizeof key);
        struct fy_node *v = fy_node_pair_value(pr);
        if (strcmp(key, "assert"))
            return FAIL(fy_node_pair_key(pr), "constraints", "unknown field '%s' (assert)", key);
        if (!msy_is_seq(v)) return FAIL(v, "constraints.assert", "expected a list");
        void *sit = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &sit))) {
            snprintf(f, sizeof f, "constraints.assert[%d]", p->n_asserts);
            if (p->n_asserts >= MS_PLAN_MAX_ASSERTS) return FAIL(e, f, "at most %d asserts", MS_PLAN_MAX_ASSERTS);
            if (!msy_is_map(e)) return FAIL(e, f, "expected {metric: ..., max: ...}");
            ms_plan_assert *a = &p->asserts[p->n_asserts];
            memset(a, 0, sizeof *a);
            a->line = msy_line(e);
            msy_fields ait = {0};
            while (msy_next(e, f, &ait)) {
                const char *k2 = ait.key, *f2 = ait.field;
                struct fy_node *av = ait.value;
                if (!strcmp(k2, "metric")) {
                    if (msy_str(&rd->y, av, f2, a->metric, sizeof a->metric)) return -1;
                    /* upstream spelled metrics "performance.latency"; ours are the JSON keys */
                    if (!metric_known(a->metric))
                        return FAIL(av, f2, "unknown metric '%s' (use an output key such as latency_s, ttft_s, mfu)", a->metric);
                } else if (!strcmp(k2, "max")) {
                    if (msy_num(&rd->y, av, f2, &a->max, -1e300, 1e300)) return -1;
                    a->has_max = 1;
                } else if (!strcmp(k2, "min")) {
                    if (msy_num(&rd->y, av, f2, &a->min, -1e300, 1e300)) return -1;
                    a->has_min = 1;
                } else {
                    return FAIL(fy_node_pair_key(ait.pair), f2, "unknown field (metric min max)");
                }
            }
            if (!a->metric[0]) return FAIL(e, f, "needs 'metric'");
            if (!a->has_min && !a->has_max) return FAIL(e, f, "needs 'min' and/or 'max'");
            p->n_asserts++;
        }
    }
    return 0;
}

ms_status ms_plan_load_buffer(const ms_registry *r, const char *label, const char *yaml, size_t len,
                              ms_plan *plan, char *err, size_t errlen)
{
    ms_plan_init(plan, r, NULL, NULL);
    snprintf(plan->path, sizeof plan->path, "%s", label);
    plan->version[0] = 0;
    plan->count = plan->per_node = plan->dp = 0;   /* 0 = not given; derived below */

    reader rd_ = {.reg = r, .plan = plan};
    reader *rd = &rd_;
    if (msy_parse(&rd->y, label, yaml, len, err, errlen)) return MS_ERR_INPUT;
    struct fy_node *root = fy_document_root(rd->y.doc);
    int rc = 0;
    if (!msy_is_map(root)) {
        rc = FAIL(root, "(plan)", "expected a mapping with version, name, workload, hardware");
        goto done;
    }
    int have_version = 0, have_name = 0, have_wl = 0, have_hw = 0;
    /* hardware first: per-node defaults can come from a node name */
    static const char *const order[] = {"version", "name", "hardware", "workload", "parallelism",
                                        "ops", "constraints"};
    char key[64];
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(root, &it))) {
        msy_key(pr, key, sizeof key);
        int known = 0;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) known |= !strcmp(key, order[i]);
        if (!known) {
            rc = FAIL(fy_node_pair_key(pr), key,
                      "unknown section (version name workload hardware parallelism ops constraints)");
            goto done;
        }
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0] && !rc; i++) {
        struct fy_node *v = NULL, *k = NULL;
        it = NULL;
        while ((pr = fy_node_mapping_iterate(root, &it))) {
            msy_key(pr, key, sizeof key);
            if (!strcmp(key, order[i])) { k = fy_node_pair_key(pr); v = fy_node_pair_value(pr); break; }
        }
        if (!k) continue;
        if (i >= 2 && !msy_is_map(v)) {           /* an empty or scalar section: point at its key */
            rc = FAIL(k, order[i], "expected a mapping");
            break;
        }
        switch (i) {
        case 0: rc = msy_str(&rd->y, v, "version", plan->version, sizeof plan->version); have_version = 1; break;
        case 1: rc = msy_str(&rd->y, v, "name", plan->name, sizeof plan->name); have_name = 1; break;
        case 2: rc = read_hardware(rd, v); have_hw = 1; break;
        case 3: rc = read_workload(rd, v); have_wl = 1; break;
        case 4: rc = read_parallelism(rd, v); break;
        case 5: rc = read_ops(rd, v); break;
        case 6: rc = read_constraints(rd, v); break;
        }
    }
    if (rc) goto done;
    if (!have_version) { rc = FAIL(root, "version", "missing (use \"1.0\")"); goto done; }
    if (strcmp(plan->version, "1.0") && strcmp(plan->version, "1")) {
        rc = FAIL(fy_node_mapping_lookup_by_string(root, "version", FY_NT), "version",
                  "unsupported version '%s' (this build reads \"1.0\")", plan->version);
        goto done;
    }
    if (!have_name) { rc = FAIL(root, "name", "missing"); goto done; }
    if (!have_wl) { rc = FAIL(root, "workload", "missing"); goto done; }
    if (!have_hw) { rc = FAIL(root, "hardware", "missing"); goto done; }
    if (plan->decode_serial > 0 && plan->mode == MS_MODE_TRAINING) {
        struct fy_node *hn = fy_node_mapping_lookup_by_string(root, "hardware", FY_NT);
        struct fy_node *k = hn ? fy_node_mapping_lookup_by_string(hn, "decode_serial", FY_NT) : NULL;
        rc = FAIL(k ? k : root, "hardware.decode_serial", "the decode step is modelled for inference (workload.mode: inference)");
        goto done;
    }
    if (plan->moe_routing == MS_MOE_FIXED && plan->mode == MS_MODE_TRAINING) {
        struct fy_node *wn = fy_node_mapping_lookup_by_string(root, "workload", FY_NT);
        struct fy_node *k = wn ? fy_node_mapping_lookup_by_string(wn, "moe_routing", FY_NT) : NULL;
        rc = FAIL(k ? k : root, "workload.moe_routing", "the experts a pass reads are modelled for inference (workload.mode: inference); "
                  "training's routing imbalance is parallelism.moe_imbalance");
        goto done;
    }
    if (plan->has_parallelism) {
        struct fy_node *pn = fy_node_mapping_lookup_by_string(root, "parallelism", FY_NT);
        if (plan->cp < 1) plan->cp = 1;
        if (plan->ep < 1) plan->ep = 1;
        long tpp = (long)plan->tp * plan->pp * plan->cp;
        if (plan->count % tpp) {
            rc = FAIL(pn, "parallelism", "tp x pp x cp = %ld does not divide %d accelerators", tpp, plan->count);
            goto done;
        }
        if (plan->dp == 0) plan->dp = (int)(plan->count / tpp);
        if (tpp * plan->dp != plan->count) {
            rc = FAIL(pn, "parallelism", "tp x pp x cp x dp = %ld != hardware.count %d",
                      tpp * plan->dp, plan->count);
            goto done;
        }
        if ((plan->ep > 1 || plan->cp > 1) && plan->mode != MS_MODE_TRAINING) {
            rc = FAIL(pn, plan->ep > 1 ? "parallelism.ep" : "parallelism.cp",
                      "expert and context parallelism are modelled for training (workload.mode: training)");
            goto done;
        }
        /* keys that mean something in training only: refused elsewhere, at the key */
        static const struct { const char *key, *what; int set; } training_keys[] = {
            {"tp_comm_overlap", "TP communication overlap", OFF(tp_comm_overlap)},
            {"pp_comm_overlap", "pipeline communication overlap", OFF(pp_comm_overlap)},
            {"cp_allgather", "context parallelism", OFF(cp_allgather)},
            {"optimizer_impl", "the optimizer step", OFF(optimizer_impl_set)},
            {"launch_overhead", "the host's kernel launch", OFF(launch_overhead_set)},
        };
        for (size_t i = 0; plan->mode != MS_MODE_TRAINING && i < sizeof training_keys / sizeof training_keys[0]; i++)
            if (*(const int *)((const char *)plan + training_keys[i].set)) {
                char field[64];
                snprintf(field, sizeof field, "parallelism.%s", training_keys[i].key);
                struct fy_node *k = fy_node_mapping_lookup_by_string(pn, training_keys[i].key, FY_NT);
                rc = FAIL(k ? k : pn, field, "%s is modelled for training (workload.mode: training)", training_keys[i].what);
                goto done;
            }
        if (plan->attention_kernel != MS_DIST_ATTN_FLASH2 && (plan->mode != MS_MODE_TRAINING || !plan->flash_attention)) {
            struct fy_node *k = fy_node_mapping_lookup_by_string(pn, "attention_kernel", FY_NT);
            rc = FAIL(k ? k : pn, "parallelism.attention_kernel", "%s",
                      plan->mode != MS_MODE_TRAINING ? "the attention kernel is modelled for training (workload.mode: training)"
                                                     : "an attention kernel needs flash_attention: true");
            goto done;
        }
        if (plan->pp_comm_overlap && (plan->pp < 2 || plan->interleave < 2)) {
            struct fy_node *k = fy_node_mapping_lookup_by_string(pn, "pp_comm_overlap", FY_NT);
            rc = FAIL(k ? k : pn, "parallelism.pp_comm_overlap",
                      "pipeline communication overlap needs the interleaved schedule (pp > 1 and interleave > 1; got pp %d, interleave %d)",
                      plan->pp, plan->interleave);
            goto done;
        }
        if (plan->launch_overhead_s > MS_PLAN_LAUNCH_OVERHEAD_MAX_S) {
            struct fy_node *k = fy_node_mapping_lookup_by_string(pn, "launch_overhead", FY_NT);
            rc = FAIL(k ? k : pn, "parallelism.launch_overhead", "%g s is not a kernel launch (microseconds: '4 us'; at most 1 ms)",
                      plan->launch_overhead_s);
            goto done;
        }
        if (plan->cp_allgather && plan->cp < 2) {
            struct fy_node *k = fy_node_mapping_lookup_by_string(pn, "cp_allgather", FY_NT);
            rc = FAIL(k ? k : pn, "parallelism.cp_allgather", "all-gather context parallelism needs cp > 1 (got cp %d)", plan->cp);
            goto done;
        }
        if (plan->recompute_layer_fraction < 1 && plan->recompute != MS_RECOMPUTE_FULL) {
            struct fy_node *k = fy_node_mapping_lookup_by_string(pn, "recompute_layer_fraction", FY_NT);
            rc = FAIL(k ? k : pn, "parallelism.recompute_layer_fraction",
                      "%g of the layers recomputed needs recompute: full (got %s)", plan->recompute_layer_fraction,
                      ms_recompute_name(plan->recompute));
            goto done;
        }
        if (plan->ep > 1 && !(plan->model.kind == MS_MODEL_TRANSFORMER && plan->model.arch.experts > 1)) {
            rc = FAIL(pn, "parallelism.ep", "ep = %d needs a mixture-of-experts model", plan->ep);
            goto done;
        }
        if (plan->dp % plan->ep) {
            rc = FAIL(pn, "parallelism.ep", "ep = %d does not divide dp = %d (expert groups are taken inside dp)",
                      plan->ep, plan->dp);
            goto done;
        }
        /* the engine's batch rule (ms_dist_batch_rule), named by the plan's fields */
        ms_dist_batch_rule_t br = ms_dist_batch_rule(plan->batch_size, plan->dp, plan->microbatch, plan->pp);
        if (br == MS_DIST_BATCH_NOT_PER_REPLICA) {
            rc = FAIL(pn, "parallelism.dp",
                      "workload.batch_size %d is not a multiple of dp = %d (every replica takes the same number of sequences)",
                      plan->batch_size, plan->dp);
            goto done;
        }
        if (br == MS_DIST_BATCH_PARTIAL_MICROBATCH) {
            rc = FAIL(pn, "parallelism.microbatch",
                      "workload.batch_size %d is not a multiple of dp x microbatch = %ld (with pp = %d every micro-batch "
                      "must be whole)", plan->batch_size, (long)plan->dp * (plan->microbatch > 0 ? plan->microbatch : 1),
                      plan->pp);
            goto done;
        }
        if (plan->model.kind == MS_MODEL_TRANSFORMER && plan->model.arch.layers < plan->pp) {
            rc = FAIL(pn, "parallelism.pp", "pp = %d exceeds the %d layers (uneven stages are fine)",
                      plan->pp, plan->model.arch.layers);
            goto done;
        }
    } else {
        plan->dp = plan->count;
    }
done:
    msy_close(&rd->y);
    return rc ? MS_ERR_INPUT : MS_OK;
}

ms_status ms_plan_load_file(const ms_registry *r, const char *path, ms_plan *plan, char *err,
                            size_t errlen)
{
    char *buf;
    size_t len;
    ms_status st = ms_read_file(path, MSY_MAX_BYTES, &buf, &len, err, errlen);
    if (st != MS_OK) return st;
    st = ms_plan_load_buffer(r, path, buf, len, plan, err, errlen);
    free(buf);
    return st;
}

/* The schema text, split in parts below the 4095-character limit of ISO C string literals. */
static const char sections_mark[] = "";

static const char *const schema_parts[] = {
"{\n"
"  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
"  \"$id\": \"https://mlsysbook.ai/mlsysim/plan-1.0.schema.json\",\n"
"  \"title\": \"MLSys·im plan\",\n"
"  \"type\": \"object\",\n"
"  \"additionalProperties\": false,\n"
"  \"required\": [\"version\", \"name\", \"workload\", \"hardware\"],\n"
"  \"properties\": {\n"
"    \"version\": {\"type\": \"string\", \"enum\": [\"1.0\"]},\n"
"    \"name\": {\"type\": \"string\"},\n"
,
sections_mark,    /* workload, hardware, parallelism, ops: generated from the field tables */
"    \"constraints\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"properties\": {\n"
"        \"assert\": {\n"
"          \"type\": \"array\", \"maxItems\": 32,\n"
"          \"items\": {\n"
"            \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"metric\"],\n"
"            \"anyOf\": [{\"required\": [\"max\"]}, {\"required\": [\"min\"]}],\n"
"            \"properties\": {\n"
,
NULL,    /* the "metric" property, generated from the result key table (engine.h) */
"              \"min\": {\"type\": \"number\"},\n"
"              \"max\": {\"type\": \"number\"}\n"
"            }\n"
"          }\n"
"        }\n"
"      }\n"
"    }\n"
"  },\n"
"  \"$defs\": {\n"
"    \"arch\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"required\": [\"layers\", \"hidden\", \"heads\"],\n"
"      \"properties\": {\n"
"        \"layers\": {\"type\": \"integer\", \"minimum\": 1}, \"hidden\": {\"type\": \"integer\", \"minimum\": 1},\n"
"        \"heads\": {\"type\": \"integer\", \"minimum\": 1}, \"kv_heads\": {\"type\": \"integer\", \"minimum\": 1},\n"
"        \"head_dim\": {\"type\": \"integer\", \"minimum\": 1}, \"ffn\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"vocab\": {\"type\": \"integer\", \"minimum\": 0}, \"max_pos\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"type_vocab\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"gated_ffn\": {\"type\": \"boolean\"}, \"tied_embeddings\": {\"type\": \"boolean\"},\n"
"        \"bias\": {\"type\": \"boolean\"}, \"layernorm\": {\"type\": \"boolean\"},\n"
"        \"encoder\": {\"type\": \"boolean\"}, \"pooler\": {\"type\": \"boolean\"},\n"
"        \"experts\": {\"type\": \"integer\", \"minimum\": 0}, \"experts_active\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"shared_experts\": {\"type\": \"integer\", \"minimum\": 0}, \"moe_ffn\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"dense_layers\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"q_lora_rank\": {\"type\": \"integer\", \"minimum\": 0}, \"kv_lora_rank\": {\"type\": \"integer\", \"minimum\": 0},\n",
"        \"qk_nope_head_dim\": {\"type\": \"integer\", \"minimum\": 0}, \"qk_rope_head_dim\": {\"type\": \"integer\", \"minimum\": 0},\n"
"        \"v_head_dim\": {\"type\": \"integer\", \"minimum\": 0}\n"
"      }\n"
"    }\n"
"  }\n"
"}\n",
};

static void schema_put(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (buf && *n + l < cap) memcpy(buf + *n, s, l);
    else if (buf && *n < cap) memcpy(buf + *n, s, cap - *n);
    *n += l;
}

static void put_num(char *buf, size_t cap, size_t *n, const char *name, double v)
{
    char t[64];
    snprintf(t, sizeof t, ", \"%s\": %.10g", name, v);
    schema_put(buf, cap, n, t);
}

/* One property of a section from its field row. */
static void schema_field(char *buf, size_t cap, size_t *n, const field *fd, const char *key, int alias)
{
    schema_put(buf, cap, n, "        \"");
    schema_put(buf, cap, n, key);
    schema_put(buf, cap, n, "\": ");
    switch (fd->type) {
    case FT_INT:
    case FT_NUM:
        schema_put(buf, cap, n, fd->type == FT_INT ? "{\"type\": \"integer\"" : "{\"type\": \"number\"");
        put_num(buf, cap, n, "minimum", fd->min);
        put_num(buf, cap, n, "maximum", fd->max);
        if (fd->has_def) put_num(buf, cap, n, "default", fd->def);
        break;
    case FT_BOOL:
        schema_put(buf, cap, n, "{\"type\": \"boolean\"");
        if (fd->has_def) schema_put(buf, cap, n, fd->def != 0 ? ", \"default\": true" : ", \"default\": false");
        break;
    case FT_QTY:
        schema_put(buf, cap, n, "{\"type\": \"string\"");
        break;
    case FT_ENUM: {
        schema_put(buf, cap, n, "{\"enum\": [");
        const char *o = fd->opts;
        int k = 0, first = 1;
        char def_name[32] = "";
        while (*o) {
            size_t l = strcspn(o, " ");
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)l, o);
            if (!first) schema_put(buf, cap, n, ", ");
            schema_put(buf, cap, n, "\"");
            schema_put(buf, cap, n, name);
            schema_put(buf, cap, n, "\"");
            int v;
            if (fd->has_def && !def_name[0] && !fd->parse(name, &v) && v == (int)fd->def) snprintf(def_name, sizeof def_name, "%s", name);
            first = 0;
            k++;
            o += l;
            while (*o == ' ') o++;
        }
        schema_put(buf, cap, n, "]");
        if (def_name[0]) {
            schema_put(buf, cap, n, ", \"default\": \"");
            schema_put(buf, cap, n, def_name);
            schema_put(buf, cap, n, "\"");
        }
        break;
    }
    case FT_SPECIAL:
        schema_put(buf, cap, n, fd->schema);
        break;
    }
    schema_put(buf, cap, n, ", \"description\": \"");
    if (alias) {
        schema_put(buf, cap, n, "alias of ");
        schema_put(buf, cap, n, fd->key);
    } else {
        schema_put(buf, cap, n, fd->doc);
    }
    schema_put(buf, cap, n, "\"}");
}

static void schema_sections(char *buf, size_t cap, size_t *n)
{
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        const section *sec = &sections[s];
        schema_put(buf, cap, n, "    \"");
        schema_put(buf, cap, n, sec->name);
        schema_put(buf, cap, n, "\": {\n      \"type\": \"object\", \"additionalProperties\": false, ");
        schema_put(buf, cap, n, sec->extra);
        schema_put(buf, cap, n, "\n      \"properties\": {\n");
        int first = 1;
        for (size_t i = 0; i < sec->n; i++)
            for (int alias = 0; alias < 2; alias++) {
                const char *key = alias ? sec->f[i].alias : sec->f[i].key;
                if (!key) continue;
                if (!first) schema_put(buf, cap, n, ",\n");
                schema_field(buf, cap, n, &sec->f[i], key, alias);
                first = 0;
            }
        schema_put(buf, cap, n, "\n      }\n    },\n");
    }
}

size_t ms_plan_schema_json(char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof schema_parts / sizeof schema_parts[0]; i++) {
        if (schema_parts[i] == sections_mark) { schema_sections(buf, cap, &n); continue; }
        if (schema_parts[i]) { schema_put(buf, cap, &n, schema_parts[i]); continue; }
        schema_put(buf, cap, &n, "              \"metric\": {\"description\": \"a numeric key of the result\", \"enum\": [");
        int first = 1;
        for (size_t k = 0; k < ms_result_key_count(); k++) {
            const ms_result_key *key = ms_result_key_at(k);
            if (key->kind == MS_V_STR || key->kind == MS_V_RAW) continue;
            if (!first) schema_put(buf, cap, &n, ", ");
            schema_put(buf, cap, &n, "\"");
            schema_put(buf, cap, &n, key->name);
            schema_put(buf, cap, &n, "\"");
            first = 0;
        }
        schema_put(buf, cap, &n, "]},\n");
    }
    if (buf && cap) buf[n < cap ? n : cap - 1] = 0;
    return n;
}
