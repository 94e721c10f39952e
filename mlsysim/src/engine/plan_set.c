/* plan_set.c - changes one field of a loaded plan by its dotted YAML name ("workload.batch_size",
 * "hardware.accelerator", "parallelism.tp"): what a sweep, a slider or a what-if question varies.
 *
 * Invariants: the value is checked as the plan reader checks it (type, range, registry name); on
 * error the plan is unchanged and err says "key: reason". Derived fields follow: a new
 * accelerator count or tp/pp re-derives dp (and caps per_node); a new model keeps the workload's
 * other fields. */
#include "mlsysim/distributed.h"
#include "mlsysim/engine.h"
#include "mlsysim/solvers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int to_int(const char *v, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max) return -1;
    *out = (int)x;
    return 0;
}

static int to_num(const char *v, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < min || x > max) return -1;
    *out = x;
    return 0;
}

static int to_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) { *out = 1; return 0; }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) { *out = 0; return 0; }
    return -1;
}

/* Integer fields: key, offset, range. */
static const struct { const char *key; size_t off; long min, max; } ints[] = {
    {"workload.batch_size", offsetof(ms_plan, batch_size), 1, 100000000},
    {"workload.seq_len", offsetof(ms_plan, seq_len), 1, 100000000},
    {"workload.steps", offsetof(ms_plan, steps), 0, 10000},
    {"hardware.count", offsetof(ms_plan, count), 1, 100000000},
    {"hardware.per_node", offsetof(ms_plan, per_node), 1, 1000000},
    {"parallelism.tp", offsetof(ms_plan, tp), 1, 1000000},
    {"parallelism.pp", offsetof(ms_plan, pp), 1, 1000000},
    {"parallelism.microbatch", offsetof(ms_plan, microbatch), 1, 1000000},
    {"parallelism.interleave", offsetof(ms_plan, interleave), 1, 1000},
    {"parallelism.zero_stage", offsetof(ms_plan, zero_stage), 0, 3},
    {"parallelism.shard_group", offsetof(ms_plan, shard_group), 0, 1000000},
};

/* set_off: the flag that says the plan gave the value, over its framework's default (0 = none) */
static const struct { const char *key; size_t off, set_off; } bools[] = {
    {"parallelism.sequence_parallel", offsetof(ms_plan, sequence_parallel), 0},
    {"parallelism.overlap_dp", offsetof(ms_plan, overlap_dp), 0},
    {"parallelism.flash_attention", offsetof(ms_plan, flash_attention), 0},
    {"parallelism.tp_comm_overlap", offsetof(ms_plan, tp_comm_overlap), 0},
    {"parallelism.pp_comm_overlap", offsetof(ms_plan, pp_comm_overlap), offsetof(ms_plan, pp_comm_overlap_set)},
    {"parallelism.cp_allgather", offsetof(ms_plan, cp_allgather), offsetof(ms_plan, cp_allgather_set)},
};

const char *const ms_plan_set_keys =
    "workload.model workload.mode workload.batch_size workload.seq_len workload.optimizer workload.steps workload.cfg workload.moe_routing "
    "hardware.accelerator hardware.count hardware.per_node hardware.precision hardware.efficiency "
    "hardware.memory_reserve hardware.decode_serial hardware.power_limit hardware.congestion hardware.straggler hardware.topology parallelism.moe_imbalance hardware.weight_precision hardware.kv_precision "
    "hardware.fabric parallelism.tp parallelism.pp parallelism.microbatch parallelism.interleave "
    "parallelism.recompute parallelism.recompute_layer_fraction parallelism.sequence_parallel parallelism.zero_stage parallelism.shard_group parallelism.overlap_dp "
    "parallelism.flash_attention parallelism.tp_comm_overlap parallelism.pp_comm_overlap parallelism.cp_allgather parallelism.attention_kernel parallelism.optimizer_impl parallelism.launch_overhead parallelism.framework ops.region ops.duration_days";

/* dp follows count / (tp·pp·cp) when the plan splits the cluster; per_node never exceeds count. */
static void rederive(ms_plan *p)
{
    if (p->per_node > p->count) p->per_node = p->count;
    while (p->per_node > 1 && p->count % p->per_node) p->per_node--;
    long tpp = (long)p->tp * p->pp * (p->cp > 0 ? p->cp : 1);
    p->dp = tpp > 0 && p->count % tpp == 0 ? (int)(p->count / tpp) : 0;
}

/* The settable field `key` names: its dotted name, or the field whose name after the section is
 * key ("batch_size" is workload.batch_size, "tp" parallelism.tp; no two sections share one, which
 * test_engine checks), copied to full. 0, or -1 with err saying so, and naming the nearest field
 * when one is within two edits. */
static int resolve_key(const char *key, char full[64], char *err, size_t errlen)
{
    char best[64] = "";
    int best_d = 3;
    const int dotted = strchr(key, '.') != NULL;
    for (const char *t = ms_plan_set_keys; *t;) {
        size_t w = strcspn(t, " ");
        char k[64];
        snprintf(k, sizeof k, "%.*s", (int)(w < sizeof k - 1 ? w : sizeof k - 1), t);
        const char *tail = strchr(k, '.') + 1;         /* every listed key has its section */
        if (!strcmp(key, dotted ? k : tail)) { snprintf(full, 64, "%s", k); return 0; }
        int d = ms_name_distance(key, dotted ? k : tail);
        if (d < best_d) { best_d = d; snprintf(best, sizeof best, "%s", k); }
        t += w;
        while (*t == ' ') t++;
    }
    if (best[0]) snprintf(err, errlen, "%s: not a settable field; did you mean %s?", key, best);
    else snprintf(err, errlen, "%s: not a settable field (%s)", key, ms_plan_set_keys);
    return -1;
}

ms_status ms_plan_set(const ms_registry *r, ms_plan *p, const char *key_in, const char *value, char *err,
                      size_t errlen)
{
    if (!key_in || !value) { snprintf(err, errlen, "missing key or value"); return MS_ERR_INPUT; }
    char key[64];
    if (resolve_key(key_in, key, err, errlen)) return MS_ERR_INPUT;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (!strcmp(key, ints[i].key)) {
            int v;
            if (to_int(value, ints[i].min, ints[i].max, &v)) {
                snprintf(err, errlen, "%s: '%s' is not an integer in [%ld, %ld]", key, value, ints[i].min, ints[i].max);
                return MS_ERR_INPUT;
            }
            *(int *)((char *)p + ints[i].off) = v;
            if (ints[i].off == offsetof(ms_plan, zero_stage)) p->zero_stage_set = 1;   /* over the framework's */
            if (!strncmp(key, "parallelism.", 12)) p->has_parallelism = 1;
            rederive(p);
            return MS_OK;
        }
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (!strcmp(key, bools[i].key)) {
            int v;
            if (to_bool(value, &v)) { snprintf(err, errlen, "%s: '%s' is not true or false", key, value); return MS_ERR_INPUT; }
            *(int *)((char *)p + bools[i].off) = v;
            if (bools[i].set_off) *(int *)((char *)p + bools[i].set_off) = 1;   /* over the framework's */
            p->has_parallelism = 1;
            return MS_OK;
        }
    if (!strcmp(key, "workload.model")) {
        const ms_model *m = r ? ms_registry_model(r, value) : NULL;
        char why[256];
        if (!m) { snprintf(err, errlen, "%s: unknown model %s", key, ms_registry_unknown_model(r, value, why, sizeof why)); return MS_ERR_INPUT; }
        p->model = *m;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.accelerator")) {
        const ms_hardware *h = r ? ms_registry_hardware(r, value) : NULL;
        char why[256];
        if (!h) { snprintf(err, errlen, "%s: unknown accelerator %s", key, ms_registry_unknown_hardware(r, value, why, sizeof why)); return MS_ERR_INPUT; }
        p->hw = *h;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.fabric")) {
        const ms_fabric *f = r ? ms_registry_fabric(r, value) : NULL;
        if (!f) { snprintf(err, errlen, "%s: unknown fabric '%s' (see `mlsysim zoo systems`)", key, value); return MS_ERR_INPUT; }
        p->fabric = *f;
        p->has_fabric = 1;
        return MS_OK;
    }
    if (!strcmp(key, "ops.region")) {
        const ms_grid *g = r ? ms_registry_grid(r, value) : NULL;
        if (!g) { snprintf(err, errlen, "%s: unknown region '%s' (see `mlsysim zoo grids`)", key, value); return MS_ERR_INPUT; }
        p->grid = *g;
        p->has_ops = 1;
        return MS_OK;
    }
    if (!strcmp(key, "workload.mode")) {
        if (ms_mode_parse(value, &p->mode)) { snprintf(err, errlen, "%s: '%s' is not inference or training", key, value); return MS_ERR_INPUT; }
        return MS_OK;
    }
    if (!strcmp(key, "workload.cfg")) {
        if (!strcmp(value, "model")) p->cfg = MS_CFG_MODEL;
        else if (!strcmp(value, "on") || !strcmp(value, "true")) p->cfg = MS_CFG_ON;
        else if (!strcmp(value, "off") || !strcmp(value, "false")) p->cfg = MS_CFG_OFF;
        else { snprintf(err, errlen, "%s: '%s' is not model, on or off", key, value); return MS_ERR_INPUT; }
        return MS_OK;
    }
    if (!strcmp(key, "workload.moe_routing")) {
        if (ms_moe_routing_parse(value, &p->moe_routing)) { snprintf(err, errlen, "%s: '%s' is not " MS_MOE_ROUTING_WORDS, key, value); return MS_ERR_INPUT; }
        return MS_OK;
    }
    if (!strcmp(key, "workload.optimizer")) {
        if (ms_optimizer_parse(value, &p->optimizer)) { snprintf(err, errlen, "%s: '%s' is not adam, sgd or none", key, value); return MS_ERR_INPUT; }
        return MS_OK;
    }
    if (!strcmp(key, "hardware.topology")) {
        ms_topology x;
        if (ms_topology_parse(value, &x)) {
            snprintf(err, errlen, "%s: unknown topology '%s' (fat-tree dragonfly torus3d ring)", key, value);
            return MS_ERR_INPUT;
        }
        p->topology = (int)x;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.precision")) {
        if (ms_precision_parse(value, &p->precision)) {
            snprintf(err, errlen, "%s: unknown precision '%s' (fp32 tf32 bf16 fp16 fp8 int8 int4 fp4)", key, value);
            return MS_ERR_INPUT;
        }
        return MS_OK;
    }
    if (!strcmp(key, "hardware.weight_precision") || !strcmp(key, "hardware.kv_precision")) {
        ms_precision x;
        if (ms_precision_parse(value, &x)) {
            snprintf(err, errlen, "%s: unknown precision '%s' (fp32 tf32 bf16 fp16 fp8 int8 int4 fp4)", key, value);
            return MS_ERR_INPUT;
        }
        if (key[9] == 'w') p->weight_precision = (int)x; else p->kv_precision = (int)x;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.attention_kernel")) {
        if (ms_dist_attn_kernel_parse(value, &p->attention_kernel)) { snprintf(err, errlen, "%s: '%s' is not flash2 or flash1", key, value); return MS_ERR_INPUT; }
        p->has_parallelism = 1;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.optimizer_impl")) {
        if (ms_dist_opt_impl_parse(value, &p->optimizer_impl)) { snprintf(err, errlen, "%s: '%s' is not " MS_DIST_OPT_IMPL_WORDS, key, value); return MS_ERR_INPUT; }
        p->optimizer_impl_set = 1;
        p->has_parallelism = 1;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.recompute")) {
        if (ms_recompute_parse(value, &p->recompute)) { snprintf(err, errlen, "%s: '%s' is not none, selective or full", key, value); return MS_ERR_INPUT; }
        p->has_parallelism = 1;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.framework")) {
        if (strlen(value) >= sizeof p->framework) {
            snprintf(err, errlen, "%s: '%s' is longer than %zu characters", key, value, sizeof p->framework - 1);
            return MS_ERR_INPUT;
        }
        snprintf(p->framework, sizeof p->framework, "%s", value);
        p->has_parallelism = 1;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.efficiency")) {
        double v;
        if (to_num(value, 1e-6, 1.0, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in (0, 1]", key, value); return MS_ERR_INPUT; }
        p->efficiency = v;
        p->efficiency_set = 1;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.decode_serial")) {
        double v;
        if (to_num(value, 0.0, 1.0, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in [0, 1]", key, value); return MS_ERR_INPUT; }
        p->decode_serial = v;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.memory_reserve")) {
        double v;
        if (to_num(value, 0.0, 0.9, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in [0, 0.9]", key, value); return MS_ERR_INPUT; }
        p->memory_reserve = v;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.congestion") || !strcmp(key, "hardware.straggler") ||
        !strcmp(key, "parallelism.moe_imbalance")) {
        double v;
        if (to_num(value, 1.0, 1e6, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in [1, 1e6]", key, value); return MS_ERR_INPUT; }
        *(key[0] == 'p' ? &p->moe_imbalance : !strcmp(key, "hardware.congestion") ? &p->congestion : &p->straggler) = v;
        return MS_OK;
    }
    if (!strcmp(key, "hardware.power_limit")) {     /* '500 W', '0.5 kW' or watts; 0 = the TDP */
        double v;
        char qe[256];
        if (ms_parse_quantity(value, "W", &v, qe, sizeof qe)) {           /* a bare number is watts */
            snprintf(err, errlen, "%s: '%s' is not a power ('500 W', or watts; 0 = the TDP)", key, value);
            return MS_ERR_INPUT;
        }
        if (v < 0) { snprintf(err, errlen, "%s: '%s' is negative", key, value); return MS_ERR_INPUT; }
        p->power_limit_w = v;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.launch_overhead")) {  /* '4 us', or seconds; 0 = none (a CUDA graph) */
        double v;
        char qe[256];
        if (ms_parse_quantity(value, "s", &v, qe, sizeof qe) || v < 0 || v > MS_PLAN_LAUNCH_OVERHEAD_MAX_S) {
            snprintf(err, errlen, "%s: '%s' is not a kernel launch time in [0, 1 ms] ('4 us', or seconds; 0 = none)", key, value);
            return MS_ERR_INPUT;
        }
        p->launch_overhead_s = v;
        p->launch_overhead_set = 1;
        p->has_parallelism = 1;
        return MS_OK;
    }
    if (!strcmp(key, "parallelism.recompute_layer_fraction")) {
        double v;
        if (to_num(value, 1e-6, 1.0, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in (0, 1]", key, value); return MS_ERR_INPUT; }
        p->recompute_layer_fraction = v;
        return MS_OK;
    }
    if (!strcmp(key, "ops.duration_days")) {
        double v;
        if (to_num(value, 1e-9, 1e6, &v)) { snprintf(err, errlen, "%s: '%s' is not a number in (0, 1e6]", key, value); return MS_ERR_INPUT; }
        p->duration_days = v;
        p->has_ops = 1;
        return MS_OK;
    }
    snprintf(err, errlen, "%s: not a settable field (%s)", key, ms_plan_set_keys);   /* a listed key left out above */
    return MS_ERR_INPUT;
}
