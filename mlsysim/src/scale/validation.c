/* validation.c - the table of published training runs and the comparison with predictions.
 *
 * CSV files in one folder (see mlsysim/validation/README.md):
 *   calibration.csv  stack,efficiency,source          one η per accelerator generation + stack
 *   stacks.csv       software stack figures (optional): compute_factor (× η),
 *                    sharded_collective_efficiency and attention_factor (× the generation's
 *                    attention_efficiency), each chosen on one named calibration row
 *   runs.csv         one published run per line (header names the columns; '#' starts a comment)
 * Every row's η comes from calibration.csv by its stack; nothing is tuned per row. A row's
 * measured step time is the published one or, when blank, the one implied by the reported
 * TFLOP/s per accelerator: hardware FLOPs per step / (accelerators · TFLOP/s).
 * Errors name the file, line and column. Rows are parsed into a malloc'd array.
 */
#define _XOPEN_SOURCE 700   /* realpath */
#include "internal.h"
#include "mlsysim/physics.h"
#include "mlsysim/registry.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXCOL MS_SCALE_CSV_MAXCOL
#define MAXCAL 32

typedef ms_scale_csv_line_t csv_line_t;
#define split_csv ms_scale_split_csv
#define col_index ms_scale_csv_col
#define csv_open ms_scale_csv_open
#define csv_next ms_scale_csv_next
#define name_field ms_scale_name_field

/* Drops a UTF-8 byte-order mark from the start of a file's first line (spreadsheets write one). */
static void skip_bom(char *line)
{
    if ((unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
        memmove(line, line + 3, strlen(line + 3) + 1);
}

/* Splits `s` in place on commas, honouring double quotes; trims blanks. -1 on too many fields. */
int ms_scale_split_csv(char *s, ms_scale_csv_line_t *out)
{
    out->n = 0;
    char *w = s, *r = s;
    for (;;) {
        if (out->n >= MAXCOL) return -1;
        out->f[out->n++] = w;
        int q = 0;
        if (*r == '"') { q = 1; r++; }
        while (*r) {
            if (q && *r == '"') {
                if (r[1] == '"') { *w++ = '"'; r += 2; continue; }
                q = 0; r++; continue;
            }
            if (!q && *r == ',') break;
            *w++ = *r++;
        }
        int end = (*r == '\0');
        *w++ = '\0';
        if (end) break;
        r++;
    }
    for (int i = 0; i < out->n; i++) { /* trim */
        char *f = out->f[i];
        while (*f == ' ' || *f == '\t') f++;
        size_t L = strlen(f);
        while (L && (f[L - 1] == ' ' || f[L - 1] == '\t' || f[L - 1] == '\r' || f[L - 1] == '\n')) f[--L] = '\0';
        out->f[i] = f;
    }
    return 0;
}

static int is_blank_or_comment(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return *s == '#' || *s == '\0' || *s == '\n' || *s == '\r';
}

int ms_scale_csv_col(const csv_line_t *hdr, const char *name)
{
    for (int i = 0; i < hdr->n; i++) if (strcmp(hdr->f[i], name) == 0) return i;
    return -1;
}

/* ci[k] = the column of names[k] for k < n; MS_DIST_EIO naming the first one the header lacks. */
static int require_columns(const csv_line_t *hdr, const char *const *names, int n, int *ci, const char *path,
                           int lineno, char *err, size_t errlen)
{
    for (int k = 0; k < n; k++)
        if ((ci[k] = col_index(hdr, names[k])) < 0) {
            ms_scale_err(err, errlen, "%s:%d: header lacks column '%s'", path, lineno, names[k]);
            return MS_DIST_EIO;
        }
    return MS_DIST_OK;
}

typedef ms_scale_csv_file_t csv_file_t;
enum { CSV_NONE = MS_SCALE_CSV_NONE, CSV_EMPTY = MS_SCALE_CSV_EMPTY };

/* The next non-blank, non-comment line into buf (sizeof f->line), split into c: 1 a line, 0 the
 * end, -1 an error (a line longer than the buffer, too many columns, a read error). */
static int csv_read(csv_file_t *f, char *buf, csv_line_t *c, char *err, size_t errlen)
{
    const size_t cap = sizeof f->line;
    while (fgets(buf, (int)cap, f->fp)) {
        f->lineno++;
        if (strlen(buf) == cap - 1 && buf[cap - 2] != '\n') {
            ms_scale_err(err, errlen, "%s:%d: line longer than %zu bytes", f->path, f->lineno, cap - 2);
            return -1;
        }
        if (f->lineno == 1) skip_bom(buf);
        if (is_blank_or_comment(buf)) continue;
        if (split_csv(buf, c)) { ms_scale_err(err, errlen, "%s:%d: too many columns", f->path, f->lineno); return -1; }
        return 1;
    }
    if (ferror(f->fp)) { ms_scale_err(err, errlen, "%s: read error", f->path); return -1; }
    return 0;
}

int ms_scale_csv_open(csv_file_t *f, const char *path, int missing_ok, char *err, size_t errlen)
{
    f->path = path;
    f->lineno = 0;
    f->fp = fopen(path, "r");
    if (!f->fp) {
        if (missing_ok && errno == ENOENT) return CSV_NONE;
        ms_scale_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return MS_DIST_EIO;
    }
    int r = csv_read(f, f->hdrline, &f->hdr, err, errlen);
    if (r == 1) return MS_DIST_OK;
    fclose(f->fp);
    f->fp = NULL;
    return r == 0 ? CSV_EMPTY : MS_DIST_EIO;
}

int ms_scale_csv_next(csv_file_t *f, csv_line_t *c, int exact, char *err, size_t errlen)
{
    int r = csv_read(f, f->line, c, err, errlen);
    if (r == 1 && exact && c->n != f->hdr.n) {
        ms_scale_err(err, errlen, "%s:%d: expected %d columns, got %d", f->path, f->lineno, f->hdr.n, c->n);
        return -1;
    }
    return r;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

/* A whole number in [lo, hi] into *out; -1 if s is not one. */
static int parse_whole(const char *s, double lo, double hi, int *out)
{
    double u;
    if (parse_num(s, &u) || u < lo || u > hi || u != floor(u)) return -1;
    *out = (int)u;
    return 0;
}

/* An optional 0/1 column of a runs.csv row into *dst, which keeps its default when the field is
 * blank or the column absent; -1 (err says which column) if the field is not 0 or 1. */
static int flag_column(const csv_line_t *c, int col, const char *name, int *dst, const char *path, int lineno,
                       char *err, size_t errlen)
{
    if (col < 0 || c->n <= col || !*c->f[col]) return 0;
    if (parse_whole(c->f[col], 0, 1, dst)) {
        ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not 0 or 1", path, lineno, name, c->f[col]);
        return -1;
    }
    return 0;
}

/* A cut name ("A100-SXM4-80GB/Megatron-DeepSpe") would silently name another stack or none. */
int ms_scale_name_field(char *dst, size_t cap, const char *src, const char *col, const char *path, int lineno,
                        char *err, size_t errlen)
{
    if (strlen(src) >= cap) {
        ms_scale_err(err, errlen, "%s:%d: column %s: '%.40s...' is longer than %zu characters", path, lineno, col, src, cap - 1);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int ms_scale_refuse(ms_dist_refused_row_t **list, int *n, const char *path, int lineno, const char *id, const char *why)
{
    ms_dist_refused_row_t *nr = realloc(*list, (size_t)(*n + 1) * sizeof *nr);
    if (!nr) return -1;
    *list = nr;
    ms_dist_refused_row_t *x = &nr[(*n)++];
    snprintf(x->id, sizeof x->id, "%s", id);
    x->line = lineno;
    snprintf(x->reason, sizeof x->reason, "%.200s:%d: %s: %s", path, lineno, id, why);
    return 0;
}

int ms_scale_split_word(const char *f)
{
    char q[64];
    ms_scale_squash(f, q, sizeof q);
    if (!strcmp(q, "heldout") || !strcmp(q, "holdout")) return 1;
    if (!strcmp(q, "calibration") || !strcmp(q, "calib")) return 0;
    return -1;
}

/* One calibration.csv entry: η, the fused-attention figures and (optional columns) the hardware
 * figures a runs.csv row of that generation takes where its own column is blank. */
typedef struct cal {
    char stack[32];
    double eff, attn, score;
    double fp8;                             /* fp8_efficiency; 0 = not given (no FP8 rows) */
    int compute_units;                      /* 0 = not given */
    double hbm_fraction, intra_eff, inter_eff;   /* 0 = not given */
    double tdp_w;                           /* board power at which η holds; 0 = not given */
    double nvls;                            /* nvls_efficiency: NVLink SHARP's all-reduce; 0 = none */
    char aliases[96];                       /* other names of the generation, blank-separated */
} cal_t;

/* Reads an optional number column of calibration.csv into *dst (0 when absent or blank); -1 and
 * an error naming file, line and column when it is not a number in (lo, hi]. */
static int cal_optional(const csv_line_t *c, int col, const char *name, double lo, double hi,
                        const char *path, int lineno, double *dst, char *err, size_t errlen)
{
    *dst = 0.0;
    if (col < 0 || c->n <= col || !*c->f[col]) return 0;
    if (parse_num(c->f[col], dst) || !(*dst > lo && *dst <= hi)) {
        ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a number in (%g, %g] (blank = not given)", path,
                     lineno, name, c->f[col], lo, hi);
        return -1;
    }
    return 0;
}

static int load_calibration(const char *path, cal_t *cal, int *ncal, char *err, size_t errlen)
{
    *ncal = 0;
    csv_file_t cf;
    int got = csv_open(&cf, path, 0, err, errlen);
    if (got == CSV_EMPTY) { ms_scale_err(err, errlen, "%s: empty file", path); return MS_DIST_EIO; }
    if (got) return got;
    FILE *fp = cf.fp;
    int lineno = cf.lineno;
    int ci_stack = col_index(&cf.hdr, "stack"), ci_eff = col_index(&cf.hdr, "efficiency");
    int ci_attn = col_index(&cf.hdr, "attention_efficiency");   /* optional: blank = efficiency */
    int ci_score = col_index(&cf.hdr, "attention_score_flops"); /* optional: blank = off */
    /* optional: the generation's hardware figures for rows that leave theirs blank */
    int ci_cu = col_index(&cf.hdr, "compute_units"), ci_hf = col_index(&cf.hdr, "hbm_fraction");
    int ci_li = col_index(&cf.hdr, "intra_link_efficiency"), ci_lo = col_index(&cf.hdr, "inter_link_efficiency");
    int ci_al = col_index(&cf.hdr, "aliases");                  /* optional */
    int ci_f8 = col_index(&cf.hdr, "fp8_efficiency");           /* optional: blank = no FP8 */
    int ci_tdp = col_index(&cf.hdr, "tdp_w");                   /* optional: blank = not given */
    int ci_nvls = col_index(&cf.hdr, "nvls_efficiency");        /* optional: blank = no NVLink SHARP */
    if (ci_stack < 0 || ci_eff < 0) { ms_scale_err(err, errlen, "%s:%d: header needs columns stack,efficiency", path, lineno); fclose(fp); return MS_DIST_EIO; }
    csv_line_t c;
    while ((got = csv_next(&cf, &c, 0, err, errlen)) == 1) {
        lineno = cf.lineno;
        if (c.n <= ci_stack || c.n <= ci_eff) { ms_scale_err(err, errlen, "%s:%d: missing columns", path, lineno); fclose(fp); return MS_DIST_EIO; }
        if (*ncal >= MAXCAL) { ms_scale_err(err, errlen, "%s:%d: more than %d stacks", path, lineno, MAXCAL); fclose(fp); return MS_DIST_EIO; }
        double e;
        if (parse_num(c.f[ci_eff], &e) || !(e > 0 && e <= 1)) {
            ms_scale_err(err, errlen, "%s:%d: column efficiency: '%s' is not a number in (0, 1]", path, lineno, c.f[ci_eff]);
            fclose(fp);
            return MS_DIST_EIO;
        }
        for (int i = 0; i < *ncal; i++)
            if (strcmp(cal[i].stack, c.f[ci_stack]) == 0) {
                ms_scale_err(err, errlen, "%s:%d: stack '%s' calibrated twice (one figure per stack)", path, lineno, c.f[ci_stack]);
                fclose(fp);
                return MS_DIST_EIO;
            }
        double ae = 0.0;
        if (ci_attn >= 0 && c.n > ci_attn && *c.f[ci_attn] && (parse_num(c.f[ci_attn], &ae) || !(ae > 0 && ae <= 1))) {
            ms_scale_err(err, errlen, "%s:%d: column attention_efficiency: '%s' is not a number in (0, 1] (blank = efficiency)", path, lineno, c.f[ci_attn]);
            fclose(fp);
            return MS_DIST_EIO;
        }
        double sc = 0.0;
        if (ci_score >= 0 && c.n > ci_score && *c.f[ci_score] && (parse_num(c.f[ci_score], &sc) || !(sc > 0 && sc <= 1e4))) {
            ms_scale_err(err, errlen, "%s:%d: column attention_score_flops: '%s' is not a number in (0, 10000] (blank = off)", path, lineno, c.f[ci_score]);
            fclose(fp);
            return MS_DIST_EIO;
        }
        cal_t *k = &cal[*ncal];
        memset(k, 0, sizeof *k);
        double cu;
        if (cal_optional(&c, ci_cu, "compute_units", 0, 100000, path, lineno, &cu, err, errlen)) { fclose(fp); return MS_DIST_EIO; }
        if (cu != floor(cu)) {
            ms_scale_err(err, errlen, "%s:%d: column compute_units: '%s' is not a whole number", path, lineno, c.f[ci_cu]);
            fclose(fp);
            return MS_DIST_EIO;
        }
        if (cal_optional(&c, ci_hf, "hbm_fraction", 0, 1, path, lineno, &k->hbm_fraction, err, errlen) ||
            cal_optional(&c, ci_li, "intra_link_efficiency", 0, 1, path, lineno, &k->intra_eff, err, errlen) ||
            cal_optional(&c, ci_lo, "inter_link_efficiency", 0, 1, path, lineno, &k->inter_eff, err, errlen) ||
            cal_optional(&c, ci_f8, "fp8_efficiency", 0, 1, path, lineno, &k->fp8, err, errlen) ||
            cal_optional(&c, ci_tdp, "tdp_w", 0, 1e5, path, lineno, &k->tdp_w, err, errlen) ||
            cal_optional(&c, ci_nvls, "nvls_efficiency", 0, 1, path, lineno, &k->nvls, err, errlen)) {
            fclose(fp);
            return MS_DIST_EIO;
        }
        k->compute_units = (int)cu;
        if (ci_al >= 0 && c.n > ci_al && strlen(c.f[ci_al]) >= sizeof k->aliases) {
            ms_scale_err(err, errlen, "%s:%d: column aliases: longer than %zu characters", path, lineno, sizeof k->aliases - 1);
            fclose(fp);
            return MS_DIST_EIO;
        }
        if (ci_al >= 0 && c.n > ci_al) snprintf(k->aliases, sizeof k->aliases, "%s", c.f[ci_al]);
        if (name_field(k->stack, sizeof k->stack, c.f[ci_stack], "stack", path, lineno, err, errlen)) {
            fclose(fp);
            return MS_DIST_EIO;
        }
        k->eff = e;
        k->attn = ae;
        k->score = sc;
        (*ncal)++;
    }
    fclose(fp);
    return got < 0 ? MS_DIST_EIO : MS_DIST_OK;
}

/* Software stacks (stacks.csv beside runs.csv, optional): what a framework reaches apart from the
 * hardware, keyed by the software part of a run's stack (after '/'). A stack not listed runs at
 * the defaults: compute_factor 1 (the generation's η, chosen on its reference stack),
 * sharded_collective_efficiency MS_DIST_SHARDED_COLL_EFFICIENCY and attention_factor 1 (the
 * generation's attention_efficiency; the column is optional, blank = 1). `calibrated_on` names
 * the one row of runs.csv each figure was chosen on; the loader checks it is a calibration row.
 * `aliases` (optional): other names of the same software (e.g. the trainer a framework runs in),
 * blank-separated, matched without regard to case, '-', '_' or blanks; they take its figures. */
#define MAXSTK 32
/* aliases: the optional column's names, squashed (ms_scale_squash()) and each followed by one blank */
typedef struct stk { char name[32]; double compute, sharded, attn; char row[64]; int line; char aliases[160]; } stk_t;

/* 1 if the software part of a run's stack (sw) names stack k: its name or one of its aliases,
 * without regard to case, '-', '_' or blanks (as ms_dist_stack_sharding reads names). */
static int stack_named(const stk_t *k, const char *sw)
{
    char q[64], kn[64], *t;
    ms_scale_squash(sw, q, sizeof q);
    ms_scale_squash(k->name, kn, sizeof kn);
    if (strcmp(k->name, sw) == 0 || (*q && strcmp(kn, q) == 0)) return 1;
    size_t n = strlen(q);
    for (const char *a = k->aliases; n && (t = strstr(a, q)) != NULL; a = t + 1)
        if ((t == k->aliases || t[-1] == ' ') && t[n] == ' ') return 1;
    return 0;
}

/* The stacks' figures built into the engine for plans (`parallelism.framework`): a copy of
 * mlsysim/validation/stacks.csv, where each was chosen on its one calibrated_on row (aliases
 * squashed, each followed by one blank). test_scale_validation keeps the two equal. */
static const stk_t builtin_stacks[] = {
    {"DeepSpeed-ZeRO3", 1.0, 0.70, 1.0, "", 0, "deepspeed zero3 "},
    {"Megatron-DeepSpeed", 0.89, MS_DIST_SHARDED_COLL_EFFICIENCY, 1.0, "", 0, ""},
    {"llm-foundry", 1.0, MS_DIST_SHARDED_COLL_EFFICIENCY, 0.57, "", 0, "composer torchtitan fsdp fsdp2 pytorchfsdp mosaicml "},
};

int ms_dist_stack_figures(const char *software, ms_dist_stack_figures_t *out)
{
    ms_dist_stack_figures_t d = {NULL, 1.0, MS_DIST_SHARDED_COLL_EFFICIENCY, 1.0};
    if (out) *out = d;
    if (!software || !*software) return 0;
    const char *sw = strchr(software, '/');          /* "H100/llm-foundry" reads as its software */
    sw = sw ? sw + 1 : software;
    for (size_t i = 0; i < sizeof builtin_stacks / sizeof builtin_stacks[0]; i++)
        if (stack_named(&builtin_stacks[i], sw)) {
            if (out) {
                out->name = builtin_stacks[i].name;
                out->compute_factor = builtin_stacks[i].compute;
                out->sharded_coll_efficiency = builtin_stacks[i].sharded;
                out->attention_factor = builtin_stacks[i].attn;
            }
            return 1;
        }
    return 0;
}

static int load_stacks(const char *path, stk_t *st, int *nst, char *err, size_t errlen)
{
    *nst = 0;
    csv_file_t cf;
    int rc = csv_open(&cf, path, 1, err, errlen);
    if (rc == CSV_NONE) return MS_DIST_OK;          /* no file: every stack at the defaults */
    if (rc == CSV_EMPTY) { ms_scale_err(err, errlen, "%s: empty file", path); return MS_DIST_EIO; }
    if (rc) return rc;
    FILE *fp = cf.fp;
    int lineno = cf.lineno;
    int ci_s = col_index(&cf.hdr, "stack"), ci_c = col_index(&cf.hdr, "compute_factor");
    int ci_z = col_index(&cf.hdr, "sharded_collective_efficiency"), ci_r = col_index(&cf.hdr, "calibrated_on");
    int ci_a = col_index(&cf.hdr, "attention_factor");   /* optional: absent or blank = 1 */
    int ci_al = col_index(&cf.hdr, "aliases");           /* optional: other names of the stack */
    if (ci_s < 0 || ci_c < 0 || ci_z < 0 || ci_r < 0) {
        ms_scale_err(err, errlen, "%s:%d: header needs columns stack,compute_factor,sharded_collective_efficiency,calibrated_on", path, lineno);
        rc = MS_DIST_EIO;
    }
    csv_line_t c;
    int got = 0;
    while (rc == MS_DIST_OK && (got = csv_next(&cf, &c, 0, err, errlen)) == 1) {
        lineno = cf.lineno;
        if (c.n <= ci_s || c.n <= ci_c || c.n <= ci_z || c.n <= ci_r) { ms_scale_err(err, errlen, "%s:%d: missing columns", path, lineno); rc = MS_DIST_EIO; break; }
        if (*nst >= MAXSTK) { ms_scale_err(err, errlen, "%s:%d: more than %d stacks", path, lineno, MAXSTK); rc = MS_DIST_EIO; break; }
        stk_t *k = &st[*nst];
        memset(k, 0, sizeof *k);
        if (!*c.f[ci_s] || strchr(c.f[ci_s], '/') || strlen(c.f[ci_s]) >= sizeof k->name) {
            ms_scale_err(err, errlen, "%s:%d: column stack: '%s' is not a software stack name (the part of runs.csv's stack after '/', < 32 characters)", path, lineno, c.f[ci_s]);
            rc = MS_DIST_EIO; break;
        }
        for (int i = 0; i < *nst; i++)
            if (stack_named(&st[i], c.f[ci_s])) {   /* its name or one of its aliases */
                ms_scale_err(err, errlen, "%s:%d: stack '%s' listed twice (one line per stack, its other names in aliases)", path, lineno, c.f[ci_s]);
                rc = MS_DIST_EIO;
            }
        if (rc) break;
        snprintf(k->name, sizeof k->name, "%s", c.f[ci_s]);
        const int col[3] = {ci_c, ci_z, ci_a};
        double *dst[3] = {&k->compute, &k->sharded, &k->attn};
        const double hi[3] = {1.5, 1.0, 2.0};
        static const char *const cname[3] = {"compute_factor", "sharded_collective_efficiency", "attention_factor"};
        for (int j = 0; j < 3 && rc == MS_DIST_OK; j++) {
            /* absent (attention_factor only) or blank = the default, 1 */
            if (col[j] < 0 || c.n <= col[j] || !*c.f[col[j]]) { *dst[j] = 1.0; continue; }
            if (parse_num(c.f[col[j]], dst[j]) || !(*dst[j] > 0 && *dst[j] <= hi[j])) {
                ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a number in (0, %g]", path, lineno,
                             cname[j], c.f[col[j]], hi[j]);
                rc = MS_DIST_EIO;
            }
        }
        if (rc) break;
        if (name_field(k->row, sizeof k->row, c.f[ci_r], "calibrated_on", path, lineno, err, errlen)) { rc = MS_DIST_EIO; break; }
        k->line = lineno;
        /* aliases: names separated by blanks; none may name another listed stack */
        const char *al = ci_al >= 0 && c.n > ci_al ? c.f[ci_al] : "";
        size_t used = 0;
        while (rc == MS_DIST_OK && *al) {
            size_t w = strcspn(al, " "), room = sizeof k->aliases - used;
            char word[64], q[64];
            if (w == 0) { al++; continue; }
            snprintf(word, sizeof word, "%.*s", (int)(w < sizeof word - 1 ? w : sizeof word - 1), al);
            ms_scale_squash(word, q, sizeof q);
            /* empty, cut short, this stack's own name or alias, or an earlier stack's */
            int clash = !*q || w >= sizeof word || stack_named(k, word);
            for (int i = 0; i < *nst && !clash; i++) clash = stack_named(&st[i], word);
            if (clash) {
                ms_scale_err(err, errlen, "%s:%d: column aliases: '%s' is empty, too long or already names a stack", path, lineno, word);
                rc = MS_DIST_EIO;
                break;
            }
            if (strlen(q) + 1 >= room) { ms_scale_err(err, errlen, "%s:%d: column aliases: too many names", path, lineno); rc = MS_DIST_EIO; break; }
            used += (size_t)snprintf(k->aliases + used, room, "%s ", q);
            al += w;
        }
        if (rc) break;
        (*nst)++;
    }
    fclose(fp);
    if (rc == MS_DIST_OK && got < 0) rc = MS_DIST_EIO;
    return rc;
}

void ms_scale_squash(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[k++] = c;
    }
    out[k] = '\0';
}

int ms_scale_precision_word(const char *s, ms_precision *compute, ms_precision *weights, ms_precision *kv)
{
    ms_precision p;
    if (ms_precision_parse(s, &p) == 0) { *compute = *weights = *kv = p; return 0; }
    char q[64];
    ms_scale_squash(s, q, sizeof q);
    static const struct { const char *word; ms_precision compute, weights; } quant[] = {
        {"w4a16", MS_FP16, MS_INT4}, {"awq", MS_FP16, MS_INT4}, {"gptq", MS_FP16, MS_INT4},
        {"int4awq", MS_FP16, MS_INT4}, {"int4gptq", MS_FP16, MS_INT4}, {"w4a16awq", MS_FP16, MS_INT4},
        {"w4a16gptq", MS_FP16, MS_INT4}, {"int4wo", MS_FP16, MS_INT4}, {"int4weightonly", MS_FP16, MS_INT4},
        {"w8a16", MS_FP16, MS_INT8}, {"int8wo", MS_FP16, MS_INT8}, {"int8weightonly", MS_FP16, MS_INT8},
        {"w8a8", MS_INT8, MS_INT8}, {"smoothquant", MS_INT8, MS_INT8}, {"int8sq", MS_INT8, MS_INT8},
    };
    for (size_t i = 0; i < sizeof quant / sizeof quant[0]; i++)
        if (!strcmp(q, quant[i].word)) {
            *compute = quant[i].compute, *weights = quant[i].weights, *kv = MS_FP16;
            return 0;
        }
    if (strstr(q, "fp8") || strstr(q, "float8") || strstr(q, "e4m3") || strstr(q, "e5m2")) p = MS_FP8;
    else if (strstr(q, "bf16") || strstr(q, "bfloat16")) p = MS_BF16;
    else if (strstr(q, "fp16") || strstr(q, "float16") || strstr(q, "half")) p = MS_FP16;
    else return -1;
    *compute = *weights = *kv = p;
    return 0;
}

/* The software part of a stack name ("GEN/software", or the whole name), squashed. */
static void software_key(const char *stack, char name[64])
{
    const char *sw = strchr(stack, '/');
    ms_scale_squash(sw ? sw + 1 : stack, name, 64);
}

int ms_dist_stack_sharding(const char *stack, const char **what)
{
    static const struct { const char *key; int stage; const char *what; } rules[] = {
        /* the more specific names first: FSDP's SHARD_GRAD_OP is ZeRO-2 */
        {"shardgradop", 2, "ZeRO-2 (FSDP SHARD_GRAD_OP: gradients and optimizer state sharded)"},
        {"zero3", 3, "ZeRO-3 (parameters, gradients and optimizer state sharded)"},
        {"zero2", 2, "ZeRO-2 (gradients and optimizer state sharded)"},
        {"zero1", 1, "ZeRO-1 (optimizer state sharded)"},
        {"fullshard", 3, "ZeRO-3 (FSDP FULL_SHARD)"},
        {"hybridshard", 3, "ZeRO-3 inside a node, replicated across nodes (FSDP HYBRID_SHARD)"},
        {"hsdp", 3, "ZeRO-3 inside a node, replicated across nodes (HSDP: FSDP HYBRID_SHARD)"},
        {"fsdp", 3, "ZeRO-3 (PyTorch FSDP FULL_SHARD, its default)"},
        {"llmfoundry", 3, "ZeRO-3 (llm-foundry: PyTorch FSDP FULL_SHARD)"},
        {"composer", 3, "ZeRO-3 (Composer: PyTorch FSDP FULL_SHARD)"},
        {"mosaic", 3, "ZeRO-3 (MosaicML's Composer: PyTorch FSDP FULL_SHARD)"},
        {"torchtitan", 3, "ZeRO-3 (torchtitan: FSDP2)"},
        {"distributedoptimizer", 1, "ZeRO-1 (distributed optimizer)"},
        {"distopt", 1, "ZeRO-1 (distributed optimizer)"},
        {"nemo", 1, "ZeRO-1 (NeMo: Megatron-Core distributed optimizer)"},
        {"megatroncore", 1, "ZeRO-1 (Megatron-Core distributed optimizer)"},
        {"mcore", 1, "ZeRO-1 (Megatron-Core distributed optimizer)"},
        {"ddp", 0, "plain data parallelism (DDP: gradient all-reduce)"},
        /* frameworks whose published runs sharded so: OPT (Zhang et al. 2022, Sec. 2.3: Fully
         * Sharded Data Parallel), OLMo (Groeneveld et al. 2024: PyTorch FSDP), GPT-NeoX-20B (Black
         * et al. 2022: DeepSpeed's ZeRO stage 1) */
        {"metaseq", 3, "ZeRO-3 (Metaseq: FairScale's Fully Sharded Data Parallel, as OPT ran)"},
        {"olmo", 3, "ZeRO-3 (OLMo: PyTorch FSDP)"},
        {"gptneox", 1, "ZeRO-1 (GPT-NeoX: DeepSpeed ZeRO stage 1, as GPT-NeoX-20B ran)"},
        /* the frameworks' own defaults: Megatron-LM all-reduces gradients unless run with
         * --use-distributed-optimizer; DeepSpeed's zero_optimization.stage defaults to 0 */
        {"megatron", 0, "plain data parallelism (Megatron-LM's default: gradient all-reduce, no distributed optimizer)"},
        {"deepspeed", 0, "plain data parallelism (DeepSpeed's default: zero_optimization.stage 0)"},
    };
    if (what) *what = "";
    if (!stack) return -1;
    char name[64];
    software_key(stack, name);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strstr(name, rules[i].key)) {
            if (what) *what = rules[i].what;
            return rules[i].stage;
        }
    return -1;
}

int ms_dist_stack_shard_group(const char *stack, int zero_stage, int accels_per_node, int tp, int cp, int dp)
{
    if (!stack || zero_stage < 1 || accels_per_node < 1 || dp < 1) return 0;
    char name[64];
    software_key(stack, name);
    if (!(strstr(name, "hybridshard") || strstr(name, "hsdp"))) return 0;
    int k = accels_per_node / ((tp > 0 ? tp : 1) * (cp > 0 ? cp : 1));
    return k > 1 && k < dp && dp % k == 0 ? k : 0;
}

/* A squashed software name of the Megatron family (Megatron-LM, Megatron-Core, NeMo; also
 * Megatron-DeepSpeed, which callers that care tell apart by "deepspeed"). */
static int megatron_family(const char *name)
{
    return strstr(name, "megatron") || strstr(name, "mcore") || strstr(name, "nemo");
}

/* A squashed software name of Composer or what runs on it (llm-foundry, MosaicML's examples). */
static int composer_family(const char *name)
{
    return strstr(name, "llmfoundry") || strstr(name, "composer") || strstr(name, "mosaic");
}

double ms_dist_stack_grad_bytes(const char *stack, int fp16_params, double *optimizer_extra)
{
    if (optimizer_extra) *optimizer_extra = 0.0;
    if (!stack) return 0.0;
    char name[64];
    software_key(stack, name);
    if (strstr(name, "deepspeed")) return 0.0;            /* Megatron-DeepSpeed: DeepSpeed's optimizer */
    if (!megatron_family(name)) return 0.0;
    if (!fp16_params) return 4.0;                         /* the fp32 main-gradient buffer */
    if (optimizer_extra) *optimizer_extra = 4.0;          /* fp16 gradients, the optimizer's fp32 copy */
    return 0.0;
}

int ms_dist_stack_fp8_separate_casts(const char *stack)
{
    static const char *const keys[] = {"torchtitan", "fsdp", "hsdp", "hybridshard", "fullshard", "shardgradop"};
    if (!stack) return 0;
    char name[64];
    software_key(stack, name);
    if (megatron_family(name)) return 0;
    if (composer_family(name)) return 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strstr(name, keys[i])) return 1;
    return 0;
}

int ms_dist_stack_tp_async_grad(const char *stack)
{
    if (!stack) return 0;
    char name[64];
    software_key(stack, name);
    return megatron_family(name) && !strstr(name, "deepspeed");
}

int ms_dist_stack_pp_comm_overlap(const char *stack, int pp, int interleave)
{
    return pp > 1 && interleave > 1 && ms_dist_stack_tp_async_grad(stack);   /* the same family */
}

int ms_dist_stack_cp_allgather(const char *stack, int cp)
{
    if (!stack || cp < 2) return 0;
    char name[64];
    software_key(stack, name);
    return strstr(name, "llama3") != NULL;
}

int ms_dist_stack_optimizer_impl(const char *stack)
{
    if (!stack) return MS_DIST_OPT_FUSED;
    char name[64];
    software_key(stack, name);
    return composer_family(name) ? MS_DIST_OPT_UNFUSED : MS_DIST_OPT_FUSED;
}

ms_dist_recompute_t ms_dist_stack_selective(const char *stack)
{
    if (!stack) return MS_DIST_RECOMPUTE_SELECTIVE;
    char name[64];
    software_key(stack, name);
    return strstr(name, "torchtitan") ? MS_DIST_RECOMPUTE_OPS : MS_DIST_RECOMPUTE_SELECTIVE;
}

/* Numeric columns of runs.csv and where each goes. */
enum { C_ACC, C_PEAK, C_HBM, C_CAP, C_GPN, C_NVL, C_NVA, C_IB, C_IBA, C_L, C_H, C_A, C_KV, C_FFN,
       C_V, C_S, C_TP, C_PP, C_MB, C_GB, C_IL, C_RC, C_SP, C_ZERO, C_OVL, C_FLASH, C_TFL, C_STEP,
       C_NUM };
static const char *const num_cols[C_NUM] = {
    "accelerators", "peak_tflops", "hbm_gb_s", "hbm_gib", "accels_per_node", "intra_gb_s_dir",
    "intra_alpha_us", "inter_node_gb_s_dir", "inter_alpha_us", "layers", "hidden", "heads",
    "kv_heads", "ffn", "vocab", "seq_len", "tp", "pp", "microbatch", "global_batch", "interleave",
    "recompute", "sequence_parallel", "zero_stage", "overlap_dp", "flash_attention",
    "measured_tflops", "measured_step_s"
};

/* A word where runs.csv holds a number, as people write it: recompute none / selective / full /
 * operator-level (0-3), the flags sequence_parallel, overlap_dp and flash_attention true / false
 * (yes / no, on / off). 1 and *v set when s is one of them. */
static int word_value(int k, const char *s, double *v)
{
    char q[32];
    ms_scale_squash(s, q, sizeof q);
    if (k == C_RC) {
        static const char *const levels[] = {"none", "selective", "full", "operatorlevel"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(q, levels[i])) { *v = i; return 1; }
        if (!strcmp(q, "ops") || !strcmp(q, "op")) { *v = 3; return 1; }
        return 0;
    }
    if (k != C_SP && k != C_OVL && k != C_FLASH) return 0;
    if (!strcmp(q, "true") || !strcmp(q, "yes") || !strcmp(q, "on")) { *v = 1; return 1; }
    if (!strcmp(q, "false") || !strcmp(q, "no") || !strcmp(q, "off")) { *v = 0; return 1; }
    return 0;
}

/* The columns that hold counts (stored as int): all but the rates, sizes, latencies and measurements. */
static int whole_col(int k)
{
    switch (k) {
    case C_PEAK: case C_HBM: case C_CAP: case C_NVL: case C_NVA: case C_IB: case C_IBA: case C_TFL: case C_STEP:
        return 0;
    default:
        return 1;
    }
}

/* 1 if calibration key `key` names the generation `gen` (gl characters): the same letters and
 * digits without regard to case, followed by the end or by a character that is neither ("A100"
 * names "A100", "a100", "A100-80GB", "A100_40GB" and "A100 SXM4", not "A1000"). */
static int names_generation(const char *key, const char *gen, size_t gl)
{
    size_t kl = strlen(key);
    if (kl == 0 || kl > gl) return 0;
    for (size_t i = 0; i < kl; i++) {
        char a = key[i], b = gen[i];
        if (a >= 'a' && a <= 'z') a = (char)(a - 'a' + 'A');
        if (b >= 'a' && b <= 'z') b = (char)(b - 'a' + 'A');
        if (a != b) return 0;
    }
    char next = kl < gl ? gen[kl] : '\0';
    return !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9'));
}

/* 1 if one of the blank-separated names in `aliases` names the generation (names_generation). */
static int alias_names(const char *aliases, const char *gen, size_t gl)
{
    char one[96];
    for (const char *p = aliases; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n && n < sizeof one) {
            memcpy(one, p, n);
            one[n] = '\0';
            if (names_generation(one, gen, gl)) return 1;
        }
        p += n;
    }
    return 0;
}

/* The generation's name without a vendor or system word before it, as nvidia-smi and system names
 * write it: "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", "DGX A100", "HGX-H100" read from "A100" /
 * "H100" on (each word followed by a blank, '-' or '_'). */
static const char *generation_start(const char *stack)
{
    static const char *const words[] = {"NVIDIA", "DGX", "HGX"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            size_t n = strlen(words[i]), k = 0;
            while (k < n && stack[k] && (stack[k] == words[i][k] || stack[k] == words[i][k] - 'A' + 'a')) k++;
            if (k == n && (stack[n] == ' ' || stack[n] == '-' || stack[n] == '_')) {
                stack += n + strspn(stack + n, " -_");
                again = 1;
            }
        }
    }
    return stack;
}

/* The calibration.csv entry of a stack's generation (the text before '/'): the entry named exactly,
 * else the one that names it as names_generation reads names, else the one with an alias naming it
 * (A800 = A100; H800, H200, GH200 = H100: the same chips); a vendor or system word before the name is skipped
 * (generation_start); -1 when not listed. */
static int cal_generation(const cal_t *cal, int ncal, const char *stack)
{
    stack = generation_start(stack);
    size_t gl = strcspn(stack, "/");
    int found = -1;
    for (int i = 0; i < ncal; i++)
        if (strlen(cal[i].stack) == gl && strncmp(cal[i].stack, stack, gl) == 0) found = i;
    for (int i = 0; i < ncal && found < 0; i++)
        if (!strchr(cal[i].stack, '/') && names_generation(cal[i].stack, stack, gl)) found = i;
    for (int i = 0; i < ncal && found < 0; i++)
        if (!strchr(cal[i].stack, '/') && alias_names(cal[i].aliases, stack, gl)) found = i;
    return found;
}

/* The calibration.csv entry named by the whole stack ("A100/Megatron-LM"); -1 when not listed. */
static int cal_named(const cal_t *cal, int ncal, const char *stack)
{
    for (int i = 0; i < ncal; i++) if (strcmp(cal[i].stack, stack) == 0) return i;
    return -1;
}

/* 1 when the two files sit in the same folder (their real paths up to the last '/'). */
static int same_folder(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!realpath(a, ra) || !realpath(b, rb)) return 0;
    char *sa = strrchr(ra, '/'), *sb = strrchr(rb, '/');
    return sa && sb && sa - ra == sb - rb && strncmp(ra, rb, (size_t)(sa - ra)) == 0;
}

int ms_dist_validation_load(const char *path, ms_dist_validation_t *v, char *err, size_t errlen)
{
    return ms_dist_validation_load_with(path, NULL, NULL, v, err, errlen);
}

/* A published batch that the data-parallel replicas cannot share evenly (a batch given in tokens,
 * "2M tokens" on 124 replicas): the row runs at the nearest whole number of sequences a replica
 * (of micro-batches with a pipeline, at least one), and ms_dist_validation_run scales the step
 * back to the published batch (ms_dist_run_row_t.published_batch). A layout that does not divide
 * the accelerators is left for ms_dist_train_step to refuse. */
static void whole_batch(ms_dist_run_row_t *r)
{
    const ms_dist_parallel_t *p = &r->par;
    r->published_batch = p->global_batch;
    int tp = p->tp > 0 ? p->tp : 1, pp = p->pp > 0 ? p->pp : 1, cp = p->cp > 0 ? p->cp : 1;
    if (r->accelerators <= 0 || r->accelerators % (tp * pp * cp) || p->global_batch <= 0) return;
    int dp = r->accelerators / (tp * pp * cp), b = p->microbatch > 0 ? p->microbatch : 1;
    if (ms_dist_batch_rule(p->global_batch, dp, b, pp) == MS_DIST_BATCH_OK) return;
    long unit = (long)dp * (pp > 1 ? b : 1);
    long k = lround((double)p->global_batch / (double)unit);
    if (k < 1) k = 1;
    if (k * unit <= INT_MAX) r->par.global_batch = (int)(k * unit);
}

/* The hardware columns a row may leave blank, each taken from the built-in registry. */
static int hw_col(int k) { return k >= C_PEAK && k <= C_IBA; }

/* The architecture columns a row that names its model (column `model`) may leave blank. */
static int arch_col(int k) { return k >= C_L && k <= C_V; }

/* The built-in registry, made on a row's first use of it. NULL and why on failure. */
static const ms_registry *builtin_registry(ms_registry **reg, const char *what, char *why, size_t whylen)
{
    char rerr[256];
    if (!*reg && !(*reg = ms_registry_new(rerr, sizeof rerr))) ms_scale_err(why, whylen, "%s: the built-in registry: %s", what, rerr);
    return *reg;
}

/* A row's blank architecture columns (`blanks`: a bit per C_* column) from the registry model its
 * column `model` names (by name, title or hub id, as the registry looks models up), and, where
 * `take_form` (no arch column given), its form: SwiGLU or not, tied embeddings, biases, learned
 * positions. Only a dense decoder whose heads span the hidden size is a runs.csv row's model (no
 * experts, no latent attention, no head size of its own). A row that gives every column and names
 * a model the registry lacks keeps its columns (the name a label). 0 and `from` = the entry ("" for
 * a label); else -1 and the row's refusal in why (the table is fine; the registry lacks the model). */
static int registry_model(ms_registry **reg, const char *name, unsigned blanks, int take_form, double val[C_NUM],
                          ms_dist_model_t *md, char *from, size_t fromlen, char *why, size_t whylen)
{
    const ms_registry *r = builtin_registry(reg, "column model", why, whylen);
    if (!r) return -1;
    const ms_model *m = ms_registry_model(r, name);
    if (!m && !blanks) return 0;          /* every column given: a name the registry lacks is a label */
    if (!m) {
        ms_scale_err(why, whylen, "column model: '%s' is no model of the registry (`mlsysim zoo models`; a name, a "
                     "title or a hub id such as meta-llama/Llama-2-70b-hf) to take the blank architecture "
                     "columns from", name);
        return -1;
    }
    const ms_arch *a = &m->arch;
    const char *unlike = m->kind != MS_MODEL_TRANSFORMER ? "no transformer"
                       : a->encoder ? "an encoder"
                       : a->experts > 0 ? "a mixture of experts"
                       : a->kv_lora_rank > 0 ? "latent attention (MLA)"
                       : a->head_dim > 0 && a->head_dim * a->heads != a->hidden ? "heads of their own size"
                       : NULL;
    if (unlike) {
        ms_scale_err(why, whylen, "column model: the registry's %s (%s) is %s; a runs table's row is a dense "
                     "decoder whose heads span its hidden size (give its columns instead)", m->name,
                     ms_model_kind_name(m->kind), unlike);
        return -1;
    }
    const double fill[C_NUM] = {[C_L] = a->layers, [C_H] = a->hidden, [C_A] = a->heads,
                                [C_KV] = a->kv_heads, [C_FFN] = a->ffn, [C_V] = a->vocab};
    for (int k = 0; k < C_NUM; k++)
        if (blanks >> k & 1u) val[k] = fill[k];
    if (take_form) {
        md->gated_ffn = a->gated_ffn;
        md->tied_embeddings = a->tied_embeddings;
        md->biases = a->bias;
        md->learned_pos = a->max_pos > 0;
    }
    snprintf(from, fromlen, "%s", m->name);
    return 0;
}

/* A row's blank hardware columns (`blanks`: a bit per C_* column) from the built-in registry: the
 * accelerator or node its stack's generation names (the text before '/', as the registry looks
 * names up: by name, by title, by title without the maker's name; else without a vendor or system
 * word; else its calibration.csv key, where that key names the generation itself), and the
 * registry's node of that accelerator (a DGX / HGX: accelerators per node, NVLink, NICs × the
 * node's fabric). *reg is made on first use. 0 and `from` = the entry the figures came from; else
 * -1 and the row's refusal in why (the table is fine; the registry lacks the entry). */
static int registry_hardware(ms_registry **reg, const char *stack, const char *genkey, unsigned blanks, int accelerators,
                             double val[C_NUM], char *from, size_t fromlen, char *why, size_t whylen)
{
    char gen[64];
    snprintf(gen, sizeof gen, "%.*s", (int)strcspn(stack, "/"), stack);
    const ms_registry *r = builtin_registry(reg, "blank hardware columns", why, whylen);
    if (!r) return -1;
    const char *gs = generation_start(gen);
    /* the calibration key only where it names the generation itself, not through an alias: an
     * H800 or GH200 is not the registry's H100 (NVLink and HBM differ) */
    if (genkey && !names_generation(genkey, gs, strlen(gs))) genkey = NULL;
    const char *tries[3] = {gen, gs, genkey};
    const ms_node *nd = NULL;
    const ms_hardware *hw = NULL;
    for (int i = 0; i < 3 && !hw; i++) {
        if (!tries[i] || !*tries[i]) continue;
        if ((nd = ms_registry_node(r, tries[i])) != NULL) hw = ms_registry_hardware(r, nd->accelerator);
        else hw = ms_registry_hardware(r, tries[i]);
    }
    char blank[176];                              /* "column peak_tflops" or "columns peak_tflops, hbm_gb_s" */
    int nb = 0;
    for (int k = 0; k < C_NUM; k++) nb += (int)(blanks >> k & 1u);
    int n = snprintf(blank, sizeof blank, "column%s", nb > 1 ? "s" : "");
    for (int k = 0, i = 0; k < C_NUM; k++)
        if (blanks >> k & 1u) n += snprintf(blank + n, sizeof blank - (size_t)n, "%s%s", i++ ? ", " : " ", num_cols[k]);
    if (!hw) {
        ms_scale_err(why, whylen, "%s: blank, and '%s' names no accelerator or node of the registry "
                     "(`mlsysim zoo hardware`, `mlsysim zoo systems`) to take it from", blank, gen);
        return -1;
    }
    for (size_t i = 0; !nd && i < ms_registry_node_count(r); i++)   /* the registry's node of that accelerator */
        if (ms_registry_hardware(r, ms_registry_node_at(r, i)->accelerator) == hw) nd = ms_registry_node_at(r, i);
    const ms_fabric *fb = nd && nd->fabric[0] ? ms_registry_fabric(r, nd->fabric) : NULL;
    const unsigned node_cols = 1u << C_GPN | 1u << C_NVL | 1u << C_NVA | 1u << C_IB | 1u << C_IBA;
    if (!nd && (blanks & node_cols)) {
        ms_scale_err(why, whylen, "%s: blank, and no node of the registry holds %s (`mlsysim zoo systems`) to take "
                     "the node's figures from", blank, hw->name);
        return -1;
    }
    int per_node = blanks >> C_GPN & 1u ? nd->accelerators : (int)val[C_GPN];
    if (!fb && (blanks & (1u << C_IB | 1u << C_IBA)) && accelerators > per_node) {
        ms_scale_err(why, whylen, "%s: blank, and the registry's %s has no fabric between nodes for %d accelerators",
                     blank, nd->name, accelerators);
        return -1;
    }
    /* the node's links as a plan of that node reads them: NVLink, its NICs on its fabric, and a
     * run inside one node without a fabric on its own links */
    ms_node_links nl;
    ms_node_links_of(hw, nd ? nd->intra_bw_bytes_per_s : 0, nd ? nd->intra_latency_s : 0, per_node, nd ? nd->nics : 0, fb, &nl);
    double fill[C_NUM] = {0};
    fill[C_PEAK] = ms_hw_peak(hw, MS_BF16) / 1e12;           /* dense 16-bit, the column's figure */
    fill[C_HBM] = hw->mem_bw_bytes_per_s / 1e9;
    fill[C_CAP] = hw->mem_bytes / 1073741824.0;
    fill[C_GPN] = per_node;
    fill[C_NVL] = nl.intra_bw_bytes_per_s / 1e9;
    fill[C_NVA] = nl.intra_latency_s * 1e6;
    fill[C_IB] = nl.inter_bw_bytes_per_s / 1e9;
    fill[C_IBA] = nl.inter_latency_s * 1e6;
    for (int k = 0; k < C_NUM; k++)
        if (blanks >> k & 1u) {
            if (!(fill[k] > 0)) {
                ms_scale_err(why, whylen, "column %s: blank, and the registry's %s gives no figure for it", num_cols[k],
                             nd ? nd->name : hw->name);
                return -1;
            }
            val[k] = fill[k];
        }
    snprintf(from, fromlen, "%s", nd && (blanks & node_cols) ? nd->name : hw->name);
    return 0;
}

int ms_dist_validation_load_with(const char *path, const char *calibration_csv, const char *stacks_csv,
                                 ms_dist_validation_t *v, char *err, size_t errlen)
{
    if (!path || !v) { ms_scale_err(err, errlen, "validation: missing path"); return MS_DIST_EINVAL; }
    memset(v, 0, sizeof *v);
    FILE *probe = fopen(path, "r");
    if (!probe) { ms_scale_err(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return MS_DIST_EIO; }
    fclose(probe);
    /* calibration.csv and stacks.csv: the files given, else beside runs.csv */
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    char *calpath = v->calibration_file, *stkpath = v->stacks_file;
    const int fcap = (int)sizeof v->calibration_file;
    int cn = calibration_csv ? snprintf(calpath, fcap, "%s", calibration_csv)
                             : snprintf(calpath, fcap, "%.*scalibration.csv", dirlen, path);
    int sn = stacks_csv ? snprintf(stkpath, fcap, "%s", stacks_csv) : snprintf(stkpath, fcap, "%.*sstacks.csv", dirlen, path);
    if (cn >= fcap || sn >= fcap || snprintf(v->table_file, sizeof v->table_file, "%s", path) >= fcap) {
        ms_scale_err(err, errlen, "%s: path too long", path);
        return MS_DIST_EIO;
    }
    cal_t cal[MAXCAL];
    int ncal = 0;
    int rc = load_calibration(calpath, cal, &ncal, err, errlen);
    if (rc) return rc;
    stk_t stk[MAXSTK];
    int nstk = 0;
    rc = load_stacks(stkpath, stk, &nstk, err, errlen);
    if (rc) return rc;
    /* figures from another folder: none was chosen on this table's rows */
    v->foreign = !same_folder(calpath, path);
    if (v->foreign) {
        const char *cs = strrchr(calpath, '/');
        int cd = cs ? (int)(cs - calpath + 1) : 0;
        char ref[sizeof v->baseline_table];
        FILE *rf;
        if (snprintf(ref, sizeof ref, "%.*sruns.csv", cd, calpath) < (int)sizeof ref && (rf = fopen(ref, "r"))) {
            fclose(rf);                                   /* in another folder: not this table */
            snprintf(v->baseline_table, sizeof v->baseline_table, "%s", ref);
        }
    }

    ms_registry *reg = NULL;                  /* for rows that leave hardware columns blank */
    csv_file_t cf;
    rc = csv_open(&cf, path, 0, err, errlen);
    if (rc == CSV_EMPTY) { ms_scale_err(err, errlen, "%s: no rows", path); return MS_DIST_EIO; }
    if (rc) return rc;
    FILE *fp = cf.fp;
    const csv_line_t *hdr = &cf.hdr;
    int lineno = cf.lineno, cap = 0, ci[C_NUM];
    int ci_id = col_index(hdr, "id"), ci_stack = col_index(hdr, "stack"), ci_cit = col_index(hdr, "citation");
    int ci_split = col_index(hdr, "split");                 /* optional */
    int ci_arch = col_index(hdr, "arch");                   /* optional */
    int ci_model = col_index(hdr, "model");                 /* optional: blank architecture columns from it */
    int ci_coll = col_index(hdr, "collectives");            /* optional */
    int ci_cu = col_index(hdr, "compute_units");            /* optional */
    int ci_hf = col_index(hdr, "hbm_fraction");             /* optional */
    int ci_lei = col_index(hdr, "intra_link_efficiency");   /* optional */
    int ci_leo = col_index(hdr, "inter_link_efficiency");   /* optional */
    int ci_cp = col_index(hdr, "cp");                       /* optional: blank = 1 */
    int ci_tpo = col_index(hdr, "tp_overlap");              /* optional: blank = 0 */
    int ci_ppo = col_index(hdr, "pp_overlap");              /* optional: blank = the stack's */
    int ci_cpa = col_index(hdr, "cp_allgather");            /* optional: blank = the stack's */
    int ci_ak = col_index(hdr, "attention_kernel");         /* optional: blank = flash2 */
    int ci_oi = col_index(hdr, "optimizer_impl");           /* optional: blank = the stack's */
    int ci_tpa = col_index(hdr, "tp_async");                /* optional: blank = the stack's */
    int ci_sg = col_index(hdr, "shard_group");              /* optional: blank = the stack's */
    int ci_tok = col_index(hdr, "measured_tokens_per_s_per_accelerator");   /* optional */
    int ci_rlf = col_index(hdr, "recompute_layer_fraction");  /* optional: blank = 1 */
    int ci_prec = col_index(hdr, "precision");               /* optional: blank = bf16 */
    int ci_plim = col_index(hdr, "power_limit_w");           /* optional: blank = the board's TDP */
    int ci_ex = col_index(hdr, "experts");                   /* optional: blank = a dense model */
    int ci_tk = col_index(hdr, "top_k");                     /* with experts: the experts a token reaches */
    int ci_ep = col_index(hdr, "ep");                        /* optional: blank = 1 */
    if (ci_id < 0 || ci_stack < 0 || ci_cit < 0) { ms_scale_err(err, errlen, "%s:%d: header lacks id, stack or citation", path, lineno); rc = MS_DIST_EIO; }
    if (rc == MS_DIST_OK) rc = require_columns(hdr, num_cols, C_NUM, ci, path, lineno, err, errlen);
    csv_line_t c;
    int got = 0;
    /* the columns a row must reach are the required ones; a row may end after the last of them,
     * the optional columns it leaves off reading as blank (rows written before those existed) */
    int need = 0;
    if (rc == MS_DIST_OK) {
        const int named[3] = {ci_id, ci_stack, ci_cit};
        for (int k = 0; k < C_NUM; k++) if (ci[k] >= need) need = ci[k] + 1;
        for (int k = 0; k < 3; k++) if (named[k] >= need) need = named[k] + 1;
    }
    while (rc == MS_DIST_OK && (got = csv_next(&cf, &c, 0, err, errlen)) == 1) {
        lineno = cf.lineno;
        if (c.n > hdr->n || c.n < need) {
            ms_scale_err(err, errlen, "%s:%d: expected %d columns (at least the %d up to '%s'), got %d", path, lineno,
                         hdr->n, need, hdr->f[need - 1], c.n);
            rc = MS_DIST_EIO; break;
        }
        static char blank[1];
        while (c.n < hdr->n) c.f[c.n++] = blank;
        double val[C_NUM];
        unsigned hw_blanks = 0;                            /* blank hardware columns: the registry's */
        unsigned arch_blanks = 0;                          /* blank architecture columns: the model's */
        const char *model_name = ci_model >= 0 ? c.f[ci_model] : "";
        for (int k = 0; k < C_NUM; k++) {
            const char *s = c.f[ci[k]];
            if (*s == '\0' && hw_col(k)) { val[k] = 0; hw_blanks |= 1u << k; continue; }
            if (*s == '\0' && arch_col(k) && *model_name) { val[k] = 0; arch_blanks |= 1u << k; continue; }
            if (*s == '\0' && (k == C_STEP || k == C_TFL || k == C_KV || k == C_FFN)) { val[k] = 0; continue; }
            if (*s == '\0' && k == C_ZERO) { val[k] = -1; continue; }   /* from the stack's name */
            if (word_value(k, s, &val[k])) continue;                     /* "full", "true" ... */
            if (parse_num(s, &val[k]) || val[k] < 0) {
                ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a non-negative number%s", path, lineno, num_cols[k], s,
                             k == C_RC ? " (or none, selective, full, operator-level)"
                             : k == C_SP || k == C_OVL || k == C_FLASH ? " (or true, false)"
                             : *s == '\0' && arch_col(k) ? " (blank only where the row names its model in column model)"
                             : "");
                rc = MS_DIST_EIO; break;
            }
            if (whole_col(k) && (val[k] > 1e9 || val[k] != floor(val[k]))) { /* counts become ints */
                ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a whole number in 0..1000000000", path, lineno,
                             num_cols[k], s);
                rc = MS_DIST_EIO; break;
            }
        }
        if (rc) break;
        if (v->n == cap) {
            int nc = cap ? 2 * cap : 32;
            ms_dist_run_row_t *nr = realloc(v->rows, (size_t)nc * sizeof *nr);
            if (!nr) { ms_scale_err(err, errlen, "validation: out of memory"); rc = MS_DIST_ENOMEM; break; }
            v->rows = nr; cap = nc;
        }
        ms_dist_run_row_t *r = &v->rows[v->n];
        memset(r, 0, sizeof *r);
        r->line = lineno;
        if (name_field(r->id, sizeof r->id, c.f[ci_id], "id", path, lineno, err, errlen) ||
            name_field(r->stack, sizeof r->stack, c.f[ci_stack], "stack", path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        snprintf(r->citation, sizeof r->citation, "%s", c.f[ci_cit]);
        r->heldout = -1;                                    /* blank or absent split: below */
        if (ci_split >= 0 && *c.f[ci_split]) {
            r->heldout = ms_scale_split_word(c.f[ci_split]);
            if (r->heldout < 0) {
                ms_scale_err(err, errlen, "%s:%d: column split: '%s' is not calibration or heldout", path, lineno, c.f[ci_split]);
                rc = MS_DIST_EIO; break;
            }
        }
        /* the row's entry: the one named by its stack, else its generation's */
        const int gen_entry = cal_generation(cal, ncal, r->stack);
        int found = cal_named(cal, ncal, r->stack);
        if (found < 0) found = gen_entry;
        if (found < 0) {
            char listed[256] = "";
            for (int i = 0, n = 0; i < ncal && n < (int)sizeof listed - 1; i++)
                if (!strchr(cal[i].stack, '/'))
                    n += snprintf(listed + n, sizeof listed - (size_t)n, "%s%s", n ? ", " : "", cal[i].stack);
            ms_scale_err(r->refusal, sizeof r->refusal, "column stack: neither '%s' nor its generation has an entry in "
                         "%s (generations there: %s; a new one needs its own line, its efficiency chosen on a run of "
                         "it)", r->stack, calpath, *listed ? listed : "none");
            goto refused;                         /* the table is fine; the project lacks a figure */
        }
        snprintf(r->calibration, sizeof r->calibration, "%s", cal[found].stack);
        /* the generation the baseline groups rows by: its calibration key when listed */
        if (gen_entry >= 0) snprintf(r->generation, sizeof r->generation, "%s", cal[gen_entry].stack);
        else snprintf(r->generation, sizeof r->generation, "%.*s", (int)strcspn(r->stack, "/"), r->stack);
        if (hw_blanks && registry_hardware(&reg, r->stack, gen_entry >= 0 ? cal[gen_entry].stack : NULL, hw_blanks,
                                           (int)val[C_ACC], val, r->hardware_from, sizeof r->hardware_from,
                                           r->refusal, sizeof r->refusal))
            goto refused;                         /* the table is fine; the registry lacks the entry */
        r->accel.peak_flops = val[C_PEAK] * 1e12;
        r->accel.mem_bw_bytes_per_s = val[C_HBM] * 1e9;
        r->accel.mem_capacity_bytes = val[C_CAP] * 1073741824.0;
        r->accel.efficiency = cal[found].eff;
        r->accel.attn_efficiency = cal[found].attn;
        r->accel.attn_score_flops = cal[found].score;
        r->stack_compute_factor = 1.0;
        r->stack_attention_factor = 1.0;
        r->par.sharded_coll_efficiency = MS_DIST_SHARDED_COLL_EFFICIENCY;
        const char *sw = strchr(r->stack, '/');
        for (int i = 0; sw && i < nstk; i++)
            if (stack_named(&stk[i], sw + 1)) {
                snprintf(r->stack_figures, sizeof r->stack_figures, "%.31s", stk[i].name);
                r->stack_compute_factor = stk[i].compute;
                r->stack_attention_factor = stk[i].attn;
                r->par.sharded_coll_efficiency = stk[i].sharded;
            }
        r->accel.efficiency *= r->stack_compute_factor;
        if (r->accel.efficiency > 1.0) {
            ms_scale_err(err, errlen, "%s:%d: column stack: '%s': efficiency %g x compute_factor %g of %s exceeds 1",
                         path, lineno, r->stack, cal[found].eff, r->stack_compute_factor, stkpath);
            rc = MS_DIST_EIO; break;
        }
        /* The stack's attention kernel: attention_factor × the generation's attention_efficiency
         * (a blank attention_efficiency is the row's η, so the factor then multiplies that). */
        if (r->stack_attention_factor != 1.0) {
            double base = cal[found].attn > 0 ? cal[found].attn : r->accel.efficiency;
            r->accel.attn_efficiency = base * r->stack_attention_factor;
            if (r->accel.attn_efficiency > 1.0) {
                ms_scale_err(err, errlen, "%s:%d: column stack: '%s': attention efficiency %g x attention_factor %g of %s exceeds 1",
                             path, lineno, r->stack, base, r->stack_attention_factor, stkpath);
                rc = MS_DIST_EIO; break;
            }
        }
        r->fabric.accels_per_node = (int)val[C_GPN];
        r->fabric.intra_bw_bytes_per_s = val[C_NVL] * 1e9;
        r->fabric.intra_alpha_s = val[C_NVA] * 1e-6;
        r->fabric.inter_bw_bytes_per_s = val[C_IB] * 1e9;
        r->fabric.inter_alpha_s = val[C_IBA] * 1e-6;
        r->model.tied_embeddings = 1; r->model.learned_pos = 1; r->model.biases = 1;
        /* a model named: its blank architecture columns, and its form where no arch is given */
        if (*model_name && registry_model(&reg, model_name, arch_blanks, !(ci_arch >= 0 && *c.f[ci_arch]), val,
                                          &r->model, r->model_from, sizeof r->model_from, r->refusal, sizeof r->refusal))
            goto refused;                         /* the table is fine; the registry lacks the model */
        r->model.layers = (int)val[C_L]; r->model.hidden = (int)val[C_H]; r->model.heads = (int)val[C_A];
        r->model.kv_heads = (int)val[C_KV]; r->model.ffn = (int)val[C_FFN];
        r->model.vocab = (int)val[C_V]; r->model.seq_len = (int)val[C_S];
        /* hardware figures the row leaves blank (or has no column for): its generation's, from
         * calibration.csv's optional columns; a row's own value wins */
        {
            const cal_t *own = &cal[found];
            const cal_t *gen = gen_entry >= 0 ? &cal[gen_entry] : own;   /* a stack entry without a figure: its generation's */
            r->accel.compute_units = own->compute_units > 0 ? own->compute_units : gen->compute_units;
            r->accel.mem_bw_fraction = own->hbm_fraction > 0 ? own->hbm_fraction : gen->hbm_fraction;
            r->fabric.intra_efficiency = own->intra_eff > 0 ? own->intra_eff : gen->intra_eff;
            r->fabric.inter_efficiency = own->inter_eff > 0 ? own->inter_eff : gen->inter_eff;
            r->fp8_efficiency = own->fp8 > 0 ? own->fp8 : gen->fp8;
            r->accel.tdp_w = own->tdp_w > 0 ? own->tdp_w : gen->tdp_w;
            r->fabric.nvls_efficiency = own->nvls > 0 ? own->nvls : gen->nvls;
        }
        /* a board held below its TDP (nvidia-smi -pl): the GEMMs and attention at a lower clock */
        if (ci_plim >= 0 && *c.f[ci_plim]) {
            double pl;
            if (parse_num(c.f[ci_plim], &pl) || !(pl > 0 && pl <= 1e5)) {
                ms_scale_err(err, errlen, "%s:%d: column power_limit_w: '%s' is not a number in (0, 100000] (blank = TDP)",
                             path, lineno, c.f[ci_plim]);
                rc = MS_DIST_EIO; break;
            }
            if (!(r->accel.tdp_w > 0)) {
                ms_scale_err(r->refusal, sizeof r->refusal, "column power_limit_w: %g W, but %s gives %s no tdp_w", pl,
                             calpath, r->calibration);
                goto refused;
            }
            if (!(ms_power_limit_clock(pl, r->accel.tdp_w) > 0)) {
                ms_scale_err(err, errlen, "%s:%d: column power_limit_w: %g W is at or below the idle floor of the %g W board",
                             path, lineno, pl, r->accel.tdp_w);
                rc = MS_DIST_EIO; break;
            }
            r->accel.power_limit_w = pl;
        }
        if (ci_cu >= 0 && *c.f[ci_cu] && parse_whole(c.f[ci_cu], 0, 100000, &r->accel.compute_units)) {
            ms_scale_err(err, errlen, "%s:%d: column compute_units: '%s' is not a whole number in 0..100000", path, lineno, c.f[ci_cu]);
            rc = MS_DIST_EIO; break;
        }
        if (ci_hf >= 0 && *c.f[ci_hf]) {
            double hf;
            if (parse_num(c.f[ci_hf], &hf) || !(hf > 0 && hf <= 1)) {
                ms_scale_err(err, errlen, "%s:%d: column hbm_fraction: '%s' is not a number in (0, 1]", path, lineno, c.f[ci_hf]);
                rc = MS_DIST_EIO; break;
            }
            r->accel.mem_bw_fraction = hf;
        }
        const int lcol[2] = {ci_lei, ci_leo};
        double *ldst[2] = {&r->fabric.intra_efficiency, &r->fabric.inter_efficiency};
        for (int k = 0; k < 2 && rc == MS_DIST_OK; k++) {
            if (lcol[k] < 0 || !*c.f[lcol[k]]) continue;
            double le;
            if (parse_num(c.f[lcol[k]], &le) || !(le > 0 && le <= 1)) {
                ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a number in (0, 1]", path, lineno,
                             hdr->f[lcol[k]], c.f[lcol[k]]);
                rc = MS_DIST_EIO;
            }
            *ldst[k] = le;
        }
        if (rc) break;
        if (ci_coll >= 0 && *c.f[ci_coll]) {
            if (strcmp(c.f[ci_coll], "flat") == 0) r->par.flat_dp_collectives = 1;
            else if (strcmp(c.f[ci_coll], "hierarchical") != 0) {
                ms_scale_err(err, errlen, "%s:%d: column collectives: '%s' is not hierarchical or flat", path, lineno, c.f[ci_coll]);
                rc = MS_DIST_EIO; break;
            }
        }
        if (ci_arch >= 0 && *c.f[ci_arch] && strcmp(c.f[ci_arch], "gpt") != 0) {
            if (strcmp(c.f[ci_arch], "llama") != 0) {
                ms_scale_err(err, errlen, "%s:%d: column arch: '%s' is not gpt or llama", path, lineno, c.f[ci_arch]);
                rc = MS_DIST_EIO; break;
            }
            /* SwiGLU MLP, untied embeddings, no biases, rotary positions */
            r->model.gated_ffn = 1; r->model.tied_embeddings = 0; r->model.learned_pos = 0; r->model.biases = 0;
        }
        r->par.tp = (int)val[C_TP]; r->par.pp = (int)val[C_PP]; r->par.ep = 1; r->par.cp = 1;
        if (ci_cp >= 0 && *c.f[ci_cp] && parse_whole(c.f[ci_cp], 1, 4096, &r->par.cp)) {
            ms_scale_err(err, errlen, "%s:%d: column cp: '%s' is not a whole number in 1..4096", path, lineno, c.f[ci_cp]);
            rc = MS_DIST_EIO; break;
        }
        /* the data-parallel ranks, accelerators / (tp·pp·cp); 0 when they do not divide */
        const int tcp = r->par.tp * r->par.pp * r->par.cp;
        const int rdp = tcp > 0 && (int)val[C_ACC] % tcp == 0 ? (int)val[C_ACC] / tcp : 0;
        /* a mixture of experts: `experts` FFNs of `ffn` each a layer, top_k of them a token, spread
         * over ep of the data-parallel ranks (Megatron-Core's expert_model_parallel_size) */
        if (ci_ex >= 0 && *c.f[ci_ex] && parse_whole(c.f[ci_ex], 0, 4096, &r->model.experts)) {
            ms_scale_err(err, errlen, "%s:%d: column experts: '%s' is not a whole number in 0..4096 (blank, 0 or 1 = dense)",
                         path, lineno, c.f[ci_ex]);
            rc = MS_DIST_EIO; break;
        }
        const int moe = r->model.experts > 1;
        if (ci_tk >= 0 && *c.f[ci_tk]) {
            if (!moe || parse_whole(c.f[ci_tk], 1, r->model.experts, &r->model.top_k)) {
                ms_scale_err(err, errlen, "%s:%d: column top_k: '%s' is not a whole number in 1..experts (%d)%s", path, lineno,
                             c.f[ci_tk], r->model.experts, moe ? "" : ": a dense row leaves it blank");
                rc = MS_DIST_EIO; break;
            }
        } else if (moe) {
            ms_scale_err(err, errlen, "%s:%d: column top_k: blank, but the row has %d experts (give the experts a token "
                         "reaches)", path, lineno, r->model.experts);
            rc = MS_DIST_EIO; break;
        }
        if (ci_ep >= 0 && *c.f[ci_ep]) {
            if (parse_whole(c.f[ci_ep], 1, 4096, &r->par.ep) || (r->par.ep > 1 && !moe) ||
                (moe && r->model.experts % r->par.ep) || rdp <= 0 || rdp % r->par.ep) {
                ms_scale_err(err, errlen, "%s:%d: column ep: '%s' is not a whole number dividing the experts (%d) and the "
                             "%d data-parallel ranks (accelerators / (tp·pp·cp)); blank = 1", path, lineno, c.f[ci_ep],
                             r->model.experts, rdp);
                rc = MS_DIST_EIO; break;
            }
        }
        r->par.cp_allgather = ms_dist_stack_cp_allgather(r->stack, r->par.cp);
        if (flag_column(&c, ci_cpa, "cp_allgather", &r->par.cp_allgather, path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        if (r->par.cp_allgather && r->par.cp < 2) {
            ms_scale_err(err, errlen, "%s:%d: column cp_allgather: 1 needs context parallelism (cp > 1; got cp %d)",
                         path, lineno, r->par.cp);
            rc = MS_DIST_EIO; break;
        }
        if (flag_column(&c, ci_tpo, "tp_overlap", &r->par.tp_comm_overlap, path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        r->par.tp_async_grad = ms_dist_stack_tp_async_grad(r->stack);
        if (flag_column(&c, ci_tpa, "tp_async", &r->par.tp_async_grad, path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        r->par.microbatch = (int)val[C_MB]; r->par.global_batch = (int)val[C_GB];
        r->par.interleave = (int)val[C_IL];
        r->par.pp_comm_overlap = ms_dist_stack_pp_comm_overlap(r->stack, r->par.pp, r->par.interleave);
        if (flag_column(&c, ci_ppo, "pp_overlap", &r->par.pp_comm_overlap, path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        if (r->par.pp_comm_overlap && (r->par.pp < 2 || r->par.interleave < 2)) {
            ms_scale_err(err, errlen, "%s:%d: column pp_overlap: 1 needs the interleaved schedule (pp > 1 and "
                         "interleave > 1; got pp %d, interleave %d)", path, lineno, r->par.pp, r->par.interleave);
            rc = MS_DIST_EIO; break;
        }
        r->par.recompute = (ms_dist_recompute_t)(int)val[C_RC];
        if (r->par.recompute > MS_DIST_RECOMPUTE_OPS) {
            ms_scale_err(err, errlen, "%s:%d: column recompute: '%s' is not 0 (none), 1 (selective), 2 (full) or 3 (operator-level)",
                         path, lineno, c.f[ci[C_RC]]);
            rc = MS_DIST_EIO; break;
        }
        /* 1, selective, is what the stack calls selective (torchtitan's: operator-level) */
        if (r->par.recompute == MS_DIST_RECOMPUTE_SELECTIVE) r->par.recompute = ms_dist_stack_selective(r->stack);
        r->par.fp8_separate_casts = ms_dist_stack_fp8_separate_casts(r->stack);
        if (ci_rlf >= 0 && *c.f[ci_rlf]) {
            double f;
            if (parse_num(c.f[ci_rlf], &f) || !(f > 0 && f <= 1)) {
                ms_scale_err(err, errlen, "%s:%d: column recompute_layer_fraction: '%s' is not a number in (0, 1]", path, lineno, c.f[ci_rlf]);
                rc = MS_DIST_EIO; break;
            }
            if (r->par.recompute != MS_DIST_RECOMPUTE_FULL) {
                ms_scale_err(err, errlen, "%s:%d: column recompute_layer_fraction: '%s' needs recompute 2 (full recompute of that fraction of the layers)",
                             path, lineno, c.f[ci_rlf]);
                rc = MS_DIST_EIO; break;
            }
            r->par.recompute_layer_fraction = f;
        }
        r->par.sequence_parallel = (int)val[C_SP]; r->par.zero_stage = (int)val[C_ZERO];
        {
            const char *what;
            int implied = ms_dist_stack_sharding(r->stack, &what);
            if (val[C_ZERO] < 0) {
                if (implied < 0) {                /* the other rows are still predicted */
                    ms_scale_err(r->refusal, sizeof r->refusal, "column zero_stage: blank, and stack '%s' does not say "
                                 "how it shards (write 0-3, or name the stack FSDP, ZeRO-1/2/3, DDP, NeMo, Megatron-LM or "
                                 "DeepSpeed)", r->stack);
                    goto refused;
                }
                r->par.zero_stage = implied;
                snprintf(r->sharding, sizeof r->sharding, "%s, from the stack's name", what);
            } else if (val[C_ZERO] > 3 || val[C_ZERO] != floor(val[C_ZERO])) {
                ms_scale_err(err, errlen, "%s:%d: column zero_stage: '%s' is not 0, 1, 2 or 3", path, lineno, c.f[ci[C_ZERO]]);
                rc = MS_DIST_EIO; break;
            } else {
                snprintf(r->sharding, sizeof r->sharding, "ZeRO-%d, the zero_stage column", r->par.zero_stage);
            }
            /* hybrid sharding: the shard_group column, else what the stack's name implies */
            if (ci_sg >= 0 && *c.f[ci_sg]) {
                if (parse_whole(c.f[ci_sg], 0, 1 << 20, &r->par.shard_group)
                    || (r->par.shard_group > 0 && (rdp <= 0 || rdp % r->par.shard_group != 0))) {
                    ms_scale_err(err, errlen, "%s:%d: column shard_group: '%s' is not a whole number dividing the %d data-parallel ranks "
                                 "(accelerators / (tp·pp·cp)); 0 or blank = all of them", path, lineno, c.f[ci_sg], rdp);
                    rc = MS_DIST_EIO; break;
                }
            } else {
                r->par.shard_group = ms_dist_stack_shard_group(r->stack, r->par.zero_stage, r->fabric.accels_per_node,
                                                              r->par.tp, r->par.cp, rdp);
            }
            if (r->par.zero_stage >= 1 && r->par.shard_group > 0 && r->par.shard_group < rdp) {
                size_t n = strlen(r->sharding);
                snprintf(r->sharding + n, sizeof r->sharding - n, "; shards of %d ranks, %d replicas",
                         r->par.shard_group, rdp / r->par.shard_group);
            }
        }
        r->par.overlap_dp = (int)val[C_OVL]; r->par.flash_attention = (int)val[C_FLASH];
        if (ci_ak >= 0 && *c.f[ci_ak]) {
            if (ms_dist_attn_kernel_parse(c.f[ci_ak], &r->par.attention_kernel)) {
                ms_scale_err(err, errlen, "%s:%d: column attention_kernel: '%s' is not flash2 or flash1", path, lineno, c.f[ci_ak]);
                rc = MS_DIST_EIO; break;
            }
            if (r->par.attention_kernel != MS_DIST_ATTN_FLASH2 && !r->par.flash_attention) {
                ms_scale_err(err, errlen, "%s:%d: column attention_kernel: '%s' needs flash_attention 1", path, lineno, c.f[ci_ak]);
                rc = MS_DIST_EIO; break;
            }
        }
        r->par.optimizer_impl = ms_dist_stack_optimizer_impl(r->stack);
        if (ci_oi >= 0 && *c.f[ci_oi] && ms_dist_opt_impl_parse(c.f[ci_oi], &r->par.optimizer_impl)) {
            ms_scale_err(err, errlen, "%s:%d: column optimizer_impl: '%s' is not " MS_DIST_OPT_IMPL_WORDS,
                         path, lineno, c.f[ci_oi]);
            rc = MS_DIST_EIO; break;
        }
        /* precision: bf16 (blank), fp16 (memory only: Megatron's fp16 gradients and fp32 copy) or
         * fp8, Transformer Engine's recipe: the linear layers' GEMMs at the FP8 dense peak, twice
         * the 16-bit one on every generation that has FP8 tensor cores (H100, H200, L40S, B200
         * datasheets), at the generation's fp8_efficiency × the stack's compute_factor */
        snprintf(r->precision, sizeof r->precision, "bf16");
        double opt_extra = 0.0;
        int fp16 = 0;
        if (ci_prec >= 0 && *c.f[ci_prec]) {
            /* read as the frameworks write it (amp_bf16, bfloat16, FP8, float8, fp8-hybrid, e4m3 ...) */
            const char *pv = c.f[ci_prec];
            ms_precision pc = MS_FP32, pw = MS_FP32, pk = MS_FP32;
            int known = ms_scale_precision_word(pv, &pc, &pw, &pk) == 0 && pw == pc;   /* training: no weight-only words */
            int is8 = known && pc == MS_FP8, isb = known && pc == MS_BF16;
            fp16 = known && pc == MS_FP16;
            if (is8) {
                if (!(r->fp8_efficiency > 0)) {
                    ms_scale_err(r->refusal, sizeof r->refusal, "column precision: fp8, and generation %s has no "
                                 "fp8_efficiency in %s (FP8 tensor cores came with H100)", r->generation, calpath);
                    goto refused;
                }
                r->model.linear_bytes = 1.0;
                r->accel.linear_peak_flops = 2.0 * r->accel.peak_flops;
                r->accel.linear_efficiency = r->fp8_efficiency * r->stack_compute_factor;
                if (r->accel.linear_efficiency > 1.0) {
                    ms_scale_err(err, errlen, "%s:%d: column stack: '%s': fp8_efficiency %g x compute_factor %g exceeds 1",
                                 path, lineno, r->stack, r->fp8_efficiency, r->stack_compute_factor);
                    rc = MS_DIST_EIO; break;
                }
                /* the baseline's constant TFLOP/s is the FP8 runs' own */
                size_t gl = strlen(r->generation);
                if (gl + 5 < sizeof r->generation) memcpy(r->generation + gl, " fp8", 5);
            } else if (!fp16 && !isb) {
                ms_scale_err(err, errlen, "%s:%d: column precision: '%s' is not bf16, fp16 or fp8 (as amp_bf16, float16, FP8 ... "
                             "write it; blank = bf16)", path, lineno, pv);
                rc = MS_DIST_EIO; break;
            }
            snprintf(r->precision, sizeof r->precision, "%s", fp16 ? "fp16" : r->model.linear_bytes > 0 ? "fp8" : "bf16");
        }
        r->par.grad_bytes_per_param = ms_dist_stack_grad_bytes(r->stack, fp16, &opt_extra);   /* memory only */
        if (opt_extra > 0) r->par.optimizer_bytes_per_param = 12.0 + opt_extra;
        r->accelerators = (int)val[C_ACC];
        r->measured_tflops = val[C_TFL];
        r->measured_step_s = val[C_STEP];
        char e2[256];
        ms_scale_arch_t xa;
        if (ms_scale_arch(&r->model, &xa, e2, sizeof e2)) { ms_scale_err(err, errlen, "%s:%d: %s", path, lineno, e2); rc = MS_DIST_EIO; break; }
        if (r->measured_step_s <= 0 && ci_tok >= 0 && *c.f[ci_tok]) {
            /* tokens/s per accelerator as published: the step that moves the global batch */
            double tok;
            if (parse_num(c.f[ci_tok], &tok) || !(tok > 0 && tok < 1e15)) {
                ms_scale_err(err, errlen, "%s:%d: column measured_tokens_per_s_per_accelerator: '%s' is not a positive number",
                             path, lineno, c.f[ci_tok]);
                rc = MS_DIST_EIO; break;
            }
            if (r->accelerators > 0)
                r->measured_step_s = (double)r->par.global_batch * r->model.seq_len / (tok * r->accelerators);
        }
        if (r->measured_step_s <= 0) {
            if (!(r->measured_tflops > 0) || r->accelerators <= 0) {
                ms_scale_err(err, errlen, "%s:%d: needs measured_step_s, measured_tokens_per_s_per_accelerator or measured_tflops", path, lineno);
                rc = MS_DIST_EIO; break;
            }
            r->measured_step_s = ms_dist_published_flops(&r->model, r->par.global_batch, r->par.recompute)
                               / (r->accelerators * r->measured_tflops * 1e12);
        }
        whole_batch(r);
        v->n++;
        continue;
    refused:                                      /* kept, with the reason it is not predicted */
        v->n++;
    }
    if (rc == MS_DIST_OK && got < 0) rc = MS_DIST_EIO;
    fclose(fp);
    ms_registry_free(reg);
    if (rc == MS_DIST_OK && v->n == 0) { ms_scale_err(err, errlen, "%s: no rows", path); rc = MS_DIST_EIO; }
    /* stacks.csv beside the table names the row each of its figures was chosen on: a table that
     * holds none of them (one's own rows dropped into a copy of the folder) is not the table the
     * figures were chosen on, and is read as a table from another folder */
    if (rc == MS_DIST_OK && !v->foreign && !stacks_csv && nstk > 0) {
        int named = 0;
        for (int i = 0; i < nstk && !named; i++)
            for (int j = 0; j < v->n && !named; j++) named = !strcmp(v->rows[j].id, stk[i].row);
        v->foreign = v->other_table = !named;
    }
    for (int j = 0; j < v->n; j++)
        if (v->rows[j].heldout < 0) v->rows[j].heldout = v->foreign;
    /* each stack figure was chosen on one named calibration row of that stack: checked against
     * the table the stacks file sits beside (one given apart from it was chosen on another table) */
    for (int i = 0; rc == MS_DIST_OK && !stacks_csv && !v->other_table && i < nstk; i++) {
        int ok = 0;
        for (int j = 0; j < v->n; j++) {
            const char *sw = strchr(v->rows[j].stack, '/');
            if (!strcmp(v->rows[j].id, stk[i].row) && !v->rows[j].heldout && sw && !strcmp(sw + 1, stk[i].name)) ok = 1;
        }
        if (!ok) {
            ms_scale_err(err, errlen, "%s:%d: column calibrated_on: '%s' is not a calibration row of stack '%s' in %s",
                         stkpath, stk[i].line, stk[i].row, stk[i].name, path);
            rc = MS_DIST_EIO;
        }
    }
    if (rc) ms_dist_validation_free(v);
    return rc;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_of(double *x, int n)
{
    if (n <= 0) return 0.0;
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return (n % 2) ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Measured TFLOP/s per accelerator of a row, counted as the predictions count it. */
static double measured_tf(const ms_dist_run_row_t *r)
{
    return r->predicted_tflops * r->predicted_step_s / r->measured_step_s;
}

static int same_generation(const ms_dist_run_row_t *a, const ms_dist_run_row_t *b)
{
    return strcmp(a->generation, b->generation) == 0;
}

/* Fills s from n pairs |error| e[0..n), |baseline error| b[0..n) (both reordered by the medians). */
static void stats_of(double *e, double *b, int n, ms_dist_val_stats_t *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (!n) return;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        sum += e[i];
        if (e[i] > s->max_abs_error) s->max_abs_error = e[i];
        if (b[i] > s->baseline_max_abs_error) s->baseline_max_abs_error = b[i];
    }
    s->mean_abs_error = sum / n;
    s->median_abs_error = median_of(e, n);
    s->baseline_median_abs_error = median_of(b, n);
}

/* The error on tokens/s of an error e on step time: a step (1 + e) times the measured one gives
 * 1 / (1 + e) times the measured tokens/s. */
static double tokens_error_of(double e)
{
    return 1.0 / (1.0 + e) - 1.0;
}

/* Fills s from the rows with heldout == which (or every row when which < 0), on step time and on
 * tokens/s; tmp holds 2n. */
static void fill_stats(const ms_dist_validation_t *v, int which, double *tmp, ms_dist_val_stats_t *s)
{
    ms_dist_val_stats_t tok;
    for (int pass = 0; pass < 2; pass++) {
        int k = 0;
        for (int i = 0; i < v->n; i++) {
            const ms_dist_run_row_t *r = &v->rows[i];
            if (which >= 0 && r->heldout != which) continue;
            tmp[k] = fabs(pass ? r->tokens_error : r->error);
            tmp[v->n + k++] = fabs(pass ? tokens_error_of(r->baseline_error) : r->baseline_error);
        }
        stats_of(tmp, tmp + v->n, k, pass ? &tok : s);
    }
    s->median_abs_tokens_error = tok.median_abs_error;
    s->max_abs_tokens_error = tok.max_abs_error;
    s->baseline_median_abs_tokens_error = tok.baseline_median_abs_error;
    s->baseline_max_abs_tokens_error = tok.baseline_max_abs_error;
}

/* The published batch over the one predicted (1 unless whole_batch rounded it). */
static double batch_scale(const ms_dist_run_row_t *r)
{
    return r->published_batch > 0 && r->par.global_batch > 0 ? (double)r->published_batch / r->par.global_batch : 1.0;
}

int ms_dist_validation_run(ms_dist_validation_t *v, char *err, size_t errlen)
{
    if (!v || v->n <= 0) { ms_scale_err(err, errlen, "validation: empty table"); return MS_DIST_EINVAL; }
    double *tmp = malloc(2 * (size_t)v->n * sizeof *tmp);
    if (!tmp) { ms_scale_err(err, errlen, "validation: out of memory"); return MS_DIST_ENOMEM; }
    int kept = 0;
    for (int i = 0; i < v->n; i++) {
        ms_dist_run_row_t *r = &v->rows[i];
        ms_dist_train_t t;
        char e2[256] = "";
        int rc = r->refusal[0] ? MS_DIST_EINVAL      /* refused at load: no figure for it */
               : ms_dist_train_step(&r->accel, &r->model, &r->par, &r->fabric, r->accelerators, &t, e2, sizeof e2);
        if (rc) {                                            /* the others are still predicted */
            if (ms_scale_refuse(&v->refused, &v->nrefused, v->table_file[0] ? v->table_file : "runs.csv", r->line, r->id,
                                r->refusal[0] ? r->refusal : e2)) {
                ms_scale_err(err, errlen, "validation: out of memory");
                free(tmp);
                return MS_DIST_ENOMEM;
            }
            continue;
        }
        if (kept != i) v->rows[kept] = *r;
        r = &v->rows[kept++];
        r->predicted = t;
        /* a batch run at whole sequences a replica (whole_batch): the step of the published one */
        r->predicted_step_s = t.step_time_s * batch_scale(r);
        r->predicted_tflops = t.tflops_per_accelerator;
        r->predicted_tokens_per_s = t.tokens_per_s / r->accelerators;
        r->error = (r->predicted_step_s - r->measured_step_s) / r->measured_step_s;
        r->tokens_error = tokens_error_of(r->error);
    }
    v->n = kept;
    if (!kept) {
        ms_scale_err(err, errlen, "validation: no row could be predicted (%s)", v->refused[0].reason);
        free(tmp);
        return MS_DIST_EINVAL;
    }
    /* constant-TFLOP/s baseline: median measured figure of the generation's calibration rows; a
     * generation without any here takes those of the table its figures were chosen on (a table
     * elsewhere: baseline_table), else every row of the generation here (in-sample, the baseline's
     * best case) */
    ms_dist_validation_t ref = {0};
    int have_ref = -1;                                       /* not loaded yet */
    double *rtmp = NULL;
    v->baseline_from_reference = 0;
    for (int i = 0; i < v->n; i++) {
        ms_dist_run_row_t *r = &v->rows[i];
        int k = 0;
        r->baseline_tflops = 0.0;
        for (int j = 0; j < v->n; j++)
            if (!v->rows[j].heldout && same_generation(&v->rows[j], r)) tmp[k++] = measured_tf(&v->rows[j]);
        if (!k && v->baseline_table[0]) {
            if (have_ref < 0) {
                char e3[256];
                have_ref = ms_dist_validation_load(v->baseline_table, &ref, e3, sizeof e3) == MS_DIST_OK && !ref.foreign &&
                           ms_dist_validation_run(&ref, e3, sizeof e3) == MS_DIST_OK &&
                           (rtmp = malloc((size_t)ref.n * sizeof *rtmp)) != NULL;
            }
            for (int j = 0; have_ref && j < ref.n; j++)
                if (!ref.rows[j].heldout && same_generation(&ref.rows[j], r)) rtmp[k++] = measured_tf(&ref.rows[j]);
            if (k) {
                v->baseline_from_reference++;
                r->baseline_tflops = median_of(rtmp, k);
            }
        }
        if (!k)
            for (int j = 0; j < v->n; j++)
                if (same_generation(&v->rows[j], r)) tmp[k++] = measured_tf(&v->rows[j]);
        if (!(r->baseline_tflops > 0)) r->baseline_tflops = median_of(tmp, k);
        /* step time at the baseline TFLOP/s over the measured one */
        r->baseline_error = r->baseline_tflops > 0 ? measured_tf(r) / r->baseline_tflops - 1.0 : 0.0;
    }
    ms_dist_validation_free(&ref);
    free(rtmp);
    ms_dist_val_stats_t all;
    fill_stats(v, -1, tmp, &all);
    v->median_abs_error = all.median_abs_error;
    v->max_abs_error = all.max_abs_error;
    v->mean_abs_error = all.mean_abs_error;
    fill_stats(v, 0, tmp, &v->calibration);
    fill_stats(v, 1, tmp, &v->heldout);
    free(tmp);
    return MS_DIST_OK;
}

void ms_dist_validation_free(ms_dist_validation_t *v)
{
    if (!v) return;
    free(v->rows);
    v->rows = NULL;
    v->n = 0;
    free(v->refused);
    v->refused = NULL;
    v->nrefused = 0;
}

/* ---- NCCL-tests bus bandwidths (collectives.csv) ------------------------------------------- */

enum { K_RANKS, K_PER_NODE, K_INTRA, K_INTRA_EFF, K_INTRA_A, K_INTER, K_INTER_EFF, K_INTER_A, K_BYTES,
       K_BUSBW, K_NUM };
static const char *const coll_cols[K_NUM] = {
    "ranks", "ranks_per_node", "intra_gb_s_dir", "intra_efficiency", "intra_alpha_us", "inter_node_gb_s_dir",
    "inter_efficiency", "inter_alpha_us", "bytes", "measured_busbw_gb_s"
};

/* The bus bandwidth the row's collective reaches on links f; *algorithm (NULL = not wanted) what it
 * was costed as. */
static double coll_busbw(const ms_dist_coll_row_t *r, const ms_dist_fabric_t *f, const char **algorithm)
{
    double t = ms_coll_time_parts_s(r->kind, r->bytes, r->ranks, 1, f, NULL, algorithm);
    return ms_coll_bus_bw(r->kind, r->bytes, r->ranks, t);
}

/* Fills s from the collective rows with heldout == which; tmp holds 2n. */
static void coll_stats(const ms_dist_coll_validation_t *v, int which, double *tmp, ms_dist_val_stats_t *s)
{
    int k = 0;
    for (int i = 0; i < v->n; i++) {
        if (v->rows[i].heldout != which) continue;
        tmp[k] = fabs(v->rows[i].error);
        tmp[v->n + k++] = fabs(v->rows[i].baseline_error);
    }
    stats_of(tmp, tmp + v->n, k, s);
}

ms_dist_table_kind_t ms_dist_table_kind(const char *path)
{
    csv_file_t cf;
    char err[64];
    if (!path || csv_open(&cf, path, 0, err, sizeof err) != MS_DIST_OK) return MS_DIST_TABLE_RUNS;
    fclose(cf.fp);
    if (col_index(&cf.hdr, "model") >= 0 && col_index(&cf.hdr, "metric") >= 0 && col_index(&cf.hdr, "measured") >= 0)
        return MS_DIST_TABLE_SERVING;
    if (col_index(&cf.hdr, "ranks") >= 0 && col_index(&cf.hdr, "measured_busbw_gb_s") >= 0)
        return MS_DIST_TABLE_COLLECTIVES;
    return MS_DIST_TABLE_RUNS;
}

int ms_dist_coll_validation_load(const char *path, ms_dist_coll_validation_t *v, char *err, size_t errlen)
{
    return ms_dist_coll_validation_load_figures(path, NULL, v, err, errlen);
}

int ms_dist_coll_validation_load_figures(const char *path, const char *calibration, ms_dist_coll_validation_t *v,
                                         char *err, size_t errlen)
{
    if (!path || !v) { ms_scale_err(err, errlen, "collectives: missing path"); return MS_DIST_EINVAL; }
    memset(v, 0, sizeof *v);
    /* the generations' figures for rows that leave nvls_efficiency blank */
    cal_t cal[MAXCAL];
    int ncal = 0;
    if (calibration) {
        int crc = load_calibration(calibration, cal, &ncal, err, errlen);
        if (crc) return crc;
    }
    csv_file_t cf;
    int rc = csv_open(&cf, path, 0, err, errlen);
    if (rc == CSV_EMPTY) { ms_scale_err(err, errlen, "%s: no rows", path); return MS_DIST_EIO; }
    if (rc) return rc;
    FILE *fp = cf.fp;
    const csv_line_t *hdr = &cf.hdr;
    int lineno = cf.lineno, cap = 0, ci[K_NUM];
    int ci_id = col_index(hdr, "id"), ci_gen = col_index(hdr, "generation"), ci_kind = col_index(hdr, "kind");
    int ci_split = col_index(hdr, "split"), ci_cit = col_index(hdr, "citation");
    /* optional: NVLink SHARP's all-reduce rate (blank = the node has none) and NCCL_ALGO */
    int ci_nvls = col_index(hdr, "nvls_efficiency"), ci_algo = col_index(hdr, "algorithm");
    if (ci_id < 0 || ci_gen < 0 || ci_kind < 0 || ci_split < 0 || ci_cit < 0) {
        ms_scale_err(err, errlen, "%s:%d: header lacks id, generation, kind, split or citation", path, lineno);
        rc = MS_DIST_EIO;
    }
    if (rc == MS_DIST_OK) rc = require_columns(hdr, coll_cols, K_NUM, ci, path, lineno, err, errlen);
    csv_line_t c;
    int got = 0;
    while (rc == MS_DIST_OK && (got = csv_next(&cf, &c, 1, err, errlen)) == 1) {
        lineno = cf.lineno;
        double val[K_NUM];
        for (int k = 0; k < K_NUM && rc == MS_DIST_OK; k++) {
            const char *f = c.f[ci[k]];
            int optional = k == K_INTRA_EFF || k == K_INTER_EFF;
            if (optional && !*f) { val[k] = 0; continue; }
            double hi = optional ? 1.0 : 1e15;
            if (parse_num(f, &val[k]) || !(val[k] > 0) || val[k] > hi) {
                ms_scale_err(err, errlen, "%s:%d: column %s: '%s' is not a number in (0, %g]", path, lineno, coll_cols[k], f, hi);
                rc = MS_DIST_EIO;
            }
        }
        if (rc) break;
        if (val[K_RANKS] != floor(val[K_RANKS]) || val[K_RANKS] < 2 || val[K_RANKS] > 1e6 ||
            val[K_PER_NODE] != floor(val[K_PER_NODE]) || val[K_PER_NODE] > val[K_RANKS]) {
            ms_scale_err(err, errlen, "%s:%d: columns ranks / ranks_per_node: want whole numbers, 2 <= ranks <= 1e6, ranks_per_node <= ranks", path, lineno);
            rc = MS_DIST_EIO; break;
        }
        ms_dist_coll_t kind;
        const char *ks = c.f[ci_kind];
        if (!strcmp(ks, "allreduce")) kind = MS_COLL_ALLREDUCE_RING;
        else if (!strcmp(ks, "reduce_scatter")) kind = MS_COLL_REDUCE_SCATTER;
        else if (!strcmp(ks, "all_gather")) kind = MS_COLL_ALL_GATHER;
        else if (!strcmp(ks, "all_to_all")) kind = MS_COLL_ALL_TO_ALL;
        else {
            ms_scale_err(err, errlen, "%s:%d: column kind: '%s' is not allreduce, reduce_scatter, all_gather or all_to_all", path, lineno, ks);
            rc = MS_DIST_EIO; break;
        }
        double nvls = 0.0;
        const char *nf = ci_nvls >= 0 && c.n > ci_nvls ? c.f[ci_nvls] : "";
        if (*nf && (parse_num(nf, &nvls) || !(nvls >= 0 && nvls <= 1))) {
            ms_scale_err(err, errlen, "%s:%d: column nvls_efficiency: '%s' is not a number in [0, 1] (0 = no NVLink SHARP; "
                         "blank = the generation's figure)", path, lineno, nf);
            rc = MS_DIST_EIO; break;
        }
        if (!*nf) {
            int g = cal_generation(cal, ncal, c.f[ci_gen]);
            nvls = g >= 0 ? cal[g].nvls : 0.0;
        }
        const char *as = ci_algo >= 0 && c.n > ci_algo ? c.f[ci_algo] : "";
        if (*as && strcmp(as, "ring") && strcmp(as, "default")) {
            ms_scale_err(err, errlen, "%s:%d: column algorithm: '%s' is not ring or default (blank = default: NCCL's choice)", path, lineno, as);
            rc = MS_DIST_EIO; break;
        }
        int held = ms_scale_split_word(c.f[ci_split]);
        if (held < 0) {
            ms_scale_err(err, errlen, "%s:%d: column split: '%s' is not calibration or heldout", path, lineno, c.f[ci_split]);
            rc = MS_DIST_EIO; break;
        }
        if (v->n == cap) {
            int nc = cap ? 2 * cap : 16;
            ms_dist_coll_row_t *nr = realloc(v->rows, (size_t)nc * sizeof *nr);
            if (!nr) { ms_scale_err(err, errlen, "collectives: out of memory"); rc = MS_DIST_ENOMEM; break; }
            v->rows = nr; cap = nc;
        }
        ms_dist_coll_row_t *r = &v->rows[v->n];
        memset(r, 0, sizeof *r);
        if (name_field(r->id, sizeof r->id, c.f[ci_id], "id", path, lineno, err, errlen) ||
            name_field(r->generation, sizeof r->generation, c.f[ci_gen], "generation", path, lineno, err, errlen)) {
            rc = MS_DIST_EIO; break;
        }
        snprintf(r->citation, sizeof r->citation, "%s", c.f[ci_cit]);
        r->kind = kind;
        r->heldout = held;
        r->ranks = (int)val[K_RANKS];
        r->bytes = val[K_BYTES];
        r->fabric.accels_per_node = (int)val[K_PER_NODE];
        r->fabric.intra_bw_bytes_per_s = val[K_INTRA] * 1e9;
        r->fabric.intra_efficiency = val[K_INTRA_EFF];
        r->fabric.intra_alpha_s = val[K_INTRA_A] * 1e-6;
        r->fabric.inter_bw_bytes_per_s = val[K_INTER] * 1e9;
        r->fabric.inter_efficiency = val[K_INTER_EFF];
        r->fabric.inter_alpha_s = val[K_INTER_A] * 1e-6;
        r->fabric.nvls_efficiency = nvls;
        r->fabric.ring_only = !strcmp(as, "ring");
        r->measured_busbw_bytes_per_s = val[K_BUSBW] * 1e9;
        ms_dist_fabric_t ach;
        ms_dist_fabric_achievable(&r->fabric, &ach);
        r->predicted_busbw_bytes_per_s = coll_busbw(r, &ach, &r->algorithm);
        r->line_busbw_bytes_per_s = coll_busbw(r, &r->fabric, NULL);
        r->error = r->predicted_busbw_bytes_per_s / r->measured_busbw_bytes_per_s - 1.0;
        r->baseline_error = r->line_busbw_bytes_per_s / r->measured_busbw_bytes_per_s - 1.0;
        v->n++;
    }
    if (rc == MS_DIST_OK && got < 0) rc = MS_DIST_EIO;
    fclose(fp);
    if (rc == MS_DIST_OK && v->n == 0) { ms_scale_err(err, errlen, "%s: no rows", path); rc = MS_DIST_EIO; }
    if (rc == MS_DIST_OK) {
        double *tmp = malloc(2 * (size_t)v->n * sizeof *tmp);
        if (!tmp) { ms_scale_err(err, errlen, "collectives: out of memory"); rc = MS_DIST_ENOMEM; }
        else {
            coll_stats(v, 0, tmp, &v->calibration);
            coll_stats(v, 1, tmp, &v->heldout);
            free(tmp);
        }
    }
    if (rc) ms_dist_coll_validation_free(v);
    return rc;
}

void ms_dist_coll_validation_free(ms_dist_coll_validation_t *v)
{
    if (!v) return;
    free(v->rows);
    v->rows = NULL;
    v->n = 0;
}
