/* csv.c - numeric CSV data sets (one sample per line, one column is the integer label) and
 * TinyDigits, the stratified 8x8-digits subset used by milestones 03 and 04.
 *
 * CSV rules (RFC 4180 with the usual latitude): comma-separated numbers, optionally in double quotes;
 * '\n' or "\r\n" line ends; a UTF-8 byte order mark at the start is skipped; blank lines are skipped;
 * an optional header row (given, or recognised as a first row where no field is a number); every row
 * has the same number of columns. The label column holds an integer >= 0 (below the class count when
 * the caller gives one). Every value must be a finite float: 4e39 is refused, 1e-310 (a denormal)
 * is accepted. Errors read "file:line:column: reason" (1-based, column in bytes) with the bad text.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/data.h"
#include "data_internal.h"

#define TT_MAX_LABEL 1000000

/* Growable arrays for the parse. */
typedef struct { float *x; int32_t *y; int64_t rows, cap_x, cap_y, ncols; } csv_acc;

static int push_row(csv_acc *a, const float *feat, int64_t nfeat, int32_t label)
{
    if ((a->rows + 1) * nfeat > a->cap_x) {
        int64_t nc = a->cap_x ? a->cap_x * 2 : 4096;
        while (nc < (a->rows + 1) * nfeat) {
            nc *= 2;
        }
        float *nx = realloc(a->x, (size_t)nc * sizeof(float));
        if (!nx) {
            return -1;
        }
        a->x = nx;
        a->cap_x = nc;
    }
    if (a->rows + 1 > a->cap_y) {
        int64_t nc = a->cap_y ? a->cap_y * 2 : 1024;
        int32_t *ny = realloc(a->y, (size_t)nc * sizeof(int32_t));
        if (!ny) {
            return -1;
        }
        a->y = ny;
        a->cap_y = nc;
    }
    memcpy(a->x + a->rows * nfeat, feat, (size_t)nfeat * sizeof(float));
    a->y[a->rows++] = label;
    return 0;
}

/* One field of a record: its bytes (inside the quotes when quoted) and where it starts. */
typedef struct csv_field { size_t start, len; long line, col; bool quoted; } csv_field;

typedef struct csv_cur {
    const char *path, *buf;
    size_t len, pos, line_start;
    long line;
    csv_field *f;          /* fields of the current record */
    size_t nf, cap;
    char *err;
    size_t errlen;
} csv_cur;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int csv_err(csv_cur *c, long line, long col, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tt__data_err(c->err, c->errlen, "%s:%ld:%ld: %s", c->path, line, col, what);
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* Reads the record at c->pos into c->f[0..nf). Returns 1, 0 at the end of the input, -1 on error.
 * RFC 4180 with the usual latitude: blanks around fields are dropped, "" inside quotes is a quote,
 * quoted fields may span lines, lines end with "\n" or "\r\n". */
static int read_record(csv_cur *c)
{
    c->nf = 0;
    if (c->pos >= c->len) {
        return 0;
    }
    const char *b = c->buf;
    for (;;) {
        while (c->pos < c->len && is_blank(b[c->pos])) {
            c->pos++;
        }
        csv_field f = {0, 0, c->line, (long)(c->pos - c->line_start) + 1, false};
        if (c->pos < c->len && b[c->pos] == '"') {
            f.quoted = true;
            f.start = ++c->pos;
            for (;;) {
                if (c->pos >= c->len) {
                    return csv_err(c, f.line, f.col, "unterminated quoted field");
                }
                char ch = b[c->pos];
                if (ch == '"') {
                    if (c->pos + 1 < c->len && b[c->pos + 1] == '"') {
                        c->pos += 2;
                        continue;
                    }
                    break;
                }
                if (ch == '\0') {
                    return csv_err(c, c->line, (long)(c->pos - c->line_start) + 1, "binary data (a NUL byte)");
                }
                if (ch == '\n') {
                    c->line++;
                    c->line_start = c->pos + 1;
                }
                c->pos++;
            }
            f.len = c->pos - f.start;
            c->pos++; /* closing quote */
            while (c->pos < c->len && is_blank(b[c->pos])) {
                c->pos++;
            }
            if (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n' && b[c->pos] != '\r') {
                return csv_err(c, c->line, (long)(c->pos - c->line_start) + 1,
                               "text after the closing quote of a field");
            }
        } else {
            f.start = c->pos;
            while (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n' &&
                   !(b[c->pos] == '\r' && (c->pos + 1 == c->len || b[c->pos + 1] == '\n'))) {
                if (b[c->pos] == '\0') {
                    return csv_err(c, c->line, (long)(c->pos - c->line_start) + 1, "binary data (a NUL byte)");
                }
                if (b[c->pos] == '"') {
                    return csv_err(c, c->line, (long)(c->pos - c->line_start) + 1,
                                   "a quote inside an unquoted field (quote the whole field)");
                }
                c->pos++;
            }
            f.len = c->pos - f.start;
            while (f.len && is_blank(b[f.start + f.len - 1])) {
                f.len--;
            }
        }
        if (c->nf == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 64;
            csv_field *nfl = realloc(c->f, nc * sizeof *nfl);
            if (!nfl) {
                return tt__data_err(c->err, c->errlen, "%s:%ld: out of memory", c->path, c->line);
            }
            c->f = nfl;
            c->cap = nc;
        }
        c->f[c->nf++] = f;
        if (c->pos < c->len && b[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->pos < c->len && b[c->pos] == '\r') {
            c->pos++;
        }
        if (c->pos < c->len && b[c->pos] == '\n') {
            c->pos++;
            c->line++;
            c->line_start = c->pos;
        }
        return 1;
    }
}

/* The field as a finite double, or false (and *why says what is wrong). */
static bool field_number(const csv_cur *c, const csv_field *f, double *out, const char **why)
{
    char tmp[64];
    if (f->len == 0) {
        *why = "empty field";
        return false;
    }
    if (f->len >= sizeof tmp) {
        *why = "field too long to be a number";
        return false;
    }
    memcpy(tmp, c->buf + f->start, f->len);
    tmp[f->len] = 0;
    char *endp;
    double v = strtod(tmp, &endp); /* underflow to a denormal or 0 is fine; ERANGE is not consulted */
    if (*endp != 0 || endp == tmp || memchr(tmp, '"', f->len)) {
        *why = "is not a number";
        return false;
    }
    if (!isfinite(v)) {
        *why = "is not a finite number";
        return false;
    }
    *out = v;
    return true;
}

/* "the field text" for messages, cut to fit. */
static void field_text(const csv_cur *c, const csv_field *f, char *out, size_t cap)
{
    size_t n = f->len < cap - 4 ? f->len : cap - 4;
    memcpy(out, c->buf + f->start, n);
    out[n] = 0;
    if (n < f->len) {
        strcat(out, "...");
    }
}

static bool row_is_blank(const csv_cur *c) { return c->nf == 1 && !c->f[0].quoted && c->f[0].len == 0; }

/* Parses buf[0..len) into acc (features scaled by o->scale). */
static int parse_csv(const char *path, const char *buf, size_t len, const tt_csv_opts *o, csv_acc *acc,
                     char *err, size_t errlen)
{
    memset(acc, 0, sizeof *acc);
    acc->ncols = -1;
    csv_cur c = {path, buf, len, 0, 0, 1, NULL, 0, 0, err, errlen};
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte order mark */
        c.pos = c.line_start = 3;
    }
    float scale = o->scale == 0.0f ? 1.0f : o->scale;
    bool header_seen = o->header == TT_CSV_HEADER_NO;
    float *row = NULL;
    int lc = -1;
    int rc = -1;
    int got;
    char text[48];
    while ((got = read_record(&c)) == 1) {
        if (row_is_blank(&c)) {
            continue;
        }
        int64_t ncols = (int64_t)c.nf;
        long line = c.f[0].line;
        if (!header_seen) {
            header_seen = true;
            bool is_header = o->header == TT_CSV_HEADER_YES;
            if (o->header == TT_CSV_HEADER_AUTO) {
                is_header = true; /* a header row: no field of it reads as a number */
                for (size_t i = 0; i < c.nf && is_header; i++) {
                    double v;
                    const char *why;
                    is_header = !field_number(&c, &c.f[i], &v, &why);
                }
            }
            if (is_header) {
                acc->ncols = ncols;
                continue;
            }
        }
        if (acc->ncols < 0) {
            acc->ncols = ncols;
        } else if (ncols != acc->ncols) {
            csv_err(&c, line, 1, "%lld columns, earlier lines have %lld", (long long)ncols, (long long)acc->ncols);
            goto done;
        }
        if (!row) {
            if (ncols < 2) {
                csv_err(&c, line, 1, "%lld column(s); need features and a label", (long long)ncols);
                goto done;
            }
            int64_t want = o->label_col > 0 ? o->label_col - 1 : ncols + (o->label_col < 0 ? o->label_col : -1);
            if (want < 0 || want >= ncols) {
                csv_err(&c, line, 1, "label column %d does not exist (%lld columns)", o->label_col,
                        (long long)ncols);
                goto done;
            }
            lc = (int)want;
            row = malloc((size_t)ncols * sizeof(float));
            if (!row) {
                tt__data_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
        }
        int32_t label = 0;
        int64_t nf = 0;
        for (int64_t k = 0; k < ncols; k++) {
            const csv_field *f = &c.f[k];
            double v;
            const char *why;
            if (!field_number(&c, f, &v, &why)) {
                field_text(&c, f, text, sizeof text);
                bool maybe_header = acc->rows == 0 && o->header == TT_CSV_HEADER_AUTO;
                csv_err(&c, f->line, f->col, "column %lld: \"%s\" %s%s", (long long)k + 1, text,
                        f->len ? why : "is empty",
                        maybe_header ? " (if this row is a header, say so: TT_CSV_HEADER_YES)" : "");
                goto done;
            }
            if (k == lc) {
                if (v != floor(v) || v < 0 || v > TT_MAX_LABEL) {
                    field_text(&c, f, text, sizeof text);
                    csv_err(&c, f->line, f->col, "column %lld: label \"%s\" is not an integer in 0..%d",
                            (long long)k + 1, text, TT_MAX_LABEL);
                    goto done;
                }
                if (o->num_classes > 0 && v >= o->num_classes) {
                    csv_err(&c, f->line, f->col, "column %lld: label %d is outside 0..%d (%d classes)",
                            (long long)k + 1, (int)v, o->num_classes - 1, o->num_classes);
                    goto done;
                }
                label = (int32_t)v;
                continue;
            }
            float x = (float)v;
            if (!isfinite(x)) {
                field_text(&c, f, text, sizeof text);
                csv_err(&c, f->line, f->col, "column %lld: \"%s\" overflows a float (largest %g)",
                        (long long)k + 1, text, (double)FLT_MAX);
                goto done;
            }
            x *= scale;
            if (!isfinite(x)) {
                field_text(&c, f, text, sizeof text);
                csv_err(&c, f->line, f->col, "column %lld: \"%s\" times the scale %g overflows a float",
                        (long long)k + 1, text, (double)scale);
                goto done;
            }
            row[nf++] = x;
        }
        if (push_row(acc, row, ncols - 1, label) != 0) {
            tt__data_err(err, errlen, "%s: out of memory at line %ld", path, line);
            goto done;
        }
    }
    if (got < 0) {
        goto done;
    }
    if (acc->rows == 0) {
        tt__data_err(err, errlen, "%s: no data lines", path);
        goto done;
    }
    rc = 0;
done:
    free(row);
    free(c.f);
    return rc;
}

int tt_csv_load(const char *path, const tt_csv_opts *opts, tt_dataset **out, char *err, size_t errlen)
{
    *out = NULL;
    tt_csv_opts o = opts ? *opts : (tt_csv_opts){0};
    if (o.num_classes < 0) {
        return tt__data_err(err, errlen, "%s: num_classes %d is negative", path, o.num_classes);
    }
    unsigned char *buf;
    size_t len;
    if (tt_read_file(path, &buf, &len, err, errlen) != 0) {
        return -1;
    }
    csv_acc a;
    int rc = parse_csv(path, (const char *)buf, len, &o, &a, err, errlen);
    free(buf);
    if (rc != 0) {
        free(a.x);
        free(a.y);
        return -1;
    }
    int64_t shape[1] = {a.ncols - 1};
    *out = tt_dataset_from_memory(a.x, a.y, a.rows, 1, shape, o.num_classes);
    if (!*out) {
        free(a.x);
        free(a.y);
        return tt__data_err(err, errlen, "%s: out of memory", path);
    }
    return 0;
}

int tt_load_csv(const char *path, int label_col, bool skip_header, float scale, tt_dataset **out,
                char *err, size_t errlen)
{
    tt_csv_opts o = {.label_col = label_col >= 0 ? label_col + 1 : label_col,
                     .header = skip_header ? TT_CSV_HEADER_YES : TT_CSV_HEADER_NO,
                     .scale = scale};
    if (scale == 0.0f) {
        o.scale = 1.0f; /* tt_csv_opts reads 0 as 1; this API always meant what it said */
    }
    return tt_csv_load(path, &o, out, err, errlen);
}

/* ---- TinyDigits ------------------------------------------------------------------------------ */

#define TD_CLASSES 10
#define TD_TRAIN_PER_CLASS 100
#define TD_TEST_PER_CLASS 20

int tt_load_tinydigits(const char *csv_path, uint64_t seed, tt_dataset **train, tt_dataset **test,
                       char *err, size_t errlen)
{
    *train = *test = NULL;
    tt_dataset *all;
    if (tt_load_csv(csv_path, -1, false, 1.0f, &all, err, errlen) != 0) {
        return -1;
    }
    tt_memory_dataset *m = (tt_memory_dataset *)all;
    int rc = -1;
    int64_t *by_class = NULL, *tr = NULL, *te = NULL;
    if (all->sample_numel != 64) {
        tt__data_err(err, errlen, "%s: %lld feature columns, TinyDigits needs 64 (8x8 pixels) and a label",
                     csv_path, (long long)all->sample_numel);
        goto done;
    }
    for (int64_t i = 0; i < all->len * 64; i++) {
        float v = m->x[i];
        if (v < 0.0f || v > 16.0f) {
            tt__data_err(err, errlen, "%s: row %lld, column %lld: pixel %g outside 0..16", csv_path,
                         (long long)(i / 64) + 1, (long long)(i % 64) + 1, (double)v);
            goto done;
        }
        m->x[i] = v / 16.0f;
    }
    int64_t count[TD_CLASSES] = {0};
    for (int64_t i = 0; i < all->len; i++) {
        if (m->y[i] >= TD_CLASSES) {
            tt__data_err(err, errlen, "%s: row %lld: label %d outside 0..9", csv_path, (long long)i + 1, m->y[i]);
            goto done;
        }
        count[m->y[i]]++;
    }
    for (int c = 0; c < TD_CLASSES; c++) {
        if (count[c] < TD_TRAIN_PER_CLASS + TD_TEST_PER_CLASS) {
            tt__data_err(err, errlen, "%s: class %d has %lld samples, TinyDigits needs %d", csv_path, c,
                         (long long)count[c], TD_TRAIN_PER_CLASS + TD_TEST_PER_CLASS);
            goto done;
        }
    }
    by_class = malloc((size_t)all->len * sizeof(int64_t));
    tr = malloc(TD_CLASSES * TD_TRAIN_PER_CLASS * sizeof(int64_t));
    te = malloc(TD_CLASSES * TD_TEST_PER_CLASS * sizeof(int64_t));
    if (!by_class || !tr || !te) {
        tt__data_err(err, errlen, "%s: out of memory", csv_path);
        goto done;
    }
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    int64_t ntr = 0, nte = 0;
    for (int c = 0; c < TD_CLASSES; c++) {
        int64_t n = 0;
        for (int64_t i = 0; i < all->len; i++) {
            if (m->y[i] == c) {
                by_class[n++] = i;
            }
        }
        tt_rng_shuffle(&rng, by_class, n);
        for (int k = 0; k < TD_TRAIN_PER_CLASS; k++) {
            tr[ntr++] = by_class[k];
        }
        for (int k = 0; k < TD_TEST_PER_CLASS; k++) {
            te[nte++] = by_class[TD_TRAIN_PER_CLASS + k];
        }
    }
    tt_rng_shuffle(&rng, tr, ntr);
    tt_rng_shuffle(&rng, te, nte);
    tt_dataset_reshape(all, 3, (const int64_t[]){1, 8, 8}); /* 64 values: cannot fail */
    all->num_classes = TD_CLASSES;
    *train = tt_dataset_subset(all, tr, ntr);
    *test = tt_dataset_subset(all, te, nte);
    if (!*train || !*test) {
        tt_dataset_free(*train);
        tt_dataset_free(*test);
        *train = *test = NULL;
        tt__data_err(err, errlen, "%s: out of memory", csv_path);
        goto done;
    }
    rc = 0;
done:
    free(by_class);
    free(tr);
    free(te);
    tt_dataset_free(all);
    return rc;
}
