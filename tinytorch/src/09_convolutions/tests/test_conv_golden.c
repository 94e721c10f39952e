/* test_conv_golden.c - module 09 against PyTorch: Conv2d (strides, paddings, dilations, groups,
 * depthwise, no bias), MaxPool2d/AvgPool2d, BatchNorm2d (train and eval, running statistics), forward
 * and backward; then LeNet-5 trained 3 SGD steps from the same weights (losses and weights).
 *
 * Data: tests/data/conv_golden.txt, written by tests/golden/make_golden_conv.py (format there).
 * Tolerance: 1e-4 relative with an absolute floor of 1e-5 (1e-4 for the LeNet weights after training).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tt_golden.h"
#include "tinytorch/conv.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"

#define RTOL 1e-4
#define ATOL 1e-5

/* ---- golden file (tt_golden.h) ----------------------------------------------------------------- */

typedef tt_golden_entry gentry;
static tt_golden gdb;

static int load_db(void **state) { (void)state; return tt_golden_load(&gdb, "conv_golden.txt"); }
static int free_db(void **state) { (void)state; tt_golden_free(&gdb); return 0; }
static const gentry *find(const char *cas, const char *field) { return tt_golden_find(&gdb, cas, field); }
static const gentry *get(const char *cas, const char *field) { return tt_golden_get(&gdb, cas, field); }

/* Runs `out`'s backward with the case's seed and compares out and every input's gradient. */
static void check_case(const char *cas, tt_tensor *out, tt_tensor **in, int n_in)
{
    char what[128];
    snprintf(what, sizeof what, "%s forward", cas);
    tt_golden_expect(what, out, out->data, get(cas, "out"), RTOL, ATOL);
    tt_backward_with(out, tt_golden_tensor(get(cas, "seed"), false));
    for (int k = 0; k < n_in; k++) {
        char field[16];
        snprintf(field, sizeof field, "grad%d", k);
        snprintf(what, sizeof what, "%s d/d%s", cas, k == 0 ? "input" : k == 1 ? "weight" : "bias");
        assert_non_null(in[k]->grad);
        tt_golden_expect(what, in[k], in[k]->grad, get(cas, field), RTOL, ATOL);
    }
}

/* ---- op cases ---------------------------------------------------------------------------------- */

static const char *const conv_cases[] = {
    "conv_basic", "conv_pad1", "conv_stride2", "conv_stride3_pad2", "conv_dilation2", "conv_groups2",
    "conv_depthwise", "conv_depthwise_x2", "conv_asym", "conv_lenet1", "conv_1x1",
};

static void test_conv_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof conv_cases / sizeof conv_cases[0]; k++) {
        const char *cas = conv_cases[k];
        const float *c = get(cas, "cfg")->v;
        tt_conv2d_geom g = {(int)c[0], (int)c[1], (int)c[2], (int)c[3], (int)c[4], (int)c[5], (int)c[6]};
        int has_bias = (int)c[7];
        tt_tensor *in[3] = {tt_golden_tensor(get(cas, "in0"), true), tt_golden_tensor(get(cas, "in1"), true),
                            has_bias ? tt_golden_tensor(get(cas, "in2"), true) : NULL};
        assert_true(has_bias == (find(cas, "in2") != NULL));
        check_case(cas, tt_conv2d_ex(in[0], in[1], in[2], &g), in, has_bias ? 3 : 2);
        /* the direct definition agrees with PyTorch too */
        tt_golden_expect(cas, tt_conv2d_direct(in[0], in[1], in[2], &g), tt_conv2d_direct(in[0], in[1], in[2], &g)->data,
                     get(cas, "out"), RTOL, ATOL);
        tt_arena_reset();
    }
}

static const char *const pool_cases[] = {
    "max_2x2", "max_2x2_odd", "max_3x3_s2_p1", "max_3x3_dil2", "max_2x3_s1",
    "avg_2x2", "avg_3x3_s2_p1", "avg_3x2_s1",
};

static void test_pool_golden(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof pool_cases / sizeof pool_cases[0]; k++) {
        const char *cas = pool_cases[k];
        const float *c = get(cas, "cfg")->v;
        tt_conv2d_geom g = {(int)c[3], (int)c[4], (int)c[5], (int)c[6], (int)c[7], (int)c[8], 1};
        tt_tensor *x = tt_golden_tensor(get(cas, "in0"), true);
        tt_tensor *y = c[0] != 0.0f ? tt_max_pool2d_ex(x, (int)c[1], (int)c[2], &g)
                                    : tt_avg_pool2d_ex(x, (int)c[1], (int)c[2], &g);
        check_case(cas, y, &x, 1);
        tt_arena_reset();
    }
}

static void test_batchnorm_golden(void **state)
{
    (void)state;
    const char *cases[2] = {"bn_train", "bn_eval"};
    for (int k = 0; k < 2; k++) {
        const char *cas = cases[k];
        bool training = get(cas, "cfg")->v[0] != 0.0f;
        tt_tensor *in[3] = {tt_golden_tensor(get(cas, "in0"), true), tt_golden_tensor(get(cas, "in1"), true),
                            tt_golden_tensor(get(cas, "in2"), true)};
        const gentry *rm0 = get(cas, "rm0"), *rv0 = get(cas, "rv0");
        tt_tensor *rm = tt_tensor_new_persistent(rm0->ndim, rm0->shape);
        tt_tensor *rv = tt_tensor_new_persistent(rv0->ndim, rv0->shape);
        memcpy(rm->data, rm0->v, (size_t)rm0->numel * sizeof(float));
        memcpy(rv->data, rv0->v, (size_t)rv0->numel * sizeof(float));
        tt_tensor *y = tt_batch_norm2d(in[0], in[1], in[2], rm, rv, training, 0.1f, 1e-5f);
        check_case(cas, y, in, 3);
        tt_golden_expect("running_mean", rm, rm->data, get(cas, "rm1"), RTOL, ATOL);
        tt_golden_expect("running_var", rv, rv->data, get(cas, "rv1"), RTOL, ATOL);
        tt_tensor_free(rm);
        tt_tensor_free(rv);
        tt_arena_reset();
    }
}

/* ---- LeNet-5, three SGD steps ------------------------------------------------------------------ */

static void formula_fill(float *v, int64_t n, double k, double scale)
{
    for (int64_t i = 0; i < n; i++) {
        v[i] = (float)(scale * sin(0.7 * (double)i + k));
    }
}

static void test_lenet_golden(void **state)
{
    (void)state;
    for (int fused = 0; fused < 2; fused++) {
        tt_layer *l[12];
        int n = 0;
        /* fused: the Sequential runs conv + ReLU + pool as one kernel; not fused: each conv sits in
         * a Sequential of its own, where it sees no ReLU to fuse with */
        tt_layer *c1 = tt_conv2d_new(1, 6, 5, 1, 2, 1, 1, true, NULL);
        l[n++] = fused ? c1 : tt_sequential_new(1, &c1);
        l[n++] = tt_relu_new();
        l[n++] = tt_maxpool2d_new(2, 0, 0);
        tt_layer *c2 = tt_conv2d_new(6, 16, 5, 1, 0, 1, 1, true, NULL);
        l[n++] = fused ? c2 : tt_sequential_new(1, &c2);
        l[n++] = tt_relu_new();
        l[n++] = tt_maxpool2d_new(2, 0, 0);
        l[n++] = tt_flatten_new();
        l[n++] = tt_linear_new(400, 120, true, TT_INIT_PYTORCH, NULL);
        l[n++] = tt_relu_new();
        l[n++] = tt_linear_new(120, 84, true, TT_INIT_PYTORCH, NULL);
        l[n++] = tt_relu_new();
        l[n++] = tt_linear_new(84, 10, true, TT_INIT_PYTORCH, NULL);
        tt_layer *net = tt_sequential_new(n, l);
        tt_params p;
        tt_params_init(&p);
        tt_layer_params(net, &p);
        assert_int_equal(p.n, 10);
        static const int64_t fan_in[10] = {25, 25, 150, 150, 400, 400, 120, 120, 84, 84};
        for (int k = 0; k < 10; k++) {
            formula_fill(p.t[k]->data, p.t[k]->numel, k, 1.0 / sqrt((double)fan_in[k]));
        }
        tt_tensor *x = tt_tensor_new_persistent(TT_SHAPE(4, 1, 28, 28));
        formula_fill(x->data, x->numel, 0.5, 0.5);
        for (int64_t i = 0; i < x->numel; i++) {
            x->data[i] += 0.5f;
        }
        const gentry *gl = get("lenet", "labels");
        int32_t labels[4];
        for (int i = 0; i < 4; i++) {
            labels[i] = (int32_t)gl->v[i];
        }
        const gentry *losses = get("lenet", "losses");
        tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
        for (int step = 0; step < 3; step++) {
            tt_optim_zero_grad(opt);
            tt_tensor *loss = tt_cross_entropy(tt_layer_forward(net, x), labels);
            double got = tt_item(loss), want = losses->v[step];
            if (fabs(got - want) > 1e-5 + 1e-4 * fabs(want)) {
                fail_msg("LeNet (%s) step %d: loss %.7f, PyTorch %.7f", fused ? "fused" : "plain", step,
                         got, want);
            }
            tt_backward(loss);
            tt_optim_step(opt);
            tt_arena_reset();
        }
        for (int k = 0; k < 10; k++) {
            char field[32], what[64];
            snprintf(field, sizeof field, "p%d_final_head", k);
            snprintf(what, sizeof what, "LeNet %s after 3 steps", p.names[k]);
            const gentry *want = get("lenet", field);
            tt_tensor *head = tt_from_data(TT_SHAPE(want->numel), p.t[k]->data);
            tt_golden_expect(what, head, head->data, want, 1e-4, 1e-4);
        }
        tt_optim_free(opt);
        tt_params_free(&p);
        tt_layer_free(net);
        tt_tensor_free(x);
        tt_arena_reset();
    }
}

int main(void)
{
    (void)tt_gradcheck; /* tt_test.h helpers this file does not need */
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_golden),
        cmocka_unit_test(test_pool_golden),
        cmocka_unit_test(test_batchnorm_golden),
        cmocka_unit_test(test_lenet_golden),
    };
    return cmocka_run_group_tests(tests, load_db, free_db);
}
