/* capstone.h - module 20, the capstone's tools: a Pareto frontier of model variants (accuracy up,
 * latency down, size down) written as JSON and SVG, and a JSON Schema check for the submission file.
 *
 * The capstone itself (baseline -> quantize -> benchmark with MLPerf EDU -> submit) is `tito capstone`
 * and milestone 06; it runs what this build has and says what it skipped.
 */
#ifndef TINYTORCH_CAPSTONE_H
#define TINYTORCH_CAPSTONE_H

#include <stdbool.h>
#include <stddef.h>
#include "tinytorch/json.h"

typedef struct tt_pareto_point {
    char name[64];         /* "lenet5-fp32" */
    double accuracy;       /* top-1, [0, 1] */
    double latency_s;      /* e.g. SingleStream p90 */
    double size_bytes;     /* parameter bytes */
    bool on_frontier;      /* set by tt_pareto_mark */
} tt_pareto_point;

/* Marks the points no other point dominates (another is at least as good in all three and better in
 * one). Returns how many are on the frontier. */
int tt_pareto_mark(tt_pareto_point *p, int n);
/* {"axes": {...}, "points": [{"name", "accuracy", "latency_s", "size_bytes", "on_frontier"}, ...]}.
 * Written atomically. Returns 0, or -1 with a message. */
int tt_pareto_write_json(const char *path, const tt_pareto_point *p, int n, char *err, size_t errlen);
/* Accuracy (y) against latency (x, ms), one circle per point with area proportional to its size,
 * the frontier joined by a line, labels beside the points. Written atomically. */
int tt_pareto_write_svg(const char *path, const tt_pareto_point *p, int n, char *err, size_t errlen);

/* Checks doc against a JSON Schema (the subset this project's schemas use): type (one or a list of
 * object, array, string, number, integer, boolean, null), properties, required,
 * additionalProperties: false, items, minItems, enum, const, minimum, maximum, minLength.
 * Returns 0 when doc conforms, else -1 with the first problem as "$.path.to[2].field: reason". */
int tt_schema_validate(const tt_json *schema, const tt_json *doc, char *err, size_t errlen);
/* The same on two files (each read and parsed; errors name the file). */
int tt_schema_validate_files(const char *schema_path, const char *doc_path, char *err, size_t errlen);

#endif
