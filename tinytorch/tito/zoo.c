/* zoo.c - the milestone architectures tito's optimization commands recognise (see zoo.h): the
 * library's tt_lenet5_new and tt_mlp_new, and milestone 04's TinyDigits CNN (04_cnn/cnn.h). */
#define _POSIX_C_SOURCE 200809L
#include "zoo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "04_cnn/cnn.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

static tt_layer *make_digits_cnn(void) { return tt_ms04_digits_cnn_new(NULL); }

static tt_layer *make_lenet5(void) { return tt_lenet5_new(NULL); }
static tt_layer *make_fashion_mlp(void) { return tt_mlp_new(3, (const int64_t[]){784, 128, 10}, NULL); }
static tt_layer *make_digits_mlp(void) { return tt_mlp_new(3, (const int64_t[]){64, 32, 10}, NULL); }

static const tito_zoo_entry zoo[] = {
    {"LeNet-5", "04", "fashion-mnist", make_lenet5, 3, {1, 28, 28}},
    {"MLP 784-128-10", "03", "fashion-mnist", make_fashion_mlp, 3, {1, 28, 28}},
    {"CNN 16-32 (TinyDigits)", "04", "tinydigits", make_digits_cnn, 3, {1, 8, 8}},
    {"MLP 64-32-10 (TinyDigits)", "03", "tinydigits", make_digits_mlp, 3, {1, 8, 8}},
};

/* The entry of a self-describing model file, by its architecture: a model file written before
 * Conv2d, ReLU and MaxPool2d were separate layers names its tensors with the old indices, so no
 * entry's names match, but its architecture string still says which model it is (tt_model_load
 * reads the old names); a derived model goes to its family (below). NULL when the file is neither. */
static const tito_zoo_entry *by_architecture(const char *path, tt_layer **model)
{
    tt_model_file mf;
    char e[512], got[1024], want[1024];
    if (tt_model_load(path, &mf, e, sizeof e) != 0) {
        return NULL;
    }
    const tito_zoo_entry *hit = NULL, *family = NULL;
    if (tt_layer_describe(mf.model, got, sizeof got) == 0) {
        /* A model derived from a milestone's (pruned to fewer channels, or factored into more
         * Linear layers, by tito compress) has its own architecture: it belongs to the entry of
         * the same input shape and kind (convolutional or not), whose data set it reads. An
         * entry whose architecture is the model's own comes first. */
        const bool conv = strstr(got, "Conv2d(") != NULL;
        for (size_t i = 0; !hit && i < sizeof zoo / sizeof zoo[0]; i++) {
            tt_layer *m = zoo[i].make();
            if (tt_layer_describe(m, want, sizeof want) == 0) {
                if (strcmp(got, want) == 0) {
                    hit = &zoo[i];
                } else if (!family && mf.input_ndim == zoo[i].in_ndim &&
                           memcmp(mf.input_shape, zoo[i].in_shape, (size_t)zoo[i].in_ndim * sizeof(int64_t)) == 0 &&
                           (strstr(want, "Conv2d(") != NULL) == conv) {
                    family = &zoo[i];
                }
            }
            tt_layer_free(m);
        }
        hit = hit ? hit : family;
    }
    if (hit) {
        *model = mf.model;
        mf.model = NULL;
        tt_layer_train(*model, false);
    }
    tt_model_file_free(&mf);
    return hit;
}

const tito_zoo_entry *tito_zoo_load(const char *path, tt_layer **model, char *err, size_t errlen)
{
    char first[512] = "";
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        tt_layer *m = zoo[i].make();
        char e[512];
        if (tt_checkpoint_load(path, m, NULL, e, sizeof e) == 0) {
            tt_layer_train(m, false);
            *model = m;
            return &zoo[i];
        }
        tt_layer_free(m);
        if (i == 0) {
            snprintf(first, sizeof first, "%s", e);
        }
        if (strstr(e, "cannot open") || strstr(e, "truncated") || strstr(e, "corrupt") || strstr(e, "not a")) {
            snprintf(err, errlen, "%s", e); /* the file itself is bad: no other model will do better */
            return NULL;
        }
    }
    const tito_zoo_entry *old = by_architecture(path, model);
    if (old) {
        return old;
    }
    snprintf(err, errlen, "%s: not a checkpoint of a milestone model (LeNet-5, the MLPs, the TinyDigits CNN): "
             "as LeNet-5: %s", path, first);
    return NULL;
}

const char *tito_zoo_derived(const tito_zoo_entry *e, tt_layer *model, char *buf, size_t len)
{
    char got[1024], want[1024];
    tt_layer *m = e->make();
    const int same = tt_layer_describe(model, got, sizeof got) == 0 && tt_layer_describe(m, want, sizeof want) == 0 &&
                     strcmp(got, want) == 0;
    tt_layer_free(m);
    if (same || len == 0) {
        return "";
    }
    snprintf(buf, len, ", derived: %s", got);
    return buf;
}

const tito_zoo_entry *tito_zoo_milestone(const char *id)
{
    char *end;
    long v = strtol(id, &end, 10);
    if (*id == 0 || *end != 0) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        if (atol(zoo[i].milestone) == v && strcmp(zoo[i].data, "fashion-mnist") == 0) {
            return &zoo[i];
        }
    }
    return NULL;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tito_data_dir(const char *given)
{
    const char *env = getenv("MLSB_DATA");
    if (given) {
        return given;
    }
    if (env && *env) {
        return env;
    }
    return is_dir("data") ? "data" : MLSB_SOURCE_DIR "/data";
}

int tito_zoo_data(const tito_zoo_entry *e, const char *data_dir, uint64_t seed, tt_dataset **train,
                  tt_dataset **test, char *err, size_t errlen)
{
    char p[1024];
    if (strcmp(e->data, "fashion-mnist") == 0) {
        snprintf(p, sizeof p, "%s/fashion-mnist", data_dir);
        /* the milestones' normalisation: Fashion-MNIST's training mean and std (milestones/ms_common.h) */
        if (tt_load_mnist(p, "train", 0.2860f, 0.3530f, train, err, errlen) != 0) {
            return -1;
        }
        if (tt_load_mnist(p, "t10k", 0.2860f, 0.3530f, test, err, errlen) != 0) {
            tt_dataset_free(*train);
            return -1;
        }
        return 0;
    }
    snprintf(p, sizeof p, "%s/digits.csv.gz", data_dir);
    return tt_load_tinydigits(p, seed, train, test, err, errlen);
}

double tito_float_accuracy(tt_layer *model, const tt_dataset *ds)
{
    const int64_t B = 500, numel = ds->sample_numel;
    float *x = malloc((size_t)(B * numel) * sizeof(float));
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    int64_t correct = 0;
    if (!x || !y) {
        free(x);
        free(y);
        return -1.0;
    }
    int64_t shape[TT_MAX_DIMS];
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[1 + d] = ds->sample_shape[d];
    }
    tt_no_grad_begin();
    for (int64_t i0 = 0; i0 < ds->len; i0 += B) {
        const int64_t b = ds->len - i0 < B ? ds->len - i0 : B;
        for (int64_t i = 0; i < b; i++) {
            tt_dataset_get(ds, i0 + i, x + i * numel, y + i);
        }
        tt_arena_mark mk = tt_arena_get_mark();
        shape[0] = b;
        tt_tensor *out = tt_layer_forward(model, tt_from_data(1 + ds->sample_ndim, shape, x));
        const int64_t C = out->shape[out->ndim - 1];
        for (int64_t i = 0; i < b; i++) {
            int64_t best = 0;
            for (int64_t c = 1; c < C; c++) {
                best = out->data[i * C + c] > out->data[i * C + best] ? c : best;
            }
            correct += best == y[i];
        }
        tt_arena_release(mk);
    }
    tt_no_grad_end();
    free(x);
    free(y);
    return (double)correct / (double)ds->len;
}
