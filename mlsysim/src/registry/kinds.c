/* kinds.c - registry readers of the model kinds beyond transformers and CNNs: the `ssm:`,
 * `diffusion:` and `dlrm:` mappings of a models entry (fields in registry.h; counts in
 * src/physics/ssm.c, diffusion.c, dlrm.c).
 *
 * Invariants: every field is known and in range, lists have the length their count says, and
 * after ms_model_derive the published `params` agree with the architecture (ms__check_kind):
 * SSM within 2 %, the diffusion U-Net and the DLRM within 1 %. Failures read
 * "file:line: models.NAME.field: reason". */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Reads a mapping of int (and bool) fields; `special` handles the keys the table lacks (returns 1
 * when it did not know the key). */
int ms__read_fields(msy_doc *y, struct fy_node *n, const char *field, void *dst, const ms__int_field *f, size_t nf,
                    const char *const *bools, const size_t *bool_off, size_t nb,
                    int (*special)(msy_doc *, struct fy_node *, const char *, const char *, void *))
{
    if (!msy_is_map(n)) return msy_fail(y, n, field, "expected a mapping");
    msy_fields it = {0};
    while (msy_next(n, field, &it)) {
        int done = 0;
        for (size_t i = 0; !done && i < nf; i++)
            if (!strcmp(it.key, f[i].k)) {
                if (msy_int(y, it.value, it.field, (int *)((char *)dst + f[i].off), f[i].min, f[i].max)) return -1;
                done = 1;
            }
        for (size_t i = 0; !done && i < nb; i++)
            if (!strcmp(it.key, bools[i])) {
                if (msy_bool(y, it.value, it.field, (int *)((char *)dst + bool_off[i]))) return -1;
                done = 1;
            }
        if (!done && special) {
            int rc = special(y, it.value, it.field, it.key, dst);
            if (rc < 0) return -1;
            done = rc == 0;
        }
        if (!done) return msy_unknown(y, &it);
    }
    return 0;
}

/* A list of ints (max entries cap) into out; *count = its length. */
static int int_list(msy_doc *y, struct fy_node *v, const char *field, int *out, int cap, int *count, long min, long max)
{
    if (!msy_is_seq(v)) return msy_fail(y, v, field, "expected a list, e.g. [320, 640, 1280]");
    void *it = NULL;
    struct fy_node *c;
    int n = 0;
    while ((c = fy_node_sequence_iterate(v, &it))) {
        if (n == cap) return msy_fail(y, v, field, "more than %d entries", cap);
        char f[300];
        snprintf(f, sizeof f, "%s[%d]", field, n);
        if (msy_int(y, c, f, &out[n], min, max)) return -1;
        n++;
    }
    if (n == 0) return msy_fail(y, v, field, "empty list");
    *count = n;
    return 0;
}

/* The sum of a list of numbers (per-table rows or lookups); *count = its length. */
static int num_list_sum(msy_doc *y, struct fy_node *v, const char *field, double min, double max, double *sum, int *count)
{
    if (!msy_is_seq(v)) return msy_fail(y, v, field, "expected a list of numbers, one per table");
    void *it = NULL;
    struct fy_node *c;
    int n = 0;
    double s = 0;
    while ((c = fy_node_sequence_iterate(v, &it))) {
        char f[300];
        snprintf(f, sizeof f, "%s[%d]", field, n);
        double x;
        if (msy_num(y, c, f, &x, min, max)) return -1;
        s += x;
        if (++n > 100000) return msy_fail(y, v, field, "more than 100000 tables");
    }
    if (n == 0) return msy_fail(y, v, field, "empty list");
    *sum = s;
    *count = n;
    return 0;
}

/* ---- ssm ---- */

int ms__read_ssm(msy_doc *y, struct fy_node *n, const char *field, ms_ssm_arch *a)
{
    static const ms__int_field f[] = {
        {"layers", offsetof(ms_ssm_arch, layers), 1, 100000},
        {"d_model", offsetof(ms_ssm_arch, d_model), 1, 1000000},
        {"expand", offsetof(ms_ssm_arch, expand), 1, 64},
        {"d_state", offsetof(ms_ssm_arch, d_state), 1, 65536},
        {"d_conv", offsetof(ms_ssm_arch, d_conv), 1, 64},
        {"dt_rank", offsetof(ms_ssm_arch, dt_rank), 0, 1000000},
        {"vocab", offsetof(ms_ssm_arch, vocab), 1, 100000000},
    };
    static const char *const bools[] = {"tied_embeddings"};
    static const size_t boff[] = {offsetof(ms_ssm_arch, tied_embeddings)};
    memset(a, 0, sizeof *a);
    a->expand = 2, a->d_state = 16, a->d_conv = 4, a->tied_embeddings = 1;   /* Mamba's defaults */
    if (ms__read_fields(y, n, field, a, f, sizeof f / sizeof f[0], bools, boff, 1, NULL)) return -1;
    if (a->layers <= 0 || a->d_model <= 0 || a->vocab <= 0)
        return msy_fail(y, n, field, "needs layers, d_model and vocab (expand 2, d_state 16, d_conv 4 by default)");
    return 0;
}

/* ---- diffusion ---- */

/* the arch first, so the field offsets of ms_diffusion_arch hold; att_n counts `attention` */
typedef struct {
    ms_diffusion_arch d;
    int att_n;
} diffusion_ctx;

static int diffusion_special(msy_doc *y, struct fy_node *v, const char *fld, const char *key, void *dst)
{
    diffusion_ctx *c = dst;
    ms_diffusion_arch *d = &c->d;
    int n = 0;
    if (!strcmp(key, "channels")) {
        if (int_list(y, v, fld, d->channels, MS_UNET_MAX_LEVELS, &n, 1, 100000)) return -1;
        d->levels = n;
        return 0;
    }
    if (!strcmp(key, "attention")) return int_list(y, v, fld, d->attention, MS_UNET_MAX_LEVELS, &c->att_n, 0, 1) ? -1 : 0;
    if (!strcmp(key, "vae_channels")) {
        if (int_list(y, v, fld, d->vae_channels, MS_UNET_MAX_LEVELS, &n, 1, 100000)) return -1;
        d->vae_levels = n;
        return 0;
    }
    if (!strcmp(key, "text")) return ms__read_arch(y, v, fld, &d->text) ? -1 : 0;
    return 1;
}

int ms__read_diffusion(msy_doc *y, struct fy_node *n, const char *field, ms_diffusion_arch *out)
{
    static const ms__int_field f[] = {
        {"latent", offsetof(ms_diffusion_arch, latent), 1, 4096},
        {"latent_channels", offsetof(ms_diffusion_arch, latent_channels), 1, 4096},
        {"layers_per_block", offsetof(ms_diffusion_arch, layers_per_block), 1, 16},
        {"heads", offsetof(ms_diffusion_arch, heads), 1, 1024},
        {"context_dim", offsetof(ms_diffusion_arch, context_dim), 1, 100000},
        {"context_len", offsetof(ms_diffusion_arch, context_len), 1, 100000},
        {"vae_layers_per_block", offsetof(ms_diffusion_arch, vae_layers_per_block), 1, 16},
        {"steps", offsetof(ms_diffusion_arch, steps), 1, 10000},
    };
    static const char *const bools[] = {"guidance"};
    static const size_t boff[] = {offsetof(ms_diffusion_arch, guidance)};
    diffusion_ctx c;
    memset(&c, 0, sizeof c);
    ms_diffusion_arch *d = &c.d;
    d->guidance = 1;
    if (ms__read_fields(y, n, field, &c, f, sizeof f / sizeof f[0], bools, boff, 1, diffusion_special)) return -1;
    if (!d->latent || !d->latent_channels || !d->levels || !d->layers_per_block || !d->heads || !d->context_dim ||
        !d->context_len || !d->vae_levels || !d->vae_layers_per_block || !d->steps || !d->text.layers)
        return msy_fail(y, n, field, "needs latent, latent_channels, channels, attention, layers_per_block, heads, "
                        "context_dim, context_len, vae_channels, vae_layers_per_block, steps and text");
    if (c.att_n != d->levels)
        return msy_fail(y, n, field, "attention has %d entries for %d levels (one 0 or 1 per entry of channels)", c.att_n,
                        d->levels);
    for (int i = 0; i < d->levels; i++)
        if (d->channels[i] % d->heads)
            return msy_fail(y, n, field, "channels %d of level %d are not a multiple of heads %d", d->channels[i], i,
                            d->heads);
    if (d->latent % (1 << (d->levels - 1)))
        return msy_fail(y, n, field, "latent %d is not divisible by 2^%d (the U-Net halves it %d times)", d->latent,
                        d->levels - 1, d->levels - 1);
    *out = *d;
    return 0;
}

/* ---- dlrm ---- */

static int dlrm_special(msy_doc *y, struct fy_node *v, const char *fld, const char *key, void *dst)
{
    ms_dlrm_arch *a = dst;
    if (!strcmp(key, "bottom_mlp")) return int_list(y, v, fld, a->bottom, MS_MLP_MAX_LAYERS, &a->n_bottom, 1, 1000000) ? -1 : 0;
    if (!strcmp(key, "top_mlp")) return int_list(y, v, fld, a->top, MS_MLP_MAX_LAYERS, &a->n_top, 1, 1000000) ? -1 : 0;
    if (!strcmp(key, "rows")) {
        int n;
        if (num_list_sum(y, v, fld, 1, 1e13, &a->rows, &n)) return -1;
        if (a->tables && a->tables != n) return msy_fail(y, v, fld, "%d entries for %d tables", n, a->tables);
        a->tables = n;
        return 0;
    }
    if (!strcmp(key, "lookups")) {
        int n;
        if (num_list_sum(y, v, fld, 1, 1e6, &a->lookups, &n)) return -1;
        if (a->tables && a->tables != n) return msy_fail(y, v, fld, "%d entries for %d tables (one per entry of rows)", n, a->tables);
        a->tables = n;
        return 0;
    }
    return 1;
}

int ms__read_dlrm(msy_doc *y, struct fy_node *n, const char *field, ms_dlrm_arch *a)
{
    static const ms__int_field f[] = {
        {"dense_features", offsetof(ms_dlrm_arch, dense_features), 1, 1000000},
        {"dim", offsetof(ms_dlrm_arch, dim), 1, 1000000},
        {"cross_layers", offsetof(ms_dlrm_arch, cross_layers), 0, 64},
        {"cross_rank", offsetof(ms_dlrm_arch, cross_rank), 1, 1000000},
    };
    memset(a, 0, sizeof *a);
    if (ms__read_fields(y, n, field, a, f, sizeof f / sizeof f[0], NULL, NULL, 0, dlrm_special)) return -1;
    if (!a->dense_features || !a->dim || !a->n_bottom || !a->n_top || a->rows <= 0 || a->lookups <= 0)
        return msy_fail(y, n, field, "needs dense_features, dim, bottom_mlp, top_mlp, rows and lookups (one entry per table)");
    if (a->bottom[a->n_bottom - 1] != a->dim)
        return msy_fail(y, n, field, "bottom_mlp ends in %d, but the embeddings are %d wide (the two interact)",
                        a->bottom[a->n_bottom - 1], a->dim);
    if (a->cross_layers > 0 && a->cross_rank <= 0) return msy_fail(y, n, field, "cross_layers needs cross_rank");
    return 0;
}

int ms__check_kind(msy_doc *y, struct fy_node *n, const char *field, const ms_model *m)
{
    double derived = m->params, tol = 0.01;
    const char *what = "the architecture";
    if (m->kind == MS_MODEL_DIFFUSION) derived = m->diffusion.unet_params, what = "the U-Net of its architecture";
    else if (m->kind == MS_MODEL_SSM) tol = 0.02;
    else if (m->kind != MS_MODEL_DLRM) return 0;
    if (!isfinite(m->params) || !isfinite(m->fwd_flops)) return msy_fail(y, n, field, "the architecture's counts overflow");
    if (derived > (1 + tol) * m->published_params || m->published_params > (1 + tol) * derived)
        return msy_fail(y, n, field, "params %.6g disagrees with the %.6g parameters of %s (more than %g %%)",
                        m->published_params, derived, what, tol * 100);
    return 0;
}
