/* lang_golden.h - reads the golden files written by tests/golden/make_golden_lang.py (header-only,
 * for the language-module tests). Format: "name ndim d0 d1 ..." then the values. */
#ifndef LANG_GOLDEN_H
#define LANG_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tensor.h"

#define LANG_GOLDEN_MAX 64

typedef struct lang_golden {
    int n;
    char name[LANG_GOLDEN_MAX][64];
    tt_tensor *t[LANG_GOLDEN_MAX];   /* step tensors */
} lang_golden;

/* Returns 0 on success; fails the test with the file and tensor name otherwise. */
static void lang_golden_load(lang_golden *g, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MLSB_TEST_DATA, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fail_msg("cannot open golden file %s (run tinytorch/tests/golden/make_golden_lang.py)", path);
    }
    g->n = 0;
    char name[64];
    int ndim;
    while (fscanf(f, "%63s %d", name, &ndim) == 2) {
        int64_t shape[TT_MAX_DIMS];
        for (int d = 0; d < ndim; d++) {
            long long s;
            if (fscanf(f, "%lld", &s) != 1) {
                fail_msg("%s: bad shape of %s", path, name);
            }
            shape[d] = s;
        }
        tt_tensor *t = tt_empty(ndim, shape);
        for (int64_t i = 0; i < t->numel; i++) {
            if (fscanf(f, "%f", &t->data[i]) != 1) {
                fail_msg("%s: %s has too few values", path, name);
            }
        }
        if (g->n == LANG_GOLDEN_MAX) {
            fail_msg("%s: too many tensors", path);
        }
        snprintf(g->name[g->n], sizeof g->name[g->n], "%s", name);
        g->t[g->n++] = t;
    }
    fclose(f);
}

static tt_tensor *lang_golden_get(const lang_golden *g, const char *name)
{
    for (int i = 0; i < g->n; i++) {
        if (strcmp(g->name[i], name) == 0) {
            return g->t[i];
        }
    }
    fail_msg("golden tensor %s missing", name);
    return NULL;
}

#endif
