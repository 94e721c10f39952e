/* dscnn.h - a keyword-spotting-shaped model and a synthetic feature set to train it on (kits/models/).
 *
 * The data is SYNTHETIC: no audio and no Speech Commands recording is involved. kit_kws_synth draws
 * 49 x 10 "MFCC-like" feature maps (49 frames of 10 coefficients, the input shape of Hello Edge's and
 * MLPerf Tiny's keyword-spotting models) from a seeded generator: 12 classes as in the Speech Commands
 * v2 12-class task (0 silence, 1 unknown, 2..11 ten keywords). A keyword is 2 to 4 "phoneme"
 * segments, each a Gaussian bump in time times a fixed spectral shape that decays with the
 * coefficient index; every class has its own segments (the same for every seed). Each sample shifts,
 * stretches and scales its word, perturbs each segment's spectrum, adds a per-sample channel offset
 * per coefficient and white noise. "Unknown" samples are words built from fresh random segments,
 * "silence" is the background alone. The same (seed, index) always gives the same sample.
 *
 * kit_dscnn_new builds the DS-CNN of Hello Edge (Zhang et al. 2017, arXiv:1711.07128) at the MLPerf
 * Tiny KWS size (64 channels): Conv2d 1->64 with a 10x4 kernel, stride 2, + BatchNorm + ReLU; four
 * depthwise-separable blocks (depthwise 3x3 + BatchNorm + ReLU, pointwise 1x1 64->64 + BatchNorm +
 * ReLU); global average pooling; Linear 64->12. Differences from the reference: the first conv pads 1
 * on every side (square padding, the int8 format's rule) instead of TensorFlow's "same", so its output
 * is 21x5, not 25x5; no dropout. 23,180 trainable parameters; folded and quantized: 22,016 int8 weights
 * and 588 int32 biases.
 */
#ifndef KITS_DSCNN_H
#define KITS_DSCNN_H

#include <stdint.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"

#define KIT_KWS_FRAMES 49
#define KIT_KWS_COEFFS 10
#define KIT_KWS_CLASSES 12

/* Sample `index` of the set drawn with `seed`: x [49 * 10] (frame-major), its label in [0, 12). */
void kit_kws_sample(uint64_t seed, int64_t index, float *x, int32_t *label);
/* n samples (labels cycle through the 12 classes) as an in-memory data set of [1, 49, 10] images;
 * NULL when out of memory. */
tt_dataset *kit_kws_dataset(uint64_t seed, int64_t n);
/* The class names ("silence", "unknown", "yes", ... "go"): Speech Commands' words, as labels only. */
const char *kit_kws_class_name(int label);

/* A global average pool as a layer ("GlobalAvgPool2d"): [N, C, H, W] -> [N, C, 1, 1]. */
tt_layer *kit_global_avgpool_new(void);
/* The DS-CNN above, initialised from seed (PyTorch's default init). */
tt_layer *kit_dscnn_new(uint64_t seed);

typedef struct kit_dscnn_opts {
    int64_t n_train, n_test;   /* synthetic samples (default 6000 / 2000) */
    int epochs;                /* default 8 */
    int64_t batch;             /* default 64 */
    float lr;                  /* Adam, cosine to 0 (default 3e-3) */
    uint64_t seed;             /* data and init (default 1); the test set uses seed + 1000 */
    int64_t calib;             /* calibration images for the int8 model (default 500, from the training set) */
    int verbose;               /* one line per epoch on stderr */
} kit_dscnn_opts;

typedef struct kit_dscnn_result {
    double float_accuracy, int8_accuracy;   /* on the synthetic test set */
    double last_loss;                       /* mean training loss of the last epoch */
    int64_t params;                         /* trainable float parameters */
    double train_seconds;
} kit_dscnn_result;

/* Trains the DS-CNN on the synthetic set, quantizes it (module 15, min-max calibration) and writes into
 * out_dir: dscnn.int8.safetensors (the int8 model), dscnn.safetensors (the float parameters),
 * kws_test.safetensors (the test set: "x" F32 [N, 1, 49, 10], "y" F32 [N] class indices; kit run --data
 * reads it).
 * Returns 0, or -1 with a message. */
int kit_dscnn_train(const char *out_dir, const kit_dscnn_opts *opts, kit_dscnn_result *res, char *err,
                    size_t errlen);

/* A labelled set saved as safetensors ("x" F32 [N, ...], "y" F32 [N]: whole class indices) and read back. */
int kit_dataset_save(const char *path, const tt_dataset *ds, char *err, size_t errlen);
/* Returns the data set, or NULL with a message naming the file and the tensor at fault. */
tt_dataset *kit_dataset_load(const char *path, char *err, size_t errlen);

#endif
