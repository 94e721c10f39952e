/* workload.h - MLPerf EDU's benchmarks built from TinyTorch models: each one is a QSL (its test set)
 * and a SUT (the model behind a request queue), plus how to score its accuracy-mode responses.
 *
 *   lenet5   image classification: LeNet-5 on Fashion-MNIST's 10,000 test images (milestone 04's
 *            model). Weights: --checkpoint FILE (e.g. from `tito milestone run 04 --out DIR`), else
 *            <out>/lenet5_fashion_mnist.safetensors when it exists, else it is trained first (Adam,
 *            cosine, batch 64, train_epochs epochs) and saved there.
 *            Closed division: accuracy >= 99 % of the fp32 reference accuracy (the same weights run
 *            through tt_evaluate's batched fp32 path).
 *   lenet5-int8  the same weights quantized with module 15 (int8 weights per channel, int8
 *            activations calibrated on 1,000 training images); the SUT runs the int8 kernels. Its
 *            closed-division target is still >= 99 % of the fp32 reference.
 *
 * The SUT runs inference on one worker thread (TinyTorch's step arena belongs to one thread; kernels
 * use `threads` OpenMP threads inside). It takes up to max_batch queued samples per forward pass
 * (dynamic batching; 1 = one sample per pass, the Server model-vs-reality setting).
 */
#ifndef MLPERF_EDU_WORKLOAD_H
#define MLPERF_EDU_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mlperf_edu/loadgen.h"

typedef struct mle_workload_opts {
    const char *name;          /* "lenet5" */
    const char *checkpoint;    /* NULL: see above */
    const char *data_dir;      /* holds fashion-mnist/ (NULL: $MLSB_DATA, ./data, the source tree's data/) */
    const char *out_dir;       /* trained weights go here (NULL: runs/) */
    int threads;               /* kernel threads (0: 1) */
    int max_batch;             /* 0: 64 */
    int train_epochs;          /* 0: 3 */
    uint64_t seed;             /* training seed (0: 42) */
    bool quiet;
    /* lenet5 only: after loading, remove this fraction of every convolution's output channels
     * (module 16's structured pruning, 0: none) and fine-tune for finetune_epochs over the first
     * finetune_samples training images, evenly spaced (0: all). The closed-division reference stays
     * the unpruned fp32 model's accuracy. */
    double prune_channels;
    int finetune_epochs;
    int64_t finetune_samples;
} mle_workload_opts;

typedef struct mle_workload mle_workload;

/* Names the workloads this build has, e.g. for --help. */
extern const char *const mle_workload_names[];
extern const int mle_workload_count;

/* Loads data and weights (training them when needed). Returns 0, or -1 with a message naming the file
 * or field (unknown workload, missing data, a checkpoint of another model). */
int mle_workload_open(const mle_workload_opts *o, mle_workload **out, char *err, size_t errlen);
void mle_workload_close(mle_workload *w);     /* NULL is fine */

const mle_sut *mle_workload_sut(mle_workload *w);
const mle_qsl *mle_workload_qsl(mle_workload *w);
/* Sets the largest batch the SUT's worker may form (>= 1). */
void mle_workload_set_max_batch(mle_workload *w, int max_batch);

/* Accuracy of an accuracy-mode result (every sample answered with its predicted class as int32). */
int mle_workload_score(mle_workload *w, const mle_result *r, double *accuracy, char *err, size_t errlen);
/* The fp32 reference accuracy on the whole test set (batched tt_evaluate). */
double mle_workload_reference_accuracy(mle_workload *w);
/* The closed division's quality target as a fraction of the reference (0.99). */
double mle_workload_quality_target(const mle_workload *w);
/* Description and provenance: the model, the checkpoint path and its SHA-256 (hex), the data path. */
const char *mle_workload_model(const mle_workload *w);
const char *mle_workload_checkpoint(const mle_workload *w);
const char *mle_workload_data_dir(const mle_workload *w);
int64_t mle_workload_params(const mle_workload *w);
/* Bytes of the parameters the SUT runs (fp32: 4 per parameter; int8: weights, biases, scales). */
size_t mle_workload_param_bytes(const mle_workload *w);

/* Module 14's step profile of the fp32 LeNet-5 (forward + backward of `batch` test images, `steps`
 * steps) with the machine's roofline, written as JSON and SVG. *step_s gets the plain step time and
 * *top the kind of the layer with the largest share. Returns 0, or -1 with a message (gpt-char:
 * not supported). */
int mle_workload_profile(mle_workload *w, int batch, int steps, const char *json_path, const char *svg_path,
                         double *step_s, char *top, size_t toplen, char *err, size_t errlen);

/* Time to train (MLPerf Training's metric): trains LeNet-5 from scratch with `seed`, evaluating on the
 * test set after every epoch, and stops when test accuracy >= target. *seconds is the training time
 * from the first step (evaluation excluded); *epochs the epochs it took. Returns 0 when reached,
 * 1 when max_epochs ran out (seconds = the whole run), -1 on error. */
int mle_time_to_train(const mle_workload_opts *o, double target, int max_epochs, double *seconds, int *epochs,
                      double *accuracy, char *err, size_t errlen);

#endif
