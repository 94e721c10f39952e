/* test_conv_isa.c - module 09's convolution and 2x2 max pool under each TT_ISA cap (portable, avx2,
 * avx512): the cap picks the kernels (tt_conv2d_isa), and every cap gives the portable results.
 *
 * The CPU probe runs once per process, so each cap runs in a forked child that sets TT_ISA before its
 * first kernel call and writes its outputs to a shared mapping. Per case the child runs forward and
 * backward (outputs, input / weight / bias gradients) with each lane layout ("rows", "channels"),
 * the fused conv + ReLU + pool, and the plain 2x2 pool.
 * Checks: the AVX2 kernels sum every output and weight-gradient lane over the same terms in the same
 * order as the AVX-512 ones, so y, dx and dW are bit-identical between the two caps (the bias
 * gradient adds lanes in another order, and so does dx in the "channels" layout, where AVX-512 sums
 * it over output-channel lanes: relative 1e-5); against the portable path (im2col + SGEMM,
 * another summation order) outputs and input gradients agree to relative 1e-5 (plus an absolute 1e-5
 * for values near zero), weight and bias gradients (float sums over up to 3,136 pixels) to 1e-4; the
 * pool is bit-identical under every cap. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/tensor.h"
#include "../src/common/cpu.h"

enum { CAP_FLOATS = 1 << 20, MAX_SEGS = 512 };

/* what one child sends back: its kernel choice and the outputs, in segments */
typedef struct {
    char isa[16];
    int nseg;
    int64_t seg_len[MAX_SEGS];
    int seg_exact[MAX_SEGS]; /* 1: bit-identical between the SIMD caps; 2: also under portable */
    int seg_sum[MAX_SEGS];   /* a sum over the batch's pixels (dW, db): 10x the tolerance */
    int64_t used;
    float data[CAP_FLOATS];
} cap_out;

typedef struct {
    int N, C, H, W, Cout, kh, kw, ph, pw;
} conv_case;

static const conv_case cases[] = {
    {4, 1, 28, 28, 6, 5, 5, 2, 2},  /* LeNet conv1: rows of 28 = 16 + 12 */
    {3, 6, 14, 14, 16, 5, 5, 0, 0}, /* LeNet conv2: rows of 10 (channels in the lanes) */
    {2, 3, 9, 40, 7, 3, 3, 1, 1},   /* three vectors per row; 7 channels = 6 + 1 */
    {3, 2, 7, 5, 5, 3, 2, 1, 0},    /* odd sizes; rows of 5 (one 8-lane half) */
    {2, 2, 12, 19, 9, 7, 7, 3, 3},  /* kernel 7: taps in blocks of 5 + 2 */
    {2, 5, 4, 4, 3, 1, 1, 0, 0},    /* 1x1 */
    {2, 3, 6, 17, 20, 4, 1, 2, 0},  /* tall kernel, 20 channels: a partial block of 16 */
};

/* A step tensor with values in [lo, hi) that requires a gradient. */
static tt_tensor *input(int ndim, const int64_t *shape, float lo, float hi, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_tensor *t = tt_rand_uniform(ndim, shape, lo, hi, &r);
    tt_set_requires_grad(t, true);
    return t;
}

static void assert_close(const float *got, const float *want, int64_t n, double rtol, double atol)
{
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (d > atol + rtol * fabs((double)want[i]) || got[i] != got[i]) {
            fail_msg("element %lld: got %.9g want %.9g", (long long)i, (double)got[i], (double)want[i]);
        }
    }
}

static void put(cap_out *o, const float *p, int64_t n, int exact, int sum)
{
    if (o->nseg >= MAX_SEGS || o->used + n > CAP_FLOATS) {
        _exit(3);
    }
    memcpy(o->data + o->used, p, (size_t)n * sizeof(float));
    o->seg_len[o->nseg] = n;
    o->seg_exact[o->nseg] = exact;
    o->seg_sum[o->nseg] = sum;
    o->nseg++;
    o->used += n;
}

static void weights_like(tt_tensor *t, double f)
{
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = (float)(0.5 + 0.7 * sin(f * (double)i));
    }
}

/* mode 0: conv, 1: conv + ReLU, 2: fused conv + ReLU + 2x2 max pool; channels: the "channels"
 * layout, where AVX-512 also takes the input gradient with the output channels in the lanes (each dx
 * one 16-lane sum at the end) and AVX2 the full convolution: not bit-identical between the caps */
static void run_case(cap_out *o, const conv_case *c, int mode, int channels, uint64_t seed)
{
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
    g.pad_h = c->ph;
    g.pad_w = c->pw;
    tt_tensor *x = input(TT_SHAPE(c->N, c->C, c->H, c->W), -1, 1, seed);
    tt_tensor *w = input(TT_SHAPE(c->Cout, c->C, c->kh, c->kw), -0.5f, 0.5f, seed + 1);
    tt_tensor *b = input(TT_SHAPE(c->Cout), -0.5f, 0.5f, seed + 2);
    tt_tensor *y = mode == 0   ? tt_conv2d_ex(x, w, b, &g)
                   : mode == 1 ? tt_conv2d_relu_ex(x, w, b, &g)
                               : tt_conv2d_relu_maxpool2_ex(x, w, b, &g);
    tt_tensor *wts = tt_empty(y->ndim, y->shape);
    weights_like(wts, 0.37);
    tt_backward_with(y, wts);
    put(o, y->data, y->numel, 1, 0);
    put(o, x->grad, x->numel, channels ? 0 : 1, 0);
    put(o, w->grad, w->numel, 1, 1);
    put(o, b->grad, b->numel, 0, 1);
    tt_arena_reset();
}

static void run_pool(cap_out *o, int64_t N, int64_t C, int64_t H, int64_t W, uint64_t seed)
{
    tt_tensor *x = input(TT_SHAPE(N, C, H, W), -1, 1, seed);
    for (int64_t i = 0; i < x->numel; i += 7) {
        x->data[i] = 0.25f; /* ties inside windows */
    }
    tt_tensor *y = tt_max_pool2d(x, 2, 2, 0);
    tt_tensor *wts = tt_empty(y->ndim, y->shape);
    weights_like(wts, 0.53);
    tt_backward_with(y, wts);
    put(o, y->data, y->numel, 2, 0);
    put(o, x->grad, x->numel, 2, 0);
    tt_arena_reset();
}

static void child(const char *isa, cap_out *o)
{
    setenv("TT_ISA", isa, 1);
    snprintf(o->isa, sizeof o->isa, "%s", tt_conv2d_isa());
    static const char *layouts[] = {"rows", "channels"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int l = 0; l < 2; l++) {
            if (tt_conv2d_set_impl(layouts[l]) != 0) {
                _exit(4);
            }
            for (int mode = 0; mode < 3; mode++) {
                const conv_case *c = &cases[k];
                if (mode == 2 && (c->H + 2 * c->ph - c->kh + 1 < 2 || c->W + 2 * c->pw - c->kw + 1 < 2)) {
                    continue;
                }
                run_case(o, c, mode, l == 1, 1000 + 10 * k);
            }
        }
    }
    tt_conv2d_set_impl("auto");
    run_pool(o, 2, 3, 28, 28, 77);
    run_pool(o, 1, 2, 9, 37, 78); /* odd sizes: the last row and column are in no window */
    run_pool(o, 3, 1, 4, 2, 79);
}

static cap_out *run_under(const char *isa)
{
    cap_out *o = mmap(NULL, sizeof(cap_out), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(o != MAP_FAILED);
    memset(o, 0, sizeof *o);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child(isa, o);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return o;
}

static void compare(const cap_out *a, const cap_out *ref, int bitwise_level, double rtol, double atol)
{
    assert_int_equal(a->nseg, ref->nseg);
    assert_int_equal(a->used, ref->used);
    int64_t off = 0;
    for (int s = 0; s < a->nseg; s++) {
        assert_int_equal(a->seg_len[s], ref->seg_len[s]);
        const float *p = a->data + off, *q = ref->data + off;
        if (a->seg_exact[s] >= bitwise_level) {
            if (memcmp(p, q, (size_t)a->seg_len[s] * sizeof(float)) != 0) {
                fail_msg("segment %d (%lld floats) differs in some bit", s, (long long)a->seg_len[s]);
            }
        } else {
            const double f = a->seg_sum[s] ? 10.0 : 1.0;
            assert_close(p, q, a->seg_len[s], f * rtol, f * atol);
        }
        off += a->seg_len[s];
    }
}

static void test_caps(void **state)
{
    (void)state;
    cap_out *port = run_under("portable");
    cap_out *avx2 = run_under("avx2");
    cap_out *avx512 = run_under("avx512");
    /* the cap picks the kernels: never wider than the cap, the widest the CPU has within it */
#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
    const int has2 = tt__cpu_has(TT_CPU_AVX2 | TT_CPU_FMA), has512 = tt__cpu_has(TT_CPU_AVX512F);
#else
    const int has2 = 0, has512 = 0; /* a build without the x86 kernels: portable under every cap */
#endif
    assert_string_equal(port->isa, "portable");
    assert_string_equal(avx2->isa, has2 ? "avx2" : "portable");
    const char *want512 = has512 ? "avx512" : has2 ? "avx2" : "portable";
    assert_string_equal(avx512->isa, want512);
    /* every cap against portable (im2col + SGEMM): relative 1e-5; the pool exactly */
    compare(avx2, port, 2, 1e-5, 1e-5);
    compare(avx512, port, 2, 1e-5, 1e-5);
    /* AVX2 against AVX-512 kernels: bit-identical but for the bias gradient and the channels
     * layout's input gradient (relative 1e-5, 1e-4 for the bias's sum over the batch) */
    if (strcmp(avx2->isa, "avx2") == 0 && strcmp(avx512->isa, "avx512") == 0) {
        compare(avx2, avx512, 1, 1e-5, 1e-5);
    } else {
        print_message("(this CPU lacks AVX2 or AVX-512: the bit-identity check between them is not run)\n");
    }
    munmap(port, sizeof(cap_out));
    munmap(avx2, sizeof(cap_out));
    munmap(avx512, sizeof(cap_out));
}

int main(void)
{
    unsetenv("TT_ISA"); /* this process probes the CPU uncapped; the children set their own caps */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_caps)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
