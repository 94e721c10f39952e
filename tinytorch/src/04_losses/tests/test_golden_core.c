/* test_golden_core.c - TinyTorch's core ops (modules 01-04) and optimizers (07) against PyTorch.
 *
 * The data (tests/data/core_ops.txt, core_optim.txt) is written by tests/golden/make_golden_core.py
 * with Debian's python3-torch; see that script for the format. For every op case we rebuild the op
 * from the same inputs, compare the forward result, run backward with the same seed gradient and
 * compare every input gradient. For the optimizers we train the same 4-8-3 MLP from the same initial
 * weights for 10 steps and compare the loss at each step and the final parameters.
 * Tolerance: 1e-4 relative with an absolute floor of 1e-5 (values near zero).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tt_golden.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"

#define RTOL 1e-4
#define ATOL 1e-5

/* ---- golden files (tt_golden.h) ---------------------------------------------------------------- */

typedef tt_golden_entry gentry;
static tt_golden ops_db, optim_db;

static tt_tensor *gtensor(const gentry *g) { return tt_golden_tensor(g, false); }
static void expect_match(const char *what, const tt_tensor *t, const float *got, const gentry *want)
{
    tt_golden_expect(what, t, got, want, RTOL, ATOL);
}

/* ---- op cases ---------------------------------------------------------------------------------- */

typedef struct cctx { const char *cas; } cctx;
typedef tt_tensor *(*case_fn)(tt_tensor **in, const cctx *c);

static int32_t labels_buf[64];
static const int32_t *labels_of(const cctx *c)
{
    const gentry *g = tt_golden_get(&ops_db, c->cas, "labels");
    assert_true(g->numel <= 64);
    for (int64_t i = 0; i < g->numel; i++) {
        labels_buf[i] = (int32_t)g->v[i];
    }
    return labels_buf;
}

static tt_tensor *f_add(tt_tensor **in, const cctx *c) { (void)c; return tt_add(in[0], in[1]); }
static tt_tensor *f_sub(tt_tensor **in, const cctx *c) { (void)c; return tt_sub(in[0], in[1]); }
static tt_tensor *f_mul(tt_tensor **in, const cctx *c) { (void)c; return tt_mul(in[0], in[1]); }
static tt_tensor *f_div(tt_tensor **in, const cctx *c) { (void)c; return tt_div(in[0], in[1]); }
static tt_tensor *f_adds(tt_tensor **in, const cctx *c) { (void)c; return tt_add_scalar(in[0], 1.5f); }
static tt_tensor *f_muls(tt_tensor **in, const cctx *c) { (void)c; return tt_mul_scalar(in[0], -0.75f); }
static tt_tensor *f_neg(tt_tensor **in, const cctx *c) { (void)c; return tt_neg(in[0]); }
static tt_tensor *f_exp(tt_tensor **in, const cctx *c) { (void)c; return tt_exp(in[0]); }
static tt_tensor *f_log(tt_tensor **in, const cctx *c) { (void)c; return tt_log(in[0]); }
static tt_tensor *f_sqrt(tt_tensor **in, const cctx *c) { (void)c; return tt_sqrt(in[0]); }
static tt_tensor *f_pow(tt_tensor **in, const cctx *c) { (void)c; return tt_pow_scalar(in[0], 2.5f); }
static tt_tensor *f_masked_fill(tt_tensor **in, const cctx *c)
{
    return tt_masked_fill(in[0], gtensor(tt_golden_get(&ops_db, c->cas, "mask")), -5.0f);
}
static tt_tensor *f_matmul(tt_tensor **in, const cctx *c) { (void)c; return tt_matmul(in[0], in[1]); }
static tt_tensor *f_linear(tt_tensor **in, const cctx *c) { (void)c; return tt_linear(in[0], in[1], in[2]); }
static tt_tensor *f_reshape(tt_tensor **in, const cctx *c) { (void)c; return tt_reshape(in[0], TT_SHAPE(4, 6)); }
static tt_tensor *f_transpose(tt_tensor **in, const cctx *c) { (void)c; return tt_transpose(in[0], 0, 2); }
static tt_tensor *f_permute(tt_tensor **in, const cctx *c)
{
    (void)c;
    return tt_permute(in[0], (const int[]){1, 2, 0});
}
static tt_tensor *f_slice(tt_tensor **in, const cctx *c) { (void)c; return tt_slice(in[0], 1, 1, 6, 2); }
static tt_tensor *f_concat(tt_tensor **in, const cctx *c) { (void)c; return tt_concat(in, 2, 1); }
static tt_tensor *f_stack(tt_tensor **in, const cctx *c) { (void)c; return tt_stack(in, 2, 1); }
static tt_tensor *f_sum_keep(tt_tensor **in, const cctx *c) { (void)c; return tt_sum(in[0], 1, true); }
static tt_tensor *f_sum_all(tt_tensor **in, const cctx *c) { (void)c; return tt_sum(in[0], TT_ALL_AXES, false); }
static tt_tensor *f_mean_last(tt_tensor **in, const cctx *c) { (void)c; return tt_mean(in[0], -1, false); }
static tt_tensor *f_mean_all(tt_tensor **in, const cctx *c) { (void)c; return tt_mean(in[0], TT_ALL_AXES, false); }
static tt_tensor *f_max0(tt_tensor **in, const cctx *c) { (void)c; return tt_max(in[0], 0, true); }
static tt_tensor *f_max_all(tt_tensor **in, const cctx *c) { (void)c; return tt_max(in[0], TT_ALL_AXES, false); }
static tt_tensor *f_argmax1(tt_tensor **in, const cctx *c) { (void)c; return tt_argmax(in[0], 1, false); }
static tt_tensor *f_relu(tt_tensor **in, const cctx *c) { (void)c; return tt_relu(in[0]); }
static tt_tensor *f_sigmoid(tt_tensor **in, const cctx *c) { (void)c; return tt_sigmoid(in[0]); }
static tt_tensor *f_tanh(tt_tensor **in, const cctx *c) { (void)c; return tt_tanh(in[0]); }
static tt_tensor *f_gelu(tt_tensor **in, const cctx *c) { (void)c; return tt_gelu(in[0]); }
static tt_tensor *f_gelu_erf(tt_tensor **in, const cctx *c) { (void)c; return tt_gelu_erf(in[0]); }
static tt_tensor *f_softmax_last(tt_tensor **in, const cctx *c) { (void)c; return tt_softmax(in[0], -1); }
static tt_tensor *f_softmax_mid(tt_tensor **in, const cctx *c) { (void)c; return tt_softmax(in[0], 1); }
static tt_tensor *f_lsm_last(tt_tensor **in, const cctx *c) { (void)c; return tt_log_softmax(in[0], -1); }
static tt_tensor *f_lsm_first(tt_tensor **in, const cctx *c) { (void)c; return tt_log_softmax(in[0], 0); }
static tt_tensor *f_mse(tt_tensor **in, const cctx *c) { (void)c; return tt_mse_loss(in[0], in[1]); }
static tt_tensor *f_ce(tt_tensor **in, const cctx *c) { return tt_cross_entropy(in[0], labels_of(c)); }
static tt_tensor *f_bce(tt_tensor **in, const cctx *c) { (void)c; return tt_bce_with_logits(in[0], in[1]); }

static const struct {
    const char *name;
    case_fn fn;
} cases[] = {
    {"add_bcast", f_add}, {"sub_bcast", f_sub}, {"mul_bcast", f_mul}, {"div_bcast", f_div},
    {"add_scalar", f_adds}, {"mul_scalar", f_muls}, {"neg", f_neg}, {"exp", f_exp}, {"log", f_log},
    {"sqrt", f_sqrt}, {"pow", f_pow}, {"masked_fill", f_masked_fill},
    {"matmul_2d", f_matmul}, {"matmul_batched", f_matmul}, {"matmul_bcast", f_matmul},
    {"matmul_vec", f_matmul}, {"linear", f_linear}, {"linear_3d", f_linear},
    {"reshape", f_reshape}, {"transpose", f_transpose}, {"permute", f_permute}, {"slice", f_slice},
    {"concat", f_concat}, {"stack", f_stack},
    {"sum_axis_keep", f_sum_keep}, {"sum_all", f_sum_all}, {"mean_last", f_mean_last},
    {"mean_all", f_mean_all}, {"max_axis0_keep", f_max0}, {"max_all", f_max_all},
    {"argmax_axis1", f_argmax1},
    {"relu", f_relu}, {"sigmoid", f_sigmoid}, {"tanh", f_tanh}, {"gelu_tanh", f_gelu},
    {"gelu_erf", f_gelu_erf}, {"sigmoid_large", f_sigmoid},
    {"softmax_last", f_softmax_last}, {"softmax_mid", f_softmax_mid}, {"softmax_large", f_softmax_last},
    {"log_softmax_last", f_lsm_last}, {"log_softmax_first", f_lsm_first},
    {"log_softmax_large", f_lsm_last},
    {"mse", f_mse}, {"cross_entropy", f_ce}, {"cross_entropy_3d", f_ce},
    {"cross_entropy_large", f_ce}, {"bce_with_logits", f_bce}, {"bce_large", f_bce},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void run_case(int ci)
{
    const char *cas = cases[ci].name;
    cctx c = {cas};
    tt_tensor *in[TT_NODE_MAX_INPUTS] = {0};
    int n_in = 0;
    char field[16];
    for (; n_in < TT_NODE_MAX_INPUTS; n_in++) {
        snprintf(field, sizeof field, "in%d", n_in);
        const gentry *g = tt_golden_find(&ops_db, cas, field);
        if (!g) {
            break;
        }
        in[n_in] = gtensor(g);
        snprintf(field, sizeof field, "grad%d", n_in);
        tt_set_requires_grad(in[n_in], tt_golden_find(&ops_db, cas, field) != NULL);
    }
    assert_true(n_in > 0);
    tt_tensor *out = cases[ci].fn(in, &c);
    char what[128];
    snprintf(what, sizeof what, "%s forward", cas);
    expect_match(what, out, out->data, tt_golden_get(&ops_db, cas, "out"));
    const gentry *seed = tt_golden_find(&ops_db, cas, "seed");
    if (!seed) {
        return;
    }
    tt_backward_with(out, gtensor(seed));
    for (int k = 0; k < n_in; k++) {
        snprintf(field, sizeof field, "grad%d", k);
        const gentry *g = tt_golden_find(&ops_db, cas, field);
        if (!g) {
            continue;
        }
        snprintf(what, sizeof what, "%s gradient of input %d", cas, k);
        assert_non_null(in[k]->grad);
        expect_match(what, in[k], in[k]->grad, g);
    }
}

static void test_ops_match_pytorch(void **state)
{
    (void)state;
    for (int ci = 0; ci < N_CASES; ci++) {
        run_case(ci);
        tt_arena_reset();
    }
}

/* Every case in the file is exercised (a case added to the generator must be added here). */
static void test_every_golden_case_is_run(void **state)
{
    (void)state;
    for (int i = 0; i < ops_db.n; i++) {
        const char *nm = ops_db.e[i].name;
        const char *dot = strchr(nm, '.');
        assert_non_null(dot);
        bool found = false;
        for (int ci = 0; ci < N_CASES && !found; ci++) {
            found = strlen(cases[ci].name) == (size_t)(dot - nm) &&
                    strncmp(cases[ci].name, nm, (size_t)(dot - nm)) == 0;
        }
        if (!found) {
            fail_msg("golden case %.*s has no C counterpart", (int)(dot - nm), nm);
        }
    }
}

/* ---- optimizers: 10 steps on a 4-8-3 MLP ------------------------------------------------------ */

static void run_optim(const char *cfg)
{
    tt_layer *layers[3] = {tt_linear_new(4, 8, true, TT_INIT_PYTORCH, NULL), tt_relu_new(),
                           tt_linear_new(8, 3, true, TT_INIT_PYTORCH, NULL)};
    tt_layer *mlp = tt_sequential_new(3, layers);
    tt_params ps;
    tt_params_init(&ps);
    tt_layer_params(mlp, &ps);
    assert_int_equal(ps.n, 4);
    for (int i = 0; i < ps.n; i++) {
        const gentry *g = tt_golden_get(&optim_db, "init", ps.names[i]);
        assert_int_equal(g->numel, ps.t[i]->numel);
        memcpy(ps.t[i]->data, g->v, (size_t)g->numel * sizeof(float));
    }
    const gentry *gx = tt_golden_get(&optim_db, "batch", "x"), *gy = tt_golden_get(&optim_db, "batch", "labels");
    int32_t labels[16];
    assert_true(gy->numel <= 16);
    for (int64_t i = 0; i < gy->numel; i++) {
        labels[i] = (int32_t)gy->v[i];
    }
    tt_optimizer *opt = NULL;
    if (strcmp(cfg, "sgd") == 0) {
        opt = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f});
    } else if (strcmp(cfg, "sgd_momentum") == 0) {
        opt = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.01f});
    } else if (strcmp(cfg, "sgd_dampening") == 0) {
        opt = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.8f, .dampening = 0.3f});
    } else if (strcmp(cfg, "sgd_nesterov") == 0) {
        opt = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.001f, .nesterov = true});
    } else if (strcmp(cfg, "adam") == 0) {
        opt = tt_adam(&ps, (tt_adam_opts){.lr = 0.01f});
    } else if (strcmp(cfg, "adam_l2") == 0) {
        opt = tt_adam(&ps, (tt_adam_opts){.lr = 0.02f, .beta1 = 0.8f, .beta2 = 0.99f, .eps = 1e-6f, .weight_decay = 0.05f});
    } else if (strcmp(cfg, "adamw") == 0) {
        opt = tt_adamw(&ps, (tt_adam_opts){.lr = 0.01f, .weight_decay = 0.1f});
    }
    assert_non_null(opt);
    const gentry *want_loss = tt_golden_get(&optim_db, cfg, "loss");
    float losses[10];
    for (int step = 0; step < 10; step++) {
        tt_optim_zero_grad(opt);
        tt_tensor *x = gtensor(gx);
        tt_tensor *loss = tt_cross_entropy(tt_layer_forward(mlp, x), labels);
        losses[step] = tt_item(loss);
        tt_backward(loss);
        tt_optim_step(opt);
        tt_arena_reset();
    }
    char what[128];
    snprintf(what, sizeof what, "%s loss per step", cfg);
    tt_tensor lt = {.ndim = 1, .shape = {10}, .numel = 10};
    expect_match(what, &lt, losses, want_loss);
    for (int i = 0; i < ps.n; i++) {
        snprintf(what, sizeof what, "%s %s after 10 steps", cfg, ps.names[i]);
        expect_match(what, ps.t[i], ps.t[i]->data, tt_golden_get(&optim_db, cfg, ps.names[i]));
    }
    assert_int_equal(tt_optim_steps(opt), 10);
    tt_optim_free(opt);
    tt_params_free(&ps);
    tt_layer_free(mlp);
}

/* The same MLP's gradient by finite differences (the golden runs above check it against PyTorch;
 * this checks the composition independently), and its shape error. */
static tt_tensor *g_golden_mlp(tt_tensor **in, void *c)
{
    return tt_cross_entropy(tt_linear(tt_relu(tt_linear(in[0], in[1], in[2])), in[3], in[4]),
                            (const int32_t *)c);
}

static void test_mlp_gradcheck(void **state)
{
    (void)state;
    const char *names[4] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    tt_tensor *in[5];
    in[0] = gtensor(tt_golden_get(&optim_db, "batch", "x")); /* a constant: no gradient checked */
    for (int i = 0; i < 4; i++) {
        in[i + 1] = gtensor(tt_golden_get(&optim_db, "init", names[i]));
        tt_set_requires_grad(in[i + 1], true);
        tt_assert_close(in[i + 1]->data, tt_golden_get(&optim_db, "init", names[i])->v, in[i + 1]->numel, 0, 0);
    }
    const gentry *gy = tt_golden_get(&optim_db, "batch", "labels");
    int32_t labels[16];
    for (int64_t i = 0; i < gy->numel; i++) {
        labels[i] = (int32_t)gy->v[i];
    }
    tt_gradcheck(g_golden_mlp, in, 5, labels, 1e-2f, 2e-2);
    in[0] = tt_test_input(TT_SHAPE(6, 5), -1, 1, 3); /* 5 features for a 4-input layer */
    EXPECT_FATAL(g_golden_mlp(in, labels), "tt_linear: input [6, 5], weight [8, 4]");
    tt_arena_reset();
}

static void test_sgd(void **state) { (void)state; run_optim("sgd"); }
static void test_sgd_momentum_weight_decay(void **state) { (void)state; run_optim("sgd_momentum"); }
static void test_sgd_dampening(void **state) { (void)state; run_optim("sgd_dampening"); }
static void test_sgd_nesterov(void **state) { (void)state; run_optim("sgd_nesterov"); }
static void test_adam(void **state) { (void)state; run_optim("adam"); }
static void test_adam_l2(void **state) { (void)state; run_optim("adam_l2"); }
static void test_adamw(void **state) { (void)state; run_optim("adamw"); }

static int setup(void **state)
{
    (void)state;
    if (tt_golden_load(&ops_db, "core_ops.txt") != 0 || tt_golden_load(&optim_db, "core_optim.txt") != 0) {
        return 1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_golden_free(&ops_db);
    tt_golden_free(&optim_db);
    tt_arena_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_golden_case_is_run),
        cmocka_unit_test(test_ops_match_pytorch),
        cmocka_unit_test(test_mlp_gradcheck),
        cmocka_unit_test(test_sgd),
        cmocka_unit_test(test_sgd_momentum_weight_decay),
        cmocka_unit_test(test_sgd_dampening),
        cmocka_unit_test(test_sgd_nesterov),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_adam_l2),
        cmocka_unit_test(test_adamw),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
