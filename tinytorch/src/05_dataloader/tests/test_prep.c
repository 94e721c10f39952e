/* test_prep.c - preparing data and models for use: the seeded, stratified train/test split, per-feature
 * standardisation, the parameter list a model owns, and self-describing model files (metadata). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/data.h"
#include "tinytorch/optim.h"

/* n samples of 2 features; labels 0 (60 %), 1 (30 %), 2 (10 %); x = (i, 10 * label). */
static tt_dataset *unbalanced(int64_t n)
{
    float *x = malloc((size_t)n * 2 * sizeof *x);
    int32_t *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i % 10;
        y[i] = r < 6 ? 0 : r < 9 ? 1 : 2;
        x[2 * i] = (float)i;
        x[2 * i + 1] = 10.0f * (float)y[i];
    }
    return tt_dataset_from_memory(x, y, n, 1, (const int64_t[]){2}, 0);
}

static void test_split_stratified_seeded(void **state)
{
    (void)state;
    tt_dataset *ds = unbalanced(200), *tr, *te, *tr2, *te2;
    char err[256];
    assert_int_equal(tt_dataset_split(ds, 0.25, 7, &tr, &te, err, sizeof err), 0);
    assert_int_equal(tr->len + te->len, 200);
    int64_t ctr[3], cte[3];
    tt_dataset_class_counts(tr, ctr);
    tt_dataset_class_counts(te, cte);
    /* 120 / 60 / 20 per class: a quarter of each in the test set */
    assert_int_equal(cte[0], 30);
    assert_int_equal(cte[1], 15);
    assert_int_equal(cte[2], 5);
    assert_int_equal(ctr[0], 90);
    assert_int_equal(te->num_classes, 3);
    /* every sample appears exactly once (feature 0 is the sample's index) */
    int seen[200] = {0};
    float x[2];
    int32_t y;
    for (int64_t i = 0; i < tr->len + te->len; i++) {
        tt_dataset_get(i < tr->len ? tr : te, i < tr->len ? i : i - tr->len, x, &y);
        seen[(int)x[0]]++;
        assert_int_equal(y, (int32_t)(x[1] / 10.0f));
    }
    for (int i = 0; i < 200; i++) {
        assert_int_equal(seen[i], 1);
    }
    /* shuffled: the training set is not in index order */
    float prev = -1.0f;
    int ascending = 1;
    for (int64_t i = 0; i < tr->len; i++) {
        tt_dataset_get(tr, i, x, &y);
        ascending &= x[0] > prev;
        prev = x[0];
    }
    assert_false(ascending);
    /* the same seed gives the same split; another seed another */
    assert_int_equal(tt_dataset_split(ds, 0.25, 7, &tr2, &te2, err, sizeof err), 0);
    float a[2], b[2];
    for (int64_t i = 0; i < te->len; i++) {
        tt_dataset_get(te, i, a, &y);
        tt_dataset_get(te2, i, b, &y);
        assert_true(a[0] == b[0]);
    }
    tt_dataset_free(tr2);
    tt_dataset_free(te2);
    assert_int_equal(tt_dataset_split(ds, 0.25, 8, &tr2, &te2, err, sizeof err), 0);
    int differ = 0;
    for (int64_t i = 0; i < te->len; i++) {
        tt_dataset_get(te, i, a, &y);
        tt_dataset_get(te2, i, b, &y);
        differ |= a[0] != b[0];
    }
    assert_true(differ);
    tt_dataset_free(tr2);
    tt_dataset_free(te2);
    /* refusals */
    assert_int_equal(tt_dataset_split(ds, 1.0, 7, &tr2, &te2, err, sizeof err), -1);
    assert_non_null(strstr(err, "between 0 and 1"));
    assert_null(tr2);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    tt_dataset_free(ds);
}

static void test_standardize(void **state)
{
    (void)state;
    /* feature 0: 1, 2, 3, 4 (mean 2.5, std sqrt(1.25)); feature 1 constant 7 (std taken as 1) */
    float *x = malloc(8 * sizeof *x);
    int32_t *y = calloc(4, sizeof *y);
    for (int i = 0; i < 4; i++) {
        x[2 * i] = (float)(i + 1);
        x[2 * i + 1] = 7.0f;
    }
    tt_dataset *tr = tt_dataset_from_memory(x, y, 4, 1, (const int64_t[]){2}, 1);
    float *x2 = malloc(2 * sizeof *x2);
    int32_t *y2 = calloc(1, sizeof *y2);
    x2[0] = 5.0f;
    x2[1] = 8.0f;
    tt_dataset *te = tt_dataset_from_memory(x2, y2, 1, 1, (const int64_t[]){2}, 1);
    tt_standardizer s;
    assert_int_equal(tt_standardize(tr, te, &s), 0);
    assert_int_equal(s.n, 2);
    assert_float_equal(s.mean[0], 2.5, 1e-6);
    assert_float_equal(s.std[0], sqrt(1.25), 1e-6);
    assert_float_equal(s.std[1], 1.0, 0.0);
    float v[2];
    int32_t lab;
    tt_dataset_get(tr, 0, v, &lab);
    assert_float_equal(v[0], -1.5 / sqrt(1.25), 1e-6);
    assert_float_equal(v[1], 0.0, 0.0);
    tt_dataset_get(te, 0, v, &lab); /* the test set uses the training statistics */
    assert_float_equal(v[0], 2.5 / sqrt(1.25), 1e-6);
    assert_float_equal(v[1], 1.0, 1e-6);
    tt_dataset *wrong = unbalanced(10); /* 2 features too, fine; a 3-feature set is refused */
    tt_standardizer_apply(&s, wrong);
    float *x3 = calloc(3, sizeof *x3);
    int32_t *y3 = calloc(1, sizeof *y3);
    tt_dataset *three = tt_dataset_from_memory(x3, y3, 1, 1, (const int64_t[]){3}, 1);
    EXPECT_FATAL(tt_standardizer_apply(&s, three), "3 features");
    tt_standardizer_free(&s);
    assert_null(s.mean);
    tt_dataset_free(three);
    tt_dataset_free(wrong);
    tt_dataset_free(tr);
    tt_dataset_free(te);
}

static void test_layer_parameters_owned(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *layers[3] = {tt_linear_new(4, 8, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                           tt_linear_new(8, 3, true, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(3, layers);
    const tt_params *p = tt_layer_parameters(m);
    assert_int_equal(p->n, 4);
    assert_string_equal(p->names[2], "2.weight");
    assert_ptr_equal(tt_layer_parameters(m), p); /* built once */
    tt_sequential_append(m, tt_linear_new(3, 2, false, TT_INIT_PYTORCH, &r));
    assert_int_equal(tt_layer_parameters(m)->n, 5); /* a new child: the list is rebuilt */
    tt_optimizer *opt = tt_adam(tt_layer_parameters(m), (tt_adam_opts){.lr = 1e-3f});
    assert_float_equal(tt_optim_get_lr(opt), 1e-3, 1e-12);
    tt_optim_free(opt);
    tt_layer_free(m); /* frees the list too (checked by the sanitizer build) */
}

static void test_model_file_metadata(void **state)
{
    (void)state;
    char dir[256], path[300], err[512], v[1024];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_prep_"), 0);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    tt_rng r;
    tt_rng_seed(&r, 2);
    tt_layer *layers[3] = {tt_flatten_new(), tt_linear_new(2, 4, true, TT_INIT_PYTORCH, &r),
                           tt_linear_new(4, 3, false, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(3, layers);
    float mean[2] = {0.5f, -2.0f}, sd[2] = {1.5f, 0.25f};
    tt_standardizer s = {2, mean, sd};
    const char *names[3] = {"setosa", "versi\"color", "virginica"};
    tt_model_info info = {.input_ndim = 1, .input_shape = (const int64_t[]){2}, .norm = &s, .num_classes = 3,
                          .class_names = names};
    assert_int_equal(tt_model_save(path, m, &info, err, sizeof err), 0);
    assert_int_equal(tt_safetensors_meta(path, "architecture", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "Sequential(Flatten, Linear(2, 4), Linear(4, 3, bias=False))");
    assert_int_equal(tt_safetensors_meta(path, "input_shape", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[2]");
    assert_int_equal(tt_safetensors_meta(path, "input_mean", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[0.5,-2]");
    assert_int_equal(tt_safetensors_meta(path, "input_std", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[1.5,0.25]");
    assert_int_equal(tt_safetensors_meta(path, "classes", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[\"setosa\",\"versi\\\"color\",\"virginica\"]");
    /* the file is an ordinary checkpoint: another model of the same shape loads it exactly */
    tt_layer *layers2[3] = {tt_flatten_new(), tt_linear_new(2, 4, true, TT_INIT_PYTORCH, &r),
                            tt_linear_new(4, 3, false, TT_INIT_PYTORCH, &r)};
    tt_layer *m2 = tt_sequential_new(3, layers2);
    assert_int_equal(tt_checkpoint_load(path, m2, NULL, err, sizeof err), 0);
    const tt_params *p = tt_layer_parameters(m), *p2 = tt_layer_parameters(m2);
    for (int i = 0; i < p->n; i++) {
        assert_memory_equal(p->t[i]->data, p2->t[i]->data, tt_nbytes(p->t[i]));
    }
    /* one scalar normalisation, numbered classes */
    tt_model_info img = {.input_ndim = 1, .input_shape = (const int64_t[]){2}, .input_mean = 0.286f,
                         .input_std = 0.353f, .num_classes = 2};
    assert_int_equal(tt_model_save(path, m, &img, err, sizeof err), 0);
    assert_int_equal(tt_safetensors_meta(path, "input_std", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[0.352999985]");
    assert_int_equal(tt_safetensors_meta(path, "classes", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "[\"0\",\"1\"]");
    tt_layer_free(m);
    tt_layer_free(m2);
    tt_test_rmdir(dir);
}

/* The architecture string round-trips: describe -> rebuild -> describe, and tt_model_load gives the
 * same outputs and the stored metadata; malformed descriptions are refused with a column. */
static void test_model_load_roundtrip(void **state)
{
    (void)state;
    char dir[256], path[300], err[512], d1[1024], d2[1024];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_prep_"), 0);
    snprintf(path, sizeof path, "%s/lenet.safetensors", dir);
    tt_rng r;
    tt_rng_seed(&r, 3);
    tt_layer *layers[] = {tt_conv2d_new(1, 4, 3, 1, 1, 1, 1, true, &r), tt_batchnorm2d_new(4, 0.1f, 1e-5f, true),
                          tt_relu_new(), tt_maxpool2d_new(2, 0, 0), tt_conv2d_new(4, 6, 3, 1, 1, 1, 1, true, &r),
                          tt_relu_new(), tt_maxpool2d_new(2, 2, 0),
                          tt_avgpool2d_new(2, 2, 1), tt_flatten_new(), tt_linear_new(24, 10, true, TT_INIT_PYTORCH, &r),
                          tt_tanh_new(), tt_dropout_new(0.5f, &r), tt_linear_new(10, 3, false, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new((int)(sizeof layers / sizeof layers[0]), layers);
    assert_int_equal(tt_layer_describe(m, d1, sizeof d1), 0);
    tt_layer *again = tt_layer_from_description(d1, err, sizeof err);
    assert_non_null(again);
    assert_int_equal(tt_layer_describe(again, d2, sizeof d2), 0);
    assert_string_equal(d1, d2);
    tt_layer_free(again);
    const char *names[3] = {"a", "b", "c"};
    tt_model_info info = {.input_ndim = 3, .input_shape = (const int64_t[]){1, 8, 8}, .input_mean = 0.5f,
                          .input_std = 0.25f, .num_classes = 3, .class_names = names};
    assert_int_equal(tt_model_save(path, m, &info, err, sizeof err), 0);
    tt_model_file f;
    assert_int_equal(tt_model_load(path, &f, err, sizeof err), 0);
    assert_int_equal(f.input_ndim, 3);
    assert_int_equal(f.input_shape[2], 8);
    assert_int_equal(f.n_norm, 1);
    assert_float_equal(f.input_std[0], 0.25, 1e-7);
    assert_int_equal(f.num_classes, 3);
    assert_string_equal(f.class_names[2], "c");
    /* same outputs in eval mode */
    tt_layer_train(m, false);
    tt_layer_train(f.model, false);
    tt_rng_seed(&r, 4);
    tt_tensor *x = tt_randn(4, (const int64_t[]){2, 1, 8, 8}, 0.0f, 1.0f, &r);
    tt_tensor *y1 = tt_layer_forward(m, x), *y2 = tt_layer_forward(f.model, x);
    assert_memory_equal(y1->data, y2->data, tt_nbytes(y1));
    float raw[2] = {0.5f, 1.0f};
    tt_model_normalize(&f, raw, 1, 2);
    assert_float_equal(raw[0], 0.0, 0.0);
    assert_float_equal(raw[1], 2.0, 1e-6);
    tt_model_file_free(&f);
    assert_null(f.model);
    /* refusals name the column */
    static const char *bad[] = {"Sequential(Linear(4, 3)", "Linear(4)", "Conv2d(1, 2)", "Wobble", "ReLU junk",
                                "MaxPool2d(kernel_size=2, padding=3)", "Linear(-1, 3)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(tt_layer_from_description(bad[i], err, sizeof err));
        assert_non_null(strstr(err, "column"));
    }
    /* a checkpoint without an architecture */
    tt_params ps;
    tt_params_init(&ps);
    tt_layer_params(m, &ps);
    assert_int_equal(tt_safetensors_save(path, &ps, NULL, 0, err, sizeof err), 0);
    assert_int_equal(tt_model_load(path, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "no \"architecture\""));
    tt_params_free(&ps);
    tt_layer_free(m);
    tt_test_rmdir(dir);
}

int main(void)
{
    (void)tt_gradcheck;
    (void)tt_test_input;
    (void)tt_assert_close;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_stratified_seeded),
        cmocka_unit_test(test_standardize),
        cmocka_unit_test(test_layer_parameters_owned),
        cmocka_unit_test(test_model_file_metadata),
        cmocka_unit_test(test_model_load_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
