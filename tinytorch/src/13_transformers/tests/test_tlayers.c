/* test_tlayers.c - modules 11-13: the transformer parts as tt_layers. Finite-difference gradients of
 * every layer (input and every parameter) and of multi-head attention under each mask kind (none,
 * causal, padding, a given boolean mask, one per batch row); a padding mask leaves the valid positions
 * equal to the unpadded sequence; fused and composed attention agree under a boolean mask; a GPT works
 * as a tt_layer (parameter list, checkpoint file, tt_train_step); option defaults and errors. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "tinytorch/transformer.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

/* ---- a gradient check over a layer's input and parameters ---------------------------------------- */

typedef struct fwd_ctx {
    tt_layer *layer;
    tt_tensor *x;
    tt_rng *rng;          /* reseeded before each forward when not NULL (dropout) */
    uint64_t seed;
} fwd_ctx;

static tt_tensor *run_layer(fwd_ctx *c)
{
    if (c->rng) {
        tt_rng_seed(c->rng, c->seed);
    }
    return tt_layer_forward(c->layer, c->x);
}

/* Checks d(sum(w * out))/dt by central differences for every element of x (if it requires a gradient)
 * and of every parameter of the layer. */
static void check_layer_grads(fwd_ctx *c, float h, double tol)
{
    const tt_params *p = tt_layer_parameters(c->layer);
    int n = p->n + 1;
    tt_tensor *ts[64];
    assert_true(n <= 64);
    for (int i = 0; i < p->n; i++) {
        ts[i] = p->t[i];
    }
    ts[p->n] = c->x;
    for (int i = 0; i < n; i++) {
        if (ts[i]->grad && (ts[i]->flags & TT_PERSISTENT)) {
            memset(ts[i]->grad, 0, (size_t)ts[i]->numel * sizeof(float));
        } else if (!(ts[i]->flags & TT_PERSISTENT)) {
            ts[i]->grad = NULL;
        }
    }
    tt_arena_mark m = tt_arena_get_mark();
    tt_tensor *out = run_layer(c);
    tt_tensor *w = tt_empty(out->ndim, out->shape);
    for (int64_t i = 0; i < out->numel; i++) {
        w->data[i] = (float)(0.5 + 0.37 * sin(1.3 * (double)i + 0.1));
    }
    tt_backward_with(out, w);
    for (int k = 0; k < n; k++) {
        tt_tensor *t = ts[k];
        if (!tt_requires_grad(t)) {
            continue;
        }
        assert_non_null(t->grad);
        float *analytic = malloc((size_t)t->numel * sizeof(float));
        memcpy(analytic, t->grad, (size_t)t->numel * sizeof(float));
        tt_no_grad_begin();
        int64_t step = t->numel > 64 ? t->numel / 61 : 1; /* about 64 elements per tensor */
        for (int64_t i = 0; i < t->numel; i += step) {
            float x0 = t->data[i];
            tt_arena_mark m2 = tt_arena_get_mark();
            t->data[i] = x0 + h;
            double lp = tt_test_weighted_sum(run_layer(c));
            t->data[i] = x0 - h;
            double lm = tt_test_weighted_sum(run_layer(c));
            t->data[i] = x0;
            tt_arena_release(m2);
            double numeric = (lp - lm) / (2.0 * h);
            double err = fabs((double)analytic[i] - numeric) / fmax(1e-2, fabs(numeric));
            if (err > tol) {
                fail_msg("%s: tensor %d (%s) element %lld: analytic %.6g numeric %.6g (err %.3g)",
                         c->layer->ops->kind, k, k < p->n ? p->names[k] : "input", (long long)i,
                         (double)analytic[i], numeric, err);
            }
        }
        tt_no_grad_end();
        free(analytic);
    }
    tt_arena_release(m);
    c->x->grad = NULL;
    c->x->node = NULL;
}

static tt_tensor *input(int64_t B, int64_t T, int64_t C, uint64_t seed)
{
    return tt_test_input(TT_SHAPE(B, T, C), -1.0f, 1.0f, seed);
}

/* ---- LayerNorm, MLP, Embedding ------------------------------------------------------------------- */

static void test_layernorm_layer(void **state)
{
    (void)state;
    tt_layer *ln = tt_layernorm_new(6, (tt_layernorm_opts){0});
    const tt_params *p = tt_layer_parameters(ln);
    assert_int_equal(p->n, 2);
    assert_string_equal(p->names[0], "weight");
    assert_string_equal(p->names[1], "bias");
    assert_true(p->t[0]->data[0] == 1.0f && p->t[1]->data[5] == 0.0f);
    tt_rng r;
    tt_rng_seed(&r, 3);
    for (int i = 0; i < 6; i++) { /* move away from the defaults so every term of the gradient shows */
        p->t[0]->data[i] = 0.5f + tt_rng_uniform(&r);
        p->t[1]->data[i] = tt_rng_uniform(&r) - 0.5f;
    }
    fwd_ctx c = {ln, input(2, 3, 6, 1), NULL, 0};
    check_layer_grads(&c, 1e-2f, 2e-2);
    EXPECT_FATAL(tt_layer_forward(ln, input(2, 3, 5, 2)), "want the last axis to be 6");
    tt_layer_free(ln);
    tt_layer *nb = tt_layernorm_new(4, (tt_layernorm_opts){.eps = 1e-3f, .no_bias = true});
    assert_int_equal(tt_layer_parameters(nb)->n, 1);
    tt_layer_free(nb);
}

static void test_ffn_layer(void **state)
{
    (void)state;
    tt_activation acts[3] = {TT_ACT_GELU, TT_ACT_GELU_ERF, TT_ACT_RELU};
    for (int a = 0; a < 3; a++) {
        tt_rng r;
        tt_rng_seed(&r, 10 + (uint64_t)a);
        tt_layer *f = tt_ffn_new(6, (tt_ffn_opts){.ratio = 2.0f, .act = acts[a]}, &r);
        const tt_params *p = tt_layer_parameters(f);
        assert_int_equal(p->n, 4);
        assert_string_equal(p->names[0], "fc.weight");
        assert_string_equal(p->names[3], "proj.bias");
        assert_int_equal(p->t[0]->shape[0], 12);
        fwd_ctx c = {f, input(2, 3, 6, 20 + (uint64_t)a), NULL, 0};
        check_layer_grads(&c, 1e-2f, 2e-2);
        tt_layer_free(f);
    }
    /* dropout in training: the same seed gives the same mask, so finite differences see one function */
    tt_rng r, dr;
    tt_rng_seed(&r, 4);
    tt_layer *f = tt_ffn_new(6, (tt_ffn_opts){.dropout = 0.3f}, &dr);
    assert_int_equal(tt_layer_parameters(f)->t[0]->shape[0], 24); /* default ratio 4 */
    fwd_ctx c = {f, input(2, 3, 6, 30), &dr, 77};
    check_layer_grads(&c, 1e-2f, 2e-2);
    EXPECT_FATAL(tt_ffn_new(6, (tt_ffn_opts){.dropout = 1.5f}, &r), "dropout in [0, 1]");
    tt_layer_free(f);
}

static void test_embedding_layer(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_layer *e = tt_embedding_new(7, 4, (tt_embedding_opts){.max_len = 5}, &r);
    const tt_params *p = tt_layer_parameters(e);
    assert_int_equal(p->n, 2);
    assert_string_equal(p->names[0], "weight");
    assert_string_equal(p->names[1], "position.weight");
    tt_tensor *ids = tt_from_data(TT_SHAPE(2, 3), (const float[]){6, 0, 3, 3, 3, 1});
    tt_tensor *y = tt_layer_forward(e, ids);
    assert_int_equal(y->ndim, 3);
    assert_int_equal(y->shape[2], 4);
    for (int d = 0; d < 4; d++) { /* row (1, 2): token 1 at position 2 */
        assert_true(y->data[(1 * 3 + 2) * 4 + d] == p->t[0]->data[1 * 4 + d] + p->t[1]->data[2 * 4 + d]);
    }
    fwd_ctx c = {e, ids, NULL, 0};
    check_layer_grads(&c, 1e-2f, 1e-2);
    assert_true(p->t[0]->grad[2 * 4] == 0.0f); /* token 2 was never looked up */
    EXPECT_FATAL(tt_layer_forward(e, tt_from_data(TT_SHAPE(1, 2), (const float[]){1, 2.5f})),
                 "not a whole number in [0, 7)");
    EXPECT_FATAL(tt_layer_forward(e, tt_zeros(TT_SHAPE(1, 6))), "T <= max_len 5");
    tt_layer_free(e);
    /* without positions, PyTorch's N(0, 1) default and any id shape */
    tt_layer *plain = tt_embedding_new(50, 8, (tt_embedding_opts){0}, &r);
    double ss = 0.0;
    tt_tensor *w = tt_layer_parameters(plain)->t[0];
    for (int64_t i = 0; i < w->numel; i++) {
        ss += (double)w->data[i] * w->data[i];
    }
    assert_true(ss / (double)w->numel > 0.7 && ss / (double)w->numel < 1.3);
    tt_tensor *y1 = tt_layer_forward(plain, tt_from_data(TT_SHAPE(3), (const float[]){4, 49, 0}));
    assert_int_equal(y1->ndim, 2);
    tt_layer_free(plain);
}

/* ---- attention with every mask kind -------------------------------------------------------------- */

enum { B_ = 2, T_ = 5, C_ = 8 };

/* PyTorch-style bool masks; row 3 of the [T, T] mask blocks every key (its output is 0) */
static const uint8_t row_mask[T_ * T_] = {1, 0, 1, 0, 1,  1, 1, 0, 0, 1,  0, 1, 1, 1, 0,  0, 0, 0, 0, 0,
                                          1, 1, 1, 1, 1};
static uint8_t batch_mask[B_ * T_ * T_];
static const uint8_t key_mask[B_ * T_] = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};

static tt_attn_mask mask_kind(int k)
{
    for (int i = 0; i < B_ * T_ * T_; i++) {
        batch_mask[i] = (uint8_t)((i * 7 + i / 3) % 4 != 0);
    }
    switch (k) {
    case 0: return (tt_attn_mask){0};
    case 1: return (tt_attn_mask){.causal = true};
    case 2: return (tt_attn_mask){.key_mask = key_mask};
    case 3: return (tt_attn_mask){.attn_mask = row_mask};
    case 4: return (tt_attn_mask){.attn_mask = batch_mask, .attn_mask_per_batch = true};
    default: return (tt_attn_mask){.causal = true, .key_mask = key_mask, .attn_mask = row_mask};
    }
}

static void test_mha_layer_masks_gradcheck(void **state)
{
    (void)state;
    for (int k = 0; k < 6; k++) {
        tt_rng r;
        tt_rng_seed(&r, 40 + (uint64_t)k);
        tt_layer *m = tt_mha_layer_new(C_, (tt_mha_opts){.n_head = 2}, &r);
        for (int i = 0; i < tt_layer_parameters(m)->n; i++) { /* biases away from 0, weights larger */
            tt_tensor *t = tt_layer_parameters(m)->t[i];
            for (int64_t j = 0; j < t->numel; j++) {
                t->data[j] = t->ndim == 1 ? 0.2f * (tt_rng_uniform(&r) - 0.5f) : t->data[j] * 20.0f;
            }
        }
        tt_attn_mask mk = mask_kind(k);
        tt_mha_set_mask(m, &mk);
        fwd_ctx c = {m, input(B_, T_, C_, 50 + (uint64_t)k), NULL, 0};
        check_layer_grads(&c, 1e-2f, 3e-2);
        /* the composed attention gives the same outputs under the same mask */
        tt_tensor *fused = tt_layer_forward(m, c.x);
        ((tt_mha *)m)->reference = true;
        tt_tensor *ref = tt_layer_forward(m, c.x);
        tt_assert_close(fused->data, ref->data, fused->numel, 1e-5, 1e-6);
        if (k == 3) { /* the fully blocked query row attends to nothing: output = out-projection bias */
            const float *bout = tt_layer_parameters(m)->t[3]->data;
            for (int64_t b = 0; b < B_; b++) {
                for (int64_t d = 0; d < C_; d++) {
                    assert_true(fabsf(fused->data[(b * T_ + 3) * C_ + d] - bout[d]) < 1e-6f);
                }
            }
        }
        tt_layer_free(m);
        tt_arena_reset();
    }
}

static tt_tensor *f_sdpa(tt_tensor **in, void *ctx) { return tt_sdpa(in[0], in[1], in[2], ctx); }

static void test_sdpa_boolean_mask_gradcheck(void **state)
{
    (void)state;
    /* 3 queries, 5 keys, a [B, Tq, Tk] mask per batch row (batch 1, query 2 sees nothing) */
    uint8_t bm[2 * 3 * 5] = {1, 0, 1, 1, 0,  0, 1, 1, 0, 1,  1, 1, 1, 1, 1,
                             0, 0, 1, 1, 1,  1, 0, 0, 0, 1,  0, 0, 0, 0, 0};
    tt_attn_mask mk = {.attn_mask = bm, .attn_mask_per_batch = true};
    tt_tensor *in[3] = {tt_test_input(TT_SHAPE(2, 2, 3, 4), -1, 1, 61), tt_test_input(TT_SHAPE(2, 2, 5, 4), -1, 1, 62),
                        tt_test_input(TT_SHAPE(2, 2, 5, 4), -1, 1, 63)};
    tt_gradcheck(f_sdpa, in, 3, &mk, 1e-2f, 1e-2);
    tt_tensor *o = tt_sdpa(in[0], in[1], in[2], &mk);
    tt_tensor *ref = tt_attention_reference(in[0], in[1], in[2], &mk, NULL);
    tt_assert_close(o->data, ref->data, o->numel, 1e-5, 1e-6);
    for (int h = 0; h < 2; h++) {
        for (int j = 0; j < 4; j++) {
            assert_true(o->data[((1 * 2 + h) * 3 + 2) * 4 + j] == 0.0f);
        }
    }
}

static void test_boolean_mask_matches_causal(void **state)
{
    (void)state;
    /* a lower-triangular boolean mask is the causal mask, through the fused path */
    uint8_t tri[T_ * T_];
    for (int i = 0; i < T_; i++) {
        for (int j = 0; j < T_; j++) {
            tri[i * T_ + j] = j <= i;
        }
    }
    tt_rng r;
    tt_rng_seed(&r, 8);
    tt_layer *m = tt_mha_layer_new(C_, (tt_mha_opts){.n_head = 4}, &r);
    tt_tensor *x = input(B_, T_, C_, 9);
    tt_attn_mask a = {.causal = true}, b = {.attn_mask = tri};
    tt_tensor *ya = tt_mha_forward((tt_mha *)m, x, &a, false);
    tt_tensor *yb = tt_mha_forward((tt_mha *)m, x, &b, false);
    tt_assert_close(ya->data, yb->data, ya->numel, 1e-6, 1e-7);
    tt_layer_free(m);
}

/* Copies rows [t0, t0 + n) of batch row b of x [B, T, C] into a new [1, n, C] tensor. */
static tt_tensor *rows_of(const tt_tensor *x, int64_t b, int64_t t0, int64_t n)
{
    int64_t T = x->shape[1], C = x->shape[2];
    tt_tensor *y = tt_empty(TT_SHAPE(1, n, C));
    memcpy(y->data, x->data + (b * T + t0) * C, (size_t)(n * C) * sizeof(float));
    return y;
}

static void test_padding_equals_unpadded(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 12);
    /* attention, right padding: batch row 0 holds 4 real positions of 6, row 1 all 6 */
    tt_layer *m = tt_mha_layer_new(C_, (tt_mha_opts){.n_head = 2}, &r);
    tt_tensor *x = input(2, 6, C_, 13);
    uint8_t km[12] = {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1};
    tt_mha_set_mask(m, &(tt_attn_mask){.key_mask = km});
    tt_tensor *y = tt_layer_forward(m, x);
    tt_mha_set_mask(m, NULL);
    tt_tensor *y0 = tt_layer_forward(m, rows_of(x, 0, 0, 4));
    tt_tensor *y1 = tt_layer_forward(m, rows_of(x, 1, 0, 6));
    tt_assert_close(y->data, y0->data, 4 * C_, 1e-5, 1e-6);
    tt_assert_close(y->data + 6 * C_, y1->data, 6 * C_, 1e-5, 1e-6);
    tt_layer_free(m);
    /* a causal block with left padding: row 0 starts with 2 padding positions */
    tt_layer *blk = tt_block_new(C_, (tt_block_opts){.n_head = 2, .causal = true}, &r);
    uint8_t left[12] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    tt_block_set_mask(blk, &(tt_attn_mask){.causal = true, .key_mask = left});
    tt_tensor *z = tt_layer_forward(blk, x);
    tt_block_set_mask(blk, &(tt_attn_mask){.causal = true});
    tt_tensor *z0 = tt_layer_forward(blk, rows_of(x, 0, 2, 4));
    tt_tensor *z1 = tt_layer_forward(blk, rows_of(x, 1, 0, 6));
    tt_assert_close(z->data + 2 * C_, z0->data, 4 * C_, 1e-5, 1e-6);
    tt_assert_close(z->data + 6 * C_, z1->data, 6 * C_, 1e-5, 1e-6);
    tt_layer_free(blk);
}

/* ---- the block ----------------------------------------------------------------------------------- */

static void test_block_layer(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 21);
    tt_layer *blk = tt_block_new(C_, (tt_block_opts){.n_head = 2, .causal = true, .mlp_ratio = 2.0f,
                                                     .act = TT_ACT_GELU_ERF}, &r);
    const tt_params *p = tt_layer_parameters(blk);
    assert_int_equal(p->n, 12);
    assert_string_equal(p->names[0], "ln1.weight");
    assert_string_equal(p->names[2], "attn.qkv.weight");
    assert_string_equal(p->names[11], "mlp.proj.bias");
    assert_int_equal(((tt_block *)blk)->fc_w->shape[0], 16);
    for (int i = 0; i < p->n; i++) { /* GPT-2's 0.02 is too small for finite differences to see */
        for (int64_t j = 0; j < p->t[i]->numel; j++) {
            p->t[i]->data[j] = p->t[i]->ndim == 2 ? p->t[i]->data[j] * 20.0f
                                                  : p->t[i]->data[j] + 0.2f * (tt_rng_uniform(&r) - 0.5f);
        }
    }
    fwd_ctx c = {blk, input(B_, T_, C_, 22), NULL, 0};
    check_layer_grads(&c, 1e-2f, 3e-2);
    /* residual dropout in training, a padding mask too */
    tt_rng dr;
    ((tt_block *)blk)->dropout = 0.25f;
    ((tt_block *)blk)->rng = &dr;
    tt_block_set_mask(blk, &(tt_attn_mask){.causal = true, .key_mask = key_mask});
    fwd_ctx d = {blk, input(B_, T_, C_, 23), &dr, 99};
    check_layer_grads(&d, 1e-2f, 3e-2);
    tt_layer_train(blk, false); /* eval: dropout off, so two passes agree */
    tt_tensor *e1 = tt_layer_forward(blk, d.x), *e2 = tt_layer_forward(blk, d.x);
    assert_memory_equal(e1->data, e2->data, tt_nbytes(e1));
    EXPECT_FATAL(tt_block_new(10, (tt_block_opts){.n_head = 3}, &r), "dividing the width");
    tt_layer *relu = tt_relu_new();
    EXPECT_FATAL(tt_block_set_mask(relu, NULL), "not a TransformerBlock");
    tt_layer_free(relu);
    tt_layer_free(blk);
}

/* ---- a GPT is a tt_layer ------------------------------------------------------------------------- */

static tt_gpt *small_gpt(uint64_t seed)
{
    tt_gpt_config cfg = {.vocab_size = 11, .max_len = 8, .dim = 16, .n_layer = 2, .n_head = 2};
    tt_rng r;
    tt_rng_seed(&r, seed);
    return tt_gpt_new(&cfg, &r);
}

static void test_gpt_is_a_layer(void **state)
{
    (void)state;
    tt_gpt *g = small_gpt(1);
    tt_layer *model = &g->base;
    const tt_params *p = tt_layer_parameters(model);
    assert_int_equal(p->n, g->params.n);
    for (int i = 0; i < p->n; i++) {
        assert_string_equal(p->names[i], g->params.names[i]);
        assert_ptr_equal(p->t[i], g->params.t[i]);
    }
    int32_t ids[2 * 6] = {1, 5, 2, 9, 0, 3, 4, 4, 10, 7, 6, 2};
    float fids[12];
    for (int i = 0; i < 12; i++) {
        fids[i] = (float)ids[i];
    }
    tt_tensor *x = tt_from_data(TT_SHAPE(2, 6), fids);
    tt_tensor *a = tt_layer_forward(model, x), *b = tt_gpt_forward(g, ids, 2, 6, NULL);
    assert_memory_equal(a->data, b->data, tt_nbytes(a));
    /* the blocks are layers too, with the GPT's names below h.<i>. */
    tt_params bp;
    tt_params_init(&bp);
    tt_layer_collect(&g->blocks[1].base, &bp, "h.1.");
    assert_ptr_equal(bp.t[0], tt_params_find(&g->params, "h.1.ln1.weight"));
    assert_ptr_equal(bp.t[4], tt_params_find(&g->params, "h.1.attn.out.weight"));
    tt_params_free(&bp);
    /* a checkpoint file round trip through the generic tt_layer path */
    char dir[64], path[128], err[256];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_tlayers"), 0);
    snprintf(path, sizeof path, "%s/gpt.safetensors", dir);
    assert_int_equal(tt_checkpoint_save(path, model, NULL, NULL, 0, err, sizeof err), 0);
    tt_gpt *g2 = small_gpt(2);
    tt_tensor *c0 = tt_layer_forward(&g2->base, x);
    assert_memory_not_equal(c0->data, a->data, tt_nbytes(a));
    assert_int_equal(tt_checkpoint_load(path, &g2->base, NULL, err, sizeof err), 0);
    tt_tensor *c1 = tt_layer_forward(&g2->base, x);
    assert_memory_equal(c1->data, a->data, tt_nbytes(a));
    tt_test_rmdir(dir);
    tt_arena_reset();
    /* the one training step, with its default loss (cross-entropy of the logits [B, T, V]) */
    tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 1e-2f});
    double first = 0.0, last = 0.0;
    for (int s = 0; s < 30; s++) {
        tt_tensor *bx = tt_from_data(TT_SHAPE(2, 6), fids);
        int32_t *by = tt_arena_alloc(12 * sizeof *by);
        for (int i = 0; i < 12; i++) {
            by[i] = ids[(i + 1) % 12]; /* next token */
        }
        tt_batch batch = {.x = bx, .y = by, .size = 2, .index = s};
        tt_step_result res;
        assert_int_equal(tt_train_step(model, opt, &batch, NULL, &res), 0);
        if (s == 0) {
            first = res.loss;
        }
        last = res.loss;
    }
    assert_true(last < 0.5 * first);
    EXPECT_FATAL(tt_layer_forward(model, tt_zeros(TT_SHAPE(12))), "want [B, T] token ids");
    tt_optim_free(opt);
    tt_gpt_free(g);
    tt_gpt_free(g2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_layernorm_layer, teardown),
        cmocka_unit_test_teardown(test_ffn_layer, teardown),
        cmocka_unit_test_teardown(test_embedding_layer, teardown),
        cmocka_unit_test_teardown(test_mha_layer_masks_gradcheck, teardown),
        cmocka_unit_test_teardown(test_sdpa_boolean_mask_gradcheck, teardown),
        cmocka_unit_test_teardown(test_boolean_mask_matches_causal, teardown),
        cmocka_unit_test_teardown(test_padding_equals_unpadded, teardown),
        cmocka_unit_test_teardown(test_block_layer, teardown),
        cmocka_unit_test_teardown(test_gpt_is_a_layer, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
