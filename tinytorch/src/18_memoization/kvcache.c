/* kvcache.c - the KV cache and cached generation (module 18).
 * Invariant: for every layer, rows [0, len) of k[l] and v[l] hold the keys and values of positions
 * 0..len-1 computed by that layer; rows >= len are garbage. A cached step computes exactly the ops of
 * tt_gpt_forward for its rows (same kernels), so logits agree with recomputation to rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/kvcache.h"
#include "../12_attention/attn_kernel.h"
#include "tinytorch/gemm.h"
#include "../17_acceleration/gemv_internal.h"
#include "../common/vmath.h"

/* ---- the one-token fast path -------------------------------------------------------------------
 * A decode step multiplies ONE row by each weight matrix: rows <= GEMV_MAX_ROWS go through tt_sgemv
 * (module 17), which reads every weight once per token instead of packing it for a GEMM. */
#define GEMV_MAX_ROWS 4

/* y[R, out] = x[R, in] @ w[out, in]^T + bias (no gradient). */
static tt_tensor *linear_rows(tt_tensor *x, tt_tensor *w, tt_tensor *bias)
{
    int64_t in = w->shape[1], out = w->shape[0], R = x->numel / in;
    if (R > GEMV_MAX_ROWS) {
        return tt_linear(x, w, bias);
    }
    int64_t shape[TT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out;
    tt_tensor *y = tt_empty(x->ndim, shape);
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x->data + r * in;
        float *yr = y->data + r * out;
        tt_sgemv(w->data, xr, bias ? bias->data : NULL, yr, out, in);
    }
    return y;
}

#ifdef TT_HAVE_AVX512_PATH
/* attend_one with 16-lane dot products and updates (head_dim a multiple of 16). */
static TT_AVX512_FN void attend_one16(const float *q, const float *K, const float *V, float *out, int64_t Tk,
                                      int64_t H, int64_t d, float *p)
{
    int64_t C = H * d;
    float scale = 1.0f / sqrtf((float)d);
    for (int64_t h = 0; h < H; h++) {
        float m = -INFINITY;
        for (int64_t j = 0; j < Tk; j++) {
            p[j] = scale * tt__sdot16(q + h * d, K + j * C + h * d, d);
            m = p[j] > m ? p[j] : m;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < Tk; j++) {
            p[j] = tt__expf(p[j] - m);
            sum += p[j];
        }
        float inv = 1.0f / sum, *o = out + h * d;
        for (int64_t i = 0; i < d; i += 16) {
            tt_v16f acc = tt__v16f_set(0.0f);
            for (int64_t j = 0; j < Tk; j++) {
                acc += tt__v16f_load(V + j * C + h * d + i) * p[j];
            }
            tt__v16f_store(o + i, acc * inv);
        }
    }
}
#endif

/* One query row q [C] against cached rows [0, Tk) of K, V ([max_len, C], heads side by side):
 * out [C]. p: Tk floats of scratch. */
static void attend_one(const float *q, const float *K, const float *V, float *out, int64_t Tk, int64_t H,
                       int64_t d, float *p)
{
    /* TODO: for each head h: scores p[j] = q_h . K[j]_h / sqrt(d) over the Tk cached rows, a softmax
     * (subtract the max), then out_h = sum_j p[j] V[j]_h. Heads sit side by side in each row of C. */
    /* BEGIN SOLUTION */
    int64_t C = H * d;
    float scale = 1.0f / sqrtf((float)d);
    for (int64_t h = 0; h < H; h++) {
        float m = -INFINITY;
        for (int64_t j = 0; j < Tk; j++) {
            p[j] = scale * tt__sdot4(q + h * d, K + j * C + h * d, d);
            m = p[j] > m ? p[j] : m;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < Tk; j++) {
            p[j] = tt__expf(p[j] - m);
            sum += p[j];
        }
        float inv = 1.0f / sum, *o = out + h * d;
        memset(o, 0, (size_t)d * sizeof(float));
        for (int64_t j = 0; j < Tk; j++) {
            const float *v = V + j * C + h * d;
            float w = p[j] * inv;
            TT_SIMD
            for (int64_t i = 0; i < d; i++) {
                o[i] += w * v[i];
            }
        }
    }
    /* END SOLUTION */
}

tt_kv_cache *tt_kv_cache_new(const tt_gpt *g, int64_t batch, int64_t max_len)
{
    if (batch <= 0 || max_len <= 0) {
        tt_fatal("tt_kv_cache_new: batch %lld, max_len %lld must be positive", (long long)batch,
                 (long long)max_len);
    }
    tt_kv_cache *c = calloc(1, sizeof *c);
    if (!c) {
        tt_fatal("tt_kv_cache_new: out of memory");
    }
    c->n_layer = g->cfg.n_layer;
    c->n_head = g->cfg.n_head;
    c->head_dim = g->cfg.dim / g->cfg.n_head;
    c->max_len = max_len;
    c->batch = batch;
    c->k = calloc((size_t)c->n_layer, sizeof *c->k);
    c->v = calloc((size_t)c->n_layer, sizeof *c->v);
    if (!c->k || !c->v) {
        tt_fatal("tt_kv_cache_new: out of memory");
    }
    for (int64_t l = 0; l < c->n_layer; l++) {
        c->k[l] = tt_tensor_new_persistent(TT_SHAPE(batch, max_len, g->cfg.dim));
        c->v[l] = tt_tensor_new_persistent(TT_SHAPE(batch, max_len, g->cfg.dim));
    }
    return c;
}

void tt_kv_cache_reset(tt_kv_cache *c) { c->len = 0; }

void tt_kv_cache_free(tt_kv_cache *c)
{
    if (!c) {
        return;
    }
    for (int64_t l = 0; l < c->n_layer; l++) {
        tt_tensor_free(c->k[l]);
        tt_tensor_free(c->v[l]);
    }
    free(c->k);
    free(c->v);
    free(c);
}

size_t tt_kv_cache_bytes(const tt_kv_cache *c)
{
    /* TODO: K and V, for every layer, head, position and batch row, float32. */
    /* BEGIN SOLUTION */
    return (size_t)(2 * c->n_layer * c->n_head * c->head_dim * c->max_len * c->batch) * sizeof(float);
    /* END SOLUTION */
}

/* Attention of T new queries (from qkv [B, T, 3C]) over the cache rows [0, len + T). */
static tt_tensor *cached_attention(tt_kv_cache *c, int64_t l, tt_tensor *qkv, int64_t T)
{
    int64_t B = c->batch, C = c->n_head * c->head_dim, d = c->head_dim, L = c->max_len;
    int64_t pos = c->len, Tk = pos + T;
    float *K = c->k[l]->data, *V = c->v[l]->data;
    /* TODO: append the T new keys and values (columns C..2C-1 and 2C..3C-1 of each qkv row) at rows
     * pos .. pos+T-1 of batch row b's cache (K, V are [B, max_len, C]). */
    /* BEGIN SOLUTION */
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++) {
            const float *row = qkv->data + (b * T + t) * 3 * C;
            memcpy(K + (b * L + pos + t) * C, row + C, (size_t)C * sizeof(float));
            memcpy(V + (b * L + pos + t) * C, row + 2 * C, (size_t)C * sizeof(float));
        }
    }
    /* END SOLUTION */
    tt_attn_view view = {B, c->n_head, T, Tk, d,
                         T * 3 * C, d, 3 * C,
                         L * C, d, C,
                         L * C, d, C,
                         T * C, d, C};
    tt_tensor *out = tt_empty(TT_SHAPE(B, T, C));
    if (T == 1) {
        float *p = tt_arena_alloc((size_t)Tk * sizeof(float));
        for (int64_t b = 0; b < B; b++) {
#ifdef TT_HAVE_AVX512_PATH
            if (tt__have_avx512() && d % 16 == 0) {
                attend_one16(qkv->data + b * 3 * C, K + b * L * C, V + b * L * C, out->data + b * C, Tk,
                             c->n_head, d, p);
                continue;
            }
#endif
            attend_one(qkv->data + b * 3 * C, K + b * L * C, V + b * L * C, out->data + b * C, Tk, c->n_head, d, p);
        }
        return out;
    }
    float *P = tt_arena_alloc((size_t)(B * c->n_head * T * Tk) * sizeof(float));
    tt__attn_forward(&view, qkv->data, K, V, out->data, P, true, NULL);
    return out;
}

tt_tensor *tt_gpt_forward_cached(tt_gpt *g, tt_kv_cache *c, const int32_t *ids, int64_t T)
{
    if (T <= 0 || c->len + T > c->max_len || c->len + T > g->cfg.max_len ||
        c->n_layer != g->cfg.n_layer || c->n_head * c->head_dim != g->cfg.dim) {
        tt_fatal("tt_gpt_forward_cached: %lld new tokens after %lld cached (cache holds %lld, the model's"
                 " context %lld), or the cache was made for another model", (long long)T,
                 (long long)c->len, (long long)c->max_len, (long long)g->cfg.max_len);
    }
    int64_t B = c->batch;
    tt_no_grad_begin();
    tt_tensor *x = tt_embedding_pos(g->wte, g->wpe, ids, B, T, c->len);
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        tt_block *blk = &g->blocks[l];
        tt_tensor *h = tt_layernorm(x, blk->ln1_w, blk->ln1_b, TT_LN_EPS);
        tt_tensor *qkv = linear_rows(h, blk->attn->w_qkv, blk->attn->b_qkv);
        tt_tensor *a = cached_attention(c, l, qkv, T);
        x = tt_add(x, linear_rows(a, blk->attn->w_out, blk->attn->b_out));
        h = tt_layernorm(x, blk->ln2_w, blk->ln2_b, TT_LN_EPS);
        h = tt_gelu(linear_rows(h, blk->fc_w, blk->fc_b));
        h = linear_rows(h, blk->proj_w, blk->proj_b);
        x = tt_add(x, h);
    }
    x = tt_layernorm(x, g->lnf_w, g->lnf_b, TT_LN_EPS);
    tt_tensor *logits = linear_rows(x, g->head ? g->head : g->wte, NULL);
    tt_no_grad_end();
    /* TODO: the cache now holds T more positions. */
    /* BEGIN SOLUTION */
    c->len += T;
    /* END SOLUTION */
    return logits;
}

void tt_gpt_generate_cached(tt_gpt *g, tt_kv_cache *c, const int32_t *prompt, int64_t n_prompt,
                            int64_t n_new, float temperature, int top_k, uint64_t seed, int32_t *out)
{
    if (n_prompt <= 0 || c->batch != 1) {
        tt_fatal("tt_gpt_generate_cached: needs a prompt of at least one token and a batch-1 cache");
    }
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    memcpy(out, prompt, (size_t)n_prompt * sizeof *out);
    int64_t V = g->cfg.vocab_size;
    tt_kv_cache_reset(c);
    tt_arena_mark m = tt_arena_get_mark();
    tt_tensor *logits = tt_gpt_forward_cached(g, c, prompt, n_prompt);
    float *scratch = tt_arena_alloc((size_t)V * sizeof(float));
    int32_t next = tt_sample_logits(logits->data + (n_prompt - 1) * V, V, temperature, top_k, &rng, scratch);
    tt_arena_release(m);
    for (int64_t i = 0; i < n_new; i++) {
        out[n_prompt + i] = next;
        if (i + 1 == n_new) {
            break;
        }
        m = tt_arena_get_mark();
        logits = tt_gpt_forward_cached(g, c, &out[n_prompt + i], 1);
        scratch = tt_arena_alloc((size_t)V * sizeof(float));
        next = tt_sample_logits(logits->data, V, temperature, top_k, &rng, scratch);
        tt_arena_release(m);
    }
}
