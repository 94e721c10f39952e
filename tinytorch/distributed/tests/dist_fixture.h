/* dist_fixture.h - a small learnable classification problem and model shared by the distributed
 * tests and the failure worker: 20 features, 5 classes, label = argmax of a fixed random linear map
 * of the features; MLP 20-32-ReLU-5. Everything is seeded, so every rank builds the same data. */
#ifndef TT_DIST_FIXTURE_H
#define TT_DIST_FIXTURE_H

#include <stdlib.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"

#define FIX_FEATURES 20
#define FIX_CLASSES 5

static inline tt_dataset *fixture_data(int64_t n, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    float w[FIX_FEATURES * FIX_CLASSES];
    for (int i = 0; i < FIX_FEATURES * FIX_CLASSES; i++) {
        w[i] = tt_rng_normal(&r);
    }
    float *x = malloc((size_t)n * FIX_FEATURES * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    if (!x || !y) {
        free(x);
        free(y);
        return NULL;
    }
    for (int64_t s = 0; s < n; s++) {
        float *xs = x + s * FIX_FEATURES;
        for (int f = 0; f < FIX_FEATURES; f++) {
            xs[f] = tt_rng_normal(&r);
        }
        int best = 0;
        float bv = -1e30f;
        for (int c = 0; c < FIX_CLASSES; c++) {
            float v = 0;
            for (int f = 0; f < FIX_FEATURES; f++) {
                v += w[c * FIX_FEATURES + f] * xs[f];
            }
            if (v > bv) {
                bv = v;
                best = c;
            }
        }
        y[s] = best;
    }
    int64_t shape[1] = {FIX_FEATURES};
    return tt_dataset_from_memory(x, y, n, 1, shape, FIX_CLASSES);
}

static inline tt_layer *fixture_model(uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *l[3] = {tt_linear_new(FIX_FEATURES, 32, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                      tt_linear_new(32, FIX_CLASSES, true, TT_INIT_PYTORCH, &r)};
    return tt_sequential_new(3, l);
}

#endif
