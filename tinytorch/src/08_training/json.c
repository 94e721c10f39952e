/* json.c - the strict JSON reader and the writer helpers of json.h.
 *
 * A recursive-descent parser over (text, len) with an explicit position; every node is malloc'ed and
 * linked to its parent (child / next), so tt_json_free walks the tree. Depth is bounded (64) so a
 * hostile file cannot overflow the stack. Numbers follow the JSON grammar exactly and are converted
 * with strtod on the validated token.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/json.h"

#define JSON_MAX_DEPTH 64

typedef struct parser {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
    size_t values, max_values; /* values built so far; the budget (0 = no limit beyond the input) */
} parser;

static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    p->failed = true;
    if (!p->err || !p->errlen) {
        return;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, what);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static tt_json *new_node(parser *p, tt_json_type t)
{
    if (p->max_values && p->values >= p->max_values) {
        fail(p, "more than %zu values (the limit for this file)", p->max_values);
        return NULL;
    }
    p->values++;
    tt_json *j = calloc(1, sizeof *j);
    if (!j) {
        fail(p, "out of memory");
        return NULL;
    }
    j->type = t;
    return j;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *p, uint32_t *out)
{
    if (p->pos + 4 > p->len) {
        fail(p, "truncated \\u escape");
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + i]);
        if (h < 0) {
            fail(p, "bad hex digit in \\u escape");
            return false;
        }
        v = v * 16 + (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return true;
}

/* Parses a string at p->pos (which is at the opening quote) into a malloc'ed buffer. */
static char *parse_string(parser *p, size_t *out_len)
{
    p->pos++; /* opening quote */
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fail(p, "out of memory");
        return NULL;
    }
    for (;;) {
        if (p->pos >= p->len) {
            fail(p, "unterminated string");
            free(buf);
            return NULL;
        }
        if (n + 5 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fail(p, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail(p, "control character 0x%02x inside a string", c);
            free(buf);
            return NULL;
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        if (p->pos >= p->len) {
            fail(p, "unterminated escape");
            free(buf);
            return NULL;
        }
        char e = p->s[p->pos++];
        uint32_t cp;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!read_hex4(p, &cp)) {
                free(buf);
                return NULL;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail(p, "unpaired surrogate in \\u escape");
                    free(buf);
                    return NULL;
                }
                p->pos += 2;
                if (!read_hex4(p, &lo)) {
                    free(buf);
                    return NULL;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    fail(p, "bad low surrogate in \\u escape");
                    free(buf);
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(p, "unpaired surrogate in \\u escape");
                free(buf);
                return NULL;
            }
            if (cp < 0x80) {
                buf[n++] = (char)cp;
            } else if (cp < 0x800) {
                buf[n++] = (char)(0xC0 | (cp >> 6));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                buf[n++] = (char)(0xE0 | (cp >> 12));
                buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            } else {
                buf[n++] = (char)(0xF0 | (cp >> 18));
                buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        default:
            fail(p, "bad escape \\%c", e);
            free(buf);
            return NULL;
        }
    }
    buf[n] = 0;
    *out_len = n;
    return buf;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool parse_number(parser *p, double *out)
{
    size_t start = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-') {
        p->pos++;
    }
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
        fail(p, "bad number");
        return false;
    }
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (p->pos < p->len && is_digit(p->s[p->pos])) {
            p->pos++;
        }
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
            fail(p, "bad number: digits must follow '.'");
            return false;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos])) {
            p->pos++;
        }
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) {
            p->pos++;
        }
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
            fail(p, "bad number: digits must follow the exponent");
            return false;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos])) {
            p->pos++;
        }
    }
    char tmp[64];
    size_t n = p->pos - start;
    if (n >= sizeof tmp) {
        fail(p, "number too long");
        return false;
    }
    memcpy(tmp, p->s + start, n);
    tmp[n] = 0;
    *out = strtod(tmp, NULL); /* underflow gives a denormal or 0, which is fine */
    if (!isfinite(*out)) {
        p->pos = start;
        fail(p, "number %s is out of range (a double holds at most 1.8e308)", tmp);
        return false;
    }
    return true;
}

static bool match_word(parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->pos + n <= p->len && memcmp(p->s + p->pos, w, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

static tt_json *parse_value(parser *p, int depth);

static void append_child(tt_json *parent, tt_json **tail, tt_json *kid)
{
    if (*tail) {
        (*tail)->next = kid;
    } else {
        parent->child = kid;
    }
    *tail = kid;
    parent->count++;
}

static int cmp_key_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A member name given twice in object j, or NULL. RFC 8259 leaves repeated names to the reader;
 * here they are refused, since tt_json_get would see only the first ({"dtype": "F32", "dtype": "I8"}
 * would read as F32). Sorted, so a header of thousands of tensors costs n log n. */
static const char *repeated_member(const tt_json *j, bool *nomem)
{
    *nomem = false;
    if (j->count < 2) {
        return NULL;
    }
    const char **keys = malloc((size_t)j->count * sizeof *keys);
    if (!keys) {
        *nomem = true;
        return NULL;
    }
    size_t n = 0;
    for (const tt_json *k = j->child; k; k = k->next) {
        keys[n++] = k->key;
    }
    qsort(keys, n, sizeof *keys, cmp_key_ptr);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++) {
        if (strcmp(keys[i], keys[i - 1]) == 0) {
            dup = keys[i];
        }
    }
    free(keys);
    return dup;
}

static tt_json *parse_container(parser *p, int depth, bool is_obj)
{
    tt_json *j = new_node(p, is_obj ? TT_JSON_OBJECT : TT_JSON_ARRAY);
    if (!j) {
        return NULL;
    }
    tt_json *tail = NULL;
    char close = is_obj ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        if (is_obj) {
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, "expected a member name in quotes");
                tt_json_free(j);
                return NULL;
            }
            size_t klen;
            size_t kpos = p->pos;
            key = parse_string(p, &klen);
            if (!key) {
                tt_json_free(j);
                return NULL;
            }
            if (strlen(key) != klen) { /* names are C strings: "w\u0000x" must not read as "w" */
                p->pos = kpos;
                fail(p, "member name contains a NUL character (\\u0000)");
                free(key);
                tt_json_free(j);
                return NULL;
            }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, "expected ':' after member name \"%s\"", key);
                free(key);
                tt_json_free(j);
                return NULL;
            }
            p->pos++;
        }
        tt_json *kid = parse_value(p, depth + 1);
        if (!kid) {
            free(key);
            tt_json_free(j);
            return NULL;
        }
        kid->key = key;
        append_child(j, &tail, kid);
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            bool nomem = false;
            const char *dup = is_obj ? repeated_member(j, &nomem) : NULL;
            if (dup || nomem) {
                if (dup) {
                    fail(p, "member \"%.80s\" appears twice in the object that ends here", dup);
                } else {
                    fail(p, "out of memory");
                }
                tt_json_free(j);
                return NULL;
            }
            p->pos++;
            return j;
        }
        fail(p, "expected ',' or '%c'", close);
        tt_json_free(j);
        return NULL;
    }
}

static tt_json *parse_value(parser *p, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(p, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    char c = p->s[p->pos];
    tt_json *j;
    switch (c) {
    case '{': return parse_container(p, depth, true);
    case '[': return parse_container(p, depth, false);
    case '"':
        j = new_node(p, TT_JSON_STRING);
        if (j && !(j->string = parse_string(p, &j->len))) {
            free(j);
            return NULL;
        }
        return j;
    case 't':
    case 'f':
    case 'n':
        if (match_word(p, "true") || match_word(p, "false")) {
            j = new_node(p, TT_JSON_BOOL);
            if (j) {
                j->boolean = c == 't';
            }
            return j;
        }
        if (match_word(p, "null")) {
            return new_node(p, TT_JSON_NULL);
        }
        fail(p, "unknown literal");
        return NULL;
    default:
        if (c == '-' || is_digit(c)) {
            double v;
            if (!parse_number(p, &v)) {
                return NULL;
            }
            j = new_node(p, TT_JSON_NUMBER);
            if (j) {
                j->number = v;
            }
            return j;
        }
        fail(p, "unexpected character '%c'", c);
        return NULL;
    }
}

tt_json *tt_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    return tt_json_parse_max(text, len, 0, err, errlen);
}

tt_json *tt_json_parse_max(const char *text, size_t len, size_t max_values, char *err, size_t errlen)
{
    parser p = {text, len, 0, err, errlen, false, 0, max_values};
    tt_json *j = parse_value(&p, 0);
    if (!j) {
        if (!p.failed) {
            fail(&p, "out of memory");
        }
        return NULL;
    }
    skip_ws(&p);
    if (p.pos != p.len) {
        fail(&p, "unexpected text after the JSON value");
        tt_json_free(j);
        return NULL;
    }
    return j;
}

void tt_json_free(tt_json *j)
{
    while (j) {
        tt_json *next = j->next;
        tt_json_free(j->child);
        free(j->string);
        free(j->key);
        free(j);
        j = next;
    }
}

tt_json *tt_json_get(const tt_json *obj, const char *key)
{
    if (!obj || obj->type != TT_JSON_OBJECT) {
        return NULL;
    }
    for (tt_json *k = obj->child; k; k = k->next) {
        if (strcmp(k->key, key) == 0) {
            return k;
        }
    }
    return NULL;
}

tt_json *tt_json_at(const tt_json *arr, int i)
{
    if (!arr || (arr->type != TT_JSON_ARRAY && arr->type != TT_JSON_OBJECT) || i < 0) {
        return NULL;
    }
    tt_json *k = arr->child;
    while (k && i-- > 0) {
        k = k->next;
    }
    return k;
}

void tt_json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*c < 0x20) {
                fprintf(f, "\\u%04x", *c);
            } else {
                fputc(*c, f);
            }
        }
    }
    fputc('"', f);
}

void tt_json_write_number(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(f, "%.0f", v);
    } else {
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) { /* shortest form that reads back exactly */
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) {
                break;
            }
        }
        fputs(buf, f);
    }
}
