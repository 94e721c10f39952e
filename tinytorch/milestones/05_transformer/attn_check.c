/* attn_check.c - milestone 05's attention check (see attn_check.h).
 *
 * The maps are recomputed beside the model's forward, not read from inside it: per layer,
 *   h = LN1(x),  qkv = h W_qkv^T + b  [T, 3C],  s_ij = q_i . k_j / sqrt(d) for j <= i,  P_i = softmax(s_i)
 * then x = tt_block_forward(block, x) as the model runs it. The final logits of this walk are compared
 * with tt_gpt_forward's, so a map that did not belong to the model would show.
 */
#include "attn_check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"

double tt_ms05_attention_maps(tt_gpt *g, const int32_t *ids, int64_t T, float *P)
{
    int64_t L = g->cfg.n_layer, H = g->cfg.n_head, C = g->cfg.dim, d = C / H;
    tt_arena_mark m = tt_arena_get_mark();
    tt_no_grad_begin();
    tt_attn_mask mask = {.causal = true};
    tt_tensor *x = tt_embedding_pos(g->wte, g->wpe, ids, 1, T, 0);   /* [1, T, C] */
    for (int64_t l = 0; l < L; l++) {
        tt_block *blk = &g->blocks[l];
        tt_tensor *h = tt_layernorm(x, blk->ln1_w, blk->ln1_b, blk->eps);
        tt_tensor *qkv = tt_linear(h, blk->attn->w_qkv, blk->attn->b_qkv);   /* [1, T, 3C] */
        const float *q3 = qkv->data;
        for (int64_t hh = 0; hh < H; hh++) {
            for (int64_t i = 0; i < T; i++) {
                float *row = P + ((l * H + hh) * T + i) * T;
                const float *q = q3 + i * 3 * C + hh * d;
                float mx = -INFINITY;
                for (int64_t j = 0; j <= i; j++) {
                    const float *k = q3 + j * 3 * C + C + hh * d;
                    float s = 0.0f;
                    for (int64_t e = 0; e < d; e++) {
                        s += q[e] * k[e];
                    }
                    row[j] = s / sqrtf((float)d);
                    mx = row[j] > mx ? row[j] : mx;
                }
                float sum = 0.0f;
                for (int64_t j = 0; j <= i; j++) {
                    row[j] = expf(row[j] - mx);
                    sum += row[j];
                }
                for (int64_t j = 0; j < T; j++) {
                    row[j] = j <= i ? row[j] / sum : 0.0f;
                }
            }
        }
        x = tt_block_forward(blk, x, &mask, false);
    }
    tt_tensor *mine = tt_linear(tt_layernorm(x, g->lnf_w, g->lnf_b, TT_LN_EPS), g->head ? g->head : g->wte, NULL);
    tt_tensor *ref = tt_gpt_forward(g, ids, 1, T, NULL);
    double diff = 0;
    for (int64_t i = 0; i < ref->numel; i++) {
        double e = fabs((double)mine->data[i] - (double)ref->data[i]);
        diff = e > diff ? e : diff;
    }
    tt_no_grad_end();
    tt_arena_release(m);
    return diff;
}

void tt_ms05_attention_entropy(const float *P, int64_t L, int64_t H, int64_t T, int64_t q0, double *ent)
{
    for (int64_t lh = 0; lh < L * H; lh++) {
        double sum = 0;
        for (int64_t i = q0; i < T; i++) {
            const float *row = P + (lh * T + i) * T;
            for (int64_t j = 0; j <= i; j++) {
                sum -= row[j] > 0.0f ? (double)row[j] * log((double)row[j]) : 0.0;
            }
        }
        ent[lh] = T > q0 ? sum / (double)(T - q0) : 0.0;
    }
}

double tt_ms05_uniform_entropy(int64_t T, int64_t q0)
{
    double s = 0;
    for (int64_t i = q0; i < T; i++) {
        s += log((double)(i + 1));
    }
    return T > q0 ? s / (double)(T - q0) : 0.0;
}

double tt_ms05_future_leak(tt_gpt *g, const int32_t *ids, int64_t T, uint64_t seed)
{
    int64_t V = g->cfg.vocab_size;
    int32_t *alt = malloc((size_t)T * sizeof *alt);
    if (!alt) {
        return INFINITY;
    }
    tt_rng r;
    tt_rng_seed(&r, seed);
    double leak = 0;
    tt_no_grad_begin();
    tt_arena_mark m = tt_arena_get_mark();
    tt_tensor *base = tt_gpt_forward(g, ids, 1, T, NULL);            /* [1, T, V] */
    int64_t step = T > 17 ? (T - 1) / 8 : 1;                         /* at most ~8 cuts of a long text */
    for (int64_t c = 0; c + 1 < T; c += step) {
        tt_arena_mark m2 = tt_arena_get_mark();
        memcpy(alt, ids, (size_t)T * sizeof *alt);
        for (int64_t j = c + 1; j < T; j++) {
            alt[j] = (int32_t)tt_rng_below(&r, (uint32_t)V);
        }
        tt_tensor *o = tt_gpt_forward(g, alt, 1, T, NULL);
        for (int64_t i = 0; i < (c + 1) * V; i++) { /* the logits of positions 0..c */
            double e = fabs((double)o->data[i] - (double)base->data[i]);
            leak = e > leak ? e : leak;
        }
        tt_arena_release(m2);
    }
    tt_arena_release(m);
    tt_no_grad_end();
    free(alt);
    return leak;
}

double tt_ms05_position_hits(const float *P, int64_t L, int64_t H, int64_t T, const int64_t *query,
                             const int64_t *key, int64_t n, double *hit, int64_t *best)
{
    double top = -1;
    *best = 0;
    for (int64_t lh = 0; lh < L * H; lh++) {
        int64_t ok = 0;
        for (int64_t k = 0; k < n; k++) {
            const float *row = P + (lh * T + query[k]) * T;
            int64_t am = 0;
            for (int64_t j = 1; j <= query[k]; j++) {
                am = row[j] > row[am] ? j : am;
            }
            ok += am == key[k];
        }
        hit[lh] = n ? (double)ok / (double)n : 0.0;
        if (hit[lh] > top) {
            top = hit[lh];
            *best = lh;
        }
    }
    return top;
}
