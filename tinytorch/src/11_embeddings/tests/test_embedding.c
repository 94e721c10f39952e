/* test_embedding.c - module 11: gather forward, scatter-add backward (hand-worked with repeated ids),
 * token + position embedding gradient check, sinusoidal table values, id range errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/embedding.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_gather_scatter(void **state)
{
    (void)state;
    tt_tensor *w = tt_from_data(TT_SHAPE(4, 2), (const float[]){0, 1, 10, 11, 20, 21, 30, 31});
    tt_set_requires_grad(w, true);
    const int32_t ids[5] = {2, 0, 2, 3, 2};
    tt_tensor *e = tt_embedding(w, ids, TT_SHAPE(5));
    assert_int_equal(e->ndim, 2);
    assert_int_equal(e->shape[1], 2);
    tt_assert_close(e->data, (const float[]){20, 21, 0, 1, 20, 21, 30, 31, 20, 21}, 10, 0, 0);
    /* seed gradient rows 1..5: row 2 collects rows 1, 3, 5 (1+3+5 = 9), row 1 is never looked up */
    tt_tensor *seed = tt_from_data(TT_SHAPE(5, 2), (const float[]){1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
    tt_backward_with(e, seed);
    tt_assert_close(w->grad, (const float[]){2, 2, 0, 0, 9, 9, 4, 4}, 8, 0, 0);
    EXPECT_FATAL(tt_embedding(w, (const int32_t[]){4}, TT_SHAPE(1)), "tt_embedding: id 4 at index 0");
    EXPECT_FATAL(tt_embedding(w, (const int32_t[]){-1}, TT_SHAPE(1)), "id -1");
}

typedef struct ep_ctx { const int32_t *ids; int64_t B, T, pos0; } ep_ctx;

static tt_tensor *f_embpos(tt_tensor **in, void *ctx)
{
    ep_ctx *c = ctx;
    return tt_embedding_pos(in[0], in[1], c->ids, c->B, c->T, c->pos0);
}

static void test_embedding_pos_grad(void **state)
{
    (void)state;
    const int32_t ids[6] = {1, 4, 1, 0, 0, 3};
    ep_ctx c = {ids, 2, 3, 2};
    tt_tensor *in[2] = {tt_test_input(TT_SHAPE(5, 3), -1, 1, 1), tt_test_input(TT_SHAPE(6, 3), -1, 1, 2)};
    tt_gradcheck(f_embpos, in, 2, &c, 1e-2f, 1e-2);
    tt_tensor *x = tt_embedding_pos(in[0], in[1], ids, 2, 3, 2);
    /* x[1, 2] = wte[3] + wpe[2 + 2] */
    for (int j = 0; j < 3; j++) {
        assert_true(x->data[(1 * 3 + 2) * 3 + j] == in[0]->data[3 * 3 + j] + in[1]->data[4 * 3 + j]);
    }
    EXPECT_FATAL(tt_embedding_pos(in[0], in[1], ids, 2, 3, 4), "positions [4, 7) past the position table");
}

static void test_sinusoidal(void **state)
{
    (void)state;
    tt_tensor *pe = tt_sinusoidal_table_new(50, 8);
    assert_false(tt_requires_grad(pe));
    /* position 0: sin 0 = 0 on even columns, cos 0 = 1 on odd */
    for (int i = 0; i < 8; i++) {
        assert_true(pe->data[i] == (i % 2 ? 1.0f : 0.0f));
    }
    /* PE[p, 2i] = sin(p / 10000^(2i/8)), PE[p, 2i+1] = cos(...) */
    assert_true(fabs(pe->data[1 * 8 + 0] - sin(1.0)) < 1e-7);
    assert_true(fabs(pe->data[1 * 8 + 1] - cos(1.0)) < 1e-7);
    assert_true(fabs(pe->data[7 * 8 + 2] - sin(7.0 / 10.0)) < 1e-7);   /* 10000^(2/8) = 10 */
    assert_true(fabs(pe->data[49 * 8 + 7] - cos(49.0 / 1000.0)) < 1e-7); /* 10000^(6/8) = 1000 */
    tt_tensor_free(pe);
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_embedding_layer *l = tt_embedding_layer_new(10, 4, 1.0f, &r);
    tt_params p;
    tt_params_init(&p);
    tt_embedding_layer_params(l, &p, "wte");
    assert_string_equal(p.names[0], "wte.weight");
    tt_tensor *y = tt_embedding_layer_forward(l, (const int32_t[]){9, 0}, TT_SHAPE(1, 2));
    assert_int_equal(y->ndim, 3);
    assert_true(y->data[0] == l->weight->data[36]);
    tt_params_free(&p);
    tt_embedding_layer_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_gather_scatter, teardown),
        cmocka_unit_test_teardown(test_embedding_pos_grad, teardown),
        cmocka_unit_test_teardown(test_sinusoidal, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
