/* json.h - a small, strict JSON reader and writer helpers (module 08: checkpoint headers, metrics logs,
 * tito's result files).
 *
 * Reader: RFC 8259 JSON into a tree of tt_json nodes (objects keep their key order). Strict: no
 * comments, no trailing commas, no NaN/Infinity, \u escapes (surrogate pairs included) decoded to UTF-8,
 * nesting at most 64 deep. Numbers beyond a double's range (1e999) are refused, not made infinite;
 * member names may not contain \u0000 (string values may: see len). On error it returns NULL and
 * writes "line L, column C: what" into err.
 * Writer: tt_json_write_string() escapes a string; tt_json_write_number() prints a double so that it
 * reads back to the same value (non-finite values become null, which JSON can represent).
 */
#ifndef TINYTORCH_JSON_H
#define TINYTORCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum tt_json_type {
    TT_JSON_NULL, TT_JSON_BOOL, TT_JSON_NUMBER, TT_JSON_STRING, TT_JSON_ARRAY, TT_JSON_OBJECT
} tt_json_type;

typedef struct tt_json tt_json;
struct tt_json {
    tt_json_type type;
    bool boolean;
    double number;
    char *string;        /* TT_JSON_STRING: the decoded value, NUL-terminated (len bytes, may hold NULs) */
    size_t len;
    char *key;           /* member name when the parent is an object, else NULL */
    tt_json *child;      /* first element / member */
    tt_json *next;       /* next sibling */
    int count;           /* number of children */
};

tt_json *tt_json_parse(const char *text, size_t len, char *err, size_t errlen);
/* The same, refusing input with more than max_values values (0 = no limit): each value costs a node
 * of about 80 bytes, so a reader of large untrusted headers bounds the tree before building it. */
tt_json *tt_json_parse_max(const char *text, size_t len, size_t max_values, char *err, size_t errlen);
void tt_json_free(tt_json *j);                               /* NULL is fine */
tt_json *tt_json_get(const tt_json *obj, const char *key);   /* member or NULL */
tt_json *tt_json_at(const tt_json *arr, int i);              /* element or NULL */

void tt_json_write_string(FILE *f, const char *s);
void tt_json_write_number(FILE *f, double v);

#endif
