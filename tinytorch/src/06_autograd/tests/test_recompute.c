/* test_recompute.c - module 06: activation checkpointing. A GPT trained with its blocks checkpointed
 * gives bit-identical loss and gradients to the plain run, with a lower exact arena peak; a block with
 * dropout recomputes the same mask; the wrapper layer passes finite differences; no-grad mode and the
 * arena's keep-on-release leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/transformer.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

typedef struct run_out { double loss; size_t peak; float **grads; } run_out;

static run_out gpt_step(tt_gpt *g, bool checkpoint)
{
    enum { B = 3, T = 16 };
    int32_t ids[B * T], tg[B * T];
    for (int i = 0; i < B * T; i++) {
        ids[i] = (int32_t)((i * 7 + 3) % 13);
        tg[i] = (int32_t)((i * 5 + 1) % 13);
    }
    g->checkpoint_blocks = checkpoint;
    tt_arena_reset();
    tt_arena_peak_clear();
    for (int i = 0; i < g->params.n; i++) {
        if (g->params.t[i]->grad) {
            memset(g->params.t[i]->grad, 0, tt_nbytes(g->params.t[i]));
        }
    }
    tt_tensor *loss = tt_gpt_loss(g, ids, tg, B, T);
    tt_backward(loss);
    run_out r = {loss->data[0], tt_arena_peak_bytes(), malloc((size_t)g->params.n * sizeof(float *))};
    for (int i = 0; i < g->params.n; i++) {
        r.grads[i] = malloc(tt_nbytes(g->params.t[i]));
        memcpy(r.grads[i], g->params.t[i]->grad, tt_nbytes(g->params.t[i]));
    }
    tt_arena_reset();
    return r;
}

static void test_gpt_gradients_bit_identical(void **state)
{
    (void)state;
    tt_gpt_config cfg = {.vocab_size = 13, .max_len = 16, .dim = 32, .n_layer = 3, .n_head = 4};
    tt_rng r;
    tt_rng_seed(&r, 11);
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    run_out plain = gpt_step(g, false), ck = gpt_step(g, true);
    assert_true(plain.loss == ck.loss);
    for (int i = 0; i < g->params.n; i++) {
        if (memcmp(plain.grads[i], ck.grads[i], tt_nbytes(g->params.t[i])) != 0) {
            fail_msg("gradient of %s differs with checkpointing", g->params.names[i]);
        }
        free(plain.grads[i]);
        free(ck.grads[i]);
    }
    print_message("arena peak: plain %zu B, checkpointed %zu B\n", plain.peak, ck.peak);
    assert_true(ck.peak < plain.peak);
    free(plain.grads);
    free(ck.grads);
    /* under no-grad a checkpointed model runs plainly (generation) */
    g->checkpoint_blocks = true;
    tt_no_grad_begin();
    tt_tensor *logits = tt_gpt_forward(g, (const int32_t[]){1, 2, 3}, 1, 3, NULL);
    tt_no_grad_end();
    assert_null(logits->node);
    tt_gpt_free(g);
}

static void test_block_dropout_recomputed(void **state)
{
    (void)state;
    tt_rng dr;
    tt_layer *blk = tt_block_new(16, (tt_block_opts){.n_head = 2, .causal = true, .dropout = 0.3f}, &dr);
    const tt_params *p = tt_layer_parameters(blk);
    tt_tensor *x = tt_test_input(TT_SHAPE(2, 7, 16), -1, 1, 3);
    float *want[16], *want_x = NULL;
    double want_y = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        ((tt_block *)blk)->checkpoint = pass == 1;
        for (int i = 0; i < p->n; i++) {
            if (p->t[i]->grad) {
                memset(p->t[i]->grad, 0, tt_nbytes(p->t[i]));
            }
        }
        x->grad = NULL;
        x->node = NULL;
        tt_arena_mark m = tt_arena_get_mark();
        tt_rng_seed(&dr, 42);
        tt_tensor *y = tt_layer_forward(blk, x);
        tt_rng_uniform(&dr); /* the generator moves on before backward: the recompute must not care */
        double ys = tt_test_weighted_sum(y);
        tt_tensor *w = tt_full(y->ndim, y->shape, 1.0f);
        tt_backward_with(y, w);
        if (pass == 0) {
            want_y = ys;
            want_x = malloc(tt_nbytes(x));
            memcpy(want_x, x->grad, tt_nbytes(x));
            for (int i = 0; i < p->n; i++) {
                want[i] = malloc(tt_nbytes(p->t[i]));
                memcpy(want[i], p->t[i]->grad, tt_nbytes(p->t[i]));
            }
        } else {
            assert_true(ys == want_y);
            assert_memory_equal(x->grad, want_x, tt_nbytes(x));
            for (int i = 0; i < p->n; i++) {
                if (memcmp(want[i], p->t[i]->grad, tt_nbytes(p->t[i])) != 0) {
                    fail_msg("gradient of %s differs with checkpointing", p->names[i]);
                }
                free(want[i]);
            }
            free(want_x);
        }
        tt_arena_release(m);
    }
    tt_layer_free(blk);
}

typedef struct layer_ctx { tt_layer *l; } layer_ctx;
static tt_tensor *f_layer(tt_tensor **in, void *ctx) { return tt_layer_forward(((layer_ctx *)ctx)->l, in[0]); }

static void test_wrapper_layer(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_layer *inner = tt_ffn_new(6, (tt_ffn_opts){.ratio = 2.0f}, &r);
    tt_layer *ck = tt_checkpointed_new(inner, NULL);
    const tt_params *p = tt_layer_parameters(ck);
    assert_int_equal(p->n, 4);
    assert_string_equal(p->names[0], "fc.weight");
    layer_ctx c = {ck};
    tt_tensor *in[1] = {tt_test_input(TT_SHAPE(3, 6), -1, 1, 6)};
    tt_gradcheck(f_layer, in, 1, &c, 1e-2f, 1e-2);
    /* the forward keeps only the output: a few hundred bytes, not the hidden activations */
    tt_arena_reset();
    tt_tensor *x = tt_test_input(TT_SHAPE(64, 6), -1, 1, 7);
    size_t before = tt_arena_used_bytes();
    tt_tensor *y = tt_layer_forward(ck, x);
    size_t kept = tt_arena_used_bytes() - before;
    assert_true(kept < tt_nbytes(y) + 1024);           /* output + header + node */
    size_t hidden = 64 * 12 * sizeof(float);
    assert_true(kept < tt_nbytes(y) + hidden);
    tt_backward_with(y, tt_full(y->ndim, y->shape, 1.0f));
    assert_non_null(p->t[0]->grad);
    tt_tensor *y_inner = tt_layer_forward(inner, x); /* the kept output is the inner layer's, exactly */
    tt_assert_close(y->data, y_inner->data, y->numel, 0.0, 0.0);
    EXPECT_FATAL(tt_checkpointed_new(NULL, NULL), "NULL layer");
    tt_layer_free(ck);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_gpt_gradients_bit_identical, teardown),
        cmocka_unit_test_teardown(test_block_dropout_recomputed, teardown),
        cmocka_unit_test_teardown(test_wrapper_layer, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
