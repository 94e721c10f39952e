/* params.c - tt_params: a growable list of (name, persistent tensor) pairs.
 * Invariants: t[0..n) are not owned; names[0..n) are owned heap copies; cap >= n. Names are dotted
 * paths ("0.weight") as used by checkpoints and optimizer state, built here from a layer's prefix
 * and its own names (tt_params_add_at, tt_layer_collect_at) at any length: no layer formats a
 * name into a fixed buffer, so deep nesting cannot truncate two names into one. */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/nn.h"

void tt_params_init(tt_params *p) { memset(p, 0, sizeof *p); }

/* Appends (name, t), taking ownership of the heap string name. */
static void add_owned(tt_params *p, char *name, tt_tensor *t)
{
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
    p->t[p->n] = t;
    p->names[p->n] = name;
    p->n++;
}

/* a + b + c as one heap string, however long */
static char *join3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (!s) {
        tt_fatal("tt_params_add: out of memory");
    }
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

void tt_params_add(tt_params *p, const char *name, tt_tensor *t)
{
    if (!t) {
        tt_fatal("tt_params_add: NULL tensor for \"%s\"", name ? name : "");
    }
    add_owned(p, join3(name ? name : "", "", ""), t);
}

void tt_params_add_at(tt_params *p, const char *prefix, const char *name, tt_tensor *t)
{
    if (t) {
        add_owned(p, join3(prefix ? prefix : "", name ? name : "", ""), t);
    }
}

/* prefix + name + "." for a named child, prefix alone for an unnamed one (NULL or "") */
static char *child_prefix(const char *prefix, const char *name)
{
    return join3(prefix ? prefix : "", name ? name : "", name && *name ? "." : "");
}

void tt_layer_collect_at(tt_layer *l, tt_params *out, const char *prefix, const char *name)
{
    char *full = child_prefix(prefix, name);
    tt_layer_collect(l, out, full);
    free(full);
}

void tt_layer_collect_buffers_at(tt_layer *l, tt_params *out, const char *prefix, const char *name)
{
    char *full = child_prefix(prefix, name);
    tt_layer_collect_buffers(l, out, full);
    free(full);
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
