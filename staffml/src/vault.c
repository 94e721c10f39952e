/* vault.c - loading vault YAML with libfyaml: taxonomy names, typed field reads that report
 * "file:line: field: reason", one bad question never stops the rest of its file from loading.
 * Input is checked before libfyaml sees it: size bounded (SML_VAULT_MAX_FILE_BYTES), valid UTF-8,
 * no NUL bytes (libfyaml 0.7.12 can hang on some invalid UTF-8 sequences). */
#include "staffml/vault.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "mlsysim/yaml_text.h"

static const char *const k_tracks[SML_TRACK_COUNT] = {"cloud", "edge", "mobile", "tinyml"};
static const char *const k_areas[SML_AREA_COUNT] = {
    "compute",      "memory",      "latency",    "precision", "power",
    "architecture", "optimization", "parallelism", "networking", "deployment",
    "reliability",  "data",        "cross-cutting"};

const char *sml_track_name(sml_track t) { return (unsigned)t < SML_TRACK_COUNT ? k_tracks[t] : "?"; }
const char *sml_area_name(sml_area a) { return (unsigned)a < SML_AREA_COUNT ? k_areas[a] : "?"; }

int sml_track_parse(const char *s, sml_track *out)
{
    for (int i = 0; s && i < SML_TRACK_COUNT; i++)
        if (!strcasecmp(s, k_tracks[i])) { *out = (sml_track)i; return 0; }
    return -1;
}

int sml_area_parse(const char *s, sml_area *out)
{
    for (int i = 0; s && i < SML_AREA_COUNT; i++)
        if (!strcasecmp(s, k_areas[i])) { *out = (sml_area)i; return 0; }
    return -1;
}

int sml_level_parse(const char *s, int *out)
{
    if (!s) return -1;
    if (*s == 'L' || *s == 'l') s++;
    if (s[0] >= '1' && s[0] <= '6' && s[1] == 0) { *out = s[0] - '0'; return 0; }
    return -1;
}

int sml_filter_match(const sml_filter *f, sml_track t, sml_area a, int level)
{
    return (f->track < 0 || f->track == (int)t) && (f->area < 0 || f->area == (int)a) &&
           (f->level < 0 || f->level == level);
}

/* ---- vault storage ---- */

void sml_vault_init(sml_vault *v) { memset(v, 0, sizeof *v); }

static void free_question(sml_question *q)
{
    char **strs[] = {&q->id, &q->topic, &q->title, &q->scenario, &q->question, &q->answer,
                     &q->mistake, &q->napkin, &q->source, &q->unit, &q->formula, &q->chain,
                     &q->file, &q->options[0], &q->options[1], &q->options[2], &q->options[3]};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

void sml_vault_free(sml_vault *v)
{
    for (size_t i = 0; i < v->n; i++) free_question(&v->q[i]);
    free(v->q);
    for (size_t i = 0; i < v->nerr; i++) free(v->errors[i]);
    free(v->errors);
    memset(v, 0, sizeof *v);
}

static void add_error(sml_vault *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void add_error(sml_vault *v, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (v->nerr == v->errcap) {
        size_t nc = v->errcap ? v->errcap * 2 : 16;
        char **e = realloc(v->errors, nc * sizeof *e);
        if (!e) return;
        v->errors = e;
        v->errcap = nc;
    }
    char *s = strdup(buf);
    if (s) v->errors[v->nerr++] = s;
}

const sml_question *sml_vault_find(const sml_vault *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->q[i].id, id)) return &v->q[i];
    return NULL;
}

size_t sml_vault_chain_count(const sml_vault *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (!v->q[i].chain) continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = v->q[j].chain && !strcmp(v->q[j].chain, v->q[i].chain);
        n += !seen;
    }
    return n;
}

const char *sml_vault_default_dir(void)
{
    const char *e = getenv("STAFFML_VAULT");
    if (e && *e) return e;
#ifdef STAFFML_VAULT_DIR
    return STAFFML_VAULT_DIR;
#else
    return "staffml/vault";
#endif
}

/* ---- libfyaml helpers (UTF-8 checks and the parse itself: mlsysim/yaml_text.h) ---- */

/* 1-based line of a node: a collection's line is that of its first scalar (libfyaml 0.7 marks
 * tokens, not nodes). */
static int node_line(struct fy_node *n)
{
    int depth = 0;
    while (n && depth++ < 64) {
        enum fy_node_type t = fy_node_get_type(n);
        if (t == FYNT_SCALAR) {
            struct fy_token *tok = fy_node_get_scalar_token(n);
            const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
            return m ? m->line + 1 : 1;
        }
        void *it = NULL;
        if (t == FYNT_MAPPING) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
    return 1;
}

typedef struct {
    sml_vault *v;
    const char *label;
    int errors;
} reader;

static void fail(reader *r, struct fy_node *n, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void fail(reader *r, struct fy_node *n, const char *field, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    add_error(r->v, "%s:%d: %s: %s", r->label, node_line(n), field, msg);
    r->errors++;
}

/* malloc'd copy of a scalar, NULL if not a scalar. */
static char *scalar_dup(struct fy_node *n)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
    size_t len;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s) return NULL;
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

static int is_blank(const char *s)
{
    while (s && *s) if (!isspace((unsigned char)*s++)) return 0;
    return 1;
}

enum { F_ID, F_TRACK, F_LEVEL, F_AREA, F_TOPIC, F_TITLE, F_SCENARIO, F_QUESTION, F_ANSWER,
       F_MISTAKE, F_NAPKIN, F_OPTIONS, F_CORRECT, F_NUMERIC, F_CHECK, F_CHAIN, F_SOURCE, F_COUNT };
static const char *const k_fields[F_COUNT] = {
    "id", "track", "level", "area", "topic", "title", "scenario", "question", "answer",
    "mistake", "napkin", "options", "correct", "numeric", "check", "chain", "source"};
/* Required text fields; the rest are optional. */
static const int k_required[F_COUNT] = {1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};

static int read_number(reader *r, struct fy_node *n, const char *field, double *out)
{
    char *s = scalar_dup(n);
    if (!s) { fail(r, n, field, "want a number"); return -1; }
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    int bad = end == s || *end || errno || !isfinite(x);
    if (bad) fail(r, n, field, "'%s' is not a number", s);
    free(s);
    if (bad) return -1;
    *out = x;
    return 0;
}

static int valid_id(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-')) return 0;
    return 1;
}

/* The first scalar (key or value) under n holding a NUL character, or NULL. YAML can spell one
 * ("\0", "\x00"), but every field is copied into a C string, where "mcq\0junk" would read as "mcq". */
static struct fy_node *find_nul(struct fy_node *n, int depth)
{
    if (!n || depth > 64) return NULL;
    void *it = NULL;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        size_t len = 0;
        const char *s = fy_node_is_alias(n) ? NULL : fy_node_get_scalar(n, &len);
        return s && len && memchr(s, 0, len) ? n : NULL;
    }
    case FYNT_MAPPING: {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it))) {
            struct fy_node *b = find_nul(fy_node_pair_key(p), depth + 1);
            if (!b) b = find_nul(fy_node_pair_value(p), depth + 1);
            if (b) return b;
        }
        return NULL;
    }
    case FYNT_SEQUENCE: {
        struct fy_node *c, *b;
        while ((c = fy_node_sequence_iterate(n, &it)))
            if ((b = find_nul(c, depth + 1))) return b;
        return NULL;
    }
    default: return NULL;
    }
}

/* The first single-quoted scalar under n holding the '' escape, or NULL (ms_yaml_quote_escape:
 * libfyaml 0.7.12 misreads them), found before any text of the document is read. */
static struct fy_node *find_quote_escape(struct fy_node *n, const char *buf, size_t len, int depth)
{
    if (!n || depth > 64) return NULL;
    void *it = NULL;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: return ms_yaml_quote_escape(n, buf, len) ? n : NULL;
    case FYNT_MAPPING: {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it))) {
            struct fy_node *b = find_quote_escape(fy_node_pair_key(p), buf, len, depth + 1);
            if (!b) b = find_quote_escape(fy_node_pair_value(p), buf, len, depth + 1);
            if (b) return b;
        }
        return NULL;
    }
    case FYNT_SEQUENCE: {
        struct fy_node *c, *b;
        while ((c = fy_node_sequence_iterate(n, &it)))
            if ((b = find_quote_escape(c, buf, len, depth + 1))) return b;
        return NULL;
    }
    default: return NULL;
    }
}

/* Reads one question mapping; returns 0 and fills q, or -1 (errors reported, q freed). */
static int read_question(reader *r, struct fy_node *map, sml_question *q)
{
    memset(q, 0, sizeof *q);
    q->line = node_line(map);
    int before = r->errors;
    if (fy_node_get_type(map) != FYNT_MAPPING) {
        fail(r, map, "question", "want a mapping of fields");
        return -1;
    }
    struct fy_node *nul = find_nul(map, 0);
    if (nul) {
        fail(r, nul, "question", "a key or value holds a NUL character (a \\0 escape); vault text is plain text");
        return -1;
    }
    struct fy_node *f[F_COUNT] = {0};
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        char *key = scalar_dup(k);
        int idx = -1;
        for (int i = 0; key && i < F_COUNT; i++)
            if (!strcmp(key, k_fields[i])) idx = i;
        if (idx < 0) fail(r, k, key ? key : "?", "unknown field");
        else f[idx] = fy_node_pair_value(p);
        free(key);
    }
    char *text[F_COUNT] = {0};
    static const int textual[] = {F_ID, F_TOPIC, F_TITLE, F_SCENARIO, F_QUESTION, F_ANSWER,
                                  F_MISTAKE, F_NAPKIN, F_SOURCE};
    for (size_t t = 0; t < sizeof textual / sizeof textual[0]; t++) {
        int i = textual[t];
        if (!f[i]) {
            if (k_required[i]) fail(r, map, k_fields[i], "missing");
            continue;
        }
        text[i] = scalar_dup(f[i]);
        if (!text[i] || (k_required[i] && is_blank(text[i])))
            fail(r, f[i], k_fields[i], "want non-empty text");
    }
    q->id = text[F_ID]; q->topic = text[F_TOPIC]; q->title = text[F_TITLE];
    q->scenario = text[F_SCENARIO]; q->question = text[F_QUESTION]; q->answer = text[F_ANSWER];
    q->mistake = text[F_MISTAKE]; q->napkin = text[F_NAPKIN]; q->source = text[F_SOURCE];
    if (q->id && !valid_id(q->id)) fail(r, f[F_ID], "id", "'%s': want 1-64 of [a-z0-9-]", q->id);

    char *s;
    if (!f[F_TRACK]) fail(r, map, "track", "missing");
    else {
        s = scalar_dup(f[F_TRACK]);
        if (!s || sml_track_parse(s, &q->track))
            fail(r, f[F_TRACK], "track", "'%s' is not one of cloud, edge, mobile, tinyml", s ? s : "");
        free(s);
    }
    if (!f[F_AREA]) fail(r, map, "area", "missing");
    else {
        s = scalar_dup(f[F_AREA]);
        if (!s || sml_area_parse(s, &q->area))
            fail(r, f[F_AREA], "area", "'%s' is not one of the 13 areas (compute, memory, latency, "
                 "precision, power, architecture, optimization, parallelism, networking, "
                 "deployment, reliability, data, cross-cutting)", s ? s : "");
        free(s);
    }
    if (!f[F_LEVEL]) fail(r, map, "level", "missing");
    else {
        s = scalar_dup(f[F_LEVEL]);
        if (!s || sml_level_parse(s, &q->level))
            fail(r, f[F_LEVEL], "level", "'%s' is not L1..L6", s ? s : "");
        free(s);
    }
    if (f[F_OPTIONS]) {
        struct fy_node *o = f[F_OPTIONS];
        if (fy_node_get_type(o) != FYNT_SEQUENCE || fy_node_sequence_item_count(o) != 4) {
            fail(r, o, "options", "want a sequence of exactly 4 choices");
        } else {
            for (int i = 0; i < 4; i++) {
                q->options[i] = scalar_dup(fy_node_sequence_get_by_index(o, i));
                if (!q->options[i] || is_blank(q->options[i]))
                    fail(r, fy_node_sequence_get_by_index(o, i), "options", "choice %d: want text", i + 1);
            }
            q->has_mcq = 1;
            double c;
            if (!f[F_CORRECT]) fail(r, o, "correct", "missing (index 0..3 of the right option)");
            else if (!read_number(r, f[F_CORRECT], "correct", &c)) {
                if (c != floor(c) || c < 0 || c > 3) fail(r, f[F_CORRECT], "correct", "want 0..3");
                else q->correct = (int)c;
            }
        }
    } else if (f[F_CORRECT]) {
        fail(r, f[F_CORRECT], "correct", "given without options");
    }
    if (f[F_NUMERIC] && f[F_CHECK]) fail(r, f[F_CHECK], "check", "a question has either numeric or check, not both");
    for (int which = F_NUMERIC; which <= F_CHECK; which++) {
        struct fy_node *nm = f[which];
        if (!nm) continue;
        const char *fn = k_fields[which];
        char fv[32], fu[32], ft[32], ff[32];
        snprintf(fv, sizeof fv, "%s.value", fn);
        snprintf(fu, sizeof fu, "%s.unit", fn);
        snprintf(ft, sizeof ft, "%s.tolerance", fn);
        snprintf(ff, sizeof ff, "%s.formula", fn);
        if (fy_node_get_type(nm) != FYNT_MAPPING) {
            fail(r, nm, fn, "want a mapping {value, unit, tolerance[, formula]}");
        } else {
            struct fy_node *val = fy_node_mapping_lookup_by_string(nm, "value", -1);
            struct fy_node *unit = fy_node_mapping_lookup_by_string(nm, "unit", -1);
            struct fy_node *tol = fy_node_mapping_lookup_by_string(nm, "tolerance", -1);
            struct fy_node *form = fy_node_mapping_lookup_by_string(nm, "formula", -1);
            void *it2 = NULL;
            while ((p = fy_node_mapping_iterate(nm, &it2))) {
                char *key = scalar_dup(fy_node_pair_key(p));
                if (!key || (strcmp(key, "value") && strcmp(key, "unit") && strcmp(key, "tolerance") &&
                             strcmp(key, "formula")))
                    fail(r, fy_node_pair_key(p), fn, "unknown field '%s'", key ? key : "?");
                free(key);
            }
            if (!val) fail(r, nm, fv, "missing");
            else read_number(r, val, fv, &q->value);
            if (!unit) fail(r, nm, fu, "missing");
            else if (!(q->unit = scalar_dup(unit)) || is_blank(q->unit))
                fail(r, unit, fu, "want a unit (e.g. GiB, ms, x)");
            q->tolerance = 0.05;
            if (tol && !read_number(r, tol, ft, &q->tolerance) && (q->tolerance <= 0 || q->tolerance > 0.5))
                fail(r, tol, ft, "%g: want a relative tolerance in (0, 0.5]", q->tolerance);
            if (form && !(q->formula = scalar_dup(form))) fail(r, form, ff, "want an arithmetic expression");
            q->has_numeric = 1;
            q->numeric_graded = which == F_NUMERIC;
        }
        break;   /* both present was reported above */
    }
    if (f[F_CHAIN]) {
        struct fy_node *c = f[F_CHAIN];
        struct fy_node *cid = fy_node_get_type(c) == FYNT_MAPPING
                                  ? fy_node_mapping_lookup_by_string(c, "id", -1) : NULL;
        struct fy_node *cpos = fy_node_get_type(c) == FYNT_MAPPING
                                   ? fy_node_mapping_lookup_by_string(c, "position", -1) : NULL;
        double pos = 0;
        if (!cid || !cpos) fail(r, c, "chain", "want a mapping {id, position}");
        else if (!(q->chain = scalar_dup(cid)) || !valid_id(q->chain))
            fail(r, cid, "chain.id", "want 1-64 of [a-z0-9-]");
        else if (!read_number(r, cpos, "chain.position", &pos)) {
            if (pos != floor(pos) || pos < 1 || pos > 20) fail(r, cpos, "chain.position", "want 1..20");
            else q->chain_pos = (int)pos;
        }
    }
    if (r->errors != before) {
        free_question(q);
        return -1;
    }
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

size_t sml_vault_load_buffer(sml_vault *v, const char *label, const char *buf, size_t len)
{
    reader r = {v, label, 0};
    if (len > SML_VAULT_MAX_FILE_BYTES) {
        add_error(v, "%s:1: file: %zu bytes, more than the %u-byte limit", label, len,
                  (unsigned)SML_VAULT_MAX_FILE_BYTES);
        return 1;
    }
    size_t bad = ms_yaml_utf8_invalid_at(buf, len);
    if (bad < len) {
        add_error(v, "%s:%d: file: invalid UTF-8 (or NUL) at byte %zu", label, ms_yaml_line_at(buf, bad), bad);
        return 1;
    }
    ms_yaml_error ye;
    struct fy_document *doc = ms_yaml_build(buf, len, &ye);
    if (!doc) {
        add_error(v, "%s:%d: yaml: %s", label, ye.line, ye.reason[0] ? ye.reason : "not a YAML document");
        return 1;
    }
    struct fy_node *root = fy_document_root(doc);
    struct fy_node *sq = find_quote_escape(root, buf, len, 0);
    if (sq) {
        fail(&r, sq, "yaml", "a single-quoted string holds the '' escape, which this YAML parser (libfyaml "
             "0.7.12) misreads: write it in double quotes (\"it's\")");
        fy_document_destroy(doc);
        return (size_t)r.errors;
    }
    struct fy_node *qs = root && fy_node_get_type(root) == FYNT_MAPPING
                             ? fy_node_mapping_lookup_by_string(root, "questions", -1) : NULL;
    if (!qs || fy_node_get_type(qs) != FYNT_SEQUENCE) {
        fail(&r, root, "questions", "want a top-level mapping with a 'questions:' sequence");
        fy_document_destroy(doc);
        return (size_t)r.errors;
    }
    if (fy_node_mapping_item_count(root) != 1) fail(&r, root, "file", "only 'questions:' may be at the top level");
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(qs, &it))) {
        sml_question q;
        if (read_question(&r, item, &q)) continue;
        if (sml_vault_find(v, q.id)) {
            fail(&r, item, "id", "'%s' is used twice", q.id);
            free_question(&q);
            continue;
        }
        q.file = strdup(label);
        if (v->n == v->cap) {
            size_t nc = v->cap ? v->cap * 2 : 64;
            sml_question *nq = realloc(v->q, nc * sizeof *nq);
            if (!nq) { free_question(&q); fail(&r, item, "question", "out of memory"); break; }
            v->q = nq;
            v->cap = nc;
        }
        v->q[v->n++] = q;
    }
    fy_document_destroy(doc);
    return (size_t)r.errors;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sml_vault_load_dir(sml_vault *v, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        add_error(v, "%s:1: vault: cannot open directory: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") || e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        struct stat st;
        if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
            add_error(v, "%s:1: file: cannot read: %s", names[i], strerror(errno));
            if (f) fclose(f);
            free(names[i]);
            continue;
        }
        if ((unsigned long long)st.st_size > SML_VAULT_MAX_FILE_BYTES) {
            add_error(v, "%s:1: file: %lld bytes, more than the %u-byte limit", names[i],
                      (long long)st.st_size, (unsigned)SML_VAULT_MAX_FILE_BYTES);
            fclose(f);
            free(names[i]);
            continue;
        }
        size_t len = (size_t)st.st_size;
        char *buf = malloc(len + 1);
        if (buf && fread(buf, 1, len, f) == len) {
            buf[len] = 0;
            sml_vault_load_buffer(v, base_name(names[i]), buf, len);
        } else {
            add_error(v, "%s:1: file: read failed", names[i]);
        }
        free(buf);
        fclose(f);
        free(names[i]);
    }
    free(names);
    return 0;
}
