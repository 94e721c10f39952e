/* cmd_eval.c - `mlsysim eval MODEL HARDWARE [flags]` and `mlsysim eval PLAN.yaml`.
 *
 * A plan with workload.mode = training on more than one accelerator (or with a parallelism
 * section) is a distributed training step from the fleet-scale API (distributed.h); every other
 * plan is the single-node roofline (physics.h), plus serving figures for decoder LMs. `ops` adds
 * the run's energy, carbon, water, cost (and, for fleets, MTBF, checkpoint interval, goodput).
 * Exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 an assert violated.
 */
#include "cli.h"
#include "mlsysim/distributed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void warn_not_fit(const char *what, double need, double cap)
{
    fprintf(stderr, "mlsysim: %s does not fit: needs %.3g GB per accelerator, has %.3g GB\n", what,
            need / 1e9, cap / 1e9);
}

int ms_cli_plan_to_dist(const ms_plan *p, ms_dist_accel_t *a, ms_dist_model_t *m,
                        ms_dist_parallel_t *par, ms_dist_fabric_t *f, char *err, size_t errlen)
{
    const ms_arch *ar = &p->model.arch;
    if (p->model.kind != MS_MODEL_TRANSFORMER) {
        snprintf(err, errlen, "%s: workload: distributed training is modeled for transformers; %s is a %s",
                 p->path, p->model.name, ms_model_kind_name(p->model.kind));
        return -1;
    }
    if (ar->kv_lora_rank > 0 || ar->dense_layers > 0 || ar->shared_experts > 0) {
        snprintf(err, errlen, "%s: workload: %s uses MLA / shared experts / dense-then-MoE layers, which the fleet-scale step does not model",
                 p->path, p->model.name);
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->peak_flops = ms_hw_peak(&p->hw, p->precision);
    a->mem_bw_bytes_per_s = p->hw.mem_bw_bytes_per_s;
    a->mem_capacity_bytes = p->hw.mem_bytes;
    a->tdp_w = p->hw.tdp_w;
    a->unit_cost_usd = p->hw.price_usd;
    a->efficiency = p->efficiency_set ? p->efficiency : MS_DIST_DEFAULT_TRAIN_EFFICIENCY;
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
    memset(par, 0, sizeof *par);
    par->tp = p->tp;
    par->pp = p->pp;
    par->dp = p->dp;
    par->ep = 1;
    par->cp = 1;
    par->microbatch = p->microbatch;
    par->global_batch = p->batch_size;
    par->interleave = p->interleave;
    par->recompute = (ms_dist_recompute_t)p->recompute;
    par->sequence_parallel = p->sequence_parallel;
    par->zero_stage = p->zero_stage;
    par->overlap_dp = p->overlap_dp;
    par->flash_attention = p->flash_attention;
    memset(f, 0, sizeof *f);
    f->accels_per_node = p->per_node;
    f->nodes = p->count / p->per_node;
    f->intra_bw_bytes_per_s = p->intra_bw_bytes_per_s > 0 ? p->intra_bw_bytes_per_s
                            : p->hw.link_bw_bytes_per_s > 0 ? p->hw.link_bw_bytes_per_s
                            : p->hw.host_bw_bytes_per_s > 0 ? p->hw.host_bw_bytes_per_s : 32e9;
    f->intra_alpha_s = p->hw.link_latency_s > 0 ? p->hw.link_latency_s : 1e-6;
    if (p->has_fabric) {
        /* the node entry's NIC count, else one NIC per accelerator (DGX/HGX layout);
         * oversubscription shares the uplinks */
        int nics = p->nics_per_node > 0 ? p->nics_per_node : p->per_node;
        f->inter_bw_bytes_per_s = p->fabric.bw_bytes_per_s * nics / p->fabric.oversubscription;
        f->inter_alpha_s = p->fabric.latency_s;
    } else if (f->nodes > 1) {
        snprintf(err, errlen, "%s: hardware.fabric: needed for %d nodes (see `mlsysim zoo systems`)", p->path, f->nodes);
        return -1;
    } else {
        f->inter_bw_bytes_per_s = f->intra_bw_bytes_per_s * p->per_node;
        f->inter_alpha_s = f->intra_alpha_s;
    }
    return 0;
}

static ms_dist_grid_t grid_of(const ms_plan *p)
{
    ms_dist_grid_t g = {p->grid.name, p->grid.carbon_g_per_kwh, p->grid.pue, p->grid.wue_l_per_kwh,
                        p->grid.price_usd_per_kwh};
    return g;
}

static void put_ops(ms_out *o, const ms_plan *p, const ms_dist_ops_t *ops)
{
    ms_out_str(o, "region", p->grid.name);
    ms_out_num(o, "duration_s", p->duration_days * 86400.0);
    ms_out_num(o, "energy_j", ops->energy_j);
    ms_out_num(o, "energy_it_j", ops->energy_it_j);
    ms_out_num(o, "carbon_kg", ops->carbon_kg);
    ms_out_num(o, "water_l", ops->water_l);
    ms_out_num(o, "capex_usd", ops->capex_usd);
    ms_out_num(o, "energy_cost_usd", ops->energy_cost_usd);
    ms_out_num(o, "maintenance_usd", ops->maintenance_usd);
    ms_out_num(o, "cost_usd", ops->cost_usd);
    if (ops->cost_per_mtok_usd > 0) ms_out_num(o, "cost_per_million_tokens_usd", ops->cost_per_mtok_usd);
}

static int eval_distributed(const ms_plan *p, ms_out *o)
{
    ms_dist_accel_t a;
    ms_dist_model_t m;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    char err[512];
    if (ms_cli_plan_to_dist(p, &a, &m, &par, &f, err, sizeof err)) {
        fprintf(stderr, "mlsysim: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_dist_train_t t;
    if (ms_dist_train_step(&a, &m, &par, &f, p->count, &t, err, sizeof err) != MS_DIST_OK) {
        fprintf(stderr, "mlsysim: %s: parallelism: %s\n", p->path, err);
        return MS_EXIT_INPUT;
    }
    ms_out_str(o, "model", p->model.name);
    ms_out_str(o, "hardware", p->hw.name);
    ms_out_str(o, "mode", "training");
    ms_out_str(o, "precision", ms_precision_name(p->precision));
    ms_out_int(o, "accelerators", t.accelerators);
    ms_out_int(o, "nodes", f.nodes);
    ms_out_int(o, "tp", par.tp);
    ms_out_int(o, "pp", par.pp);
    ms_out_int(o, "dp", t.dp);
    ms_out_int(o, "microbatch", par.microbatch);
    ms_out_int(o, "microbatches", t.microbatches);
    ms_out_int(o, "batch_size", p->batch_size);
    ms_out_int(o, "seq_len", p->seq_len);
    ms_out_str(o, "recompute", ms_recompute_name(p->recompute));
    ms_out_int(o, "zero_stage", p->zero_stage);
    ms_out_num(o, "efficiency", a.efficiency);
    ms_out_num(o, "step_time_s", t.step_time_s);
    ms_out_num(o, "latency_s", t.step_time_s);
    ms_out_num(o, "tokens_per_s", t.tokens_per_s);
    ms_out_num(o, "throughput_per_s", t.tokens_per_s);
    ms_out_str(o, "throughput_unit", "tokens");
    ms_out_num(o, "tflops_per_accelerator", t.tflops_per_accelerator);
    ms_out_num(o, "mfu", t.mfu);
    ms_out_num(o, "hfu", t.hfu);
    ms_out_num(o, "compute_s", t.compute_s);
    ms_out_num(o, "bubble_s", t.bubble_s);
    ms_out_num(o, "bubble_fraction", t.bubble_fraction);
    ms_out_num(o, "communication_s", t.communication_s);
    ms_out_num(o, "tp_communication_s", t.tp_comm_s);
    ms_out_num(o, "pp_communication_s", t.pp_comm_s);
    ms_out_num(o, "dp_communication_s", t.dp_comm_s);
    ms_out_num(o, "zero_communication_s", t.zero_comm_s);
    ms_out_num(o, "optimizer_s", t.optimizer_s);
    const char *bn = t.communication_s > t.compute_s && t.communication_s > t.bubble_s ? "communication"
                   : t.bubble_s > t.compute_s ? "pipeline_bubble" : "compute";
    ms_out_str(o, "bottleneck", bn);
    ms_out_num(o, "model_flop", t.model_flops);
    ms_out_num(o, "hardware_flop", t.hardware_flops);
    ms_out_num(o, "memory_per_accelerator_bytes", t.memory.total_bytes);
    ms_out_num(o, "memory_capacity_bytes", a.mem_capacity_bytes);
    ms_out_num(o, "memory_utilization", t.memory.total_bytes / a.mem_capacity_bytes);
    ms_out_num(o, "memory_weights_bytes", t.memory.weights_bytes);
    ms_out_num(o, "memory_gradients_bytes", t.memory.gradients_bytes);
    ms_out_num(o, "memory_optimizer_bytes", t.memory.optimizer_bytes);
    ms_out_num(o, "memory_activations_bytes", t.memory.activations_bytes);
    ms_out_num(o, "memory_buffers_bytes", t.memory.buffers_bytes);
    ms_out_bool(o, "feasible", t.fits);
    if (p->has_ops) {
        ms_dist_grid_t g = grid_of(p);
        ms_dist_econ_inputs_t e = {0};
        e.utilization = t.mfu;
        ms_dist_fleet_eval_t fe;
        if (ms_dist_fleet_eval(&a, &m, &f, &t, 0, p->duration_days * 86400.0, NULL, &g, &e, &fe) != MS_DIST_OK) {
            fprintf(stderr, "mlsysim: %s: ops: the fleet never makes progress (goodput 0)\n", p->path);
            return MS_EXIT_INPUT;
        }
        ms_out_num(o, "mtbf_s", fe.mtbf_s);
        ms_out_num(o, "checkpoint_write_s", fe.checkpoint_write_s);
        ms_out_num(o, "checkpoint_interval_s", fe.checkpoint_interval_s);
        ms_out_num(o, "failure_probability", fe.failure_prob);
        ms_out_num(o, "goodput", fe.goodput);
        ms_out_num(o, "wall_time_s", fe.wall_time_s);
        put_ops(o, p, &fe.ops);
    }
    if (!t.fits) {
        warn_not_fit(p->name, t.memory.total_bytes, a.mem_capacity_bytes);
        return MS_EXIT_MEMORY;
    }
    return MS_EXIT_OK;
}

static int eval_single(const ms_plan *p, ms_out *o)
{
    ms_workload w;
    ms_workload_default(&w);
    w.mode = p->mode;
    w.batch_size = p->batch_size;
    w.seq_len = p->seq_len;
    w.precision = p->precision;
    w.efficiency = p->efficiency;
    w.recompute = p->recompute;
    w.optimizer = p->optimizer;
    w.zero_stage = 0;
    if (p->mode == MS_MODE_INFERENCE && p->count > 1) {
        /* replicas: the batch is split over the accelerators, each serving its share */
        w.batch_size = (p->batch_size + p->count - 1) / p->count;
        fprintf(stderr, "mlsysim: note: inference on %d accelerators is modeled as %d replicas of batch %d\n",
                p->count, p->count, w.batch_size);
    }
    ms_eval_result r;
    ms_eval(&p->model, &p->hw, &w, &r);
    ms_cli_put_eval(o, &p->model, &p->hw, &w, &r);
    if (p->count > 1) {
        ms_out_int(o, "accelerators", p->count);
        ms_out_num(o, "fleet_throughput_per_s", r.throughput_per_s * p->count);
    }
    int decoder = p->model.kind == MS_MODEL_TRANSFORMER && !p->model.arch.encoder;
    if (decoder && p->mode == MS_MODE_INFERENCE) {
        ms_serve_input si;
        ms_serve_input_default(&si);
        si.batch_size = w.batch_size;
        si.seq_len = p->seq_len;
        si.precision = p->precision;
        si.efficiency = p->efficiency;
        ms_serve_result s;
        if (ms_serve(&p->model, &p->hw, &si, &s) == MS_OK) {
            ms_out_num(o, "ttft_s", s.ttft_s);
            ms_out_num(o, "itl_s", s.itl_s);
            ms_out_num(o, "tokens_per_s", s.tokens_per_s);
            ms_out_int(o, "max_concurrent_sequences", s.max_concurrent_sequences);
        }
    }
    if (p->has_ops) {
        ms_dist_accel_t a = {ms_hw_peak(&p->hw, p->precision), p->hw.mem_bw_bytes_per_s, p->hw.mem_bytes,
                             p->hw.tdp_w, p->hw.price_usd, p->efficiency};
        ms_dist_grid_t g = grid_of(p);
        ms_dist_econ_inputs_t e = {0};
        e.utilization = r.mfu;
        double dur = p->duration_days * 86400.0;
        double items = r.throughput_per_s * p->count * dur;
        ms_dist_ops_t ops;
        ms_out_num(o, "step_energy_j", r.energy_j);
        if (ms_econ_run(&a, p->count, dur, items, &g, &e, &ops) == MS_DIST_OK) put_ops(o, p, &ops);
    }
    if (!r.feasible) {
        warn_not_fit(p->name, r.memory_bytes, r.memory_capacity_bytes);
        return MS_EXIT_MEMORY;
    }
    return MS_EXIT_OK;
}

int ms_cli_eval_plan(ms_cli *c, const ms_plan *p, ms_out *o)
{
    (void)c;
    ms_out_str(o, "plan", p->name);
    int distributed = p->mode == MS_MODE_TRAINING && (p->count > 1 || p->has_parallelism);
    if (distributed && p->count == 1 && p->model.kind != MS_MODEL_TRANSFORMER) distributed = 0;
    return distributed ? eval_distributed(p, o) : eval_single(p, o);
}

/* Checks constraints.assert against the output keys. Returns 0, MS_EXIT_ASSERT or MS_EXIT_INPUT. */
static int check_asserts(const ms_plan *p, ms_out *o)
{
    char json[4096];
    size_t n = 0;
    int failed = 0;
    json[n++] = '[';
    for (int i = 0; i < p->n_asserts; i++) {
        const ms_plan_assert *a = &p->asserts[i];
        double v;
        if (!ms_out_get(o, a->metric, &v)) {
            fprintf(stderr, "mlsysim: %s:%d: constraints.assert[%d].metric: '%s' is not produced by this plan\n",
                    p->path, a->line, i, a->metric);
            return MS_EXIT_INPUT;
        }
        int bad = (a->has_max && !(v <= a->max)) || (a->has_min && !(v >= a->min));
        if (!bad) continue;
        char hv[64];
        ms_fmt_human(a->metric, v, hv, sizeof hv);
        fprintf(stderr, "mlsysim: %s:%d: assert failed: %s = %s (%.6g)%s%.6g%s%.6g\n", p->path, a->line,
                a->metric, hv, v, a->has_min ? ", min " : "", a->has_min ? a->min : 0.0,
                a->has_max ? ", max " : "", a->has_max ? a->max : 0.0);
        int w = snprintf(json + n, sizeof json - n, "%s{\"metric\": \"%s\", \"value\": %.10g%s", failed ? ", " : "",
                         a->metric, isfinite(v) ? v : 0.0, "");
        if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w;
        if (a->has_min) { w = snprintf(json + n, sizeof json - n, ", \"min\": %.10g", a->min); if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w; }
        if (a->has_max) { w = snprintf(json + n, sizeof json - n, ", \"max\": %.10g", a->max); if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w; }
        w = snprintf(json + n, sizeof json - n, ", \"line\": %d}", a->line);
        if (w > 0 && (size_t)w < sizeof json - n) n += (size_t)w;
        failed++;
    }
    if (n + 2 < sizeof json) { json[n++] = ']'; json[n] = 0; }
    if (p->n_asserts > 0) {
        ms_out_str(o, "status", failed ? "sla_failed" : "ok");
        ms_out_int(o, "asserts_checked", p->n_asserts);
        ms_out_int(o, "asserts_failed", failed);
        if (failed) ms_out_raw(o, "violations", json);
    }
    return failed ? MS_EXIT_ASSERT : MS_EXIT_OK;
}

int ms_cli_eval(ms_cli *c, int argc, char **argv)
{
    int plan_arg = argc >= 2 && argv[1][0] != '-' &&
                   (ends_with(argv[1], ".yaml") || ends_with(argv[1], ".yml") ||
                    (argc == 2 && !ms_registry_model(c->reg, argv[1]) && strchr(argv[1], '/')));
    if (plan_arg) {
        if (argc > 2) { fprintf(stderr, "mlsysim eval: a plan takes no flags (put them in the plan): '%s'\n", argv[2]); return MS_EXIT_INPUT; }
        ms_plan *p = calloc(1, sizeof *p);
        if (!p) return MS_EXIT_INPUT;
        char err[1024];
        if (ms_plan_load_file(c->reg, argv[1], p, err, sizeof err) != MS_OK) {
            fprintf(stderr, "mlsysim: %s\n", err);
            if (c->fmt == MS_FMT_JSON) {
                printf("{\"status\": \"error\", \"reason\": ");
                ms_json_str(stdout, err);
                printf("}\n");
            }
            free(p);
            return MS_EXIT_INPUT;
        }
        ms_out *o = malloc(sizeof *o);
        if (!o) { free(p); return MS_EXIT_INPUT; }
        ms_out_init(o, p->name);
        int rc = ms_cli_eval_plan(c, p, o);
        if (rc == MS_EXIT_OK || rc == MS_EXIT_MEMORY) {
            int arc = check_asserts(p, o);
            if (arc == MS_EXIT_INPUT) rc = arc;
            else if (rc == MS_EXIT_OK) rc = arc;
            if (rc != MS_EXIT_INPUT) ms_out_print(o, c->fmt, stdout);
        }
        ms_out_free(o);
        free(o);
        free(p);
        return rc;
    }
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_TRAIN, &op);
    if (rc) return rc;
    ms_eval_result r;
    ms_eval(op.model, op.hw, &op.w, &r);
    ms_out o;
    char title[400];
    snprintf(title, sizeof title, "%s on %s (%s, %s)", op.model->title, op.hw->title,
             ms_mode_name(op.w.mode), ms_precision_name(op.w.precision));
    ms_out_init(&o, title);
    ms_cli_put_eval(&o, op.model, op.hw, &op.w, &r);
    ms_out_print(&o, c->fmt, stdout);
    ms_out_free(&o);
    if (!r.feasible) {
        warn_not_fit(op.model->name, r.memory_bytes, r.memory_capacity_bytes);
        return MS_EXIT_MEMORY;
    }
    return MS_EXIT_OK;
}
