/* test_conv_threads.c - module 09's SIMD convolution split across threads (batch-parallel). Each image
 * is computed by one thread, so the output and the input gradient are bit-identical for any thread
 * count; the weight and bias gradients are summed per thread and then in thread order, so they agree
 * with the one-thread result to float rounding and are bit-identical between two runs with the same
 * count. Plain convolution, conv + ReLU, conv + ReLU + 2x2 max pool (fused), both lane layouts, an
 * uneven split (37 images on 3 threads), and a gradient added to an existing one. On a build without
 * OpenMP every count runs on one thread and the comparisons hold trivially (said in the output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test.h"
#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"

static int teardown(void **state)
{
    (void)state;
    tt_conv2d_set_impl("auto");
    tt_set_num_threads(1);
    tt_arena_reset();
    return 0;
}

typedef struct th_case {
    int N, C, H, W, Cout, k, pad;
    int kind; /* 0 conv, 1 conv + ReLU, 2 conv + ReLU + 2x2 max pool */
    const char *impl;
} th_case;

/* N is large enough that the work passes the per-thread threshold (2 MFLOP) for 2 and 3 threads. */
static const th_case cases[] = {
    {37, 1, 28, 28, 6, 5, 2, 2, "auto"},   /* LeNet conv1, fused with pool, uneven split */
    {40, 6, 14, 14, 16, 5, 0, 2, "auto"},  /* LeNet conv2 (channels in the lanes), fused */
    {40, 6, 14, 14, 16, 5, 0, 1, "rows"},  /* pixels in the lanes, conv + ReLU */
    {33, 3, 20, 20, 8, 3, 1, 0, "auto"},   /* plain convolution */
};

typedef struct th_out { float *y, *gx, *gw, *gb; int64_t ny, nx, nw, nb; } th_out;

static float *keep(const float *src, int64_t n)
{
    float *p = malloc((size_t)n * sizeof(float));
    assert_non_null(p);
    memcpy(p, src, (size_t)n * sizeof(float));
    return p;
}

/* forward, then backward with fixed output weights; x needs a gradient. twice: x feeds the same
 * convolution twice, so the second backward adds to the gradient the first wrote. */
static th_out run(const th_case *c, int threads, int twice)
{
    tt_set_num_threads(threads);
    assert_int_equal(tt_conv2d_set_impl(c->impl), 0);
    tt_conv2d_geom g = tt_conv2d_geom_make(1, c->pad, 1, 1);
    tt_tensor *x = tt_test_input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, 500 + (uint64_t)c->N);
    tt_tensor *w = tt_test_input(TT_SHAPE(c->Cout, c->C, c->k, c->k), -0.5f, 0.5f, 600 + (uint64_t)c->C);
    tt_tensor *b = tt_test_input(TT_SHAPE(c->Cout), -0.5f, 0.5f, 700);
    tt_tensor *top = NULL;
    for (int rep = 0; rep <= twice; rep++) {
        tt_tensor *y = c->kind == 0   ? tt_conv2d_ex(x, w, b, &g)
                       : c->kind == 1 ? tt_conv2d_relu_ex(x, w, b, &g)
                                      : tt_conv2d_relu_maxpool2_ex(x, w, b, &g);
        top = top ? tt_add(top, y) : y;
    }
    tt_tensor *wts = tt_empty(top->ndim, top->shape);
    for (int64_t i = 0; i < top->numel; i++) {
        wts->data[i] = (float)(0.5 + 0.7 * sin(0.37 * (double)i));
    }
    tt_backward_with(top, wts);
    th_out o = {keep(top->data, top->numel), keep(x->grad, x->numel), keep(w->grad, w->numel),
                keep(b->grad, b->numel), top->numel, x->numel, w->numel, b->numel};
    tt_arena_reset();
    return o;
}

static void free_out(th_out *o)
{
    free(o->y), free(o->gx), free(o->gw), free(o->gb);
}

static void assert_same_bits(const float *a, const float *b, int64_t n)
{
    assert_memory_equal(a, b, (size_t)n * sizeof(float));
}

static void check(const th_case *c, int twice)
{
    th_out one = run(c, 1, twice);
    for (int nt = 2; nt <= 3; nt++) {
        th_out many = run(c, nt, twice);
        assert_int_equal(many.ny, one.ny);
        /* every image on one thread: forward and dx are the same computation */
        assert_same_bits(many.y, one.y, one.ny);
        assert_same_bits(many.gx, one.gx, one.nx);
        /* dW, db: per-thread sums added in thread order - the same up to float rounding */
        tt_assert_close(many.gw, one.gw, one.nw, 1e-5, 1e-4);
        tt_assert_close(many.gb, one.gb, one.nb, 1e-5, 1e-4);
        /* and the same count twice gives the same bits */
        th_out again = run(c, nt, twice);
        assert_same_bits(again.gw, many.gw, one.nw);
        assert_same_bits(again.gb, many.gb, one.nb);
        free_out(&again);
        free_out(&many);
    }
    free_out(&one);
}

static void test_threads_match_one_thread(void **state)
{
    (void)state;
#ifndef TT_HAVE_OPENMP
    print_message("built without OpenMP: every thread count runs on one thread\n");
#endif
    if (strcmp(tt_conv2d_isa(), "portable") == 0) {
        print_message("no SIMD convolution on this CPU/build: the im2col path is threaded by its SGEMM\n");
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        check(&cases[k], 0);
    }
}

static void test_threads_gradient_accumulates(void **state)
{
    (void)state;
    check(&cases[0], 1);
    check(&cases[3], 1);
}

int main(void)
{
    (void)tt_gradcheck, (void)tt_test_on_error; /* tt_test.h helpers this file does not need */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_threads_match_one_thread, teardown),
        cmocka_unit_test_teardown(test_threads_gradient_accumulates, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
