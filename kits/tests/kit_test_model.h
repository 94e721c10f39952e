/* kit_test_model.h - small int8 models for the kit tests: the quantization tests' toy CNN
 * (tinytorch/tests/tt_test_toy.h) quantized with its 12x12 toy images, and the DS-CNN. Bit-exactness does
 * not need a trained model; the figures in ABOUT.md come from trained ones. */
#ifndef KIT_TEST_MODEL_H
#define KIT_TEST_MODEL_H

#include <math.h>
#include <stdlib.h>
#include "tinytorch/conv.h"
#include <string.h>
#include "kits/dscnn.h"
#include "tinytorch/quant.h"
#include "../../tinytorch/tests/tt_test_toy.h" /* tt_test_toy_images, tt_test_toy_cnn */

/* Quantizes the toy CNN and saves it to path; returns the loaded int8 model (the reference). */
static tt_qmodel *kt_make_q(const char *path, tt_dataset *ds)
{
    char err[512];
    tt_layer *model = tt_test_toy_cnn();
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
