/* params.c - tt_params: a growable list of (name, persistent tensor) pairs.
 * Invariants: t[0..n) are not owned; names[0..n) are owned heap copies; cap >= n. Names are dotted
 * paths ("0.weight") as used by checkpoints and optimizer state. */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/nn.h"

void tt_params_init(tt_params *p) { memset(p, 0, sizeof *p); }

void tt_params_add(tt_params *p, const char *name, tt_tensor *t)
{
    if (!t) {
        tt_fatal("tt_params_add: NULL tensor for \"%s\"", name ? name : "");
    }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        tt_tensor **nt = realloc(p->t, (size_t)cap * sizeof *nt);
        if (!nt) {
            tt_fatal("tt_params_add: out of memory");
        }
        p->t = nt;
        char **nn = realloc(p->names, (size_t)cap * sizeof *nn);
        if (!nn) {
            tt_fatal("tt_params_add: out of memory");
        }
        p->names = nn;
        p->cap = cap;
    }
    if (!name) {
        name = "";
    }
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy) {
        tt_fatal("tt_params_add: out of memory");
    }
    memcpy(copy, name, len);
    p->t[p->n] = t;
    p->names[p->n] = copy;
    p->n++;
}

void tt_params_free(tt_params *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->names[i]);
    }
    free(p->t);
    free(p->names);
    memset(p, 0, sizeof *p);
}

int64_t tt_params_numel(const tt_params *p)
{
    int64_t n = 0;
    for (int i = 0; i < p->n; i++) {
        n += p->t[i]->numel;
    }
    return n;
}

tt_tensor *tt_params_find(const tt_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->names[i], name) == 0) {
            return p->t[i];
        }
    }
    return NULL;
}
