/* out.c - the CLI's result: a flat, ordered key/value list rendered as text (for people), strict
 * JSON (for scripts: SI numbers, snake_case keys ending in their unit, never NaN/Inf: a non-finite
 * number becomes null) or a markdown table. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ms_out_init(ms_out *o, const char *title)
{
    memset(o, 0, sizeof *o);
    snprintf(o->title, sizeof o->title, "%s", title ? title : "");
}

void ms_out_free(ms_out *o)
{
    for (int i = 0; i < o->n; i++) free(o->items[i].str);
    o->n = 0;
}

static ms_item *slot(ms_out *o, const char *key, ms_vkind kind)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->items[i].key, key)) {      /* later value replaces */
            free(o->items[i].str);
            o->items[i].str = NULL;
            o->items[i].kind = kind;
            return &o->items[i];
        }
    if (o->n >= MS_OUT_MAX) return NULL;
    ms_item *it = &o->items[o->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->key, sizeof it->key, "%s", key);
    it->kind = kind;
    return it;
}

void ms_out_num(ms_out *o, const char *key, double v)
{
    ms_item *it = slot(o, key, MS_V_NUM);
    if (it) it->num = v;
}

void ms_out_int(ms_out *o, const char *key, long long v)
{
    ms_item *it = slot(o, key, MS_V_INT);
    if (it) { it->i = v; it->num = (double)v; }
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void ms_out_str(ms_out *o, const char *key, const char *v)
{
    ms_item *it = slot(o, key, MS_V_STR);
    if (it) it->str = dup(v ? v : "");
}

void ms_out_bool(ms_out *o, const char *key, int v)
{
    ms_item *it = slot(o, key, MS_V_BOOL);
    if (it) { it->i = v != 0; it->num = v != 0; }
}

void ms_out_raw(ms_out *o, const char *key, const char *json)
{
    ms_item *it = slot(o, key, MS_V_RAW);
    if (it) it->str = dup(json);
}

int ms_out_get(const ms_out *o, const char *key, double *v)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->items[i].key, key) && o->items[i].kind != MS_V_STR && o->items[i].kind != MS_V_RAW) {
            *v = o->items[i].num;
            return 1;
        }
    return 0;
}

void ms_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

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

static void json_number(FILE *f, double v)
{
    if (!isfinite(v)) { fputs("null", f); return; }
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", v);
    fputs(buf, f);
}

void ms_out_print(const ms_out *o, ms_format fmt, FILE *f)
{
    char buf[128];
    if (fmt == MS_FMT_JSON) {
        fputc('{', f);
        for (int i = 0; i < o->n; i++) {
            const ms_item *it = &o->items[i];
            fprintf(f, "%s\"%s\": ", i ? ", " : "", it->key);
            switch (it->kind) {
            case MS_V_NUM: json_number(f, it->num); break;
            case MS_V_INT: fprintf(f, "%lld", it->i); break;
            case MS_V_BOOL: fputs(it->i ? "true" : "false", f); break;
            case MS_V_STR: ms_json_str(f, it->str ? it->str : ""); break;
            case MS_V_RAW: fputs(it->str ? it->str : "null", f); break;
            }
        }
        fputs("}\n", f);
        return;
    }
    if (fmt == MS_FMT_MARKDOWN) {
        if (o->title[0]) fprintf(f, "### %s\n\n", o->title);
        fputs("| metric | value |\n|---|---|\n", f);
    } else if (o->title[0]) {
        fprintf(f, "%s\n", o->title);
    }
    for (int i = 0; i < o->n; i++) {
        const ms_item *it = &o->items[i];
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

int ms_arg_int(const char *flag, const char *v, long min, long max, int *out)
{
    if (!v) { fprintf(stderr, "mlsysim: %s needs a value\n", flag); return -1; }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max) {
        fprintf(stderr, "mlsysim: %s: '%s' is not an integer in [%ld, %ld]\n", flag, v, min, max);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int ms_arg_num(const char *flag, const char *v, double min, double max, double *out)
{
    if (!v) { fprintf(stderr, "mlsysim: %s needs a value\n", flag); return -1; }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < min || x > max) {
        fprintf(stderr, "mlsysim: %s: '%s' is not a number in [%g, %g]\n", flag, v, min, max);
        return -1;
    }
    *out = x;
    return 0;
}
