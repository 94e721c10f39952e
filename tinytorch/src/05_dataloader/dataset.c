/* dataset.c - the data-set interface and the in-memory data set.
 *
 * Invariant of tt_memory_dataset: x holds len * sample_numel floats, sample i at x + i*sample_numel;
 * y holds len labels in [0, num_classes). Both are owned and freed by destroy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/data.h"

static void mem_get(const tt_dataset *ds, int64_t i, float *x, int32_t *y)
{
    const tt_memory_dataset *m = (const tt_memory_dataset *)ds;
    memcpy(x, m->x + i * ds->sample_numel, (size_t)ds->sample_numel * sizeof(float));
    *y = m->y[i];
}

static void mem_destroy(tt_dataset *ds)
{
    tt_memory_dataset *m = (tt_memory_dataset *)ds;
    free(m->x);
    free(m->y);
    free(m);
}

static const tt_dataset_ops mem_ops = {"memory", mem_get, mem_destroy};

tt_dataset *tt_dataset_from_memory(float *x, int32_t *y, int64_t len, int sample_ndim,
                                   const int64_t *sample_shape, int num_classes)
{
    if (len < 0 || sample_ndim < 0 || sample_ndim >= TT_MAX_DIMS || (len > 0 && (!x || !y))) {
        return NULL;
    }
    tt_memory_dataset *m = calloc(1, sizeof *m);
    if (!m) {
        return NULL;
    }
    m->base.ops = &mem_ops;
    m->base.len = len;
    m->base.sample_ndim = sample_ndim;
    m->base.sample_numel = 1;
    for (int d = 0; d < sample_ndim; d++) {
        int64_t v = sample_shape[d];
        if (v < 0 || (v > 0 && m->base.sample_numel > INT64_MAX / v)) { /* checked before multiplying */
            free(m);
            return NULL;
        }
        m->base.sample_shape[d] = v;
        m->base.sample_numel *= v;
    }
    if (num_classes <= 0) {
        int32_t mx = -1;
        for (int64_t i = 0; i < len; i++) {
            mx = y[i] > mx ? y[i] : mx;
        }
        num_classes = (int)mx + 1;
    }
    m->base.num_classes = num_classes;
    m->x = x;
    m->y = y;
    return &m->base;
}

tt_dataset *tt_dataset_subset(const tt_dataset *ds, const int64_t *idx, int64_t n)
{
    int64_t d = ds->sample_numel;
    float *x = malloc((size_t)(n * d > 0 ? n * d : 1) * sizeof(float));
    int32_t *y = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    if (!x || !y) {
        free(x);
        free(y);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= ds->len) {
            tt_fatal("tt_dataset_subset: index %lld out of range [0, %lld)", (long long)idx[i],
                     (long long)ds->len);
        }
        ds->ops->get(ds, idx[i], x + i * d, &y[i]);
    }
    tt_dataset *out = tt_dataset_from_memory(x, y, n, ds->sample_ndim, ds->sample_shape, ds->num_classes);
    if (!out) {
        free(x);
        free(y);
    }
    return out;
}

void tt_dataset_get(const tt_dataset *ds, int64_t i, float *x, int32_t *y)
{
    if (i < 0 || i >= ds->len) {
        tt_fatal("tt_dataset_get: index %lld out of range [0, %lld)", (long long)i, (long long)ds->len);
    }
    ds->ops->get(ds, i, x, y);
}

void tt_dataset_free(tt_dataset *ds)
{
    if (ds) {
        ds->ops->destroy(ds);
    }
}

void tt_dataset_class_counts(const tt_dataset *ds, int64_t *counts)
{
    memset(counts, 0, (size_t)ds->num_classes * sizeof *counts);
    float *x = malloc((size_t)(ds->sample_numel ? ds->sample_numel : 1) * sizeof(float));
    if (!x) {
        tt_fatal("tt_dataset_class_counts: out of memory");
    }
    for (int64_t i = 0; i < ds->len; i++) {
        int32_t y;
        ds->ops->get(ds, i, x, &y);
        if (y >= 0 && y < ds->num_classes) {
            counts[y]++;
        }
    }
    free(x);
}

int tt_dataset_shape(const tt_dataset *ds, int64_t *out)
{
    out[0] = ds->len;
    for (int d = 0; d < ds->sample_ndim; d++) {
        out[d + 1] = ds->sample_shape[d];
    }
    return ds->sample_ndim + 1;
}
