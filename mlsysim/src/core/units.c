/* units.c - precisions, enum names and the quantity parser ("80 GiB", "3.35 TB/s", "989 TFLOPS").
 *
 * Invariant: every value leaves here in SI base units (bytes, bytes/s, FLOP/s, s, W, USD).
 * Decimal prefixes (k M G T P E) are powers of 1000; binary ones (Ki Mi Gi Ti) powers of 1024.
 * Bits ("Gb/s", "Gbps") are divided by 8.
 */
#include "mlsysim/physics.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const prec_names[MS_PREC_COUNT] = {
    "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"};
static const double prec_bytes[MS_PREC_COUNT] = MS_PRECISION_BYTES_INIT;

double ms_precision_bytes(ms_precision p)
{
    return (unsigned)p < MS_PREC_COUNT ? prec_bytes[p] : 2.0;
}

const char *ms_precision_name(ms_precision p)
{
    return (unsigned)p < MS_PREC_COUNT ? prec_names[p] : "?";
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

int ms_precision_parse(const char *s, ms_precision *out)
{
    if (!s) return -1;
    for (int i = 0; i < MS_PREC_COUNT; i++)
        if (ieq(s, prec_names[i])) { *out = (ms_precision)i; return 0; }
    if (ieq(s, "float32")) { *out = MS_FP32; return 0; }
    if (ieq(s, "float16") || ieq(s, "half")) { *out = MS_FP16; return 0; }
    if (ieq(s, "bfloat16")) { *out = MS_BF16; return 0; }
    return -1;
}

static const char *const class_names[MS_HW_CLASS_COUNT] = {
    "cloud", "workstation", "mobile", "edge", "tiny"};
const char *ms_hw_class_name(ms_hw_class c)
{
    return (unsigned)c < MS_HW_CLASS_COUNT ? class_names[c] : "?";
}

const char *ms_model_kind_name(ms_model_kind k)
{
    switch (k) {
    case MS_MODEL_TRANSFORMER: return "transformer";
    case MS_MODEL_CNN: return "cnn";
    case MS_MODEL_MLP: return "mlp";
    case MS_MODEL_DIFFUSION: return "diffusion";
    case MS_MODEL_SSM: return "ssm";
    case MS_MODEL_DLRM: return "dlrm";
    }
    return "?";
}

const char *ms_mode_name(ms_mode m) { return m == MS_MODE_TRAINING ? "training" : "inference"; }
const char *ms_bound_name(ms_bound b) { return b == MS_BOUND_MEMORY ? "memory" : "compute"; }

const char *ms_recompute_name(ms_recompute r)
{
    return r == MS_RECOMPUTE_FULL ? "full" : r == MS_RECOMPUTE_SELECTIVE ? "selective" : "none";
}

const char *ms_optimizer_name(ms_optimizer o)
{
    return o == MS_OPT_SGD ? "sgd" : o == MS_OPT_NONE ? "none" : "adam";
}

int ms_mode_parse(const char *s, ms_mode *out)
{
    if (ieq(s, "inference")) { *out = MS_MODE_INFERENCE; return 0; }
    if (ieq(s, "training")) { *out = MS_MODE_TRAINING; return 0; }
    return -1;
}

int ms_moe_routing_parse(const char *s, ms_moe_routing *out)
{
    if (ieq(s, "uniform")) { *out = MS_MOE_UNIFORM; return 0; }
    if (ieq(s, "fixed")) { *out = MS_MOE_FIXED; return 0; }
    return -1;
}

const char *ms_moe_routing_name(ms_moe_routing r)
{
    return r == MS_MOE_FIXED ? "fixed" : "uniform";
}

int ms_recompute_parse(const char *s, ms_recompute *out)
{
    if (ieq(s, "none")) { *out = MS_RECOMPUTE_NONE; return 0; }
    if (ieq(s, "selective")) { *out = MS_RECOMPUTE_SELECTIVE; return 0; }
    if (ieq(s, "full")) { *out = MS_RECOMPUTE_FULL; return 0; }
    return -1;
}

int ms_optimizer_parse(const char *s, ms_optimizer *out)
{
    if (ieq(s, "adam") || ieq(s, "adamw")) { *out = MS_OPT_ADAM; return 0; }
    if (ieq(s, "sgd")) { *out = MS_OPT_SGD; return 0; }
    if (ieq(s, "none")) { *out = MS_OPT_NONE; return 0; }
    return -1;
}

/* ---- quantities ---- */

typedef struct { const char *unit; const char *dim; double scale; } unit_def;

/* Units without prefix; prefixes are applied separately. */
static const unit_def units[] = {
    {"B", "bytes", 1}, {"byte", "bytes", 1}, {"bytes", "bytes", 1}, {"b", "bytes", 0.125},
    {"bit", "bytes", 0.125}, {"bits", "bytes", 0.125},
    {"B/s", "bytes/s", 1}, {"Bps", "bytes/s", 1}, {"b/s", "bytes/s", 0.125},
    {"bps", "bytes/s", 0.125}, {"bit/s", "bytes/s", 0.125},
    {"FLOPS", "flop/s", 1}, {"FLOP/s", "flop/s", 1}, {"flops", "flop/s", 1},
    {"OPS", "flop/s", 1}, {"OP/s", "flop/s", 1}, {"ops", "flop/s", 1},
    {"MAC/s", "flop/s", 2}, {"MACS", "flop/s", 2},
    {"FLOP", "flop", 1}, {"flop", "flop", 1}, {"MAC", "flop", 2}, {"MACs", "flop", 2},
    {"s", "s", 1}, {"sec", "s", 1}, {"ms", "s", 1e-3}, {"us", "s", 1e-6}, {"µs", "s", 1e-6},
    {"ns", "s", 1e-9}, {"min", "s", 60}, {"h", "s", 3600}, {"d", "s", 86400},
    {"W", "W", 1}, {"mW", "W", 1e-3}, {"uW", "W", 1e-6}, {"kW", "W", 1e3}, {"MW", "W", 1e6},
    {"USD", "usd", 1}, {"usd", "usd", 1}, {"$", "usd", 1},
};

static int prefix_scale(const char *s, size_t n, double *scale, size_t *used)
{
    static const struct { const char *p; double v; } pf[] = {
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0},
        {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
    };
    for (size_t i = 0; i < sizeof pf / sizeof pf[0]; i++) {
        size_t l = strlen(pf[i].p);
        if (n > l && strncmp(s, pf[i].p, l) == 0) { *scale = pf[i].v; *used = l; return 1; }
    }
    *scale = 1; *used = 0;
    return 0;
}

static int match_unit(const char *u, size_t n, const char *dim, double *scale)
{
    /* exact (no prefix) first: "ms", "mW", "MW", "min" must not be read as prefix + unit */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].unit) == n && strncmp(u, units[i].unit, n) == 0 &&
            strcmp(units[i].dim, dim) == 0) { *scale = units[i].scale; return 1; }
    double ps; size_t used;
    if (prefix_scale(u, n, &ps, &used)) {
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].unit) == n - used && strncmp(u + used, units[i].unit, n - used) == 0
                && strcmp(units[i].dim, dim) == 0) { *scale = ps * units[i].scale; return 1; }
    }
    return 0;
}

int ms_parse_quantity(const char *text, const char *dim, double *out, char *err, size_t errlen)
{
    char buf[128];
    size_t n = 0;
    const char *s = text;
    if (!text) { snprintf(err, errlen, "missing value"); return -1; }
    while (isspace((unsigned char)*s)) s++;
    int dollar = 0;
    if (*s == '$') { dollar = 1; s++; }
    /* copy the number without thousands separators */
    while (*s && (isdigit((unsigned char)*s) || *s == '.' || *s == ',' || *s == 'e' || *s == 'E' ||
                  *s == '+' || *s == '-') && n + 1 < sizeof buf) {
        if ((*s == 'e' || *s == 'E') && !(isdigit((unsigned char)s[1]) || s[1] == '-' || s[1] == '+'))
            break;                                    /* "E" of a unit like "EFLOPS" */
        if (*s != ',') buf[n++] = *s;
        s++;
    }
    buf[n] = 0;
    if (n == 0) { snprintf(err, errlen, "'%s' is not a number", text); return -1; }
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end || errno || !isfinite(v)) { snprintf(err, errlen, "'%s' is not a number", text); return -1; }
    while (isspace((unsigned char)*s)) s++;
    size_t ul = strlen(s);
    while (ul > 0 && isspace((unsigned char)s[ul - 1])) ul--;
    if (dollar) {
        if (ul != 0 || strcmp(dim, "usd") != 0) { snprintf(err, errlen, "'%s': '$' only for prices", text); return -1; }
        *out = v;
        return 0;
    }
    if (ul == 0) { *out = v; return 0; }
    if (dim[0] == 0) { snprintf(err, errlen, "'%s': expected a plain number", text); return -1; }
    double scale;
    if (!match_unit(s, ul, dim, &scale)) {
        snprintf(err, errlen, "'%s': unit '%.*s' is not a unit of %s", text, (int)ul, s, dim);
        return -1;
    }
    if (!isfinite(v * scale)) {
        snprintf(err, errlen, "'%s' is out of range (overflows a double)", text);
        return -1;
    }
    *out = v * scale;
    return 0;
}
