/* attention.c - scaled dot-product attention: the fused op (tt_sdpa, tt_attention_qkv), the
 * composed teaching version (tt_attention_reference) and multi-head self-attention (module 12).
 * Invariant: the fused ops save only P [B, H, Tq, Tk] (arena) and the mask flags; the reference keeps
 * every intermediate (S, masked S, P) on the tape, about 3x the fused op's memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/attention.h"
#include "tinytorch/autograd.h"
#include "attn_kernel.h"

typedef struct attn_saved {
    tt_attn_view view;
    float *P;
    int causal;
    int packed;     /* 1: tt_attention_qkv (one input holding q, k, v) */
    int64_t C;      /* packed: model width */
} attn_saved;

static void attn_backward(tt_node *n)
{
    attn_saved *s = n->saved;
    const float *g = n->out->grad;
    float *scratch = tt_arena_alloc((size_t)tt__attn_scratch_floats(&s->view) * sizeof(float));
    if (s->packed) {
        tt_tensor *qkv = n->in[0];
        float *dg = tt_grad_buf(qkv);
        const float *x = qkv->data;
        tt__attn_backward(&s->view, x, x + s->C, x + 2 * s->C, s->P, g, dg, dg + s->C, dg + 2 * s->C,
                          scratch, s->causal);
        return;
    }
    tt_tensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
    float *dq = tt_wants_grad(q) ? tt_grad_buf(q) : NULL;
    float *dk = tt_wants_grad(k) ? tt_grad_buf(k) : NULL;
    float *dv = tt_wants_grad(v) ? tt_grad_buf(v) : NULL;
    tt__attn_backward(&s->view, q->data, k->data, v->data, s->P, g, dq, dk, dv, scratch, s->causal);
}

static const uint8_t *mask_keys(const tt_attn_mask *m) { return m ? m->key_mask : NULL; }
static bool mask_causal(const tt_attn_mask *m) { return m && m->causal; }
static const uint8_t *mask_rows(const tt_attn_mask *m) { return m ? m->attn_mask : NULL; }
/* floats between batch rows of the boolean mask: 0 when one [Tq, Tk] mask serves every row */
static int64_t mask_rows_bs(const tt_attn_mask *m, int64_t Tq, int64_t Tk)
{
    return m && m->attn_mask && m->attn_mask_per_batch ? Tq * Tk : 0;
}

tt_tensor *tt_sdpa(tt_tensor *q, tt_tensor *k, tt_tensor *v, const tt_attn_mask *mask)
{
    if (q->ndim != 4 || k->ndim != 4 || !tt_same_shape(k, v) || q->shape[0] != k->shape[0] ||
        q->shape[1] != k->shape[1] || q->shape[3] != k->shape[3] || q->shape[3] == 0) {
        char a[96], b[96], c[96];
        tt_fatal("tt_sdpa: q %s, k %s, v %s (want [B, H, Tq, d], [B, H, Tk, d], [B, H, Tk, d])",
                 tt_shape_str(q, a, sizeof a), tt_shape_str(k, b, sizeof b), tt_shape_str(v, c, sizeof c));
    }
    int64_t B = q->shape[0], H = q->shape[1], Tq = q->shape[2], Tk = k->shape[2], d = q->shape[3];
    tt_attn_view view = {B, H, Tq, Tk, d,
                         H * Tq * d, Tq * d, d,
                         H * Tk * d, Tk * d, d,
                         H * Tk * d, Tk * d, d,
                         H * Tq * d, Tq * d, d};
    tt_tensor *out = tt_empty(4, q->shape);
    float *P = tt_arena_alloc((size_t)(B * H * Tq * Tk) * sizeof(float));
    tt__attn_forward_masked(&view, q->data, k->data, v->data, out->data, P, mask_causal(mask),
                            mask_keys(mask), mask_rows(mask), mask_rows_bs(mask, Tq, Tk));
    tt_tensor *in[3] = {q, k, v};
    tt_node *node = tt_record("sdpa", out, in, 3, attn_backward);
    if (node) {
        attn_saved *s = tt_arena_alloc(sizeof *s);
        *s = (attn_saved){view, P, mask_causal(mask), 0, 0};
        node->saved = s;
    }
    return out;
}

tt_tensor *tt_attention_qkv(tt_tensor *qkv, int n_head, const tt_attn_mask *mask)
{
    if (qkv->ndim != 3 || n_head <= 0 || qkv->shape[2] % (3 * n_head) != 0) {
        char a[96];
        tt_fatal("tt_attention_qkv: qkv %s with %d heads (want [B, T, 3C], C divisible by heads)",
                 tt_shape_str(qkv, a, sizeof a), n_head);
    }
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3, H = n_head, d = C / H;
    tt_attn_view view = {B, H, T, T, d,
                         T * 3 * C, d, 3 * C,
                         T * 3 * C, d, 3 * C,
                         T * 3 * C, d, 3 * C,
                         T * C, d, C};
    tt_tensor *out = tt_empty(TT_SHAPE(B, T, C));
    float *P = tt_arena_alloc((size_t)(B * H * T * T) * sizeof(float));
    const float *x = qkv->data;
    tt__attn_forward_masked(&view, x, x + C, x + 2 * C, out->data, P, mask_causal(mask), mask_keys(mask),
                            mask_rows(mask), mask_rows_bs(mask, T, T));
    tt_tensor *in[1] = {qkv};
    tt_node *node = tt_record("attention_qkv", out, in, 1, attn_backward);
    if (node) {
        attn_saved *s = tt_arena_alloc(sizeof *s);
        *s = (attn_saved){view, P, mask_causal(mask), 1, C};
        node->saved = s;
    }
    return out;
}

/* ---- the composed version ---------------------------------------------------------------------- */

tt_tensor *tt_attention_reference(tt_tensor *q, tt_tensor *k, tt_tensor *v, const tt_attn_mask *mask,
                                  tt_tensor **weights)
{
    if (q->ndim != 4 || k->ndim != 4 || !tt_same_shape(k, v) || q->shape[3] != k->shape[3]) {
        char a[96], b[96], c[96];
        tt_fatal("tt_attention_reference: q %s, k %s, v %s (want [B, H, Tq, d], [B, H, Tk, d] twice)",
                 tt_shape_str(q, a, sizeof a), tt_shape_str(k, b, sizeof b), tt_shape_str(v, c, sizeof c));
    }
    int64_t B = q->shape[0], Tq = q->shape[2], Tk = k->shape[2], d = q->shape[3];
    /* TODO: from tensor ops (autograd does backward): s = Q K^T / sqrt(d) (tt_matmul, tt_transpose,
     * tt_mul_scalar); blocked keys (causal: j > i + Tk - Tq; key_mask 0; attn_mask 0) filled with -1e30
     * (tt_masked_fill); P = tt_softmax(s, -1), rows with no open key set to 0; *weights = P if asked;
     * return P V */
    /* BEGIN SOLUTION */
    /* scores = Q K^T / sqrt(d): [B, H, Tq, Tk] */
    tt_tensor *s = tt_mul_scalar(tt_matmul(q, tt_transpose(k, 2, 3)), 1.0f / sqrtf((float)d));
    if (mask_causal(mask) || mask_keys(mask) || mask_rows(mask)) {
        const uint8_t *rows = mask_rows(mask);
        int64_t rbs = mask_rows_bs(mask, Tq, Tk);
        /* blocked[b, 0, i, j] = 1 where query i may not see key j; row_dead = 1 where it sees none */
        tt_tensor *blocked = tt_zeros(TT_SHAPE(B, 1, Tq, Tk));
        tt_tensor *dead = tt_zeros(TT_SHAPE(B, 1, Tq, 1));
        for (int64_t b = 0; b < B; b++) {
            for (int64_t i = 0; i < Tq; i++) {
                int64_t open = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    bool no = (mask_causal(mask) && j > i + (Tk - Tq)) ||
                              (mask_keys(mask) && !mask->key_mask[b * Tk + j]) ||
                              (rows && !rows[b * rbs + i * Tk + j]);
                    blocked->data[(b * Tq + i) * Tk + j] = no ? 1.0f : 0.0f;
                    open += !no;
                }
                dead->data[b * Tq + i] = open ? 0.0f : 1.0f;
            }
        }
        /* a large negative number, not -inf: a row with no open key stays finite and is zeroed below */
        s = tt_masked_fill(s, blocked, -1e30f);
        tt_tensor *p = tt_masked_fill(tt_softmax(s, -1), dead, 0.0f);
        if (weights) {
            *weights = p;
        }
        return tt_matmul(p, v);
    }
    tt_tensor *p = tt_softmax(s, -1);
    if (weights) {
        *weights = p;
    }
    return tt_matmul(p, v);
    /* END SOLUTION */
}

/* ---- multi-head self-attention ----------------------------------------------------------------- */

static tt_tensor *param(int64_t rows, int64_t cols, float std, tt_rng *rng, const char *name)
{
    tt_tensor *t = cols ? tt_tensor_new_persistent(TT_SHAPE(rows, cols))
                        : tt_tensor_new_persistent(TT_SHAPE(rows));
    for (int64_t i = 0; std > 0.0f && i < t->numel; i++) {
        t->data[i] = std * tt_rng_normal(rng);
    }
    t->name = name;
    tt_set_requires_grad(t, true);
    return t;
}

static tt_tensor *mha_layer_forward(tt_layer *self, tt_tensor *x)
{
    tt_mha *m = (tt_mha *)self;
    bool any = m->mask.causal || m->mask.key_mask || m->mask.attn_mask;
    return tt_mha_forward(m, x, any ? &m->mask : NULL, m->reference);
}

static void mha_layer_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_mha *m = (tt_mha *)self;
    tt_params_add_at(out, prefix, "qkv.weight", m->w_qkv);
    tt_params_add_at(out, prefix, "qkv.bias", m->b_qkv);
    tt_params_add_at(out, prefix, "out.weight", m->w_out);
    tt_params_add_at(out, prefix, "out.bias", m->b_out);
}

static void mha_layer_destroy(tt_layer *self)
{
    tt_mha *m = (tt_mha *)self;
    if (m->owns_params) {
        tt_tensor_free(m->w_qkv);
        tt_tensor_free(m->b_qkv);
        tt_tensor_free(m->w_out);
        tt_tensor_free(m->b_out);
    }
    free(m);
}

static const tt_layer_ops mha_ops = {"MultiheadAttention", mha_layer_forward, mha_layer_collect, NULL,
                                     mha_layer_destroy, NULL};

static tt_mha *mha_make(int64_t dim, int64_t n_head, float out_std_scale, bool bias, tt_rng *rng,
                        const char *who)
{
    if (dim <= 0 || n_head <= 0 || dim % n_head != 0) {
        tt_fatal("%s: width %lld is not divisible by %lld heads (want heads >= 1 dividing the width)",
                 who, (long long)dim, (long long)n_head);
    }
    tt_mha *m = calloc(1, sizeof *m);
    if (!m) {
        tt_fatal("%s: out of memory", who);
    }
    if (!rng) {
        rng = tt_default_rng();
    }
    m->base.ops = &mha_ops;
    m->base.training = true;
    m->owns_params = true;
    m->dim = dim;
    m->n_head = n_head;
    m->head_dim = dim / n_head;
    m->w_qkv = param(3 * dim, dim, 0.02f, rng, "qkv.weight");
    m->b_qkv = bias ? param(3 * dim, 0, 0.0f, rng, "qkv.bias") : NULL;
    m->w_out = param(dim, dim, 0.02f * (out_std_scale > 0.0f ? out_std_scale : 1.0f), rng, "out.weight");
    m->b_out = bias ? param(dim, 0, 0.0f, rng, "out.bias") : NULL;
    return m;
}

tt_mha *tt_mha_new(int64_t dim, int64_t n_head, float out_std_scale, tt_rng *rng)
{
    return mha_make(dim, n_head, out_std_scale, true, rng, "tt_mha_new");
}

tt_layer *tt_mha_layer_new(int64_t dim, tt_mha_opts o, tt_rng *rng)
{
    tt_mha *m = mha_make(dim, o.n_head, o.out_std_scale, !o.no_bias, rng, "tt_mha_layer_new");
    m->mask.causal = o.causal;
    return &m->base;
}

void tt_mha_set_mask(tt_layer *mha, const tt_attn_mask *mask)
{
    if (!mha || mha->ops != &mha_ops) {
        tt_fatal("tt_mha_set_mask: the layer is a %s, not a MultiheadAttention",
                 mha ? mha->ops->kind : "NULL");
    }
    tt_mha *m = (tt_mha *)mha;
    m->mask = mask ? *mask : (tt_attn_mask){0};
}

void tt__mha_init_shared(struct tt_mha *m, int64_t dim, int64_t n_head)
{
    m->base.ops = &mha_ops;
    m->base.training = true;
    m->owns_params = false;
    m->dim = dim;
    m->n_head = n_head;
    m->head_dim = dim / n_head;
}

static tt_tensor *split_heads(tt_tensor *qkv, int which, int64_t H)
{
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    tt_tensor *x = tt_slice(qkv, 2, which * C, (which + 1) * C, 1);      /* [B, T, C] */
    x = tt_reshape(x, TT_SHAPE(B, T, H, C / H));                          /* [B, T, H, d] */
    return tt_permute(x, (const int[]){0, 2, 1, 3});                     /* [B, H, T, d] */
}

tt_tensor *tt_mha_forward(tt_mha *m, tt_tensor *x, const tt_attn_mask *mask, bool reference)
{
    if (x->ndim != 3 || x->shape[2] != m->dim) {
        char a[96];
        tt_fatal("tt_mha_forward: input %s, want [B, T, %lld]", tt_shape_str(x, a, sizeof a),
                 (long long)m->dim);
    }
    tt_tensor *qkv = tt_linear(x, m->w_qkv, m->b_qkv);                   /* [B, T, 3C] */
    tt_tensor *y;
    if (reference) {
        tt_tensor *o = tt_attention_reference(split_heads(qkv, 0, m->n_head), split_heads(qkv, 1, m->n_head),
                                              split_heads(qkv, 2, m->n_head), mask, NULL);
        o = tt_permute(o, (const int[]){0, 2, 1, 3});                    /* [B, T, H, d] */
        y = tt_reshape(o, TT_SHAPE(x->shape[0], x->shape[1], m->dim));
    } else {
        y = tt_attention_qkv(qkv, (int)m->n_head, mask);
    }
    return tt_linear(y, m->w_out, m->b_out);
}

void tt_mha_params(tt_mha *m, tt_params *out, const char *prefix)
{
    tt_layer_collect_at(&m->base, out, "", prefix); /* "attn" -> "attn.qkv.weight"; "" -> "qkv.weight" */
}

void tt_mha_free(tt_mha *m)
{
    if (m) {
        tt_layer_free(&m->base);
    }
}
