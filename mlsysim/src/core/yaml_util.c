/* yaml_util.c - internal helpers over libfyaml: parse with captured diagnostics, typed scalar reads
 * that name the file, line and field on failure. Numbers must be plain (unquoted) scalars;
 * quantities with units may be quoted or plain. */
#include "yaml_util.h"

#include "mlsysim/registry.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char msg[256]; int have; } diag_capture;

static void capture_fn(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    diag_capture *c = user;
    if (c->have) return;
    size_t n = len < sizeof c->msg - 1 ? len : sizeof c->msg - 1;
    memcpy(c->msg, buf, n);
    while (n > 0 && (c->msg[n - 1] == '\n' || c->msg[n - 1] == '\r')) n--;
    c->msg[n] = 0;
    c->have = 1;
}

size_t ms_yaml_utf8_invalid_at(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c >= 0x01 && c < 0x80) { i++; continue; }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;          /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) { n = 2; lo = 0xA0; }
        else if (c == 0xED) { n = 2; hi = 0x9F; }          /* no UTF-16 surrogates */
        else if (c >= 0xE1 && c <= 0xEF) n = 2;
        else if (c == 0xF0) { n = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else if (c == 0xF4) { n = 3; hi = 0x8F; }          /* nothing past U+10FFFF */
        else return i;                                      /* NUL, continuation, C0/C1, F5.. */
        if (len - i <= n) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += n + 1;
    }
    return len;
}

int ms_yaml_line_at(const char *buf, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset; i++) line += buf[i] == '\n';
    return line;
}

/* A separating blank inside a line (ms_yaml_explicit_key_line ends lines at CR as at LF). */
static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* 1 when the line's content [j, end) ends with a block scalar header: '|' or '>' after a blank (or
 * alone), with its chomping and indentation indicators. */
static int block_scalar_header(const char *buf, size_t j, size_t end)
{
    while (end > j && is_blank(buf[end - 1])) end--;
    while (end > j && (buf[end - 1] == '+' || buf[end - 1] == '-' || (buf[end - 1] >= '1' && buf[end - 1] <= '9'))) end--;
    if (end == j || (buf[end - 1] != '|' && buf[end - 1] != '>')) return 0;
    return end - 1 == j || is_blank(buf[end - 2]);
}

int ms_yaml_explicit_key_line(const char *buf, size_t len)
{
    long scalar_indent = -1;                     /* the header line's indentation inside a block scalar */
    int line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;                          /* a line ends at LF, CR or CR LF, as YAML reads it */
        while (end < len && buf[end] != '\n' && buf[end] != '\r') end++;
        size_t next = end + (end + 1 < len && buf[end] == '\r' && buf[end + 1] == '\n' ? 2 : 1);
        size_t j = i;
        while (j < end && buf[j] == ' ') j++;
        long indent = (long)(j - i);
        if (scalar_indent >= 0 && (j == end || indent > scalar_indent)) { i = next; continue; }
        scalar_indent = -1;
        /* A '?' then a blank is an explicit key where a node may begin: at the line's start or
         * after an indicator ('-', ':', '?', ',', '[', '{') or after what may stand before a node
         * (an anchor, a tag, an alias, a document marker). Inside a plain scalar ("Why? Because"),
         * a quoted one or a comment it is text. */
        char prev = 0;                           /* the last character before, not a blank */
        size_t word = j;                         /* where the word before began */
        for (size_t k = j; k < end; k++) {
            char c = buf[k];
            if (is_blank(c)) continue;
            if (k > j && !is_blank(buf[k - 1]) && c != '?') { prev = c; continue; }
            if (c == '#') break;                 /* a comment to the line's end */
            if (c == '\'' || c == '"') {        /* a quoted scalar: skip it on this line */
                size_t q = k + 1;
                while (q < end && !(buf[q] == c && !(c == '\'' && q + 1 < end && buf[q + 1] == '\''))) {
                    q += (c == '"' && buf[q] == '\\') || (c == '\'' && buf[q] == '\'') ? 2 : 1;
                }
                if (q >= end) break;             /* runs on to the next line */
                k = q;
                prev = c;
                continue;
            }
            if (c == '?' && (k + 1 == end || is_blank(buf[k + 1])) && (k == j || is_blank(buf[k - 1]))) {
                int opener = prev == 0 || strchr("-:?,[{", prev) != NULL || buf[word] == '&' || buf[word] == '!' ||
                             buf[word] == '*' || (word == i && k - word >= 4 && is_blank(buf[word + 3]) &&
                                                  (!strncmp(buf + word, "---", 3) || !strncmp(buf + word, "...", 3)));
                if (opener) return line;
            }
            if (k == j || is_blank(buf[k - 1])) word = k;
            prev = c;
        }
        if (block_scalar_header(buf, j, end)) scalar_indent = indent;
        i = next;
    }
    return 0;
}

struct fy_document *ms_yaml_build(const char *buf, size_t len, ms_yaml_error *e)
{
    int qline = ms_yaml_explicit_key_line(buf, len);
    if (qline > 0) {
        e->line = qline;
        e->col = 0;
        snprintf(e->reason, sizeof e->reason, "an explicit mapping key ('? '), which this YAML reader (libfyaml 0.7.12) "
                 "may crash on: write the key as 'key: value'");
        return NULL;
    }
    diag_capture cap = {{0}, 0};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = capture_fn;
    dcfg.user = &cap;
    dcfg.colorize = false;
    dcfg.show_source = false;
    dcfg.show_position = true;
    dcfg.show_type = false;
    dcfg.show_module = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    /* errors at a token are collected, not printed: printing one shows its source line, which
     * libfyaml 0.7.12 gets wrong for lines wider than 80 columns (a crash, found by fuzzing) */
    if (diag) fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET;
    cfg.diag = diag;
    struct fy_document *doc = fy_document_build_from_string(&cfg, buf, len);
    e->line = 1;
    e->col = 0;
    e->reason[0] = 0;
    void *it = NULL;
    struct fy_diag_error *first = doc || !diag ? NULL : fy_diag_errors_iterate(diag, &it);
    if (first) {
        e->line = first->line > 0 ? first->line : 1;
        e->col = first->column > 0 ? first->column : 0;
        snprintf(e->reason, sizeof e->reason, "%s", first->msg ? first->msg : "");
    }
    if (diag) {
        /* the document keeps the diagnostics object for later reports (an alias's, a duplicate
         * key's); collected there they would never be freed, and a destroyed one prints nothing */
        fy_diag_set_collect_errors(diag, false);
        fy_diag_destroy(diag);
    }
    if (doc || first) return doc;
    /* the rest is written as "<input-name>:LINE:COL: error: reason" */
    const char *m = cap.have ? cap.msg : "";
    const char *gt = strstr(m, ">:");
    if (gt) m = gt + 2;
    while (*m == ' ') m++;
    int line = 0, col = 0, used = 0;
    if (sscanf(m, "%d:%d:%n", &line, &col, &used) == 2 && used > 0) {
        e->line = line > 0 ? line : 1;
        e->col = col > 0 ? col : 0;
        m += used;
        while (*m == ' ') m++;
    }
    if (strncmp(m, "error: ", 7) == 0) m += 7;
    if (!strstr(m, "fy_parse_load_document")) snprintf(e->reason, sizeof e->reason, "%s", m);
    return NULL;
}

int ms_yaml_quote_escape(struct fy_node *n, const char *buf, size_t len)
{
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_alias(n) || fy_node_get_style(n) != FYNS_SINGLE_QUOTED)
        return 0;
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *a = t ? fy_token_start_mark(t) : NULL, *b = t ? fy_token_end_mark(t) : NULL;
    if (!a || !b || b->input_pos > len || a->input_pos > b->input_pos) return 1;   /* cannot tell: refuse */
    for (size_t i = a->input_pos; i + 1 < b->input_pos; i++)
        if (buf[i] == '\'' && buf[i + 1] == '\'') return 1;
    return 0;
}

/* Counts the nodes a subtree has once every alias is replaced by its anchor's subtree, spending
 * `budget`; -1 when the budget runs out or the nesting passes 64, -2 when an alias has no anchor,
 * -3 when an alias name is not plain (letters, digits, '_', '-'), -4 when a scalar (a key or a
 * value) holds a NUL character (a "\0" or "\x00" escape): every reader copies scalars into C
 * strings, where "H100\0junk" would silently read as "H100". *bad is the offending node. */
static int expanded(struct fy_node *n, int depth, long *budget, int *aliases, struct fy_node **bad,
                    const char *buf, size_t len)
{
    if (!n) return 0;
    if (depth > 64 || --*budget < 0) return -1;
    if (fy_node_get_type(n) == FYNT_SCALAR && !fy_node_is_alias(n)) {
        if (ms_yaml_quote_escape(n, buf, len)) {
            *bad = n;
            return -5;
        }
        size_t slen = 0;
        const char *s = fy_node_get_scalar(n, &slen);
        if (s && slen && memchr(s, 0, slen)) {
            *bad = n;
            return -4;
        }
        return 0;
    }
    if (fy_node_is_alias(n)) {
        ++*aliases;
        /* libfyaml 0.7.12 reads an alias name holding '/' as a path and scans past the end of its
         * buffer; plans and registries only need plain names, so anything else is refused first. */
        size_t nlen = 0;
        const char *name = fy_node_get_scalar(n, &nlen);
        if (!name || nlen == 0) return -3;
        for (size_t i = 0; i < nlen; i++) {
            unsigned char c = (unsigned char)name[i];
            if (!(isalnum(c) || c == '_' || c == '-')) return -3;
        }
        struct fy_node *t = fy_node_resolve_alias(n);
        return t ? expanded(t, depth + 1, budget, aliases, bad, buf, len) : -2;
    }
    void *it = NULL;
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING: {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)))
        {
            int rc = expanded(fy_node_pair_key(p), depth + 1, budget, aliases, bad, buf, len);
            if (rc >= 0) rc = expanded(fy_node_pair_value(p), depth + 1, budget, aliases, bad, buf, len);
            if (rc < 0) return rc;
        }
        return 0;
    }
    case FYNT_SEQUENCE: {
        struct fy_node *c;
        while ((c = fy_node_sequence_iterate(n, &it))) {
            int rc = expanded(c, depth + 1, budget, aliases, bad, buf, len);
            if (rc < 0) return rc;
        }
        return 0;
    }
    default: return 0;
    }
}

int msy_parse(msy_doc *y, const char *label, const char *buf, size_t len, char *err, size_t errlen)
{
    y->doc = NULL;
    y->label = label;
    y->err = err;
    y->errlen = errlen;
    if (len > MSY_MAX_BYTES) {
        snprintf(err, errlen, "%s:1: larger than %zu bytes (not a plan or registry file)", label, MSY_MAX_BYTES);
        return -1;
    }
    size_t bad = ms_yaml_utf8_invalid_at(buf, len);
    if (bad < len) {
        size_t line = 1, col = 1;
        for (size_t i = 0; i < bad; i++) {
            if (buf[i] == '\n') { line++; col = 1; }
            else if (((unsigned char)buf[i] & 0xC0) != 0x80) col++;
        }
        snprintf(err, errlen, "%s:%zu:%zu: %s (byte 0x%02x): YAML files are UTF-8 text", label, line, col,
                 buf[bad] ? "invalid UTF-8" : "NUL byte", (unsigned char)buf[bad]);
        return -1;
    }
    ms_yaml_error ye;
    y->doc = ms_yaml_build(buf, len, &ye);
    if (!y->doc) {
        if (!ye.reason[0])
            snprintf(err, errlen, "%s:1: empty or not a YAML document", label);
        else if (ye.col > 0)
            snprintf(err, errlen, "%s:%d:%d: %s", label, ye.line, ye.col, ye.reason);
        else
            snprintf(err, errlen, "%s:%d: %s", label, ye.line, ye.reason);
        return -1;
    }
    if (!fy_document_root(y->doc)) {
        snprintf(err, errlen, "%s:1: empty document", label);
        fy_document_destroy(y->doc);
        y->doc = NULL;
        return -1;
    }
    /* Aliases (*name) are resolved into copies of their anchors, after checking that the copies
     * stay small: nested aliases can grow exponentially ("billion laughs"). */
    long budget = MSY_MAX_EXPANDED_NODES;
    int aliases = 0;
    struct fy_node *bad_node = NULL;
    int erc = expanded(fy_document_root(y->doc), 0, &budget, &aliases, &bad_node, buf, len);
    if (erc < 0) {
        if (erc == -5)
            snprintf(err, errlen, "%s:%d: a single-quoted string holds the '' escape, which this YAML parser "
                     "(libfyaml 0.7.12) misreads: write it in double quotes (\"it's\")", label,
                     msy_line(bad_node) > 0 ? msy_line(bad_node) : 1);
        else if (erc == -4)
            snprintf(err, errlen, "%s:%d: a key or value holds a NUL character (a \\0 escape): names and "
                     "numbers here are plain text", label, msy_line(bad_node) > 0 ? msy_line(bad_node) : 1);
        else if (erc == -2) snprintf(err, errlen, "%s:1: an alias (*name) names no anchor (&name)", label);
        else if (erc == -3)
            snprintf(err, errlen, "%s:1: an alias name may hold only letters, digits, '_' and '-'", label);
        else snprintf(err, errlen, "%s:1: aliases expand to more than %ld nodes (or nest deeper than 64)", label,
                      (long)MSY_MAX_EXPANDED_NODES);
        fy_document_destroy(y->doc);
        y->doc = NULL;
        return -1;
    }
    if (aliases && fy_document_resolve(y->doc) != 0) {
        snprintf(err, errlen, "%s:1: an alias names no anchor", label);
        fy_document_destroy(y->doc);
        y->doc = NULL;
        return -1;
    }
    return 0;
}

void msy_close(msy_doc *y)
{
    if (y->doc) fy_document_destroy(y->doc);
    y->doc = NULL;
}

/* libfyaml 0.7 exposes marks on tokens only: a scalar's own token, else the first scalar inside
 * (a mapping's first key, a sequence's first item). Empty collections report line 0. */
int msy_line(struct fy_node *n)
{
    for (int depth = 0; n && depth < 64; depth++) {
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR: {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            return m ? m->line + 1 : 0;
        }
        case FYNT_MAPPING: {
            void *it = NULL;
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
            break;
        }
        case FYNT_SEQUENCE: {
            void *it = NULL;
            n = fy_node_sequence_iterate(n, &it);
            break;
        }
        default: return 0;
        }
    }
    return 0;
}

int msy_fail(msy_doc *y, struct fy_node *n, const char *field, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(y->err, y->errlen, "%s:%d: %s: %s", y->label, msy_line(n), field, msg);
    return -1;
}

const char *msy_scalar(struct fy_node *n, char *buf, size_t cap)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s || len + 1 > cap) return NULL;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

int msy_is_map(struct fy_node *n) { return n && fy_node_get_type(n) == FYNT_MAPPING; }
int msy_is_seq(struct fy_node *n) { return n && fy_node_get_type(n) == FYNT_SEQUENCE; }

const char *msy_key(struct fy_node_pair *p, char *buf, size_t cap)
{
    struct fy_node *k = fy_node_pair_key(p);
    size_t len = 0;
    const char *s = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
    if (!s) { snprintf(buf, cap, "?"); return buf; }
    if (len >= cap) len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

int msy_next(struct fy_node *map, const char *prefix, msy_fields *it)
{
    it->pair = fy_node_mapping_iterate(map, &it->iter);
    if (!it->pair) return 0;
    msy_key(it->pair, it->key, sizeof it->key);
    it->value = fy_node_pair_value(it->pair);
    snprintf(it->field, sizeof it->field, "%s.%s", prefix, it->key);
    return 1;
}

int msy_unknown(msy_doc *y, const msy_fields *it)
{
    return msy_fail(y, fy_node_pair_key(it->pair), it->field, "unknown field");
}

static int is_plain(struct fy_node *n) { return fy_node_get_style(n) == FYNS_PLAIN; }

int msy_str(msy_doc *y, struct fy_node *n, const char *field, char *dst, size_t cap)
{
    size_t len = 0;
    const char *s = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar(n, &len) : NULL;
    if (!s)
        return msy_fail(y, n, field, "expected a string");
    if (len >= cap)                              /* refused, not cut */
        return msy_fail(y, n, field, "longer than %zu characters", cap - 1);
    memcpy(dst, s, len);                         /* no NUL inside: msy_parse refused any such scalar */
    dst[len] = '\0';
    return 0;
}

int msy_int(msy_doc *y, struct fy_node *n, const char *field, int *dst, long min, long max)
{
    char tmp[64];
    if (!msy_scalar(n, tmp, sizeof tmp) || !is_plain(n))
        return msy_fail(y, n, field, "expected an integer");
    errno = 0;
    char *end;
    long v = strtol(tmp, &end, 10);
    if (end == tmp || *end || errno) return msy_fail(y, n, field, "'%s' is not an integer", tmp);
    if (v < min || v > max) return msy_fail(y, n, field, "%ld is outside [%ld, %ld]", v, min, max);
    *dst = (int)v;
    return 0;
}

int msy_num(msy_doc *y, struct fy_node *n, const char *field, double *dst, double min, double max)
{
    char tmp[64];
    if (!msy_scalar(n, tmp, sizeof tmp) || !is_plain(n))
        return msy_fail(y, n, field, "expected a number");
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end == tmp || *end || errno || !isfinite(v))
        return msy_fail(y, n, field, "'%s' is not a number", tmp);
    if (v < min || v > max) return msy_fail(y, n, field, "%g is outside [%g, %g]", v, min, max);
    *dst = v;
    return 0;
}

int msy_qty(msy_doc *y, struct fy_node *n, const char *field, const char *dim, double *dst)
{
    char tmp[128], e[200];
    if (!msy_scalar(n, tmp, sizeof tmp))
        return msy_fail(y, n, field, "expected a quantity in %s", dim);
    double v;
    if (ms_parse_quantity(tmp, dim, &v, e, sizeof e) != 0) return msy_fail(y, n, field, "%s", e);
    /* a unit is required ("memory: 16" is not 16 bytes by accident); 0 needs none */
    char *end;
    double bare = strtod(tmp, &end);
    while (*end == ' ') end++;
    if (dim[0] && end != tmp && !*end && bare != 0)
        return msy_fail(y, n, field, "'%s' needs a unit (e.g. '%s')", tmp,
                        !strcmp(dim, "bytes") ? "80 GB" : !strcmp(dim, "bytes/s") ? "3.35 TB/s"
                        : !strcmp(dim, "flop/s") ? "989 TFLOPS" : !strcmp(dim, "flop") ? "4.1 GFLOP"
                        : !strcmp(dim, "s") ? "5 us" : !strcmp(dim, "W") ? "700 W" : "25000 USD");
    if (v < 0) return msy_fail(y, n, field, "must not be negative");
    *dst = v;
    return 0;
}

int msy_bool(msy_doc *y, struct fy_node *n, const char *field, int *dst)
{
    char tmp[16];
    if (!msy_scalar(n, tmp, sizeof tmp) || !is_plain(n))
        return msy_fail(y, n, field, "expected true or false");
    if (!strcmp(tmp, "true") || !strcmp(tmp, "True") || !strcmp(tmp, "yes")) { *dst = 1; return 0; }
    if (!strcmp(tmp, "false") || !strcmp(tmp, "False") || !strcmp(tmp, "no")) { *dst = 0; return 0; }
    return msy_fail(y, n, field, "expected true or false, got '%s'", tmp);
}
