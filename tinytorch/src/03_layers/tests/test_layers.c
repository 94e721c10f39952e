/* test_layers.c - module 03: Linear (init schemes), inverted Dropout, Sequential, activation layers,
 * parameter lists (names, counting, lookup), train/eval, and gradient checks through layers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test.h"
#include "tinytorch/nn.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void moments(const tt_tensor *t, double *mean, double *std, float *absmax)
{
    double s = 0, s2 = 0;
    float m = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        s += t->data[i];
        s2 += (double)t->data[i] * t->data[i];
        m = fabsf(t->data[i]) > m ? fabsf(t->data[i]) : m;
    }
    *mean = s / (double)t->numel;
    *std = sqrt(s2 / (double)t->numel - *mean * *mean);
    *absmax = m;
}

static void test_linear_shapes_and_params(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *l = tt_linear_new(784, 256, true, TT_INIT_KAIMING_UNIFORM, &r);
    assert_string_equal(l->ops->kind, "Linear");
    tt_linear_layer *lin = (tt_linear_layer *)l;
    assert_int_equal(lin->weight->shape[0], 256);
    assert_int_equal(lin->weight->shape[1], 784);
    assert_true(tt_requires_grad(lin->weight) && tt_requires_grad(lin->bias));
    tt_tensor *y = tt_layer_forward(l, tt_randn(TT_SHAPE(32, 784), 0, 1, &r));
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[0], 32);
    assert_int_equal(y->shape[1], 256);
    tt_tensor *e = tt_layer_forward(l, tt_zeros(TT_SHAPE(0, 784))); /* empty batch */
    assert_int_equal(e->shape[0], 0);
    assert_int_equal(e->shape[1], 256);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(l, &p);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.names[0], "weight");
    assert_string_equal(p.names[1], "bias");
    assert_int_equal(tt_params_numel(&p), 784 * 256 + 256);
    tt_params_free(&p);
    tt_layer_free(l);
    tt_layer *nb = tt_linear_new(3, 2, false, TT_INIT_XAVIER_UNIFORM, &r);
    tt_params_init(&p);
    tt_layer_params(nb, &p);
    assert_int_equal(p.n, 1);
    assert_null(((tt_linear_layer *)nb)->bias);
    tt_params_free(&p);
    tt_layer_free(nb);
    EXPECT_FATAL(tt_linear_new(0, 3, true, TT_INIT_PYTORCH, &r), "tt_linear_new");
}

static void test_linear_forward_value(void **state)
{
    (void)state;
    tt_layer *l = tt_linear_new(3, 2, true, TT_INIT_PYTORCH, NULL);
    tt_linear_layer *lin = (tt_linear_layer *)l;
    memcpy(lin->weight->data, (const float[]){1, 2, 3, -1, 0, 1}, 6 * sizeof(float));
    memcpy(lin->bias->data, (const float[]){0.5f, -0.5f}, 2 * sizeof(float));
    tt_tensor *y = tt_layer_forward(l, tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 1, 1, 1, 2, 3}));
    tt_assert_close(y->data, (const float[]){6.5f, -0.5f, 14.5f, 1.5f}, 4, 0, 0);
    EXPECT_FATAL(tt_layer_forward(l, tt_zeros(TT_SHAPE(2, 4))), "tt_linear: input [2, 4], weight [2, 3]");
    tt_layer_free(l);
}

static void test_init_statistics(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 7);
    tt_tensor *w = tt_tensor_new_persistent(2, (const int64_t[]){400, 200});
    double mean, std;
    float mx;
    const int64_t fi = 200, fo = 400;
    struct { tt_init init; double want_std, bound; } cases[] = {
        {TT_INIT_KAIMING_UNIFORM, sqrt(2.0 / fi), sqrt(6.0 / fi)},
        {TT_INIT_KAIMING_NORMAL, sqrt(2.0 / fi), 0},
        {TT_INIT_XAVIER_UNIFORM, sqrt(2.0 / (fi + fo)), sqrt(6.0 / (fi + fo))},
        {TT_INIT_XAVIER_NORMAL, sqrt(2.0 / (fi + fo)), 0},
        {TT_INIT_PYTORCH, 1.0 / sqrt(3.0 * fi), 1.0 / sqrt((double)fi)}, /* U(-b, b): std b/sqrt 3 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tt_init_tensor(w, cases[k].init, fi, fo, &r);
        moments(w, &mean, &std, &mx);
        /* 80,000 samples: the sample std is within 1% and the mean within 4 standard errors */
        assert_true(fabs(std / cases[k].want_std - 1.0) < 0.01);
        assert_true(fabs(mean) < 4 * cases[k].want_std / sqrt(80000.0));
        if (cases[k].bound > 0) {
            assert_true(mx <= cases[k].bound && mx > 0.99 * cases[k].bound);
        }
    }
    tt_tensor_free(w);
}

static void test_dropout(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 3);
    const int64_t n = 10000;
    tt_tensor *x = tt_ones(TT_SHAPE(n));
    tt_set_requires_grad(x, true);
    tt_tensor *y = tt_dropout(x, 0.5f, true, &r);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(y->data[i] == 0.0f || y->data[i] == 2.0f); /* inverted: kept values scaled 1/(1-p) */
        kept += y->data[i] != 0.0f;
    }
    /* Binomial(10000, 0.5): sd 50; within 4 sd */
    assert_true(llabs(kept - n / 2) < 200);
    /* gradient: exactly the mask */
    tt_backward(tt_sum(y, TT_ALL_AXES, false));
    for (int64_t i = 0; i < n; i++) {
        assert_true(x->grad[i] == y->data[i]);
    }
    /* expected value preserved for p = 0.2 */
    tt_tensor *z = tt_dropout(tt_ones(TT_SHAPE(n)), 0.2f, true, &r);
    double m = tt_item(tt_mean(z, TT_ALL_AXES, false));
    assert_true(fabs(m - 1.0) < 0.04); /* sd of the mean = 1.25 * 0.4 / 100 = 0.005 */
    /* eval and p = 0: identity; p = 1: zeros */
    tt_tensor *a = tt_from_data(TT_SHAPE(3), (const float[]){1, 2, 3});
    assert_ptr_equal(tt_dropout(a, 0.5f, false, &r), a);
    assert_ptr_equal(tt_dropout(a, 0.0f, true, &r), a);
    tt_tensor *all = tt_dropout(a, 1.0f, true, &r);
    tt_assert_close(all->data, (const float[]){0, 0, 0}, 3, 0, 0);
    EXPECT_FATAL(tt_dropout(a, 1.5f, true, &r), "tt_dropout: probability 1.5 outside [0, 1]");
    /* the layer follows train/eval */
    tt_layer *d = tt_dropout_new(0.5f, &r);
    tt_tensor *o = tt_layer_forward(d, tt_ones(TT_SHAPE(1000)));
    double s = tt_item(tt_sum(o, TT_ALL_AXES, false));
    assert_true(s != 1000.0);
    tt_layer_train(d, false);
    assert_false(d->training);
    tt_tensor *in = tt_ones(TT_SHAPE(10));
    assert_ptr_equal(tt_layer_forward(d, in), in);
    tt_layer_free(d);
}

static void test_sequential(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_layer *inner[2] = {tt_linear_new(6, 5, true, TT_INIT_KAIMING_UNIFORM, &r), tt_tanh_new()};
    tt_layer *layers[5] = {tt_flatten_new(), tt_sequential_new(2, inner), tt_dropout_new(0.3f, &r),
                           tt_linear_new(5, 4, false, TT_INIT_XAVIER_NORMAL, &r), tt_sigmoid_new()};
    tt_layer *seq = tt_sequential_new(5, layers);
    tt_sequential_append(seq, tt_relu_new());
    tt_sequential_append(seq, tt_gelu_new());
    assert_int_equal(tt_sequential_len(seq), 7);
    assert_string_equal(tt_sequential_at(seq, 4)->ops->kind, "Sigmoid");
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(seq, &p);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.names[0], "1.0.weight");
    assert_string_equal(p.names[1], "1.0.bias");
    assert_string_equal(p.names[2], "3.weight");
    assert_int_equal(tt_params_numel(&p), 6 * 5 + 5 + 5 * 4);
    assert_ptr_equal(tt_params_find(&p, "3.weight"), ((tt_linear_layer *)layers[3])->weight);
    assert_null(tt_params_find(&p, "3.bias"));
    /* eval: the container's output equals the hand-composed ops */
    tt_layer_train(seq, false);
    assert_false(tt_sequential_at(seq, 2)->training);
    assert_false(tt_sequential_at(tt_sequential_at(seq, 1), 0)->training);
    tt_tensor *x = tt_randn(TT_SHAPE(2, 3, 2), 0, 1, &r);
    tt_tensor *y = tt_layer_forward(seq, x);
    tt_linear_layer *l1 = (tt_linear_layer *)inner[0], *l2 = (tt_linear_layer *)layers[3];
    tt_tensor *h = tt_tanh(tt_linear(tt_flatten(x, 1), l1->weight, l1->bias));
    tt_tensor *want = tt_gelu(tt_relu(tt_sigmoid(tt_linear(h, l2->weight, NULL))));
    assert_int_equal(y->shape[0], 2);
    assert_int_equal(y->shape[1], 4);
    tt_assert_close(y->data, want->data, 8, 0, 0);
    tt_layer_train(seq, true);
    assert_true(tt_sequential_at(seq, 2)->training);
    EXPECT_FATAL(tt_sequential_at(seq, 7), "tt_sequential_at: index 7 out of range for 7 layers");
    EXPECT_FATAL(tt_sequential_len(layers[0]), "not a Sequential");
    tt_params_free(&p);
    tt_layer_free(seq);
    tt_layer_free(NULL);
}

/* Names are built at any length: a Linear 150 Sequentials deep is "0.0.....0.weight" (302 chars),
 * beside a sibling whose name differs only at the end; a fixed buffer would cut both to one name. */
static void test_param_names_any_depth(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 9);
    enum { DEPTH = 150 };
    tt_layer *pair[2] = {tt_linear_new(2, 2, true, TT_INIT_PYTORCH, &r),
                         tt_linear_new(2, 2, false, TT_INIT_PYTORCH, &r)};
    tt_layer *net = tt_sequential_new(2, pair);
    for (int i = 1; i < DEPTH; i++) {
        net = tt_sequential_new(1, &net);
    }
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(net, &p);
    assert_int_equal(p.n, 3); /* the second Linear has no bias: nothing added for it */
    char want[2 * DEPTH + 16] = "";
    for (int i = 1; i < DEPTH; i++) {
        strcat(want, "0.");
    }
    size_t base = strlen(want);
    strcat(want, "0.weight");
    assert_string_equal(p.names[0], want);
    want[base] = '1';
    assert_string_equal(p.names[2], want);
    assert_true(strlen(p.names[2]) > 256);
    /* tt_params_add_at joins prefix and name; NULL prefix and name read as "" */
    tt_params q;
    tt_params_init(&q);
    tt_params_add_at(&q, "enc.", "scale", p.t[0]);
    tt_params_add_at(&q, NULL, "w", p.t[0]);
    tt_params_add_at(&q, "b.", NULL, p.t[0]);
    tt_params_add_at(&q, "x.", "bias", NULL);
    assert_int_equal(q.n, 3);
    assert_string_equal(q.names[0], "enc.scale");
    assert_string_equal(q.names[1], "w");
    assert_string_equal(q.names[2], "b.");
    /* a named child adds "name.", an unnamed one (NULL or "") no level */
    tt_layer_collect_at(pair[0], &q, "enc.", "fc");
    tt_layer_collect_at(pair[0], &q, "enc.", "");
    tt_layer_collect_at(pair[0], &q, NULL, NULL);
    assert_int_equal(q.n, 9);
    assert_string_equal(q.names[3], "enc.fc.weight");
    assert_string_equal(q.names[4], "enc.fc.bias");
    assert_string_equal(q.names[5], "enc.weight");
    assert_string_equal(q.names[7], "weight");
    tt_params_free(&q);
    tt_params_free(&p);
    tt_layer_free(net);
}

/* ---- gradient checks through layers --------------------------------------------------------------- */

/* in[0] = x; in[1..3] = the parameters' data, swapped in so the check perturbs them */
static tt_tensor *g_mlp(tt_tensor **in, void *c)
{
    (void)c;
    tt_tensor *h = tt_tanh(tt_linear(in[0], in[1], in[2]));
    return tt_gelu_erf(tt_linear(h, in[3], NULL));
}

static tt_tensor *g_dropout(tt_tensor **in, void *c)
{
    tt_rng r;
    tt_rng_seed(&r, *(uint64_t *)c); /* same mask at every evaluation */
    return tt_dropout(tt_sigmoid(in[0]), 0.4f, true, &r);
}

static void test_gradcheck(void **state)
{
    (void)state;
    tt_tensor *x = tt_test_input(TT_SHAPE(4, 5), -1, 1, 31);
    tt_tensor *w1 = tt_test_input(TT_SHAPE(6, 5), -0.6f, 0.6f, 32);
    tt_tensor *b1 = tt_test_input(TT_SHAPE(6), -0.5f, 0.5f, 33);
    tt_tensor *w2 = tt_test_input(TT_SHAPE(3, 6), -0.6f, 0.6f, 34);
    tt_gradcheck(g_mlp, (tt_tensor *[]){x, w1, b1, w2}, 4, NULL, 1e-2f, 1e-2);
    uint64_t seed = 99;
    tt_tensor *d = tt_test_input(TT_SHAPE(4, 6), -2, 2, 35);
    tt_gradcheck(g_dropout, &d, 1, &seed, 1e-2f, 1e-2);
}

/* A layer's backward reaches its persistent parameters; gradients match the functional op's. */
static void test_layer_gradients(void **state)
{
    (void)state;
    tt_layer *l = tt_linear_new(3, 2, true, TT_INIT_PYTORCH, NULL);
    tt_linear_layer *lin = (tt_linear_layer *)l;
    tt_tensor *x = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 2, 3, -1, 0, 1});
    tt_backward(tt_sum(tt_layer_forward(l, x), TT_ALL_AXES, false));
    /* d sum(x W^T + b) / dW[o, i] = sum_r x[r, i]; / db[o] = rows */
    tt_assert_close(lin->weight->grad, (const float[]){0, 2, 4, 0, 2, 4}, 6, 0, 0);
    tt_assert_close(lin->bias->grad, (const float[]){2, 2}, 2, 0, 0);
    tt_layer_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_linear_shapes_and_params, teardown),
        cmocka_unit_test_teardown(test_linear_forward_value, teardown),
        cmocka_unit_test_teardown(test_init_statistics, teardown),
        cmocka_unit_test_teardown(test_dropout, teardown),
        cmocka_unit_test_teardown(test_sequential, teardown),
        cmocka_unit_test_teardown(test_param_names_any_depth, teardown),
        cmocka_unit_test_teardown(test_gradcheck, teardown),
        cmocka_unit_test_teardown(test_layer_gradients, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
