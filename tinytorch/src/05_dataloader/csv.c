/* csv.c - numeric CSV data sets (one sample per line, one column is the integer label) and
 * TinyDigits, the stratified 8x8-digits subset used by milestones 03 and 04.
 *
 * CSV rules: comma-separated numbers, no quoting; '\n' or "\r\n" line ends; blank lines are skipped;
 * every line has the same number of columns. The label column holds an integer >= 0.
 * Errors name the file, the 1-based line and column, and the offending text.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
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

/* Parses buf[0..len) into acc (features scaled by `scale`). */
static int parse_csv(const char *path, const char *buf, size_t len, int label_col, bool skip_header,
                     float scale, csv_acc *acc, char *err, size_t errlen)
{
    memset(acc, 0, sizeof *acc);
    acc->ncols = -1;
    float *row = NULL;
    int64_t row_cap = 0;
    size_t pos = 0;
    long line = 0;
    char field[64];
    while (pos < len) {
        size_t end = pos;
        while (end < len && buf[end] != '\n') {
            end++;
        }
        line++;
        size_t stop = end;
        if (stop > pos && buf[stop - 1] == '\r') {
            stop--;
        }
        size_t next = end < len ? end + 1 : end;
        bool blank = true;
        for (size_t i = pos; i < stop; i++) {
            if (!isspace((unsigned char)buf[i])) {
                blank = false;
                break;
            }
        }
        if (blank || (skip_header && line == 1)) {
            pos = next;
            continue;
        }
        if (memchr(buf + pos, '\0', stop - pos)) {
            free(row);
            return tt__data_err(err, errlen, "%s:%ld: binary data (a NUL byte) in a CSV line", path, line);
        }
        /* count columns */
        int64_t ncols = 1;
        for (size_t i = pos; i < stop; i++) {
            ncols += buf[i] == ',';
        }
        if (acc->ncols < 0) {
            if (ncols < 2) {
                free(row);
                return tt__data_err(err, errlen, "%s:%ld: %lld column(s); need features and a label", path,
                                    line, (long long)ncols);
            }
            acc->ncols = ncols;
            int lc = label_col < 0 ? (int)(ncols + label_col) : label_col;
            if (lc < 0 || lc >= ncols) {
                free(row);
                return tt__data_err(err, errlen, "%s:%ld: label column %d does not exist (%lld columns)", path,
                                    line, label_col, (long long)ncols);
            }
            row_cap = ncols;
            row = malloc((size_t)row_cap * sizeof(float));
            if (!row) {
                return tt__data_err(err, errlen, "%s: out of memory", path);
            }
        } else if (ncols != acc->ncols) {
            free(row);
            return tt__data_err(err, errlen, "%s:%ld: %lld columns, earlier lines have %lld", path, line,
                                (long long)ncols, (long long)acc->ncols);
        }
        int lc = label_col < 0 ? (int)(ncols + label_col) : label_col;
        int32_t label = 0;
        int64_t f = 0;
        size_t p = pos;
        for (int64_t c = 0; c < ncols; c++) {
            size_t q = p;
            while (q < stop && buf[q] != ',') {
                q++;
            }
            size_t flen = q - p;
            while (flen && isspace((unsigned char)buf[p])) {
                p++;
                flen--;
            }
            while (flen && isspace((unsigned char)buf[p + flen - 1])) {
                flen--;
            }
            if (flen == 0 || flen >= sizeof field) {
                free(row);
                return tt__data_err(err, errlen, "%s:%ld: column %lld: %s", path, line, (long long)c + 1,
                                    flen ? "field too long to be a number" : "empty field");
            }
            memcpy(field, buf + p, flen);
            field[flen] = 0;
            char *endp;
            errno = 0;
            double v = strtod(field, &endp);
            if (*endp != 0 || errno == ERANGE || !isfinite(v)) {
                free(row);
                return tt__data_err(err, errlen, "%s:%ld: column %lld: \"%s\" is not a finite number", path,
                                    line, (long long)c + 1, field);
            }
            if (c == lc) {
                if (v != floor(v) || v < 0 || v > TT_MAX_LABEL) {
                    free(row);
                    return tt__data_err(err, errlen, "%s:%ld: column %lld: label \"%s\" is not an integer in 0..%d",
                                        path, line, (long long)c + 1, field, TT_MAX_LABEL);
                }
                label = (int32_t)v;
            } else {
                row[f++] = (float)v * scale;
            }
            p = q + 1;
        }
        if (push_row(acc, row, ncols - 1, label) != 0) {
            free(row);
            return tt__data_err(err, errlen, "%s: out of memory at line %ld", path, line);
        }
        pos = next;
    }
    free(row);
    if (acc->rows == 0) {
        return tt__data_err(err, errlen, "%s: no data lines", path);
    }
    return 0;
}

int tt_load_csv(const char *path, int label_col, bool skip_header, float scale, tt_dataset **out,
                char *err, size_t errlen)
{
    *out = NULL;
    unsigned char *buf;
    size_t len;
    if (tt_read_file(path, &buf, &len, err, errlen) != 0) {
        return -1;
    }
    csv_acc a;
    int rc = parse_csv(path, (const char *)buf, len, label_col, skip_header, scale, &a, err, errlen);
    free(buf);
    if (rc != 0) {
        free(a.x);
        free(a.y);
        return -1;
    }
    int64_t shape[1] = {a.ncols - 1};
    *out = tt_dataset_from_memory(a.x, a.y, a.rows, 1, shape, 0);
    if (!*out) {
        free(a.x);
        free(a.y);
        return tt__data_err(err, errlen, "%s: out of memory", path);
    }
    return 0;
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
    all->sample_ndim = 3;
    all->sample_shape[0] = 1;
    all->sample_shape[1] = 8;
    all->sample_shape[2] = 8;
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
