/* gpt.c - the GELU MLP, the pre-norm transformer block, a GPT model and sampling (module 13).
 * Invariant: every parameter is a persistent tensor owned by the model and listed once in g->params;
 * a forward pass allocates only step tensors (arena). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/transformer.h"

static tt_tensor *new_param(tt_gpt *g, const char *name, int ndim, const int64_t *shape, float std,
                            float fill, tt_rng *rng)
{
    tt_tensor *t = tt_tensor_new_persistent(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = std > 0.0f ? std * tt_rng_normal(rng) : fill;
    }
    tt_set_requires_grad(t, true);
    tt_params_add(&g->params, name, t);
    t->name = g->params.names[g->params.n - 1];
    return t;
}

tt_gpt *tt_gpt_new(const tt_gpt_config *cfg, tt_rng *rng)
{
    if (cfg->vocab_size <= 0 || cfg->max_len <= 0 || cfg->dim <= 0 || cfg->n_layer <= 0 ||
        cfg->n_head <= 0 || cfg->dim % cfg->n_head != 0) {
        tt_fatal("tt_gpt_new: bad config (vocab %lld, context %lld, width %lld, layers %lld, heads %lld;"
                 " width must divide by heads)", (long long)cfg->vocab_size, (long long)cfg->max_len,
                 (long long)cfg->dim, (long long)cfg->n_layer, (long long)cfg->n_head);
    }
    if (!rng) {
        rng = tt_default_rng();
    }
    tt_gpt *g = calloc(1, sizeof *g);
    if (!g || !(g->blocks = calloc((size_t)cfg->n_layer, sizeof *g->blocks))) {
        tt_fatal("tt_gpt_new: out of memory");
    }
    g->cfg = *cfg;
    tt_params_init(&g->params);
    int64_t C = cfg->dim, V = cfg->vocab_size, L = cfg->n_layer;
    float proj_std = 0.02f / sqrtf(2.0f * (float)L);
    g->wte = new_param(g, "wte", TT_SHAPE(V, C), 0.02f, 0.0f, rng);
    if (cfg->sinusoidal) {
        g->wpe = tt_sinusoidal_table_new(cfg->max_len, C);
    } else {
        g->wpe = new_param(g, "wpe", TT_SHAPE(cfg->max_len, C), 0.02f, 0.0f, rng);
    }
    for (int64_t l = 0; l < L; l++) {
        tt_block *b = &g->blocks[l];
        char n[96];
#define P(field, suffix, ...)                                                                      \
    snprintf(n, sizeof n, "h.%lld.%s", (long long)l, suffix);                                      \
    b->field = new_param(g, n, __VA_ARGS__, rng)
        P(ln1_w, "ln1.weight", TT_SHAPE(C), 0.0f, 1.0f);
        P(ln1_b, "ln1.bias", TT_SHAPE(C), 0.0f, 0.0f);
        b->attn = calloc(1, sizeof *b->attn);
        if (!b->attn) {
            tt_fatal("tt_gpt_new: out of memory");
        }
        b->attn->dim = C;
        b->attn->n_head = cfg->n_head;
        b->attn->head_dim = C / cfg->n_head;
        P(attn->w_qkv, "attn.qkv.weight", TT_SHAPE(3 * C, C), 0.02f, 0.0f);
        P(attn->b_qkv, "attn.qkv.bias", TT_SHAPE(3 * C), 0.0f, 0.0f);
        P(attn->w_out, "attn.out.weight", TT_SHAPE(C, C), proj_std, 0.0f);
        P(attn->b_out, "attn.out.bias", TT_SHAPE(C), 0.0f, 0.0f);
        P(ln2_w, "ln2.weight", TT_SHAPE(C), 0.0f, 1.0f);
        P(ln2_b, "ln2.bias", TT_SHAPE(C), 0.0f, 0.0f);
        P(fc_w, "mlp.fc.weight", TT_SHAPE(4 * C, C), 0.02f, 0.0f);
        P(fc_b, "mlp.fc.bias", TT_SHAPE(4 * C), 0.0f, 0.0f);
        P(proj_w, "mlp.proj.weight", TT_SHAPE(C, 4 * C), proj_std, 0.0f);
        P(proj_b, "mlp.proj.bias", TT_SHAPE(C), 0.0f, 0.0f);
#undef P
    }
    g->lnf_w = new_param(g, "ln_f.weight", TT_SHAPE(C), 0.0f, 1.0f, rng);
    g->lnf_b = new_param(g, "ln_f.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
    if (!cfg->tied_head) {
        g->head = new_param(g, "head.weight", TT_SHAPE(V, C), 0.02f, 0.0f, rng);
    }
    return g;
}

void tt_gpt_free(tt_gpt *g)
{
    if (!g) {
        return;
    }
    for (int i = 0; i < g->params.n; i++) {
        tt_tensor_free(g->params.t[i]);
    }
    if (g->cfg.sinusoidal) {
        tt_tensor_free(g->wpe);
    }
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        free(g->blocks[l].attn); /* its tensors were freed with the params */
    }
    tt_params_free(&g->params);
    free(g->blocks);
    free(g);
}

tt_tensor *tt_mlp_forward(tt_block *blk, tt_tensor *h)
{
    return tt_linear(tt_gelu(tt_linear(h, blk->fc_w, blk->fc_b)), blk->proj_w, blk->proj_b);
}

tt_tensor *tt_block_forward(tt_block *blk, tt_tensor *x, const tt_attn_mask *mask, bool reference)
{
    tt_tensor *a = tt_mha_forward(blk->attn, tt_layernorm(x, blk->ln1_w, blk->ln1_b, TT_LN_EPS), mask,
                                  reference);
    x = tt_add(x, a);
    tt_tensor *m = tt_mlp_forward(blk, tt_layernorm(x, blk->ln2_w, blk->ln2_b, TT_LN_EPS));
    return tt_add(x, m);
}

tt_tensor *tt_gpt_forward(tt_gpt *g, const int32_t *ids, int64_t B, int64_t T, const uint8_t *key_mask)
{
    if (T <= 0 || T > g->cfg.max_len || B <= 0) {
        tt_fatal("tt_gpt_forward: batch %lld x length %lld (context is %lld)", (long long)B, (long long)T,
                 (long long)g->cfg.max_len);
    }
    tt_tensor *x = tt_embedding_pos(g->wte, g->wpe, ids, B, T, 0);
    tt_attn_mask mask = {true, key_mask};
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        x = tt_block_forward(&g->blocks[l], x, &mask, g->reference_attention);
    }
    x = tt_layernorm(x, g->lnf_w, g->lnf_b, TT_LN_EPS);
    return tt_linear(x, g->head ? g->head : g->wte, NULL);
}

tt_tensor *tt_gpt_loss(tt_gpt *g, const int32_t *ids, const int32_t *targets, int64_t B, int64_t T)
{
    tt_tensor *logits = tt_gpt_forward(g, ids, B, T, NULL);
    return tt_cross_entropy(tt_reshape(logits, TT_SHAPE(B * T, g->cfg.vocab_size)), targets);
}

int32_t tt_sample_logits(const float *logits, int64_t V, float temperature, int top_k, tt_rng *rng,
                         float *scratch)
{
    int64_t best = 0;
    for (int64_t i = 1; i < V; i++) {
        if (logits[i] > logits[best]) {
            best = i;
        }
    }
    if (temperature <= 0.0f || top_k == 1) {
        return (int32_t)best;
    }
    /* threshold = k-th largest logit (ties kept); found by selection on a copy */
    float thresh = -INFINITY;
    if (top_k > 0 && top_k < V) {
        memcpy(scratch, logits, (size_t)V * sizeof(float));
        int64_t lo = 0, hi = V - 1, k = top_k - 1; /* k-th largest = index k in descending order */
        while (lo < hi) {
            float pivot = scratch[(lo + hi) / 2];
            int64_t i = lo, j = hi;
            while (i <= j) {
                while (scratch[i] > pivot) {
                    i++;
                }
                while (scratch[j] < pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = scratch[i];
                    scratch[i] = scratch[j];
                    scratch[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                break;
            }
        }
        thresh = scratch[k];
    }
    double sum = 0.0;
    float m = logits[best];
    for (int64_t i = 0; i < V; i++) {
        float p = logits[i] >= thresh ? expf((logits[i] - m) / temperature) : 0.0f;
        scratch[i] = p;
        sum += p;
    }
    double u = (double)tt_rng_uniform(rng) * sum, acc = 0.0;
    for (int64_t i = 0; i < V; i++) {
        acc += scratch[i];
        if (u < acc && scratch[i] > 0.0f) {
            return (int32_t)i;
        }
    }
    return (int32_t)best;
}

void tt_gpt_generate(tt_gpt *g, const int32_t *prompt, int64_t n_prompt, int64_t n_new,
                     float temperature, int top_k, uint64_t seed, int32_t *out)
{
    if (n_prompt <= 0) {
        tt_fatal("tt_gpt_generate: the prompt needs at least one token");
    }
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    memcpy(out, prompt, (size_t)n_prompt * sizeof *out);
    int64_t V = g->cfg.vocab_size;
    tt_no_grad_begin();
    for (int64_t i = 0; i < n_new; i++) {
        tt_arena_mark m = tt_arena_get_mark();
        int64_t len = n_prompt + i, start = len > g->cfg.max_len ? len - g->cfg.max_len : 0;
        tt_tensor *logits = tt_gpt_forward(g, out + start, 1, len - start, NULL);
        float *scratch = tt_arena_alloc((size_t)V * sizeof(float));
        out[len] = tt_sample_logits(logits->data + (len - start - 1) * V, V, temperature, top_k, &rng,
                                    scratch);
        tt_arena_release(m);
    }
    tt_no_grad_end();
}
