/* yaml_util.h - internal: thin helpers over libfyaml for the registry and plan readers.
 * Every failure writes "label:line: field: reason" into the reader's error buffer and returns -1. */
#ifndef MLSYSIM_YAML_UTIL_H
#define MLSYSIM_YAML_UTIL_H

#include <libfyaml.h>
#include <stddef.h>
#include "mlsysim/yaml_text.h" /* ms_yaml_build and the checks around it */

typedef struct {
    struct fy_document *doc;
    const char *label;          /* file name for messages */
    char *err;
    size_t errlen;
} msy_doc;

/* Largest YAML text handed to libfyaml (plans and registry files are a few kB). */
#define MSY_MAX_BYTES ((size_t)8 << 20)
/* Most nodes a document may have once its aliases are expanded. */
#define MSY_MAX_EXPANDED_NODES 1000000L

/* Parses a buffer; on a YAML syntax error writes "label:line:col: reason". 0 ok, -1 error.
 * Input over MSY_MAX_BYTES or not valid UTF-8 is refused before libfyaml sees it
 * (ms_yaml_utf8_invalid_at). */
int msy_parse(msy_doc *y, const char *label, const char *buf, size_t len, char *err, size_t errlen);
void msy_close(msy_doc *y);

int msy_line(struct fy_node *n);                       /* 1-based */
int msy_fail(msy_doc *y, struct fy_node *n, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* NUL-terminated copy of a scalar into buf; NULL if n is not a scalar or too long. */
const char *msy_scalar(struct fy_node *n, char *buf, size_t cap);
int msy_is_map(struct fy_node *n);
int msy_is_seq(struct fy_node *n);
/* Key of a mapping pair as a NUL-terminated string (truncated to cap). */
const char *msy_key(struct fy_node_pair *p, char *buf, size_t cap);

/* Walks a mapping's pairs. Each msy_next gives the next pair's key, its value and the field name
 * its messages use ("PREFIX.KEY"), and returns 0 after the last pair:
 *     msy_fields it = {0};
 *     while (msy_next(n, "hardware.H100", &it)) { ... it.key, it.value, it.field ... }
 * msy_unknown reports the current key as an unknown field (at the key's line) and returns -1. */
typedef struct msy_fields {
    void *iter;
    struct fy_node_pair *pair;
    struct fy_node *value;
    char key[64];
    char field[256];
} msy_fields;
int msy_next(struct fy_node *map, const char *prefix, msy_fields *it);
int msy_unknown(msy_doc *y, const msy_fields *it);

int msy_str(msy_doc *y, struct fy_node *n, const char *field, char *dst, size_t cap);
int msy_int(msy_doc *y, struct fy_node *n, const char *field, int *dst, long min, long max);
int msy_num(msy_doc *y, struct fy_node *n, const char *field, double *dst, double min, double max);
/* Quantity with a unit of `dim` (see ms_parse_quantity); must be >= 0. */
int msy_qty(msy_doc *y, struct fy_node *n, const char *field, const char *dim, double *dst);
int msy_bool(msy_doc *y, struct fy_node *n, const char *field, int *dst);

#endif
