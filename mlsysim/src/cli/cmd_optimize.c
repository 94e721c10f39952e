/* cmd_optimize.c - `mlsysim optimize parallelism|placement|batching PLAN.yaml` (batching also takes
 * MODEL HARDWARE): design searches
 * from the fleet-scale API on top of a plan.
 *   parallelism  every TP x PP x micro-batch x recompute x ZeRO x sequence-parallel point for the
 *                plan's cluster (training); the fastest that fit, and why the others lose
 *   placement    every registry grid: cost + carbon_kg/1000 x --carbon-tax (USD/t, default 100)
 *                for the plan's fleet over ops.duration_days, each region evaluated by the engine
 *   batching     batch size and replica count meeting --sla-ms at --qps (requests/s):
 *                ms_plan_batching (engine.h); a replica is the plan's tp x pp group, a request of
 *                a decoder LM or SSM a prompt of seq_len plus --output-tokens (default 128) */
#include "cli.h"
#include "mlsysim/distributed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void json_cat(char *buf, size_t cap, size_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#include <stdarg.h>
static void json_cat(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (w > 0) *n = *n + (size_t)w < cap ? *n + (size_t)w : cap;
}

/* A candidate's recompute as the plan names it: a framework's own selective recomputation
 * (torchtitan's operator-level policy, ms_dist_stack_selective) is its "selective". */
static const char *rc_name(int rc)
{
    return rc == MS_DIST_RECOMPUTE_OPS ? "selective" : ms_recompute_name((ms_recompute)rc);
}

static int opt_parallelism(ms_cli *c, const ms_plan *p)
{
    if (p->mode != MS_MODE_TRAINING) {
        fprintf(stderr, "mlsysim optimize parallelism: %s: workload.mode must be training\n", p->path);
        return MS_EXIT_INPUT;
    }
    ms_dist_accel_t a;
    ms_dist_model_t m;
    ms_dist_parallel_t base;
    ms_dist_fabric_t f;
    char err[512];
    if (ms_plan_to_dist(p, &a, &m, &base, &f, err, sizeof err)) {
        fprintf(stderr, "mlsysim: %s\n", err);
        return MS_EXIT_INPUT;
    }
    base.dp = 0;                                   /* derived per candidate */
    ms_dist_search_result_t *r = malloc(sizeof *r);
    if (!r) return MS_EXIT_INPUT;
    /* recompute none, the framework's selective, full */
    const int rc_axis[] = {MS_DIST_RECOMPUTE_NONE, (int)ms_dist_stack_selective(p->framework), MS_DIST_RECOMPUTE_FULL, -1};
    ms_dist_space_t space = {0};
    space.sequence_parallel = -1;
    space.recompute = rc_axis;
    if (ms_dist_search_parallelism(&a, &m, &f, p->count, &base, &space, 5, r, err, sizeof err) != MS_DIST_OK) {
        fprintf(stderr, "mlsysim optimize parallelism: %s\n", err);
        free(r);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Parallelism search: %s on %d x %s", p->model.name, p->count, p->hw.name);
    ms_result_init(&o, title);
    ms_result_str(&o, "plan", p->name);
    ms_result_int(&o, "accelerators", p->count);
    ms_result_int(&o, "evaluated", r->evaluated);
    ms_result_int(&o, "feasible_count", r->feasible);
    ms_result_num(&o, "search_time_s", r->seconds);
    int rc = MS_EXIT_OK;
    long valid = r->evaluated - r->lost[MS_LOSE_INVALID];
    if (r->n_best == 0 && valid <= 0) {
        fprintf(stderr, "mlsysim optimize parallelism: %s: no valid configuration: no tp x pp (tp dividing the %d heads, "
                "pp <= %d layers) splits %d accelerators into data-parallel groups that divide the batch of %d; "
                "change hardware.count or workload.batch_size\n",
                p->path, p->model.arch.heads, p->model.arch.layers, p->count, p->batch_size);
        rc = MS_EXIT_INPUT;
    } else if (r->n_best == 0) {
        fprintf(stderr, "mlsysim optimize parallelism: none of the %ld valid configurations fits in memory", valid);
        if (r->has_example[MS_LOSE_MEMORY]) {
            const ms_dist_candidate_t *x = &r->example[MS_LOSE_MEMORY];
            fprintf(stderr, " (the closest, tp %d pp %d dp %d mb %d %s zero %d, needs %.3g GB per accelerator of %.3g GB)",
                    x->par.tp, x->par.pp, x->res.dp, x->par.microbatch,
                    rc_name(x->par.recompute), x->par.zero_stage,
                    x->res.memory.total_bytes / 1e9, p->hw.mem_bytes / 1e9);
        }
        fputc('\n', stderr);
        rc = MS_EXIT_MEMORY;
    } else {
        const ms_dist_candidate_t *b = &r->best[0];
        ms_result_int(&o, "tp", b->par.tp);
        ms_result_int(&o, "pp", b->par.pp);
        ms_result_int(&o, "dp", b->res.dp);
        ms_result_int(&o, "microbatch", b->par.microbatch);
        ms_result_str(&o, "recompute", rc_name(b->par.recompute));
        ms_result_int(&o, "zero_stage", b->par.zero_stage);
        ms_result_bool(&o, "sequence_parallel", b->par.sequence_parallel);
        ms_result_num(&o, "step_time_s", b->res.step_time_s);
        ms_result_num(&o, "tokens_per_s", b->res.tokens_per_s);
        ms_result_num(&o, "tflops_per_accelerator", b->res.tflops_per_accelerator);
        ms_result_num(&o, "mfu", b->res.mfu);
        ms_result_num(&o, "bubble_fraction", b->res.bubble_fraction);
        ms_result_num(&o, "communication_s", b->res.communication_s);
        ms_result_num(&o, "memory_per_accelerator_bytes", b->res.memory.total_bytes);
        char json[8192];
        size_t n = 0;
        json_cat(json, sizeof json, &n, "[");
        for (int i = 0; i < r->n_best; i++) {
            const ms_dist_candidate_t *x = &r->best[i];
            json_cat(json, sizeof json, &n,
                     "%s{\"tp\": %d, \"pp\": %d, \"dp\": %d, \"microbatch\": %d, \"recompute\": \"%s\", "
                     "\"zero_stage\": %d, \"sequence_parallel\": %s, \"step_time_s\": %.10g, \"mfu\": %.10g, "
                     "\"memory_per_accelerator_bytes\": %.10g}",
                     i ? ", " : "", x->par.tp, x->par.pp, x->res.dp, x->par.microbatch,
                     rc_name(x->par.recompute), x->par.zero_stage,
                     x->par.sequence_parallel ? "true" : "false", x->res.step_time_s, x->res.mfu,
                     x->res.memory.total_bytes);
        }
        json_cat(json, sizeof json, &n, "]");
        ms_result_raw(&o, "top", json);
        n = 0;
        json_cat(json, sizeof json, &n, "{");
        int first = 1;
        for (int k = MS_LOSE_MEMORY; k <= MS_LOSE_INVALID; k++) {
            json_cat(json, sizeof json, &n, "%s\"%s\": %ld", first ? "" : ", ",
                     ms_dist_loss_reason_name((ms_dist_loss_reason_t)k), r->lost[k]);
            first = 0;
        }
        json_cat(json, sizeof json, &n, "}");
        ms_result_raw(&o, "lost_by_reason", json);
        if (c->fmt != MS_FMT_JSON) {
            for (int i = 0; i < r->n_best; i++) {
                const ms_dist_candidate_t *x = &r->best[i];
                char key[48], val[160];
                snprintf(key, sizeof key, "rank_%d", i + 1);
                snprintf(val, sizeof val, "tp %d pp %d dp %d mb %d %s zero %d%s: %.4g s/step, MFU %.1f %%",
                         x->par.tp, x->par.pp, x->res.dp, x->par.microbatch,
                         rc_name(x->par.recompute), x->par.zero_stage,
                         x->par.sequence_parallel ? " sp" : "", x->res.step_time_s, 100 * x->res.mfu);
                ms_result_str(&o, key, val);
            }
            for (int k = MS_LOSE_MEMORY; k <= MS_LOSE_INVALID; k++) {
                char key[48];
                snprintf(key, sizeof key, "lost_%s", ms_dist_loss_reason_name((ms_dist_loss_reason_t)k));
                ms_result_int(&o, key, r->lost[k]);
            }
        }
        /* one example per reason: the fastest configuration that lost for it */
        n = 0;
        json_cat(json, sizeof json, &n, "{");
        first = 1;
        for (int k = MS_LOSE_MEMORY; k < MS_LOSE_INVALID; k++) {
            if (!r->has_example[k]) continue;
            const ms_dist_candidate_t *x = &r->example[k];
            char val[200];
            snprintf(val, sizeof val, "tp %d pp %d dp %d mb %d %s zero %d%s: %.4g s/step, %.3g GB per accelerator",
                     x->par.tp, x->par.pp, x->res.dp, x->par.microbatch,
                     rc_name(x->par.recompute), x->par.zero_stage,
                     x->par.sequence_parallel ? " sp" : "", x->res.step_time_s, x->res.memory.total_bytes / 1e9);
            if (c->fmt != MS_FMT_JSON) {
                char key[48];
                snprintf(key, sizeof key, "example_%s", ms_dist_loss_reason_name((ms_dist_loss_reason_t)k));
                ms_result_str(&o, key, val);
            }
            json_cat(json, sizeof json, &n, "%s\"%s\": {\"tp\": %d, \"pp\": %d, \"dp\": %d, \"microbatch\": %d, "
                     "\"recompute\": \"%s\", \"zero_stage\": %d, \"sequence_parallel\": %s, \"step_time_s\": %.10g, "
                     "\"memory_per_accelerator_bytes\": %.10g}",
                     first ? "" : ", ", ms_dist_loss_reason_name((ms_dist_loss_reason_t)k), x->par.tp, x->par.pp,
                     x->res.dp, x->par.microbatch, rc_name(x->par.recompute),
                     x->par.zero_stage, x->par.sequence_parallel ? "true" : "false", x->res.step_time_s,
                     x->res.memory.total_bytes);
            first = 0;
        }
        json_cat(json, sizeof json, &n, "}");
        ms_result_raw(&o, "loss_examples", json);
    }
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    free(r);
    return rc;
}

/* Every registry region through the engine: the plan with that region's ops, evaluated by
 * ms_plan_eval, so each region's cost and carbon are exactly what `eval` prints for it. */
static int opt_placement(ms_cli *c, const ms_plan *p, double tax)
{
    size_t ng = ms_registry_grid_count(c->reg);
    if (ng > 64) ng = 64;
    ms_plan *q = malloc(sizeof *q);
    ms_result *res = malloc(sizeof *res);
    double (*row)[5] = malloc(sizeof *row * (ng ? ng : 1));   /* objective, cost, carbon, energy, water */
    if (!q || !res || !row) { free(q); free(res); free(row); return MS_EXIT_INPUT; }
    int rc = MS_EXIT_OK;
    size_t best = 0;
    for (size_t i = 0; i < ng; i++) {
        *q = *p;
        q->grid = *ms_registry_grid_at(c->reg, i);
        q->has_ops = 1;
        q->n_asserts = 0;                            /* the plan's constraints are eval's business */
        ms_status st = ms_plan_eval(c->reg, q, res);
        if (st == MS_ERR_INPUT) {
            fprintf(stderr, "mlsysim: %s\n", res->error);
            ms_result_free(res);
            free(q); free(res); free(row);
            return MS_EXIT_INPUT;
        }
        if (st == MS_ERR_MEMORY) {
            if (rc == MS_EXIT_OK) ms_cli_print_notes(res);
            rc = MS_EXIT_MEMORY;
        }
        double v[5] = {0, 0, 0, 0, 0};
        ms_result_get(res, "cost_usd", &v[1]);
        ms_result_get(res, "carbon_kg", &v[2]);
        ms_result_get(res, "energy_j", &v[3]);
        ms_result_get(res, "water_l", &v[4]);
        v[0] = v[1] + v[2] / 1000.0 * tax;
        memcpy(row[i], v, sizeof v);
        if (row[i][0] < row[best][0]) best = i;
        ms_result_free(res);
    }
    ms_result o;
    char title[400];
    double dur = p->duration_days * 86400.0;
    snprintf(title, sizeof title, "Placement: %d x %s for %.4g days, carbon tax $%.4g/t", p->count, p->hw.name,
             p->duration_days, tax);
    ms_result_init(&o, title);
    ms_result_str(&o, "plan", p->name);
    ms_result_num(&o, "carbon_tax_usd_per_t", tax);
    ms_result_num(&o, "duration_s", dur);
    ms_result_str(&o, "best_region", ms_registry_grid_at(c->reg, best)->name);
    ms_result_num(&o, "objective_usd", row[best][0]);
    ms_result_num(&o, "cost_usd", row[best][1]);
    ms_result_num(&o, "carbon_kg", row[best][2]);
    ms_result_num(&o, "energy_j", row[best][3]);
    ms_result_num(&o, "water_l", row[best][4]);
    char json[8192];
    size_t n = 0;
    json_cat(json, sizeof json, &n, "[");
    for (size_t i = 0; i < ng; i++)
        json_cat(json, sizeof json, &n, "%s{\"region\": \"%s\", \"objective_usd\": %.10g, \"cost_usd\": %.10g, \"carbon_kg\": %.10g, \"water_l\": %.10g}",
                 i ? ", " : "", ms_registry_grid_at(c->reg, i)->name, row[i][0], row[i][1], row[i][2], row[i][4]);
    json_cat(json, sizeof json, &n, "]");
    ms_result_raw(&o, "regions", json);
    if (c->fmt != MS_FMT_JSON)
        for (size_t i = 0; i < ng; i++) {
            char key[64], val[160];
            snprintf(key, sizeof key, "region_%s", ms_registry_grid_at(c->reg, i)->name);
            snprintf(val, sizeof val, "$%.2f (cost $%.2f, %.4g kg CO2e)", row[i][0], row[i][1], row[i][2]);
            ms_result_str(&o, key, val);
        }
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    free(q);
    free(res);
    free(row);
    return rc;
}

static int opt_batching(ms_cli *c, const ms_plan *p, double sla_s, double qps, int output_tokens)
{
    if (!(sla_s > 0) || !(qps > 0)) {
        fprintf(stderr, "mlsysim optimize batching: needs --sla-ms and --qps\n");
        return MS_EXIT_INPUT;
    }
    ms_plan_batching_result r;
    char err[1024];
    ms_status st = ms_plan_batching(c->reg, p, sla_s, qps, output_tokens, &r, err, sizeof err);
    if (st != MS_OK) {
        fprintf(stderr, "mlsysim optimize batching: %s\n", err);
        return st == MS_ERR_MEMORY ? MS_EXIT_MEMORY : st == MS_ERR_ASSERT ? MS_EXIT_ASSERT : MS_EXIT_INPUT;
    }
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Batching: %s on %s at %.4g req/s, p99 <= %.4g ms", p->model.name, p->hw.name, qps,
             sla_s * 1e3);
    ms_result_init(&o, title);
    ms_result_str(&o, "plan", p->name);
    ms_result_num(&o, "qps", qps);
    ms_result_num(&o, "sla_s", sla_s);
    if (r.per_request) ms_result_int(&o, "output_tokens", output_tokens);
    ms_result_int(&o, "batch_size", r.batch_size);
    ms_result_int(&o, "replicas", r.replicas);
    ms_result_int(&o, "accelerators_per_replica", r.accelerators_per_replica);
    ms_result_int(&o, "accelerators", (long long)r.replicas * r.accelerators_per_replica);
    ms_result_num(&o, "batch_latency_s", r.batch_latency_s);
    ms_result_num(&o, "p99_latency_s", r.p99_latency_s);
    ms_result_num(&o, "utilization", r.utilization);
    ms_result_num(&o, "throughput_per_s", r.throughput_per_s);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    return MS_EXIT_OK;
}

static void optimize_help(void)
{
    printf("usage: mlsysim optimize parallelism PLAN.yaml\n"
           "       mlsysim optimize placement PLAN.yaml [--carbon-tax USD_PER_T]\n"
           "       mlsysim optimize batching (PLAN.yaml | MODEL HARDWARE [--seq-len S] [--precision P])\n"
           "                                 --sla-ms T --qps Q [--output-tokens N]\n"
           "\n"
           "parallelism  every TP x PP (any divisor of the cluster) x micro-batch x recompute x ZeRO x\n"
           "             sequence-parallel point of a training plan; the fastest that fit, and for each\n"
           "             reason the others lose (memory, bubble, communication, compute) an example\n"
           "placement    the grid region that minimises cost + carbon tax (default $100/t)\n"
           "batching     the batch size and fewest replicas whose p99 latency meets --sla-ms at --qps\n"
           "\n"
           "examples:\n"
           "  mlsysim optimize parallelism mlsysim/examples/llama3_70b_training.yaml\n"
           "  mlsysim optimize placement mlsysim/examples/llama3_70b_training.yaml --carbon-tax 200\n"
           "  mlsysim optimize batching Llama3_8B H100 --sla-ms 5000 --qps 20\n"
           "\n"
           "exit codes: 0 ok, 1 bad input (or no valid configuration), 2 nothing fits in memory,\n"
           "            3 nothing meets the latency target\n");
}

int ms_cli_optimize(ms_cli *c, int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    double tax = 100, sla_ms = 0, qps = 0;
    int output_tokens = 128, seq_len = 0, have_prec = 0;
    ms_precision prec = MS_FP16;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { optimize_help(); return MS_EXIT_OK; }
        else if (!strcmp(a, "--carbon-tax")) { if (ms_arg_num(a, v, 0, 1e9, &tax)) return MS_EXIT_INPUT; i++; }
        else if (!strcmp(a, "--sla-ms")) { if (ms_arg_num(a, v, 1e-6, 1e12, &sla_ms)) return MS_EXIT_INPUT; i++; }
        else if (!strcmp(a, "--qps")) { if (ms_arg_num(a, v, 1e-9, 1e12, &qps)) return MS_EXIT_INPUT; i++; }
        else if (!strcmp(a, "--output-tokens")) { if (ms_arg_int(a, v, 1, 100000000, &output_tokens)) return MS_EXIT_INPUT; i++; }
        else if (!strcmp(a, "--seq-len")) { if (ms_arg_int(a, v, 1, 100000000, &seq_len)) return MS_EXIT_INPUT; i++; }
        else if (!strcmp(a, "--precision")) {
            if (!v || ms_precision_parse(v, &prec)) {
                fprintf(stderr, "mlsysim optimize: --precision '%s' is not fp32, tf32, bf16, fp16, fp8, int8, int4 or fp4\n", v ? v : "");
                return MS_EXIT_INPUT;
            }
            have_prec = 1;
            i++;
        }
        else if (a[0] == '-') { fprintf(stderr, "mlsysim optimize: unknown option '%s' (see mlsysim optimize --help)\n", a); return MS_EXIT_INPUT; }
        else if (npos < 3) pos[npos++] = a;
        else { fprintf(stderr, "mlsysim optimize: unexpected argument '%s'\n", a); return MS_EXIT_INPUT; }
    }
    const char *what = pos[0];
    if (!what || npos < 2) {
        fprintf(stderr, "usage: mlsysim optimize parallelism|placement|batching PLAN.yaml [options] (see --help)\n");
        return MS_EXIT_INPUT;
    }
    if (strcmp(what, "parallelism") && strcmp(what, "placement") && strcmp(what, "batching")) {
        fprintf(stderr, "mlsysim optimize: '%s' is not parallelism, placement or batching\n", what);
        return MS_EXIT_INPUT;
    }
    int model_hw = npos == 3;
    if (model_hw && strcmp(what, "batching")) {
        fprintf(stderr, "mlsysim optimize %s: takes a plan file (MODEL HARDWARE is for batching)\n", what);
        return MS_EXIT_INPUT;
    }
    if (!model_hw && (seq_len || have_prec)) {
        fprintf(stderr, "mlsysim optimize: --seq-len and --precision go with MODEL HARDWARE (a plan sets them itself)\n");
        return MS_EXIT_INPUT;
    }
    ms_plan *p = calloc(1, sizeof *p);
    if (!p) return MS_EXIT_INPUT;
    if (model_hw) {
        const ms_model *m = ms_registry_model(c->reg, pos[1]);
        const ms_hardware *h = ms_registry_hardware(c->reg, pos[2]);
        if (!m || !h) {
            fprintf(stderr, "mlsysim optimize: unknown %s '%s' (see `mlsysim zoo %s`)\n", m ? "hardware" : "model",
                    m ? pos[2] : pos[1], m ? "hardware" : "models");
            free(p);
            return MS_EXIT_INPUT;
        }
        ms_plan_init(p, c->reg, m, h);
        snprintf(p->path, sizeof p->path, "%s on %s", m->name, h->name);
        snprintf(p->name, sizeof p->name, "%s on %s", m->name, h->name);
        if (seq_len) p->seq_len = seq_len;
        p->precision = prec;
    } else {
        char err[1024];
        if (ms_plan_load_file(c->reg, pos[1], p, err, sizeof err) != MS_OK) {
            fprintf(stderr, "mlsysim: %s\n", err);
            free(p);
            return MS_EXIT_INPUT;
        }
    }
    int rc;
    if (!strcmp(what, "parallelism")) rc = opt_parallelism(c, p);
    else if (!strcmp(what, "placement")) rc = opt_placement(c, p, tax);
    else rc = opt_batching(c, p, sla_ms / 1e3, qps, output_tokens);
    free(p);
    return rc;
}
