/* lint.c - vault checks beyond what loading enforces: chains, units, MCQ shape, and numeric
 * answers re-derived from their formulas; plus the coverage table area x track x level. */
#include "staffml/vault.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Units a numeric answer may carry. Binary prefixes are powers of two, decimal ones of ten. */
static const char *const k_units[] = {
    "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "bits", "bit",
    "s", "ms", "us", "ns", "min", "h", "hours", "days", "years",
    "FLOP", "KFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP",
    "FLOP/s", "GFLOP/s", "TFLOP/s", "PFLOP/s", "TOPS", "GOPS", "MAC", "MMAC", "GMAC",
    "FLOP/B", "OP/B", "B/s", "KB/s", "MB/s", "GB/s", "TB/s", "Gbit/s", "Mbit/s",
    "W", "mW", "uW", "kW", "MW", "J", "mJ", "uJ", "nJ", "pJ", "kJ", "Wh", "kWh", "MWh", "GWh",
    "mAh", "mA", "uA",
    "%", "x", "USD", "tokens", "tokens/s", "requests/s", "samples/s", "images/s",
    "params", "M params", "B params", "GPUs", "nodes", "replicas", "layers", "steps",
    "sequences", "items", "bytes/param", "gCO2", "kgCO2", "tCO2", "L", "Hz", "MHz", "GHz",
    "FIT", "count", "C"};

int sml_unit_known(const char *unit)
{
    for (size_t i = 0; unit && i < sizeof k_units / sizeof k_units[0]; i++)
        if (!strcmp(unit, k_units[i])) return 1;
    return 0;
}

static void add(sml_lint_report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void add(sml_lint_report *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        char **p = realloc(r->problems, nc * sizeof *p);
        if (!p) return;
        r->problems = p;
        r->cap = nc;
    }
    char *s = strdup(buf);
    if (s) r->problems[r->n++] = s;
}

void sml_lint_report_free(sml_lint_report *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->problems[i]);
    free(r->problems);
    memset(r, 0, sizeof *r);
}

static int cmp_pos(const void *a, const void *b)
{
    const sml_question *x = *(const sml_question *const *)a, *y = *(const sml_question *const *)b;
    return x->chain_pos - y->chain_pos;
}

size_t sml_vault_lint(const sml_vault *v, sml_lint_report *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < v->nerr; i++) add(r, "%s", v->errors[i]);
    for (size_t i = 0; i < v->n; i++) {
        const sml_question *q = &v->q[i];
        r->coverage[q->area][q->track][q->level - 1]++;
        if (q->has_mcq) {
            r->mcq++;
            for (int a = 0; a < 4; a++)
                for (int b = a + 1; b < 4; b++)
                    if (!strcmp(q->options[a], q->options[b]))
                        add(r, "%s:%d: options: choices %d and %d are the same", q->file, q->line, a + 1, b + 1);
        }
        if (q->has_numeric) {
            r->numeric++;
            r->numeric_graded += q->numeric_graded;
            if (!sml_unit_known(q->unit))
                add(r, "%s:%d: %s.unit: '%s' is not a known unit", q->file, q->line,
                    q->numeric_graded ? "numeric" : "check", q->unit);
            if (q->formula) {
                double x;
                char err[128];
                if (sml_eval_expr(q->formula, &x, err, sizeof err))
                    add(r, "%s:%d: %s.formula: %s", q->file, q->line, q->numeric_graded ? "numeric" : "check", err);
                else if (!sml_numeric_correct(x, q->value, q->tolerance))
                    add(r, "%s:%d: %s.value: %g %s, but the formula gives %g (tolerance %g)", q->file,
                        q->line, q->numeric_graded ? "numeric" : "check", q->value, q->unit, x, q->tolerance);
                else
                    r->numeric_rederived++;
            }
        }
    }
    /* chains: positions 1..n, no repeats, level never decreases with position */
    const sml_question **members = malloc((v->n ? v->n : 1) * sizeof *members);
    if (!members) return r->n;
    for (size_t i = 0; i < v->n; i++) {
        const sml_question *q = &v->q[i];
        if (!q->chain) continue;
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = !(v->q[j].chain && !strcmp(v->q[j].chain, q->chain));
        if (!first) continue;
        r->chains++;
        size_t m = 0;
        for (size_t j = i; j < v->n; j++)
            if (v->q[j].chain && !strcmp(v->q[j].chain, q->chain)) members[m++] = &v->q[j];
        qsort(members, m, sizeof *members, cmp_pos);
        if (m < 2) add(r, "%s:%d: chain: '%s' has only one question", q->file, q->line, q->chain);
        for (size_t k = 0; k < m; k++) {
            const sml_question *c = members[k];
            if (c->chain_pos != (int)k + 1)
                add(r, "%s:%d: chain.position: chain '%s' has position %d where %zu is expected",
                    c->file, c->line, q->chain, c->chain_pos, k + 1);
            if (k > 0 && c->level < members[k - 1]->level)
                add(r, "%s:%d: chain: '%s' goes down from L%d (%s) to L%d", c->file, c->line,
                    q->chain, members[k - 1]->level, members[k - 1]->id, c->level);
        }
    }
    free(members);
    return r->n;
}

/* ---- grading ---- */

int sml_parse_answer_number(const char *text, const char *unit, double *out)
{
    if (!text) return -1;
    while (*text == ' ' || *text == '\t') text++;
    char *end;
    double x = strtod(text, &end);
    if (end == text || !isfinite(x)) return -1;
    while (*end == ' ' || *end == '\t') end++;
    size_t n = strlen(end);
    while (n > 0 && (end[n - 1] == ' ' || end[n - 1] == '\t' || end[n - 1] == '\n' || end[n - 1] == '\r')) n--;
    if (n > 0) {
        int ok = (n == 1 && end[0] == '%' && unit && !strcmp(unit, "%")) ||
                 (unit && strlen(unit) == n && !strncasecmp(end, unit, n));
        if (!ok) return -1;
    }
    *out = x;
    return 0;
}

int sml_numeric_correct(double given, double want, double tolerance)
{
    if (want == 0) return fabs(given) <= 1e-12;
    return fabs(given - want) <= tolerance * fabs(want) * (1 + 1e-12);
}

int sml_auto_grade(int correct, double seconds, double fast_s)
{
    if (!correct) return 1;
    return seconds < fast_s ? 4 : 3;
}

int sml_parse_choice(const char *t)
{
    if (!t) return -1;
    while (*t == ' ') t++;
    int c = -1;
    if (*t >= 'a' && *t <= 'd') c = *t - 'a';
    else if (*t >= 'A' && *t <= 'D') c = *t - 'A';
    else if (*t >= '1' && *t <= '4') c = *t - '1';
    if (c < 0) return -1;
    t++;
    while (*t == ' ' || *t == '\n' || *t == '\r' || *t == ')' || *t == '.') t++;
    return *t ? -1 : c;
}
