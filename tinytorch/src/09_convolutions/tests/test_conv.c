/* test_conv.c - module 09: convolution, pooling and batch norm against hand-worked numbers, the
 * direct (seven-loop) definition, finite differences and the adjoint identity of im2col/col2im;
 * shape errors; layers; no heap allocation per training step. PyTorch golden data: test_conv_golden.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tinytorch/conv.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_hand_worked(void **state)
{
    (void)state;
    /* x = 1..9 as 3x3, w = [[1, 0], [0, -1]]: y[i, j] = x[i, j] - x[i+1, j+1] = -4, + bias 1 */
    tt_tensor *x = tt_arange(1, 10, 1);
    x = tt_reshape(x, TT_SHAPE(1, 1, 3, 3));
    tt_tensor *w = tt_from_data(TT_SHAPE(1, 1, 2, 2), (const float[]){1, 0, 0, -1});
    tt_tensor *b = tt_from_data(TT_SHAPE(1), (const float[]){1});
    tt_tensor *y = tt_conv2d(x, w, b, 1, 0, 1, 1);
    assert_int_equal(y->shape[2], 2);
    assert_int_equal(y->shape[3], 2);
    tt_assert_close(y->data, (const float[]){-3, -3, -3, -3}, 4, 0, 0);
    /* padding 1, stride 2, all-ones 3x3 kernel: sums of the 3x3 windows centred at (0,0), (0,2),
     * (2,0), (2,2) of the zero-padded image: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9 */
    tt_tensor *ones = tt_ones(TT_SHAPE(1, 1, 3, 3));
    tt_tensor *y2 = tt_conv2d(x, ones, NULL, 2, 1, 1, 1);
    tt_assert_close(y2->data, (const float[]){12, 16, 24, 28}, 4, 0, 0);
    /* dilation 2 on a 3x3 kernel covers 5x5: with x 5x5 = 0..24 and w = one-hot centre + corner
     * (0,0): y = x[2,2] + x[0,0] = 12 */
    tt_tensor *x5 = tt_reshape(tt_arange(0, 25, 1), TT_SHAPE(1, 1, 5, 5));
    tt_tensor *wd = tt_from_data(TT_SHAPE(1, 1, 3, 3), (const float[]){1, 0, 0, 0, 1, 0, 0, 0, 0});
    tt_tensor *y3 = tt_conv2d(x5, wd, NULL, 1, 0, 2, 1);
    assert_int_equal(y3->numel, 1);
    assert_true(y3->data[0] == 12.0f);
    /* 2x2 max pool and avg pool of 0..15 (4x4) */
    tt_tensor *x4 = tt_reshape(tt_arange(0, 16, 1), TT_SHAPE(1, 1, 4, 4));
    tt_assert_close(tt_max_pool2d(x4, 2, 0, 0)->data, (const float[]){5, 7, 13, 15}, 4, 0, 0);
    tt_assert_close(tt_avg_pool2d(x4, 2, 0, 0)->data, (const float[]){2.5f, 4.5f, 10.5f, 12.5f}, 4, 0, 0);
    /* avg pool with padding counts the zeros: 3x3 window at (0,0) of padded 0..15 = (0+1+4+5)/9 */
    tt_tensor *ap = tt_avg_pool2d(x4, 3, 2, 1);
    assert_true(fabsf(ap->data[0] - 10.0f / 9.0f) < 1e-6f);
}

static void test_output_size(void **state)
{
    (void)state;
    assert_int_equal(tt_conv_out_size(28, 5, 1, 2, 1), 28);
    assert_int_equal(tt_conv_out_size(14, 5, 1, 0, 1), 10);
    assert_int_equal(tt_conv_out_size(7, 3, 2, 1, 1), 4);
    assert_int_equal(tt_conv_out_size(9, 3, 1, 0, 2), 5);
    assert_int_equal(tt_conv_out_size(2, 5, 1, 0, 1), 0);
}

/* ---- im2col + SGEMM against the definition, over a grid of geometries ------------------------- */

typedef struct geo_case {
    int N, C, H, W, Cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, bias;
} geo_case;

static const geo_case grid[] = {
    {2, 3, 7, 7, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1},
    {3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1, 1},   /* LeNet conv1 */
    {2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1, 1},  /* LeNet conv2 */
    {2, 4, 9, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 0},
    {1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1},     /* depthwise */
    {2, 3, 7, 9, 6, 3, 3, 2, 1, 1, 2, 1, 1, 3, 1},     /* depthwise x2, asymmetric */
    {1, 2, 11, 10, 3, 3, 2, 3, 2, 2, 1, 2, 3, 1, 1},   /* dilation + stride */
    {2, 5, 4, 4, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0},     /* 1x1 */
    {1, 2, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1, 1},     /* kernel = image: 1x1 output */
};

static void make_case(const geo_case *c, uint64_t seed, tt_tensor **x, tt_tensor **w, tt_tensor **b,
                      tt_conv2d_geom *g)
{
    *x = tt_test_input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, seed);
    *w = tt_test_input(TT_SHAPE(c->Cout, c->C / c->groups, c->kh, c->kw), -0.5f, 0.5f, seed + 1);
    *b = c->bias ? tt_test_input(TT_SHAPE(c->Cout), -0.5f, 0.5f, seed + 2) : NULL;
    g->stride_h = c->sh;
    g->stride_w = c->sw;
    g->pad_h = c->ph;
    g->pad_w = c->pw;
    g->dilation_h = c->dh;
    g->dilation_w = c->dw;
    g->groups = c->groups;
}

static void test_im2col_matches_direct(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof grid / sizeof grid[0]; k++) {
        tt_tensor *x, *w, *b;
        tt_conv2d_geom g;
        make_case(&grid[k], 100 + k, &x, &w, &b, &g);
        tt_tensor *fast = tt_conv2d_ex(x, w, b, &g);
        tt_tensor *ref = tt_conv2d_direct(x, w, b, &g);
        assert_true(tt_same_shape(fast, ref));
        tt_assert_close(fast->data, ref->data, ref->numel, 1e-5, 1e-5);
        /* the fused ReLU epilogue equals max(0, conv) */
        tt_tensor *fr = tt_conv2d_relu_ex(x, w, b, &g);
        for (int64_t i = 0; i < ref->numel; i++) {
            float want = ref->data[i] > 0 ? ref->data[i] : 0.0f;
            assert_true(fabsf(fr->data[i] - want) <= 1e-5f + 1e-5f * fabsf(want));
        }
        tt_arena_reset();
    }
}

/* <im2col(x), c> == <x, col2im(c)> for random x and c: col2im is the adjoint of im2col. */
static void test_col2im_adjoint(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof grid / sizeof grid[0]; k++) {
        const geo_case *c = &grid[k];
        tt_tensor *x, *w, *b;
        tt_conv2d_geom g;
        make_case(c, 300 + k, &x, &w, &b, &g);
        int64_t Cg = c->C / c->groups, Ho = tt_conv_out_size(c->H, c->kh, c->sh, c->ph, c->dh);
        int64_t Wo = tt_conv_out_size(c->W, c->kw, c->sw, c->pw, c->dw);
        int64_t rows = Cg * c->kh * c->kw, cols = c->N * Ho * Wo;
        tt_tensor *col = tt_empty(TT_SHAPE(rows, cols));
        tt_tensor *rc = tt_test_input(TT_SHAPE(rows, cols), -1, 1, 900 + k);
        tt_tensor *dx = tt_zeros(TT_SHAPE(c->N, c->C, c->H, c->W));
        int64_t c0 = (c->groups - 1) * Cg; /* last group */
        tt_im2col(x->data, c->C, c->H, c->W, 0, c->N, c0, Cg, c->kh, c->kw, &g, col->data);
        tt_col2im(rc->data, c->C, c->H, c->W, 0, c->N, c0, Cg, c->kh, c->kw, &g, dx->data);
        double lhs = 0.0, rhs = 0.0;
        for (int64_t i = 0; i < col->numel; i++) {
            lhs += (double)col->data[i] * rc->data[i];
        }
        for (int64_t i = 0; i < x->numel; i++) {
            rhs += (double)x->data[i] * dx->data[i];
        }
        assert_true(fabs(lhs - rhs) <= 1e-4 * (1.0 + fabs(lhs)));
        tt_arena_reset();
    }
}

/* ---- finite-difference gradient checks --------------------------------------------------------- */

typedef struct conv_ctx { tt_conv2d_geom g; int relu; int has_bias; } conv_ctx;

static tt_tensor *f_conv(tt_tensor **in, void *ctx)
{
    conv_ctx *c = ctx;
    tt_tensor *b = c->has_bias ? in[2] : NULL;
    return c->relu ? tt_conv2d_relu_ex(in[0], in[1], b, &c->g) : tt_conv2d_ex(in[0], in[1], b, &c->g);
}

static void test_conv_gradcheck(void **state)
{
    (void)state;
    static const geo_case small[] = {
        {2, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 4, 6, 5, 4, 3, 2, 2, 1, 1, 0, 1, 2, 2, 1},
        {2, 3, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 0},  /* depthwise */
        {1, 2, 7, 7, 2, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1},
    };
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
        tt_tensor *x, *w, *b;
        conv_ctx ctx;
        make_case(&small[k], 500 + k, &x, &w, &b, &ctx.g);
        ctx.relu = 0;
        ctx.has_bias = b != NULL;
        tt_tensor *in[3] = {x, w, b};
        tt_gradcheck(f_conv, in, b ? 3 : 2, &ctx, 1e-2f, 2e-2);
        /* The fused ReLU (its kink defeats finite differences) must give exactly the gradients of
         * tt_relu(tt_conv2d(...)), whose pieces are checked above and in test_activations. */
        float *g_ref[3], *g_fused[3];
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < 3; i++) {
                if (in[i]) in[i]->grad = NULL;
            }
            tt_tensor *y = pass ? tt_conv2d_relu_ex(x, w, b, &ctx.g) : tt_relu(tt_conv2d_ex(x, w, b, &ctx.g));
            tt_tensor *wts = tt_empty(y->ndim, y->shape);
            for (int64_t i = 0; i < y->numel; i++) {
                wts->data[i] = (float)(0.5 + 0.37 * sin(1.3 * (double)i));
            }
            tt_backward_with(y, wts);
            for (int i = 0; i < 3; i++) {
                (pass ? g_fused : g_ref)[i] = in[i] ? in[i]->grad : NULL;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (in[i]) {
                tt_assert_close(g_fused[i], g_ref[i], in[i]->numel, 1e-5, 1e-6);
            }
        }
        tt_arena_reset();
    }
}

/* The network's input needs no gradient: only w and b get one, and x->grad stays NULL. */
static void test_conv_input_without_grad(void **state)
{
    (void)state;
    tt_tensor *x = tt_rand_uniform(TT_SHAPE(2, 1, 6, 6), -1, 1, NULL);
    tt_tensor *w = tt_test_input(TT_SHAPE(2, 1, 3, 3), -1, 1, 7);
    tt_tensor *b = tt_test_input(TT_SHAPE(2), -1, 1, 8);
    tt_tensor *y = tt_conv2d(x, w, b, 1, 1, 1, 1);
    tt_backward(tt_sum(y, TT_ALL_AXES, false));
    assert_null(x->grad);
    assert_non_null(w->grad);
    /* d(sum y)/db = number of output pixels per channel = 2 images x 36 */
    assert_true(fabsf(b->grad[0] - 72.0f) < 1e-4f && fabsf(b->grad[1] - 72.0f) < 1e-4f);
}

typedef struct pool_ctx { int max, kh, kw; tt_conv2d_geom g; } pool_ctx;

static tt_tensor *f_pool(tt_tensor **in, void *ctx)
{
    pool_ctx *c = ctx;
    return c->max ? tt_max_pool2d_ex(in[0], c->kh, c->kw, &c->g) : tt_avg_pool2d_ex(in[0], c->kh, c->kw, &c->g);
}

static void test_pool_gradcheck(void **state)
{
    (void)state;
    static const int cfg[][8] = { /* max, kh, kw, sh, sw, ph, pw, dil */
        {1, 2, 2, 2, 2, 0, 0, 1}, {1, 3, 3, 2, 2, 1, 1, 1}, {1, 3, 2, 1, 2, 1, 1, 1}, {1, 3, 3, 1, 1, 1, 1, 2},
        {0, 2, 2, 2, 2, 0, 0, 1}, {0, 3, 3, 2, 2, 1, 1, 1}, {0, 3, 2, 1, 1, 1, 0, 1},
    };
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        pool_ctx c = {cfg[k][0], cfg[k][1], cfg[k][2], tt_conv2d_geom_make(1, 0, 1, 1)};
        c.g.stride_h = cfg[k][3];
        c.g.stride_w = cfg[k][4];
        c.g.pad_h = cfg[k][5];
        c.g.pad_w = cfg[k][6];
        c.g.dilation_h = c.g.dilation_w = cfg[k][7];
        /* distinct values spaced more than 2h apart keep the max's winner stable under +-h */
        tt_tensor *x = tt_empty(TT_SHAPE(2, 2, 7, 6));
        for (int64_t i = 0; i < x->numel; i++) {
            x->data[i] = (float)((i * 37) % x->numel) * 0.05f - 2.0f;
        }
        tt_set_requires_grad(x, true);
        tt_gradcheck(f_pool, &x, 1, &c, 1e-2f, 1e-2);
        tt_arena_reset();
    }
}

typedef struct bn_ctx { int training; tt_tensor *rm, *rv; } bn_ctx;

static tt_tensor *f_bn(tt_tensor **in, void *ctx)
{
    bn_ctx *c = ctx;
    return tt_batch_norm2d(in[0], in[1], in[2], c->rm, c->rv, c->training, 0.1f, 1e-5f);
}

static void test_bn_gradcheck(void **state)
{
    (void)state;
    for (int training = 0; training < 2; training++) {
        tt_tensor *x = tt_test_input(TT_SHAPE(3, 2, 3, 4), -1, 2, 11);
        tt_tensor *gm = tt_test_input(TT_SHAPE(2), 0.5f, 1.5f, 12);
        tt_tensor *bt = tt_test_input(TT_SHAPE(2), -0.5f, 0.5f, 13);
        tt_tensor *rm = tt_from_data(TT_SHAPE(2), (const float[]){0.1f, -0.2f});
        tt_tensor *rv = tt_from_data(TT_SHAPE(2), (const float[]){0.8f, 1.3f});
        /* training: running stats would change on every call, so they are left out (NULL) */
        bn_ctx c = {training, training ? NULL : rm, training ? NULL : rv};
        tt_tensor *in[3] = {x, gm, bt};
        tt_gradcheck(f_bn, in, 3, &c, 1e-2f, 2e-2);
        tt_arena_reset();
    }
}

static void test_bn_stats(void **state)
{
    (void)state;
    /* channel 0 holds 1..8, channel 1 holds 2*(1..8): mean 4.5 / 9, biased var 5.25 / 21 */
    tt_tensor *x = tt_empty(TT_SHAPE(2, 2, 2, 2));
    for (int n = 0; n < 2; n++) {
        for (int p = 0; p < 4; p++) {
            x->data[(n * 2 + 0) * 4 + p] = (float)(n * 4 + p + 1);
            x->data[(n * 2 + 1) * 4 + p] = 2.0f * (float)(n * 4 + p + 1);
        }
    }
    tt_layer *bn = tt_batchnorm2d_new(2, 0.1f, 1e-5f, true);
    tt_batchnorm2d_layer *l = (tt_batchnorm2d_layer *)bn;
    tt_tensor *y = tt_layer_forward(bn, x);
    /* y for value 1 in channel 0: (1 - 4.5)/sqrt(5.25 + 1e-5) */
    assert_true(fabsf(y->data[0] - (float)(-3.5 / sqrt(5.25 + 1e-5))) < 1e-5f);
    /* running: 0.9*0 + 0.1*mean, 0.9*1 + 0.1*unbiased var (5.25*8/7 = 6) */
    assert_true(fabsf(l->running_mean->data[0] - 0.45f) < 1e-6f);
    assert_true(fabsf(l->running_mean->data[1] - 0.9f) < 1e-6f);
    assert_true(fabsf(l->running_var->data[0] - (0.9f + 0.6f)) < 1e-5f);
    assert_true(fabsf(l->running_var->data[1] - (0.9f + 2.4f)) < 1e-5f);
    tt_layer_train(bn, false);
    tt_tensor *ye = tt_layer_forward(bn, x);
    assert_true(fabsf(ye->data[0] - (float)((1.0 - 0.45) / sqrt(1.5 + 1e-5))) < 1e-5f);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(bn, &p);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.names[0], "weight");
    tt_params_free(&p);
    tt_layer_free(bn);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_shape_errors(void **state)
{
    (void)state;
    tt_tensor *x = tt_zeros(TT_SHAPE(2, 3, 8, 8));
    tt_tensor *w = tt_zeros(TT_SHAPE(4, 3, 3, 3));
    EXPECT_FATAL(tt_conv2d(tt_zeros(TT_SHAPE(3, 8, 8)), w, NULL, 1, 0, 1, 1), "tt_conv2d: input [3, 8, 8]");
    EXPECT_FATAL(tt_conv2d(x, tt_zeros(TT_SHAPE(4, 2, 3, 3)), NULL, 1, 0, 1, 1),
                 "tt_conv2d: input [2, 3, 8, 8], weight [4, 2, 3, 3]");
    EXPECT_FATAL(tt_conv2d(x, w, NULL, 1, 0, 1, 2), "divisible by groups");
    EXPECT_FATAL(tt_conv2d(x, w, tt_zeros(TT_SHAPE(3)), 1, 0, 1, 1), "bias [3]");
    EXPECT_FATAL(tt_conv2d(x, tt_zeros(TT_SHAPE(4, 3, 9, 9)), NULL, 1, 0, 1, 1), "larger than the padded");
    EXPECT_FATAL(tt_conv2d(x, w, NULL, 0, 0, 1, 1), "stride");
    EXPECT_FATAL(tt_max_pool2d(x, 3, 1, 2), "tt_max_pool2d: input [2, 3, 8, 8]: padding");
    EXPECT_FATAL(tt_avg_pool2d(tt_zeros(TT_SHAPE(8, 8)), 2, 2, 0), "tt_avg_pool2d: input [8, 8]");
    EXPECT_FATAL(tt_batch_norm2d(x, tt_zeros(TT_SHAPE(4)), NULL, NULL, NULL, true, 0.1f, 1e-5f),
                 "tt_batch_norm2d: input [2, 3, 8, 8], parameter [4]");
    EXPECT_FATAL(tt_batch_norm2d(x, NULL, NULL, NULL, NULL, false, 0.1f, 1e-5f), "eval mode");
}

/* ---- layers and the steady state --------------------------------------------------------------- */

static void test_layers(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *conv = tt_conv2d_new(3, 8, 3, 1, 1, 1, 1, true, &r);
    tt_conv2d_layer *cl = (tt_conv2d_layer *)conv;
    /* PyTorch's init: every weight and bias within 1/sqrt(fan_in) = 1/sqrt(27) */
    float bound = 1.0f / sqrtf(27.0f), wmax = 0.0f;
    for (int64_t i = 0; i < cl->weight->numel; i++) {
        wmax = fmaxf(wmax, fabsf(cl->weight->data[i]));
    }
    assert_true(wmax <= bound && wmax > 0.8f * bound);
    tt_params p;
    tt_params_init(&p);
    tt_layer *seq = tt_sequential_new(4, (tt_layer *[]){conv, tt_maxpool2d_new(2, 0, 0),
                                                        tt_avgpool2d_new(2, 2, 0), tt_flatten_new()});
    tt_layer_params(seq, &p);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.names[0], "0.weight");
    assert_string_equal(p.names[1], "0.bias");
    tt_tensor *y = tt_layer_forward(seq, tt_zeros(TT_SHAPE(2, 3, 8, 8)));
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[1], 8 * 2 * 2);
    tt_params_free(&p);
    tt_layer_free(seq);
    EXPECT_FATAL(tt_conv2d_new(3, 8, 3, 1, 1, 1, 2, true, NULL), "divisible by groups");
}

/* tt_lenet5_new is LeNet-5 written out layer by layer: the same twelve children, tensor names and
 * shapes, and the same weights from the same seed (its layers draw from the rng in order). */
static void test_lenet5_new(void **state)
{
    (void)state;
    tt_rng r1, r2;
    tt_rng_seed(&r1, 3);
    tt_rng_seed(&r2, 3);
    tt_layer *want = tt_sequential_new(0, NULL);
    tt_layer *parts[12] = {NULL};
    parts[0] = tt_conv2d_new(1, 6, 5, 1, 2, 1, 1, true, &r1);
    parts[1] = tt_relu_new();
    parts[2] = tt_maxpool2d_new(2, 0, 0);
    parts[3] = tt_conv2d_new(6, 16, 5, 1, 0, 1, 1, true, &r1);
    parts[4] = tt_relu_new();
    parts[5] = tt_maxpool2d_new(2, 0, 0);
    parts[6] = tt_flatten_new();
    parts[7] = tt_linear_new(400, 120, true, TT_INIT_PYTORCH, &r1);
    parts[8] = tt_relu_new();
    parts[9] = tt_linear_new(120, 84, true, TT_INIT_PYTORCH, &r1);
    parts[10] = tt_relu_new();
    parts[11] = tt_linear_new(84, 10, true, TT_INIT_PYTORCH, &r1);
    for (int i = 0; i < 12; i++) {
        tt_sequential_append(want, parts[i]);
    }
    tt_layer *got = tt_lenet5_new(&r2);
    assert_int_equal(tt_sequential_len(got), 12);
    for (int i = 0; i < 12; i++) {
        assert_string_equal(tt_sequential_at(got, i)->ops->kind, tt_sequential_at(want, i)->ops->kind);
    }
    tt_params pw, pg;
    tt_params_init(&pw);
    tt_params_init(&pg);
    tt_layer_params(want, &pw);
    tt_layer_params(got, &pg);
    assert_int_equal(pg.n, 10);
    assert_int_equal(pg.n, pw.n);
    assert_int_equal(tt_params_numel(&pg), 61706);
    for (int i = 0; i < pg.n; i++) {
        assert_string_equal(pg.names[i], pw.names[i]);
        assert_int_equal(pg.t[i]->numel, pw.t[i]->numel);
        assert_memory_equal(pg.t[i]->data, pw.t[i]->data, (size_t)pg.t[i]->numel * sizeof(float));
    }
    tt_params_free(&pw);
    tt_params_free(&pg);
    tt_layer_free(want);
    tt_layer_free(got);
}

/* A LeNet-5 training step, repeated: after the first step no arena chunk is added. */
static void test_lenet_steady_state(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 3);
    tt_layer *net = tt_lenet5_new(&r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(net, &p);
    assert_int_equal(tt_params_numel(&p), 61706); /* LeNet-5 with padding 2: 61,706 parameters */
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 2e-3f});
    tt_arena_reset();
    tt_tensor *xp = tt_tensor_new_persistent(TT_SHAPE(16, 1, 28, 28));
    /* image i: faint noise plus a bright 6x6 square whose place encodes its label i % 10 */
    int32_t labels[16];
    for (int i = 0; i < 16; i++) {
        labels[i] = i % 10;
        float *img = xp->data + i * 784;
        for (int p2 = 0; p2 < 784; p2++) {
            img[p2] = 0.1f * tt_rng_uniform(&r);
        }
        int r0 = 2 + (labels[i] / 5) * 12, c0 = 2 + (labels[i] % 5) * 5;
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 4; b++) {
                img[(r0 + a) * 28 + c0 + b] = 1.0f;
            }
        }
    }
    uint64_t allocs = 0;
    float first = 0, last = 0;
    for (int step = 0; step < 30; step++) {
        tt_optim_zero_grad(opt);
        tt_tensor *loss = tt_cross_entropy(tt_layer_forward(net, xp), labels);
        if (step == 0) first = tt_item(loss);
        last = tt_item(loss);
        tt_backward(loss);
        tt_optim_step(opt);
        tt_arena_reset();
        if (step == 1) allocs = tt_arena_heap_allocs();
    }
    assert_int_equal(tt_arena_heap_allocs(), allocs);
    print_message("lenet steady state: loss %.4f -> %.4f\n", (double)first, (double)last);
    assert_true(last < 0.5f * first); /* it learns the 16 fixed examples */
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(net);
    tt_tensor_free(xp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_hand_worked, teardown),
        cmocka_unit_test_teardown(test_output_size, teardown),
        cmocka_unit_test_teardown(test_im2col_matches_direct, teardown),
        cmocka_unit_test_teardown(test_col2im_adjoint, teardown),
        cmocka_unit_test_teardown(test_conv_gradcheck, teardown),
        cmocka_unit_test_teardown(test_conv_input_without_grad, teardown),
        cmocka_unit_test_teardown(test_pool_gradcheck, teardown),
        cmocka_unit_test_teardown(test_bn_gradcheck, teardown),
        cmocka_unit_test_teardown(test_bn_stats, teardown),
        cmocka_unit_test_teardown(test_shape_errors, teardown),
        cmocka_unit_test_teardown(test_layers, teardown),
        cmocka_unit_test_teardown(test_lenet5_new, teardown),
        cmocka_unit_test_teardown(test_lenet_steady_state, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
