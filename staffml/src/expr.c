/* expr.c - a small arithmetic evaluator for the vault's `formula:` fields (recursive descent).
 * Grammar: expr = term {(+|-) term}; term = unary {(*|/) unary}; unary = (-|+) unary | power;
 * power = atom [^ unary]; atom = number | name | name '(' expr ')' | '(' expr ')'.
 * Names: KiB MiB GiB TiB (2^10..2^40), K M G T P (10^3..10^15); functions sqrt, ln, log2,
 * log10, exp, ceil, floor. */
#include "staffml/vault.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    const char *start;
    char *err;
    size_t errlen;
    int failed;
    int depth;
} parser;

static double expr(parser *p);

static void skip(parser *p)
{
    while (isspace((unsigned char)*p->s)) p->s++;
}

static double fail(parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "%s at column %d", what, (int)(p->s - p->start) + 1);
    p->failed = 1;
    return 0;
}

static const struct { const char *name; double v; } k_consts[] = {
    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
    {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}};

static double atom(parser *p)
{
    skip(p);
    if (++p->depth > 64) return fail(p, "expression nested too deeply");
    double v;
    if (*p->s == '(') {
        p->s++;
        v = expr(p);
        skip(p);
        if (*p->s != ')') v = fail(p, "missing ')'");
        else p->s++;
    } else if (isdigit((unsigned char)*p->s) || *p->s == '.') {
        char *end;
        v = strtod(p->s, &end);
        if (end == p->s) return fail(p, "bad number");
        p->s = end;
    } else if (isalpha((unsigned char)*p->s)) {
        char name[16];
        size_t n = 0;
        while (isalnum((unsigned char)*p->s) && n < sizeof name - 1) name[n++] = *p->s++;
        name[n] = 0;
        skip(p);
        if (*p->s == '(') {
            p->s++;
            double a = expr(p);
            skip(p);
            if (*p->s != ')') return fail(p, "missing ')'");
            p->s++;
            if (!strcmp(name, "sqrt")) v = sqrt(a);
            else if (!strcmp(name, "ln")) v = log(a);
            else if (!strcmp(name, "log2")) v = log2(a);
            else if (!strcmp(name, "log10")) v = log10(a);
            else if (!strcmp(name, "exp")) v = exp(a);
            else if (!strcmp(name, "ceil")) v = ceil(a);
            else if (!strcmp(name, "floor")) v = floor(a);
            else return fail(p, "unknown function");
        } else {
            size_t i;
            for (i = 0; i < sizeof k_consts / sizeof k_consts[0]; i++)
                if (!strcmp(name, k_consts[i].name)) break;
            if (i == sizeof k_consts / sizeof k_consts[0]) return fail(p, "unknown name");
            v = k_consts[i].v;
        }
    } else {
        return fail(p, "expected a number or '('");
    }
    p->depth--;
    return v;
}

static double unary(parser *p);

/* power = atom ['^' unary]: right-associative, and binds tighter than a leading minus
 * (-3^2 = -9). */
static double power(parser *p)
{
    double b = atom(p);
    skip(p);
    if (*p->s == '^') {
        p->s++;
        if (++p->depth > 64) return fail(p, "expression nested too deeply");
        double e = unary(p);
        p->depth--;
        return pow(b, e);
    }
    return b;
}

static double unary(parser *p)
{
    skip(p);
    if (++p->depth > 64) return fail(p, "expression nested too deeply");
    double v;
    if (*p->s == '-') { p->s++; v = -unary(p); }
    else if (*p->s == '+') { p->s++; v = unary(p); }
    else v = power(p);
    p->depth--;
    return v;
}

static double term(parser *p)
{
    double v = unary(p);
    for (;;) {
        skip(p);
        if (*p->s == '*') { p->s++; v *= unary(p); }
        else if (*p->s == '/') { p->s++; v /= unary(p); }
        else return v;
    }
}

static double expr(parser *p)
{
    double v = term(p);
    for (;;) {
        skip(p);
        if (*p->s == '+') { p->s++; v += term(p); }
        else if (*p->s == '-') { p->s++; v -= term(p); }
        else return v;
    }
}

int sml_eval_expr(const char *text, double *out, char *err, size_t errlen)
{
    parser p = {text, text, err, errlen, 0, 0};
    double v = expr(&p);
    skip(&p);
    if (!p.failed && *p.s) fail(&p, "unexpected character");
    if (!p.failed && !isfinite(v)) {
        snprintf(err, errlen, "result is not finite");
        return -1;
    }
    if (p.failed) return -1;
    *out = v;
    return 0;
}
