/* gpt.c - the GELU MLP, the pre-norm transformer block (a tt_layer), a GPT model (a tt_layer) and
 * sampling (module 13).
 * Invariants: every parameter is a persistent tensor owned by one parameter list (a GPT's g->params,
 * or a standalone block's b->own) and listed there once; a GPT's blocks are tt_block layers that do
 * not own their tensors (never tt_layer_free one); a forward pass allocates only step tensors (arena).
 * A checkpointed block keeps only its output and recomputes the rest in backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/transformer.h"
#include "../12_attention/attn_kernel.h"

/* A persistent parameter named <prefix><suffix>, registered in reg (whose copy of the name it keeps):
 * N(0, std) when std > 0, else filled with `fill`. */
static tt_tensor *make_param(tt_params *reg, const char *prefix, const char *suffix, int ndim,
                             const int64_t *shape, float std, float fill, tt_rng *rng)
{
    tt_tensor *t = tt_tensor_new_persistent(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = std > 0.0f ? std * tt_rng_normal(rng) : fill;
    }
    tt_set_requires_grad(t, true);
    char n[160];
    snprintf(n, sizeof n, "%s%s", prefix, suffix);
    tt_params_add(reg, n, t);
    t->name = reg->names[reg->n - 1];
    return t;
}

tt_tensor *tt_activate(tt_tensor *x, tt_activation act)
{
    switch (act) {
    case TT_ACT_GELU: return tt_gelu(x);
    case TT_ACT_GELU_ERF: return tt_gelu_erf(x);
    case TT_ACT_RELU: return tt_relu(x);
    }
    tt_fatal("tt_activate: unknown activation %d (want TT_ACT_GELU, TT_ACT_GELU_ERF or TT_ACT_RELU)",
             (int)act);
}

/* ---- the block ----------------------------------------------------------------------------------- */

static tt_tensor *block_layer_forward(tt_layer *self, tt_tensor *x)
{
    tt_block *b = (tt_block *)self;
    const tt_attn_mask *m = &b->attn->mask;
    bool any = m->causal || m->key_mask || m->attn_mask;
    return tt_block_forward(b, x, any ? m : NULL, b->attn->reference);
}

static void block_layer_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_block *b = (tt_block *)self;
    const struct { const char *name; tt_tensor *t; } list[] = {
        {"ln1.weight", b->ln1_w}, {"ln1.bias", b->ln1_b}, {"ln2.weight", b->ln2_w},
        {"ln2.bias", b->ln2_b}, {"mlp.fc.weight", b->fc_w}, {"mlp.fc.bias", b->fc_b},
        {"mlp.proj.weight", b->proj_w}, {"mlp.proj.bias", b->proj_b}};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        tt_params_add_at(out, prefix, list[i].name, list[i].t);
        if (i == 1) { /* the attention's parameters after ln1, in the order a GPT lists them */
            tt_layer_collect_at(&b->attn->base, out, prefix, "attn");
        }
    }
}

static void block_layer_train(tt_layer *self, bool training)
{
    tt_block *b = (tt_block *)self;
    self->training = training;
    b->attn->base.training = training;
}

static void block_release(tt_block *b)
{
    tt_layer_drop_param_cache(&b->base);
    tt_layer_drop_param_cache(&b->attn->base);
    free(b->attn); /* its tensors belong to the block's (or the GPT's) parameter list */
    if (b->own) {
        for (int i = 0; i < b->own->n; i++) {
            tt_tensor_free(b->own->t[i]);
        }
        tt_params_free(b->own);
        free(b->own);
    }
}

static void block_layer_destroy(tt_layer *self)
{
    block_release((tt_block *)self);
    free(self);
}

static const tt_layer_ops block_ops = {"TransformerBlock", block_layer_forward, block_layer_collect,
                                       block_layer_train, block_layer_destroy, NULL};

/* Fills b: tensors registered in reg as <prefix>ln1.weight, ..., GPT-2's initialisation. */
static void block_build(tt_block *b, int64_t C, int64_t n_head, int64_t hidden, float proj_std,
                        tt_params *reg, const char *prefix, tt_rng *rng)
{
    b->base.ops = &block_ops;
    b->base.training = true;
    b->act = TT_ACT_GELU;
    b->eps = TT_LN_EPS;
    b->ln1_w = make_param(reg, prefix, "ln1.weight", TT_SHAPE(C), 0.0f, 1.0f, rng);
    b->ln1_b = make_param(reg, prefix, "ln1.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
    b->attn = calloc(1, sizeof *b->attn);
    if (!b->attn) {
        tt_fatal("transformer block: out of memory");
    }
    tt__mha_init_shared(b->attn, C, n_head);
    b->attn->w_qkv = make_param(reg, prefix, "attn.qkv.weight", TT_SHAPE(3 * C, C), 0.02f, 0.0f, rng);
    b->attn->b_qkv = make_param(reg, prefix, "attn.qkv.bias", TT_SHAPE(3 * C), 0.0f, 0.0f, rng);
    b->attn->w_out = make_param(reg, prefix, "attn.out.weight", TT_SHAPE(C, C), proj_std, 0.0f, rng);
    b->attn->b_out = make_param(reg, prefix, "attn.out.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
    b->ln2_w = make_param(reg, prefix, "ln2.weight", TT_SHAPE(C), 0.0f, 1.0f, rng);
    b->ln2_b = make_param(reg, prefix, "ln2.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
    b->fc_w = make_param(reg, prefix, "mlp.fc.weight", TT_SHAPE(hidden, C), 0.02f, 0.0f, rng);
    b->fc_b = make_param(reg, prefix, "mlp.fc.bias", TT_SHAPE(hidden), 0.0f, 0.0f, rng);
    b->proj_w = make_param(reg, prefix, "mlp.proj.weight", TT_SHAPE(C, hidden), proj_std, 0.0f, rng);
    b->proj_b = make_param(reg, prefix, "mlp.proj.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
}

tt_layer *tt_block_new(int64_t dim, tt_block_opts o, tt_rng *rng)
{
    float ratio = o.mlp_ratio != 0.0f ? o.mlp_ratio : 4.0f;
    int64_t hidden = (int64_t)llroundf(ratio * (float)dim);
    if (dim <= 0 || o.n_head <= 0 || dim % o.n_head != 0 || !(ratio > 0.0f) || hidden < 1 ||
        !(o.dropout >= 0.0f && o.dropout <= 1.0f) || !(o.eps >= 0.0f)) {
        tt_fatal("tt_block_new: width %lld, %lld heads, mlp_ratio %g, dropout %g, eps %g (want heads >= 1"
                 " dividing the width, a positive ratio, dropout in [0, 1], eps >= 0)", (long long)dim,
                 (long long)o.n_head, (double)ratio, (double)o.dropout, (double)o.eps);
    }
    tt_block *b = calloc(1, sizeof *b);
    if (!b || !(b->own = malloc(sizeof *b->own))) {
        tt_fatal("tt_block_new: out of memory");
    }
    tt_params_init(b->own);
    block_build(b, dim, o.n_head, hidden, 0.02f / sqrtf(2.0f), b->own, "", rng ? rng : tt_default_rng());
    b->act = o.act;
    b->dropout = o.dropout;
    b->eps = o.eps > 0.0f ? o.eps : TT_LN_EPS;
    b->rng = rng;
    b->checkpoint = o.checkpoint;
    b->attn->mask.causal = o.causal;
    return &b->base;
}

void tt_block_set_mask(tt_layer *block, const tt_attn_mask *mask)
{
    if (!block || block->ops != &block_ops) {
        tt_fatal("tt_block_set_mask: the layer is a %s, not a TransformerBlock",
                 block ? block->ops->kind : "NULL");
    }
    tt_mha_set_mask(&((tt_block *)block)->attn->base, mask);
}

tt_tensor *tt_mlp_forward(tt_block *blk, tt_tensor *h)
{
    return tt_linear(tt_activate(tt_linear(h, blk->fc_w, blk->fc_b), blk->act), blk->proj_w, blk->proj_b);
}

static tt_tensor *block_plain(tt_block *blk, tt_tensor *x, const tt_attn_mask *mask, bool reference)
{
    tt_tensor *a = tt_mha_forward(blk->attn, tt_layernorm(x, blk->ln1_w, blk->ln1_b, blk->eps), mask,
                                  reference);
    x = tt_add(x, tt_dropout(a, blk->dropout, blk->base.training, blk->rng));
    tt_tensor *m = tt_mlp_forward(blk, tt_layernorm(x, blk->ln2_w, blk->ln2_b, blk->eps));
    return tt_add(x, tt_dropout(m, blk->dropout, blk->base.training, blk->rng));
}

/* What a checkpointed block needs again in backward: arena copies of the mask and its arrays. */
typedef struct block_ctx {
    tt_block *blk;
    tt_attn_mask mask;
    bool has_mask, reference;
} block_ctx;

static tt_tensor *block_recompute(void *ctx, tt_tensor *x)
{
    block_ctx *c = ctx;
    return block_plain(c->blk, x, c->has_mask ? &c->mask : NULL, c->reference);
}

static const uint8_t *arena_copy(const uint8_t *src, int64_t n)
{
    if (!src) {
        return NULL;
    }
    uint8_t *d = tt_arena_alloc((size_t)n);
    memcpy(d, src, (size_t)n);
    return d;
}

static tt_tensor *block_run(tt_block *blk, tt_tensor *x, const tt_attn_mask *mask, bool reference,
                            bool checkpoint)
{
    if (!checkpoint || !tt_grad_enabled() || x->ndim != 3) {
        return block_plain(blk, x, mask, reference);
    }
    int64_t B = x->shape[0], T = x->shape[1];
    block_ctx *c = tt_arena_alloc(sizeof *c);
    *c = (block_ctx){blk, {0}, mask != NULL, reference};
    if (mask) {
        c->mask = *mask;
        c->mask.key_mask = arena_copy(mask->key_mask, B * T);
        c->mask.attn_mask = arena_copy(mask->attn_mask, (mask->attn_mask_per_batch ? B : 1) * T * T);
    }
    return tt_activation_checkpoint(block_recompute, c, x, blk->rng ? blk->rng : tt_default_rng());
}

tt_tensor *tt_block_forward(tt_block *blk, tt_tensor *x, const tt_attn_mask *mask, bool reference)
{
    return block_run(blk, x, mask, reference, blk->checkpoint);
}

/* ---- the GPT ------------------------------------------------------------------------------------- */

static tt_tensor *gpt_layer_forward(tt_layer *self, tt_tensor *x)
{
    tt_gpt *g = (tt_gpt *)self;
    if (x->ndim != 2) {
        char s[96];
        tt_fatal("GPT: ids %s (want [B, T] token ids as floats)", tt_shape_str(x, s, sizeof s));
    }
    const int32_t *ids = tt_ids_from_tensor(x, g->cfg.vocab_size, "GPT");
    return tt_gpt_forward(g, ids, x->shape[0], x->shape[1], NULL);
}

static void gpt_layer_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_gpt *g = (tt_gpt *)self;
    for (int i = 0; i < g->params.n; i++) {
        tt_params_add_at(out, prefix, g->params.names[i], g->params.t[i]);
    }
}

static void gpt_layer_train(tt_layer *self, bool training)
{
    tt_gpt *g = (tt_gpt *)self;
    self->training = training;
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        tt_layer_train(&g->blocks[l].base, training);
    }
}

static void gpt_layer_destroy(tt_layer *self)
{
    tt_gpt *g = (tt_gpt *)self;
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        block_release(&g->blocks[l]);
    }
    for (int i = 0; i < g->params.n; i++) {
        tt_tensor_free(g->params.t[i]);
    }
    if (g->cfg.sinusoidal) {
        tt_tensor_free(g->wpe);
    }
    tt_params_free(&g->params);
    free(g->blocks);
    free(g);
}

static const tt_layer_ops gpt_ops = {"GPT", gpt_layer_forward, gpt_layer_collect, gpt_layer_train,
                                     gpt_layer_destroy, NULL};

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
    g->base.ops = &gpt_ops;
    g->base.training = true;
    g->cfg = *cfg;
    tt_params_init(&g->params);
    int64_t C = cfg->dim, V = cfg->vocab_size, L = cfg->n_layer;
    float proj_std = 0.02f / sqrtf(2.0f * (float)L);
    g->wte = make_param(&g->params, "", "wte", TT_SHAPE(V, C), 0.02f, 0.0f, rng);
    if (cfg->sinusoidal) {
        g->wpe = tt_sinusoidal_table_new(cfg->max_len, C);
    } else {
        g->wpe = make_param(&g->params, "", "wpe", TT_SHAPE(cfg->max_len, C), 0.02f, 0.0f, rng);
    }
    for (int64_t l = 0; l < L; l++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "h.%lld.", (long long)l);
        block_build(&g->blocks[l], C, cfg->n_head, 4 * C, proj_std, &g->params, prefix, rng);
    }
    g->lnf_w = make_param(&g->params, "", "ln_f.weight", TT_SHAPE(C), 0.0f, 1.0f, rng);
    g->lnf_b = make_param(&g->params, "", "ln_f.bias", TT_SHAPE(C), 0.0f, 0.0f, rng);
    if (!cfg->tied_head) {
        g->head = make_param(&g->params, "", "head.weight", TT_SHAPE(V, C), 0.02f, 0.0f, rng);
    }
    return g;
}

void tt_gpt_free(tt_gpt *g)
{
    if (g) {
        tt_layer_free(&g->base);
    }
}

tt_tensor *tt_gpt_forward(tt_gpt *g, const int32_t *ids, int64_t B, int64_t T, const uint8_t *key_mask)
{
    if (T <= 0 || T > g->cfg.max_len || B <= 0) {
        tt_fatal("tt_gpt_forward: batch %lld x length %lld (context is %lld)", (long long)B, (long long)T,
                 (long long)g->cfg.max_len);
    }
    tt_tensor *x = tt_embedding_pos(g->wte, g->wpe, ids, B, T, 0);
    tt_attn_mask mask = {.causal = true, .key_mask = key_mask};
    for (int64_t l = 0; l < g->cfg.n_layer; l++) {
        tt_block *blk = &g->blocks[l];
        x = block_run(blk, x, &mask, g->reference_attention, g->checkpoint_blocks || blk->checkpoint);
    }
    x = tt_layernorm(x, g->lnf_w, g->lnf_b, TT_LN_EPS);
    return tt_linear(x, g->head ? g->head : g->wte, NULL);
}

tt_tensor *tt_gpt_loss(tt_gpt *g, const int32_t *ids, const int32_t *targets, int64_t B, int64_t T)
{
    tt_tensor *logits = tt_gpt_forward(g, ids, B, T, NULL);
    return tt_cross_entropy(tt_reshape(logits, TT_SHAPE(B * T, g->cfg.vocab_size)), targets);
}

tt_tensor *tt_gpt_batch_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    if (b->num_fields < 2 || !b->field[0].ints || !b->field[1].ints ||
        b->field[0].ints_per_row < 1 || b->field[1].ints_per_row != b->field[0].ints_per_row) {
        tt_fatal("tt_gpt_batch_loss: the batch has %d fields (want int32 field 0 = ids [B, T] and field 1 "
                 "= targets [B, T] with ints_per_row = T in both)", b->num_fields);
    }
    return tt_gpt_loss(model, b->field[0].ints, b->field[1].ints, b->size, b->field[0].ints_per_row);
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
