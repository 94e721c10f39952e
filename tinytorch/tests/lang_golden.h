/* lang_golden.h - reads the golden files written by tests/golden/make_golden_lang.py (header-only,
 * for the language-module tests) as step tensors looked up by name; parsing is tt_golden.h's. */
#ifndef LANG_GOLDEN_H
#define LANG_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tensor.h"
#include "tt_golden.h"

#define LANG_GOLDEN_MAX 64

typedef struct lang_golden {
    int n;
    char name[LANG_GOLDEN_MAX][64];
    tt_tensor *t[LANG_GOLDEN_MAX];   /* step tensors */
} lang_golden;

/* Loads every tensor of the file as a step tensor; fails the test naming the file and tensor. */
static void lang_golden_load(lang_golden *g, const char *file)
{
    tt_golden db;
    if (tt_golden_load(&db, file) != 0) {
        fail_msg("cannot read golden file %s (run tinytorch/tests/golden/make_golden_lang.py)", file);
    }
    if (db.n > LANG_GOLDEN_MAX) {
        tt_golden_free(&db);
        fail_msg("%s: more than %d tensors", file, LANG_GOLDEN_MAX);
    }
    g->n = db.n;
    for (int i = 0; i < db.n; i++) {
        snprintf(g->name[i], sizeof g->name[i], "%s", db.e[i].name);
        g->t[i] = tt_golden_tensor(&db.e[i], false);
    }
    tt_golden_free(&db);
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
