/* train.c - gradient norms and clipping, evaluation, the JSON-lines metrics log, and tt_fit.
 *
 * Invariant of tt_fit: between optimizer steps the parameter gradients hold the sum of the scaled
 * micro-batch gradients (persistent buffers); everything else a step creates lives in the arena and is
 * dropped by tt_arena_reset() after each micro-batch's backward.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/json.h"
#include "tinytorch/progress.h"
#include "tinytorch/train.h"
#include "parallel_step.h"
#include "../07_optimizers/optim_internal.h"

/* ---- gradients ---------------------------------------------------------------------------------- */

double tt_grad_norm(tt_tensor *const *params, int n)
{
    /* TODO: the global L2 norm: sqrt of the sum of squares of every parameter's gradient (in double) */
    /* BEGIN SOLUTION */
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
        const float *g = params[i]->grad;
        if (!g) {
            continue;
        }
        for (int64_t k = 0; k < params[i]->numel; k++) {
            ss += (double)g[k] * (double)g[k];
        }
    }
    return sqrt(ss);
    /* END SOLUTION */
}

double tt_clip_grad_norm(tt_tensor *const *params, int n, double max_norm)
{
    double norm = tt_grad_norm(params, n);
    double coef = max_norm / (norm + 1e-6);
    /* TODO: scale every gradient by coef when the norm is above max_norm (coef < 1) */
    /* BEGIN SOLUTION */
    if (coef < 1.0) {
        float c = (float)coef;
        for (int i = 0; i < n; i++) {
            float *g = params[i]->grad;
            if (!g) {
                continue;
            }
            for (int64_t k = 0; k < params[i]->numel; k++) {
                g[k] *= c;
            }
        }
    }
    /* END SOLUTION */
    return norm;
}

/* ---- evaluation --------------------------------------------------------------------------------- */

int64_t tt_count_correct(const tt_tensor *logits, const int32_t *labels)
{
    int64_t C = logits->shape[logits->ndim - 1], N = C ? logits->numel / C : 0, correct = 0;
    /* TODO: count the rows whose argmax (the first maximum) equals the label */
    /* BEGIN SOLUTION */
    for (int64_t r = 0; r < N; r++) {
        const float *x = logits->data + r * C;
        int64_t best = 0;
        for (int64_t k = 1; k < C; k++) {
            if (x[k] > x[best]) {
                best = k;
            }
        }
        correct += best == labels[r];
    }
    /* END SOLUTION */
    return correct;
}

void tt_evaluate(tt_layer *model, const tt_dataset *ds, int64_t batch, double *loss, double *accuracy)
{
    if (batch < 1) {
        batch = 1000;
    }
    tt_layer_train(model, false);
    tt_no_grad_begin();
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t shape[TT_MAX_DIMS];
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[d + 1] = ds->sample_shape[d];
    }
    for (int64_t start = 0; start < ds->len; start += batch) {
        tt_arena_mark m = tt_arena_get_mark();
        int64_t n = ds->len - start < batch ? ds->len - start : batch;
        shape[0] = n;
        tt_tensor *x = tt_empty(ds->sample_ndim + 1, shape);
        int32_t *y = tt_arena_alloc((size_t)n * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) {
            ds->ops->get(ds, start + i, x->data + i * ds->sample_numel, &y[i]);
        }
        tt_tensor *logits = tt_layer_forward(model, x);
        if (loss) {
            loss_sum += (double)tt_item(tt_cross_entropy(logits, y)) * (double)n;
        }
        correct += tt_count_correct(logits, y);
        tt_arena_release(m);
    }
    tt_no_grad_end();
    tt_layer_train(model, true);
    if (loss) {
        *loss = ds->len ? loss_sum / (double)ds->len : NAN;
    }
    if (accuracy) {
        *accuracy = ds->len ? (double)correct / (double)ds->len : NAN;
    }
}

/* ---- metrics log -------------------------------------------------------------------------------- */

int tt_metrics_open(tt_metrics_log *m, const char *path, char *err, size_t errlen)
{
    m->f = fopen(path, "w");
    if (!m->f) {
        if (err && errlen) {
            snprintf(err, errlen, "%s: cannot create the metrics log (%s)", path, strerror(errno));
        }
        return -1;
    }
    return 0;
}

void tt_metrics_write(tt_metrics_log *m, const char *event, const tt_metric *kv, int n)
{
    if (!m || !m->f) {
        return;
    }
    fputs("{\"event\":", m->f);
    tt_json_write_string(m->f, event);
    for (int i = 0; i < n; i++) {
        fputc(',', m->f);
        tt_json_write_string(m->f, kv[i].key);
        fputc(':', m->f);
        tt_json_write_number(m->f, kv[i].value);
    }
    fputs("}\n", m->f);
    fflush(m->f);
}

void tt_metrics_close(tt_metrics_log *m)
{
    if (m && m->f) {
        fclose(m->f);
        m->f = NULL;
    }
}

tt_train_config tt_train_config_default(void)
{
    tt_train_config c;
    memset(&c, 0, sizeof c);
    c.epochs = 1;
    c.accum_steps = 1;
    c.eval_batch = 1000;
    c.name = "train";
    return c;
}

/* ---- one training step -------------------------------------------------------------------------- */

tt_tensor *tt_classifier_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_cross_entropy(tt_layer_forward(model, b->x), b->y);
}

int tt_train_step(void *model, tt_optimizer *opt, const tt_batch *b, const tt_step_opts *opts,
                  tt_step_result *r)
{
    static const tt_step_opts defaults = {0};
    const tt_step_opts *o = opts ? opts : &defaults;
    tt_step_result res = {.loss = NAN, .grad_norm = NAN};
    tt_arena_peak_clear();
    size_t split_peak = 0;
    /* split across threads when allowed (parallel_step.c): then forward and backward are done */
    const int shards = tt__split_step(model, b, o, &res.loss, &split_peak);
    res.shards = shards;
    if (opt) { /* the update may follow the gradients onto every thread */
        tt__optim_set_spread(opt, shards > 1);
    }
    tt_tensor *loss = NULL;
    if (shards == 1) {
        loss = (o->loss ? o->loss : tt_classifier_loss)(model, b, o->loss_ctx);
        res.loss = (double)tt_item(loss);
    }
    int rc = 0;
    if (!isfinite(res.loss)) {
        tt_optim_zero_grad(opt);
        rc = -1;
    } else {
        if (shards == 1) { /* a split step's shards have already added their gradients */
            if (o->loss_scale != 0.0f && o->loss_scale != 1.0f) {
                tt_backward_with(loss, tt_scalar(o->loss_scale));
            } else {
                tt_backward(loss);
            }
        }
        /* TODO: unless accumulating: clip (clip_norm > 0), step the optimizer and the scheduler, zero the gradients */
        /* BEGIN SOLUTION */
        if (!o->accumulate) {
            if (o->clip_norm > 0) {
                int n;
                tt_tensor *const *p = tt_optim_params(opt, &n);
                res.grad_norm = tt_clip_grad_norm(p, n, o->clip_norm);
            }
            tt_optim_step(opt);
            if (o->sched) {
                tt_scheduler_step(o->sched);
            }
            tt_optim_zero_grad(opt);
            res.stepped = true;
        }
        /* END SOLUTION */
    }
    res.peak_arena_bytes = tt_arena_peak_bytes() + split_peak; /* the shards' and this context's */
    tt_arena_reset();
    if (r) {
        *r = res;
    }
    return rc;
}

/* ---- metrics -------------------------------------------------------------------------------------- */

double tt_metric_correct(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return (double)tt_count_correct(tt_layer_forward(model, b->x), b->y);
}

/* Mean loss (weighted by batch size) and metrics over the evaluation loader, in eval mode. */
static void eval_generic(tt_layer *model, tt_dataloader *edl, const tt_train_config *cfg, double *loss,
                         double *accuracy, double *metrics)
{
    tt_layer_train(model, false);
    tt_no_grad_begin();
    tt_dataloader_start_epoch(edl);
    double loss_sum = 0.0, sums[TT_MAX_METRICS] = {0};
    int64_t n = 0;
    tt_loss_fn fn = cfg->loss ? cfg->loss : tt_classifier_loss;
    for (;;) {
        tt_arena_mark m = tt_arena_get_mark();
        tt_batch b;
        if (!tt_dataloader_next(edl, &b)) {
            tt_arena_release(m);
            break;
        }
        loss_sum += (double)tt_item(fn(model, &b, cfg->loss_ctx)) * (double)b.size;
        for (int i = 0; i < cfg->n_metrics; i++) {
            sums[i] += cfg->metrics[i].fn(model, &b, cfg->metrics[i].ctx);
        }
        n += b.size;
        tt_arena_release(m);
    }
    tt_no_grad_end();
    tt_layer_train(model, true);
    *loss = n ? loss_sum / (double)n : NAN;
    *accuracy = NAN;
    for (int i = 0; i < cfg->n_metrics; i++) {
        metrics[i] = n ? sums[i] / (double)n : NAN;
        if (cfg->metrics[i].name && strcmp(cfg->metrics[i].name, "accuracy") == 0) {
            *accuracy = metrics[i];
        }
    }
}

/* ---- resumable state ------------------------------------------------------------------------------ */

/* Where the loop stands: saved after an optimizer step (gradients are zero then) and at epoch ends. */
typedef struct fit_state {
    int epoch;                  /* the epoch in progress, from 1 */
    int64_t micro;              /* micro-batches of it done (0: it has not started) */
    int64_t steps, samples, epoch_samples, sched_steps;
    double loss_sum;            /* sum of batch loss * batch size in this epoch */
    bool done;                  /* the loop had finished */
} fit_state;

typedef struct strbuf { char *p; size_t n, cap; } strbuf;

static int sb_printf(strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int sb_printf(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            return -1;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return 0;
        }
        size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)k;
        char *q = realloc(b->p, cap);
        if (!q) {
            return -1;
        }
        b->p = q;
        b->cap = cap;
    }
}

/* A double as C99 hexadecimal ("%a"): read back by strtod to the same bits; NaN as "nan". */
static void put_double(strbuf *b, double v)
{
    if (isnan(v)) {
        sb_printf(b, "nan");
    } else {
        sb_printf(b, "%a", v);
    }
}

static void put_rng(strbuf *b, const tt_rng *r)
{
    uint32_t spare;
    memcpy(&spare, &r->spare, sizeof spare);
    sb_printf(b, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %d %08" PRIx32 " ", r->s[0],
              r->s[1], r->s[2], r->s[3], r->has_spare, spare);
}

/* Reads what put_rng wrote; advances *p. Returns 0 or -1. */
static int get_rng(const char **p, tt_rng *r)
{
    unsigned long long s[4];
    int has, used = 0;
    unsigned int spare;
    if (sscanf(*p, "%llx %llx %llx %llx %d %x %n", &s[0], &s[1], &s[2], &s[3], &has, &spare, &used) != 6 ||
        used == 0) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        r->s[i] = (uint64_t)s[i];
    }
    r->has_spare = has != 0;
    uint32_t sp = (uint32_t)spare;
    memcpy(&r->spare, &sp, sizeof sp);
    *p += used;
    return 0;
}

#define N_REC_FIELDS 9

static void rec_values(const tt_epoch_record *r, double *v)
{
    double t[N_REC_FIELDS] = {r->epoch, (double)r->steps, (double)r->samples, r->train_loss, r->eval_loss,
                              r->eval_accuracy, r->lr, r->seconds, r->samples_per_s};
    memcpy(v, t, sizeof t);
}

/* History as lines "v v v ... | m m": every double in "%a" form, so it reads back bit for bit. */
static void put_history(strbuf *b, const tt_epoch_record *h, int n)
{
    for (int i = 0; i < n; i++) {
        double v[N_REC_FIELDS];
        rec_values(&h[i], v);
        for (int k = 0; k < N_REC_FIELDS; k++) {
            put_double(b, v[k]);
            sb_printf(b, " ");
        }
        sb_printf(b, "%d", h[i].n_metrics);
        for (int k = 0; k < h[i].n_metrics; k++) {
            sb_printf(b, " ");
            put_double(b, h[i].metrics[k]);
        }
        sb_printf(b, ";");
    }
}

static int get_double(const char **p, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(*p, &end);
    if (end == *p || errno == ERANGE) {
        return -1;
    }
    *p = end;
    return 0;
}

static int get_history(const char *p, tt_epoch_record *h, int cap, int *n)
{
    *n = 0;
    while (*p) {
        if (*n >= cap) {
            return -1;
        }
        double v[N_REC_FIELDS];
        for (int k = 0; k < N_REC_FIELDS; k++) {
            if (get_double(&p, &v[k]) != 0) {
                return -1;
            }
        }
        tt_epoch_record *r = &h[(*n)++];
        memset(r, 0, sizeof *r);
        r->epoch = (int)v[0];
        r->steps = (int64_t)v[1];
        r->samples = (int64_t)v[2];
        r->train_loss = v[3];
        r->eval_loss = v[4];
        r->eval_accuracy = v[5];
        r->lr = v[6];
        r->seconds = v[7];
        r->samples_per_s = v[8];
        char *end;
        long nm = strtol(p, &end, 10);
        if (end == p || nm < 0 || nm > TT_MAX_METRICS) {
            return -1;
        }
        p = end;
        r->n_metrics = (int)nm;
        for (int k = 0; k < r->n_metrics; k++) {
            if (get_double(&p, &r->metrics[k]) != 0) {
                return -1;
            }
        }
        while (*p == ' ') {
            p++;
        }
        if (*p != ';') {
            return -1;
        }
        p++;
    }
    return 0;
}

enum { M_FORMAT, M_EPOCHS, M_BATCHES, M_ACCUM, M_EPOCH, M_MICRO, M_STEPS, M_SAMPLES, M_EPOCH_SAMPLES,
       M_LOSS_SUM, M_SCHED, M_LOADER, M_RNGS, M_HISTORY, M_DONE, M_COUNT };
static const char *const meta_keys[M_COUNT] = {
    "format", "epochs", "batches_per_epoch", "accum_steps", "epoch", "batch", "steps", "samples",
    "epoch_samples", "epoch_loss_sum", "scheduler_steps", "loader", "rngs", "history", "done"};
#define STATE_FORMAT "tinytorch-train-state-1"

static int save_state(const tt_train_config *cfg, tt_layer *model, tt_optimizer *opt, const tt_dataloader *dl,
                      const fit_state *fs, int nb, int k, const tt_epoch_record *hist, int nhist)
{
    strbuf v[M_COUNT];
    memset(v, 0, sizeof v);
    sb_printf(&v[M_FORMAT], STATE_FORMAT);
    sb_printf(&v[M_EPOCHS], "%d", cfg->epochs);
    sb_printf(&v[M_BATCHES], "%d", nb);
    sb_printf(&v[M_ACCUM], "%d", k);
    sb_printf(&v[M_EPOCH], "%d", fs->epoch);
    sb_printf(&v[M_MICRO], "%" PRId64, fs->micro);
    sb_printf(&v[M_STEPS], "%" PRId64, fs->steps);
    sb_printf(&v[M_SAMPLES], "%" PRId64, fs->samples);
    sb_printf(&v[M_EPOCH_SAMPLES], "%" PRId64, fs->epoch_samples);
    put_double(&v[M_LOSS_SUM], fs->loss_sum);
    sb_printf(&v[M_SCHED], "%" PRId64, fs->sched_steps);
    tt_dataloader_state ls;
    tt_dataloader_get_state(dl, &ls);
    sb_printf(&v[M_LOADER], "%016" PRIx64 " %" PRId64 " %" PRId64, ls.seed, ls.epoch, ls.batch_index);
    sb_printf(&v[M_RNGS], "%d ", cfg->n_rngs);
    for (int i = 0; i < cfg->n_rngs; i++) {
        put_rng(&v[M_RNGS], cfg->rngs[i]);
    }
    sb_printf(&v[M_HISTORY], "%s", "");
    put_history(&v[M_HISTORY], hist, nhist);
    sb_printf(&v[M_DONE], "%d", fs->done ? 1 : 0);
    tt_kv kv[M_COUNT];
    bool oom = false;
    for (int i = 0; i < M_COUNT; i++) {
        oom |= v[i].p == NULL;
        kv[i] = (tt_kv){meta_keys[i], v[i].p ? v[i].p : ""};
    }
    char err[1200];
    int rc = 0;
    if (oom) {
        fprintf(stderr, "tt_fit: %s: out of memory writing the training state\n", cfg->state_path);
        rc = -1;
    } else if (tt_checkpoint_save(cfg->state_path, model, opt, kv, M_COUNT, err, sizeof err) != 0) {
        fprintf(stderr, "tt_fit: cannot save the training state: %s\n", err);
        rc = -1;
    }
    for (int i = 0; i < M_COUNT; i++) {
        free(v[i].p);
    }
    return rc;
}

/* Reads one metadata value of the state file into a malloc'ed string (NULL on error: message in err). */
static char *state_meta(const char *path, const char *key, size_t cap, char *err, size_t errlen)
{
    char *out = malloc(cap);
    if (!out) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    int rc = tt_safetensors_meta(path, key, out, cap, err, errlen);
    if (rc != 0 || strlen(out) + 1 >= cap) {
        if (rc == 1 || rc == 0) {
            snprintf(err, errlen, "%s: not a training state of tt_fit (metadata field \"%s\" %s)", path, key,
                     rc == 1 ? "missing" : "too long");
        }
        free(out);
        return NULL;
    }
    return out;
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < lo || v > hi) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

/* A state saved when a fused convolution was one layer of the Sequential (Conv2dReLU, or
 * Conv2dReLUPool with its pool) names every parameter after it with a smaller index than today's
 * model, whose Sequential keeps Conv2d, ReLU and MaxPool2d as three children and fuses them itself.
 * When the refused file holds every parameter of the model, same shape, under those former names,
 * err says so instead of naming the first tensor that did not match. */
static void explain_prefusion_state(const char *path, tt_layer *model, char *err, size_t errlen)
{
    if (!tt_is_sequential(model)) {
        return;
    }
    const int n = tt_sequential_len(model);
    bool fused = false;
    for (int i = 0; i < n; i++) {
        fused |= tt_sequential_group_len(model, i) > 1;
    }
    char ferr[256];
    tt_safetensors_file *f = fused ? tt_safetensors_open(path, ferr, sizeof ferr) : NULL;
    int *old = f ? malloc((size_t)n * sizeof *old) : NULL;
    if (!old) {
        tt_safetensors_close(f);
        return;
    }
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    for (int whole = 0; whole <= 1; whole++) { /* 0: Conv2dReLU (its pool a layer apart); 1: Conv2dReLUPool */
        for (int i = 0, o = 0; i < n; o++) {
            const int g = tt_sequential_group_len(model, i), c = g > 1 ? (whole ? g : 2) : 1;
            for (int j = i; j < i + c; j++) {
                old[j] = o;
            }
            i += c;
        }
        int all = p.n > 0, moved = -1;
        char was[96] = "";
        for (int k = 0; all && k < p.n; k++) {
            char *rest;
            const long j = strtol(p.names[k], &rest, 10);
            all = rest != p.names[k] && *rest == '.' && j >= 0 && j < n;
            char name[96];
            if (all && snprintf(name, sizeof name, "%d%s", old[j], rest) < (int)sizeof name) {
                int64_t shape[8];
                const tt_tensor *t = p.t[k];
                all = tt_safetensors_tensor_info(f, name, NULL, shape) == t->ndim && t->ndim <= 8 &&
                      memcmp(shape, t->shape, (size_t)t->ndim * sizeof *shape) == 0;
                if (all && moved < 0 && old[j] != j) {
                    moved = k;
                    snprintf(was, sizeof was, "%s", name);
                }
            } else {
                all = 0;
            }
        }
        if (all && moved >= 0) {
            snprintf(err, errlen,
                     "%s: saved when a fused convolution was one layer of the Sequential (%s): this model's "
                     "\"%s\" is \"%s\" there. The model now keeps Conv2d, ReLU and MaxPool2d as separate layers "
                     "(the Sequential fuses them), so the saved parameters and optimizer state do not line up "
                     "with it and the run cannot resume: start it again without resuming (or delete the state "
                     "file)",
                     path, whole ? "Conv2dReLUPool" : "Conv2dReLU", p.names[moved], was);
            break;
        }
    }
    tt_params_free(&p);
    free(old);
    tt_safetensors_close(f);
}

/* Restores everything save_state wrote. The model, optimizer, scheduler and loader must be freshly
 * built as for the first run; on error (message in err) the run must not continue. */
static int load_state(const tt_train_config *cfg, tt_layer *model, tt_optimizer *opt, tt_dataloader *dl,
                      fit_state *fs, int nb, int k, tt_epoch_record *hist, int *nhist, char *err, size_t errlen)
{
    const char *path = cfg->state_path;
    char *v[M_COUNT] = {0};
    int rc = -1;
    size_t hist_cap = (size_t)(cfg->epochs > 0 ? cfg->epochs : 1) * (N_REC_FIELDS + TT_MAX_METRICS + 2) * 28 + 64;
    for (int i = 0; i < M_COUNT; i++) {
        size_t cap = i == M_HISTORY ? hist_cap : i == M_RNGS ? (size_t)cfg->n_rngs * 120 + 64 : 256;
        if (!(v[i] = state_meta(path, meta_keys[i], cap, err, errlen))) {
            goto out;
        }
    }
    int64_t epochs, batches, accum, epoch, micro, n;
    if (strcmp(v[M_FORMAT], STATE_FORMAT) != 0) {
        snprintf(err, errlen, "%s: format \"%s\", want \"%s\"", path, v[M_FORMAT], STATE_FORMAT);
        goto out;
    }
    if (parse_i64(v[M_EPOCHS], 1, INT32_MAX, &epochs) || parse_i64(v[M_BATCHES], 1, INT32_MAX, &batches) ||
        parse_i64(v[M_ACCUM], 1, INT32_MAX, &accum) || parse_i64(v[M_EPOCH], 1, INT32_MAX, &epoch) ||
        parse_i64(v[M_MICRO], 0, batches, &micro) || parse_i64(v[M_STEPS], 0, INT64_MAX, &fs->steps) ||
        parse_i64(v[M_SAMPLES], 0, INT64_MAX, &fs->samples) ||
        parse_i64(v[M_EPOCH_SAMPLES], 0, INT64_MAX, &fs->epoch_samples) ||
        parse_i64(v[M_SCHED], 0, INT64_MAX, &fs->sched_steps) || parse_i64(v[M_DONE], 0, 1, &n)) {
        snprintf(err, errlen, "%s: a counter of the training state is malformed", path);
        goto out;
    }
    fs->done = n == 1;
    if (epochs != cfg->epochs || batches != nb || accum != k) {
        snprintf(err, errlen,
                 "%s: saved for %lld epochs of %lld batches, %lld per step; this run has %d epochs of %d "
                 "batches, %d per step (resume with the same options as the first run)",
                 path, (long long)epochs, (long long)batches, (long long)accum, cfg->epochs, nb, k);
        goto out;
    }
    if (epoch > epochs + 1) {
        snprintf(err, errlen, "%s: epoch %lld is past the run's %lld epochs", path, (long long)epoch, (long long)epochs);
        goto out;
    }
    fs->epoch = (int)epoch;
    fs->micro = micro;
    const char *p = v[M_LOSS_SUM];
    if (strcmp(p, "nan") == 0) {
        fs->loss_sum = NAN;
    } else if (get_double(&p, &fs->loss_sum) != 0 || *p) {
        snprintf(err, errlen, "%s: epoch_loss_sum \"%s\" is not a number", path, v[M_LOSS_SUM]);
        goto out;
    }
    /* the loader: its seed must be this run's; then it continues at the saved batch */
    unsigned long long lseed;
    long long le, lbatch;
    int used = 0;
    if (sscanf(v[M_LOADER], "%llx %lld %lld%n", &lseed, &le, &lbatch, &used) != 3 || v[M_LOADER][used]) {
        snprintf(err, errlen, "%s: the loader state \"%.80s\" is malformed", path, v[M_LOADER]);
        goto out;
    }
    tt_dataloader_state ls = {(uint64_t)lseed, le, lbatch};
    char lerr[512];
    if (tt_dataloader_set_state(dl, &ls, lerr, sizeof lerr) != 0) {
        snprintf(err, errlen, "%s: %s (resume with the same options as the first run)", path, lerr);
        goto out;
    }
    /* the caller's generators */
    p = v[M_RNGS];
    char *end;
    long nr = strtol(p, &end, 10);
    if (end == p || nr != cfg->n_rngs) {
        snprintf(err, errlen, "%s: saved %ld random generators, this run has %d", path, nr, cfg->n_rngs);
        goto out;
    }
    p = end;
    while (*p == ' ') {
        p++;
    }
    for (int i = 0; i < cfg->n_rngs; i++) {
        if (get_rng(&p, cfg->rngs[i]) != 0) {
            snprintf(err, errlen, "%s: random generator %d is malformed", path, i);
            goto out;
        }
    }
    if (get_history(v[M_HISTORY], hist, cfg->epochs, nhist) != 0) {
        snprintf(err, errlen, "%s: the history is malformed", path);
        goto out;
    }
    /* the tensors last: a refused file leaves the model untouched */
    if (tt_checkpoint_load(path, model, opt, err, errlen) != 0) {
        explain_prefusion_state(path, model, err, errlen);
        goto out;
    }
    if (cfg->sched) {
        if (tt_scheduler_steps(cfg->sched) > fs->sched_steps) {
            snprintf(err, errlen, "%s: the scheduler is already past the saved step %lld", path,
                     (long long)fs->sched_steps);
            goto out;
        }
        while (tt_scheduler_steps(cfg->sched) < fs->sched_steps) {
            tt_scheduler_step(cfg->sched);
        }
    }
    rc = 0;
out:
    for (int i = 0; i < M_COUNT; i++) {
        free(v[i]);
    }
    return rc;
}

static bool file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
    }
    return f != NULL;
}

static void log_epoch(const tt_train_config *cfg, const tt_epoch_record *r, size_t peak)
{
    if (!cfg->log) {
        return;
    }
    tt_metric kv[N_REC_FIELDS + 1 + TT_MAX_METRICS];
    char names[TT_MAX_METRICS][64];
    int n = 0;
    kv[n++] = (tt_metric){"epoch", r->epoch};
    kv[n++] = (tt_metric){"steps", (double)r->steps};
    kv[n++] = (tt_metric){"train_loss", r->train_loss};
    kv[n++] = (tt_metric){"eval_loss", r->eval_loss};
    kv[n++] = (tt_metric){"eval_accuracy", r->eval_accuracy};
    for (int i = 0; i < r->n_metrics && i < cfg->n_metrics; i++) {
        if (cfg->metrics[i].name && strcmp(cfg->metrics[i].name, "accuracy") == 0) {
            continue;
        }
        snprintf(names[i], sizeof names[i], "eval_%s", cfg->metrics[i].name ? cfg->metrics[i].name : "metric");
        kv[n++] = (tt_metric){names[i], r->metrics[i]};
    }
    kv[n++] = (tt_metric){"lr", r->lr};
    kv[n++] = (tt_metric){"seconds", r->seconds};
    kv[n++] = (tt_metric){"samples_per_s", r->samples_per_s};
    kv[n++] = (tt_metric){"peak_arena_bytes", (double)peak};
    tt_metrics_write(cfg->log, "epoch", kv, n);
}

/* ---- the loop ----------------------------------------------------------------------------------- */

int tt_fit(tt_layer *model, tt_optimizer *opt, tt_dataloader *train, const tt_train_config *cfg,
           tt_train_stats *st)
{
    memset(st, 0, sizeof *st);
    st->eval_loss = st->eval_accuracy = st->train_loss = NAN;
    for (int i = 0; i < TT_MAX_METRICS; i++) {
        st->eval_metrics[i] = NAN;
    }
    const int k = cfg->accum_steps > 0 ? cfg->accum_steps : 1;
    const int n_metrics = cfg->n_metrics < 0 ? 0 : cfg->n_metrics > TT_MAX_METRICS ? TT_MAX_METRICS : cfg->n_metrics;
    const int64_t nb = tt_dataloader_len(train);
    tt_layer_train(model, true);
    tt_optim_zero_grad(opt);
    int rc = 0;
    bool stop = false;
    uint64_t chunks_after_first = 0;
    bool first_step_done = false;
    tt_epoch_record *hist = calloc((size_t)(cfg->epochs > 0 ? cfg->epochs : 1), sizeof *hist);
    int nhist = 0;
    tt_dataloader edl = {0};
    bool generic_eval = cfg->eval && (cfg->loss || n_metrics > 0);
    char err[1200];
    if (!hist) {
        fprintf(stderr, "tt_fit: out of memory\n");
        return -2;
    }
    if (generic_eval && tt_dataloader_init(&edl, cfg->eval, cfg->eval_batch > 0 ? cfg->eval_batch : 1000, false,
                                           false, 0, err, sizeof err) != 0) {
        fprintf(stderr, "tt_fit: evaluation set: %s\n", err);
        free(hist);
        return -2;
    }
    fit_state fs = {.epoch = 1};
    if (cfg->state_path && cfg->resume && file_exists(cfg->state_path)) {
        if (load_state(cfg, model, opt, train, &fs, (int)nb, k, hist, &nhist, err, sizeof err) != 0) {
            fprintf(stderr, "tt_fit: cannot resume: %s\n", err);
            tt_dataloader_free(&edl);
            free(hist);
            return -2;
        }
        st->resumed = true;
        st->resumed_at_step = fs.steps;
        st->steps = fs.steps;
        st->samples = fs.samples;
        for (int i = 0; i < nhist; i++) {
            log_epoch(cfg, &hist[i], 0);
            st->train_seconds += hist[i].seconds;
        }
        if (nhist > 0) {
            const tt_epoch_record *last = &hist[nhist - 1];
            st->epochs_run = last->epoch;
            st->train_loss = last->train_loss;
            st->eval_loss = last->eval_loss;
            st->eval_accuracy = last->eval_accuracy;
            memcpy(st->eval_metrics, last->metrics, sizeof last->metrics);
        }
    }
    for (int epoch = fs.epoch; epoch <= cfg->epochs && !stop && !fs.done; epoch++) {
        char label[64];
        snprintf(label, sizeof label, "%s epoch %d/%d", cfg->name ? cfg->name : "train", epoch, cfg->epochs);
        tt_progress prog;
        tt_progress_begin(&prog, cfg->progress, label, nb, cfg->quiet);
        double t0 = tt_now_seconds(), loss_sum = 0.0;
        int64_t micro = 0, epoch_samples = 0;
        if (epoch == fs.epoch && fs.micro > 0) { /* resumed inside this epoch: the loader is positioned */
            loss_sum = fs.loss_sum;
            micro = fs.micro;
            epoch_samples = fs.epoch_samples;
        } else {
            tt_dataloader_start_epoch(train);
        }
        tt_batch b;
        while (tt_dataloader_next(train, &b)) {
            micro++;
            tt_step_opts so = {
                .loss = cfg->loss,
                .loss_ctx = cfg->loss_ctx,
                .clip_norm = cfg->clip_norm,
                .sched = cfg->sched,
                .loss_scale = 1.0f / (float)k,
                .accumulate = !(micro % k == 0 || b.index == nb - 1),
            };
            tt_step_result r;
            if (tt_train_step(model, opt, &b, &so, &r) != 0) {
                fprintf(stderr, "%s: the loss became %g at step %lld; stopping\n", label, r.loss,
                        (long long)st->steps);
                rc = -1;
                stop = true;
                break;
            }
            double lv = r.loss;
            st->peak_arena_bytes = r.peak_arena_bytes > st->peak_arena_bytes ? r.peak_arena_bytes
                                                                            : st->peak_arena_bytes;
            loss_sum += lv * (double)b.size;
            epoch_samples += b.size;
            st->samples += b.size;
            if (r.stepped) {
                if (cfg->clip_norm > 0) {
                    st->last_grad_norm = r.grad_norm;
                }
                st->steps++;
                if (!first_step_done) {
                    first_step_done = true;
                    chunks_after_first = tt_arena_heap_allocs();
                }
                if (cfg->max_steps > 0 && st->steps >= cfg->max_steps) {
                    stop = true;
                }
                if (cfg->state_path && cfg->checkpoint_every > 0 && st->steps % cfg->checkpoint_every == 0 &&
                    !stop && b.index != nb - 1) {
                    fit_state now = {epoch, micro, st->steps, st->samples, epoch_samples,
                                     cfg->sched ? tt_scheduler_steps(cfg->sched) : 0, loss_sum, false};
                    if (save_state(cfg, model, opt, train, &now, (int)nb, k, hist, nhist) != 0) {
                        rc = -2;
                        stop = true;
                    }
                }
            }
            tt_progress_update(&prog, b.index + 1, epoch_samples, lv);
            if (stop) {
                break;
            }
        }
        double secs = tt_now_seconds() - t0;
        st->train_seconds += secs;
        st->train_loss = epoch_samples ? loss_sum / (double)epoch_samples : NAN;
        st->epochs_run = epoch;
        char extra[96] = "";
        if (cfg->eval && rc == 0) {
            if (generic_eval) {
                eval_generic(model, &edl, cfg, &st->eval_loss, &st->eval_accuracy, st->eval_metrics);
            } else {
                tt_evaluate(model, cfg->eval, cfg->eval_batch, &st->eval_loss, &st->eval_accuracy);
            }
            if (isnan(st->eval_accuracy)) {
                snprintf(extra, sizeof extra, "eval loss %.4f", st->eval_loss);
            } else {
                snprintf(extra, sizeof extra, "eval loss %.4f acc %.2f%%", st->eval_loss, 100.0 * st->eval_accuracy);
            }
        }
        tt_progress_end(&prog, extra[0] ? extra : NULL);
        tt_epoch_record rec = {
            .epoch = epoch, .steps = st->steps, .samples = st->samples, .train_loss = st->train_loss,
            .eval_loss = st->eval_loss, .eval_accuracy = st->eval_accuracy, .lr = (double)tt_optim_get_lr(opt),
            .seconds = secs, .samples_per_s = secs > 0 ? (double)epoch_samples / secs : 0.0, .n_metrics = n_metrics,
        };
        memcpy(rec.metrics, st->eval_metrics, sizeof rec.metrics);
        if (nhist < cfg->epochs) {
            hist[nhist++] = rec;
        }
        log_epoch(cfg, &rec, st->peak_arena_bytes);
        if (cfg->state_path && rc == 0) {
            bool done = stop || epoch == cfg->epochs;
            fit_state now = {done ? epoch : epoch + 1, 0, st->steps, st->samples, 0,
                             cfg->sched ? tt_scheduler_steps(cfg->sched) : 0, 0.0, done};
            if (save_state(cfg, model, opt, train, &now, (int)nb, k, hist, nhist) != 0) {
                rc = -2;
                stop = true;
            }
        }
    }
    st->samples_per_s = st->train_seconds > 0 ? (double)st->samples / st->train_seconds : 0.0;
    st->arena_chunk_allocs = first_step_done ? tt_arena_heap_allocs() - chunks_after_first : 0;
    if (cfg->history) {
        st->history_len = nhist < cfg->history_cap ? nhist : cfg->history_cap;
        memcpy(cfg->history, hist, (size_t)st->history_len * sizeof *hist);
    }
    tt_dataloader_free(&edl);
    free(hist);
    return rc;
}
