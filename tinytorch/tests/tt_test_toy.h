/* tt_test_toy.h - a toy image task and CNN for the tests of int8 quantization and of the kits that
 * export its models: n 12x12 one-channel images of 4 classes (a bright blob in one of the four
 * quadrants, plus seeded noise) and a small CNN (conv+ReLU+pool, conv+ReLU, flatten, two linears)
 * with seeded random weights, in eval mode. Bit-exactness checks need no trained model. */
#ifndef TT_TEST_TOY_H
#define TT_TEST_TOY_H

#include <math.h>
#include <stdlib.h>
#include "tinytorch/conv.h"
#include "tinytorch/data.h"

static inline tt_dataset *tt_test_toy_images(int64_t n, uint64_t seed)
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

static inline tt_layer *tt_test_toy_cnn(void)
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

#endif
