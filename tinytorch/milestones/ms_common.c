/* ms_common.c - the helpers of ms_common.h and the tt_milestone_result accessors of milestone.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ms_common.h"
#include "tinytorch/gemm.h"

/* ---- results ------------------------------------------------------------------------------------ */

static int find_or_add(tt_milestone_result *r, const char *key)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->f[i].key, key) == 0) {
            return i;
        }
    }
    if (r->n >= TT_MS_MAX_FIELDS) {
        fprintf(stderr, "milestone result: more than %d fields, \"%s\" dropped\n", TT_MS_MAX_FIELDS, key);
        return -1;
    }
    int i = r->n++;
    snprintf(r->f[i].key, sizeof r->f[i].key, "%s", key);
    return i;
}

void tt_ms_result_num(tt_milestone_result *r, const char *key, double value)
{
    int i = find_or_add(r, key);
    if (i >= 0) {
        r->f[i].is_str = false;
        r->f[i].num = value;
    }
}

void tt_ms_result_str(tt_milestone_result *r, const char *key, const char *value)
{
    int i = find_or_add(r, key);
    if (i >= 0) {
        r->f[i].is_str = true;
        size_t n = strlen(value);
        n = n < sizeof r->f[i].str ? n : sizeof r->f[i].str - 1; /* truncates very long values */
        memcpy(r->f[i].str, value, n);
        r->f[i].str[n] = 0;
    }
}

double tt_ms_result_get(const tt_milestone_result *r, const char *key, double fallback)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->f[i].key, key) == 0 && !r->f[i].is_str) {
            return r->f[i].num;
        }
    }
    return fallback;
}

/* ---- files -------------------------------------------------------------------------------------- */

int tt_ms_ensure_dir(const char *dir, char *err, size_t errlen)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory (%s)", path, strerror(errno));
                return -1;
            }
            *p = c;
            if (c == 0) {
                break;
            }
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return -1;
    }
    return 0;
}

void tt_ms_data_path(const tt_milestone_opts *o, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", o->data_dir ? o->data_dir : "data", rel);
}

const char *const tt_ms_fashion_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

int tt_ms_save(const tt_milestone_opts *o, const char *stem, const char *key_prefix, tt_layer *model,
               const tt_optimizer *opt, const tt_kv *meta, int n_meta, const tt_model_info *info,
               tt_milestone_result *res)
{
    const char *out = o->out_dir ? o->out_dir : "runs";
    char err[512], path[1100], key[64];
    if (tt_ms_ensure_dir(out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(path, sizeof path, "%s/%s.safetensors", out, stem);
    tt_model_info full = {0};
    if (info) {
        full = *info;
    }
    full.opt = opt;
    full.extra = meta;
    full.n_extra = n_meta;
    if (tt_model_save(path, model, &full, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(key, sizeof key, "%scheckpoint", key_prefix);
    tt_ms_result_str(res, key, path);
    printf("  checkpoint: %s\n", path);
    return 0;
}

int tt_ms_open_log(const tt_milestone_opts *o, const char *stem, tt_metrics_log *log,
                   tt_milestone_result *res, const char *key_prefix)
{
    const char *out = o->out_dir ? o->out_dir : "runs";
    char err[512], path[1100], key[64];
    if (tt_ms_ensure_dir(out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(path, sizeof path, "%s/%s.metrics.jsonl", out, stem);
    if (tt_metrics_open(log, path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(key, sizeof key, "%smetrics_log", key_prefix);
    tt_ms_result_str(res, key, path);
    return 0;
}

bool tt_ms_check(const char *what, double accuracy, double goal, bool at_least)
{
    bool met = at_least ? accuracy >= goal : accuracy <= goal;
    printf("  %-34s %6.2f %%  (goal %s %g %%)  %s\n", what, 100.0 * accuracy, at_least ? ">=" : "<=",
           100.0 * goal, met ? "met" : "MISSED");
    return met;
}

void tt_ms_note(const char *what, double accuracy, double goal)
{
    printf("  %-34s %6.2f %%  (goal >= %g %% is for the full run; not checked)\n", what, 100.0 * accuracy,
           100.0 * goal);
}

void tt_ms_set_threads(tt_milestone_result *res)
{
    const char *nt = getenv("TT_NUM_THREADS");
    tt_set_num_threads(nt && atoi(nt) > 0 ? atoi(nt) : 1);
    tt_ms_result_num(res, "threads", tt_get_num_threads());
}

int tt_ms_run_parts(const tt_milestone_opts *o, tt_milestone_result *res, const tt_ms_part *parts, int n)
{
    int missed = 0;
    for (int i = 0; i < n; i++) {
        int rc = parts[i](o, res);
        if (rc == 2) {
            return 2;
        }
        missed |= rc != 0;
    }
    tt_ms_result_num(res, "quick", o->quick ? 1 : 0);
    return missed ? 1 : 0;
}

int tt_ms_load_fashion(const tt_milestone_opts *o, int64_t quick_n, tt_dataset **train, tt_dataset **test)
{
    char dir[1024], err[512];
    tt_ms_data_path(o, "fashion-mnist", dir, sizeof dir);
    tt_dataset *full = NULL, *te = NULL;
    if (tt_load_mnist(dir, "train", TT_MS_FMNIST_MEAN, TT_MS_FMNIST_STD, &full, err, sizeof err) != 0 ||
        tt_load_mnist(dir, "t10k", TT_MS_FMNIST_MEAN, TT_MS_FMNIST_STD, &te, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n",
                err);
        tt_dataset_free(full);
        return 2;
    }
    if (o->quick && quick_n > 0) {
        int64_t *idx = malloc((size_t)quick_n * sizeof(int64_t));
        for (int64_t i = 0; idx && i < quick_n; i++) {
            idx[i] = i;
        }
        tt_dataset *sub = idx ? tt_dataset_subset(full, idx, quick_n) : NULL;
        free(idx);
        tt_dataset_free(full);
        if (!sub) {
            fprintf(stderr, "error: out of memory\n");
            tt_dataset_free(te);
            return 2;
        }
        full = sub;
    }
    *train = full;
    *test = te;
    return 0;
}

void tt_ms_record_fit(tt_milestone_result *res, const char *key_prefix, const tt_train_stats *st, int epochs,
                      int64_t train_images, int64_t params, double goal)
{
    const struct { const char *f; double v; } fields[] = {
        {"test_accuracy", st->eval_accuracy}, {"test_loss", st->eval_loss}, {"train_loss", st->train_loss},
        {"epochs", epochs}, {"train_images", (double)train_images}, {"params", (double)params},
        {"train_seconds", st->train_seconds}, {"samples_per_s", st->samples_per_s},
        {"peak_arena_bytes", (double)st->peak_arena_bytes}, {"goal", goal}};
    char k[128];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        snprintf(k, sizeof k, "%s%s", key_prefix, fields[i].f);
        tt_ms_result_num(res, k, fields[i].v);
    }
}
