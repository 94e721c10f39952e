/* registry.c - loads hardware, models, nodes, fabrics, grids and scenarios from YAML into growable arrays.
 *
 * Invariants: every entry has a non-empty name and source; names are unique within a kind (a later
 * file overrides an earlier entry of the same name); models have their derived fields filled
 * (ms_model_derive); every node names a known accelerator and fabric. The built-in files are the
 * YAML under mlsysim/registry/, embedded as strings at build time (registry_embed.c, generated).
 */
#include "mlsysim/physics.h"
#include "../core/file_util.h"
#include "../core/yaml_util.h"
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFINE_VEC(T, name) typedef struct { T *v; size_t n, cap; } name
DEFINE_VEC(ms_hardware, hw_vec);
DEFINE_VEC(ms_model, model_vec);
DEFINE_VEC(ms_node, node_vec);
DEFINE_VEC(ms_fabric, fabric_vec);
DEFINE_VEC(ms_grid, grid_vec);
DEFINE_VEC(ms_scenario, scenario_vec);

struct ms_registry {
    hw_vec hw;
    model_vec models;
    node_vec nodes;
    fabric_vec fabrics;
    grid_vec grids;
    scenario_vec scenarios;
};

static int is_sep(char c) { return c == '_' || c == '-' || c == ' ' || c == '.'; }

/* Name comparison that ignores case and the separators '_', '-', ' ', '.'. */
static int name_eq(const char *a, const char *b)
{
    for (;;) {
        while (is_sep(*a)) a++;
        while (is_sep(*b)) b++;
        if (!*a || !*b) return *a == *b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        a++, b++;
    }
}

/* An entry's name: text of at most cap - 1 bytes with a letter or digit beyond the separators that
 * name_eq ignores ("_-" would match every other such name), and no control characters. */
static int read_name(msy_doc *y, struct fy_node *nn, const char *field, char *name, size_t cap)
{
    if (msy_str(y, nn, field, name, cap)) return -1;
    int any = 0;
    for (const char *s = name; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return msy_fail(y, nn, field, "a name may not hold control characters (byte 0x%02x)", (unsigned char)*s);
        any |= !is_sep(*s);
    }
    if (!any) return msy_fail(y, nn, field, "name '%s' is empty (a name needs a letter or digit)", name);
    return 0;
}

/* Returns a slot for `name`: the existing entry (override) or a new zeroed one. */
static void *vec_slot(void **v, size_t *n, size_t *cap, size_t size, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (name_eq((const char *)*v + i * size, name)) {   /* name is the first member */
            memset((char *)*v + i * size, 0, size);
            return (char *)*v + i * size;
        }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        void *p = realloc(*v, nc * size);
        if (!p) return NULL;
        *v = p;
        *cap = nc;
    }
    void *slot = (char *)*v + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

/* The start of every section's entry: entry idx must be a mapping with a valid 'name', copied to
 * name (MS_NAME_MAX bytes); field becomes "section.NAME", the prefix of every message about it. */
static int open_entry(msy_doc *y, struct fy_node *n, const char *section, int idx, char *field, size_t fcap,
                      char *name)
{
    snprintf(field, fcap, "%s[%d]", section, idx);
    if (!msy_is_map(n)) return msy_fail(y, n, field, "expected a mapping");
    struct fy_node *nn = fy_node_mapping_lookup_by_string(n, "name", FY_NT);
    if (!nn) return msy_fail(y, n, field, "missing 'name'");
    if (read_name(y, nn, field, name, MS_NAME_MAX)) return -1;
    snprintf(field, fcap, "%s.%s", section, name);
    return 0;
}

#define SLOT(vec, name) vec_slot((void **)&(vec).v, &(vec).n, &(vec).cap, sizeof *(vec).v, name)

/* ---- hardware ---- */

static int read_flops_map(msy_doc *y, struct fy_node *map, const char *field, double *dst)
{
    if (!msy_is_map(map)) return msy_fail(y, map, field, "expected a mapping precision: FLOP/s");
    msy_fields it = {0};
    while (msy_next(map, field, &it)) {
        ms_precision prec;
        if (ms_precision_parse(it.key, &prec) != 0)
            return msy_fail(y, fy_node_pair_key(it.pair), it.field,
                            "unknown precision (fp32 tf32 bf16 fp16 fp8 int8 int4 fp4)");
        if (msy_qty(y, it.value, it.field, "flop/s", &dst[prec])) return -1;
    }
    return 0;
}

/* hardware.X.aliases: a list of at most MS_HW_ALIASES other names, each read as an entry's name is. */
static int read_aliases(msy_doc *y, struct fy_node *v, const char *field, ms_hardware *h)
{
    if (!msy_is_seq(v)) return msy_fail(y, v, field, "a list of other names, such as [H100 SXM, NVIDIA H100 80GB HBM3]");
    int count = fy_node_sequence_item_count(v);
    if (count > MS_HW_ALIASES) return msy_fail(y, v, field, "%d names (at most %d)", count, MS_HW_ALIASES);
    void *it = NULL;
    struct fy_node *e;
    h->n_aliases = 0;
    while ((e = fy_node_sequence_iterate(v, &it))) {
        char f[288];
        snprintf(f, sizeof f, "%s[%d]", field, h->n_aliases);
        if (read_name(y, e, f, h->aliases[h->n_aliases], sizeof h->aliases[0])) return -1;
        h->n_aliases++;
    }
    return 0;
}

static int read_hardware(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "hardware", idx, field, sizeof field, name)) return -1;
    ms_hardware *h = SLOT(r->hw, name);
    if (!h) return msy_fail(y, n, field, "out of memory");
    strcpy(h->name, name);
    h->dispatch_s = 10e-6;     /* kernel-launch scale default; entries override */
    int have_flops = 0, have_mem = 0, have_bw = 0, have_source = 0;
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, h->title, sizeof h->title);
        else if (!strcmp(key, "aliases")) rc = read_aliases(y, v, f, h);
        else if (!strcmp(key, "source")) { rc = msy_str(y, v, f, h->source, sizeof h->source); have_source = 1; }
        else if (!strcmp(key, "year")) rc = msy_int(y, v, f, &h->year, 1950, 2100);
        else if (!strcmp(key, "class")) {
            char c[32];
            rc = msy_str(y, v, f, c, sizeof c);
            int found = 0;
            for (int i = 0; !rc && i < MS_HW_CLASS_COUNT; i++)
                if (!strcmp(c, ms_hw_class_name((ms_hw_class)i))) { h->hw_class = (ms_hw_class)i; found = 1; }
            if (!rc && !found) rc = msy_fail(y, v, f, "unknown class '%s' (cloud workstation mobile edge tiny)", c);
        }
        else if (!strcmp(key, "flops")) { rc = read_flops_map(y, v, f, h->flops); have_flops = 1; }
        else if (!strcmp(key, "sparse_flops")) rc = read_flops_map(y, v, f, h->sparse_flops);
        else if (!strcmp(key, "memory")) { rc = msy_qty(y, v, f, "bytes", &h->mem_bytes); have_mem = 1; }
        else if (!strcmp(key, "memory_bw")) { rc = msy_qty(y, v, f, "bytes/s", &h->mem_bw_bytes_per_s); have_bw = 1; }
        else if (!strcmp(key, "sram")) rc = msy_qty(y, v, f, "bytes", &h->sram_bytes);
        else if (!strcmp(key, "sram_bw")) rc = msy_qty(y, v, f, "bytes/s", &h->sram_bw_bytes_per_s);
        else if (!strcmp(key, "flash")) rc = msy_qty(y, v, f, "bytes", &h->flash_bytes);
        else if (!strcmp(key, "flash_bw")) rc = msy_qty(y, v, f, "bytes/s", &h->flash_bw_bytes_per_s);
        else if (!strcmp(key, "tdp")) rc = msy_qty(y, v, f, "W", &h->tdp_w);
        else if (!strcmp(key, "link_bw")) rc = msy_qty(y, v, f, "bytes/s", &h->link_bw_bytes_per_s);
        else if (!strcmp(key, "link_latency")) rc = msy_qty(y, v, f, "s", &h->link_latency_s);
        else if (!strcmp(key, "host_bw")) rc = msy_qty(y, v, f, "bytes/s", &h->host_bw_bytes_per_s);
        else if (!strcmp(key, "price")) rc = msy_qty(y, v, f, "usd", &h->price_usd);
        else if (!strcmp(key, "dispatch")) rc = msy_qty(y, v, f, "s", &h->dispatch_s);
        else if (!strcmp(key, "compute_units")) rc = msy_int(y, v, f, &h->compute_units, 1, 100000);
        else rc = msy_unknown(y, &it);
        if (rc) return -1;
    }
    if (!have_source || !h->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (!have_flops) return msy_fail(y, n, field, "missing 'flops'");
    if (!have_mem || h->mem_bytes <= 0) return msy_fail(y, n, field, "missing or zero 'memory'");
    if (!have_bw || h->mem_bw_bytes_per_s <= 0) return msy_fail(y, n, field, "missing or zero 'memory_bw'");
    int any = 0;
    for (int i = 0; i < MS_PREC_COUNT; i++) any |= h->flops[i] > 0;
    if (!any) return msy_fail(y, n, field, "'flops' has no positive entry");
    if (!h->title[0]) snprintf(h->title, sizeof h->title, "%s", h->name);
    return 0;
}

/* ---- models ---- */

static int read_arch(msy_doc *y, struct fy_node *n, const char *field, ms_arch *a)
{
#define ARCH_INT(k, min) {#k, offsetof(ms_arch, k), min, 100000000}
    static const ms__int_field ints[] = {
        ARCH_INT(layers, 1), ARCH_INT(hidden, 1), ARCH_INT(heads, 1), ARCH_INT(kv_heads, 1),
        ARCH_INT(head_dim, 1), ARCH_INT(ffn, 0), ARCH_INT(vocab, 0), ARCH_INT(max_pos, 0),
        ARCH_INT(type_vocab, 0), ARCH_INT(experts, 0), ARCH_INT(experts_active, 0),
        ARCH_INT(shared_experts, 0), ARCH_INT(moe_ffn, 0), ARCH_INT(dense_layers, 0),
        ARCH_INT(q_lora_rank, 0), ARCH_INT(kv_lora_rank, 0), ARCH_INT(qk_nope_head_dim, 0),
        ARCH_INT(qk_rope_head_dim, 0), ARCH_INT(v_head_dim, 0),
    };
#undef ARCH_INT
    static const char *const bools[] = {"gated_ffn", "tied_embeddings", "bias", "layernorm", "encoder", "pooler"};
    static const size_t bool_off[] = {offsetof(ms_arch, gated_ffn), offsetof(ms_arch, tied_embeddings),
                                      offsetof(ms_arch, bias), offsetof(ms_arch, layernorm),
                                      offsetof(ms_arch, encoder), offsetof(ms_arch, pooler)};
    a->layernorm = -1;
    if (ms__read_fields(y, n, field, a, ints, sizeof ints / sizeof ints[0], bools, bool_off,
                        sizeof bools / sizeof bools[0], NULL))
        return -1;
    if (a->layernorm < 0) a->layernorm = 0;
    if (a->layers <= 0 || a->hidden <= 0 || a->heads <= 0)
        return msy_fail(y, n, field, "needs layers, hidden and heads");
    if (a->kv_heads && (a->kv_heads > a->heads || a->heads % a->kv_heads))   /* 0: MHA (ms_model_derive) */
        return msy_fail(y, n, field, "kv_heads (%d) must divide heads (%d)", a->kv_heads, a->heads);
    if (a->experts && (a->experts_active <= 0 || a->experts_active > a->experts || a->moe_ffn <= 0))
        return msy_fail(y, n, field, "MoE needs 0 < experts_active <= experts and moe_ffn");
    if (a->dense_layers > a->layers) return msy_fail(y, n, field, "dense_layers > layers");
    if (a->kv_lora_rank && (a->qk_rope_head_dim <= 0 || a->qk_nope_head_dim <= 0 || a->v_head_dim <= 0))
        return msy_fail(y, n, field, "MLA needs qk_nope_head_dim, qk_rope_head_dim and v_head_dim");
    return 0;
}

int ms__read_arch(msy_doc *y, struct fy_node *n, const char *field, ms_arch *a)
{
    memset(a, 0, sizeof *a);
    return read_arch(y, n, field, a);
}

static int read_model(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "models", idx, field, sizeof field, name)) return -1;
    ms_model *m = SLOT(r->models, name);
    if (!m) return msy_fail(y, n, field, "out of memory");
    strcpy(m->name, name);
    int have_kind = 0, have_arch = 0, have_source = 0, have_graph = 0, have_kind_arch = 0;
    ms_graph_stats graph;
    struct fy_node *graph_node = NULL;
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, m->title, sizeof m->title);
        else if (!strcmp(key, "source")) { rc = msy_str(y, v, f, m->source, sizeof m->source); have_source = 1; }
        else if (!strcmp(key, "kind")) {
            char k[32];
            rc = msy_str(y, v, f, k, sizeof k);
            if (!rc) {
                if (!strcmp(k, "transformer")) m->kind = MS_MODEL_TRANSFORMER;
                else if (!strcmp(k, "cnn")) m->kind = MS_MODEL_CNN;
                else if (!strcmp(k, "mlp")) m->kind = MS_MODEL_MLP;
                else if (!strcmp(k, "diffusion")) m->kind = MS_MODEL_DIFFUSION;
                else if (!strcmp(k, "ssm")) m->kind = MS_MODEL_SSM;
                else if (!strcmp(k, "dlrm")) m->kind = MS_MODEL_DLRM;
                else rc = msy_fail(y, v, f, "unknown kind '%s' (transformer cnn mlp diffusion ssm dlrm)", k);
            }
            have_kind = 1;
        }
        else if (!strcmp(key, "arch")) { rc = read_arch(y, v, f, &m->arch); have_arch = 1; }
        else if (!strcmp(key, "ssm")) { rc = ms__read_ssm(y, v, f, &m->ssm); have_kind_arch |= 1 << MS_MODEL_SSM; }
        else if (!strcmp(key, "diffusion")) { rc = ms__read_diffusion(y, v, f, &m->diffusion); have_kind_arch |= 1 << MS_MODEL_DIFFUSION; }
        else if (!strcmp(key, "dlrm")) { rc = ms__read_dlrm(y, v, f, &m->dlrm); have_kind_arch |= 1 << MS_MODEL_DLRM; }
        else if (!strcmp(key, "params")) rc = msy_num(y, v, f, &m->published_params, 1, 1e16);
        else if (!strcmp(key, "active_params")) rc = msy_num(y, v, f, &m->published_active_params, 1, 1e16);
        else if (!strcmp(key, "flops")) rc = msy_qty(y, v, f, "flop", &m->fwd_flops);
        else if (!strcmp(key, "layers")) rc = msy_int(y, v, f, &m->layers, 1, 100000);
        else if (!strcmp(key, "activation_peak")) rc = msy_qty(y, v, f, "bytes", &m->act_peak_bytes);
        else if (!strcmp(key, "graph")) {
            char spec[1024];
            rc = msy_str(y, v, f, spec, sizeof spec);
            if (!rc) {
                char gerr[256];
                if (ms_graph_eval(spec, &graph, gerr, sizeof gerr)) rc = msy_fail(y, v, f, "%s", gerr);
                else { have_graph = 1; graph_node = v; }
            }
        }
        else if (!strcmp(key, "input_seq")) rc = msy_num(y, v, f, &m->input_seq, 1, 1e9);
        else rc = msy_unknown(y, &it);
        if (rc) return -1;
    }
    if (!have_source || !m->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (!have_kind) return msy_fail(y, n, field, "missing 'kind'");
    if (m->published_params <= 0) return msy_fail(y, n, field, "missing 'params' (published count)");
    if (have_kind_arch && m->kind < MS_MODEL_DIFFUSION)
        return msy_fail(y, n, field, "'ssm:', 'diffusion:' and 'dlrm:' describe models of those kinds, not a %s",
                        ms_model_kind_name(m->kind));
    if (m->kind >= MS_MODEL_DIFFUSION) {
        /* diffusion, ssm, dlrm: counted from their own mapping, named like the kind (kinds.c) */
        const char *kn = ms_model_kind_name(m->kind);
        if (have_kind_arch != (1 << m->kind))
            return msy_fail(y, n, field, "a %s model needs a '%s:' mapping (and no other kind's)", kn, kn);
        if (have_arch || have_graph || m->fwd_flops > 0 || m->layers > 0)
            return msy_fail(y, n, field, "a %s model is counted from '%s:' (no arch, graph, flops or layers)", kn, kn);
        if (!m->title[0]) snprintf(m->title, sizeof m->title, "%s", m->name);
        ms_model_derive(m);
        return ms__check_kind(y, n, field, m);
    }
    if (m->kind == MS_MODEL_TRANSFORMER) {
        if (!have_arch) return msy_fail(y, n, field, "a transformer needs 'arch'");
        if (have_graph) return msy_fail(y, graph_node, field, "'graph' is for CNNs and MLPs (a transformer has 'arch')");
        m->layers = m->arch.layers;
    } else {
        if (have_arch) return msy_fail(y, n, field, "'arch' is for transformers only");
        if (have_graph) {
            /* the graph must be the model the published figures describe */
            if (graph.params > 1.01 * m->published_params || m->published_params > 1.01 * graph.params)
                return msy_fail(y, graph_node, field, "graph has %.6g parameters, 'params' says %.6g (more than 1 %% apart)",
                                graph.params, m->published_params);
            if (m->fwd_flops <= 0) m->fwd_flops = 2.0 * graph.macs;
            else if (m->fwd_flops > 1.05 * 2.0 * graph.macs || 2.0 * graph.macs > 1.05 * m->fwd_flops)
                return msy_fail(y, graph_node, field, "graph has %.6g FLOPs per sample, 'flops' says %.6g (more than 5 %% apart)",
                                2.0 * graph.macs, m->fwd_flops);
            m->saved_act_elems = graph.saved_act_elems;
            if (m->act_peak_bytes <= 0) m->act_peak_bytes = graph.peak_live_elems;   /* int8: 1 B each */
            if (m->layers <= 0) m->layers = graph.layers;
        }
        if (m->fwd_flops <= 0) return msy_fail(y, n, field, "missing 'flops' (forward FLOPs per sample)");
        if (m->layers <= 0) m->layers = 1;
    }
    if (!m->title[0]) snprintf(m->title, sizeof m->title, "%s", m->name);
    ms_model_derive(m);
    if (have_graph) m->params = m->params_active = graph.params;     /* the exact count */
    if (!isfinite(m->params) || !isfinite(m->attn_flops_per_pair) || !isfinite(m->kv_elems_per_token))
        return msy_fail(y, n, field, "the architecture's counts overflow");
    /* the published count must agree with the architecture (every built-in model is within 2 %) */
    if (m->kind == MS_MODEL_TRANSFORMER &&
        (m->params > 1.1 * m->published_params || m->published_params > 1.1 * m->params))
        return msy_fail(y, n, field, "params %.4g disagrees with the %.4g parameters its arch has (more than 10 %%)",
                        m->published_params, m->params);
    return 0;
}

/* ---- nodes, fabrics, grids ---- */

static int read_fabric(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "fabrics", idx, field, sizeof field, name)) return -1;
    ms_fabric *fb = SLOT(r->fabrics, name);
    if (!fb) return msy_fail(y, n, field, "out of memory");
    strcpy(fb->name, name);
    fb->oversubscription = 1.0;
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, fb->title, sizeof fb->title);
        else if (!strcmp(key, "source")) rc = msy_str(y, v, f, fb->source, sizeof fb->source);
        else if (!strcmp(key, "bw")) rc = msy_qty(y, v, f, "bytes/s", &fb->bw_bytes_per_s);
        else if (!strcmp(key, "latency")) rc = msy_qty(y, v, f, "s", &fb->latency_s);
        else if (!strcmp(key, "oversubscription")) rc = msy_num(y, v, f, &fb->oversubscription, 1, 1000);
        else if (!strcmp(key, "efficiency")) rc = msy_num(y, v, f, &fb->efficiency, 0.01, 1);
        else rc = msy_unknown(y, &it);
        if (rc) return -1;
    }
    if (!fb->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (fb->bw_bytes_per_s <= 0) return msy_fail(y, n, field, "missing or zero 'bw'");
    if (!fb->title[0]) snprintf(fb->title, sizeof fb->title, "%s", fb->name);
    return 0;
}

static int read_node(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "nodes", idx, field, sizeof field, name)) return -1;
    ms_node *nd = SLOT(r->nodes, name);
    if (!nd) return msy_fail(y, n, field, "out of memory");
    strcpy(nd->name, name);
    nd->nics = 1;
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, nd->title, sizeof nd->title);
        else if (!strcmp(key, "source")) rc = msy_str(y, v, f, nd->source, sizeof nd->source);
        else if (!strcmp(key, "accelerator")) rc = msy_str(y, v, f, nd->accelerator, sizeof nd->accelerator);
        else if (!strcmp(key, "accelerators")) rc = msy_int(y, v, f, &nd->accelerators, 1, 1000000);
        else if (!strcmp(key, "intra_bw")) rc = msy_qty(y, v, f, "bytes/s", &nd->intra_bw_bytes_per_s);
        else if (!strcmp(key, "intra_latency")) rc = msy_qty(y, v, f, "s", &nd->intra_latency_s);
        else if (!strcmp(key, "intra_efficiency")) rc = msy_num(y, v, f, &nd->intra_efficiency, 0.01, 1);
        else if (!strcmp(key, "nvls_efficiency")) rc = msy_num(y, v, f, &nd->nvls_efficiency, 0.01, 1);
        else if (!strcmp(key, "nics")) rc = msy_int(y, v, f, &nd->nics, 0, 1000);
        else if (!strcmp(key, "fabric")) rc = msy_str(y, v, f, nd->fabric, sizeof nd->fabric);
        else if (!strcmp(key, "price")) rc = msy_qty(y, v, f, "usd", &nd->price_usd);
        else if (!strcmp(key, "power")) rc = msy_qty(y, v, f, "W", &nd->power_w);
        else rc = msy_unknown(y, &it);
        if (rc) return -1;
    }
    if (!nd->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (!nd->accelerator[0] || nd->accelerators <= 0)
        return msy_fail(y, n, field, "needs 'accelerator' and 'accelerators'");
    if (!ms_registry_hardware(r, nd->accelerator))
        return msy_fail(y, n, field, "unknown accelerator '%s'", nd->accelerator);
    if (nd->fabric[0] && !ms_registry_fabric(r, nd->fabric))
        return msy_fail(y, n, field, "unknown fabric '%s'", nd->fabric);
    if (!nd->title[0]) snprintf(nd->title, sizeof nd->title, "%s", nd->name);
    return 0;
}

static int read_grid(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "grids", idx, field, sizeof field, name)) return -1;
    ms_grid *g = SLOT(r->grids, name);
    if (!g) return msy_fail(y, n, field, "out of memory");
    strcpy(g->name, name);
    g->pue = 1.0;
    int have_ci = 0;
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, g->title, sizeof g->title);
        else if (!strcmp(key, "source")) rc = msy_str(y, v, f, g->source, sizeof g->source);
        else if (!strcmp(key, "carbon_g_per_kwh")) { rc = msy_num(y, v, f, &g->carbon_g_per_kwh, 0, 5000); have_ci = 1; }
        else if (!strcmp(key, "pue")) rc = msy_num(y, v, f, &g->pue, 1, 5);
        else if (!strcmp(key, "wue_l_per_kwh")) rc = msy_num(y, v, f, &g->wue_l_per_kwh, 0, 100);
        else if (!strcmp(key, "price_usd_per_kwh")) rc = msy_num(y, v, f, &g->price_usd_per_kwh, 0, 10);
        else rc = msy_unknown(y, &it);
        if (rc) return -1;
    }
    if (!g->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (!have_ci) return msy_fail(y, n, field, "missing 'carbon_g_per_kwh'");
    if (!g->title[0]) snprintf(g->title, sizeof g->title, "%s", g->name);
    return 0;
}

/* A scenario keeps its plan as text; the plan is read (and its names resolved) when it is
 * evaluated, so a scenario may name hardware that a later file adds. */
static int read_scenario(msy_doc *y, struct fy_node *n, int idx, ms_registry *r)
{
    char field[160], name[MS_NAME_MAX];
    if (open_entry(y, n, "scenarios", idx, field, sizeof field, name)) return -1;
    ms_scenario *sc = SLOT(r->scenarios, name);
    if (!sc) return msy_fail(y, n, field, "out of memory");
    strcpy(sc->name, name);
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        const char *key = it.key, *f = it.field;
        struct fy_node *v = it.value;
        int rc = 0;
        if (!strcmp(key, "name")) continue;
        else if (!strcmp(key, "title")) rc = msy_str(y, v, f, sc->title, sizeof sc->title);
        else if (!strcmp(key, "source")) rc = msy_str(y, v, f, sc->source, sizeof sc->source);
        else if (!strcmp(key, "question")) rc = msy_str(y, v, f, sc->question, sizeof sc->question);
        else if (!strcmp(key, "plan")) rc = msy_str(y, v, f, sc->plan, sizeof sc->plan);
        else rc = msy_fail(y, fy_node_pair_key(it.pair), f, "unknown field (name title question plan source)");
        if (rc) return -1;
    }
    if (!sc->source[0]) return msy_fail(y, n, field, "missing 'source' (every entry cites one)");
    if (!sc->plan[0]) return msy_fail(y, n, field, "missing 'plan' (the plan YAML, as a block: plan: |)");
    if (!sc->title[0]) snprintf(sc->title, sizeof sc->title, "%s", sc->name);
    return 0;
}

typedef int (*entry_reader)(msy_doc *, struct fy_node *, int, ms_registry *);

/* One file gives each name of a section once (a later file may override an earlier one's entry):
 * the names as name_eq sees them (case and separators dropped), sorted, and neighbours compared. */
typedef struct { char key[MS_NAME_MAX], name[MS_NAME_MAX]; int line; } seen_name;

static int cmp_seen(const void *a, const void *b)
{
    const seen_name *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->line - y->line;
}

static int check_names_once(msy_doc *y, struct fy_node *seq, const char *section)
{
    int count = fy_node_sequence_item_count(seq);
    if (count > MS_REGISTRY_MAX_FILE_ENTRIES)
        return msy_fail(y, seq, section, "%d entries in one file (at most %d)", count, MS_REGISTRY_MAX_FILE_ENTRIES);
    if (count < 2) return 0;
    seen_name *v = malloc((size_t)count * sizeof *v);
    if (!v) return msy_fail(y, seq, section, "out of memory");
    int n = 0;
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(seq, &it)) && n < count) {
        struct fy_node *nn = msy_is_map(e) ? fy_node_mapping_lookup_by_string(e, "name", FY_NT) : NULL;
        size_t len = 0;
        const char *s = nn && fy_node_get_type(nn) == FYNT_SCALAR ? fy_node_get_scalar(nn, &len) : NULL;
        if (!s || len >= MS_NAME_MAX) continue;   /* the entry's reader reports what is wrong */
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if (!is_sep(s[i])) v[n].key[k++] = (char)tolower((unsigned char)s[i]);
        v[n].key[k] = 0;
        memcpy(v[n].name, s, len);
        v[n].name[len] = 0;
        v[n].line = msy_line(nn);
        n++;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_seen);
    int rc = 0;
    for (int i = 1; i < n && !rc; i++)
        if (v[i].key[0] && !strcmp(v[i].key, v[i - 1].key)) {
            char f[160];
            snprintf(f, sizeof f, "%s.%s", section, v[i].name);
            snprintf(y->err, y->errlen, "%s:%d: %s: '%s' is given twice in this file (also at line %d; names "
                     "ignore case, '_', '-', ' ' and '.'): give each entry once", y->label, v[i].line, f, v[i].name,
                     v[i - 1].line);
            rc = -1;
        }
    free(v);
    return rc;
}

static ms_status load_into(ms_registry *r, const char *label, const char *yaml, size_t len,
                                  char *err, size_t errlen)
{
    msy_doc y;
    if (msy_parse(&y, label, yaml, len, err, errlen)) return MS_ERR_INPUT;
    struct fy_node *root = fy_document_root(y.doc);
    if (!msy_is_map(root)) {
        msy_fail(&y, root, "(top)", "expected a mapping with hardware/models/fabrics/nodes/grids/scenarios");
        msy_close(&y);
        return MS_ERR_INPUT;
    }
    /* Fabrics and hardware before nodes, so nodes can refer to them within one file. */
    static const struct { const char *key; entry_reader fn; } sections[] = {
        {"hardware", read_hardware}, {"fabrics", read_fabric}, {"models", read_model},
        {"grids", read_grid}, {"nodes", read_node}, {"scenarios", read_scenario},
    };
    char key[64];
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(root, &it))) {
        msy_key(p, key, sizeof key);
        int known = 0;
        for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) known |= !strcmp(key, sections[s].key);
        if (!known) {
            msy_fail(&y, fy_node_pair_key(p), key, "unknown section (hardware models fabrics nodes grids scenarios)");
            msy_close(&y);
            return MS_ERR_INPUT;
        }
    }
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        struct fy_node *seq = NULL, *knode = NULL;
        it = NULL;
        while ((p = fy_node_mapping_iterate(root, &it))) {
            msy_key(p, key, sizeof key);
            if (!strcmp(key, sections[s].key)) { knode = fy_node_pair_key(p); seq = fy_node_pair_value(p); break; }
        }
        if (!knode) continue;
        if (!msy_is_seq(seq)) {
            msy_fail(&y, knode, sections[s].key, "expected a list of entries");
            msy_close(&y);
            return MS_ERR_INPUT;
        }
        if (check_names_once(&y, seq, sections[s].key)) {
            msy_close(&y);
            return MS_ERR_INPUT;
        }
        void *sit = NULL;
        struct fy_node *e;
        int idx = 0;
        while ((e = fy_node_sequence_iterate(seq, &sit))) {
            if (sections[s].fn(&y, e, idx++, r)) { msy_close(&y); return MS_ERR_INPUT; }
        }
    }
    msy_close(&y);
    return MS_OK;
}

#define VEC_COPY(dst, src)                                                                  \
    do {                                                                                    \
        (dst).n = (dst).cap = (src).n;                                                      \
        (dst).v = NULL;                                                                     \
        if ((src).n) {                                                                      \
            (dst).v = malloc((src).n * sizeof *(src).v);                                    \
            if (!(dst).v) ok = 0;                                                           \
            else memcpy((dst).v, (src).v, (src).n * sizeof *(src).v);                       \
        }                                                                                   \
    } while (0)

static void free_vectors(ms_registry *r)
{
    free(r->hw.v);
    free(r->models.v);
    free(r->nodes.v);
    free(r->fabrics.v);
    free(r->grids.v);
    free(r->scenarios.v);
}

/* A load applies whole or not at all: the file is read into a copy of the registry, which
 * replaces the original only when every entry of the file was accepted. */
ms_status ms_registry_load_buffer(ms_registry *r, const char *label, const char *yaml, size_t len,
                                  char *err, size_t errlen)
{
    ms_registry copy;
    int ok = 1;
    memset(&copy, 0, sizeof copy);
    VEC_COPY(copy.hw, r->hw);
    VEC_COPY(copy.models, r->models);
    VEC_COPY(copy.nodes, r->nodes);
    VEC_COPY(copy.fabrics, r->fabrics);
    VEC_COPY(copy.grids, r->grids);
    VEC_COPY(copy.scenarios, r->scenarios);
    if (!ok) {
        free_vectors(&copy);
        snprintf(err, errlen, "%s: out of memory", label);
        return MS_ERR_NOMEM;
    }
    ms_status st = load_into(&copy, label, yaml, len, err, errlen);
    if (st != MS_OK) {
        free_vectors(&copy);
        return st;
    }
    free_vectors(r);
    *r = copy;
    return MS_OK;
}

ms_status ms_registry_load_file(ms_registry *r, const char *path, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    ms_status st = ms_read_file(path, MSY_MAX_BYTES, &buf, &len, err, errlen);
    if (st != MS_OK) return st;
    st = ms_registry_load_buffer(r, path, buf, len, err, errlen);
    free(buf);
    return st;
}

ms_registry *ms_registry_new(char *err, size_t errlen)
{
    ms_registry *r = calloc(1, sizeof *r);
    if (!r) { snprintf(err, errlen, "out of memory"); return NULL; }
    /* hardware and fabrics files first so nodes resolve */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ms_embedded_registry_count; i++) {
            int is_sys = strstr(ms_embedded_registry_names[i], "systems") != NULL;
            if (is_sys != pass) continue;
            if (ms_registry_load_buffer(r, ms_embedded_registry_names[i], ms_embedded_registry_texts[i],
                                        ms_embedded_registry_sizes[i], err, errlen) != MS_OK) {
                ms_registry_free(r);
                return NULL;
            }
        }
    return r;
}

void ms_registry_free(ms_registry *r)
{
    if (!r) return;
    free_vectors(r);
    free(r);
}

/* A model as a hub repository names it, reduced to lower-case letters and digits: the
 * organisation before '/' dropped, and the words that name a release of the same architecture
 * rather than another one ("Meta", "Instruct", "chat", "hf", "base", "it"), so that
 * "meta-llama/Meta-Llama-3.1-8B-Instruct" and "Llama 3.1 8B" read "llama318b". */
static void repo_key(const char *s, char *out, size_t n)
{
    static const char *const drop[] = {"meta", "instruct", "chat", "hf", "base", "it"};
    const char *slash = strrchr(s, '/');
    if (slash) s = slash + 1;
    size_t k = 0;
    for (;;) {
        while (*s && is_sep(*s)) s++;
        size_t w = 0;
        while (s[w] && !is_sep(s[w])) w++;
        if (!w) break;
        int skip = 0;
        for (size_t d = 0; d < sizeof drop / sizeof drop[0]; d++)
            skip |= strlen(drop[d]) == w && strncasecmp(s, drop[d], w) == 0;
        for (size_t i = 0; i < w && !skip; i++)
            if (isalnum((unsigned char)s[i]) && k + 1 < n) out[k++] = (char)tolower((unsigned char)s[i]);
        s += w;
    }
    out[k] = '\0';
}

/* The one model whose name or title reads as `name` does under repo_key; NULL when none or
 * several do. */
static const ms_model *model_by_repo_id(const ms_registry *r, const char *name)
{
    char q[MS_TITLE_MAX + MS_NAME_MAX], a[sizeof q], b[sizeof q];
    repo_key(name, q, sizeof q);
    if (!*q) return NULL;
    const ms_model *found = NULL;
    for (size_t i = 0; i < r->models.n; i++) {
        repo_key(r->models.v[i].name, a, sizeof a);
        repo_key(r->models.v[i].title, b, sizeof b);
        if (strcmp(a, q) && strcmp(b, q)) continue;
        if (found) return NULL;
        found = &r->models.v[i];
    }
    return found;
}

/* The one accelerator that lists `name` among its aliases, with or without its maker's name before
 * it ("NVIDIA H100 80GB HBM3" as nvidia-smi prints it, "NVIDIA H100-SXM-80GB" as MLPerf does, "H100
 * SXM"), else whose title is `name` with its maker's name before it ("A100-SXM4-40GB" is titled
 * "NVIDIA A100 SXM4 40GB", "Instinct MI300X" "AMD Instinct MI300X"); NULL when none or several are. */
static const ms_hardware *hardware_by_alias(const ms_registry *r, const char *name)
{
    static const char *const makers[] = {"NVIDIA", "AMD", "Intel", "Google", "AWS", "Apple"};
    const char *bare = name;                     /* the name without a maker's word before it */
    for (size_t k = 0; k < sizeof makers / sizeof makers[0] && bare == name; k++) {
        size_t n = strlen(makers[k]);
        if (!strncasecmp(name, makers[k], n) && is_sep(name[n])) bare = name + n + 1;
    }
    const ms_hardware *found = NULL;
    for (size_t i = 0; i < r->hw.n; i++)
        for (int a = 0; a < r->hw.v[i].n_aliases; a++) {
            const char *al = r->hw.v[i].aliases[a];
            if (!name_eq(al, name) && !name_eq(al, bare)) continue;
            if (found && found != &r->hw.v[i]) return NULL;
            found = &r->hw.v[i];
        }
    if (found) return found;
    char full[MS_TITLE_MAX + 16];
    for (size_t k = 0; k < sizeof makers / sizeof makers[0]; k++) {
        if (snprintf(full, sizeof full, "%s %s", makers[k], name) >= (int)sizeof full) continue;
        for (size_t i = 0; i < r->hw.n; i++) {
            if (!name_eq(r->hw.v[i].title, full)) continue;
            if (found && found != &r->hw.v[i]) return NULL;
            found = &r->hw.v[i];
        }
    }
    return found;
}

#define ACCESSORS(kind, T, vec, LOOSE)                                                       \
    size_t ms_registry_##kind##_count(const ms_registry *r) { return r->vec.n; }             \
    const T *ms_registry_##kind##_at(const ms_registry *r, size_t i)                         \
    {                                                                                        \
        return i < r->vec.n ? &r->vec.v[i] : NULL;                                           \
    }                                                                                        \
    const T *ms_registry_##kind(const ms_registry *r, const char *name)                      \
    {                                                                                        \
        if (!name) return NULL;                                                              \
        const T *by_title = NULL;                                                            \
        int titles = 0;                                                                      \
        for (size_t i = 0; i < r->vec.n; i++) {                                              \
            if (name_eq(r->vec.v[i].name, name)) return &r->vec.v[i];                        \
            if (r->vec.v[i].title[0] && name_eq(r->vec.v[i].title, name))                    \
                by_title = &r->vec.v[i], titles++;                                           \
        }                                                                                    \
        if (titles == 1) return by_title;         /* its title, when no other entry has it */ \
        return titles ? NULL : LOOSE;                                                        \
    }

int ms_name_distance(const char *a, const char *b)
{
    char x[64], y[64];
    size_t nx = 0, ny = 0;
    for (; *a && nx < sizeof x; a++) if (!is_sep(*a)) x[nx++] = (char)tolower((unsigned char)*a);
    for (; *b && ny < sizeof y; b++) if (!is_sep(*b)) y[ny++] = (char)tolower((unsigned char)*b);
    if (*a || *b) return 3;                                   /* longer than any name */
    int row[65];
    for (size_t j = 0; j <= ny; j++) row[j] = (int)j;
    for (size_t i = 1; i <= nx; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= ny; j++) {
            int up = row[j], best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[ny] < 3 ? row[ny] : 3;
}

/* "'name' (did you mean NEAREST? see `mlsysim zoo WHAT`)": the names of count entries, each its
 * struct's first member, stride bytes apart (as SLOT keeps them) */
static const char *unknown(const char *name, const char *names, size_t count, size_t stride, const char *what,
                           char *buf, size_t n)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; name && i < count; i++) {
        const char *e = names + i * stride;
        int d = ms_name_distance(name, e);
        if (d < best_d) best_d = d, best = e;
    }
    if (best) snprintf(buf, n, "'%s' (did you mean %s? see `mlsysim zoo %s`)", name, best, what);
    else snprintf(buf, n, "'%s' (see `mlsysim zoo %s`)", name ? name : "", what);
    return buf;
}

const char *ms_registry_unknown_model(const ms_registry *r, const char *name, char *buf, size_t n)
{
    if (!r || !r->models.n) return unknown(name, "", 0, 0, "models", buf, n);
    return unknown(name, r->models.v[0].name, r->models.n, sizeof r->models.v[0], "models", buf, n);
}

const char *ms_registry_unknown_hardware(const ms_registry *r, const char *name, char *buf, size_t n)
{
    if (!r || !r->hw.n) return unknown(name, "", 0, 0, "hardware", buf, n);
    return unknown(name, r->hw.v[0].name, r->hw.n, sizeof r->hw.v[0], "hardware", buf, n);
}

ACCESSORS(hardware, ms_hardware, hw, hardware_by_alias(r, name))   /* also by alias, and the title without its maker */
ACCESSORS(model, ms_model, models, model_by_repo_id(r, name))   /* models also by hub id */
ACCESSORS(node, ms_node, nodes, NULL)
ACCESSORS(fabric, ms_fabric, fabrics, NULL)
ACCESSORS(grid, ms_grid, grids, NULL)
ACCESSORS(scenario, ms_scenario, scenarios, NULL)
