/* result.c - the engine's result: a flat, ordered key/value table rendered as text (for people),
 * strict JSON (for scripts: SI numbers, snake_case keys ending in their unit, never NaN/Inf: a
 * non-finite number becomes null) or a markdown table.
 *
 * Invariants: keys are unique (a later set replaces the value in place); at most MS_RESULT_MAX
 * items (further keys are dropped); string items own their copy. */
#include "mlsysim/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ms_result_init(ms_result *r, const char *title)
{
    /* the header only: items past n are never read (an evaluation does not pay for 15 kB of zeroes) */
    snprintf(r->title, sizeof r->title, "%s", title ? title : "");
    r->n = 0;
    r->status = MS_OK;
    r->error[0] = 0;
    r->notes[0] = 0;
    r->arena_used = 0;
    memset(r->index, 0, sizeof r->index);
}

static void drop_str(ms_item *it)
{
    if (it->heap) free(it->str);
    it->str = NULL;
    it->heap = 0;
}

void ms_result_free(ms_result *r)
{
    for (int i = 0; i < r->n; i++) drop_str(&r->items[i]);
    r->n = 0;
    r->arena_used = 0;
    memset(r->index, 0, sizeof r->index);
}

/* Hash of a key from its length and its first and last 8 bytes (keys that share a prefix, like
 * memory_*_bytes, differ at one end or in length); folded to 8 bits. */
static unsigned key_hash(const char *k, size_t *len)
{
    size_t n = strlen(k);
    *len = n;
    unsigned long long a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, k, 8);
        memcpy(&b, k + n - 8, 8);
    } else {
        memcpy(&a, k, n);
    }
    unsigned long long h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (n * 0x165667B19E3779F9ull);
    h ^= h >> 32;
    h ^= h >> 16;
    return (unsigned)(h ^ (h >> 8));
}

/* The item of `key`, or -1; *pos is where the key's index entry is or would go. */
static int find(const ms_result *r, const char *key, size_t *pos, size_t *len)
{
    unsigned h = key_hash(key, len);
    for (size_t probe = 0; probe < 256; probe++) {
        size_t i = (h + probe) & 255u;
        int item = (int)r->index[i] - 1;
        if (item < 0) { *pos = i; return -1; }
        if (!strcmp(r->items[item].key, key)) { *pos = i; return item; }
    }
    *pos = 256;
    return -1;
}

static ms_item *slot(ms_result *r, const char *key, ms_vkind kind)
{
    size_t pos, len;
    int i = find(r, key, &pos, &len);
    if (i >= 0) {                                  /* a later value replaces */
        drop_str(&r->items[i]);
        r->items[i].kind = kind;
        return &r->items[i];
    }
    if (r->n >= MS_RESULT_MAX || pos >= 256 || len >= sizeof r->items[0].key) return NULL;
    ms_item *it = &r->items[r->n];
    memcpy(it->key, key, len + 1);
    it->kind = kind;
    it->num = 0;
    it->i = 0;
    it->str = NULL;
    it->heap = 0;
    r->index[pos] = (unsigned char)(++r->n);
    return it;
}

void ms_result_num(ms_result *r, const char *key, double v)
{
    ms_item *it = slot(r, key, MS_V_NUM);
    if (it) it->num = v;
}

void ms_result_int(ms_result *r, const char *key, long long v)
{
    ms_item *it = slot(r, key, MS_V_INT);
    if (it) { it->i = v; it->num = (double)v; }
}

/* Short strings go to the result's arena (an evaluation does not call malloc for them). */
static void set_str(ms_result *r, ms_item *it, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n <= sizeof r->arena - r->arena_used) {
        it->str = r->arena + r->arena_used;
        r->arena_used += n;
        it->heap = 0;
    } else {
        it->str = malloc(n);
        it->heap = it->str != NULL;
        if (!it->str) return;
    }
    memcpy(it->str, s, n);
}

void ms_result_str(ms_result *r, const char *key, const char *v)
{
    ms_item *it = slot(r, key, MS_V_STR);
    if (it) set_str(r, it, v ? v : "");
}

void ms_result_bool(ms_result *r, const char *key, int v)
{
    ms_item *it = slot(r, key, MS_V_BOOL);
    if (it) { it->i = v != 0; it->num = v != 0; }
}

void ms_result_raw(ms_result *r, const char *key, const char *json)
{
    ms_item *it = slot(r, key, MS_V_RAW);
    if (it) set_str(r, it, json ? json : "null");
}

void ms_result_note(ms_result *r, const char *fmt, ...)
{
    size_t n = strlen(r->notes);
    if (n + 2 >= sizeof r->notes) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(r->notes + n, sizeof r->notes - n - 1, fmt, ap);
    va_end(ap);
    if (w < 0) { r->notes[n] = 0; return; }
    n = strlen(r->notes);
    r->notes[n] = '\n';
    r->notes[n + 1] = 0;
}

int ms_result_get(const ms_result *r, const char *key, double *v)
{
    size_t pos, len;
    int i = find(r, key, &pos, &len);
    if (i < 0 || r->items[i].kind == MS_V_STR || r->items[i].kind == MS_V_RAW) return 0;
    *v = r->items[i].num;
    return 1;
}

const char *ms_result_get_str(const ms_result *r, const char *key)
{
    size_t pos, len;
    int i = find(r, key, &pos, &len);
    return i >= 0 && r->items[i].kind == MS_V_STR ? r->items[i].str : NULL;
}

/* ---- JSON into a bounded buffer (length counted past the end, like snprintf) ---- */

typedef struct { char *buf; size_t cap, n; } sbuf;

static void put(sbuf *b, const char *s, size_t len)
{
    if (b->buf && b->n < b->cap) {
        size_t room = b->cap - b->n;
        memcpy(b->buf + b->n, s, len < room ? len : room);
    }
    b->n += len;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void put_json_str(sbuf *b, const char *s)
{
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char e[8];
        if (ch == '"' || ch == '\\') { e[0] = '\\'; e[1] = (char)ch; put(b, e, 2); }
        else if (ch == '\n') put(b, "\\n", 2);
        else if (ch < 0x20) { snprintf(e, sizeof e, "\\u%04x", ch); put(b, e, 6); }
        else put(b, (const char *)&ch, 1);
    }
    put(b, "\"", 1);
}

static void put_json_number(sbuf *b, double v)
{
    if (!isfinite(v)) { puts_(b, "null"); return; }
    char t[64];
    snprintf(t, sizeof t, "%.10g", v);
    puts_(b, t);
}

size_t ms_result_json(const ms_result *r, char *buf, size_t cap)
{
    sbuf b = {buf, cap, 0};
    char t[64];
    put(&b, "{", 1);
    for (int i = 0; i < r->n; i++) {
        const ms_item *it = &r->items[i];
        if (i) puts_(&b, ", ");
        put_json_str(&b, it->key);
        puts_(&b, ": ");
        switch (it->kind) {
        case MS_V_NUM: put_json_number(&b, it->num); break;
        case MS_V_INT: snprintf(t, sizeof t, "%lld", it->i); puts_(&b, t); break;
        case MS_V_BOOL: puts_(&b, it->i ? "true" : "false"); break;
        case MS_V_STR: put_json_str(&b, it->str ? it->str : ""); break;
        case MS_V_RAW: puts_(&b, it->str ? it->str : "null"); break;
        }
    }
    puts_(&b, "}\n");
    if (buf && cap) buf[b.n < cap ? b.n : cap - 1] = 0;
    return b.n;
}

void ms_json_str(FILE *f, const char *s)
{
    char small[512];
    sbuf b = {small, sizeof small, 0};
    put_json_str(&b, s);
    if (b.n <= sizeof small) { fwrite(small, 1, b.n, f); return; }
    char *big = malloc(b.n);
    if (!big) { fputs("\"\"", f); return; }
    sbuf b2 = {big, b.n, 0};
    put_json_str(&b2, s);
    fwrite(big, 1, b2.n, f);
    free(big);
}

/* ---- text ---- */

static int ends(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void scaled(double v, const char *const *units, const double *scales, int n, char *buf, size_t cap)
{
    int k = n - 1;
    for (int i = 0; i < n; i++)
        if (fabs(v) >= scales[i] || i == n - 1) { k = i; break; }
    if (v == 0)                       /* zero in the base unit ("0 J", not "0 uJ") */
        for (int i = 0; i < n; i++)
            if (scales[i] == 1) k = i;
    snprintf(buf, cap, "%.4g %s", v / scales[k], units[k]);
}

void ms_fmt_human(const char *key, double v, char *buf, size_t cap)
{
    if (!isfinite(v)) { snprintf(buf, cap, "n/a"); return; }
    if (ends(key, "_bytes_per_s")) {
        static const char *const u[] = {"PB/s", "TB/s", "GB/s", "MB/s", "kB/s", "B/s"};
        static const double s[] = {1e15, 1e12, 1e9, 1e6, 1e3, 1};
        scaled(v, u, s, 6, buf, cap);
    } else if (ends(key, "_flop_per_s") || ends(key, "_flops")) {
        static const char *const u[] = {"PFLOP/s", "TFLOP/s", "GFLOP/s", "MFLOP/s", "FLOP/s"};
        static const double s[] = {1e15, 1e12, 1e9, 1e6, 1};
        scaled(v, u, s, 5, buf, cap);
    } else if (ends(key, "_op_per_s")) {    /* integer operations (int8 peaks): OP/s, not FLOP/s */
        static const char *const u[] = {"POP/s", "TOP/s", "GOP/s", "MOP/s", "OP/s"};
        static const double s[] = {1e15, 1e12, 1e9, 1e6, 1};
        scaled(v, u, s, 5, buf, cap);
    } else if (ends(key, "_per_s")) {
        static const char *const u[] = {"G/s", "M/s", "k/s", "/s"};
        static const double s[] = {1e9, 1e6, 1e3, 1};
        scaled(v, u, s, 4, buf, cap);
    } else if (ends(key, "_s")) {
        static const char *const u[] = {"days", "h", "s", "ms", "us", "ns"};
        static const double s[] = {86400, 3600, 1, 1e-3, 1e-6, 1e-9};
        if (v == 0) snprintf(buf, cap, "0 s");
        else scaled(v, u, s, 6, buf, cap);
    } else if (ends(key, "_bytes")) {
        static const char *const u[] = {"TB", "GB", "MB", "kB", "B"};
        static const double s[] = {1e12, 1e9, 1e6, 1e3, 1};
        if (v == 0) snprintf(buf, cap, "0 B");
        else scaled(v, u, s, 5, buf, cap);
    } else if (!strcmp(key, "tflops_per_accelerator")) {   /* a kept key whose name carries no unit suffix */
        snprintf(buf, cap, "%.4g TFLOP/s", v);
    } else if (ends(key, "_flop_per_byte")) {
        snprintf(buf, cap, "%.4g FLOP/B", v);
    } else if (ends(key, "_flop")) {
        static const char *const u[] = {"EFLOP", "PFLOP", "TFLOP", "GFLOP", "MFLOP", "kFLOP", "FLOP"};
        static const double s[] = {1e18, 1e15, 1e12, 1e9, 1e6, 1e3, 1};
        scaled(v, u, s, 7, buf, cap);
    } else if (ends(key, "_j")) {
        static const char *const u[] = {"GJ", "MJ", "kJ", "J", "mJ", "uJ"};
        static const double s[] = {1e9, 1e6, 1e3, 1, 1e-3, 1e-6};
        scaled(v, u, s, 6, buf, cap);
    } else if (ends(key, "_w")) {
        static const char *const u[] = {"MW", "kW", "W", "mW"};
        static const double s[] = {1e6, 1e3, 1, 1e-3};
        scaled(v, u, s, 4, buf, cap);
    } else if (ends(key, "_usd")) {
        snprintf(buf, cap, "$%.2f", v);
    } else if (ends(key, "_kg")) {
        snprintf(buf, cap, "%.4g kg", v);
    } else if (ends(key, "_l")) {
        snprintf(buf, cap, "%.4g L", v);
    } else if (!strcmp(key, "mfu") || !strcmp(key, "hfu") || ends(key, "_fraction") ||
               ends(key, "utilization") || !strcmp(key, "goodput")) {
        snprintf(buf, cap, "%.2f %%", 100 * v);
    } else {
        snprintf(buf, cap, "%.6g", v);
    }
}

void ms_result_print(const ms_result *r, ms_format fmt, FILE *f)
{
    char buf[128];
    if (fmt == MS_FMT_JSON) {
        size_t n = ms_result_json(r, NULL, 0);
        char *j = malloc(n + 1);
        if (!j) { fputs("{\"status\": \"error\", \"reason\": \"out of memory\"}\n", f); return; }
        ms_result_json(r, j, n + 1);
        fwrite(j, 1, n, f);
        free(j);
        return;
    }
    if (fmt == MS_FMT_MARKDOWN) {
        if (r->title[0]) fprintf(f, "### %s\n\n", r->title);
        fputs("| metric | value |\n|---|---|\n", f);
    } else if (r->title[0]) {
        fprintf(f, "%s\n", r->title);
    }
    for (int i = 0; i < r->n; i++) {
        const ms_item *it = &r->items[i];
        switch (it->kind) {
        case MS_V_NUM: ms_fmt_human(it->key, it->num, buf, sizeof buf); break;
        case MS_V_INT: snprintf(buf, sizeof buf, "%lld", it->i); break;
        case MS_V_BOOL: snprintf(buf, sizeof buf, "%s", it->i ? "yes" : "no"); break;
        case MS_V_STR: snprintf(buf, sizeof buf, "%s", it->str ? it->str : ""); break;
        case MS_V_RAW: continue;                      /* nested data: JSON only */
        }
        if (fmt == MS_FMT_MARKDOWN) fprintf(f, "| %s | %s |\n", it->key, buf);
        else fprintf(f, "  %-36s %s\n", it->key, buf);
    }
}
