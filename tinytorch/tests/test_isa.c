/* test_isa.c - the TT_ISA cap: each cap restricts the kernel choice, and the kernels give the portable
 * results under every cap. The CPU probe runs once per process, so each cap runs in a forked child
 * that sets TT_ISA before its first kernel call and sends its results back through a pipe. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tinytorch/autograd.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/tensor.h"
#include "tinytorch/transformer.h"

enum { GM = 37, GN = 29, GK = 48, VO = 24, VI = 64, NG = 100, LR = 5, LC = 37 };
/* LayerNorm of [LR, LC]: y and dx (LR x LC each), dgamma and dbeta (LC each) */
enum { NLN = 2 * LR * LC + 2 * LC };
/* one parameter of 53 floats after three steps of SGD (momentum, Nesterov) and of AdamW */
enum { NP = 53, NOUT = GM * GN + VO + NG + NLN + 2 * NP };

typedef struct {
    float out[NOUT];
    char kernel[16];
    int avx512_ok; /* tt_sgemm_kernel_supported("avx512") */
} isa_result;

static float val(int i) { return (float)((i * 37 % 101) - 50) / 25.0f; }

static void compute(isa_result *r)
{
    static float A[GM * GK], B[GK * GN], W[VO * VI], x[VI], bias[VO];
    for (int i = 0; i < GM * GK; i++) A[i] = val(i);
    for (int i = 0; i < GK * GN; i++) B[i] = val(i + 7);
    for (int i = 0; i < VO * VI; i++) W[i] = val(i + 3);
    for (int i = 0; i < VI; i++) x[i] = val(i + 11);
    for (int i = 0; i < VO; i++) bias[i] = val(i + 5);
    tt_sgemm(0, 0, GM, GN, GK, 1.0f, A, GK, B, GN, 0.0f, r->out, GN);
    tt_sgemv(W, x, bias, r->out + GM * GN, VO, VI);
    int64_t shape[1] = {NG};
    tt_tensor *t = tt_empty(1, shape);
    for (int i = 0; i < NG; i++) t->data[i] = val(i) * 2.0f;
    tt_tensor *g = tt_gelu(t);
    memcpy(r->out + GM * GN + VO, g->data, NG * sizeof(float));
    /* LayerNorm forward and backward (rows of 37: the 16- or 8-wide loops and their remainders) */
    int64_t xs[2] = {LR, LC}, cs[1] = {LC};
    tt_tensor *lx = tt_tensor_new_persistent(2, xs), *lg = tt_tensor_new_persistent(1, cs);
    tt_tensor *lb = tt_tensor_new_persistent(1, cs), *seed = tt_empty(2, xs);
    for (int i = 0; i < LR * LC; i++) lx->data[i] = val(i + 13) * (1.0f + (float)(i / LC));
    for (int i = 0; i < LR * LC; i++) seed->data[i] = val(i + 17);
    for (int i = 0; i < LC; i++) lg->data[i] = 1.0f + 0.1f * val(i + 19);
    for (int i = 0; i < LC; i++) lb->data[i] = val(i + 23);
    tt_set_requires_grad(lx, true);
    tt_set_requires_grad(lg, true);
    tt_set_requires_grad(lb, true);
    tt_tensor *ly = tt_layernorm(lx, lg, lb, 1e-5f);
    tt_backward_with(ly, seed);
    float *o = r->out + GM * GN + VO + NG;
    memcpy(o, ly->data, LR * LC * sizeof(float));
    memcpy(o + LR * LC, lx->grad, LR * LC * sizeof(float));
    memcpy(o + 2 * LR * LC, lg->grad, LC * sizeof(float));
    memcpy(o + 2 * LR * LC + LC, lb->grad, LC * sizeof(float));
    /* optimizer steps: the 16- or 8-wide loops, a 5-float remainder */
    for (int k = 0; k < 2; k++) {
        int64_t ps[1] = {NP};
        tt_tensor *w = tt_tensor_new_persistent(1, ps);
        for (int i = 0; i < NP; i++) w->data[i] = val(i + 29);
        tt_set_requires_grad(w, true);
        tt_params pl;
        tt_params_init(&pl);
        tt_params_add(&pl, "w", w);
        tt_optimizer *opt = k == 0 ? tt_sgd(&pl, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .nesterov = true,
                                                               .weight_decay = 0.01f})
                                   : tt_adamw(&pl, (tt_adam_opts){.lr = 0.01f, .weight_decay = 0.1f});
        for (int step = 0; step < 3; step++) {
            float *gw = tt_grad_buf(w);
            for (int i = 0; i < NP; i++) gw[i] = val(i * (step + 2) + 31);
            tt_optim_step(opt);
        }
        memcpy(o + 2 * LR * LC + 2 * LC + k * NP, w->data, NP * sizeof(float));
        tt_optim_free(opt);
        tt_params_free(&pl);
    }
    snprintf(r->kernel, sizeof r->kernel, "%s", tt_sgemm_kernel());
    r->avx512_ok = tt_sgemm_kernel_supported("avx512");
}

static void run_under(const char *isa, isa_result *r)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        setenv("TT_ISA", isa, 1);
        isa_result mine;
        memset(&mine, 0, sizeof mine);
        compute(&mine);
        const char *p = (const char *)&mine;
        size_t left = sizeof mine;
        while (left > 0) {
            ssize_t w = write(fd[1], p, left);
            if (w <= 0) _exit(2);
            p += w;
            left -= (size_t)w;
        }
        _exit(0);
    }
    close(fd[1]);
    char *p = (char *)r;
    size_t left = sizeof *r;
    while (left > 0) {
        ssize_t n = read(fd[0], p, left);
        assert_true(n > 0);
        p += n;
        left -= (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_caps_agree_with_portable(void **state)
{
    (void)state;
    static isa_result port, avx2, avx512;
    run_under("portable", &port);
    run_under("avx2", &avx2);
    run_under("avx512", &avx512);
    /* the cap restricts the choice */
    assert_int_equal(port.avx512_ok, 0);
    assert_int_equal(avx2.avx512_ok, 0);
    assert_string_not_equal(avx2.kernel, "avx512");
#ifndef TT_USE_OPENBLAS
    assert_string_equal(port.kernel, "portable");
#endif
    /* the portable results against a double reference, then every cap against portable */
    for (int i = 0; i < GM; i++)
        for (int j = 0; j < GN; j++) {
            double s = 0;
            for (int k = 0; k < GK; k++) s += (double)val(i * GK + k) * val(k * GN + j + 7);
            assert_true(fabs(port.out[i * GN + j] - s) <= 1e-4 * (1.0 + fabs(s)));
        }
    for (int o = 0; o < VO; o++) {
        double s = val(o + 5);
        for (int i = 0; i < VI; i++) s += (double)val(o * VI + i + 3) * val(i + 11);
        assert_true(fabs(port.out[GM * GN + o] - s) <= 1e-4 * (1.0 + fabs(s)));
    }
    /* LayerNorm's output under the portable cap against a double reference */
    for (int r = 0; r < LR; r++) {
        double m = 0, v = 0;
        for (int c = 0; c < LC; c++) m += (double)val(r * LC + c + 13) * (1.0 + r);
        m /= LC;
        for (int c = 0; c < LC; c++) {
            double d = (double)val(r * LC + c + 13) * (1.0 + r) - m;
            v += d * d;
        }
        double rstd = 1.0 / sqrt(v / LC + 1e-5);
        for (int c = 0; c < LC; c++) {
            double xh = ((double)val(r * LC + c + 13) * (1.0 + r) - m) * rstd;
            double want = xh * (1.0f + 0.1f * val(c + 19)) + val(c + 23);
            assert_true(fabs(port.out[GM * GN + VO + NG + r * LC + c] - want) <= 1e-4 * (1.0 + fabs(want)));
        }
    }
    for (int i = 0; i < NOUT; i++) {
        double ref = port.out[i], tol = 1e-5 * (1.0 + fabs(ref));
        assert_true(fabs(avx2.out[i] - ref) <= tol);
        assert_true(fabs(avx512.out[i] - ref) <= tol);
    }
    /* the optimizers' arithmetic is elementwise: the same bits under every cap */
    const int opt0 = GM * GN + VO + NG + NLN;
    assert_memory_equal(avx2.out + opt0, port.out + opt0, 2 * NP * sizeof(float));
    assert_memory_equal(avx512.out + opt0, port.out + opt0, 2 * NP * sizeof(float));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_caps_agree_with_portable)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
