/* tt_golden.h - reads the golden files written by the PyTorch scripts in tests/golden/ (header-only).
 *
 * Format (text): for each tensor a header "name ndim d0 d1 ..." followed by its float32 values
 * (written with %.9g). Names are "case.field" ("add_bcast.out", "conv3.grad_w") or plain ("q").
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h>, <cmocka.h> and "tt_test.h".
 */
#ifndef TT_GOLDEN_H
#define TT_GOLDEN_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tensor.h"

typedef struct tt_golden_entry {
    char name[96];
    int ndim;
    int64_t shape[TT_MAX_DIMS];
    int64_t numel;
    float *v;
} tt_golden_entry;

typedef struct tt_golden {
    tt_golden_entry *e;
    int n, cap;
} tt_golden;

static inline void tt_golden_free(tt_golden *db)
{
    for (int i = 0; i < db->n; i++) {
        free(db->e[i].v);
    }
    free(db->e);
    memset(db, 0, sizeof *db);
}

/* Loads MLSB_TEST_DATA/file; returns 0, or -1 after printing what was wrong (file, tensor). */
static inline int tt_golden_load(tt_golden *db, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MLSB_TEST_DATA, file);
    memset(db, 0, sizeof *db);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open golden file %s (regenerate it with tests/golden/make_golden_*.py)\n",
                path);
        return -1;
    }
    char name[96];
    int ndim;
    const char *why = NULL;
    while (!why && fscanf(f, "%95s %d", name, &ndim) == 2) {
        if (db->n == db->cap) {
            int cap = db->cap ? 2 * db->cap : 64;
            tt_golden_entry *e = realloc(db->e, (size_t)cap * sizeof *e);
            if (!e) {
                why = "out of memory";
                break;
            }
            db->e = e;
            db->cap = cap;
        }
        tt_golden_entry *g = &db->e[db->n];
        memset(g, 0, sizeof *g);
        snprintf(g->name, sizeof g->name, "%s", name);
        if (ndim < 0 || ndim > TT_MAX_DIMS) {
            why = "bad number of dimensions";
            break;
        }
        g->ndim = ndim;
        g->numel = 1;
        for (int d = 0; d < ndim && !why; d++) {
            long long s;
            if (fscanf(f, "%lld", &s) != 1 || s < 0) {
                why = "bad shape";
            }
            g->shape[d] = s;
            g->numel *= s;
        }
        if (why) {
            break;
        }
        g->v = malloc((size_t)(g->numel ? g->numel : 1) * sizeof(float));
        db->n++; /* owned from here on, freed by tt_golden_free */
        for (int64_t i = 0; i < g->numel && !why; i++) {
            if (!g->v || fscanf(f, "%f", &g->v[i]) != 1) {
                why = "too few values";
            }
        }
    }
    fclose(f);
    if (!why && db->n == 0) {
        why = "no tensors";
    }
    if (why) {
        fprintf(stderr, "%s: tensor %s: %s\n", path, name, why);
        tt_golden_free(db);
        return -1;
    }
    return 0;
}

/* The entry "cas.field" (or "cas" when field is NULL); NULL when absent. */
static inline const tt_golden_entry *tt_golden_find(const tt_golden *db, const char *cas,
                                                     const char *field)
{
    char key[128];
    if (field) {
        snprintf(key, sizeof key, "%s.%s", cas, field);
    } else {
        snprintf(key, sizeof key, "%s", cas);
    }
    for (int i = 0; i < db->n; i++) {
        if (strcmp(db->e[i].name, key) == 0) {
            return &db->e[i];
        }
    }
    return NULL;
}

/* Like tt_golden_find, but a missing entry fails the test. */
static inline const tt_golden_entry *tt_golden_get(const tt_golden *db, const char *cas,
                                                    const char *field)
{
    const tt_golden_entry *g = tt_golden_find(db, cas, field);
    if (!g) {
        fail_msg("golden entry %s%s%s missing", cas, field ? "." : "", field ? field : "");
    }
    return g;
}

/* A step tensor holding the entry's values. */
static inline tt_tensor *tt_golden_tensor(const tt_golden_entry *g, bool requires_grad)
{
    tt_tensor *t = tt_from_data(g->ndim, g->shape, g->v);
    tt_set_requires_grad(t, requires_grad);
    return t;
}

/* got (laid out as t) must equal the entry within atol + rtol*|want|, shape included. */
static inline void tt_golden_expect(const char *what, const tt_tensor *t, const float *got,
                                    const tt_golden_entry *want, double rtol, double atol)
{
    if (t->ndim != want->ndim || t->numel != want->numel) {
        char s[96];
        fail_msg("%s: shape %s, golden has %d dims and %lld elements", what, tt_shape_str(t, s, sizeof s),
                 want->ndim, (long long)want->numel);
    }
    for (int d = 0; d < t->ndim; d++) {
        assert_int_equal(t->shape[d], want->shape[d]);
    }
    for (int64_t i = 0; i < want->numel; i++) {
        double d = fabs((double)got[i] - (double)want->v[i]);
        if (!(d <= atol + rtol * fabs((double)want->v[i]))) {
            fail_msg("%s element %lld: got %.9g, PyTorch %.9g", what, (long long)i, (double)got[i],
                     (double)want->v[i]);
        }
    }
}

#endif
