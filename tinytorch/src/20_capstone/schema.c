/* schema.c - a JSON Schema checker for the subset the project's schemas use (capstone.h), on top of
 * module 08's JSON reader. The walk follows the schema: at each node it checks the keywords it knows
 * and recurses into properties and items, carrying the JSON path for the message. Unknown keywords
 * ("$schema", "title", "description") are ignored, as the specification asks. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/capstone.h"
#include "tinytorch/data.h"

static const char *type_name(const tt_json *d)
{
    switch (d->type) {
    case TT_JSON_NULL: return "null";
    case TT_JSON_BOOL: return "boolean";
    case TT_JSON_NUMBER: return "number";
    case TT_JSON_STRING: return "string";
    case TT_JSON_ARRAY: return "array";
    case TT_JSON_OBJECT: return "object";
    }
    return "?";
}

static bool is_type(const tt_json *d, const char *t)
{
    if (strcmp(t, "integer") == 0) {
        return d->type == TT_JSON_NUMBER && d->number == floor(d->number) && isfinite(d->number);
    }
    if (strcmp(t, "number") == 0) {
        return d->type == TT_JSON_NUMBER;
    }
    return strcmp(type_name(d), t) == 0;
}

static bool equal(const tt_json *a, const tt_json *b)
{
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case TT_JSON_NULL: return true;
    case TT_JSON_BOOL: return a->boolean == b->boolean;
    case TT_JSON_NUMBER: return a->number == b->number;
    case TT_JSON_STRING: return a->len == b->len && memcmp(a->string, b->string, a->len) == 0;
    default: return false; /* enum/const over objects and arrays are not used by our schemas */
    }
}

static int fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return -1;
}

static int check(const tt_json *s, const tt_json *d, const char *path, char *err, size_t errlen)
{
    char msg[256];
    const tt_json *t = tt_json_get(s, "type");
    if (t) {
        bool ok = false;
        if (t->type == TT_JSON_STRING) {
            ok = is_type(d, t->string);
        } else if (t->type == TT_JSON_ARRAY) {
            for (const tt_json *e = t->child; e && !ok; e = e->next) {
                ok = e->type == TT_JSON_STRING && is_type(d, e->string);
            }
        }
        if (!ok) {
            snprintf(msg, sizeof msg, "is %s, the schema wants %s", type_name(d),
                     t->type == TT_JSON_STRING ? t->string : "another type");
            return fail(err, errlen, path, msg);
        }
    }
    const tt_json *en = tt_json_get(s, "enum");
    if (en && en->type == TT_JSON_ARRAY) {
        bool ok = false;
        for (const tt_json *e = en->child; e && !ok; e = e->next) {
            ok = equal(e, d);
        }
        if (!ok) {
            return fail(err, errlen, path, "is not one of the values the schema's enum allows");
        }
    }
    const tt_json *c = tt_json_get(s, "const");
    if (c && !equal(c, d)) {
        return fail(err, errlen, path, "differs from the schema's const");
    }
    if (d->type == TT_JSON_NUMBER) {
        const tt_json *mn = tt_json_get(s, "minimum"), *mx = tt_json_get(s, "maximum");
        if (mn && mn->type == TT_JSON_NUMBER && d->number < mn->number) {
            snprintf(msg, sizeof msg, "%g is below the minimum %g", d->number, mn->number);
            return fail(err, errlen, path, msg);
        }
        if (mx && mx->type == TT_JSON_NUMBER && d->number > mx->number) {
            snprintf(msg, sizeof msg, "%g is above the maximum %g", d->number, mx->number);
            return fail(err, errlen, path, msg);
        }
    }
    if (d->type == TT_JSON_STRING) {
        const tt_json *ml = tt_json_get(s, "minLength");
        if (ml && ml->type == TT_JSON_NUMBER && (double)d->len < ml->number) {
            snprintf(msg, sizeof msg, "is shorter than minLength %g", ml->number);
            return fail(err, errlen, path, msg);
        }
    }
    if (d->type == TT_JSON_OBJECT) {
        const tt_json *req = tt_json_get(s, "required"), *props = tt_json_get(s, "properties");
        for (const tt_json *r = req && req->type == TT_JSON_ARRAY ? req->child : NULL; r; r = r->next) {
            if (r->type == TT_JSON_STRING && !tt_json_get(d, r->string)) {
                snprintf(msg, sizeof msg, "the required member \"%s\" is missing", r->string);
                return fail(err, errlen, path, msg);
            }
        }
        const tt_json *ap = tt_json_get(s, "additionalProperties");
        for (const tt_json *m = d->child; m; m = m->next) {
            const tt_json *ps = props ? tt_json_get(props, m->key) : NULL;
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%s", path, m->key);
            if (ps) {
                if (check(ps, m, sub, err, errlen) != 0) {
                    return -1;
                }
            } else if (ap && ap->type == TT_JSON_BOOL && !ap->boolean) {
                return fail(err, errlen, sub, "is not a member the schema allows (additionalProperties: false)");
            }
        }
    }
    if (d->type == TT_JSON_ARRAY) {
        const tt_json *mi = tt_json_get(s, "minItems"), *items = tt_json_get(s, "items");
        if (mi && mi->type == TT_JSON_NUMBER && (double)d->count < mi->number) {
            snprintf(msg, sizeof msg, "has %d items, fewer than minItems %g", d->count, mi->number);
            return fail(err, errlen, path, msg);
        }
        int i = 0;
        for (const tt_json *e = d->child; items && items->type == TT_JSON_OBJECT && e; e = e->next, i++) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            if (check(items, e, sub, err, errlen) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

int tt_schema_validate(const tt_json *schema, const tt_json *doc, char *err, size_t errlen)
{
    if (!schema || schema->type != TT_JSON_OBJECT) {
        snprintf(err, errlen, "the schema is not a JSON object");
        return -1;
    }
    return check(schema, doc, "$", err, errlen);
}

static tt_json *load(const char *path, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (tt_read_file(path, &data, &len, err, errlen) != 0) {
        return NULL;
    }
    char e[256];
    tt_json *j = tt_json_parse((const char *)data, len, e, sizeof e);
    free(data);
    if (!j) {
        snprintf(err, errlen, "%s: %s", path, e);
    }
    return j;
}

int tt_schema_validate_files(const char *schema_path, const char *doc_path, char *err, size_t errlen)
{
    tt_json *s = load(schema_path, err, errlen);
    if (!s) {
        return -1;
    }
    tt_json *d = load(doc_path, err, errlen);
    if (!d) {
        tt_json_free(s);
        return -1;
    }
    char e[512];
    int rc = tt_schema_validate(s, d, e, sizeof e);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", doc_path, e);
    }
    tt_json_free(s);
    tt_json_free(d);
    return rc;
}
