/* split.c - a seeded, stratified train/test split and per-feature standardisation of data sets.
 *
 * The split puts round(test_fraction * count) samples of every class into the test set (at least one
 * when the class has two or more samples, never all of them), chosen by a seeded shuffle within the
 * class, so every class keeps its share in both halves. Both halves are then shuffled (seeded) so the
 * classes are interleaved. The standardiser keeps the training set's per-feature mean and standard
 * deviation (population, computed in double) and applies (x - mean) / std to any in-memory data set.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/data.h"

static int fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) {
        snprintf(err, errlen, "%s", msg);
    }
    return -1;
}

int tt_dataset_split(const tt_dataset *ds, double test_fraction, uint64_t seed, tt_dataset **train,
                     tt_dataset **test, char *err, size_t errlen)
{
    *train = *test = NULL;
    if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
        return fail(err, errlen, "tt_dataset_split: the test fraction must lie strictly between 0 and 1");
    }
    if (ds->len < 2 || ds->num_classes < 1) {
        return fail(err, errlen, "tt_dataset_split: need at least 2 samples");
    }
    int64_t n = ds->len, C = ds->num_classes;
    int64_t *by_class = malloc((size_t)n * sizeof *by_class), *start = calloc((size_t)C + 1, sizeof *start);
    int64_t *tr = malloc((size_t)n * sizeof *tr), *te = malloc((size_t)n * sizeof *te);
    float *x = malloc((size_t)ds->sample_numel * sizeof *x);
    int rc = -1;
    if (!by_class || !start || !tr || !te || !x) {
        fail(err, errlen, "tt_dataset_split: out of memory");
        goto done;
    }
    int32_t y;
    for (int64_t i = 0; i < n; i++) { /* counting sort of the indices by label */
        ds->ops->get(ds, i, x, &y);
        if (y < 0 || y >= C) {
            fail(err, errlen, "tt_dataset_split: a label lies outside [0, num_classes)");
            goto done;
        }
        start[y + 1]++;
    }
    for (int64_t c = 0; c < C; c++) {
        start[c + 1] += start[c];
    }
    int64_t *fill = tr; /* reused as the per-class write cursor before it holds indices */
    memcpy(fill, start, (size_t)C * sizeof *fill);
    for (int64_t i = 0; i < n; i++) {
        ds->ops->get(ds, i, x, &y);
        by_class[fill[y]++] = i;
    }
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    int64_t ntr = 0, nte = 0;
    for (int64_t c = 0; c < C; c++) {
        int64_t cnt = start[c + 1] - start[c];
        int64_t k = (int64_t)llround(test_fraction * (double)cnt);
        if (cnt >= 2 && k < 1) {
            k = 1;
        }
        if (k >= cnt && cnt >= 1) {
            k = cnt - 1;
        }
        tt_rng_shuffle(&rng, by_class + start[c], cnt);
        memcpy(te + nte, by_class + start[c], (size_t)k * sizeof *te);
        nte += k;
        memmove(by_class + ntr, by_class + start[c] + k, (size_t)(cnt - k) * sizeof *by_class);
        ntr += cnt - k; /* by_class[0..ntr) now holds the training indices (ntr <= start[c] + k) */
    }
    if (nte == 0) {
        fail(err, errlen, "tt_dataset_split: no class has two samples; nothing to test on");
        goto done;
    }
    tt_rng_shuffle(&rng, by_class, ntr);
    tt_rng_shuffle(&rng, te, nte);
    *train = tt_dataset_subset(ds, by_class, ntr);
    *test = tt_dataset_subset(ds, te, nte);
    if (!*train || !*test) {
        tt_dataset_free(*train);
        tt_dataset_free(*test);
        *train = *test = NULL;
        fail(err, errlen, "tt_dataset_split: out of memory");
        goto done;
    }
    (*train)->num_classes = (*test)->num_classes = ds->num_classes;
    rc = 0;
done:
    free(by_class);
    free(start);
    free(tr);
    free(te);
    free(x);
    return rc;
}

static tt_memory_dataset *as_memory(const tt_dataset *ds, const char *who)
{
    if (!ds || strcmp(ds->ops->kind, "memory") != 0) {
        tt_fatal("%s: needs an in-memory data set (tt_dataset_from_memory or a file loader), not '%s'", who,
                 ds ? ds->ops->kind : "NULL");
    }
    if (!((const tt_memory_dataset *)ds)->x) {
        tt_fatal("%s: field 0 of the data set is int32; standardisation needs float features", who);
    }
    return (tt_memory_dataset *)(uintptr_t)ds;
}

int tt_standardizer_fit(tt_standardizer *s, const tt_dataset *ds)
{
    memset(s, 0, sizeof *s);
    const tt_memory_dataset *m = as_memory(ds, "tt_standardizer_fit");
    int64_t F = ds->sample_numel, n = ds->len;
    double *sum = calloc((size_t)F + 1, sizeof *sum), *sq = calloc((size_t)F + 1, sizeof *sq);
    s->mean = malloc(((size_t)F + 1) * sizeof *s->mean);
    s->std = malloc(((size_t)F + 1) * sizeof *s->std);
    if (!sum || !sq || !s->mean || !s->std || n < 1) {
        free(sum);
        free(sq);
        tt_standardizer_free(s);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        const float *x = m->x + i * F;
        for (int64_t f = 0; f < F; f++) {
            sum[f] += x[f];
        }
    }
    for (int64_t f = 0; f < F; f++) {
        sum[f] /= (double)n;
    }
    for (int64_t i = 0; i < n; i++) {
        const float *x = m->x + i * F;
        for (int64_t f = 0; f < F; f++) {
            double d = (double)x[f] - sum[f];
            sq[f] += d * d;
        }
    }
    for (int64_t f = 0; f < F; f++) {
        double sd = sqrt(sq[f] / (double)n);
        s->mean[f] = (float)sum[f];
        s->std[f] = sd > 1e-12 ? (float)sd : 1.0f; /* a constant feature is only centred */
    }
    s->n = F;
    free(sum);
    free(sq);
    return 0;
}

void tt_standardizer_apply(const tt_standardizer *s, tt_dataset *ds)
{
    tt_memory_dataset *m = as_memory(ds, "tt_standardizer_apply");
    if (ds->sample_numel != s->n) {
        tt_fatal("tt_standardizer_apply: samples have %lld features, the standardiser %lld",
                 (long long)ds->sample_numel, (long long)s->n);
    }
    for (int64_t i = 0; i < ds->len; i++) {
        float *x = m->x + i * s->n;
        for (int64_t f = 0; f < s->n; f++) {
            x[f] = (x[f] - s->mean[f]) / s->std[f];
        }
    }
}

int tt_standardize(tt_dataset *train, tt_dataset *test, tt_standardizer *s)
{
    if (tt_standardizer_fit(s, train) != 0) {
        return -1;
    }
    tt_standardizer_apply(s, train);
    if (test) {
        tt_standardizer_apply(s, test);
    }
    return 0;
}

void tt_standardizer_free(tt_standardizer *s)
{
    free(s->mean);
    free(s->std);
    s->mean = s->std = NULL;
    s->n = 0;
}
