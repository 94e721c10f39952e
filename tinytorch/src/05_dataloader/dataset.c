/* dataset.c - the data-set interface and the in-memory data set of aligned fields.
 *
 * Invariant of tt_memory_dataset: data[k] holds len * fields[k].numel values of field k's type,
 * sample i's at offset i * numel; x = data[0] when field 0 is float, y = data[1] when field 1 is an
 * int32 scalar (the classic features + label set is the two-field case). Everything is owned and
 * freed by destroy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/data.h"
#include "data_internal.h"

static size_t elem_size(tt_field_type t) { return t == TT_FIELD_I32 ? sizeof(int32_t) : sizeof(float); }

static void mem_get_field(const tt_dataset *ds, int64_t i, int k, void *dst)
{
    const tt_memory_dataset *m = (const tt_memory_dataset *)ds;
    size_t bytes = (size_t)ds->fields[k].numel * elem_size(ds->fields[k].type);
    memcpy(dst, (const char *)m->data[k] + (size_t)i * bytes, bytes);
}

static void mem_get(const tt_dataset *ds, int64_t i, float *x, int32_t *y)
{
    const tt_memory_dataset *m = (const tt_memory_dataset *)ds;
    const tt_field *f0 = &ds->fields[0];
    if (f0->type == TT_FIELD_F32) {
        memcpy(x, m->x + i * f0->numel, (size_t)f0->numel * sizeof(float));
    } else { /* int32 features (token ids) read as floats */
        const int32_t *v = (const int32_t *)m->data[0] + i * f0->numel;
        for (int64_t j = 0; j < f0->numel; j++) {
            x[j] = (float)v[j];
        }
    }
    *y = m->y ? m->y[i] : -1;
}

static void mem_destroy(tt_dataset *ds)
{
    tt_memory_dataset *m = (tt_memory_dataset *)ds;
    for (int k = 0; k < ds->num_fields; k++) {
        free(m->data[k]);
    }
    free(m);
}

static const tt_dataset_ops mem_ops = {"memory", mem_get, mem_destroy, mem_get_field};

void tt__dataset_prefetch(const tt_dataset *ds, const int64_t *idx, int64_t n)
{
    if (ds->ops != &mem_ops) {
        return;
    }
    const tt_memory_dataset *m = (const tt_memory_dataset *)ds;
    for (int k = 0; k < ds->num_fields; k++) {
        const size_t bytes = (size_t)ds->fields[k].numel * elem_size(ds->fields[k].type);
        for (int64_t j = 0; j < n; j++) {
            const char *row = (const char *)m->data[k] + (size_t)idx[j] * bytes;
            for (size_t off = 0; off < bytes && off < 256; off += 64) {
                __builtin_prefetch(row + off);
            }
        }
    }
}

/* Checks the field descriptions and fills a new memory data set's header (numel, the classic view).
 * Returns NULL with a message on a bad description. */
static tt_memory_dataset *mem_new(int64_t len, int num_fields, const tt_field *fields, char *err, size_t errlen)
{
    if (len < 0) {
        tt__data_err(err, errlen, "data set: %lld samples (must be >= 0)", (long long)len);
        return NULL;
    }
    if (num_fields < 1 || num_fields > TT_DATASET_MAX_FIELDS) {
        tt__data_err(err, errlen, "data set: %d fields (want 1 .. %d)", num_fields, TT_DATASET_MAX_FIELDS);
        return NULL;
    }
    tt_memory_dataset *m = calloc(1, sizeof *m);
    if (!m) {
        tt__data_err(err, errlen, "data set: out of memory");
        return NULL;
    }
    m->base.ops = &mem_ops;
    m->base.len = len;
    m->base.num_fields = num_fields;
    for (int k = 0; k < num_fields; k++) {
        tt_field f = fields[k];
        if ((f.type != TT_FIELD_F32 && f.type != TT_FIELD_I32) || f.ndim < 0 || f.ndim >= TT_MAX_DIMS) {
            tt__data_err(err, errlen, "data set: field %d has type %d, %d dims (want F32 or I32, 0 .. %d dims)", k,
                         (int)f.type, f.ndim, TT_MAX_DIMS - 1);
            free(m);
            return NULL;
        }
        f.numel = 1;
        for (int d = 0; d < f.ndim; d++) {
            int64_t v = f.shape[d];
            /* checked before multiplying: the block is len * numel values of at most 4 bytes */
            if (v < 0 || (v > 0 && f.numel > INT64_MAX / 4 / v)) {
                tt__data_err(err, errlen, "data set: field %d, dim %d: size %lld is negative or too large", k, d,
                             (long long)v);
                free(m);
                return NULL;
            }
            f.numel *= v;
        }
        if (len > 0 && f.numel > 0 && len > INT64_MAX / 4 / f.numel) {
            tt__data_err(err, errlen, "data set: field %d: %lld samples of %lld values overflow", k, (long long)len,
                         (long long)f.numel);
            free(m);
            return NULL;
        }
        for (int d = f.ndim; d < TT_MAX_DIMS; d++) {
            f.shape[d] = 0;
        }
        m->base.fields[k] = f;
    }
    const tt_field *f0 = &m->base.fields[0];
    m->base.sample_ndim = f0->ndim;
    memcpy(m->base.sample_shape, f0->shape, sizeof f0->shape);
    m->base.sample_numel = f0->numel;
    return m;
}

/* The classic view (x, y, num_classes) once data[] is in place. */
static void mem_finish(tt_memory_dataset *m, int num_classes)
{
    tt_dataset *b = &m->base;
    m->x = b->fields[0].type == TT_FIELD_F32 ? m->data[0] : NULL;
    m->y = b->num_fields > 1 && b->fields[1].type == TT_FIELD_I32 && b->fields[1].numel == 1 ? m->data[1] : NULL;
    if (m->y && num_classes <= 0) {
        int32_t mx = -1;
        for (int64_t i = 0; i < b->len; i++) {
            mx = m->y[i] > mx ? m->y[i] : mx;
        }
        num_classes = (int)mx + 1;
    }
    b->num_classes = m->y ? num_classes : 0;
}

tt_dataset *tt_dataset_from_memory(float *x, int32_t *y, int64_t len, int sample_ndim,
                                   const int64_t *sample_shape, int num_classes)
{
    if (sample_ndim < 0 || sample_ndim >= TT_MAX_DIMS || (len > 0 && (!x || !y))) {
        return NULL;
    }
    tt_field f[2] = {{TT_FIELD_F32, sample_ndim, {0}, 0}, {TT_FIELD_I32, 0, {0}, 0}};
    for (int d = 0; d < sample_ndim; d++) {
        f[0].shape[d] = sample_shape[d];
    }
    tt_memory_dataset *m = mem_new(len, 2, f, NULL, 0);
    if (!m) {
        return NULL;
    }
    m->data[0] = x;
    m->data[1] = y;
    mem_finish(m, num_classes);
    return &m->base;
}

tt_dataset *tt_dataset_from_fields(int64_t len, int num_fields, const tt_field *fields, const void *const *data,
                                   char *err, size_t errlen)
{
    tt_memory_dataset *m = mem_new(len, num_fields, fields, err, errlen);
    if (!m) {
        return NULL;
    }
    for (int k = 0; k < num_fields; k++) {
        size_t bytes = (size_t)(len * m->base.fields[k].numel) * elem_size(m->base.fields[k].type);
        if (bytes && !data[k]) {
            tt__data_err(err, errlen, "data set: field %d has no data", k);
            goto fail;
        }
        m->data[k] = malloc(bytes ? bytes : 1);
        if (!m->data[k]) {
            tt__data_err(err, errlen, "data set: out of memory for field %d (%zu bytes)", k, bytes);
            goto fail;
        }
        if (bytes) {
            memcpy(m->data[k], data[k], bytes);
        }
    }
    mem_finish(m, 0);
    return &m->base;
fail:
    mem_destroy(&m->base);
    return NULL;
}

tt_dataset *tt_dataset_from_tensors(int num_tensors, tt_tensor *const *t, char *err, size_t errlen)
{
    if (num_tensors < 1 || num_tensors > TT_DATASET_MAX_FIELDS) {
        tt__data_err(err, errlen, "tt_dataset_from_tensors: %d tensors (want 1 .. %d)", num_tensors,
                     TT_DATASET_MAX_FIELDS);
        return NULL;
    }
    tt_field f[TT_DATASET_MAX_FIELDS];
    const void *data[TT_DATASET_MAX_FIELDS];
    for (int k = 0; k < num_tensors; k++) {
        if (!t[k] || t[k]->ndim < 1 || t[k]->shape[0] != t[0]->shape[0]) {
            tt__data_err(err, errlen,
                         "tt_dataset_from_tensors: tensor %d has %s%lld rows, tensor 0 has %lld (every tensor is "
                         "[len, ...] with the same len)",
                         k, t[k] && t[k]->ndim >= 1 ? "" : "no rows: ",
                         t[k] && t[k]->ndim >= 1 ? (long long)t[k]->shape[0] : 0LL,
                         t[0] && t[0]->ndim >= 1 ? (long long)t[0]->shape[0] : 0LL);
            return NULL;
        }
        f[k] = (tt_field){TT_FIELD_F32, t[k]->ndim - 1, {0}, 0};
        for (int d = 1; d < t[k]->ndim; d++) {
            f[k].shape[d - 1] = t[k]->shape[d];
        }
        data[k] = t[k]->data;
    }
    return tt_dataset_from_fields(t[0]->shape[0], num_tensors, f, data, err, errlen);
}

/* Field k of sample i of any data set; datasets without get_field have the two classic fields. */
static void get_field(const tt_dataset *ds, int64_t i, int k, void *dst, float *xbuf)
{
    if (ds->ops->get_field) {
        ds->ops->get_field(ds, i, k, dst);
        return;
    }
    int32_t y;
    if (k == 0) {
        ds->ops->get(ds, i, dst, &y);
    } else {
        ds->ops->get(ds, i, xbuf, dst);
    }
}

tt_dataset *tt_dataset_subset(const tt_dataset *ds, const int64_t *idx, int64_t n)
{
    tt_field f[TT_DATASET_MAX_FIELDS];
    for (int k = 0; k < ds->num_fields; k++) {
        f[k] = tt__field(ds, k);
    }
    tt_memory_dataset *m = mem_new(n, ds->num_fields, f, NULL, 0);
    float *xbuf = malloc((size_t)(ds->sample_numel > 0 ? ds->sample_numel : 1) * sizeof(float));
    if (!m || !xbuf) {
        free(m);
        free(xbuf);
        return NULL;
    }
    for (int k = 0; k < ds->num_fields; k++) {
        size_t bytes = (size_t)ds->fields[k].numel * elem_size(ds->fields[k].type);
        m->data[k] = malloc(n * (int64_t)bytes > 0 ? (size_t)n * bytes : 1);
        if (!m->data[k]) {
            mem_destroy(&m->base);
            free(xbuf);
            return NULL;
        }
        for (int64_t i = 0; i < n; i++) {
            if (idx[i] < 0 || idx[i] >= ds->len) {
                tt_fatal("tt_dataset_subset: index %lld out of range [0, %lld)", (long long)idx[i],
                         (long long)ds->len);
            }
            get_field(ds, idx[i], k, (char *)m->data[k] + (size_t)i * bytes, xbuf);
        }
    }
    free(xbuf);
    mem_finish(m, ds->num_classes);
    return &m->base;
}

int tt_dataset_reshape(tt_dataset *ds, int ndim, const int64_t *shape)
{
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] > 0 && numel > INT64_MAX / shape[d])) {
            return -1;
        }
        numel *= shape[d];
    }
    if (ndim < 0 || ndim >= TT_MAX_DIMS || numel != ds->fields[0].numel) {
        return -1;
    }
    ds->sample_ndim = ds->fields[0].ndim = ndim;
    for (int d = 0; d < TT_MAX_DIMS; d++) {
        ds->sample_shape[d] = ds->fields[0].shape[d] = d < ndim ? shape[d] : 0;
    }
    return 0;
}

void tt_dataset_get_field(const tt_dataset *ds, int64_t i, int k, void *dst)
{
    if (i < 0 || i >= ds->len || k < 0 || k >= ds->num_fields) {
        tt_fatal("tt_dataset_get_field: sample %lld, field %d out of range ([0, %lld), [0, %d))", (long long)i, k,
                 (long long)ds->len, ds->num_fields);
    }
    float *xbuf = ds->ops->get_field || k == 0 ? NULL : malloc((size_t)ds->sample_numel * sizeof(float) + 1);
    get_field(ds, i, k, dst, xbuf);
    free(xbuf);
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
