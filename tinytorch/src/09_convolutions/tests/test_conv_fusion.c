/* test_conv_fusion.c - module 09: Conv2d's fusion rule inside a Sequential.
 *
 * A model written as Conv2d, ReLU, MaxPool2d(2) runs as one fused kernel (tt_conv2d_relu_maxpool2_ex),
 * Conv2d, ReLU as tt_conv2d_relu_ex. Checked against the same Sequential's children run one by one:
 * outputs bit-identical; gradients within 1e-6 (relative; the fused backward rebuilds the
 * convolution's output gradient from the pool's winners and sums in another order). Where fusion
 * must not happen (another pool, no ReLU, a layer in between) the plan keeps the layers apart and
 * the output is still the layers'. Older model files with fused layer names ("Conv2dReLU",
 * "Conv2dReLUPool", written by hand here) load as the plain layers with their tensors. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static tt_tensor *unfused(tt_layer *seq, tt_tensor *x)
{
    for (int i = 0; i < tt_sequential_len(seq); i++) {
        x = tt_layer_forward(tt_sequential_at(seq, i), x);
    }
    return x;
}

static float *keep(const float *v, int64_t n)
{
    float *c = malloc((size_t)n * sizeof *c);
    assert_non_null(c);
    memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

typedef struct geo { int N, Cin, H, W, Cout, k, stride, pad, dil; bool bias, pool; } geo;

/* Sequential(Conv2d, ReLU [, MaxPool2d(2)]) on x: the fused forward and backward against the
 * children one by one. Returns the planned group length of child 0. */
static int check_fused(const geo *g, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *seq = tt_sequential_new(0, NULL);
    tt_sequential_append(seq, tt_conv2d_new(g->Cin, g->Cout, g->k, g->stride, g->pad, g->dil, 1, g->bias, &r));
    tt_sequential_append(seq, tt_relu_new());
    if (g->pool) {
        tt_sequential_append(seq, tt_maxpool2d_new(2, 0, 0));
    }
    tt_conv2d_layer *c = (tt_conv2d_layer *)tt_sequential_at(seq, 0);
    tt_tensor *x = tt_tensor_new_persistent(TT_SHAPE(g->N, g->Cin, g->H, g->W)); /* lives across resets */
    for (int64_t i = 0; i < x->numel; i++) {
        x->data[i] = 2.0f * tt_rng_uniform(&r) - 1.0f;
    }
    tt_set_requires_grad(x, true);
    float *y[2], *gx[2], *gw[2], *gb[2] = {NULL, NULL};
    int64_t ny = 0;
    for (int pass = 0; pass < 2; pass++) {
        tt_tensor *out = pass == 0 ? tt_layer_forward(seq, x) : unfused(seq, x);
        ny = out->numel;
        /* a weighted sum, so every output cell sends back a different gradient */
        tt_tensor *wts = tt_empty(out->ndim, out->shape);
        for (int64_t i = 0; i < out->numel; i++) {
            wts->data[i] = (float)(0.3 + 0.9 * sin(0.41 * (double)i));
        }
        tt_zero_grad((tt_tensor *[]){x, c->weight}, 2);
        if (c->bias) {
            tt_zero_grad((tt_tensor *[]){c->bias}, 1);
        }
        tt_backward_with(out, wts);
        y[pass] = keep(out->data, out->numel);
        gx[pass] = keep(x->grad, x->numel);
        gw[pass] = keep(c->weight->grad, c->weight->numel);
        if (c->bias) {
            gb[pass] = keep(c->bias->grad, c->bias->numel);
        }
        tt_arena_reset();
    }
    tt_assert_close(y[0], y[1], ny, 0, 0);
    tt_assert_close(gx[0], gx[1], x->numel, 1e-6, 1e-7);
    tt_assert_close(gw[0], gw[1], c->weight->numel, 1e-6, 1e-6);
    if (c->bias) {
        tt_assert_close(gb[0], gb[1], c->bias->numel, 1e-6, 1e-6);
    }
    for (int p = 0; p < 2; p++) {
        free(y[p]);
        free(gx[p]);
        free(gw[p]);
        free(gb[p]);
    }
    int len = tt_sequential_group_len(seq, 0);
    tt_layer_free(seq);
    tt_tensor_free(x);
    return len;
}

static void test_fused_equals_layers(void **state)
{
    (void)state;
    static const geo cases[] = {
        {4, 1, 28, 28, 6, 5, 1, 2, 1, true, true},    /* LeNet's first block */
        {3, 6, 14, 14, 16, 5, 1, 0, 1, true, true},   /* LeNet's second: 10x10 -> 5x5 */
        {2, 3, 9, 11, 5, 3, 1, 1, 1, true, true},     /* odd output sizes: the last row/column is dropped */
        {2, 4, 7, 7, 8, 3, 1, 0, 1, false, true},     /* no bias */
        {2, 3, 12, 10, 4, 3, 2, 1, 1, true, true},    /* stride 2: the fused op's fallback path */
        {2, 2, 12, 12, 3, 3, 1, 2, 2, true, true},    /* dilation 2: fallback too */
        {3, 5, 10, 10, 7, 3, 1, 1, 1, true, false},   /* conv + ReLU only */
        {2, 16, 6, 6, 32, 3, 1, 1, 1, true, true},    /* many channels, short rows */
        {20, 6, 14, 14, 16, 5, 1, 0, 1, true, true},  /* LeNet's second, 20 images: dx with images in lanes */
    };
    tt_conv2d_set_impl("auto");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(check_fused(&cases[i], 100 + 7 * i), cases[i].pool ? 3 : 2);
    }
    /* the same on the explicit im2col path */
    assert_int_equal(tt_conv2d_set_impl("im2col"), 0);
    assert_int_equal(check_fused(&cases[0], 500), 3);
    assert_int_equal(check_fused(&cases[2], 501), 3);
    tt_conv2d_set_impl("auto");
}

/* Plans where fusion must not happen, and that the output is still the layers'. */
static void test_no_fusion_where_it_does_not_apply(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 9);
    struct { tt_layer *l[4]; int n; int want[4]; const char *what; } cases[] = {
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(3, 0, 0)}, 3, {2, 0, 1},
         "3x3 pool: conv + ReLU only"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_maxpool2d_new(2, 0, 0), tt_relu_new()}, 3, {1, 1, 1},
         "pool before the ReLU"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_batchnorm2d_new(3, 0.1f, 1e-5f, true), tt_relu_new(),
          tt_maxpool2d_new(2, 0, 0)}, 4, {1, 1, 1, 1}, "a layer in between"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 1, 0)}, 3, {2, 0, 1},
         "2x2 pool with stride 1"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 2, 1)}, 3, {2, 0, 1},
         "2x2 pool with padding"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_avgpool2d_new(2, 0, 0)}, 3, {2, 0, 1},
         "average pool"},
        {{tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_tanh_new(), tt_maxpool2d_new(2, 0, 0)}, 3, {1, 1, 1},
         "Tanh, not ReLU"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tt_layer *seq = tt_sequential_new(cases[k].n, cases[k].l);
        for (int i = 0; i < cases[k].n; i++) {
            if (tt_sequential_group_len(seq, i) != cases[k].want[i]) {
                fail_msg("%s: child %d has group length %d, want %d", cases[k].what, i,
                         tt_sequential_group_len(seq, i), cases[k].want[i]);
            }
        }
        for (int train = 0; train < 2; train++) {
            tt_layer_train(seq, train == 1);
            tt_tensor *x = tt_test_input(TT_SHAPE(2, 2, 9, 9), -1, 1, 40 + k);
            tt_tensor *y = tt_layer_forward(seq, x);
            tt_tensor *u = unfused(seq, x);
            assert_int_equal(y->numel, u->numel);
            tt_assert_close(y->data, u->data, u->numel, 0, 0);
            tt_arena_reset();
        }
        tt_layer_free(seq);
    }
}

static tt_tensor *through_seq(tt_tensor **in, void *ctx) { return tt_layer_forward((tt_layer *)ctx, in[0]); }

/* The input gradient through the fused conv + ReLU + pool against central differences. */
static void test_fused_gradcheck(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 31);
    tt_layer *seq = tt_sequential_new(3, (tt_layer *[]){tt_conv2d_new(2, 3, 3, 1, 1, 1, 1, true, &r), tt_relu_new(),
                                                        tt_maxpool2d_new(2, 0, 0)});
    assert_int_equal(tt_sequential_group_len(seq, 0), 3);
    tt_tensor *x = tt_test_input(TT_SHAPE(2, 2, 6, 6), -1, 1, 32);
    tt_gradcheck(through_seq, &x, 1, seq, 1e-3f, 2e-2);
    /* the ReLU and the pool are computed by the convolution's group: they do not run alone */
    EXPECT_FATAL(tt_sequential_forward_group(seq, 2, x), "child 2 (MaxPool2d) is computed by an earlier child's");
    tt_layer_free(seq);
}

/* Evaluation (no gradient): the same plan and output, and nothing is recorded on the tape. */
static void test_fused_in_eval(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 12);
    tt_layer *seq = tt_sequential_new(4, (tt_layer *[]){tt_conv2d_new(1, 6, 5, 1, 2, 1, 1, true, &r), tt_relu_new(),
                                                        tt_maxpool2d_new(2, 0, 0), tt_flatten_new()});
    tt_layer_train(seq, false);
    tt_tensor *x = tt_test_input(TT_SHAPE(3, 1, 28, 28), -1, 1, 13);
    tt_no_grad_begin();
    tt_tensor *y = tt_layer_forward(seq, x);
    tt_tensor *u = unfused(seq, x);
    tt_no_grad_end();
    assert_null(y->node);
    assert_int_equal(tt_sequential_group_len(seq, 0), 3);
    assert_int_equal(y->shape[1], 6 * 14 * 14);
    tt_assert_close(y->data, u->data, u->numel, 0, 0);
    tt_layer_free(seq);
}

/* An older model file: fused layer names in the architecture, tensors named with one index per fused
 * layer. It loads as the plain layers, runs as before, and saves again under the new names. */
static void test_old_fused_file_loads(void **state)
{
    (void)state;
    char dir[256], path[300], path2[300], err[512];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_fusion_"), 0);
    snprintf(path, sizeof path, "%s/old.safetensors", dir);
    snprintf(path2, sizeof path2, "%s/new.safetensors", dir);
    /* Conv2dReLU(1, 2, 3, pad 1) 4x4 -> MaxPool 2x2 -> Conv2dReLUPool(2, 3, 3, pad 1) 1x1 -> Linear(3, 2) */
    const char *arch = "Sequential(Conv2dReLU(1, 2, kernel_size=3, stride=1, padding=1), "
                       "MaxPool2d(kernel_size=2, stride=2, padding=0), "
                       "Conv2dReLUPool(2, 3, kernel_size=3, stride=1, padding=1), Flatten, Linear(3, 2))";
    tt_tensor *w0 = tt_tensor_new_persistent(TT_SHAPE(2, 1, 3, 3)), *b0 = tt_tensor_new_persistent(TT_SHAPE(2));
    tt_tensor *w2 = tt_tensor_new_persistent(TT_SHAPE(3, 2, 3, 3)), *b2 = tt_tensor_new_persistent(TT_SHAPE(3));
    tt_tensor *w4 = tt_tensor_new_persistent(TT_SHAPE(2, 3)), *b4 = tt_tensor_new_persistent(TT_SHAPE(2));
    tt_tensor *all[6] = {w0, b0, w2, b2, w4, b4};
    const char *old_names[6] = {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"};
    tt_params file;
    tt_params_init(&file);
    for (int t = 0; t < 6; t++) {
        for (int64_t i = 0; i < all[t]->numel; i++) {
            all[t]->data[i] = (float)(0.4 * sin(1.3 * (double)i + t) + 0.05);
        }
        tt_params_add(&file, old_names[t], all[t]);
    }
    const tt_kv meta[1] = {{"architecture", arch}};
    assert_int_equal(tt_safetensors_save(path, &file, meta, 1, err, sizeof err), 0);
    tt_params_free(&file);

    tt_model_file m;
    if (tt_model_load(path, &m, err, sizeof err) != 0) {
        fail_msg("%s", err);
    }
    tt_layer *net = m.model;
    assert_int_equal(tt_sequential_len(net), 8); /* Conv2d ReLU MaxPool2d Conv2d ReLU MaxPool2d Flatten Linear */
    static const char *kinds[8] = {"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"};
    for (int i = 0; i < 8; i++) {
        assert_string_equal(tt_sequential_at(net, i)->ops->kind, kinds[i]);
    }
    assert_int_equal(tt_sequential_group_len(net, 0), 3);
    assert_int_equal(tt_sequential_group_len(net, 3), 3);
    const tt_params *p = tt_layer_parameters(net);
    static const char *new_names[6] = {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"};
    for (int t = 0; t < 6; t++) {
        tt_tensor *got = tt_params_find(p, new_names[t]);
        assert_non_null(got);
        tt_assert_close(got->data, all[t]->data, all[t]->numel, 0, 0);
    }
    /* the old model's function, written with the ops */
    tt_tensor *x = tt_test_input(TT_SHAPE(2, 1, 4, 4), -1, 1, 77);
    tt_tensor *h = tt_max_pool2d(tt_relu(tt_conv2d(x, w0, b0, 1, 1, 1, 1)), 2, 2, 0);
    h = tt_max_pool2d(tt_relu(tt_conv2d(h, w2, b2, 1, 1, 1, 1)), 2, 2, 0);
    tt_tensor *want = tt_linear(tt_flatten(h, 1), w4, b4);
    tt_tensor *got = tt_layer_forward(net, x);
    tt_assert_close(got->data, want->data, want->numel, 1e-6, 1e-6);
    /* saved again, it is a file of plain layers with the new names */
    assert_int_equal(tt_model_save(path2, net, NULL, err, sizeof err), 0);
    char arch2[512];
    assert_int_equal(tt_safetensors_meta(path2, "architecture", arch2, sizeof arch2, err, sizeof err), 0);
    assert_null(strstr(arch2, "Conv2dReLU"));
    assert_non_null(strstr(arch2, "Conv2d(2, 3, kernel_size=3, stride=1, padding=1), ReLU, MaxPool2d("));
    tt_model_file m2;
    assert_int_equal(tt_model_load(path2, &m2, err, sizeof err), 0);
    tt_tensor *again = tt_layer_forward(m2.model, x);
    tt_assert_close(again->data, got->data, got->numel, 0, 0);
    tt_model_file_free(&m2);
    tt_model_file_free(&m);
    /* a lone fused layer (no Sequential) loads too: its tensors had no index */
    const char *lone = "Conv2dReLU(1, 2, kernel_size=3, stride=1, padding=1)";
    tt_params one;
    tt_params_init(&one);
    tt_params_add(&one, "weight", w0);
    tt_params_add(&one, "bias", b0);
    const tt_kv meta1[1] = {{"architecture", lone}};
    assert_int_equal(tt_safetensors_save(path, &one, meta1, 1, err, sizeof err), 0);
    tt_params_free(&one);
    if (tt_model_load(path, &m, err, sizeof err) != 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(tt_sequential_len(m.model), 2);
    tt_tensor *y1 = tt_layer_forward(m.model, x);
    tt_tensor *r1 = tt_relu(tt_conv2d(x, w0, b0, 1, 1, 1, 1));
    tt_assert_close(y1->data, r1->data, r1->numel, 0, 0);
    tt_model_file_free(&m);
    /* an unknown fused name is refused with its column */
    assert_null(tt_layer_from_description("Sequential(Conv2dGELU(1, 2, kernel_size=3))", err, sizeof err));
    assert_non_null(strstr(err, "unknown convolution kind"));
    for (int t = 0; t < 6; t++) {
        tt_tensor_free(all[t]);
    }
    remove(path);
    remove(path2);
    tt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fused_equals_layers, teardown),
        cmocka_unit_test_teardown(test_no_fusion_where_it_does_not_apply, teardown),
        cmocka_unit_test_teardown(test_fused_gradcheck, teardown),
        cmocka_unit_test_teardown(test_fused_in_eval, teardown),
        cmocka_unit_test_teardown(test_old_fused_file_loads, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
