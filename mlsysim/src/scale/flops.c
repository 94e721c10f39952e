/* flops.c - parameter and FLOP counts of decoder-only transformers.
 *
 * FLOPs count matrix multiplications only (2 FLOPs per multiply-add). One attention convention
 * for the whole of MLSys·im (this fleet model, the roofline, serving, the solvers): a causal
 * decoder's QKᵀ and A·V cover the s(s+1)/2 (query, key) pairs a token may attend to, not the full
 * s² square (Kaplan et al. 2020 Table 1 counts per attended context position; upstream MLSys·im's
 * prefill formula 2·P·S + 2·L·h·S² is the causal one; fused causal kernels skip the masked blocks,
 * Dao 2023, FlashAttention-2 §3.1). Per layer forward, per sequence:
 *   2·s·(attention + MLP weights) + 4·h·s(s+1)/2 (QKᵀ and A·V); logit layer 2·s·h·V;
 *   backward = 2 × forward.
 * Model FLOPs (MFU) = 3 × forward. Hardware FLOPs (HFU) add the recomputed forward: full recompute
 * re-runs the layers (not the logit layer; a plan's recompute_layer_fraction of them), selective
 * recompute re-runs QKᵀ and A·V, operator-level recompute every other matmul of each layer (K, the
 * output projection, the up / MLP-out projection).
 * Published TFLOP/s figures (Megatron-LM eq. 3, PaLM App. B) count the full s² square instead;
 * ms_dist_published_flops counts that way, only to turn a published TFLOP/s into a step time, and
 * reproduces eq. 3 exactly for GPT settings (tested).
 */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ms_scale_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int ms_scale_arch(const ms_dist_model_t *m, ms_scale_arch_t *x, char *err, size_t errlen)
{
    if (!m) { ms_scale_err(err, errlen, "model: missing"); return MS_DIST_EINVAL; }
    if (m->layers <= 0) { ms_scale_err(err, errlen, "model.layers: must be > 0 (got %d)", m->layers); return MS_DIST_EINVAL; }
    if (m->hidden <= 0) { ms_scale_err(err, errlen, "model.hidden: must be > 0 (got %d)", m->hidden); return MS_DIST_EINVAL; }
    if (m->heads <= 0 || m->hidden % m->heads != 0) {
        ms_scale_err(err, errlen, "model.heads: must be > 0 and divide hidden (got %d)", m->heads);
        return MS_DIST_EINVAL;
    }
    if (m->kv_heads < 0 || (m->kv_heads > 0 && m->heads % m->kv_heads != 0)) {
        ms_scale_err(err, errlen, "model.kv_heads: must divide heads (got %d)", m->kv_heads);
        return MS_DIST_EINVAL;
    }
    if (m->vocab < 0 || m->seq_len <= 0 || m->ffn < 0 || m->experts < 0 || m->top_k < 0) {
        ms_scale_err(err, errlen, "model: vocab, ffn, experts, top_k must be >= 0 and seq_len > 0");
        return MS_DIST_EINVAL;
    }
    x->l = m->layers; x->h = m->hidden; x->a = m->heads;
    x->kv = m->kv_heads > 0 ? m->kv_heads : m->heads;
    x->d = x->h / x->a;
    x->kv_dim = x->kv * x->d;
    x->ffn = m->ffn > 0 ? m->ffn : 4.0 * x->h;
    x->V = m->vocab; x->s = m->seq_len;
    x->E = m->experts > 1 ? m->experts : 1;
    x->k = x->E > 1 ? (m->top_k > 0 ? m->top_k : 1) : 1;
    if (x->k > x->E) { ms_scale_err(err, errlen, "model.top_k: %d exceeds experts %d", m->top_k, m->experts); return MS_DIST_EINVAL; }
    x->bpp = m->bytes_per_param > 0 ? m->bytes_per_param : 2.0;
    x->lb = m->linear_bytes > 0 ? m->linear_bytes : x->bpp;
    if (!(x->lb <= x->bpp)) {
        ms_scale_err(err, errlen, "model.linear_bytes: %g exceeds bytes_per_param %g (the linear GEMMs read a format no wider than the stored one)",
                     m->linear_bytes, x->bpp);
        return MS_DIST_EINVAL;
    }
    x->mlp_mats = m->gated_ffn ? 3.0 : 2.0;
    double bias = m->biases ? 1.0 : 0.0;
    x->attn_params = x->h * (x->h + 2.0 * x->kv_dim) + x->h * x->h
                   + bias * (x->h + 2.0 * x->kv_dim + x->h);
    x->mlp_params = x->mlp_mats * x->h * x->ffn + bias * ((x->mlp_mats - 1.0) * x->ffn + x->h);
    x->norm_params = 4.0 * x->h; /* two LayerNorms, scale + shift (GPT convention) */
    x->embed_params = x->V * x->h * (m->tied_embeddings ? 1.0 : 2.0)
                    + (m->learned_pos ? x->s * x->h : 0.0);
    return MS_DIST_OK;
}

double ms_dist_params(const ms_dist_model_t *m)
{
    ms_scale_arch_t x;
    if (ms_scale_arch(m, &x, NULL, 0) != MS_DIST_OK) return 0.0;
    double router = x.E > 1 ? x.h * x.E : 0.0;
    return x.l * (x.attn_params + x.E * x.mlp_params + x.norm_params + router) + x.embed_params;
}

double ms_dist_active_params(const ms_dist_model_t *m)
{
    ms_scale_arch_t x;
    if (ms_scale_arch(m, &x, NULL, 0) != MS_DIST_OK) return 0.0;
    double router = x.E > 1 ? x.h * x.E : 0.0;
    return x.l * (x.attn_params + x.k * x.mlp_params + x.norm_params + router) + x.embed_params;
}

double ms_dist_flops_6n(const ms_dist_model_t *m, double tokens, int with_embed)
{
    ms_scale_arch_t x;
    if (ms_scale_arch(m, &x, NULL, 0) != MS_DIST_OK) return 0.0;
    double n = ms_dist_active_params(m);
    if (!with_embed) n -= x.embed_params;
    return 6.0 * n * tokens;
}

/* Forward matmul FLOPs of one sequence: layers (without and with the attention-score part) and
 * the logit layer. */
static void fwd_parts(const ms_scale_arch_t *x, int full_square, double *dense, double *scores,
                      double *logits)
{
    double wmm = x->h * (x->h + 2.0 * x->kv_dim) + x->h * x->h + x->k * x->mlp_mats * x->h * x->ffn;
    double pairs = full_square ? x->s * x->s : x->s * (x->s + 1.0) / 2.0;
    *dense = x->l * 2.0 * x->s * wmm;
    *scores = x->l * 4.0 * x->h * pairs;
    *logits = 2.0 * x->s * x->h * x->V;
}

/* Forward FLOPs recomputed per sequence: full recompute the layers (a fraction `layers` of
 * them), selective the attention core, operator-level every other matmul of each layer. */
static double recomputed(const ms_scale_arch_t *x, double d, double sc, ms_dist_recompute_t rc, double layers)
{
    switch (rc) {
    case MS_DIST_RECOMPUTE_FULL: return layers * (d + sc);
    case MS_DIST_RECOMPUTE_SELECTIVE: return sc;
    case MS_DIST_RECOMPUTE_OPS: return x->l * 2.0 * x->s * ms_scale_ops_recompute_wmm(x);
    default: return 0.0;
    }
}

static double hw_flops(const ms_dist_model_t *m, double sequences, ms_dist_recompute_t rc, double layers,
                       int full_square)
{
    ms_scale_arch_t x;
    if (ms_scale_arch(m, &x, NULL, 0) != MS_DIST_OK) return 0.0;
    double d, sc, lg;
    fwd_parts(&x, full_square, &d, &sc, &lg);
    return (3.0 * (d + sc + lg) + recomputed(&x, d, sc, rc, layers)) * sequences;
}

double ms_dist_model_flops(const ms_dist_model_t *m, double sequences)
{
    return hw_flops(m, sequences, MS_DIST_RECOMPUTE_NONE, 1.0, 0);
}

double ms_dist_hardware_flops(const ms_dist_model_t *m, double sequences, ms_dist_recompute_t rc)
{
    return hw_flops(m, sequences, rc, 1.0, 0);
}

double ms_dist_recomputed_layers(const ms_dist_parallel_t *p)
{
    if (p->recompute != MS_DIST_RECOMPUTE_FULL) return 0.0;
    return p->recompute_layer_fraction > 0 && p->recompute_layer_fraction < 1 ? p->recompute_layer_fraction : 1.0;
}

const char *ms_dist_recompute_name(ms_dist_recompute_t rc)
{
    static const char *const names[] = {"none", "selective", "full", "operator-level"};
    return (int)rc >= 0 && (int)rc <= MS_DIST_RECOMPUTE_OPS ? names[rc] : "?";
}

const char *ms_dist_attn_kernel_name(int kernel)
{
    return kernel == MS_DIST_ATTN_FLASH2 ? "flash2" : kernel == MS_DIST_ATTN_FLASH1 ? "flash1" : "?";
}

int ms_dist_attn_kernel_parse(const char *s, int *out)
{
    if (!s) return -1;
    if (!strcmp(s, "flash2") || !strcmp(s, "fa2")) { *out = MS_DIST_ATTN_FLASH2; return 0; }
    if (!strcmp(s, "flash1") || !strcmp(s, "fa1")) { *out = MS_DIST_ATTN_FLASH1; return 0; }
    return -1;
}

const char *ms_dist_opt_impl_name(int impl)
{
    return impl == MS_DIST_OPT_FUSED ? "fused" : impl == MS_DIST_OPT_UNFUSED ? "unfused"
         : impl == MS_DIST_OPT_FOREACH ? "foreach" : "?";
}

int ms_dist_opt_impl_parse(const char *s, int *out)
{
    if (!s) return -1;
    if (!strcmp(s, "fused")) { *out = MS_DIST_OPT_FUSED; return 0; }
    if (!strcmp(s, "unfused") || !strcmp(s, "for-loop")) { *out = MS_DIST_OPT_UNFUSED; return 0; }
    if (!strcmp(s, "foreach")) { *out = MS_DIST_OPT_FOREACH; return 0; }
    return -1;
}

double ms_dist_plan_hardware_flops(const ms_dist_model_t *m, double sequences, const ms_dist_parallel_t *p)
{
    return hw_flops(m, sequences, p->recompute, ms_dist_recomputed_layers(p), 0);
}

double ms_dist_published_flops(const ms_dist_model_t *m, double sequences, ms_dist_recompute_t rc)
{
    return hw_flops(m, sequences, rc, 1.0, 1);
}

double ms_dist_megatron_flops(double B, double s, double l, double h, double V)
{
    return 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
}
