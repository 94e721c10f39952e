/* cmd_model.c - `tito eval` and `tito predict`: use a self-describing model file (tt_model_save)
 * without its source: the architecture, the input normalisation and the class names come from the
 * file's metadata (tt_model_load). This file checks paths, parses options and prints.
 * Exit status: 0 done, 2 error (bad arguments, unreadable or malformed files). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/data.h"
#include "tinytorch/train.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

static int fail(const char *cmd, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "tito %s: %s\n", cmd, msg);
    return 2;
}

static bool readable_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int64_t shape_numel(const tt_model_file *m)
{
    int64_t n = 1;
    for (int d = 0; d < m->input_ndim; d++) {
        n *= m->input_shape[d];
    }
    return n;
}

/* An image model: one sample is [C, H, W]. */
static bool image_model(const tt_model_file *m) { return m->input_ndim == 3; }

/* ---- eval --------------------------------------------------------------------------------------- */

static void eval_usage(FILE *f)
{
    fprintf(f,
            "usage: tito eval MODEL [--data PATH] [--batch N]\n"
            "\n"
            "Test accuracy and loss of a model file written by tt_model_save (the milestones, the examples),\n"
            "using the normalisation stored in the file. PATH is an MNIST-format folder (its t10k-* files, pixels\n"
            "scaled to [0, 1]; the default for an image model is the data folder's fashion-mnist/), or a CSV\n"
            "file of raw values (class in the last column, an optional header row).\n"
            "\n"
            "examples:\n"
            "  tito eval runs/lenet.safetensors\n"
            "  tito eval runs/lenet.safetensors --data data/fashion-mnist\n"
            "  tito eval blobs.safetensors --data examples/data/blobs.csv\n"
            "  tito eval runs/03_mlp_tinydigits.safetensors --data data/digits.csv.gz\n"
            "\n"
            "exit status: 0 done, 2 error\n");
}

static int load_csv_any(const char *path, tt_dataset **out, char *err, size_t errlen)
{
    if (tt_load_csv(path, -1, false, 1.0f, out, err, errlen) == 0) {
        return 0;
    }
    return tt_load_csv(path, -1, true, 1.0f, out, err, errlen); /* a header row */
}

int tito_cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL;
    long batch = 1000;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            eval_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "--batch") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tito eval: %s needs a value\n", argv[i]);
                return 2;
            }
            if (argv[i][2] == 'd') {
                data = argv[++i];
            } else {
                char *end;
                batch = strtol(argv[++i], &end, 10);
                if (*end || batch < 1 || batch > 100000) {
                    return fail("eval", "--batch wants a whole number from 1 to 100000");
                }
            }
        } else if (argv[i][0] == '-' || model_path) {
            fprintf(stderr, "tito eval: unexpected argument '%s'\n", argv[i]);
            eval_usage(stderr);
            return 2;
        } else {
            model_path = argv[i];
        }
    }
    if (!model_path) {
        eval_usage(stderr);
        return 2;
    }
    char err[8192], dflt[4096];
    if (!readable_file(model_path)) {
        snprintf(err, sizeof err, "%s: no such file", model_path);
        return fail("eval", err);
    }
    if (data && !readable_file(data) && !is_dir(data)) {
        snprintf(err, sizeof err, "--data %s: no such file or folder", data);
        return fail("eval", err);
    }
    tt_model_file m;
    if (tt_model_load(model_path, &m, err, sizeof err) != 0) {
        return fail("eval", err);
    }
    if (!data) {
        if (!image_model(&m)) {
            tt_model_file_free(&m);
            return fail("eval", "--data: which CSV file? (the model is not an image model)");
        }
        const char *env = getenv("MLSB_DATA");
        snprintf(dflt, sizeof dflt, "%s/fashion-mnist", env && *env ? env : is_dir("data") ? "data" : MLSB_SOURCE_DIR "/data");
        data = dflt;
    }
    tt_dataset *ds = NULL;
    int rc = is_dir(data) ? tt_load_mnist(data, "t10k", 0.0f, 1.0f, &ds, err, sizeof err)
                          : load_csv_any(data, &ds, err, sizeof err);
    if (rc != 0) {
        tt_model_file_free(&m);
        return fail("eval", err);
    }
    if (m.input_ndim && ds->sample_numel != shape_numel(&m)) {
        snprintf(err, sizeof err, "%s: samples of %lld values; the model takes %lld", data,
                 (long long)ds->sample_numel, (long long)shape_numel(&m));
        rc = 2;
    } else if (m.n_norm > 1 && m.n_norm != ds->sample_numel) {
        snprintf(err, sizeof err, "%s: input_mean has %lld values for samples of %lld", model_path,
                 (long long)m.n_norm, (long long)ds->sample_numel);
        rc = 2;
    } else if (m.num_classes && ds->num_classes > m.num_classes) {
        snprintf(err, sizeof err, "%s: labels up to %d; the model knows %d classes", data, ds->num_classes - 1,
                 m.num_classes);
        rc = 2;
    }
    if (rc != 0) {
        tt_dataset_free(ds);
        tt_model_file_free(&m);
        return fail("eval", err);
    }
    if (m.input_ndim) { /* the loaders give [features] or [1, rows, cols]; the model's own shape */
        ds->sample_ndim = m.input_ndim;
        memcpy(ds->sample_shape, m.input_shape, sizeof m.input_shape);
    }
    tt_model_normalize(&m, ((tt_memory_dataset *)ds)->x, ds->len, ds->sample_numel);
    double loss, acc;
    tt_evaluate(m.model, ds, batch, &loss, &acc);
    printf("%s on %s: %lld samples, accuracy %.2f %%, loss %.4f\n", model_path, data, (long long)ds->len,
           100.0 * acc, loss);
    printf("  model: %s\n", m.architecture);
    tt_dataset_free(ds);
    tt_model_file_free(&m);
    return 0;
}

/* ---- predict ------------------------------------------------------------------------------------ */

static void predict_usage(FILE *f)
{
    fprintf(f,
            "usage: tito predict MODEL FILE [--top K]\n"
            "\n"
            "The most likely classes of every sample in FILE, using the normalisation and the class names\n"
            "stored in the model file. FILE is an IDX image file (pixels scaled to [0, 1], as in training) or\n"
            "a CSV file of raw features, one sample per row (an optional header row).\n"
            "\n"
            "examples:\n"
            "  tito predict runs/lenet.safetensors data/fashion-mnist/t10k-images-idx3-ubyte.gz --top 3\n"
            "  tito predict blobs.safetensors new_rows.csv\n"
            "\n"
            "exit status: 0 done, 2 error\n");
}

/* A CSV of numbers only: rows of equal length, an optional first row with non-numbers (a header). */
static float *read_rows(const char *path, int64_t *rows, int64_t *cols, char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    if (tt_read_file(path, &buf, &len, err, errlen) != 0) {
        return NULL;
    }
    size_t cap = 1024, n = 0;
    float *v = malloc(cap * sizeof *v);
    int64_t r = 0, c = -1, line = 0;
    char *s = (char *)buf, *end = s + len;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
        s += 3; /* a UTF-8 byte order mark */
    }
    while (v && s < end) {
        char *eol = memchr(s, '\n', (size_t)(end - s));
        eol = eol ? eol : end;
        line++;
        char *p = s;
        int64_t k = 0;
        bool header = false, blank = true;
        for (char *q = s; q < eol; q++) {
            blank = blank && (*q == ' ' || *q == '\r' || *q == '\t');
        }
        while (!blank && p < eol) {
            char *fe = p;
            while (fe < eol && *fe != ',') {
                fe++;
            }
            char field[64];
            size_t fl = (size_t)(fe - p);
            while (fl && (p[fl - 1] == '\r' || p[fl - 1] == ' ' || p[fl - 1] == '"')) {
                fl--;
            }
            while (fl && (*p == ' ' || *p == '"')) {
                p++;
                fl--;
            }
            fl = fl < sizeof field - 1 ? fl : sizeof field - 1;
            memcpy(field, p, fl);
            field[fl] = '\0';
            for (size_t q = 0; q < fl; q++) { /* printable in messages */
                field[q] = field[q] >= 0x20 && field[q] < 0x7f ? field[q] : '?';
            }
            char *fend;
            errno = 0;
            float x = strtof(field, &fend);
            if (!fl || *fend || !isfinite(x)) {
                if (r == 0 && line == 1) {
                    header = true; /* the first row names the columns */
                } else {
                    snprintf(err, errlen, "%s:%lld:%lld: '%s' is not a finite number", path, (long long)line,
                             (long long)k + 1, field);
                    free(v);
                    free(buf);
                    return NULL;
                }
            }
            if (n == cap) {
                float *nv = realloc(v, 2 * cap * sizeof *v);
                if (!nv) {
                    free(v);
                    v = NULL;
                    break;
                }
                v = nv;
                cap *= 2;
            }
            if (!header) {
                v[n++] = x;
            }
            k++;
            p = fe < eol ? fe + 1 : eol;
        }
        if (!blank && !header) {
            if (c >= 0 && k != c) {
                snprintf(err, errlen, "%s:%lld: %lld values; the rows before have %lld", path, (long long)line,
                         (long long)k, (long long)c);
                free(v);
                free(buf);
                return NULL;
            }
            c = k;
            r++;
        } else if (header) {
            n = 0;
        }
        s = eol + 1;
    }
    free(buf);
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (r == 0) {
        snprintf(err, errlen, "%s: no rows of numbers", path);
        free(v);
        return NULL;
    }
    *rows = r;
    *cols = c;
    return v;
}

int tito_cmd_predict(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    long top = 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            predict_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--top") == 0) {
            char *end;
            top = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (top < 1 || top > 1000 || *end) {
                return fail("predict", "--top wants a whole number from 1 to 1000");
            }
        } else if (argv[i][0] == '-' || npos == 2) {
            fprintf(stderr, "tito predict: unexpected argument '%s'\n", argv[i]);
            predict_usage(stderr);
            return 2;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos != 2) {
        predict_usage(stderr);
        return 2;
    }
    char err[1024];
    for (int k = 0; k < 2; k++) {
        if (!readable_file(pos[k])) {
            snprintf(err, sizeof err, "%s: no such file", pos[k]);
            return fail("predict", err);
        }
    }
    tt_model_file m;
    if (tt_model_load(pos[0], &m, err, sizeof err) != 0) {
        return fail("predict", err);
    }
    int64_t rows = 0, cols = 0;
    float *x = NULL;
    tt_idx idx;
    char ierr[256];
    if (tt_idx_read(pos[1], &idx, ierr, sizeof ierr) == 0) {
        rows = idx.ndim ? idx.shape[0] : 0;
        cols = rows ? idx.numel / rows : 0;
        x = idx.data; /* ours now */
        float scale = idx.type == 0x08 ? 1.0f / 255.0f : 1.0f;
        for (int64_t i = 0; i < idx.numel; i++) {
            x[i] *= scale;
        }
    } else {
        x = read_rows(pos[1], &rows, &cols, err, sizeof err);
    }
    int64_t want = m.input_ndim ? shape_numel(&m) : cols;
    if (x && cols != want) {
        snprintf(err, sizeof err, "%s: samples of %lld values; the model takes %lld", pos[1], (long long)cols,
                 (long long)want);
        free(x);
        x = NULL;
    } else if (x && m.n_norm > 1 && m.n_norm != cols) {
        snprintf(err, sizeof err, "%s: input_mean has %lld values for samples of %lld", pos[0], (long long)m.n_norm,
                 (long long)cols);
        free(x);
        x = NULL;
    }
    if (!x) {
        tt_model_file_free(&m);
        return fail("predict", err);
    }
    tt_model_normalize(&m, x, rows, cols);
    int64_t shape[TT_MAX_DIMS] = {0};
    int nd = m.input_ndim ? m.input_ndim : 1;
    for (int d = 0; d < nd; d++) {
        shape[d + 1] = m.input_ndim ? m.input_shape[d] : cols;
    }
    tt_layer_train(m.model, false);
    tt_no_grad_begin();
    for (int64_t r = 0; r < rows; r++) {
        tt_arena_mark mk = tt_arena_get_mark();
        shape[0] = 1;
        tt_tensor *in = tt_from_data(nd + 1, shape, x + r * cols);
        tt_tensor *p = tt_softmax(tt_layer_forward(m.model, in), -1);
        int64_t C = p->numel;
        printf("%lld:", (long long)r + 1);
        for (long t = 0; t < top && t < C; t++) {
            int64_t best = -1;
            for (int64_t c = 0; c < C; c++) { /* the t-th largest: skip the ones already printed */
                if (p->data[c] >= 0.0f && (best < 0 || p->data[c] > p->data[best])) {
                    best = c;
                }
            }
            if (m.class_names && best < m.num_classes) {
                printf("  %s %.1f %%", m.class_names[best], 100.0 * p->data[best]);
            } else {
                printf("  %lld %.1f %%", (long long)best, 100.0 * p->data[best]);
            }
            p->data[best] = -1.0f;
        }
        printf("\n");
        tt_arena_release(mk);
    }
    tt_no_grad_end();
    free(x);
    tt_model_file_free(&m);
    return 0;
}
