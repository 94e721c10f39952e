/* kit_test_model.h - small int8 models for the kit tests: a CNN (conv+ReLU+pool fused, conv+ReLU,
 * flatten, two linears) quantized from seeded random weights with 12x12 toy images. Bit-exactness does
 * not need a trained model; the figures in ABOUT.md come from trained ones. */
#ifndef KIT_TEST_MODEL_H
#define KIT_TEST_MODEL_H

#include <math.h>
#include <stdlib.h>
#include "tinytorch/conv.h"
#include <string.h>
#include "kits/dscnn.h"
#include "tinytorch/quant.h"

static tt_dataset *kt_images(int64_t n, uint64_t seed)
{
    float *x = malloc((size_t)(n * 144) * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    tt_rng r;
    tt_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 4);
        for (int p = 0; p < 144; p++) {
            int row = p / 12, col = p % 12, cy = 3 + 6 * (y[i] / 2), cx = 3 + 6 * (y[i] % 2);
            float d2 = (float)((row - cy) * (row - cy) + (col - cx) * (col - cx));
            x[i * 144 + p] = 2.0f * expf(-d2 / 6.0f) + 0.3f * tt_rng_normal(&r) - 0.4f;
        }
    }
    const int64_t shape[3] = {1, 12, 12};
    return tt_dataset_from_memory(x, y, n, 3, shape, 4);
}

static tt_layer *kt_cnn(void)
{
    tt_rng r;
    tt_rng_seed(&r, 11);
    tt_layer *l[8] = {tt_conv2d_new(1, 4, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
                      tt_conv2d_new(4, 6, 3, 1, 0, 1, 1, true, &r), tt_relu_new(), tt_flatten_new(),
                      tt_linear_new(96, 16, true, TT_INIT_PYTORCH, &r), tt_linear_new(16, 4, true, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(8, l);
    tt_layer_train(m, false);
    return m;
}

/* Quantizes the toy CNN and saves it to path; returns the loaded int8 model (the reference). */
static tt_qmodel *kt_make_q(const char *path, tt_dataset *ds)
{
    char err[512];
    tt_layer *model = kt_cnn();
    const int64_t in_shape[3] = {1, 12, 12};
    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 64, NULL, err, sizeof err);
    if (!q || tt_qmodel_save(q, path, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "kt_make_q: %s\n", err);
        abort();
    }
    tt_qmodel_free(q);
    tt_layer_free(model);
    q = tt_qmodel_load(path, err, sizeof err);
    if (!q) {
        fprintf(stderr, "kt_make_q: %s\n", err);
        abort();
    }
    return q;
}

/* The DS-CNN (kits/dscnn.h), untrained, with its BatchNorm layers given random statistics (so folding
 * matters and the activations are not degenerate), quantized with 96 synthetic KWS samples and saved
 * to path; returns the loaded int8 model. */
static tt_qmodel *kt_make_dscnn_q(const char *path)
{
    char err[512];
    tt_layer *model = kit_dscnn_new(7);
    tt_rng r;
    tt_rng_seed(&r, 8);
    for (int i = 0; i < tt_sequential_len(model); i++) {
        tt_layer *l = tt_sequential_at(model, i);
        if (strcmp(l->ops->kind, "BatchNorm2d") == 0) {
            tt_batchnorm2d_layer *bn = (tt_batchnorm2d_layer *)l;
            for (int64_t c = 0; c < bn->num_features; c++) {
                bn->running_mean->data[c] = 0.05f * tt_rng_normal(&r);
                bn->running_var->data[c] = 0.02f + 0.05f * tt_rng_uniform(&r);
                bn->weight->data[c] = 0.5f + tt_rng_uniform(&r);
                bn->bias->data[c] = 0.3f * tt_rng_normal(&r);
            }
        }
    }
    tt_layer_train(model, false);
    tt_dataset *ds = kit_kws_dataset(3, 96);
    const int64_t in_shape[3] = {1, KIT_KWS_FRAMES, KIT_KWS_COEFFS};
    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 96, NULL, err, sizeof err);
    if (!q || tt_qmodel_save(q, path, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "kt_make_dscnn_q: %s\n", err);
        abort();
    }
    tt_qmodel_free(q);
    tt_layer_free(model);
    tt_dataset_free(ds);
    q = tt_qmodel_load(path, err, sizeof err);
    if (!q) {
        fprintf(stderr, "kt_make_dscnn_q: %s\n", err);
        abort();
    }
    return q;
}

#endif
