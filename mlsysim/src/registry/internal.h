/* internal.h - registry internals shared with the plan reader: the embedded YAML texts (generated
 * at build time by cmake/embed_registry.cmake) and the transformer-architecture reader. */
#ifndef MLSYSIM_REGISTRY_INTERNAL_H
#define MLSYSIM_REGISTRY_INTERNAL_H

#include <stddef.h>

#include "mlsysim/registry.h"
#include "../core/yaml_util.h"

extern const char *const ms_embedded_registry_names[];
extern const char *const ms_embedded_registry_texts[];
extern const size_t ms_embedded_registry_sizes[];
extern const size_t ms_embedded_registry_count;

/* A mapping of int fields, each at offset `off` of the struct it fills, in [min, max]
 * (ms__read_fields, kinds.c): the readers of `arch:`, `ssm:`, `diffusion:` and `dlrm:`. */
typedef struct {
    const char *k;
    size_t off;
    long min, max;
} ms__int_field;
/* Reads a mapping into dst: the int fields f[0..nf), the bool fields bools[0..nb) (at bool_off), and
 * the keys neither lists through `special` (NULL: none; it returns 0 when it read the key, 1 when it
 * does not know it, -1 on an error it reported). Any other key is an unknown field. 0 ok, -1 error. */
int ms__read_fields(msy_doc *y, struct fy_node *n, const char *field, void *dst, const ms__int_field *f, size_t nf,
                    const char *const *bools, const size_t *bool_off, size_t nb,
                    int (*special)(msy_doc *, struct fy_node *, const char *, const char *, void *));

/* Reads an `arch:` mapping (same fields as the registry); 0 ok, -1 with the message in y->err. */
int ms__read_arch(msy_doc *y, struct fy_node *n, const char *field, ms_arch *a);

/* The `ssm:`, `diffusion:` and `dlrm:` mappings of a models entry (kinds.c); 0 ok, -1 with the
 * message in y->err. ms__check_kind checks the derived parameters against the published `params`. */
int ms__read_ssm(msy_doc *y, struct fy_node *n, const char *field, ms_ssm_arch *a);
int ms__read_diffusion(msy_doc *y, struct fy_node *n, const char *field, ms_diffusion_arch *d);
int ms__read_dlrm(msy_doc *y, struct fy_node *n, const char *field, ms_dlrm_arch *a);
int ms__check_kind(msy_doc *y, struct fy_node *n, const char *field, const ms_model *m);

#endif
