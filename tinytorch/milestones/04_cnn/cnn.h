/* cnn.h - milestone 04's own model, for the tools that load its model files (tito's zoo): the small
 * TinyDigits CNN of part 1 (LeNet-5, part 2, is the library's tt_lenet5_new). */
#ifndef TT_MS04_CNN_H
#define TT_MS04_CNN_H

#include "tinytorch/nn.h"

/* Conv2d(1, 16, 3, padding 1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding 1), ReLU,
 * MaxPool2d(2), Flatten, Linear(128, 10): 6,090 parameters for [B, 1, 8, 8] images; PyTorch's
 * default init from rng (NULL = tt_default_rng()). */
tt_layer *tt_ms04_digits_cnn_new(tt_rng *rng);

#endif
