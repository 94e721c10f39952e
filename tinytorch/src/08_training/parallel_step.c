/* parallel_step.c - data parallelism across threads inside one training step (module 08).
 *
 * The way one process would use two GPUs: the batch is cut into T contiguous row shards, each thread
 * runs forward + loss + backward of one shard in a context of its own, the shards' parameter
 * gradients are summed, and the optimizer steps once (train.c). What makes it work:
 *   - a shard context owns its parameter gradients (tt_context_own_grads): backward functions reach a
 *     parameter's gradient only through tt_grad_buf / tt_grad_buf_fresh, which return the context's
 *     buffer for a persistent tensor while such a context is current, so threads never write the
 *     same memory;
 *   - shard s's backward is seeded with scale * rows_s / B: the loss is a mean over the shard's
 *     rows, so the seeded gradients add up to the gradient of the whole batch's mean loss;
 *   - the sum runs parameter by parameter (in parallel over parameters), shard 0 first, then 1, ...:
 *     the same bits for the same T, whatever the threads' timing;
 *   - kernels see omp_in_parallel() and stay on their shard's thread (no nested teams).
 * Invariants: the shard contexts and their gradient buffers are made on the first split step and
 * reused (no heap allocation after it); every shard buffer is all zeros between steps (the sum zeroes
 * what it read; a discarded step zeroes what it wrote).
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef TT_HAVE_OPENMP
#include <omp.h>
#endif
#include "tinytorch/autograd.h"
#include "tinytorch/gemm.h"
#include "tinytorch/train.h"
#include "../03_layers/layer_internal.h"
#include "../06_autograd/autograd_internal.h"
#include "parallel_step.h"

#define MAX_SHARDS 64
#define AUTO_MIN_ROWS 4        /* automatic thread count: rows per shard at least */
#define AUTO_MIN_VALUES 1024   /* automatic thread count: batch values (all fields) per shard at least */
#define REMEMBERED 16          /* models that refused a split (BatchNorm, dropout), newest kept */
#define RETRY_AFTER 100        /* steps a refusing model runs on one thread before it is tried again */
#define SIZED 32               /* (model, batch size) pairs whose shard was measured, newest kept */
#define MEASURE_AFTER 1000     /* steps after which a pair's shard is measured again */
/* Automatic thread count: a shard's activations (its arena peak) at least this many times the bytes
 * of the parameters it writes gradients for. Each shard packs every weight and fills a gradient
 * buffer the size of the parameters, which the sum then reads: a model that uses each weight little
 * per row (the 784-128-10 MLP at batch 64: 0.17) runs faster with its kernels alone on the threads
 * (mlp_bench, two threads: 80-101 k against 68-71 k samples/s split); LeNet-5 (2.75 at batch 64) and
 * a GPT (> 100) gain from the split. On the MLP the two ways are even at batch 128 (0.35) and the
 * split gains from batch 192 (0.52) on, clearly at 384 (1.03). */
#define MIN_ACTIVATION_RATIO 0.5

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;  /* one split step at a time */
static tt_context *pool[MAX_SHARDS];
/* Models whose split was refused, so that their next steps do not pay for a discarded try. Only
 * the address is known (a model is any pointer), so an entry expires after RETRY_AFTER steps: a
 * model switched to eval mode, or a new one at a freed model's address, is split again by then (a
 * freed tt_layer's entry goes at once: forget_model). */
static struct { const void *model; int steps_left; } refused[REMEMBERED];
static int refused_next;
static pthread_mutex_t refused_lock = PTHREAD_MUTEX_INITIALIZER;
/* What one shard of a (model, batch size) costs, measured by a trial shard (affordable_shards): its
 * arena bytes per row and the bytes of the parameters it wrote gradients for. A function of the model
 * and the batch size alone, so every run (a resumed one too) splits the same steps. A tt_layer's
 * entries go when it is freed (forget_model); any other model pointer's are measured again every
 * MEASURE_AFTER steps, in case a new model now lives at a freed one's address. */
static struct { const void *model; int64_t B; double bytes_per_row, param_bytes; int steps_left; } sized[SIZED];
static int sized_next;
static pthread_mutex_t sized_lock = PTHREAD_MUTEX_INITIALIZER;  /* guards sized[] */

/* tt_layer_free's hook (layer_internal.h): what was measured or refused of a freed model is
 * forgotten, so that a new model at the same address is measured afresh (before, it could take
 * the old one's split until the entry expired). */
static void forget_model(const void *model)
{
    pthread_mutex_lock(&sized_lock);
    for (int i = 0; i < SIZED; i++) {
        if (sized[i].model == model) {
            sized[i].model = NULL;
            sized[i].steps_left = 0;
        }
    }
    pthread_mutex_unlock(&sized_lock);
    pthread_mutex_lock(&refused_lock);
    for (int i = 0; i < REMEMBERED; i++) {
        if (refused[i].model == model) {
            refused[i].model = NULL;
            refused[i].steps_left = 0;
        }
    }
    pthread_mutex_unlock(&refused_lock);
}

typedef struct shard {
    tt_batch b;
    int64_t rows;
    double loss;
    size_t peak;
} shard;

static bool was_refused(const void *model)
{
    bool hit = false;
    pthread_mutex_lock(&refused_lock);
    for (int i = 0; i < REMEMBERED && !hit; i++) {
        if (refused[i].model == model && refused[i].steps_left > 0) {
            hit = true;
            if (--refused[i].steps_left == 0) {
                refused[i].model = NULL;
            }
        }
    }
    pthread_mutex_unlock(&refused_lock);
    return hit;
}

static void remember_refusal(const void *model)
{
    pthread_mutex_lock(&refused_lock);
    refused[refused_next].model = model;
    refused[refused_next].steps_left = RETRY_AFTER;
    refused_next = (refused_next + 1) % REMEMBERED;
    pthread_mutex_unlock(&refused_lock);
}

static bool is_float_field(const tt_batch *b, const tt_tensor *t)
{
    for (int k = 0; k < b->num_fields; k++) {
        if (b->field[k].t == t) {
            return true;
        }
    }
    return false;
}

static bool is_int_field(const tt_batch *b, const int32_t *p)
{
    for (int k = 0; k < b->num_fields; k++) {
        if (b->field[k].ints == p && b->field[k].ints_per_row == 1) {
            return true;
        }
    }
    return false;
}

/* A float batch field splits by rows when its first dim is the batch and nothing wants its gradient. */
static bool rows_split(const tt_tensor *t, int64_t B)
{
    return t->ndim >= 1 && t->shape[0] == B && !(t->flags & TT_REQUIRES_GRAD);
}

/* Values of one row over all of b's fields, or -1 when some field cannot be split by rows. */
static int64_t row_values(const tt_batch *b)
{
    const int64_t B = b->size;
    if (b->num_fields == 0) {      /* a batch built by hand: x [B, ...] and B labels y */
        if (!b->x || !rows_split(b->x, B)) {
            return -1;
        }
        return b->x->numel / B + (b->y ? 1 : 0);
    }
    int64_t v = 0;
    for (int k = 0; k < b->num_fields; k++) {
        const tt_batch_field *f = &b->field[k];
        if (f->t && rows_split(f->t, B)) {
            v += f->t->numel / B;
        } else if (!f->t && f->ints && f->ints_per_row > 0) {
            v += f->ints_per_row;
        } else {
            return -1;
        }
    }
    if ((b->x && !is_float_field(b, b->x)) || (b->y && !is_int_field(b, b->y))) {
        return -1;                 /* x or y point elsewhere: the loss may read data we cannot split */
    }
    return v;
}

static int shard_count(const void *model, const tt_batch *b, const tt_step_opts *o)
{
#ifdef TT_HAVE_OPENMP
    if (o->threads == 1 || o->threads < 0 || omp_in_parallel() || tt__backward_hook_set() ||
        tt__ctx()->own_grads) {
        return 1;
    }
    if (o->loss && o->loss != tt_classifier_loss && o->loss_ctx) {
        return 1;                  /* the loss may read per-sample data from its context */
    }
    const int64_t B = b->size, per = B > 0 ? row_values(b) : -1;
    if (per < 0) {
        return 1;
    }
    int64_t T = o->threads > 1 ? o->threads : tt_get_num_threads();
    T = T < MAX_SHARDS ? T : MAX_SHARDS;
    const int64_t min_rows = o->threads > 1 ? 2 : AUTO_MIN_ROWS;
    T = T < B / min_rows ? T : B / min_rows;
    if (o->threads == 0) {
        const int64_t by_values = B * per / AUTO_MIN_VALUES;
        T = T < by_values ? T : by_values;
    }
    if (T < 2 || was_refused(model)) {
        return 1;
    }
    return (int)T;
#else
    (void)model;
    (void)b;
    (void)o;
    return 1;
#endif
}

/* Rows [lo, lo + n) of a batch tensor [B, ...]: a header in the arena over the same data. */
static tt_tensor *rows_of(const tt_tensor *t, int64_t lo, int64_t n, int64_t B)
{
    const int64_t per = t->numel / B;
    tt_tensor *v = tt_arena_alloc(sizeof *v);
    *v = *t;
    v->data = t->data + lo * per;
    v->grad = NULL;
    v->node = NULL;
    v->flags &= ~(uint32_t)(TT_REQUIRES_GRAD | TT_PERSISTENT);
    v->shape[0] = n;
    v->numel = n * per;
    return v;
}

static void make_shard(const tt_batch *b, int64_t lo, int64_t n, tt_batch *s)
{
    *s = *b;
    s->size = n;
    if (b->num_fields == 0) {
        s->x = rows_of(b->x, lo, n, b->size);
        s->y = b->y ? b->y + lo : NULL;
        return;
    }
    s->x = NULL;
    s->y = NULL;
    for (int k = 0; k < b->num_fields; k++) {
        const tt_batch_field *f = &b->field[k];
        if (f->t) {
            s->field[k].t = rows_of(f->t, lo, n, b->size);
            if (b->x == f->t) {
                s->x = s->field[k].t;
            }
        } else {
            s->field[k].ints = f->ints + lo * f->ints_per_row;
            if (b->y && b->y == f->ints) {
                s->y = s->field[k].ints;
            }
        }
    }
}

static void run_shard(shard *s, tt_context *c, void *model, tt_loss_fn fn, void *ctx, float seed)
{
    tt_context *prev = tt_context_use(c);
    tt_arena_peak_clear();
    tt_tensor *l = fn(model, &s->b, ctx);
    if (l->numel != 1) {
        char sh[96];
        tt_fatal("tt_train_step: the loss must have one element, got shape %s", tt_shape_str(l, sh, sizeof sh));
    }
    s->loss = (double)tt_item(l);
    if (isfinite(s->loss)) {
        tt_tensor *sd = tt_empty(l->ndim, l->shape);
        sd->data[0] = seed;
        tt_backward_with(l, sd);
    }
    s->peak = tt_arena_peak_bytes();
    tt_arena_reset();
    tt_context_use(prev);
}

static uint64_t refusals(int T)
{
    uint64_t n = 0;
    for (int s = 0; s < T; s++) {
        n += tt_context_refusals(pool[s]);
    }
    return n;
}

/* The parameters any shard wrote a gradient for, in shard-0-slot order then the others' new ones. */
static int touched_params(int T, tt_tensor ***out)
{
    int cap = 0;
    for (int s = 0; s < T; s++) {
        cap += tt_context_grad_count(pool[s]);
    }
    tt_tensor **ps = tt_arena_alloc((size_t)(cap ? cap : 1) * sizeof *ps);
    int n = 0;
    for (int s = 0; s < T; s++) {
        for (int i = 0; i < tt_context_grad_count(pool[s]); i++) {
            tt_tensor *p;
            bool used;
            tt_context_grad_at(pool[s], i, &p, &used);
            bool seen = false;
            for (int j = 0; used && !seen && j < n; j++) {
                seen = ps[j] == p;
            }
            if (used && !seen) {
                ps[n++] = p;
            }
        }
    }
    *out = ps;
    return n;
}

/* d[k] += g[k], then g[k] = 0, for k < n (the shard's buffer is left zeroed for the next step). */
static void add_and_clear(float *restrict d, float *restrict g, int64_t n)
{
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {      /* blocks of a known size: the compiler vectorizes them */
        for (int i = 0; i < 16; i++) {
            d[k + i] += g[k + i];
        }
    }
    for (; k < n; k++) {
        d[k] += g[k];
    }
    memset(g, 0, (size_t)n * sizeof(float));
}

bool tt__split_measured(uintptr_t model, int64_t B)
{
    bool held = false;
    pthread_mutex_lock(&sized_lock);
    for (int k = 0; k < SIZED; k++) {
        held = held || ((uintptr_t)sized[k].model == model && sized[k].B == B && sized[k].steps_left > 0);
    }
    pthread_mutex_unlock(&sized_lock);
    return held;
}

/* The most shards (<= T) whose activations each weigh at least MIN_ACTIVATION_RATIO times the bytes
 * of the parameters; the first time (model, B) is seen, a trial shard of B / T rows runs forward and
 * backward in pool[0] to measure both, and its gradients are dropped. Returns -1 when the trial was
 * refused (BatchNorm, dropout). Call with pool_lock held (the trial runs in pool[0]). */
static int affordable_shards(void *model, const tt_batch *b, tt_loss_fn fn, void *ctx, int T)
{
    const int64_t B = b->size;
    double bytes_per_row = 0.0, param_bytes = 0.0;
    bool known = false;
    pthread_mutex_lock(&sized_lock);
    for (int k = 0; k < SIZED && !known; k++) {
        if (sized[k].model == model && sized[k].B == B && sized[k].steps_left > 0) {
            sized[k].steps_left--;
            bytes_per_row = sized[k].bytes_per_row;
            param_bytes = sized[k].param_bytes;
            known = true;
        }
    }
    pthread_mutex_unlock(&sized_lock);
    if (!known) {
        shard s = {.rows = B / T};
        make_shard(b, 0, s.rows, &s.b);
        const uint64_t refused_before = tt_context_refusals(pool[0]);
        /* as a shard runs: on one thread of a team, so that its kernels stay on that thread */
#ifdef TT_HAVE_OPENMP
#pragma omp parallel num_threads(2)
        if (omp_get_thread_num() == 0)
#endif
        {
            run_shard(&s, pool[0], model, fn, ctx, 1.0f);
        }
        int64_t values = 0;
        for (int i = 0; i < tt_context_grad_count(pool[0]); i++) {
            tt_tensor *p;
            bool used;
            tt_context_grad_at(pool[0], i, &p, &used);
            values += used ? p->numel : 0;
        }
        tt_context_zero_grads(pool[0]);
        if (tt_context_refusals(pool[0]) != refused_before) {
            return -1;
        }
        if (values == 0) {
            return T;              /* a non-finite loss, or no parameter: measured again next time */
        }
        bytes_per_row = (double)s.peak / (double)s.rows;
        param_bytes = (double)values * sizeof(float);
        pthread_mutex_lock(&sized_lock);
        const int k = sized_next;
        sized_next = (sized_next + 1) % SIZED;
        sized[k].model = model;
        sized[k].B = B;
        sized[k].bytes_per_row = bytes_per_row;
        sized[k].param_bytes = param_bytes;
        sized[k].steps_left = MEASURE_AFTER;
        pthread_mutex_unlock(&sized_lock);
    }
    const double rows_needed = MIN_ACTIVATION_RATIO * param_bytes / bytes_per_row;
    const double by_bytes = (double)B / (rows_needed > 1.0 ? rows_needed : 1.0);
    return (double)T < by_bytes ? T : (int)by_bytes;
}

int tt__split_step(void *model, const tt_batch *b, const tt_step_opts *o, double *loss, size_t *peak)
{
    if (!atomic_load(&tt__layer_free_hook)) {
        atomic_store(&tt__layer_free_hook, forget_model);
    }
    int T = shard_count(model, b, o);
    if (T < 2 || pthread_mutex_trylock(&pool_lock) != 0) {
        return 1;                  /* not splittable, or another thread is splitting a step now */
    }
    for (int s = 0; s < T; s++) {
        if (!pool[s]) {
            pool[s] = tt_context_new();
            tt_context_own_grads(pool[s], true);
        }
    }
    const tt_loss_fn fn = o->loss ? o->loss : tt_classifier_loss;
    if (o->threads == 0) {         /* automatic: only when a shard's activations outweigh the weights */
        T = affordable_shards(model, b, fn, o->loss_ctx, T);
        if (T < 2) {
            pthread_mutex_unlock(&pool_lock);
            if (T < 0) {
                remember_refusal(model);
            }
            return 1;
        }
    }
    const int64_t B = b->size;
    shard *sh = tt_arena_alloc((size_t)T * sizeof *sh);
    for (int s = 0; s < T; s++) {
        const int64_t lo = B * s / T, hi = B * (s + 1) / T;
        sh[s].rows = hi - lo;
        make_shard(b, lo, hi - lo, &sh[s].b);
    }
    const double scale = o->loss_scale != 0.0f ? (double)o->loss_scale : 1.0;
    const uint64_t refused_before = refusals(T);
#ifdef TT_HAVE_OPENMP
#pragma omp parallel for num_threads(T) schedule(static, 1)
#endif
    for (int s = 0; s < T; s++) {
        run_shard(&sh[s], pool[s], model, fn, o->loss_ctx, (float)(scale * (double)sh[s].rows / (double)B));
    }
    double sum = 0.0;
    size_t peaks = 0;
    bool finite = true;
    for (int s = 0; s < T; s++) {
        sum += sh[s].loss * (double)sh[s].rows;
        peaks += sh[s].peak;
        finite = finite && isfinite(sh[s].loss);
    }
    if (refusals(T) != refused_before) {  /* BatchNorm or dropout: run this step on one thread */
        for (int s = 0; s < T; s++) {
            tt_context_zero_grads(pool[s]);
        }
        pthread_mutex_unlock(&pool_lock);
        remember_refusal(model);
        return 1;
    }
    if (finite) {
        tt_tensor **ps;
        const int n = touched_params(T, &ps);
        float **dst = tt_arena_alloc((size_t)(n ? n : 1) * sizeof *dst);
        float **src = tt_arena_alloc((size_t)(n ? n : 1) * (size_t)T * sizeof *src);
        int64_t total = 0;
        for (int j = 0; j < n; j++) {
            dst[j] = tt_grad_buf(ps[j]);  /* the caller's context: the parameter's own gradient */
            for (int s = 0; s < T; s++) {
                src[j * T + s] = tt_context_grad(pool[s], ps[j]);
            }
            total += ps[j]->numel;
        }
        /* The sum is cut by elements, not by parameters: one large weight matrix (an MLP's first
         * layer) would otherwise be summed by one thread while the others wait. Each element still
         * adds shard 0 first, then 1, ...: the same bits for any number of summing threads. */
#ifdef TT_HAVE_OPENMP
#pragma omp parallel num_threads(T)
#endif
        {
            int t = 0, nt = 1;
#ifdef TT_HAVE_OPENMP
            t = omp_get_thread_num();
            nt = omp_get_num_threads();
#endif
            const int64_t lo = total * t / nt, hi = total * (t + 1) / nt;
            int64_t off = 0;
            for (int j = 0; j < n && off < hi; off += ps[j]->numel, j++) {
                const int64_t a = lo > off ? lo - off : 0;
                const int64_t e = hi - off < ps[j]->numel ? hi - off : ps[j]->numel;
                for (int s = 0; s < T && a < e; s++) {
                    if (src[j * T + s]) {
                        add_and_clear(dst[j] + a, src[j * T + s] + a, e - a);
                    }
                }
            }
        }
        for (int s = 0; s < T; s++) {
            tt_context_grads_done(pool[s]);
        }
    } else {
        for (int s = 0; s < T; s++) {
            tt_context_zero_grads(pool[s]);
        }
    }
    pthread_mutex_unlock(&pool_lock);
    *loss = sum / (double)B;
    *peak = peaks;
    return T;
}
