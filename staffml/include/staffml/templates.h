/* templates.h - parametric questions: each template draws a model, an accelerator and a few
 * numbers from the MLSys·im registry and asks for a quantity that libmlsysim computes, so
 * practice never runs out and every answer is graded exactly (within the template's tolerance).
 * A draw is reproducible from its seed. */
#ifndef STAFFML_TEMPLATES_H
#define STAFFML_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

#include "mlsysim/registry.h"
#include "staffml/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SML_TPL_MAX_X 6

typedef struct {
    const char *template_id;
    char question[1024];
    char napkin[1024];          /* the worked calculation, shown after answering */
    double value;               /* the answer in `unit` */
    const char *unit;
    double tolerance;           /* relative */
    /* What was drawn, so the answer can be checked independently. */
    char model[MS_NAME_MAX], hw[MS_NAME_MAX], node[MS_NAME_MAX];
    const char *x_name[SML_TPL_MAX_X];
    double x[SML_TPL_MAX_X];
    int nx;
} sml_instance;

typedef struct {
    const char *id;             /* "tpl-kv-per-token" */
    const char *title;
    sml_track track;
    sml_area area;
    int level;
    int (*gen)(const ms_registry *r, uint64_t *rng, sml_instance *out);
} sml_template;

size_t sml_template_count(void);
const sml_template *sml_template_at(size_t i);
const sml_template *sml_template_find(const char *id);
/* Draws one instance. 0 ok, -1 when the registry lacks what the template needs (err says). */
int sml_template_generate(const sml_template *t, const ms_registry *r, uint64_t seed,
                          sml_instance *out, char *err, size_t errlen);
/* The value of the drawn number `name` (0 when the instance has none). */
double sml_instance_x(const sml_instance *in, const char *name);

#ifdef __cplusplus
}
#endif
#endif
