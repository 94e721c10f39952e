/* labs_internal.h - pieces of the labs server shared between its files (not installed). */
#ifndef LABS_INTERNAL_H
#define LABS_INTERNAL_H

#include "labs/api.h"
#include "mlsysim/registry.h"

#include <stddef.h>

/* A 400/404/413/... reply {"error": reason, "field": field-or-null}. Returns status. */
int labs_reply_error(labs_reply *r, int status, const char *field, const char *reason);

/* POST /api/eval: the plan (YAML or JSON text) evaluated as `mlsysim -o json eval PLAN` does. */
int labs_eval_plan(const ms_registry *reg, const char *plan, size_t len, labs_reply *r);
/* POST /api/train: a training plan on one or more accelerators; interval_s > 0 adds the goodput
 * at that checkpoint interval (goodput_at_interval). */
int labs_train_plan(const ms_registry *reg, const char *plan, size_t len, double interval_s,
                    labs_reply *r);

/* Reads a JSON file of measured points ({"points": [...]}, at most 4 MiB) into *out
 * (NUL-terminated, compact JSON). Returns 0, or -1 with "file: reason" in err. */
int labs_read_json_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

#endif
