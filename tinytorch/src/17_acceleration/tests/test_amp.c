/* test_amp.c - module 17's mixed precision: bf16 / fp16 rounding (nearest even, NaN, infinity,
 * subnormals), the vector conversions against the scalar ones, the half-operand GEMM against a double
 * reference and, bit for bit, under the portable and AVX-512 caps (forked children, as test_isa),
 * tt_sgemm under a matmul precision, and tt_amp_train_step's loss scaling (overflow skips the step
 * and halves the scale, growth doubles it, training in bf16 / fp16 follows fp32). */
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

#include "tinytorch/amp.h"
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"

static float f_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static uint32_t u_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static void test_round_values(void **state)
{
    (void)state;
    /* bf16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1); 1 + 3*2^-8 goes up */
    assert_int_equal(tt_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(tt_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
    assert_int_equal(tt_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);
    assert_int_equal(tt_f32_to_bf16(-2.0f), 0xc000);
    assert_int_equal(tt_f32_to_bf16(INFINITY), 0x7f80);
    assert_int_equal(tt_f32_to_bf16(f_of(0x7f7fffffu)), 0x7f80); /* FLT_MAX rounds to infinity */
    assert_true((tt_f32_to_bf16(NAN) & 0x7fff) > 0x7f80);
    assert_true((tt_f32_to_bf16(f_of(0x7f800001u)) & 0x7fff) > 0x7f80); /* a NaN whose payload is low */
    assert_true(tt_bf16_to_f32(0x3fc0) == 1.5f);
    /* fp16 */
    assert_int_equal(tt_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(tt_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(tt_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(tt_f32_to_f16(65520.0f), 0x7c00); /* halfway to 65536: to even = infinity */
    assert_int_equal(tt_f32_to_f16(-1e6f), 0xfc00);
    assert_int_equal(tt_f32_to_f16(0x1p-24f), 0x0001);        /* smallest subnormal */
    assert_int_equal(tt_f32_to_f16(0x1p-25f), 0x0000);        /* halfway to 0: to even = 0 */
    assert_int_equal(tt_f32_to_f16(3 * 0x1p-26f), 0x0001);    /* 0.75 * 2^-24 */
    assert_int_equal(tt_f32_to_f16(0x1p-14f), 0x0400);        /* smallest normal */
    assert_int_equal(tt_f32_to_f16(0x1p-14f - 0x1p-26f), 0x0400); /* rounds up into the normals */
    assert_int_equal(tt_f32_to_f16(1.0f + 0x1p-11f), 0x3c00); /* tie to even */
    assert_int_equal(tt_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
    assert_true(tt_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(tt_f16_to_f32(0xfbff) == -65504.0f);
    assert_true(isinf(tt_f16_to_f32(0x7c00)));
    assert_true(isnan(tt_f16_to_f32(0x7e00)));
    /* every fp16 value survives the round trip (NaNs stay NaNs) */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        const float f = tt_f16_to_f32((uint16_t)h);
        if (isnan(f)) {
            assert_true(isnan(tt_f16_to_f32(tt_f32_to_f16(f))));
        } else {
            assert_int_equal(tt_f32_to_f16(f), h);
        }
    }
}

/* The vector conversions (AVX-512 where the CPU has it) give the scalar functions' bits. */
static void test_vector_conversions(void **state)
{
    (void)state;
    enum { N = 100003 };
    float *x = malloc(N * sizeof *x);
    uint16_t *h = malloc(N * sizeof *h);
    assert_non_null(x);
    assert_non_null(h);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t u = (uint32_t)(s >> 32);
        if (i % 3 == 1) { /* values around fp16's range and rounding boundaries */
            u = (u & 0x80001fffu) | ((uint32_t)(100 + i % 60) << 23) | 0x1000u;
        }
        x[i] = f_of(u);
    }
    x[0] = NAN;
    x[1] = f_of(0x7f800001u);
    x[2] = f_of(0xff812345u);
    x[3] = 65520.0f;
    x[4] = 0x1p-25f;
    for (int p = TT_BF16; p <= TT_FP16; p++) {
        tt_f32_to_half_n((tt_precision)p, x, h, N);
        for (int i = 0; i < N; i++) {
            const uint16_t want = p == TT_FP16 ? tt_f32_to_f16(x[i]) : tt_f32_to_bf16(x[i]);
            if (h[i] != want) {
                fail_msg("%s of 0x%08x: vector 0x%04x, scalar 0x%04x", tt_precision_name((tt_precision)p),
                         u_of(x[i]), h[i], want);
            }
        }
    }
    free(x);
    free(h);
}

/* ---- the GEMM -------------------------------------------------------------------------------------- */

enum { GM = 37, GN = 45, GK = 70 };

static float val(int i) { return (float)((i * 37 % 101) - 50) / 17.0f; }

/* tt_sgemm under each precision, all four transposes, beta 0 and 0.5 */
typedef struct { float out[2][4][GM * GN]; char isa[16]; } gemm_out;

static void gemm_all(gemm_out *o)
{
    static float A[GM * GK], B[GK * GN];
    for (int i = 0; i < GM * GK; i++) A[i] = val(i);
    for (int i = 0; i < GK * GN; i++) B[i] = val(i + 13) * 0.01f;
    static float At[GK * GM], Bt[GN * GK];
    for (int i = 0; i < GM; i++)
        for (int k = 0; k < GK; k++) At[k * GM + i] = A[i * GK + k];
    for (int k = 0; k < GK; k++)
        for (int j = 0; j < GN; j++) Bt[j * GK + k] = B[k * GN + j];
    for (int p = 0; p < 2; p++) {
        tt_set_matmul_precision(p ? TT_FP16 : TT_BF16);
        for (int t = 0; t < 4; t++) {
            const int ta = t & 1, tb = t >> 1;
            float *C = o->out[p][t];
            for (int i = 0; i < GM * GN; i++) C[i] = val(i + 5);
            tt_sgemm(ta, tb, GM, GN, GK, 1.5f, ta ? At : A, ta ? GM : GK, tb ? Bt : B, tb ? GK : GN,
                     t == 3 ? 0.5f : 0.0f, C, GN);
        }
    }
    tt_set_matmul_precision(TT_FP32);
}

static void test_gemm_reference(void **state)
{
    (void)state;
    static gemm_out o;
    gemm_all(&o);
    for (int p = 0; p < 2; p++) {
        const tt_precision pr = p ? TT_FP16 : TT_BF16;
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < GM; i++) {
                for (int j = 0; j < GN; j++) {
                    double s = 0, mag = 0;
                    for (int k = 0; k < GK; k++) {
                        const float a = val(i * GK + k), b = val(k * GN + j + 13) * 0.01f;
                        const double ar = pr == TT_FP16 ? tt_f16_to_f32(tt_f32_to_f16(a)) : tt_bf16_to_f32(tt_f32_to_bf16(a));
                        const double br = pr == TT_FP16 ? tt_f16_to_f32(tt_f32_to_f16(b)) : tt_bf16_to_f32(tt_f32_to_bf16(b));
                        s += ar * br;
                        mag += fabs(ar * br);
                    }
                    double want = 1.5 * s + (t == 3 ? 0.5 * val(i * GN + j + 5) : 0.0);
                    const double got = o.out[p][t][i * GN + j];
                    /* fp32 accumulation of exact products of the rounded operands */
                    if (fabs(got - want) > 1e-5 * (1.5 * mag + 1.0)) {
                        fail_msg("%s t=%d (%d,%d): got %.9g want %.9g", tt_precision_name(pr), t, i, j, got, want);
                    }
                }
            }
        }
    }
    /* the rounding is real: bf16 differs from the fp32 product somewhere */
    static float C32[GM * GN];
    static float A[GM * GK], B[GK * GN];
    for (int i = 0; i < GM * GK; i++) A[i] = val(i);
    for (int i = 0; i < GK * GN; i++) B[i] = val(i + 13) * 0.01f;
    tt_sgemm(0, 0, GM, GN, GK, 1.5f, A, GK, B, GN, 0.0f, C32, GN);
    double maxrel = 0;
    for (int i = 0; i < GM * GN; i++) {
        maxrel = fmax(maxrel, fabs(C32[i] - o.out[0][0][i]) / (fabs(C32[i]) + 1e-3));
    }
    assert_true(maxrel > 1e-4);
    /* tt_gemm_half on pre-rounded operands is the same product as tt_sgemm under the precision */
    uint16_t *Ah = malloc(sizeof(uint16_t) * GM * GK), *Bh = malloc(sizeof(uint16_t) * GK * GN);
    assert_non_null(Ah);
    assert_non_null(Bh);
    tt_f32_to_half_n(TT_BF16, A, Ah, GM * GK);
    tt_f32_to_half_n(TT_BF16, B, Bh, GK * GN);
    tt_gemm_half(TT_BF16, 0, 0, GM, GN, GK, 1.5f, Ah, GK, Bh, GN, 0.0f, C32, GN);
    assert_memory_equal(C32, o.out[0][0], sizeof C32);
    free(Ah);
    free(Bh);
}

static gemm_out *run_under(const char *isa)
{
    gemm_out *o = mmap(NULL, sizeof *o, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(o != MAP_FAILED);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("TT_ISA", isa, 1);
        gemm_all(o);
        snprintf(o->isa, sizeof o->isa, "%s", tt_conv2d_isa()); /* the cap this child ran under */
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return o;
}

/* AVX-512 and portable kernels: the same operations in the same order, so the same bits. Runs
 * first: the CPU probe is made once per process, and the children must make their own. */
static void test_gemm_paths_agree(void **state)
{
    (void)state;
    gemm_out *port = run_under("portable"), *wide = run_under("avx512");
    assert_string_equal(port->isa, "portable");
    if (strcmp(wide->isa, "avx512") != 0) {
        print_message("(no AVX-512 on this CPU: the portable path ran twice)\n");
    }
    assert_memory_equal(port->out, wide->out, sizeof port->out);
    munmap(port, sizeof *port);
    munmap(wide, sizeof *wide);
}

/* ---- training -------------------------------------------------------------------------------------- */

enum { NB = 64, NI = 8, NC = 3 };

typedef struct { tt_layer *net; tt_params p; tt_optimizer *opt; tt_tensor *x; int32_t y[NB]; } mlp;

static void mlp_make(mlp *m, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    m->net = tt_sequential_new(3, (tt_layer *[]){tt_linear_new(NI, 32, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                                                 tt_linear_new(32, NC, true, TT_INIT_PYTORCH, &r)});
    tt_params_init(&m->p);
    tt_layer_params(m->net, &m->p);
    m->opt = tt_sgd(&m->p, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    m->x = tt_tensor_new_persistent(TT_SHAPE(NB, NI));
    tt_rng d;
    tt_rng_seed(&d, 7);
    for (int i = 0; i < NB; i++) { /* the class is the largest of the first three features */
        int best = 0;
        for (int k = 0; k < NI; k++) {
            m->x->data[i * NI + k] = tt_rng_normal(&d);
            if (k < NC && m->x->data[i * NI + k] > m->x->data[i * NI + best]) best = k;
        }
        m->y[i] = best;
    }
}

static void mlp_free(mlp *m)
{
    tt_optim_free(m->opt);
    tt_params_free(&m->p);
    tt_layer_free(m->net);
    tt_tensor_free(m->x);
}

static double train(tt_precision p, int steps, tt_amp *amp_out)
{
    mlp m;
    mlp_make(&m, 11);
    tt_amp amp = tt_amp_init(p);
    tt_step_result r;
    for (int s = 0; s < steps; s++) {
        int rc = tt_amp_train_step(m.net, m.opt, &(tt_batch){.x = m.x, .y = m.y, .size = NB}, &amp, NULL, &r);
        assert_true(rc == 0 || rc == 1);
    }
    tt_amp_train_step(m.net, m.opt, &(tt_batch){.x = m.x, .y = m.y, .size = NB}, &amp, NULL, &r);
    if (amp_out) *amp_out = amp;
    mlp_free(&m);
    return r.loss;
}

static void test_training_follows_fp32(void **state)
{
    (void)state;
    const double l32 = train(TT_FP32, 60, NULL);
    tt_amp a16;
    const double lb = train(TT_BF16, 60, NULL), lh = train(TT_FP16, 60, &a16);
    assert_true(l32 < 0.3); /* it learns */
    assert_true(fabs(lb - l32) < 0.05);
    assert_true(fabs(lh - l32) < 0.05);
    assert_int_equal(a16.skipped, 0); /* 65536 x a loss near 1 does not overflow fp16 here */
    assert_int_equal(tt_get_matmul_precision(), TT_FP32); /* restored after every step */
}

static void test_loss_scaling(void **state)
{
    (void)state;
    mlp m;
    mlp_make(&m, 3);
    const tt_batch b = {.x = m.x, .y = m.y, .size = NB};
    tt_amp amp = tt_amp_init(TT_FP16);
    assert_true(amp.scale == 65536.0f);
    amp.scale = 0x1p40f; /* the scaled gradients overflow fp16 */
    amp.growth_interval = 3;
    float w0 = m.p.t[0]->data[0];
    tt_step_result r;
    assert_int_equal(tt_amp_train_step(m.net, m.opt, &b, &amp, NULL, &r), 1);
    assert_false(r.stepped);
    assert_true(m.p.t[0]->data[0] == w0); /* skipped: nothing updated */
    assert_true(amp.scale == 0x1p39f);
    assert_int_equal(amp.skipped, 1);
    int rc;
    while ((rc = tt_amp_train_step(m.net, m.opt, &b, &amp, NULL, &r)) == 1) {
    }
    assert_int_equal(rc, 0);
    assert_true(r.stepped);
    assert_true(m.p.t[0]->data[0] != w0);
    assert_true(amp.skipped > 1 && amp.scale <= 0x1p30f); /* backed off until the gradients fit */
    amp.scale = 1024.0f; /* well inside fp16's range: three good steps grow it */
    amp.good_steps = 0;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(tt_amp_train_step(m.net, m.opt, &b, &amp, NULL, &r), 0);
    }
    assert_true(amp.scale == 2048.0f);
    assert_int_equal(amp.good_steps, 0);
    mlp_free(&m);
}

int main(void)
{
    unsetenv("TT_ISA");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_paths_agree),
        cmocka_unit_test(test_round_values),
        cmocka_unit_test(test_vector_conversions),
        cmocka_unit_test(test_gemm_reference),
        cmocka_unit_test(test_training_follows_fp32),
        cmocka_unit_test(test_loss_scaling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
