/* checkpoint.h - saving and loading named tensors in the safetensors format (module 08).
 *
 * File layout (https://huggingface.co/docs/safetensors): 8 bytes, the header length N as a
 * little-endian uint64; N bytes of JSON, {"<name>": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value", ...}}, padded with spaces to a
 * multiple of 8; then the raw little-endian tensor bytes, offsets relative to the end of the header.
 * Tensors are written in list order and packed without gaps, as the reference implementation requires.
 *
 * Save never leaves a half-written file: it writes a temporary file in the same directory, fsyncs it
 * and renames it over <path> (atomic on POSIX; tinytorch/fileio.h). Load checks the whole file before it
 * touches a tensor: header length, JSON, every entry's dtype / shape / offsets, gaps, overlaps and the
 * file size; then every requested tensor must exist with dtype F32 and the same shape. Any problem is
 * refused with a message naming the file and the tensor, and leaves the destination tensors unchanged.
 * Round trips are bit-exact.
 */
#ifndef TINYTORCH_CHECKPOINT_H
#define TINYTORCH_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"

typedef struct tt_kv { const char *key; const char *value; } tt_kv;

/* JSON values a safetensors header may hold: about 15 per tensor, so 2^20 allows some 70,000 tensors
 * (a 70B-parameter model has under 1,000) and bounds the parsed tree near 100 MB. Every reader of
 * safetensors headers (module 08's, module 15's int8 files) parses with this bound. */
#define TT_SAFETENSORS_MAX_VALUES ((size_t)1 << 20)

/* Writes every tensor of `tensors` (names as listed, e.g. from tt_layer_params / tt_optim_state) and
 * n_meta metadata strings. Returns 0, or -1 with a message (duplicate name, I/O error). */
int tt_safetensors_save(const char *path, const tt_params *tensors, const tt_kv *meta, int n_meta,
                        char *err, size_t errlen);

/* Fills every tensor of `into` from the file (matched by name). strict: the file may hold no other
 * tensors. Returns 0, or -1 with a message; on error no tensor was modified. */
int tt_safetensors_load(const char *path, const tt_params *into, bool strict, char *err, size_t errlen);

/* Reads one "__metadata__" value into out (NUL-terminated, truncated to outlen). Returns 0, 1 when the
 * key is absent, -1 on a bad file. */
int tt_safetensors_meta(const char *path, const char *key, char *out, size_t outlen, char *err,
                        size_t errlen);

/* A safetensors file opened once and validated whole (the same checks as tt_safetensors_load), for
 * readers of tensors other than F32 (module 15's int8 models: I8 weights, I32 biases). */
typedef struct tt_safetensors_file tt_safetensors_file;
tt_safetensors_file *tt_safetensors_open(const char *path, char *err, size_t errlen); /* NULL + message */
void tt_safetensors_close(tt_safetensors_file *f);                                     /* NULL is fine */
/* ndim of tensor `name` (its dtype and shape through the pointers, which may be NULL), or -1 if absent. */
int tt_safetensors_tensor_info(const tt_safetensors_file *f, const char *name, const char **dtype, int64_t *shape);
/* Copies tensor `name` into out in host byte order; it must have exactly this dtype ("F32", "I32" or
 * "I8") and shape. Returns 0, or -1 with a message naming the file and the tensor. */
int tt_safetensors_read(const tt_safetensors_file *f, const char *name, const char *dtype, int ndim,
                        const int64_t *shape, void *out, char *err, size_t errlen);
/* A "__metadata__" value, or NULL when the key is absent. */
const char *tt_safetensors_meta_value(const tt_safetensors_file *f, const char *key);

/* A training checkpoint: the model's parameters under their own names ("0.weight") and, when opt is
 * not NULL, the optimizer's state under "optimizer.<state name>" ("optimizer.exp_avg.0.weight"), so a
 * run resumes exactly. Load is strict about the model's tensors; optimizer state is required only
 * when opt is not NULL. */
int tt_checkpoint_save(const char *path, tt_layer *model, const tt_optimizer *opt, const tt_kv *meta,
                       int n_meta, char *err, size_t errlen);
int tt_checkpoint_load(const char *path, tt_layer *model, tt_optimizer *opt, char *err, size_t errlen);

/* ---- self-describing model files ---------------------------------------------------------------
 * A model file is a checkpoint (model tensors only, loadable with tt_checkpoint_load) whose metadata
 * says how to use the model elsewhere, each value a JSON text:
 *   format "tinytorch-model", architecture "Sequential(Flatten, Linear(64, 32), ReLU, ...)",
 *   input_shape [1,28,28], input_mean / input_std [one value or one per feature] (apply
 *   (x - mean) / std to raw inputs), classes ["T-shirt", ...] (or ["0", "1", ...]). */
typedef struct tt_model_info {
    const tt_dataset *data;            /* gives input_shape and num_classes when those are left 0 */
    int input_ndim;                    /* one sample's shape (0: not recorded) */
    const int64_t *input_shape;
    const tt_standardizer *norm;       /* per-feature mean / std (NULL: none) ... */
    float input_mean, input_std;       /* ... or one value for every feature (used when input_std > 0) */
    int num_classes;                   /* 0: not recorded */
    const char *const *class_names;    /* num_classes names; NULL: "0", "1", ... */
    const tt_optimizer *opt;           /* saved too when not NULL (a training checkpoint that resumes) */
    const tt_kv *extra;                /* more metadata strings */
    int n_extra;
} tt_model_info;

int tt_model_save(const char *path, tt_layer *model, const tt_model_info *info, char *err, size_t errlen);
/* A one-line description of the model, e.g. "Sequential(Linear(4, 16), ReLU, Linear(16, 3))".
 * Returns 0, or -1 when it does not fit in len bytes (truncated). */
int tt_layer_describe(tt_layer *l, char *buf, size_t len);
/* The model a description names, freshly initialised (NULL with "column N: reason" on a bad one).
 * Knows Sequential, Linear, Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, ReLU, Sigmoid, Tanh, GELU,
 * Flatten, Dropout; older files' fused "Conv2dReLU" / "Conv2dReLUPool" become Conv2d, ReLU [,
 * MaxPool2d(2)] (tt_model_load still finds their tensors under the old names). */
tt_layer *tt_layer_from_description(const char *desc, char *err, size_t errlen);

/* A model file read back: the model rebuilt from its architecture and loaded, and its metadata. */
typedef struct tt_model_file {
    tt_layer *model;
    char architecture[4096];
    int input_ndim;                    /* 0 when not recorded */
    int64_t input_shape[TT_MAX_DIMS];
    int64_t n_norm;                    /* 0 (none), 1 (one value) or one per feature */
    float *input_mean, *input_std;
    int num_classes;                   /* 0 when not recorded */
    char **class_names;
} tt_model_file;
/* Returns 0, or -1 with a message naming the file and the field (no architecture, an unknown layer,
 * tensors that do not match, malformed metadata). */
int tt_model_load(const char *path, tt_model_file *m, char *err, size_t errlen);
/* Applies (x - input_mean) / input_std to n_samples raw samples of sample_numel values each. */
void tt_model_normalize(const tt_model_file *m, float *x, int64_t n_samples, int64_t sample_numel);
void tt_model_file_free(tt_model_file *m);               /* zeroed after; a zeroed one is fine */

#endif
