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

/* Reads an `arch:` mapping (same fields as the registry); 0 ok, -1 with the message in y->err. */
int ms__read_arch(msy_doc *y, struct fy_node *n, const char *field, ms_arch *a);

/* The `ssm:`, `diffusion:` and `dlrm:` mappings of a models entry (kinds.c); 0 ok, -1 with the
 * message in y->err. ms__check_kind checks the derived parameters against the published `params`. */
int ms__read_ssm(msy_doc *y, struct fy_node *n, const char *field, ms_ssm_arch *a);
int ms__read_diffusion(msy_doc *y, struct fy_node *n, const char *field, ms_diffusion_arch *d);
int ms__read_dlrm(msy_doc *y, struct fy_node *n, const char *field, ms_dlrm_arch *a);
int ms__check_kind(msy_doc *y, struct fy_node *n, const char *field, const ms_model *m);

#endif
