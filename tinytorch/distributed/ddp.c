/* ddp.c - gradient synchronisation in buckets that start while backward is still running.
 *
 * Buckets. Parameters are grouped from the LAST one backwards (the order backward finishes them) into
 * buckets of about bucket_bytes; bucket k holds a contiguous range of the parameter list and owns one
 * flat float buffer (allocated once). Bucket 0 therefore holds the output layer.
 *
 * Readiness. tt_ddp_begin walks the tape (the graph the forward pass just recorded) and counts, for
 * every parameter, the nodes that read it. The autograd hook, called after each node's backward,
 * decrements the counts of the node's parameter inputs: at zero no node is left that can add to that
 * gradient, so it is final. When every parameter of a bucket is final, the bucket's gradients are
 * packed (times the rank's weight) and its MPI_Iallreduce (SUM) starts. Buckets start strictly in
 * index order (MPI requires every rank to issue collectives in the same order; the graphs, and so the
 * orders, are the same on every rank). Each hook call also tests the buckets in flight: Open MPI's
 * shared-memory transport progresses only inside MPI calls, so testing is what lets the reduction
 * advance during backward.
 *
 * A parameter no node read (not used this step) is final from the start and contributes zeros.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist_internal.h"
#include "tinytorch/autograd.h"

typedef struct bucket {
    int lo, hi;              /* parameter indices [lo, hi] */
    int64_t numel;
    float *buf;              /* numel floats: the parameters' gradients, packed in index order */
    int ready, count;
    bool started, done;
    MPI_Request req;
    double t_start, t_done;
} bucket;

typedef struct pkey { const tt_tensor *t; int idx; } pkey;

struct tt_ddp {
    int n;
    tt_tensor **params;
    int64_t *offset;         /* params[i]'s offset in its bucket's buffer */
    int *bucket_of;
    int *pending;            /* nodes left that read params[i] this step */
    pkey *sorted;            /* params by address, for lookup from a node's inputs */
    int nb;
    bucket *b;
    int next_start;
    double weight;
    bool overlap;
    bool active;
    int error_rc;            /* an MPI error raised inside the hook, reported by finish */
    double t_begin;
    tt_ddp_stats last;
};

static int cmp_pkey(const void *a, const void *b)
{
    const pkey *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static int lookup(const tt_ddp *d, const tt_tensor *t)
{
    int lo = 0, hi = d->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (d->sorted[mid].t == t) {
            return d->sorted[mid].idx;
        }
        if (d->sorted[mid].t < t) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

tt_ddp *tt_ddp_new(tt_tensor *const *params, int n, const tt_ddp_opts *opts, char *err, size_t errlen)
{
    if (!params || n < 1) {
        tt__dist_err(err, errlen, "tt_ddp_new: no parameters");
        return NULL;
    }
    size_t cap = opts && opts->bucket_bytes ? opts->bucket_bytes : (size_t)64 * 1024;
    tt_ddp *d = calloc(1, sizeof *d);
    if (!d) {
        tt__dist_err(err, errlen, "tt_ddp_new: out of memory");
        return NULL;
    }
    d->n = n;
    d->overlap = !(opts && opts->no_overlap);
    d->params = calloc((size_t)n, sizeof *d->params);
    d->offset = calloc((size_t)n, sizeof *d->offset);
    d->bucket_of = calloc((size_t)n, sizeof *d->bucket_of);
    d->pending = calloc((size_t)n, sizeof *d->pending);
    d->sorted = calloc((size_t)n, sizeof *d->sorted);
    d->b = calloc((size_t)n, sizeof *d->b);   /* at most one bucket per parameter */
    if (!d->params || !d->offset || !d->bucket_of || !d->pending || !d->sorted || !d->b) {
        tt_ddp_free(d);
        tt__dist_err(err, errlen, "tt_ddp_new: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!params[i] || params[i]->numel > INT32_MAX) {
            tt_ddp_free(d);
            tt__dist_err(err, errlen, "tt_ddp_new: parameter %d is %s", i,
                         params[i] ? "larger than 2^31 elements (one MPI message)" : "NULL");
            return NULL;
        }
        d->params[i] = params[i];
        d->sorted[i] = (pkey){params[i], i};
    }
    qsort(d->sorted, (size_t)n, sizeof *d->sorted, cmp_pkey);
    for (int i = 1; i < n; i++) {
        if (d->sorted[i].t == d->sorted[i - 1].t) {
            tt_ddp_free(d);
            tt__dist_err(err, errlen, "tt_ddp_new: a parameter is listed twice");
            return NULL;
        }
    }
    /* Buckets from the last parameter backwards. */
    int hi = n - 1;
    while (hi >= 0) {
        bucket *bk = &d->b[d->nb];
        int64_t numel = 0;
        int lo = hi;
        for (; lo >= 0; lo--) {
            if (numel > 0 && (size_t)(numel + params[lo]->numel) * sizeof(float) > cap) {
                break;
            }
            numel += params[lo]->numel;
            if ((size_t)numel * sizeof(float) >= cap) {
                lo--;
                break;
            }
        }
        lo++;
        if (numel > INT32_MAX) {
            tt_ddp_free(d);
            tt__dist_err(err, errlen, "tt_ddp_new: a bucket exceeds 2^31 elements; use a smaller bucket_bytes");
            return NULL;
        }
        bk->lo = lo;
        bk->hi = hi;
        bk->count = hi - lo + 1;
        bk->numel = numel;
        bk->buf = malloc((size_t)(numel ? numel : 1) * sizeof(float));
        if (!bk->buf) {
            tt_ddp_free(d);
            tt__dist_err(err, errlen, "tt_ddp_new: out of memory for a %lld-element bucket", (long long)numel);
            return NULL;
        }
        int64_t off = 0;
        for (int i = lo; i <= hi; i++) {
            d->offset[i] = off;
            d->bucket_of[i] = d->nb;
            off += params[i]->numel;
        }
        d->nb++;
        hi = lo - 1;
    }
    d->last.buckets = d->nb;
    return d;
}

void tt_ddp_free(tt_ddp *d)
{
    if (!d) {
        return;
    }
    if (d->active) {
        tt_set_backward_hook(NULL, NULL);
    }
    for (int k = 0; k < d->nb; k++) {
        free(d->b[k].buf);
    }
    free(d->b);
    free(d->params);
    free(d->offset);
    free(d->bucket_of);
    free(d->pending);
    free(d->sorted);
    free(d);
}

int tt_ddp_broadcast(tt_ddp *d, const tt_params *extra, int root, char *err, size_t errlen)
{
    if (tt_dist_size() == 1) {
        return 0;
    }
    int ne = extra ? extra->n : 0;
    MPI_Request *r = calloc((size_t)(d->n + ne), sizeof *r);
    if (!r) {
        return tt__dist_err(err, errlen, "broadcast: out of memory");
    }
    int k = 0, rc = MPI_SUCCESS;
    for (int i = 0; i < d->n + ne && rc == MPI_SUCCESS; i++) {
        tt_tensor *t = i < d->n ? d->params[i] : extra->t[i - d->n];
        if (t->numel > INT32_MAX) {
            free(r);
            return tt__dist_err(err, errlen, "broadcast: tensor %d has more than 2^31 elements", i);
        }
        rc = MPI_Ibcast(t->data, (int)t->numel, MPI_FLOAT, root, tt__dist_comm, &r[k++]);
    }
    int out = rc == MPI_SUCCESS ? tt__dist_wait(r, k, "parameter broadcast", err, errlen)
                                : tt__dist_mpi_err(rc, "parameter broadcast", err, errlen);
    free(r);
    return out;
}

static void pack_and_start(tt_ddp *d, int k)
{
    bucket *bk = &d->b[k];
    float w = (float)d->weight;
    for (int i = bk->lo; i <= bk->hi; i++) {
        const tt_tensor *p = d->params[i];
        float *dst = bk->buf + d->offset[i];
        if (p->grad) {
            for (int64_t j = 0; j < p->numel; j++) {
                dst[j] = w * p->grad[j];
            }
        } else {
            memset(dst, 0, (size_t)p->numel * sizeof(float));
        }
    }
    bk->started = true;
    bk->t_start = tt__dist_now();
    int rc = MPI_Iallreduce(MPI_IN_PLACE, bk->buf, (int)bk->numel, MPI_FLOAT, MPI_SUM, tt__dist_comm, &bk->req);
    if (rc != MPI_SUCCESS && d->error_rc == MPI_SUCCESS) {
        d->error_rc = rc;
        bk->done = true;
        bk->req = MPI_REQUEST_NULL;
    }
}

static void start_ready(tt_ddp *d)
{
    while (d->next_start < d->nb && d->b[d->next_start].ready == d->b[d->next_start].count) {
        pack_and_start(d, d->next_start++);
    }
}

/* Drives the buckets in flight and notes when each finished. */
static void progress(tt_ddp *d)
{
    for (int k = 0; k < d->next_start; k++) {
        bucket *bk = &d->b[k];
        if (bk->done) {
            continue;
        }
        int flag = 0;
        int rc = MPI_Test(&bk->req, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            if (d->error_rc == MPI_SUCCESS) {
                d->error_rc = rc;
            }
            return;
        }
        if (flag) {
            bk->done = true;
            bk->t_done = tt__dist_now();
        }
    }
}

static void hook(const tt_node *node, void *ctx)
{
    tt_ddp *d = ctx;
    for (int j = 0; j < node->n_in; j++) {
        int i = node->in[j] ? lookup(d, node->in[j]) : -1;
        if (i >= 0 && --d->pending[i] == 0) {
            d->b[d->bucket_of[i]].ready++;
        }
    }
    start_ready(d);
    progress(d);
}

void tt_ddp_begin(tt_ddp *d, double weight)
{
    d->weight = weight;
    d->t_begin = tt__dist_now();
    d->next_start = 0;
    d->error_rc = MPI_SUCCESS;
    if (tt_dist_size() == 1) {
        return;
    }
    memset(d->pending, 0, (size_t)d->n * sizeof *d->pending);
    for (const tt_node *nd = tt_arena_get_mark().tape; nd; nd = nd->prev) {
        for (int j = 0; j < nd->n_in; j++) {
            int i = nd->in[j] ? lookup(d, nd->in[j]) : -1;
            if (i >= 0) {
                d->pending[i]++;
            }
        }
    }
    for (int k = 0; k < d->nb; k++) {
        bucket *bk = &d->b[k];
        bk->ready = 0;
        bk->started = bk->done = false;
        bk->req = MPI_REQUEST_NULL;
        for (int i = bk->lo; i <= bk->hi; i++) {
            bk->ready += d->pending[i] == 0;
        }
    }
    if (d->overlap) {
        start_ready(d);
        tt_set_backward_hook(hook, d);
        d->active = true;
    }
}

int tt_ddp_finish(tt_ddp *d, char *err, size_t errlen)
{
    double t_end_backward = tt__dist_now();
    tt_ddp_stats *s = &d->last;
    s->buckets = d->nb;
    s->backward_s = t_end_backward - d->t_begin;
    s->wait_s = s->comm_s = 0.0;
    s->buckets_in_backward = 0;
    s->overlap = NAN;
    if (tt_dist_size() == 1) {
        return 0;   /* the local gradient is the global one (weight 1) */
    }
    if (d->active) {
        tt_set_backward_hook(NULL, NULL);
        d->active = false;
    }
    s->buckets_in_backward = d->next_start;
    while (d->next_start < d->nb) {
        pack_and_start(d, d->next_start++);
    }
    if (d->error_rc != MPI_SUCCESS) {
        return tt__dist_mpi_err(d->error_rc, "gradient all-reduce", err, errlen);
    }
    MPI_Request req[64];
    double t0 = tt__dist_now();
    for (int k0 = 0; k0 < d->nb; k0 += 64) {
        int m = 0;
        for (int k = k0; k < d->nb && k < k0 + 64; k++) {
            if (!d->b[k].done) {
                req[m++] = d->b[k].req;
            }
        }
        char what[64];
        snprintf(what, sizeof what, "gradient all-reduce (%d buckets)", d->nb);
        if (m && tt__dist_wait(req, m, what, err, errlen) != 0) {
            return -1;
        }
    }
    double t1 = tt__dist_now();
    double first = t1, lastdone = 0.0;
    for (int k = 0; k < d->nb; k++) {
        bucket *bk = &d->b[k];
        if (!bk->done) {
            bk->done = true;
            bk->t_done = t1;
        }
        first = bk->t_start < first ? bk->t_start : first;
        lastdone = bk->t_done > lastdone ? bk->t_done : lastdone;
        for (int i = bk->lo; i <= bk->hi; i++) {
            tt_tensor *p = d->params[i];
            memcpy(tt_grad_buf(p), bk->buf + d->offset[i], (size_t)p->numel * sizeof(float));
        }
    }
    s->wait_s = t1 - t0;
    s->comm_s = lastdone - first;
    if (s->comm_s > 0) {
        double o = 1.0 - s->wait_s / s->comm_s;
        s->overlap = o < 0 ? 0 : o > 1 ? 1 : o;
    }
    return 0;
}

const tt_ddp_stats *tt_ddp_last(const tt_ddp *d) { return &d->last; }

void tt_ddp_zero_grad(tt_ddp *d) { tt_zero_grad(d->params, d->n); }

int tt_ddp_max_divergence(tt_ddp *d, double *out, char *err, size_t errlen)
{
    *out = 0.0;
    if (tt_dist_size() == 1) {
        return 0;
    }
    double worst = 0.0;
    for (int i = 0; i < d->n; i++) {
        const tt_tensor *p = d->params[i];
        float *copy = malloc((size_t)(p->numel ? p->numel : 1) * sizeof(float));
        if (!copy) {
            return tt__dist_err(err, errlen, "divergence check: out of memory");
        }
        memcpy(copy, p->data, (size_t)p->numel * sizeof(float));
        MPI_Request r;
        int rc = MPI_Ibcast(copy, (int)p->numel, MPI_FLOAT, 0, tt__dist_comm, &r);
        if (rc != MPI_SUCCESS || tt__dist_wait(&r, 1, "divergence check", err, errlen) != 0) {
            free(copy);
            return rc != MPI_SUCCESS ? tt__dist_mpi_err(rc, "divergence check", err, errlen) : -1;
        }
        for (int64_t j = 0; j < p->numel; j++) {
            double e = (double)p->data[j] - (double)copy[j];
            e = e < 0 ? -e : e;
            worst = e > worst ? e : worst;
        }
        free(copy);
    }
    if (tt_dist_allreduce_f64(&worst, 1, 'M', err, errlen) != 0) {
        return -1;
    }
    *out = worst;
    return 0;
}
