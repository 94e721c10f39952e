/* fuzz_json.c - the strict JSON reader. Properties: no crash or sanitizer report; a refusal has a
 * "line L, column C" message; an accepted tree is consistent (counts, keys, finite numbers) and
 * written back with the writer helpers it parses to the same tree. */
#include <math.h>
#include "fuzz_util.h"
#include "tinytorch/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes j as JSON; false when it holds a string the C-string writer cannot express (a NUL). */
static bool emit(FILE *f, const tt_json *j)
{
    switch (j->type) {
    case TT_JSON_NULL: fputs("null", f); return true;
    case TT_JSON_BOOL: fputs(j->boolean ? "true" : "false", f); return true;
    case TT_JSON_NUMBER: tt_json_write_number(f, j->number); return true;
    case TT_JSON_STRING:
        if (strlen(j->string) != j->len) {
            return false;
        }
        tt_json_write_string(f, j->string);
        return true;
    default: break;
    }
    bool obj = j->type == TT_JSON_OBJECT, ok = true;
    fputc(obj ? '{' : '[', f);
    for (const tt_json *k = j->child; k && ok; k = k->next) {
        if (k != j->child) {
            fputc(',', f);
        }
        if (obj) {
            tt_json_write_string(f, k->key);
            fputc(':', f);
        }
        ok = emit(f, k);
    }
    fputc(obj ? '}' : ']', f);
    return ok;
}

static void same(const tt_json *a, const tt_json *b)
{
    FUZZ_CHECK(a->type == b->type, "type %d became %d", a->type, b->type);
    FUZZ_CHECK(a->count == b->count, "count %d became %d", a->count, b->count);
    FUZZ_CHECK((a->key == NULL) == (b->key == NULL) && (!a->key || strcmp(a->key, b->key) == 0), "key changed");
    if (a->type == TT_JSON_NUMBER) {
        FUZZ_CHECK(a->number == b->number, "%.17g became %.17g", a->number, b->number);
    }
    if (a->type == TT_JSON_STRING) {
        FUZZ_CHECK(a->len == b->len && memcmp(a->string, b->string, a->len) == 0, "string changed");
    }
    if (a->type == TT_JSON_BOOL) {
        FUZZ_CHECK(a->boolean == b->boolean, "bool changed");
    }
    const tt_json *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next) {
        same(x, y);
    }
    FUZZ_CHECK(!x && !y, "children differ");
}

static void consistent(const tt_json *j, bool in_object)
{
    FUZZ_CHECK(in_object == (j->key != NULL), "key presence");
    if (j->type == TT_JSON_NUMBER) {
        FUZZ_CHECK(isfinite(j->number), "non-finite number %g", j->number);
    }
    int n = 0;
    for (const tt_json *k = j->child; k; k = k->next, n++) {
        consistent(k, j->type == TT_JSON_OBJECT);
    }
    FUZZ_CHECK(n == j->count, "count %d, %d children", j->count, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    tt_json *j = tt_json_parse((const char *)data, size, err, sizeof err);
    if (!j) {
        FUZZ_CHECK(strncmp(err, "line ", 5) == 0, "message without a place: %s", err);
        return 0;
    }
    consistent(j, false);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    bool ok = emit(f, j);
    fclose(f);
    if (ok) {
        tt_json *k = tt_json_parse(text, len, err, sizeof err);
        FUZZ_CHECK(k != NULL, "written form does not parse: %s", err);
        same(j, k);
        tt_json_free(k);
    }
    free(text);
    tt_json_free(j);
    return 0;
}
