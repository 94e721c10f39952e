/* test_resume_layout.c - module 08: a training state saved when a fused convolution was one layer of
 * the Sequential (Conv2dReLU) cannot resume today's model, where Conv2d, ReLU and MaxPool2d are three
 * layers the Sequential fuses: tt_fit refuses it (-2, the model untouched) and says why, naming the
 * parameter under both names; a state of a genuinely different model keeps the plain message. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/conv.h"
#include "tinytorch/train.h"

/* n images 1 x 4 x 4, label = whether the upper half is brighter */
static tt_dataset *images(int64_t n)
{
    tt_rng r;
    tt_rng_seed(&r, 3);
    float *x = malloc((size_t)n * 16 * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        float up = 0, down = 0;
        for (int k = 0; k < 16; k++) {
            x[16 * i + k] = tt_rng_uniform(&r);
            *(k < 8 ? &up : &down) += x[16 * i + k];
        }
        y[i] = up > down;
    }
    return tt_dataset_from_memory(x, y, n, 3, (const int64_t[]){1, 4, 4}, 2);
}

/* tt_fit on model (one epoch, SGD, state at path); returns tt_fit's code, stderr into errtxt. */
static int fit(tt_layer *model, const char *path, bool resume, char *errtxt, size_t cap)
{
    tt_dataset *ds = images(64);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.1f});
    tt_dataloader dl;
    char err[256];
    assert_int_equal(tt_dataloader_init(&dl, ds, 16, true, false, 5, err, sizeof err), 0);
    tt_train_config c = tt_train_config_default();
    c.epochs = 1;
    c.quiet = true;
    c.state_path = path;
    c.resume = resume;
    tt_train_stats st;
    char log[600];
    snprintf(log, sizeof log, "%s.stderr", path);
    fflush(stderr);
    const int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    const int rc = tt_fit(model, opt, &dl, &c, &st);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *f = fopen(log, "rb");
    assert_non_null(f);
    const size_t got = fread(errtxt, 1, cap - 1, f);
    errtxt[got] = 0;
    fclose(f);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_dataloader_free(&dl);
    tt_dataset_free(ds);
    return rc;
}

static void test_state_of_fused_layer(void **state)
{
    (void)state;
    char dir[256], path[400], txt[2048];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_resume_"), 0);
    snprintf(path, sizeof path, "%s/state.safetensors", dir);
    tt_rng r;
    tt_rng_seed(&r, 1);
    /* the former layout: the convolution with its ReLU as one child (0), then the pool (1): the
     * Linear is child 3 ("3.weight") */
    tt_layer *was[4] = {tt_conv2d_new(1, 2, 3, 1, 1, 1, 1, true, &r), tt_maxpool2d_new(2, 0, 0), tt_flatten_new(),
                        tt_linear_new(8, 2, true, TT_INIT_PYTORCH, &r)};
    tt_layer *old = tt_sequential_new(4, was);
    assert_int_equal(fit(old, path, false, txt, sizeof txt), 0);
    tt_layer_free(old);
    /* today's layout of the same network: the Linear is child 4 */
    tt_layer *now[5] = {tt_conv2d_new(1, 2, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
                        tt_flatten_new(), tt_linear_new(8, 2, true, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(5, now);
    assert_int_equal(tt_sequential_group_len(m, 0), 3);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    const float before = p.t[0]->data[0];
    assert_int_equal(fit(m, path, true, txt, sizeof txt), -2);
    assert_true(p.t[0]->data[0] == before);
    if (!strstr(txt, "Conv2dReLU") || !strstr(txt, "\"4.weight\" is \"3.weight\"") || !strstr(txt, "cannot resume")) {
        fail_msg("unexpected message: %s", txt);
    }
    tt_params_free(&p);
    tt_layer_free(m);
    /* a genuinely different model (two classes more) is not explained away */
    tt_layer *other[5] = {tt_conv2d_new(1, 2, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
                          tt_flatten_new(), tt_linear_new(8, 4, true, TT_INIT_PYTORCH, &r)};
    m = tt_sequential_new(5, other);
    assert_int_equal(fit(m, path, true, txt, sizeof txt), -2);
    if (strstr(txt, "Conv2dReLU") || !strstr(txt, "cannot resume")) {
        fail_msg("unexpected message: %s", txt);
    }
    tt_layer_free(m);
    tt_test_rmdir(dir);
}

int main(void)
{
    (void)tt_gradcheck;
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_of_fused_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
