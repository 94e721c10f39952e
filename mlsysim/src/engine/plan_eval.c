/* plan_eval.c - the engine: one plan in, one result table out (see engine.h for which physics
 * answers which plan). Every verb of the CLI and every other component evaluates through here.
 *
 * Invariants: the result's keys keep one meaning whichever physics filled them; a plan that does
 * not fit still gets all its figures (status MS_ERR_MEMORY); constraint checks only read keys the
 * evaluation produced. */
#include "mlsysim/engine.h"
#include "mlsysim/distributed.h"
#include "mlsysim/solvers.h"
#include "../plan/plan_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ms_default_efficiency(ms_mode mode)
{
    return mode == MS_MODE_TRAINING ? MS_DIST_DEFAULT_TRAIN_EFFICIENCY : MS_DEFAULT_EFFICIENCY;
}

/* One efficiency figure per accelerator generation, as mlsysim/validation/calibration.csv holds
 * them (chosen there on the calibration rows of runs.csv only; tests/test_scale_validation.c
 * checks this table against the file), with that file's aliases: other names of the same chip
 * (A800 is A100's GA100; H800, H200 and GH200 are H100's GH100, 132 SMs at the same dense peak).
 * The generation is the registry name up to its first '_' (A100_40GB -> A100, H100_PCIe -> H100). */
static const struct { const char *gen, *aliases[3]; double eff, attn, score, fp8; } calibrated[] = {
    {"A100", {"A800", NULL, NULL}, 0.74, 0.50, 224.0, 0.0},
    {"H100", {"H800", "H200", "GH200"}, 0.61, 0.35, 342.0, 0.54},
};

static int calibrated_index(const char *hw_name)
{
    if (!hw_name) return -1;
    size_t n = strcspn(hw_name, "_");
    for (size_t i = 0; i < sizeof calibrated / sizeof calibrated[0]; i++) {
        if (strlen(calibrated[i].gen) == n && strncmp(calibrated[i].gen, hw_name, n) == 0) return (int)i;
        for (int k = 0; k < 3 && calibrated[i].aliases[k]; k++)
            if (strlen(calibrated[i].aliases[k]) == n && strncmp(calibrated[i].aliases[k], hw_name, n) == 0) return (int)i;
    }
    return -1;
}

const char *ms_calibrated_generation(const char *hw_name)
{
    int i = calibrated_index(hw_name);
    return i >= 0 ? calibrated[i].gen : NULL;
}

double ms_calibrated_efficiency(const char *hw_name)
{
    int i = calibrated_index(hw_name);
    return i >= 0 ? calibrated[i].eff : 0.0;
}

double ms_calibrated_attention_efficiency(const char *hw_name)
{
    int i = calibrated_index(hw_name);
    return i >= 0 ? calibrated[i].attn : 0.0;
}

double ms_calibrated_attention_score_flops(const char *hw_name)
{
    int i = calibrated_index(hw_name);
    return i >= 0 ? calibrated[i].score : 0.0;
}

double ms_calibrated_fp8_efficiency(const char *hw_name)
{
    int i = calibrated_index(hw_name);
    return i >= 0 ? calibrated[i].fp8 : 0.0;
}

double ms_calibrated_inference_efficiency(const ms_model *m, const char *hw_name, ms_precision precision)
{
    if (!m || m->kind != MS_MODEL_TRANSFORMER) return 0.0;
    if (precision == MS_FP16 || precision == MS_BF16) return ms_calibrated_efficiency(hw_name);
    if (precision == MS_FP8) return ms_calibrated_fp8_efficiency(hw_name);
    return 0.0;
}

double ms_inference_efficiency(const ms_model *m, const char *hw_name, ms_precision precision)
{
    double c = ms_calibrated_inference_efficiency(m, hw_name, precision);
    return c > 0 ? c : ms_default_efficiency(MS_MODE_INFERENCE);
}

/* The plan's efficiency and where it came from ("plan", "calibrated", "default"). */
static double plan_efficiency_src(const ms_plan *p, const char **src)
{
    if (p->efficiency_set) { if (src) *src = "plan"; return p->efficiency; }
    double c = p->mode == MS_MODE_TRAINING ? ms_calibrated_efficiency(p->hw.name)
                                           : ms_calibrated_inference_efficiency(&p->model, p->hw.name, p->precision);
    if (c > 0) { if (src) *src = "calibrated"; return c; }
    if (src) *src = "default";
    return ms_default_efficiency(p->mode);
}

static double plan_efficiency(const ms_plan *p)
{
    return plan_efficiency_src(p, NULL);
}

void ms_plan_init(ms_plan *p, const ms_registry *r, const ms_model *m, const ms_hardware *hw)
{
    memset(p, 0, sizeof *p);
    snprintf(p->version, sizeof p->version, "1.0");
    if (m) p->model = *m;
    if (hw) p->hw = *hw;
    ms__plan_defaults(p);                 /* the defaults of the plan's field tables (plan.c) */
    p->efficiency = ms_default_efficiency(p->mode);   /* efficiency_set stays 0: resolved at eval */
    p->count = 1;
    p->per_node = 1;
    p->dp = 1;
    const ms_grid *g = r ? ms_registry_grid(r, "US_Avg") : NULL;
    if (g) p->grid = *g;
}

/* The fleet model covers dense and routed-MoE decoder transformers; encoders (BERT: pooler,
 * token types, no LM head), MLA, shared experts and dense-then-MoE stacks are roofline-only. */
static int fleet_models(const ms_model *m)
{
    const ms_arch *ar = &m->arch;
    return m->kind == MS_MODEL_TRANSFORMER && !ar->encoder && ar->kv_lora_rank == 0 && ar->dense_layers == 0 &&
           ar->shared_experts == 0;
}

/* The plan's network: NVLink (or the device's link) inside a node, the fabric between nodes. */
static int plan_fabric(const ms_plan *p, ms_dist_fabric_t *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->accels_per_node = p->per_node;
    f->nodes = p->count / p->per_node;
    /* the node entry's NIC count, else one NIC per accelerator (DGX/HGX layout); oversubscription
     * shares the uplinks; one node without a fabric: its own links */
    ms_node_links nl;
    ms_node_links_of(&p->hw, p->intra_bw_bytes_per_s, p->intra_latency_s, p->per_node, p->nics_per_node,
                     p->has_fabric ? &p->fabric : NULL, &nl);
    f->intra_bw_bytes_per_s = nl.intra_bw_bytes_per_s;
    f->intra_alpha_s = nl.intra_latency_s;
    f->intra_efficiency = p->intra_efficiency;      /* 0: MS_DIST_INTRA_LINK_EFFICIENCY */
    f->nvls_efficiency = p->nvls_efficiency;        /* 0: no NVLink SHARP */
    f->inter_bw_bytes_per_s = nl.inter_bw_bytes_per_s;
    f->inter_alpha_s = nl.inter_latency_s;
    if (p->has_fabric) {
        f->inter_efficiency = p->fabric.efficiency;  /* 0: MS_DIST_INTER_LINK_EFFICIENCY */
        /* hardware.topology (ms_topology_eval, `solve topology`): a node sends no faster than its
         * NICs nor than the topology's bisection per node; the fabric's latency is end to end over
         * a fat-tree's 4 hops, so it scales with the topology's average hops / 4. A fat-tree gives
         * back the NICs / oversubscription and the fabric's latency unchanged. */
        ms_topology_result tr;
        if (f->nodes >= 2 && p->topology != MS_TOPO_FAT_TREE &&
            ms_topology_eval((ms_topology)p->topology, f->nodes, p->fabric.bw_bytes_per_s * nl.nics,
                             p->fabric.oversubscription, &tr, err, errlen) == 0) {
            if (tr.per_node_bisection_bytes_per_s < f->inter_bw_bytes_per_s)
                f->inter_bw_bytes_per_s = tr.per_node_bisection_bytes_per_s;
            f->inter_alpha_s = p->fabric.latency_s * tr.avg_hops / 4.0;
        }
    } else if (f->nodes > 1) {
        snprintf(err, errlen, "%s: hardware.fabric: needed for %d nodes (see `mlsysim zoo systems`)", p->path, f->nodes);
        return -1;
    }
    return 0;
}

void ms_hw_to_dist_accel(const ms_hardware *h, ms_precision precision, double eff, ms_dist_accel_t *a)
{
    memset(a, 0, sizeof *a);
    a->peak_flops = ms_hw_peak(h, precision);
    a->mem_bw_bytes_per_s = h->mem_bw_bytes_per_s;
    a->mem_capacity_bytes = h->mem_bytes;
    a->tdp_w = h->tdp_w;
    a->unit_cost_usd = h->price_usd;
    a->efficiency = eff;
    /* shape-dependent GEMM efficiency and achievable HBM bandwidth where the SM count is known */
    a->compute_units = h->compute_units;
    a->mem_bw_fraction = ms_hw_mem_bw_fraction(h);   /* 0: unknown, the fleet step reads at η */
}

/* hardware.power_limit: the clock the compute-bound kernels keep under it (ms_power_limit_clock;
 * 1 without a limit); -1 and a message naming the field when the accelerator has no TDP or the
 * limit is at or below its idle floor. */
static int plan_power_clock(const ms_plan *p, double *clk, char *err, size_t errlen)
{
    *clk = 1.0;
    if (p->power_limit_w == 0) return 0;
    if (p->power_limit_w < 0 || !(p->hw.tdp_w > 0)) {
        snprintf(err, errlen, "%s: hardware.power_limit: %g W %s", p->path, p->power_limit_w,
                 p->power_limit_w < 0 ? "is negative" : "needs the accelerator's TDP, which the registry does not give");
        return -1;
    }
    *clk = ms_power_limit_clock(p->power_limit_w, p->hw.tdp_w);
    if (!(*clk > 0)) {
        snprintf(err, errlen, "%s: hardware.power_limit: %g W is at or below %s's idle floor (%g W, %.0f %% of its %g W TDP)",
                 p->path, p->power_limit_w, p->hw.name, MS_ENERGY_IDLE_FRACTION * p->hw.tdp_w,
                 100.0 * MS_ENERGY_IDLE_FRACTION, p->hw.tdp_w);
        return -1;
    }
    return 0;
}

/* hardware.power_limit in a result: the limit, the clock `clk` under it and, when it slows
 * anything, a note saying what (`slowed`, at clk of `whose` clock) and what keeps its speed. */
static void put_power_limit(ms_result *o, const ms_plan *p, double clk, const char *slowed, const char *whose,
                            const char *kept)
{
    if (!(p->power_limit_w > 0)) return;
    ms_result_num(o, "power_limit_w", p->power_limit_w);
    ms_result_num(o, "clock_fraction", clk);
    if (clk < 1.0)
        ms_result_note(o, "hardware.power_limit %g W of the %g W TDP: %s at %.3f of %s clock "
                       "((limit - %.0f %% TDP) / (%.0f %% TDP))^(1/3), %s unchanged", p->power_limit_w, p->hw.tdp_w,
                       slowed, clk, whose, 100.0 * MS_ENERGY_IDLE_FRACTION,
                       100.0 * (1.0 - MS_ENERGY_IDLE_FRACTION), kept);
}

int ms_plan_to_dist(const ms_plan *p, ms_dist_accel_t *a, ms_dist_model_t *m, ms_dist_parallel_t *par,
                    ms_dist_fabric_t *f, char *err, size_t errlen)
{
    const ms_arch *ar = &p->model.arch;
    if (p->model.kind != MS_MODEL_TRANSFORMER) {
        snprintf(err, errlen, "%s: workload: distributed training is modeled for transformers; %s is a %s",
                 p->path, p->model.name, ms_model_kind_name(p->model.kind));
        return -1;
    }
    if (!fleet_models(&p->model)) {
        snprintf(err, errlen, "%s: workload: %s is an encoder or uses MLA / shared experts / dense-then-MoE layers, which the fleet-scale step does not model",
                 p->path, p->model.name);
        return -1;
    }
    if (p->per_node < 1 || p->count < 1 || p->count % p->per_node) {
        snprintf(err, errlen, "%s: hardware.count: %d accelerators do not fill nodes of %d", p->path,
                 p->count, p->per_node);
        return -1;
    }
    ms_hw_to_dist_accel(&p->hw, p->precision, plan_efficiency(p), a);
    a->attn_efficiency = ms_calibrated_attention_efficiency(p->hw.name);   /* fused attention kernel */
    a->attn_score_flops = ms_calibrated_attention_score_flops(p->hw.name); /* its softmax work */
    a->mem_capacity_bytes *= 1.0 - p->memory_reserve;
    a->power_limit_w = p->power_limit_w;          /* applied by the step; refused here when it cannot be */
    double clk;
    if (plan_power_clock(p, &clk, err, errlen)) return -1;
    memset(m, 0, sizeof *m);
    m->layers = ar->layers;
    m->hidden = ar->hidden;
    m->heads = ar->heads;
    m->kv_heads = ar->kv_heads;
    m->ffn = ar->experts > 0 ? ar->moe_ffn : ar->ffn;
    m->gated_ffn = ar->gated_ffn;
    m->vocab = ar->vocab;
    m->seq_len = p->seq_len;
    m->experts = ar->experts;
    m->top_k = ar->experts_active;
    m->tied_embeddings = ar->tied_embeddings;
    m->learned_pos = ar->max_pos > 0;
    m->biases = ar->bias;
    m->bytes_per_param = ms_precision_bytes(p->precision);
    if (m->bytes_per_param < 2.0) {
        /* training in a format narrower than 16 bits (FP8): Transformer Engine's recipe, the
         * linear layers' GEMMs in it at the generation's FP8 figure, the parameters, gradients,
         * activations, attention core and logit layer in 16 bits */
        a->peak_flops = p->hw.flops[MS_BF16] > 0 ? p->hw.flops[MS_BF16] : ms_hw_peak(&p->hw, MS_FP16);
        a->linear_peak_flops = ms_hw_peak(&p->hw, p->precision);
        a->linear_efficiency = p->efficiency_set || p->precision != MS_FP8 ? 0.0 : ms_calibrated_fp8_efficiency(p->hw.name);
        m->linear_bytes = m->bytes_per_param;
        m->bytes_per_param = 2.0;
    }
    memset(par, 0, sizeof *par);
    par->tp = p->tp;
    par->pp = p->pp;
    par->ep = p->ep > 0 ? p->ep : 1;
    par->cp = p->cp > 0 ? p->cp : 1;
    par->dp = p->dp > 0 ? p->dp : p->count / (p->tp * p->pp * par->cp);
    par->microbatch = p->microbatch;
    par->global_batch = p->batch_size;
    par->interleave = p->interleave;
    par->recompute = (ms_dist_recompute_t)p->recompute;
    if (par->recompute == MS_DIST_RECOMPUTE_SELECTIVE) par->recompute = ms_dist_stack_selective(p->framework);
    par->fp8_separate_casts = ms_dist_stack_fp8_separate_casts(p->framework);
    par->recompute_layer_fraction = p->recompute_layer_fraction;
    par->sequence_parallel = p->sequence_parallel;
    par->zero_stage = p->zero_stage;
    /* the software stack: its validated figures (none listed: 1), and without zero_stage the
     * sharding its name implies, as `mlsysim validate` reads a run's stack */
    ms_dist_stack_figures_t sf;
    ms_dist_stack_figures(p->framework, &sf);
    if (!p->efficiency_set) {
        a->efficiency *= sf.compute_factor;
        a->linear_efficiency = fmin(1.0, a->linear_efficiency * sf.compute_factor);
    }
    if (sf.attention_factor != 1.0)
        a->attn_efficiency = (a->attn_efficiency > 0 ? a->attn_efficiency : a->efficiency) * sf.attention_factor;
    par->sharded_coll_efficiency = sf.sharded_coll_efficiency;

    if (!p->zero_stage_set && p->framework[0]) {
        int implied = ms_dist_stack_sharding(p->framework, NULL);
        if (implied >= 0) par->zero_stage = implied;
    }
    par->shard_group = p->shard_group > 0 ? p->shard_group
                     : ms_dist_stack_shard_group(p->framework, par->zero_stage, p->per_node, par->tp, par->cp, par->dp);
    par->overlap_dp = p->overlap_dp;
    par->flash_attention = p->flash_attention;
    par->attention_kernel = p->attention_kernel;
    par->tp_comm_overlap = p->tp_comm_overlap;
    par->pp_comm_overlap = p->pp_comm_overlap_set ? p->pp_comm_overlap
                         : ms_dist_stack_pp_comm_overlap(p->framework, p->pp, p->interleave);
    par->cp_allgather = p->cp_allgather_set ? p->cp_allgather : ms_dist_stack_cp_allgather(p->framework, par->cp);
    par->host_op_s = !p->launch_overhead_set ? 0.0 : p->launch_overhead_s > 0 ? p->launch_overhead_s : -1.0;
    par->optimizer_impl = p->optimizer_impl_set ? p->optimizer_impl : ms_dist_stack_optimizer_impl(p->framework);
    par->tp_async_grad = ms_dist_stack_tp_async_grad(p->framework);
    par->moe_imbalance = p->moe_imbalance;
    /* Megatron: fp32 main gradients (bf16 parameters), or fp16 ones and the optimizer's fp32 copy */
    double opt = ms_optimizer_bytes_per_param(p->optimizer, p->precision), opt_extra = 0.0;
    par->grad_bytes_per_param = ms_dist_stack_grad_bytes(p->framework, p->precision == MS_FP16, &opt_extra);
    par->optimizer_bytes_per_param = opt > 0 ? opt + opt_extra : -1.0;   /* -1: no optimizer state */
    return plan_fabric(p, f, err, errlen);
}

void ms_result_train_parts(ms_result *o, const ms_dist_train_t *t, const ms_dist_parallel_t *par)
{
    ms_result_num(o, "communication_s", t->communication_s);
    ms_result_num(o, "tp_communication_s", t->tp_comm_s);
    ms_result_num(o, "tp_communication_total_s", t->tp_comm_total_s);
    ms_result_bool(o, "tp_comm_overlap", par->tp_comm_overlap);
    if (t->tp_algorithm) ms_result_str(o, "tp_algorithm", t->tp_algorithm);
    ms_result_num(o, "pp_communication_s", t->pp_comm_s);
    ms_result_num(o, "pp_communication_total_s", t->pp_comm_total_s);
    ms_result_bool(o, "pp_comm_overlap", par->pp_comm_overlap);
    if (par->flash_attention) ms_result_str(o, "attention_kernel", ms_dist_attn_kernel_name(par->attention_kernel));
    ms_result_str(o, "optimizer_impl", ms_dist_opt_impl_name(par->optimizer_impl));
    ms_result_num(o, "dp_communication_s", t->dp_comm_s);
    ms_result_num(o, "zero_communication_s", t->zero_comm_s);
    ms_result_num(o, "optimizer_s", t->optimizer_s);
    ms_result_num(o, "matmul_s", t->matmul_s);
    ms_result_num(o, "memory_bound_s", t->memory_bound_s);
    ms_result_num(o, "ep_communication_s", t->ep_comm_s);
    ms_result_num(o, "cp_communication_s", t->cp_comm_s);
    if (par->cp > 1) ms_result_bool(o, "cp_allgather", par->cp_allgather);
    ms_result_num(o, "dp_communication_total_s", t->dp_comm_total_s);
    ms_result_num(o, "zero_communication_total_s", t->zero_comm_total_s);
    ms_result_num(o, "overlap_interference_s", t->overlap_interference_s);
    ms_result_num(o, "host_issue_s", t->host_issue_s);
    ms_result_num(o, "host_wait_s", t->host_wait_s);
    if (t->sharded_units > 0) {
        ms_result_num(o, "sharded_units", t->sharded_units);
        ms_result_num(o, "sharded_latency_s", t->sharded_latency_s);
    }
}

static ms_dist_grid_t grid_of(const ms_plan *p)
{
    ms_dist_grid_t g = {p->grid.name, p->grid.carbon_g_per_kwh, p->grid.pue, p->grid.wue_l_per_kwh,
                        p->grid.price_usd_per_kwh};
    return g;
}

static void put_ops(ms_result *o, const ms_plan *p, const ms_dist_ops_t *ops)
{
    ms_result_str(o, "region", p->grid.name);
    ms_result_num(o, "duration_s", p->duration_days * 86400.0);
    ms_result_num(o, "energy_j", ops->energy_j);
    ms_result_num(o, "energy_it_j", ops->energy_it_j);
    ms_result_num(o, "energy_node_j", ops->energy_node_j);
    ms_result_num(o, "carbon_kg", ops->carbon_kg);
    ms_result_num(o, "water_l", ops->water_l);
    ms_result_num(o, "capex_usd", ops->capex_usd);
    ms_result_num(o, "energy_cost_usd", ops->energy_cost_usd);
    ms_result_num(o, "maintenance_usd", ops->maintenance_usd);
    ms_result_num(o, "cost_usd", ops->cost_usd);
    if (ops->cost_per_mtok_usd > 0) ms_result_num(o, "cost_per_million_tokens_usd", ops->cost_per_mtok_usd);
}

static void note_not_fit(ms_result *o, const char *what, double need, double cap)
{
    ms_result_note(o, "%s does not fit: needs %.3g GB per accelerator, has %.3g GB", what, need / 1e9,
                   cap / 1e9);
}

static ms_status input_error(ms_result *o, const char *msg)
{
    snprintf(o->error, sizeof o->error, "%s", msg);
    return MS_ERR_INPUT;
}

/* Power of one accelerator at utilization u: TDP·ms_power_fraction(u), the one power model
 * (physics.h; roofline.c and economics.c use it too). */
static double power_w(const ms_hardware *hw, double u)
{
    return hw->tdp_w * ms_power_fraction(u, 0.0);
}

static ms_status eval_fleet(const ms_plan *p, ms_result *o)
{
    ms_dist_accel_t a;
    ms_dist_model_t m;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    char err[512];
    if (p->weight_precision >= 0 || p->kv_precision >= 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: hardware.weight_precision / kv_precision: for inference (training stores weights in precision)", p->path);
        return input_error(o, msg);
    }
    if (ms_plan_to_dist(p, &a, &m, &par, &f, err, sizeof err)) return input_error(o, err);
    ms_dist_train_t t;
    if (ms_dist_train_step(&a, &m, &par, &f, p->count, &t, err, sizeof err) != MS_DIST_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: parallelism: %.500s", p->path, err);
        return input_error(o, msg);
    }
    /* hardware.congestion and hardware.straggler, composed as `solve step-factors` composes them
     * (ms_step_factors): step = k_s (t_c + k_c t_dp + k_c t_other + t_bubble) with the step's exposed
     * data-parallel (+ ZeRO) and other (tp, ep, cp, pp) communication, the bubble, and t_c the rest
     * (kernels and optimizer); no further accumulation or overlap (the fleet step has applied both). */
    /* under a power limit, the same step without it: what its work would draw (the energy below) */
    ms_dist_train_t t_free = t;
    if (t.clock_fraction < 1.0) {
        ms_dist_accel_t a_free = a;
        a_free.power_limit_w = 0;
        if (ms_dist_train_step(&a_free, &m, &par, &f, p->count, &t_free, err, sizeof err) != MS_DIST_OK) t_free = t;
    }
    double kc = p->congestion > 1 ? p->congestion : 1.0, ks = p->straggler > 1 ? p->straggler : 1.0, strag_s = 0;
    double slow = 1.0;
    if (kc > 1 || ks > 1) {
        double tdp = t.dp_comm_s + t.zero_comm_s, tother = t.communication_s - tdp;
        double tc = t.step_time_s - t.communication_s - t.bubble_s;
        ms_step_factors_result sf;
        if (ms_step_factors(tc, tdp, tother, t.bubble_s, kc, ks, 1, 0.0, &sf, err, sizeof err)) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s: hardware.congestion / straggler: %.500s", p->path, err);
            return input_error(o, msg);
        }
        slow = sf.step_s / t.step_time_s;
        t.step_time_s = sf.step_s;
        t.tokens_per_s /= slow;
        t.tflops_per_accelerator /= slow;
        t.mfu /= slow;
        t.hfu /= slow;
        t.tp_comm_s *= kc;
        t.tp_comm_total_s *= kc;
        t.ep_comm_s *= kc;
        t.cp_comm_s *= kc;
        t.pp_comm_s *= kc;
        t.dp_comm_s *= kc;
        t.zero_comm_s *= kc;
        t.dp_comm_total_s *= kc;
        t.zero_comm_total_s *= kc;
        t.sharded_latency_s *= kc;
        t.communication_s *= kc;
        t.bubble_fraction = t.bubble_s / t.step_time_s;
        strag_s = sf.straggler_s;
    }
    ms_result_str(o, "model", p->model.name);
    ms_result_str(o, "hardware", p->hw.name);
    ms_result_str(o, "mode", "training");
    ms_result_str(o, "step", "training step (forward + backward)");
    ms_result_str(o, "precision", ms_precision_name(p->precision));
    /* FP8 training: the linear layers' own format and fraction of its peak */
    const int lowp = m.linear_bytes > 0 && m.linear_bytes < m.bytes_per_param;
    const double lin_eff = a.linear_efficiency > 0 ? a.linear_efficiency : a.efficiency;
    if (lowp)
        ms_result_note(o, "precision %s in training: the linear layers' GEMMs in %s (%.4g TFLOP/s peak at %.3g of it%s), "
                       "their operands cast first; parameters, gradients, activations, attention and the logit layer in 16 bits "
                       "(Transformer Engine's recipe; MFU against the %s peak)", ms_precision_name(p->precision),
                       ms_precision_name(p->precision), a.linear_peak_flops / 1e12, lin_eff,
                       a.linear_efficiency > 0 ? ", the generation's calibrated figure" : ", the plan's efficiency",
                       ms_precision_name(p->precision));
    ms_result_str(o, "optimizer", ms_optimizer_name(p->optimizer));
    ms_result_int(o, "accelerators", t.accelerators);
    ms_result_int(o, "nodes", f.nodes);
    ms_result_str(o, "topology", ms_topology_name((ms_topology)p->topology));
    ms_result_num(o, "inter_node_bw_bytes_per_s", f.inter_bw_bytes_per_s);
    ms_result_num(o, "inter_node_latency_s", f.inter_alpha_s);
    ms_result_int(o, "tp", par.tp);
    ms_result_int(o, "pp", par.pp);
    ms_result_int(o, "dp", t.dp);
    ms_result_int(o, "ep", par.ep);
    ms_result_int(o, "cp", par.cp);
    ms_result_int(o, "microbatch", par.microbatch);
    ms_result_int(o, "microbatches", t.microbatches);
    ms_result_int(o, "batch_size", p->batch_size);
    ms_result_int(o, "seq_len", p->seq_len);
    ms_result_str(o, "recompute", ms_recompute_name(p->recompute));
    ms_result_num(o, "recompute_layer_fraction", ms_dist_recomputed_layers(&par));
    if (par.recompute == MS_DIST_RECOMPUTE_OPS)
        ms_result_note(o, "recompute selective with framework %s: its operator-level policy, every other matmul of a layer "
                       "(K, output projection, up / MLP-out) and the element-wise ops recomputed, the attention core saved",
                       p->framework);
    ms_result_int(o, "zero_stage", par.zero_stage);
    ms_result_int(o, "shard_group", par.shard_group > 0 ? par.shard_group : par.dp);
    if (p->framework[0]) {
        ms_dist_stack_figures_t sf;
        int listed = ms_dist_stack_figures(p->framework, &sf);
        ms_result_str(o, "framework", p->framework);
        if (listed)
            ms_result_note(o, "framework %s: the figures of %s (mlsysim/validation/stacks.csv): compute x%g%s, "
                           "sharded collectives at %g of the links' rate, attention x%g", p->framework, sf.name,
                           sf.compute_factor, p->efficiency_set ? " (not applied: hardware.efficiency is given)" : "",
                           sf.sharded_coll_efficiency, sf.attention_factor);
        else
            ms_result_note(o, "framework %s: no figures of its own in mlsysim/validation/stacks.csv; the generation's "
                           "(factors 1)", p->framework);
    }
    ms_result_num(o, "efficiency", a.efficiency);
    if (lowp) ms_result_num(o, "linear_efficiency", lin_eff);
    ms_result_num(o, "step_time_s", t.step_time_s);
    ms_result_num(o, "latency_s", t.step_time_s);
    ms_result_num(o, "tokens_per_s", t.tokens_per_s);
    ms_result_num(o, "throughput_per_s", t.tokens_per_s);
    ms_result_str(o, "throughput_unit", "tokens");
    ms_result_num(o, "tflops_per_accelerator", t.tflops_per_accelerator);
    ms_result_num(o, "mfu", t.mfu);
    ms_result_num(o, "hfu", t.hfu);
    ms_result_num(o, "compute_s", t.compute_s);
    ms_result_num(o, "bubble_s", t.bubble_s);
    ms_result_num(o, "bubble_fraction", t.bubble_fraction);
    ms_result_num(o, "bubble_schedule_fraction",
                  ms_bubble_schedule_fraction(par.pp, t.microbatches, par.interleave > 0 ? par.interleave : 1));
    ms_result_train_parts(o, &t, &par);
    ms_result_num(o, "congestion_factor", kc);
    ms_result_num(o, "straggler_factor", ks);
    ms_result_num(o, "straggler_s", strag_s);
    ms_result_num(o, "moe_imbalance", p->moe_imbalance > 1 ? p->moe_imbalance : 1.0);
    const char *bn = t.communication_s > t.compute_s && t.communication_s > t.bubble_s ? "communication"
                   : t.bubble_s > t.compute_s ? "pipeline_bubble" : "compute";
    ms_result_str(o, "bottleneck", bn);
    ms_result_num(o, "model_flop", t.model_flops);
    ms_result_num(o, "hardware_flop", t.hardware_flops);
    ms_result_num(o, "peak_flop_per_s", a.linear_peak_flops > 0 ? a.linear_peak_flops : a.peak_flops);
    /* a board held at a power limit below TDP: the free step's power, its energy lowered by the
     * slowed phases drawing the limit instead of the TDP (ms_power_limited_w, at most the limit) */
    double pw = power_w(&p->hw, t.mfu);
    if (t.clock_fraction < 1.0)                 /* the free step with the same congestion and stragglers */
        pw = ms_power_limited_w(p->hw.tdp_w, a.power_limit_w, power_w(&p->hw, t_free.mfu / slow),
                                t_free.step_time_s * slow, t.step_time_s);
    put_power_limit(o, p, t.clock_fraction, "GEMMs and attention", "their", "memory-bound kernels and links");
    ms_result_num(o, "power_w", pw);
    ms_result_num(o, "energy_j", pw * t.step_time_s);
    ms_result_num(o, "memory_per_accelerator_bytes", t.memory.total_bytes);
    ms_result_num(o, "memory_capacity_bytes", a.mem_capacity_bytes);
    ms_result_num(o, "memory_reserve_fraction", p->memory_reserve);
    ms_result_num(o, "memory_utilization", t.memory.total_bytes / a.mem_capacity_bytes);
    ms_result_num(o, "memory_weights_bytes", t.memory.weights_bytes);
    ms_result_num(o, "memory_gradients_bytes", t.memory.gradients_bytes);
    ms_result_num(o, "memory_optimizer_bytes", t.memory.optimizer_bytes);
    ms_result_num(o, "memory_activations_bytes", t.memory.activations_bytes);
    ms_result_num(o, "memory_buffers_bytes", t.memory.buffers_bytes);
    ms_result_num(o, "memory_kv_cache_bytes", 0.0);
    ms_result_bool(o, "feasible", t.fits);
    if (p->has_ops) {
        ms_result_num(o, "step_energy_j", pw * t.step_time_s * p->count);
        ms_dist_grid_t g = grid_of(p);
        ms_dist_econ_inputs_t e = {0};
        e.utilization = t.mfu;
        if (a.power_limit_w > 0) e.accel_power_w = pw;              /* under the limit (above) */
        e.accels_per_node = p->per_node;
        e.node_power_w = p->node_power_w;
        e.node_price_usd = p->node_price_usd;
        ms_dist_fleet_eval_t fe;
        if (ms_dist_fleet_eval(&a, &m, &f, &t, 0, p->duration_days * 86400.0, NULL, &g, &e, &fe) != MS_DIST_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s: ops: the fleet never makes progress (goodput 0)", p->path);
            return input_error(o, msg);
        }
        ms_result_num(o, "mtbf_s", fe.mtbf_s);
        ms_result_num(o, "checkpoint_write_s", fe.checkpoint_write_s);
        ms_result_num(o, "checkpoint_interval_s", fe.checkpoint_interval_s);
        ms_result_num(o, "failure_probability", fe.failure_prob);
        ms_result_num(o, "goodput", fe.goodput);
        ms_result_num(o, "wall_time_s", fe.wall_time_s);
        put_ops(o, p, &fe.ops);
    }
    if (!t.fits) {
        note_not_fit(o, p->name[0] ? p->name : p->model.name, t.memory.total_bytes, a.mem_capacity_bytes);
        return MS_ERR_MEMORY;
    }
    return MS_OK;
}

/* The roofline keys of one accelerator. */
static void put_roofline(ms_result *out, const ms_model *m, const ms_hardware *hw, const ms_workload *w,
                         const ms_eval_result *r, double reserve)
{
    int lm = (m->kind == MS_MODEL_TRANSFORMER && !m->arch.encoder) || m->kind == MS_MODEL_SSM;
    int decode = lm && w->mode == MS_MODE_INFERENCE;
    int lm_train = (m->kind == MS_MODEL_TRANSFORMER || m->kind == MS_MODEL_SSM) && w->mode == MS_MODE_TRAINING;
    int diffusion = m->kind == MS_MODEL_DIFFUSION;
    ms_result_str(out, "model", m->name);
    ms_result_str(out, "hardware", hw->name);
    ms_result_str(out, "mode", ms_mode_name(w->mode));
    ms_result_str(out, "step", decode ? "decode step (one token per sequence)" :
                               diffusion && w->mode == MS_MODE_TRAINING ? "training step (one U-Net forward + backward per image)" :
                               diffusion ? "image generation (text encoder, denoising steps, VAE decoder)" :
                               w->mode == MS_MODE_TRAINING ? "training step (forward + backward)" : "forward pass");
    ms_result_str(out, "precision", ms_precision_name(w->precision));
    if (w->mode == MS_MODE_TRAINING) ms_result_str(out, "optimizer", ms_optimizer_name(w->optimizer));
    ms_result_int(out, "batch_size", w->batch_size);
    if (m->kind == MS_MODEL_TRANSFORMER || m->kind == MS_MODEL_SSM) ms_result_int(out, "seq_len", w->seq_len);
    ms_result_num(out, "efficiency", w->efficiency);
    ms_result_num(out, "latency_s", r->latency_s);
    ms_result_num(out, "throughput_per_s", r->throughput_per_s);
    ms_result_str(out, "throughput_unit", decode || lm_train ? "tokens" : diffusion && w->mode == MS_MODE_INFERENCE ? "images" : "samples");
    ms_result_str(out, "bottleneck", ms_bound_name(r->bottleneck));
    ms_result_num(out, "mfu", r->mfu);
    ms_result_num(out, "hfu", r->hfu);
    ms_result_num(out, "compute_time_s", r->t_compute_s);
    ms_result_num(out, "memory_time_s", r->t_memory_s);
    ms_result_num(out, "overhead_time_s", r->t_overhead_s);
    if (r->t_attention_s > 0) ms_result_num(out, "attention_time_s", r->t_attention_s);
    ms_result_bool(out, "overhead_dominated", r->overhead_dominated);
    ms_result_num(out, "model_flop", r->flops);
    ms_result_num(out, "hardware_flop", r->hw_flops);
    ms_result_num(out, "memory_traffic_bytes", r->bytes);
    ms_result_num(out, "arithmetic_intensity_flop_per_byte", r->intensity_flop_per_byte);
    ms_result_num(out, "ridge_point_flop_per_byte", r->ridge_flop_per_byte);
    ms_result_num(out, "peak_flop_per_s", r->peak_flops);
    ms_result_num(out, "bandwidth_bytes_per_s", r->bw_bytes_per_s);
    ms_result_num(out, "power_w", r->power_w);
    ms_result_num(out, "energy_j", r->energy_j);
    ms_result_num(out, "memory_per_accelerator_bytes", r->memory_bytes);
    ms_result_num(out, "memory_capacity_bytes", r->memory_capacity_bytes);
    ms_result_num(out, "memory_reserve_fraction", reserve);
    ms_result_num(out, "memory_utilization", r->memory_capacity_bytes > 0 ? r->memory_bytes / r->memory_capacity_bytes : 0);
    ms_result_num(out, "memory_weights_bytes", r->memory_weights_bytes);
    ms_result_num(out, "memory_gradients_bytes", r->memory_gradients_bytes);
    ms_result_num(out, "memory_optimizer_bytes", r->memory_optimizer_bytes);
    ms_result_num(out, "memory_activations_bytes", r->memory_activations_bytes);
    ms_result_num(out, "memory_kv_cache_bytes", r->memory_kv_bytes);
    if (m->kind == MS_MODEL_SSM) ms_result_num(out, "memory_state_bytes", r->memory_state_bytes);
    if (decode && m->kind == MS_MODEL_TRANSFORMER) ms_result_num(out, "kv_cache_bytes", r->memory_kv_bytes);
    ms_result_bool(out, "feasible", r->feasible);
}

/* A tensor x pipeline parallel group of tp·pp accelerators serving one replica acts, for one
 * step, as one device with tp x the peak and bandwidth (each of the tp ranks of a stage holds and
 * streams 1/tp of the stage) and tp·pp x the memory (weights, KV cache and activations split
 * evenly); the stages run one after the other, so their times add up to the whole model's. On
 * top: two all-reduces per layer (attention and MLP outputs, tokens·h·b bytes over the tp ranks,
 * Megatron-LM) and pp - 1 point-to-point sends of the activations between stages. */
static ms_hardware group_device(const ms_hardware *hw, int tp, int pp)
{
    ms_hardware g = *hw;
    for (int i = 0; i < MS_PREC_COUNT; i++) {
        g.flops[i] *= tp;
        g.sparse_flops[i] *= tp;
    }
    g.mem_bw_bytes_per_s *= tp;
    g.sram_bw_bytes_per_s *= tp;
    g.mem_bytes *= (double)tp * pp;
    g.sram_bytes *= (double)tp * pp;
    g.tdp_w *= (double)tp * pp;
    return g;
}

/* Communication of one pass over `tokens` tokens in a tp x pp group, seconds: tp all-reduces and
 * pipeline sends (both 0 for a single accelerator). They carry the GEMMs' outputs, which are 16-bit
 * when the weights are narrower (an FP8 or INT8 GEMM writes 16 bits), else the precision's. */
static void group_comm(const ms_plan *p, const ms_dist_fabric_t *line, double tokens, double *tp_s, double *pp_s,
                       const char **tp_algorithm)
{
    ms_dist_fabric_t ach;
    ms_dist_fabric_achievable(line, &ach);          /* links at their NCCL-tests fraction */
    const ms_dist_fabric_t *f = &ach;
    double ab = ms_precision_bytes(p->precision) < 2.0 ? 2.0 : ms_precision_bytes(p->precision);
    double bytes = tokens * p->model.arch.hidden * ab;
    const char *alg = NULL;
    *tp_s = p->tp > 1 ? 2.0 * p->model.arch.layers * ms_coll_time_parts_s(MS_COLL_ALLREDUCE_RING, bytes, p->tp, 1, f, NULL, &alg)
                      : 0.0;
    if (tp_algorithm) *tp_algorithm = alg;
    *pp_s = 0.0;
    if (p->pp > 1) {
        /* stage boundaries inside a node go over NVLink, across nodes over one NIC's share */
        int inside = p->tp * p->pp <= f->accels_per_node;
        double bw = inside ? f->intra_bw_bytes_per_s : f->inter_bw_bytes_per_s / f->accels_per_node;
        double alpha = inside ? f->intra_alpha_s : f->inter_alpha_s;
        *pp_s = (p->pp - 1) * (alpha + bytes / p->tp / bw);
    }
}

/* The figures only a diffusion, SSM or DLRM workload has (diffusion.c, ssm.c, dlrm.c). */
static void put_kind(ms_result *o, const ms_model *m, const ms_workload *w)
{
    double b = ms_precision_bytes(w->precision);
    double B = w->batch_size;
    if (m->kind == MS_MODEL_DIFFUSION) {
        const ms_diffusion_arch *d = &m->diffusion;
        int steps, passes;
        ms_diffusion_schedule(m, w, &steps, &passes);
        int train = w->mode == MS_MODE_TRAINING;
        ms_result_int(o, "image_px", ms_diffusion_image_px(m));
        if (!train) {
            ms_result_int(o, "denoising_steps", steps);
            ms_result_bool(o, "cfg", passes == 2);
        }
        ms_result_num(o, "unet_params", d->unet_params);
        ms_result_num(o, "unet_step_flop", B * (train ? 1 : passes) * d->unet_flops);
        ms_result_num(o, "text_encoder_flop", B * (train ? 1 : passes) * d->text_flops);
        if (!train) ms_result_num(o, "vae_decoder_flop", B * d->vae_flops);
    } else if (m->kind == MS_MODEL_SSM) {
        double sb = w->mode == MS_MODE_INFERENCE && w->kv_bytes > 0 ? w->kv_bytes : b;
        ms_result_num(o, "state_per_sequence_bytes", ms_ssm_state_bytes(m, sb));
    } else if (m->kind == MS_MODEL_DLRM) {
        double wb = w->mode == MS_MODE_INFERENCE && w->weight_bytes > 0 ? w->weight_bytes : b;
        ms_result_num(o, "embedding_table_bytes", m->dlrm.embedding_params * wb);
        ms_result_num(o, "embedding_gather_bytes", B * ms_dlrm_gather_bytes(m, wb));
    }
}

static ms_status eval_roofline(const ms_plan *p, ms_result *o)
{
    int tp = p->tp > 0 ? p->tp : 1, pp = p->pp > 0 ? p->pp : 1, group = tp * pp;
    int xf = p->model.kind == MS_MODEL_TRANSFORMER;
    if (group > 1 && (!xf || p->mode != MS_MODE_INFERENCE)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: parallelism: tp/pp are modeled for transformer inference and training; %s is a %s",
                 p->path, p->model.name, ms_model_kind_name(p->model.kind));
        return input_error(o, msg);
    }
    if (xf && p->model.arch.heads % tp) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: parallelism.tp: %d does not divide the %d attention heads of %s", p->path, tp,
                 p->model.arch.heads, p->model.name);
        return input_error(o, msg);
    }
    int replicas = p->count / group;
    ms_workload w;
    ms_workload_default(&w);
    w.mode = p->mode;
    w.batch_size = p->batch_size;
    w.seq_len = p->seq_len;
    w.precision = p->precision;
    w.efficiency = plan_efficiency(p);
    w.recompute = p->recompute;
    w.optimizer = p->optimizer;
    w.zero_stage = 0;
    w.weight_bytes = p->weight_precision >= 0 ? ms_precision_bytes((ms_precision)p->weight_precision) : 0;
    w.kv_bytes = p->kv_precision >= 0 ? ms_precision_bytes((ms_precision)p->kv_precision) : 0;
    w.steps = p->steps;
    w.cfg = p->cfg;
    w.gemm_serial = p->decode_serial;
    w.moe_routing = p->moe_routing;
    if (p->mode == MS_MODE_TRAINING && (w.weight_bytes > 0 || w.kv_bytes > 0)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: hardware.weight_precision / kv_precision: for inference (training stores weights in precision)", p->path);
        return input_error(o, msg);
    }
    if (p->mode == MS_MODE_INFERENCE && replicas > 1) {
        /* replicas: the batch is split over them, each serving its share */
        w.batch_size = (p->batch_size + replicas - 1) / replicas;
        ms_result_note(o, "note: inference on %d accelerators is modeled as %d replicas of batch %d%s",
                       p->count, replicas, w.batch_size, group > 1 ? " (each a tp x pp group)" : "");
    }
    ms_dist_fabric_t f;
    double tp_s = 0, pp_s = 0, tp_ttft = 0, pp_ttft = 0;
    const char *tp_algo = NULL;
    int decoder = xf && !p->model.arch.encoder;
    if (group > 1) {
        char err[512];
        if (plan_fabric(p, &f, err, sizeof err)) return input_error(o, err);
        double tokens = decoder ? w.batch_size : (double)w.batch_size * (xf ? w.seq_len : 1);
        group_comm(p, &f, tokens, &tp_s, &pp_s, &tp_algo);
        group_comm(p, &f, (double)w.batch_size * w.seq_len, &tp_ttft, &pp_ttft, NULL);
    }
    ms_hardware usable = p->hw;                 /* what the workload may use: less the reserve */
    usable.mem_bytes *= 1.0 - p->memory_reserve;
    /* hardware.power_limit: the compute at the limited clock, memory and links at their speed */
    double clk;
    char perr[512];
    if (plan_power_clock(p, &clk, perr, sizeof perr)) return input_error(o, perr);
    for (int i = 0; i < MS_PREC_COUNT; i++) {
        usable.flops[i] *= clk;
        usable.sparse_flops[i] *= clk;
    }
    ms_hardware g = group_device(&usable, tp, pp);
    ms_eval_result r;
    ms_eval(&p->model, &g, &w, &r);
    double lat_free = 0.0;                      /* the same step without the limit (its energy) */
    if (clk < 1.0) {
        ms_hardware free_hw = p->hw, gf;
        free_hw.mem_bytes = usable.mem_bytes;
        gf = group_device(&free_hw, tp, pp);
        ms_eval_result rf;
        ms_eval(&p->model, &gf, &w, &rf);
        lat_free = rf.latency_s + tp_s + pp_s;
    }
    if (group == 1 && clk < 1.0) {              /* MFU against the datasheet peak, as without a limit */
        r.mfu *= clk;
        r.hfu *= clk;
        r.peak_flops /= clk;
    }
    if (group > 1) {
        /* per accelerator: an even share of the group's memory; time with the group's traffic */
        double peak1 = ms_hw_peak(&p->hw, p->precision);
        r.latency_s += tp_s + pp_s;
        r.throughput_per_s = r.throughput_per_s * (r.latency_s - tp_s - pp_s) / r.latency_s;
        r.mfu = r.flops / (r.latency_s * peak1 * group);
        r.hfu = r.hw_flops / (r.latency_s * peak1 * group);
        r.power_w = power_w(&p->hw, r.mfu);
        r.energy_j = r.power_w * r.latency_s;
        r.peak_flops = peak1;
        r.bw_bytes_per_s /= tp;
        r.ridge_flop_per_byte = peak1 / (r.bw_bytes_per_s > 0 ? r.bw_bytes_per_s : 1.0);
        r.memory_bytes /= group;
        r.memory_capacity_bytes /= group;
        r.memory_weights_bytes /= group;
        r.memory_gradients_bytes /= group;
        r.memory_optimizer_bytes /= group;
        r.memory_activations_bytes /= group;
        r.memory_kv_bytes /= group;
    }
    if (clk < 1.0) {
        /* the free step's power, its energy lowered by the slowed phases drawing the limit instead
         * of the TDP (ms_power_limited_w, at most the limit); the free step's MFU is this one's ×
         * its speed-up */
        r.power_w = ms_power_limited_w(p->hw.tdp_w, p->power_limit_w, power_w(&p->hw, r.mfu * r.latency_s / lat_free),
                                       lat_free, r.latency_s);
        r.energy_j = r.power_w * r.latency_s;
    }
    put_roofline(o, &p->model, &p->hw, &w, &r, p->memory_reserve);
    put_kind(o, &p->model, &w);
    put_power_limit(o, p, clk, "compute", "its", "memory and links");
    if (group > 1) {
        ms_result_int(o, "tp", tp);
        ms_result_int(o, "pp", pp);
        ms_result_int(o, "replicas", replicas);
        ms_result_num(o, "tp_communication_s", tp_s);
        if (tp_algo) ms_result_str(o, "tp_algorithm", tp_algo);
        ms_result_num(o, "pp_communication_s", pp_s);
        ms_result_num(o, "communication_s", tp_s + pp_s);
    }
    if (p->count > 1) {
        ms_result_int(o, "accelerators", p->count);
        ms_result_num(o, "fleet_throughput_per_s", r.throughput_per_s * replicas);
    }
    if ((decoder || p->model.kind == MS_MODEL_SSM) && p->mode == MS_MODE_INFERENCE) {
        ms_serve_input si;
        ms_serve_input_default(&si);
        si.batch_size = w.batch_size;
        si.seq_len = p->seq_len;
        si.precision = p->precision;
        si.efficiency = w.efficiency;
        si.weight_bytes = w.weight_bytes;
        si.kv_bytes = w.kv_bytes;
        si.gemm_serial = p->decode_serial;
        si.moe_routing = p->moe_routing;
        ms_serve_result s;
        if (ms_serve(&p->model, &g, &si, &s) == MS_OK) {
            double itl = s.itl_s + tp_s + pp_s;
            ms_result_num(o, "ttft_s", s.ttft_s + tp_ttft + pp_ttft);
            ms_result_num(o, "itl_s", itl);
            ms_result_num(o, "tokens_per_s", w.batch_size / itl);
            ms_result_int(o, "max_concurrent_sequences", s.max_concurrent_sequences);
            double read = ms_moe_experts_read(&p->model, w.batch_size, p->moe_routing);
            if (read > 0) ms_result_num(o, "moe_experts_read", read);
        }
    }
    if (p->has_ops) {
        ms_dist_accel_t a;
        ms_hw_to_dist_accel(&p->hw, p->precision, w.efficiency, &a);
        a.power_limit_w = p->power_limit_w;
        ms_dist_grid_t gr = grid_of(p);
        ms_dist_econ_inputs_t e = {0};
        e.utilization = r.mfu;
        if (p->power_limit_w > 0) e.accel_power_w = r.power_w;     /* under the limit (above) */
        e.accels_per_node = p->per_node;
        e.node_power_w = p->node_power_w;
        e.node_price_usd = p->node_price_usd;
        double dur = p->duration_days * 86400.0;
        double items = r.throughput_per_s * replicas * dur;
        ms_dist_ops_t ops;
        ms_result_num(o, "step_energy_j", r.energy_j * group);
        if (ms_econ_run(&a, p->count, dur, items, &gr, &e, &ops) == MS_DIST_OK) put_ops(o, p, &ops);
    }
    if (!r.feasible) {
        note_not_fit(o, p->name[0] ? p->name : p->model.name, r.memory_bytes, r.memory_capacity_bytes);
        return MS_ERR_MEMORY;
    }
    return MS_OK;
}

/* Checks constraints.assert against the result's keys: MS_OK, MS_ERR_ASSERT or MS_ERR_INPUT. */
static ms_status check_asserts(const ms_plan *p, ms_result *o)
{
    char json[4096];
    size_t n = 0;
    int failed = 0;
    json[n++] = '[';
    for (int i = 0; i < p->n_asserts; i++) {
        const ms_plan_assert *a = &p->asserts[i];
        double v;
        if (!ms_result_get(o, a->metric, &v)) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s:%d: constraints.assert[%d].metric: '%s' is not produced by this plan",
                     p->path, a->line, i, a->metric);
            return input_error(o, msg);
        }
        int bad = (a->has_max && !(v <= a->max)) || (a->has_min && !(v >= a->min));
        if (!bad) continue;
        char hv[64];
        ms_fmt_human(a->metric, v, hv, sizeof hv);
        ms_result_note(o, "%s:%d: assert failed: %s = %s (%.6g)%s%.6g%s%.6g", p->path, a->line, a->metric, hv, v,
                       a->has_min ? ", min " : "", a->has_min ? a->min : 0.0, a->has_max ? ", max " : "",
                       a->has_max ? a->max : 0.0);
        int w = snprintf(json + n, sizeof json - n, "%s{\"metric\": \"%s\", \"value\": %.10g", failed ? ", " : "",
                         a->metric, isfinite(v) ? v : 0.0);
        if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w;
        if (a->has_min) { w = snprintf(json + n, sizeof json - n, ", \"min\": %.10g", a->min); if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w; }
        if (a->has_max) { w = snprintf(json + n, sizeof json - n, ", \"max\": %.10g", a->max); if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w; }
        w = snprintf(json + n, sizeof json - n, ", \"line\": %d}", a->line);
        if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w;
        failed++;
    }
    if (n + 2 < sizeof json) { json[n++] = ']'; json[n] = 0; }
    if (p->n_asserts > 0) {
        ms_result_str(o, "status", failed ? "sla_failed" : "ok");
        ms_result_int(o, "asserts_checked", p->n_asserts);
        ms_result_int(o, "asserts_failed", failed);
        if (failed) ms_result_raw(o, "violations", json);
    }
    return failed ? MS_ERR_ASSERT : MS_OK;
}

/* Replaces the table by {"status": "error", "reason": msg}. */
static ms_status fail_table(ms_result *o)
{
    ms_result_free(o);
    ms_result_str(o, "status", "error");
    ms_result_str(o, "reason", o->error);
    o->status = MS_ERR_INPUT;
    return MS_ERR_INPUT;
}

ms_status ms_plan_eval(const ms_registry *r, const ms_plan *p, ms_result *out)
{
    (void)r;
    ms_result_init(out, p->name);
    if (p->name[0]) ms_result_str(out, "plan", p->name);
    /* precision honesty: a format the device lacks is emulated on a wider one it has, or refused */
    char pmsg[400];
    int pc = ms_hw_precision_check(&p->hw, p->precision, pmsg, sizeof pmsg);
    if (pc < 0) {
        snprintf(out->error, sizeof out->error, "%s: hardware.precision: %s", p->path, pmsg);
        return fail_table(out);
    }
    if (pc > 0) ms_result_note(out, "%s", pmsg);
    /* training of a transformer the fleet model covers: the fleet model, for one accelerator too */
    int fleet = p->mode == MS_MODE_TRAINING && fleet_models(&p->model);
    if (p->mode == MS_MODE_TRAINING && !fleet && p->count > 1) fleet = 1;   /* reports why not */
    ms_status st = fleet ? eval_fleet(p, out) : eval_roofline(p, out);
    if (!fleet && (p->congestion > 1 || p->straggler > 1 || p->moe_imbalance > 1 || p->tp_comm_overlap
                   || p->pp_comm_overlap || p->framework[0]))
        ms_result_note(out, "hardware.congestion, hardware.straggler, parallelism.moe_imbalance, "
                            "parallelism.tp_comm_overlap, parallelism.pp_comm_overlap and parallelism.framework apply to training on the fleet model; "
                            "this plan does not use them");
    if (fleet && p->pp_comm_overlap && (p->pp < 2 || p->interleave < 2))
        ms_result_note(out, "parallelism.pp_comm_overlap overlaps the interleaved schedule's sends (pp > 1 and "
                            "interleave > 1); with pp %d and interleave %d it changes nothing", p->pp, p->interleave);
    if (st != MS_ERR_INPUT) {
        /* FP8 training keeps its weights in 16 bits (and casts them) */
        ms_precision wp = p->weight_precision >= 0 ? (ms_precision)p->weight_precision
                        : fleet && ms_precision_bytes(p->precision) < 2.0 ? MS_BF16 : p->precision;
        ms_result_str(out, "weight_precision", ms_precision_name(wp));
        ms_result_str(out, "kv_precision",
                      ms_precision_name(p->kv_precision >= 0 ? (ms_precision)p->kv_precision : p->precision));
        ms_result_str(out, "compute_precision",
                      ms_precision_name((ms_precision)ms_hw_compute_precision(&p->hw, p->precision)));
        ms_result_bool(out, "precision_emulated", pc > 0);
        const char *esrc;
        double eff = plan_efficiency_src(p, &esrc);
        ms_result_str(out, "efficiency_source", esrc);
        if (!strcmp(esrc, "calibrated") && p->mode == MS_MODE_TRAINING)
            ms_result_note(out, "efficiency %.2f: calibrated for %.*s training (mlsysim/validation/calibration.csv); "
                           "set hardware.efficiency to override", eff, (int)strcspn(p->hw.name, "_"), p->hw.name);
        else if (!strcmp(esrc, "calibrated"))
            ms_result_note(out, "efficiency %.2f: the %s GEMMs' figure calibrated for %.*s on training runs "
                           "(mlsysim/validation/calibration.csv); set hardware.efficiency to override", eff,
                           p->precision == MS_FP8 ? "FP8" : "16-bit", (int)strcspn(p->hw.name, "_"), p->hw.name);
    }
    if (st == MS_ERR_INPUT) return fail_table(out);
    ms_status ast = check_asserts(p, out);
    if (ast == MS_ERR_INPUT) return fail_table(out);
    if (st == MS_OK) st = ast;
    out->status = st;
    return st;
}

ms_status ms_plan_eval_buffer(const ms_registry *r, const char *label, const char *yaml, size_t len,
                              ms_result *out)
{
    ms_plan *p = malloc(sizeof *p);
    if (!p) {
        ms_result_init(out, "");
        snprintf(out->error, sizeof out->error, "%s: out of memory", label);
        return fail_table(out);
    }
    char err[1024];
    ms_status st;
    if (ms_plan_load_buffer(r, label, yaml, len, p, err, sizeof err) != MS_OK) {
        ms_result_init(out, "");
        snprintf(out->error, sizeof out->error, "%s", err);
        st = fail_table(out);
    } else {
        st = ms_plan_eval(r, p, out);
    }
    free(p);
    return st;
}
