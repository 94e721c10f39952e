/* plan.c - reads a plan (YAML) into ms_plan, resolving registry names; prints its JSON Schema.
 *
 * Invariants: every key is known (unknown keys are refused), every scalar has the right type and
 * range, every name resolves in the registry; any failure is reported as "file:line: field: reason"
 * and leaves *plan unspecified. Accepted upstream spellings: workload.name for workload.model and
 * hardware.name for hardware.accelerator; hardware.accelerators / hardware.nodes for count.
 */
#include "mlsysim/plan.h"
#include "mlsysim/engine.h"
#include "../core/file_util.h"
#include "../core/yaml_util.h"
#include "../registry/internal.h"

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
} reader;

#define FAIL(node, field, ...) msy_fail(&rd->y, node, field, __VA_ARGS__)

static int read_workload(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    char key[64], f[96], name[MS_NAME_MAX];
    int have_model = 0;
    if (!msy_is_map(n)) return FAIL(n, "workload", "expected a mapping");
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        msy_key(pr, key, sizeof key);
        struct fy_node *v = fy_node_pair_value(pr);
        snprintf(f, sizeof f, "workload.%s", key);
        if (!strcmp(key, "model") || !strcmp(key, "name")) {
            if (have_model) return FAIL(v, f, "give one of model / arch");
            if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
            const ms_model *m = ms_registry_model(rd->reg, name);
            if (!m) return FAIL(v, f, "unknown model '%s' (see `mlsysim zoo models`)", name);
            p->model = *m;
            have_model = 1;
        } else if (!strcmp(key, "arch")) {
            if (have_model) return FAIL(v, f, "give one of model / arch");
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
            p->model = m;
            have_model = 1;
        } else if (!strcmp(key, "mode")) {
            char s[32];
            if (msy_str(&rd->y, v, f, s, sizeof s)) return -1;
            if (ms_mode_parse(s, &p->mode)) return FAIL(v, f, "'%s' is not inference or training", s);
        } else if (!strcmp(key, "seq_len")) {
            if (msy_int(&rd->y, v, f, &p->seq_len, 1, 100000000)) return -1;
        } else if (!strcmp(key, "batch_size")) {
            if (msy_int(&rd->y, v, f, &p->batch_size, 1, 100000000)) return -1;
        } else if (!strcmp(key, "optimizer")) {
            char s[32];
            if (msy_str(&rd->y, v, f, s, sizeof s)) return -1;
            if (ms_optimizer_parse(s, &p->optimizer)) return FAIL(v, f, "'%s' is not adam, sgd or none", s);
        } else {
            return FAIL(fy_node_pair_key(pr), f, "unknown field (model arch mode seq_len batch_size optimizer)");
        }
    }
    if (!have_model) return FAIL(n, "workload", "needs 'model' (a registry name) or 'arch'");
    return 0;
}

static int read_hardware(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    char key[64], f[96], name[MS_NAME_MAX];
    int have_hw = 0, nodes = 0;
    if (!msy_is_map(n)) return FAIL(n, "hardware", "expected a mapping");
    void *it = NULL;
    struct fy_node_pair *pr;
    struct fy_node *count_node = NULL;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        msy_key(pr, key, sizeof key);
        struct fy_node *v = fy_node_pair_value(pr);
        snprintf(f, sizeof f, "hardware.%s", key);
        if (!strcmp(key, "accelerator") || !strcmp(key, "name")) {
            if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
            const ms_hardware *h = ms_registry_hardware(rd->reg, name);
            if (!h) {
                const ms_node *nd = ms_registry_node(rd->reg, name);
                if (!nd) return FAIL(v, f, "unknown accelerator '%s' (see `mlsysim zoo hardware`)", name);
                h = ms_registry_hardware(rd->reg, nd->accelerator);
                if (!p->per_node) p->per_node = nd->accelerators;
                if (!p->intra_bw_bytes_per_s) p->intra_bw_bytes_per_s = nd->intra_bw_bytes_per_s;
                p->nics_per_node = nd->nics;
                if (!p->has_fabric && nd->fabric[0]) {
                    const ms_fabric *fb = ms_registry_fabric(rd->reg, nd->fabric);
                    if (fb) { p->fabric = *fb; p->has_fabric = 1; }
                }
            }
            p->hw = *h;
            have_hw = 1;
        } else if (!strcmp(key, "count") || !strcmp(key, "accelerators")) {
            if (msy_int(&rd->y, v, f, &p->count, 1, 100000000)) return -1;
            count_node = v;
        } else if (!strcmp(key, "nodes")) {
            if (msy_int(&rd->y, v, f, &nodes, 1, 10000000)) return -1;
        } else if (!strcmp(key, "per_node") || !strcmp(key, "accelerators_per_node")) {
            if (msy_int(&rd->y, v, f, &p->per_node, 1, 1000000)) return -1;
        } else if (!strcmp(key, "precision")) {
            char s[32];
            if (msy_str(&rd->y, v, f, s, sizeof s)) return -1;
            if (ms_precision_parse(s, &p->precision))
                return FAIL(v, f, "unknown precision '%s' (fp32 tf32 bf16 fp16 fp8 int8 int4 fp4)", s);
        } else if (!strcmp(key, "efficiency")) {
            if (msy_num(&rd->y, v, f, &p->efficiency, 1e-6, 1.0)) return -1;
            p->efficiency_set = 1;
        } else if (!strcmp(key, "fabric")) {
            if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
            const ms_fabric *fb = ms_registry_fabric(rd->reg, name);
            if (!fb) return FAIL(v, f, "unknown fabric '%s' (see `mlsysim zoo systems`)", name);
            p->fabric = *fb;
            p->has_fabric = 1;
        } else if (!strcmp(key, "intra_bw") || !strcmp(key, "intra_node_bw")) {
            if (msy_qty(&rd->y, v, f, "bytes/s", &p->intra_bw_bytes_per_s)) return -1;
        } else {
            return FAIL(fy_node_pair_key(pr), f,
                        "unknown field (accelerator count per_node nodes precision efficiency fabric intra_bw)");
        }
    }
    if (!have_hw) return FAIL(n, "hardware", "needs 'accelerator' (a registry name)");
    if (nodes > 0) {
        if (!p->per_node) p->per_node = 1;
        long long c = (long long)nodes * p->per_node;      /* both <= 10^7: no overflow */
        if (c > 100000000)
            return FAIL(n, "hardware.nodes", "nodes x per_node = %d x %d = %lld accelerators (at most 100000000)",
                        nodes, p->per_node, c);
        if (p->count && p->count != c)
            return FAIL(count_node, "hardware.count", "%d != nodes x per_node = %lld", p->count, c);
        p->count = (int)c;
    }
    if (!p->count) p->count = 1;
    if (!p->per_node) p->per_node = p->count < 8 ? p->count : 8;
    if (p->per_node > p->count) p->per_node = p->count;
    if (p->count % p->per_node)
        return FAIL(count_node ? count_node : n, "hardware.count", "%d accelerators do not fill nodes of %d",
                    p->count, p->per_node);
    return 0;
}

static int read_parallelism(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    char key[64], f[96];
    if (!msy_is_map(n)) return FAIL(n, "parallelism", "expected a mapping");
    p->has_parallelism = 1;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        msy_key(pr, key, sizeof key);
        struct fy_node *v = fy_node_pair_value(pr);
        snprintf(f, sizeof f, "parallelism.%s", key);
        int rc;
        if (!strcmp(key, "tp")) rc = msy_int(&rd->y, v, f, &p->tp, 1, 1000000);
        else if (!strcmp(key, "pp")) rc = msy_int(&rd->y, v, f, &p->pp, 1, 1000000);
        else if (!strcmp(key, "dp")) rc = msy_int(&rd->y, v, f, &p->dp, 0, 100000000);
        else if (!strcmp(key, "microbatch")) rc = msy_int(&rd->y, v, f, &p->microbatch, 1, 1000000);
        else if (!strcmp(key, "interleave")) rc = msy_int(&rd->y, v, f, &p->interleave, 1, 1000);
        else if (!strcmp(key, "zero_stage")) rc = msy_int(&rd->y, v, f, &p->zero_stage, 0, 3);
        else if (!strcmp(key, "sequence_parallel")) rc = msy_bool(&rd->y, v, f, &p->sequence_parallel);
        else if (!strcmp(key, "overlap_dp")) rc = msy_bool(&rd->y, v, f, &p->overlap_dp);
        else if (!strcmp(key, "flash_attention")) rc = msy_bool(&rd->y, v, f, &p->flash_attention);
        else if (!strcmp(key, "recompute")) {
            char s[32];
            rc = msy_str(&rd->y, v, f, s, sizeof s);
            if (!rc && ms_recompute_parse(s, &p->recompute))
                rc = FAIL(v, f, "'%s' is not none, selective or full", s);
        } else
            rc = FAIL(fy_node_pair_key(pr), f,
                      "unknown field (tp pp dp microbatch interleave recompute sequence_parallel zero_stage overlap_dp flash_attention)");
        if (rc) return -1;
    }
    return 0;
}

static int read_ops(reader *rd, struct fy_node *n)
{
    ms_plan *p = rd->plan;
    char key[64], f[96], name[MS_NAME_MAX];
    if (!msy_is_map(n)) return FAIL(n, "ops", "expected a mapping");
    p->has_ops = 1;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        msy_key(pr, key, sizeof key);
        struct fy_node *v = fy_node_pair_value(pr);
        snprintf(f, sizeof f, "ops.%s", key);
        if (!strcmp(key, "region")) {
            if (msy_str(&rd->y, v, f, name, sizeof name)) return -1;
            const ms_grid *g = ms_registry_grid(rd->reg, name);
            if (!g) return FAIL(v, f, "unknown region '%s' (see `mlsysim zoo grids`)", name);
            p->grid = *g;
        } else if (!strcmp(key, "duration_days")) {
            if (msy_num(&rd->y, v, f, &p->duration_days, 1e-9, 1e6)) return -1;
        } else {
            return FAIL(fy_node_pair_key(pr), f, "unknown field (region duration_days)");
        }
    }
    return 0;
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
            void *ait = NULL;
            struct fy_node_pair *ap;
            while ((ap = fy_node_mapping_iterate(e, &ait))) {
                char k2[32], f2[128];
                msy_key(ap, k2, sizeof k2);
                struct fy_node *av = fy_node_pair_value(ap);
                snprintf(f2, sizeof f2, "%s.%s", f, k2);
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
                    return FAIL(fy_node_pair_key(ap), f2, "unknown field (metric min max)");
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
    if (plan->has_parallelism) {
        struct fy_node *pn = fy_node_mapping_lookup_by_string(root, "parallelism", FY_NT);
        long tpp = (long)plan->tp * plan->pp;
        if (plan->count % tpp) {
            rc = FAIL(pn, "parallelism", "tp x pp = %ld does not divide %d accelerators", tpp, plan->count);
            goto done;
        }
        if (plan->dp == 0) plan->dp = (int)(plan->count / tpp);
        if ((long)plan->tp * plan->pp * plan->dp != plan->count) {
            rc = FAIL(pn, "parallelism", "tp x pp x dp = %ld != hardware.count %d",
                      tpp * plan->dp, plan->count);
            goto done;
        }
        if (plan->batch_size % ((long)plan->dp * plan->microbatch)) {
            rc = FAIL(pn, "parallelism.microbatch",
                      "workload.batch_size %d is not a multiple of dp x microbatch = %ld",
                      plan->batch_size, (long)plan->dp * plan->microbatch);
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
"    \"workload\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"oneOf\": [{\"required\": [\"model\"]}, {\"required\": [\"arch\"]}, {\"required\": [\"name\"]}],\n"
"      \"properties\": {\n"
"        \"model\": {\"type\": \"string\", \"description\": \"registry model name (mlsysim zoo models)\"},\n"
"        \"name\": {\"type\": \"string\", \"description\": \"alias of model (upstream spelling)\"},\n"
"        \"arch\": {\"$ref\": \"#/$defs/arch\"},\n"
"        \"mode\": {\"enum\": [\"inference\", \"training\"], \"default\": \"inference\"},\n"
"        \"seq_len\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 2048},\n"
"        \"batch_size\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"optimizer\": {\"enum\": [\"adam\", \"adamw\", \"sgd\", \"none\"], \"default\": \"adam\"}\n"
"      }\n"
"    },\n"
"    \"hardware\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"properties\": {\n"
"        \"accelerator\": {\"type\": \"string\", \"description\": \"registry hardware or node name\"},\n"
"        \"name\": {\"type\": \"string\", \"description\": \"alias of accelerator\"},\n"
"        \"count\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"accelerators\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"alias of count\"},\n"
"        \"nodes\": {\"type\": \"integer\", \"minimum\": 1},\n"
"        \"per_node\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 8},\n"
"        \"accelerators_per_node\": {\"type\": \"integer\", \"minimum\": 1},\n"
"        \"precision\": {\"enum\": [\"fp32\", \"tf32\", \"bf16\", \"fp16\", \"fp8\", \"int8\", \"int4\", \"fp4\"], \"default\": \"fp16\"},\n"
"        \"efficiency\": {\"type\": \"number\", \"exclusiveMinimum\": 0, \"maximum\": 1, \"description\": \"default 0.70 for training, 0.5 for inference (ms_default_efficiency)\"},\n"
"        \"fabric\": {\"type\": \"string\", \"description\": \"registry fabric name (mlsysim zoo systems)\"},\n"
"        \"intra_bw\": {\"type\": \"string\", \"description\": \"per accelerator per direction, e.g. '450 GB/s'\"},\n"
"        \"intra_node_bw\": {\"type\": \"string\"}\n"
"      }\n"
"    },\n"
"    \"parallelism\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"properties\": {\n"
"        \"tp\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"pp\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"dp\": {\"type\": \"integer\", \"minimum\": 0, \"description\": \"0 or absent: count / (tp x pp)\"},\n",
"        \"microbatch\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"interleave\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 1},\n"
"        \"recompute\": {\"enum\": [\"none\", \"selective\", \"full\"], \"default\": \"none\"},\n"
"        \"sequence_parallel\": {\"type\": \"boolean\", \"default\": false},\n"
"        \"zero_stage\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 3, \"default\": 0},\n"
"        \"overlap_dp\": {\"type\": \"boolean\", \"default\": true, \"description\": \"gradient reduction overlapped with backward\"},\n"
"        \"flash_attention\": {\"type\": \"boolean\", \"default\": true, \"description\": \"fused attention: no S x S scores in HBM\"}\n"
"      }\n"
"    },\n"
"    \"ops\": {\n"
"      \"type\": \"object\", \"additionalProperties\": false,\n"
"      \"properties\": {\n"
"        \"region\": {\"type\": \"string\", \"description\": \"registry grid name (mlsysim zoo grids)\", \"default\": \"US_Avg\"},\n"
"        \"duration_days\": {\"type\": \"number\", \"exclusiveMinimum\": 0, \"default\": 30}\n"
"      }\n"
"    },\n"
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

size_t ms_plan_schema_json(char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof schema_parts / sizeof schema_parts[0]; i++) {
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
