/* test_conv_simd.c - module 09's SIMD path (implicit im2col, conv2d_avx512.c; 2x2 max pool,
 * pool_avx512.c) against the im2col + SGEMM path and the direct definition: outputs and the input,
 * weight and bias gradients on stride-1 geometries chosen to hit every tile edge (several row vectors,
 * partial vectors, channel counts that are not multiples of the tile, kernels wider than the tap
 * block, 1x1, kernel = image), for each variant (pixels or output channels in the lanes), gradients
 * added to an existing buffer, the fused conv + ReLU + pool, the 2x2 pool on odd sizes and ties. On a CPU without AVX-512 both paths are the same code and the tests still pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test.h"
#include "tinytorch/conv.h"

static int teardown(void **state)
{
    (void)state;
    tt_conv2d_set_impl("auto");
    tt_arena_reset();
    return 0;
}

typedef struct s1_case {
    int N, C, H, W, Cout, kh, kw, ph, pw, bias;
} s1_case;

static const s1_case cases[] = {
    {5, 1, 28, 28, 6, 5, 5, 2, 2, 1},   /* LeNet conv1: two vectors per row, 28 = 16 + 12 */
    {4, 1, 28, 28, 3, 5, 5, 2, 2, 1},   /* conv1 pruned to 3 channels: tiles of 3 x 8 row vectors */
    {3, 3, 14, 14, 8, 5, 5, 0, 0, 1},   /* conv2 pruned to 8: rows (8 of 16 channel lanes would be
                                         * fewer than 10 of 16 pixel lanes), 6 + 2 channels */
    {2, 2, 11, 30, 2, 3, 3, 1, 1, 0},   /* 2 channels, 22 row vectors: tiles of 8, 8, 6 */
    {3, 6, 14, 14, 16, 5, 5, 0, 0, 1},  /* LeNet conv2: one partial vector per row */
    {2, 3, 9, 40, 7, 3, 3, 1, 1, 1},    /* three vectors per row; 7 channels = 6 + 1 */
    {3, 2, 7, 5, 5, 3, 2, 1, 0, 0},     /* odd sizes, no bias */
    {2, 2, 12, 19, 9, 7, 7, 3, 3, 1},   /* kernel 7: taps in blocks of 5 + 2 */
    {2, 5, 4, 4, 3, 1, 1, 0, 0, 0},     /* 1x1 */
    {1, 2, 5, 5, 2, 5, 5, 0, 0, 1},     /* kernel = image: 1x1 output */
    {2, 1, 18, 18, 4, 3, 3, 0, 0, 1},   /* exactly 16 outputs per row */
    {2, 3, 6, 17, 5, 4, 1, 2, 0, 1},    /* tall kernel, asymmetric padding */
    {9, 4, 32, 32, 8, 3, 3, 1, 1, 1},   /* backward in several chunks of images (LeNet conv1: 2 + 2 + 1) */
    {2, 3, 10, 10, 20, 3, 3, 1, 1, 1},  /* 20 channels: blocks of 16 + 4 (the second's lanes past Cout
                                           still hold the first block's dy) */
    /* 16 images or more: with output channels in the lanes, AVX-512 takes dx with images in the lanes */
    {20, 6, 14, 14, 16, 5, 5, 0, 0, 1}, /* LeNet conv2: a group of 16 images + 4 */
    {70, 3, 9, 11, 12, 3, 4, 1, 2, 1},  /* 64 images (4 groups) + 6; 3 channels; taps cut at every edge */
    {17, 7, 8, 9, 10, 3, 3, 1, 1, 0},   /* 7 channels = 6 + 1; 16 + 1 images; no bias */
};
enum { N_CASES = sizeof cases / sizeof cases[0], N_MANY_IMAGES = 3 }; /* the last 3: 16 images or more */

typedef struct run_out { float *y, *gx, *gw, *gb; } run_out;

static float *keep(const float *src, int64_t n)
{
    float *p = tt_arena_alloc((size_t)n * sizeof(float));
    memcpy(p, src, (size_t)n * sizeof(float));
    return p;
}

/* y = conv (+ReLU) with the named implementation, then backward with fixed output weights. x is a
 * step tensor (its gradient buffer is created by the convolution's backward) unless twice != 0:
 * then x feeds two convolutions and the second adds to the first's gradient. */
static run_out run(const s1_case *c, int relu, const char *impl, int twice, uint64_t seed)
{
    assert_int_equal(tt_conv2d_set_impl(impl), 0);
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
    g.pad_h = c->ph;
    g.pad_w = c->pw;
    tt_tensor *x = tt_test_input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, seed);
    tt_tensor *w = tt_test_input(TT_SHAPE(c->Cout, c->C, c->kh, c->kw), -0.5f, 0.5f, seed + 1);
    tt_tensor *b = c->bias ? tt_test_input(TT_SHAPE(c->Cout), -0.5f, 0.5f, seed + 2) : NULL;
    tt_tensor *y = relu ? tt_conv2d_relu_ex(x, w, b, &g) : tt_conv2d_ex(x, w, b, &g);
    tt_tensor *top = y;
    if (twice) {
        tt_tensor *w2 = tt_test_input(TT_SHAPE(c->Cout, c->C, c->kh, c->kw), -0.5f, 0.5f, seed + 3);
        top = tt_add(y, tt_conv2d_ex(x, w2, NULL, &g));
    }
    tt_tensor *wts = tt_empty(top->ndim, top->shape);
    for (int64_t i = 0; i < top->numel; i++) {
        wts->data[i] = (float)(0.5 + 0.7 * sin(0.37 * (double)i));
    }
    tt_backward_with(top, wts);
    run_out o = {keep(top->data, top->numel), keep(x->grad, x->numel), keep(w->grad, w->numel),
                 b ? keep(b->grad, b->numel) : NULL};
    return o;
}

static void compare_impl(const s1_case *c, int relu, int twice, uint64_t seed, const char *impl)
{
    run_out a = run(c, relu, impl, twice, seed);
    run_out r = run(c, relu, "im2col", twice, seed);
    const int64_t Ho = c->H + 2 * c->ph - c->kh + 1, Wo = c->W + 2 * c->pw - c->kw + 1;
    tt_assert_close(a.y, r.y, (int64_t)c->N * c->Cout * Ho * Wo, 1e-5, 1e-5);
    tt_assert_close(a.gx, r.gx, (int64_t)c->N * c->C * c->H * c->W, 1e-4, 1e-5);
    tt_assert_close(a.gw, r.gw, (int64_t)c->Cout * c->C * c->kh * c->kw, 1e-4, 1e-4);
    if (c->bias) {
        tt_assert_close(a.gb, r.gb, c->Cout, 1e-4, 1e-4);
    }
}

/* every SIMD variant: the automatic choice, pixels of a row in the lanes, output channels in the
 * lanes (forward and weight gradient; partial blocks of 16 channels when Cout is not a multiple) */
static void compare(const s1_case *c, int relu, int twice, uint64_t seed)
{
    static const char *impls[] = {"auto", "rows", "channels"};
    for (int k = 0; k < 3; k++) {
        compare_impl(c, relu, twice, seed, impls[k]);
    }
}

static void test_simd_matches_im2col(void **state)
{
    (void)state;
    if (strcmp(tt_conv2d_impl(), "auto") != 0) {
        print_message("no SIMD convolution on this CPU/build: both paths are im2col\n");
    }
    for (size_t k = 0; k < N_CASES; k++) {
        for (int relu = 0; relu < 2; relu++) {
            compare(&cases[k], relu, 0, 1000 + 10 * k);
            tt_arena_reset();
        }
    }
}

/* x feeds two convolutions: the second backward must add to the gradient the first wrote. */
static void test_simd_gradient_accumulates(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CASES; k++) {
        if (k >= 4 && k < N_CASES - N_MANY_IMAGES) {
            continue; /* the first four, and the cases with images in the lanes */
        }
        compare(&cases[k], (int)(k & 1), 1, 2000 + 10 * k);
        tt_arena_reset();
    }
}

/* Forward equals the definition (conv_direct.c) directly, not only via the im2col path. */
static void test_simd_matches_direct(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CASES; k++) {
        const s1_case *c = &cases[k];
        tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
        g.pad_h = c->ph;
        g.pad_w = c->pw;
        tt_tensor *x = tt_test_input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, 3000 + k);
        tt_tensor *w = tt_test_input(TT_SHAPE(c->Cout, c->C, c->kh, c->kw), -0.5f, 0.5f, 3100 + k);
        tt_tensor *b = c->bias ? tt_test_input(TT_SHAPE(c->Cout), -0.5f, 0.5f, 3200 + k) : NULL;
        tt_tensor *ref = tt_conv2d_direct(x, w, b, &g);
        tt_tensor *got = tt_conv2d_ex(x, w, b, &g);
        assert_true(tt_same_shape(got, ref));
        tt_assert_close(got->data, ref->data, ref->numel, 1e-5, 1e-5);
        tt_arena_reset();
    }
}

/* Weight gradient by finite differences on a geometry only the SIMD path takes in this file's grid
 * (wide rows, kernel wider than the tap block). */
typedef struct gc_ctx { tt_conv2d_geom g; } gc_ctx;

static tt_tensor *f_conv(tt_tensor **in, void *ctx)
{
    return tt_conv2d_ex(in[0], in[1], in[2], &((gc_ctx *)ctx)->g);
}

static void test_simd_gradcheck(void **state)
{
    (void)state;
    gc_ctx ctx = {tt_conv2d_geom_make(1, 3, 1, 1)};
    tt_tensor *in[3] = {tt_test_input(TT_SHAPE(1, 2, 4, 19), -1, 1, 41),
                        tt_test_input(TT_SHAPE(3, 2, 7, 7), -0.5f, 0.5f, 42),
                        tt_test_input(TT_SHAPE(3), -0.5f, 0.5f, 43)};
    tt_gradcheck(f_conv, in, 3, &ctx, 1e-2f, 2e-2);
}

/* ---- 2x2 max pool -------------------------------------------------------------------------------- */

static void pool_run(const char *impl, int64_t N, int64_t C, int64_t H, int64_t W, int twice, int ties,
                     float **y, float **gx)
{
    assert_int_equal(tt_conv2d_set_impl(impl), 0);
    tt_tensor *x = tt_test_input(TT_SHAPE(N, C, H, W), -1, 1, 77);
    if (ties) { /* few distinct values: many windows with equal cells */
        for (int64_t i = 0; i < x->numel; i++) {
            x->data[i] = (float)((int)((x->data[i] + 1.0f) * 2.0f));
        }
    }
    tt_tensor *p = tt_max_pool2d(x, 2, 0, 0);
    tt_tensor *top = twice ? tt_add(p, tt_max_pool2d(x, 2, 0, 0)) : p;
    tt_tensor *wts = tt_empty(top->ndim, top->shape);
    for (int64_t i = 0; i < top->numel; i++) {
        wts->data[i] = (float)(1.0 + 0.5 * cos(0.91 * (double)i));
    }
    tt_backward_with(top, wts);
    *y = keep(top->data, top->numel);
    *gx = keep(x->grad, x->numel);
}

static void test_pool_simd_matches_plain(void **state)
{
    (void)state;
    static const int64_t shapes[][4] = {{3, 6, 28, 28}, {2, 16, 10, 10}, {2, 3, 7, 9}, {1, 2, 5, 40},
                                        {2, 1, 3, 70}, {1, 1, 2, 2}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int64_t *s = shapes[k];
        for (int mode = 0; mode < 4; mode++) {
            int twice = mode & 1, ties = mode >> 1;
            float *ya, *ga, *yr, *gr;
            pool_run("auto", s[0], s[1], s[2], s[3], twice, ties, &ya, &ga);
            pool_run("im2col", s[0], s[1], s[2], s[3], twice, ties, &yr, &gr);
            const int64_t out = s[0] * s[1] * (s[2] / 2) * (s[3] / 2), in = s[0] * s[1] * s[2] * s[3];
            for (int64_t i = 0; i < out; i++) {
                assert_true(ya[i] == yr[i]);
            }
            for (int64_t i = 0; i < in; i++) {
                assert_true(ga[i] == gr[i]); /* same winners, same sums */
            }
            tt_arena_reset();
        }
    }
}

/* ---- conv + ReLU + 2x2 max pool fused ------------------------------------------------------------ */

/* conv + ReLU + 2x2 pool, fused or as three ops, then backward with fixed output weights */
static tt_tensor *pool_step(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g, int fused)
{
    tt_tensor *y = fused ? tt_conv2d_relu_maxpool2_ex(x, w, b, g)
                         : tt_max_pool2d(tt_conv2d_relu_ex(x, w, b, g), 2, 2, 0);
    tt_tensor *wts = tt_empty(y->ndim, y->shape);
    for (int64_t i = 0; i < y->numel; i++) {
        wts->data[i] = (float)(0.5 + 0.7 * sin(0.53 * (double)i));
    }
    tt_backward_with(y, wts);
    return y;
}

static run_out run_pool(const s1_case *c, int fused, const char *impl, uint64_t seed, int64_t *n_out)
{
    assert_int_equal(tt_conv2d_set_impl(impl), 0);
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
    g.pad_h = c->ph;
    g.pad_w = c->pw;
    tt_tensor *x = tt_test_input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, seed);
    tt_tensor *w = tt_test_input(TT_SHAPE(c->Cout, c->C, c->kh, c->kw), -0.5f, 0.5f, seed + 1);
    tt_tensor *b = c->bias ? tt_test_input(TT_SHAPE(c->Cout), -0.5f, 0.5f, seed + 2) : NULL;
    tt_tensor *y = pool_step(x, w, b, &g, fused);
    *n_out = y->numel;
    run_out o = {keep(y->data, y->numel), keep(x->grad, x->numel), keep(w->grad, w->numel),
                 b ? keep(b->grad, b->numel) : NULL};
    return o;
}

/* The fused op equals max_pool2d(conv2d_relu(...)) exactly: values, winners (ties included: all four
 * cells of a window are 0 after the ReLU), and so every gradient. */
static void test_conv_relu_pool_fused(void **state)
{
    (void)state;
    static const char *impls[] = {"auto", "im2col", "rows", "channels"};
    for (size_t k = 0; k < N_CASES; k++) {
        const s1_case *c = &cases[k];
        if (c->H + 2 * c->ph - c->kh + 1 < 2 || c->W + 2 * c->pw - c->kw + 1 < 2) {
            continue;
        }
        for (int m = 0; m < 4; m++) {
            int64_t n1, n2;
            run_out f = run_pool(c, 1, impls[m], 4000 + 10 * k, &n1);
            run_out u = run_pool(c, 0, impls[m], 4000 + 10 * k, &n2);
            assert_int_equal(n1, n2);
            tt_assert_close(f.y, u.y, n1, 0, 0);
            tt_assert_close(f.gx, u.gx, (int64_t)c->N * c->C * c->H * c->W, 1e-6, 1e-7);
            tt_assert_close(f.gw, u.gw, (int64_t)c->Cout * c->C * c->kh * c->kw, 1e-6, 1e-6);
            if (c->bias) {
                tt_assert_close(f.gb, u.gb, c->Cout, 1e-6, 1e-6);
            }
            tt_arena_reset();
        }
    }
    /* without a gradient: same output, nothing recorded */
    tt_tensor *x = tt_rand_uniform(TT_SHAPE(2, 1, 28, 28), -1, 1, NULL);
    tt_tensor *w = tt_rand_uniform(TT_SHAPE(6, 1, 5, 5), -0.5f, 0.5f, NULL);
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 2, 1, 1);
    tt_tensor *a = tt_conv2d_relu_maxpool2_ex(x, w, NULL, &g);
    tt_tensor *r = tt_max_pool2d(tt_conv2d_relu_ex(x, w, NULL, &g), 2, 2, 0);
    assert_null(a->node);
    tt_assert_close(a->data, r->data, r->numel, 0, 0);
}

/* Ties between positive values: a constant input makes every output of a channel the same, so each
 * window's four cells tie and the gradient must go to its top-left cell, as the separate pool sends
 * it; the input gradient shows where it went (cells near the border reach fewer inputs). 16 output
 * channels on short rows take the channels-in-lanes kernels. */
static void test_conv_relu_pool_ties(void **state)
{
    (void)state;
    static const char *impls[] = {"auto", "im2col", "rows", "channels"};
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
    for (int m = 0; m < 4; m++) {
        float *out[2][2];
        for (int fused = 0; fused < 2; fused++) {
            assert_int_equal(tt_conv2d_set_impl(impls[m]), 0);
            tt_tensor *x = tt_full(TT_SHAPE(2, 2, 12, 12), 1.0f);
            tt_set_requires_grad(x, true);
            tt_tensor *w = tt_test_input(TT_SHAPE(16, 2, 3, 3), -0.5f, 0.5f, 77);
            pool_step(x, w, NULL, &g, fused);
            out[fused][0] = keep(x->grad, x->numel);
            out[fused][1] = keep(w->grad, w->numel);
        }
        tt_assert_close(out[1][0], out[0][0], 2 * 2 * 12 * 12, 1e-6, 1e-7);
        tt_assert_close(out[1][1], out[0][1], 16 * 2 * 3 * 3, 1e-6, 1e-6);
        tt_arena_reset();
    }
}

static void test_impl_names(void **state)
{
    (void)state;
    assert_int_equal(tt_conv2d_set_impl("im2col"), 0);
    assert_string_equal(tt_conv2d_impl(), "im2col");
    assert_int_equal(tt_conv2d_set_impl("no-such-path"), -1);
    assert_string_equal(tt_conv2d_impl(), "im2col");
    assert_int_equal(tt_conv2d_set_impl("rows"), 0);
    assert_true(strcmp(tt_conv2d_impl(), "rows") == 0 || strcmp(tt_conv2d_impl(), "im2col") == 0);
    assert_int_equal(tt_conv2d_set_impl("channels"), 0);
    assert_true(strcmp(tt_conv2d_impl(), "channels") == 0 || strcmp(tt_conv2d_impl(), "im2col") == 0);
    assert_int_equal(tt_conv2d_set_impl("auto"), 0);
    const char *now = tt_conv2d_impl();
    assert_true(strcmp(now, "auto") == 0 || strcmp(now, "im2col") == 0);
    /* shape errors are found before a path is chosen: same message on every path */
    EXPECT_FATAL(tt_conv2d(tt_zeros(TT_SHAPE(2, 3, 8, 8)), tt_zeros(TT_SHAPE(4, 2, 3, 3)), NULL, 1, 1, 1, 1),
                 "tt_conv2d: input [2, 3, 8, 8], weight [4, 2, 3, 3]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_simd_matches_im2col, teardown),
        cmocka_unit_test_teardown(test_simd_gradient_accumulates, teardown),
        cmocka_unit_test_teardown(test_simd_matches_direct, teardown),
        cmocka_unit_test_teardown(test_simd_gradcheck, teardown),
        cmocka_unit_test_teardown(test_pool_simd_matches_plain, teardown),
        cmocka_unit_test_teardown(test_conv_relu_pool_fused, teardown),
        cmocka_unit_test_teardown(test_conv_relu_pool_ties, teardown),
        cmocka_unit_test_teardown(test_impl_names, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
