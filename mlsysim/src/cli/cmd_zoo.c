/* cmd_zoo.c - `mlsysim zoo hardware|models|systems|grids`: the registry as a table, JSON or markdown.
 * Filters: --class (hardware), --kind (models), --filter TEXT (name or title contains, any case;
 * hardware also its aliases).
 * Hardware is sorted by dense 16-bit peak, models by parameters, largest first. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int icontains(const char *hay, const char *needle)
{
    if (!needle || !*needle) return 1;
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return 1;
    }
    return 0;
}

static int cmp_hw(const void *a, const void *b)
{
    double x = ms_hw_peak(*(const ms_hardware *const *)a, MS_FP16);
    double y = ms_hw_peak(*(const ms_hardware *const *)b, MS_FP16);
    return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_model(const void *a, const void *b)
{
    double x = (*(const ms_model *const *)a)->params, y = (*(const ms_model *const *)b)->params;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void cell(ms_format fmt, int first, int width, const char *s)
{
    if (fmt == MS_FMT_MARKDOWN) printf("%s %s ", first ? "|" : "", s);
    else printf("%-*s", width, s);
    if (fmt == MS_FMT_MARKDOWN) printf("|");
}

static void row_end(void) { printf("\n"); }

static void header(ms_format fmt, const char *const *cols, const int *w, int n)
{
    for (int i = 0; i < n; i++) cell(fmt, i == 0, w[i], cols[i]);
    row_end();
    if (fmt == MS_FMT_MARKDOWN) {
        printf("|");
        for (int i = 0; i < n; i++) printf("---|");
        printf("\n");
    }
}

static int zoo_hardware(ms_cli *c, const char *cls, const char *filter)
{
    size_t n = ms_registry_hardware_count(c->reg), k = 0;
    const ms_hardware **hw_list = malloc(sizeof *hw_list * (n ? n : 1));
    if (!hw_list) return MS_EXIT_INPUT;
    for (size_t i = 0; i < n; i++) {
        const ms_hardware *h = ms_registry_hardware_at(c->reg, i);
        if (cls && strcmp(ms_hw_class_name(h->hw_class), cls)) continue;
        int alias = 0;
        for (int a = 0; a < h->n_aliases && !alias; a++) alias = icontains(h->aliases[a], filter);
        if (!icontains(h->name, filter) && !icontains(h->title, filter) && !alias) continue;
        hw_list[k++] = h;
    }
    qsort(hw_list, k, sizeof *hw_list, cmp_hw);
    if (c->fmt == MS_FMT_JSON) {
        printf("{\"hardware\": [");
        for (size_t i = 0; i < k; i++) {
            const ms_hardware *h = hw_list[i];
            printf("%s{\"name\": ", i ? ", " : "");
            ms_json_str(stdout, h->name);
            printf(", \"title\": ");
            ms_json_str(stdout, h->title);
            if (h->n_aliases) {
                printf(", \"aliases\": [");
                for (int a = 0; a < h->n_aliases; a++) {
                    printf("%s", a ? ", " : "");
                    ms_json_str(stdout, h->aliases[a]);
                }
                printf("]");
            }
            printf(", \"class\": \"%s\", \"year\": %d, \"peak_fp16_flop_per_s\": %.10g, \"flop_per_s\": {",
                   ms_hw_class_name(h->hw_class), h->year, ms_hw_peak(h, MS_FP16));
            int first = 1;
            for (int p = 0; p < MS_PREC_COUNT; p++)
                if (h->flops[p] > 0) { printf("%s\"%s\": %.10g", first ? "" : ", ", ms_precision_name((ms_precision)p), h->flops[p]); first = 0; }
            printf("}, \"precisions\": [");
            first = 1;
            for (int p = 0; p < MS_PREC_COUNT; p++)
                if (h->flops[p] > 0) { printf("%s\"%s\"", first ? "" : ", ", ms_precision_name((ms_precision)p)); first = 0; }
            printf("], \"sparse_flop_per_s\": {");
            first = 1;
            for (int p = 0; p < MS_PREC_COUNT; p++)
                if (h->sparse_flops[p] > 0) { printf("%s\"%s\": %.10g", first ? "" : ", ", ms_precision_name((ms_precision)p), h->sparse_flops[p]); first = 0; }
            printf("}, \"memory_bytes\": %.10g, \"memory_bw_bytes_per_s\": %.10g, \"sram_bytes\": %.10g, "
                   "\"flash_bytes\": %.10g, \"tdp_w\": %.10g, \"link_bw_bytes_per_s\": %.10g, "
                   "\"link_latency_s\": %.10g, \"price_usd\": %.10g, \"source\": ",
                   h->mem_bytes, h->mem_bw_bytes_per_s, h->sram_bytes, h->flash_bytes, h->tdp_w,
                   h->link_bw_bytes_per_s, h->link_latency_s, h->price_usd);
            ms_json_str(stdout, h->source);
            printf("}");
        }
        printf("]}\n");
    } else {
        static const char *const cols[] = {"name", "class", "year", "peak fp16", "peak int8", "memory", "bandwidth", "TDP", "price", "formats"};
        static const int w[] = {20, 12, 6, 14, 14, 11, 13, 10, 10, 1};
        header(c->fmt, cols, w, 10);
        for (size_t i = 0; i < k; i++) {
            const ms_hardware *h = hw_list[i];
            char b[9][80];
            snprintf(b[0], 80, "%s", h->name);
            snprintf(b[1], 80, "%s", ms_hw_class_name(h->hw_class));
            snprintf(b[2], 80, "%d", h->year);
            /* native peaks only: a format the device lacks shows "-" */
            if (h->flops[MS_FP16] > 0) ms_fmt_human("peak_flop_per_s", h->flops[MS_FP16], b[3], 80); else snprintf(b[3], 80, "-");
            if (h->flops[MS_INT8] > 0) ms_fmt_human("peak_int8_op_per_s", h->flops[MS_INT8], b[4], 80); else snprintf(b[4], 80, "-");
            ms_fmt_human("memory_bytes", h->mem_bytes, b[5], 80);
            ms_fmt_human("bw_bytes_per_s", h->mem_bw_bytes_per_s, b[6], 80);
            if (h->tdp_w > 0) ms_fmt_human("tdp_w", h->tdp_w, b[7], 80); else snprintf(b[7], 80, "-");
            if (h->price_usd > 0) snprintf(b[8], 80, "$%.0f", h->price_usd); else snprintf(b[8], 80, "-");
            char fm[80] = "";
            size_t fl = 0;
            for (int p = 0; p < MS_PREC_COUNT; p++)
                if (h->flops[p] > 0) {
                    int wr = snprintf(fm + fl, sizeof fm - fl, "%s%s", fl ? " " : "", ms_precision_name((ms_precision)p));
                    if (wr > 0 && (size_t)wr < sizeof fm - fl) fl += (size_t)wr;
                }
            for (int j = 0; j < 9; j++) cell(c->fmt, j == 0, w[j], b[j]);
            cell(c->fmt, 0, w[9], fm);
            row_end();
        }
        if (c->fmt == MS_FMT_TEXT) printf("%zu devices (dense peaks of the formats each computes natively; others are emulated on a wider one or refused; `-o json` adds sparse figures and sources)\n", k);
    }
    free(hw_list);
    return MS_EXIT_OK;
}

static int zoo_models(ms_cli *c, const char *kind, const char *filter)
{
    size_t n = ms_registry_model_count(c->reg), k = 0;
    const ms_model **list = malloc(sizeof *list * (n ? n : 1));
    if (!list) return MS_EXIT_INPUT;
    for (size_t i = 0; i < n; i++) {
        const ms_model *m = ms_registry_model_at(c->reg, i);
        if (kind && strcmp(ms_model_kind_name(m->kind), kind)) continue;
        if (!icontains(m->name, filter) && !icontains(m->title, filter)) continue;
        list[k++] = m;
    }
    qsort(list, k, sizeof *list, cmp_model);
    if (c->fmt == MS_FMT_JSON) {
        printf("{\"models\": [");
        for (size_t i = 0; i < k; i++) {
            const ms_model *m = list[i];
            printf("%s{\"name\": ", i ? ", " : "");
            ms_json_str(stdout, m->name);
            printf(", \"title\": ");
            ms_json_str(stdout, m->title);
            printf(", \"kind\": \"%s\", \"params\": %.10g, \"active_params\": %.10g, \"published_params\": %.10g, "
                   "\"layers\": %d, \"forward_flop_per_token\": %.10g, \"kv_cache_per_token_fp16_bytes\": %.10g",
                   ms_model_kind_name(m->kind), m->params, m->params_active, m->published_params, m->layers,
                   m->kind == MS_MODEL_TRANSFORMER ? 2.0 * m->params_matmul : m->fwd_flops,
                   m->kv_elems_per_token * 2.0);
            if (m->kind == MS_MODEL_TRANSFORMER)
                printf(", \"hidden\": %d, \"heads\": %d, \"kv_heads\": %d, \"ffn\": %d, \"vocab\": %d, \"experts\": %d, \"experts_active\": %d",
                       m->arch.hidden, m->arch.heads, m->arch.kv_heads, m->arch.ffn, m->arch.vocab,
                       m->arch.experts, m->arch.experts_active);
            if (m->kind == MS_MODEL_SSM)
                printf(", \"d_model\": %d, \"d_state\": %d, \"state_per_sequence_fp16_bytes\": %.10g", m->ssm.d_model,
                       m->ssm.d_state, ms_ssm_state_bytes(m, 2.0));
            if (m->kind == MS_MODEL_DIFFUSION)
                printf(", \"image_px\": %d, \"steps\": %d, \"cfg\": %s, \"unet_params\": %.10g, \"unet_flop_per_pass\": %.10g, "
                       "\"text_encoder_params\": %.10g, \"vae_decoder_params\": %.10g, \"forward_flop_per_image\": %.10g",
                       ms_diffusion_image_px(m), m->diffusion.steps, m->diffusion.guidance ? "true" : "false",
                       m->diffusion.unet_params, m->diffusion.unet_flops, m->diffusion.text_params, m->diffusion.vae_params,
                       m->fwd_flops);
            if (m->kind == MS_MODEL_DLRM)
                printf(", \"tables\": %d, \"embedding_params\": %.10g, \"dense_params\": %.10g, \"lookups_per_sample\": %.10g, "
                       "\"embedding_dim\": %d", m->dlrm.tables, m->dlrm.embedding_params, m->dlrm.dense_params,
                       m->dlrm.lookups, m->dlrm.dim);
            printf(", \"source\": ");
            ms_json_str(stdout, m->source);
            printf("}");
        }
        printf("]}\n");
    } else {
        static const char *const cols[] = {"name", "kind", "params", "active", "layers", "hidden", "heads/kv", "fwd FLOP"};
        static const int w[] = {22, 16, 10, 10, 8, 8, 10, 16};
        header(c->fmt, cols, w, 8);
        for (size_t i = 0; i < k; i++) {
            const ms_model *m = list[i];
            char b[8][80];
            snprintf(b[0], 80, "%s", m->name);
            snprintf(b[1], 80, "%s%s", ms_model_kind_name(m->kind),
                     m->kind == MS_MODEL_TRANSFORMER && m->arch.experts ? "-moe" :
                     m->kind == MS_MODEL_TRANSFORMER && m->arch.encoder ? "-enc" : "");
            double p = m->params;
            if (p >= 1e9) snprintf(b[2], 80, "%.2fB", p / 1e9);
            else if (p >= 1e6) snprintf(b[2], 80, "%.2fM", p / 1e6);
            else if (p >= 1e3) snprintf(b[2], 80, "%.1fk", p / 1e3);
            else snprintf(b[2], 80, "%.0f", p);
            p = m->params_active;
            if (p >= 1e9) snprintf(b[3], 80, "%.2fB", p / 1e9);
            else if (p >= 1e6) snprintf(b[3], 80, "%.2fM", p / 1e6);
            else if (p >= 1e3) snprintf(b[3], 80, "%.1fk", p / 1e3);
            else snprintf(b[3], 80, "%.0f", p);
            snprintf(b[4], 80, "%d", m->layers);
            if (m->kind == MS_MODEL_TRANSFORMER) {
                snprintf(b[5], 80, "%d", m->arch.hidden);
                snprintf(b[6], 80, "%d/%d", m->arch.heads, m->arch.kv_lora_rank ? 0 : m->arch.kv_heads);
                char t[40];
                ms_fmt_human("x_flop", 2.0 * m->params_matmul, t, sizeof t);
                snprintf(b[7], 80, "%s/tok", t);
            } else if (m->kind == MS_MODEL_SSM) {
                snprintf(b[5], 80, "%d", m->ssm.d_model);
                snprintf(b[6], 80, "-");
                char t[40];
                ms_fmt_human("x_flop", m->fwd_flops, t, sizeof t);
                snprintf(b[7], 80, "%s/tok", t);
            } else {
                snprintf(b[5], 80, "-");
                snprintf(b[6], 80, "-");
                char t[40];
                ms_fmt_human("x_flop", m->fwd_flops, t, sizeof t);
                snprintf(b[7], 80, "%s%s", t, m->kind == MS_MODEL_DIFFUSION ? "/img" : "");
            }
            for (int j = 0; j < 8; j++) cell(c->fmt, j == 0, w[j], b[j]);
            row_end();
        }
        if (c->fmt == MS_FMT_TEXT) printf("%zu models (transformer counts derived from the architecture)\n", k);
    }
    free(list);
    return MS_EXIT_OK;
}

static int zoo_systems(ms_cli *c, const char *filter)
{
    size_t nn = ms_registry_node_count(c->reg), nf = ms_registry_fabric_count(c->reg);
    if (c->fmt == MS_FMT_JSON) {
        printf("{\"nodes\": [");
        int first = 1;
        for (size_t i = 0; i < nn; i++) {
            const ms_node *d = ms_registry_node_at(c->reg, i);
            if (!icontains(d->name, filter) && !icontains(d->title, filter)) continue;
            printf("%s{\"name\": ", first ? "" : ", ");
            first = 0;
            ms_json_str(stdout, d->name);
            printf(", \"title\": ");
            ms_json_str(stdout, d->title);
            printf(", \"accelerator\": ");
            ms_json_str(stdout, d->accelerator);
            printf(", \"accelerators\": %d, \"intra_bw_bytes_per_s\": %.10g, \"intra_latency_s\": %.10g, \"nics\": %d, \"fabric\": ",
                   d->accelerators, d->intra_bw_bytes_per_s, d->intra_latency_s, d->nics);
            ms_json_str(stdout, d->fabric);
            printf(", \"price_usd\": %.10g, \"power_w\": %.10g, \"source\": ", d->price_usd, d->power_w);
            ms_json_str(stdout, d->source);
            printf("}");
        }
        printf("], \"fabrics\": [");
        first = 1;
        for (size_t i = 0; i < nf; i++) {
            const ms_fabric *f = ms_registry_fabric_at(c->reg, i);
            if (!icontains(f->name, filter) && !icontains(f->title, filter)) continue;
            printf("%s{\"name\": ", first ? "" : ", ");
            first = 0;
            ms_json_str(stdout, f->name);
            printf(", \"title\": ");
            ms_json_str(stdout, f->title);
            printf(", \"bw_bytes_per_s\": %.10g, \"latency_s\": %.10g, \"oversubscription\": %.10g, \"source\": ",
                   f->bw_bytes_per_s, f->latency_s, f->oversubscription);
            ms_json_str(stdout, f->source);
            printf("}");
        }
        printf("]}\n");
        return MS_EXIT_OK;
    }
    static const char *const cols[] = {"node", "accelerators", "intra bw/dir", "NICs", "fabric", "power"};
    static const int w[] = {18, 16, 14, 6, 14, 10};
    header(c->fmt, cols, w, 6);
    for (size_t i = 0; i < nn; i++) {
        const ms_node *d = ms_registry_node_at(c->reg, i);
        if (!icontains(d->name, filter) && !icontains(d->title, filter)) continue;
        char b[6][80];
        snprintf(b[0], 80, "%s", d->name);
        snprintf(b[1], 80, "%d x %s", d->accelerators, d->accelerator);
        ms_fmt_human("bw_bytes_per_s", d->intra_bw_bytes_per_s, b[2], 80);
        snprintf(b[3], 80, "%d", d->nics);
        snprintf(b[4], 80, "%s", d->fabric);
        if (d->power_w > 0) ms_fmt_human("power_w", d->power_w, b[5], 80); else snprintf(b[5], 80, "-");
        for (int j = 0; j < 6; j++) cell(c->fmt, j == 0, w[j], b[j]);
        row_end();
    }
    printf("\n");
    static const char *const fcols[] = {"fabric", "bw/port/dir", "alpha", "oversub"};
    static const int fw[] = {18, 14, 10, 8};
    header(c->fmt, fcols, fw, 4);
    for (size_t i = 0; i < nf; i++) {
        const ms_fabric *f = ms_registry_fabric_at(c->reg, i);
        if (!icontains(f->name, filter) && !icontains(f->title, filter)) continue;
        char b[4][80];
        snprintf(b[0], 80, "%s", f->name);
        ms_fmt_human("bw_bytes_per_s", f->bw_bytes_per_s, b[1], 80);
        ms_fmt_human("latency_s", f->latency_s, b[2], 80);
        snprintf(b[3], 80, "%.2g", f->oversubscription);
        for (int j = 0; j < 4; j++) cell(c->fmt, j == 0, fw[j], b[j]);
        row_end();
    }
    return MS_EXIT_OK;
}

static int zoo_grids(ms_cli *c, const char *filter)
{
    size_t n = ms_registry_grid_count(c->reg);
    if (c->fmt == MS_FMT_JSON) {
        printf("{\"grids\": [");
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            const ms_grid *g = ms_registry_grid_at(c->reg, i);
            if (!icontains(g->name, filter) && !icontains(g->title, filter)) continue;
            printf("%s{\"name\": ", first ? "" : ", ");
            first = 0;
            ms_json_str(stdout, g->name);
            printf(", \"title\": ");
            ms_json_str(stdout, g->title);
            printf(", \"carbon_g_per_kwh\": %.10g, \"pue\": %.10g, \"wue_l_per_kwh\": %.10g, \"price_usd_per_kwh\": %.10g, \"source\": ",
                   g->carbon_g_per_kwh, g->pue, g->wue_l_per_kwh, g->price_usd_per_kwh);
            ms_json_str(stdout, g->source);
            printf("}");
        }
        printf("]}\n");
        return MS_EXIT_OK;
    }
    static const char *const cols[] = {"grid", "gCO2/kWh", "PUE", "WUE L/kWh", "$/kWh"};
    static const int w[] = {14, 10, 6, 11, 8};
    header(c->fmt, cols, w, 5);
    for (size_t i = 0; i < n; i++) {
        const ms_grid *g = ms_registry_grid_at(c->reg, i);
        if (!icontains(g->name, filter) && !icontains(g->title, filter)) continue;
        char b[5][80];
        snprintf(b[0], 80, "%s", g->name);
        snprintf(b[1], 80, "%.0f", g->carbon_g_per_kwh);
        snprintf(b[2], 80, "%.2f", g->pue);
        snprintf(b[3], 80, "%.2f", g->wue_l_per_kwh);
        snprintf(b[4], 80, "%.3f", g->price_usd_per_kwh);
        for (int j = 0; j < 5; j++) cell(c->fmt, j == 0, w[j], b[j]);
        row_end();
    }
    return MS_EXIT_OK;
}

int ms_cli_zoo(ms_cli *c, int argc, char **argv)
{
    const char *what = NULL, *cls = NULL, *kind = NULL, *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--class") && i + 1 < argc) cls = argv[++i];
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc) kind = argv[++i];
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (argv[i][0] == '-') { fprintf(stderr, "mlsysim zoo: unknown option '%s'\n", argv[i]); return MS_EXIT_INPUT; }
        else if (!what) what = argv[i];
        else { fprintf(stderr, "mlsysim zoo: unexpected argument '%s'\n", argv[i]); return MS_EXIT_INPUT; }
    }
    if (cls) {
        int ok = 0;
        for (int k = 0; k < MS_HW_CLASS_COUNT; k++) ok |= !strcmp(cls, ms_hw_class_name((ms_hw_class)k));
        if (!ok) { fprintf(stderr, "mlsysim zoo: --class '%s' is not cloud, workstation, mobile, edge or tiny\n", cls); return MS_EXIT_INPUT; }
    }
    if (kind && strcmp(kind, "transformer") && strcmp(kind, "cnn") && strcmp(kind, "mlp") && strcmp(kind, "diffusion") &&
        strcmp(kind, "ssm") && strcmp(kind, "dlrm")) {
        fprintf(stderr, "mlsysim zoo: --kind '%s' is not transformer, cnn, mlp, diffusion, ssm or dlrm\n", kind);
        return MS_EXIT_INPUT;
    }
    if (!what || !strcmp(what, "hardware")) return zoo_hardware(c, cls, filter);
    if (!strcmp(what, "models")) return zoo_models(c, kind, filter);
    if (!strcmp(what, "systems")) return zoo_systems(c, filter);
    if (!strcmp(what, "grids")) return zoo_grids(c, filter);
    fprintf(stderr, "mlsysim zoo: '%s' is not hardware, models, systems or grids\n", what);
    return MS_EXIT_INPUT;
}
