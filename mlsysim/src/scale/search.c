/* search.c - exhaustive parallelism search: TP × PP × micro-batch × interleave × recompute ×
 * ZeRO × sequence parallelism, data parallelism derived from the accelerator count.
 *
 * Two passes over the space (OpenMP-parallel when built with OpenMP): the first keeps each
 * thread's k fastest plans that fit and merges them; the second classifies every other point by
 * why it loses to the fastest: memory (does not fit), bubble, communication or compute (the
 * component of its step that exceeds the best plan's by the most), or invalid (the degrees do
 * not divide the cluster, heads or batch, or there are more stages than layers). Points are
 * numbered so that the result does not depend on the thread count (ties broken by index).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAXV 256

typedef struct axis { int n; int v[MAXV]; } axis_t;

static void axis_from(axis_t *ax, const int *list, int term, const int *defs, int ndefs)
{
    ax->n = 0;
    if (list) {
        for (int i = 0; list[i] != term && ax->n < MAXV; i++) ax->v[ax->n++] = list[i];
    } else {
        for (int i = 0; i < ndefs && ax->n < MAXV; i++) ax->v[ax->n++] = defs[i];
    }
}

/* Every divisor of n up to limit, ascending: any degree that splits the cluster evenly (PP = 12
 * or 35 as well as powers of two). */
static void divisors_upto(axis_t *ax, int n, int limit)
{
    ax->n = 0;
    for (int x = 1; x <= n && x <= limit && ax->n < MAXV; x++)
        if (n % x == 0) ax->v[ax->n++] = x;
}

typedef struct space { axis_t tp, pp, mb, il, zs, rc, sp; long total; } space_t;

static void decode(const space_t *S, long idx, const ms_dist_parallel_t *base, ms_dist_parallel_t *p)
{
    *p = *base;
    p->dp = 0;
    p->sequence_parallel = S->sp.v[idx % S->sp.n]; idx /= S->sp.n;
    p->recompute = (ms_dist_recompute_t)S->rc.v[idx % S->rc.n]; idx /= S->rc.n;
    p->zero_stage = S->zs.v[idx % S->zs.n]; idx /= S->zs.n;
    p->interleave = S->il.v[idx % S->il.n]; idx /= S->il.n;
    p->microbatch = S->mb.v[idx % S->mb.n]; idx /= S->mb.n;
    p->pp = S->pp.v[idx % S->pp.n]; idx /= S->pp.n;
    p->tp = S->tp.v[idx % S->tp.n];
}

/* Cheap validity test before the full evaluation. */
static int valid(const ms_dist_model_t *m, const ms_dist_parallel_t *p, int n)
{
    int cp = p->cp > 0 ? p->cp : 1, ep = p->ep > 0 ? p->ep : 1;
    if (p->tp <= 0 || p->pp <= 0 || p->microbatch <= 0 || p->interleave <= 0) return 0;
    if (n % (p->tp * p->pp * cp)) return 0;
    int dp = n / (p->tp * p->pp * cp);
    if (dp % ep) return 0;
    if (p->global_batch % (dp * p->microbatch)) return 0;
    if (m->layers < p->pp * p->interleave) return 0; /* uneven stages are allowed */
    if (p->interleave > 1 && p->pp == 1) return 0;
    if (m->heads % p->tp) return 0;
    if (p->sequence_parallel && p->tp == 1) return 0;
    return 1;
}

static int better(const ms_dist_candidate_t *x, long xi, const ms_dist_candidate_t *y, long yi)
{
    if (x->res.step_time_s != y->res.step_time_s) return x->res.step_time_s < y->res.step_time_s;
    return xi < yi;
}

typedef struct topk { int n, k; ms_dist_candidate_t c[16]; long idx[16]; } topk_t;

static void topk_push(topk_t *t, const ms_dist_candidate_t *c, long idx)
{
    int pos = t->n;
    while (pos > 0 && better(c, idx, &t->c[pos - 1], t->idx[pos - 1])) pos--;
    if (pos >= t->k) return;
    int last = t->n < t->k ? t->n : t->k - 1;
    for (int i = last; i > pos; i--) { t->c[i] = t->c[i - 1]; t->idx[i] = t->idx[i - 1]; }
    t->c[pos] = *c;
    t->idx[pos] = idx;
    if (t->n < t->k) t->n++;
}

static double now_s(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ms_dist_search_parallelism(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                               const ms_dist_fabric_t *f, int n, const ms_dist_parallel_t *base,
                               const ms_dist_space_t *space, int k, ms_dist_search_result_t *out,
                               char *err, size_t errlen)
{
    if (!a || !m || !f || !base || !out || n <= 0) {
        ms_scale_err(err, errlen, "search: missing input or accelerators <= 0");
        return MS_DIST_EINVAL;
    }
    if (k <= 0) k = 5;
    if (k > 16) k = 16;
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    ms_dist_space_t empty = {0};
    empty.sequence_parallel = -1;
    if (!space) space = &empty;

    space_t S;
    static const int mb_def[] = {1, 2, 4, 8}, il_def[] = {1}, zs_def[] = {0, 1, 2, 3};
    static const int rc_def[] = {0, 1, 2}, sp_both[] = {0, 1};
    if (space->tp) axis_from(&S.tp, space->tp, 0, NULL, 0); else divisors_upto(&S.tp, n, f->accels_per_node > 0 ? f->accels_per_node : 1);
    if (space->pp) axis_from(&S.pp, space->pp, 0, NULL, 0); else divisors_upto(&S.pp, n, m->layers);
    axis_from(&S.mb, space->microbatch, 0, mb_def, 4);
    axis_from(&S.il, space->interleave, 0, il_def, 1);
    axis_from(&S.zs, space->zero_stage, -1, zs_def, 4);
    axis_from(&S.rc, space->recompute, -1, rc_def, 3);
    if (space->sequence_parallel < 0) axis_from(&S.sp, NULL, 0, sp_both, 2);
    else { S.sp.n = 1; S.sp.v[0] = space->sequence_parallel ? 1 : 0; }
    if (!S.tp.n || !S.pp.n || !S.mb.n || !S.il.n || !S.zs.n || !S.rc.n) {
        ms_scale_err(err, errlen, "search: an axis of the space is empty");
        return MS_DIST_EINVAL;
    }
    S.total = (long)S.tp.n * S.pp.n * S.mb.n * S.il.n * S.zs.n * S.rc.n * S.sp.n;

    /* ---- pass 1: the k fastest plans that fit ---------------------------------------------- */
    int nth = 1;
#ifdef _OPENMP
    nth = omp_get_max_threads();
#endif
    topk_t *tk = calloc((size_t)nth, sizeof *tk);
    if (!tk) { ms_scale_err(err, errlen, "search: out of memory"); return MS_DIST_ENOMEM; }
    long evaluated = 0, feasible = 0;
#ifdef _OPENMP
#pragma omp parallel reduction(+:evaluated,feasible)
#endif
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        topk_t *t = &tk[tid];
        t->k = k;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1024)
#endif
        for (long i = 0; i < S.total; i++) {
            ms_dist_candidate_t c;
            decode(&S, i, base, &c.par);
            if (!valid(m, &c.par, n)) continue;
            if (ms_dist_train_step(a, m, &c.par, f, n, &c.res, NULL, 0) != MS_DIST_OK) continue;
            evaluated++;
            if (!c.res.fits) continue;
            feasible++;
            c.reason = MS_LOSE_NONE;
            topk_push(t, &c, i);
        }
    }
    topk_t all = { .n = 0, .k = k };
    for (int i = 0; i < nth; i++)
        for (int j = 0; j < tk[i].n; j++) topk_push(&all, &tk[i].c[j], tk[i].idx[j]);
    free(tk);
    out->evaluated = S.total;
    out->feasible = feasible;
    out->n_best = all.n;
    for (int i = 0; i < all.n; i++) out->best[i] = all.c[i];

    /* ---- pass 2: why the others lose --------------------------------------------------------- */
    const ms_dist_train_t *best = all.n ? &all.c[0].res : NULL;
    long lost[MS_LOSE_INVALID + 1] = {0};
    ms_dist_candidate_t ex[MS_LOSE_INVALID + 1];
    long exi[MS_LOSE_INVALID + 1];
    for (int r = 0; r <= MS_LOSE_INVALID; r++) exi[r] = -1;
    long top_idx = all.n ? all.idx[0] : -1;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        long my_lost[MS_LOSE_INVALID + 1] = {0};
        ms_dist_candidate_t my_ex[MS_LOSE_INVALID + 1];
        long my_exi[MS_LOSE_INVALID + 1];
        for (int r = 0; r <= MS_LOSE_INVALID; r++) my_exi[r] = -1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1024)
#endif
        for (long i = 0; i < S.total; i++) {
            if (i == top_idx) continue;
            ms_dist_candidate_t c;
            decode(&S, i, base, &c.par);
            ms_dist_loss_reason_t why;
            if (!valid(m, &c.par, n) || ms_dist_train_step(a, m, &c.par, f, n, &c.res, NULL, 0) != MS_DIST_OK) {
                why = MS_LOSE_INVALID;
                memset(&c.res, 0, sizeof c.res);
            } else if (!c.res.fits) {
                why = MS_LOSE_MEMORY;
            } else if (!best) {
                why = MS_LOSE_NONE;
            } else {
                double db = c.res.bubble_s - best->bubble_s;
                double dc = c.res.communication_s - best->communication_s;
                double dk = (c.res.compute_s + c.res.optimizer_s) - (best->compute_s + best->optimizer_s);
                why = MS_LOSE_COMPUTE;
                if (db >= dc && db >= dk) why = MS_LOSE_BUBBLE;
                else if (dc >= db && dc >= dk) why = MS_LOSE_COMMUNICATION;
            }
            c.reason = why;
            my_lost[why]++;
            if (why != MS_LOSE_INVALID && (my_exi[why] < 0 || better(&c, i, &my_ex[why], my_exi[why]))) {
                my_ex[why] = c;
                my_exi[why] = i;
            }
        }
#ifdef _OPENMP
#pragma omp critical
#endif
        {
            for (int r = 0; r <= MS_LOSE_INVALID; r++) {
                lost[r] += my_lost[r];
                if (my_exi[r] >= 0 && (exi[r] < 0 || better(&my_ex[r], my_exi[r], &ex[r], exi[r]))) {
                    ex[r] = my_ex[r];
                    exi[r] = my_exi[r];
                }
            }
        }
    }
    for (int r = 0; r <= MS_LOSE_INVALID; r++) {
        out->lost[r] = lost[r];
        out->has_example[r] = exi[r] >= 0;
        if (exi[r] >= 0) out->example[r] = ex[r];
    }
    (void)evaluated;
    out->seconds = now_s() - t0;
    return MS_DIST_OK;
}

const char *ms_dist_loss_reason_name(ms_dist_loss_reason_t r)
{
    switch (r) {
    case MS_LOSE_NONE: return "none";
    case MS_LOSE_MEMORY: return "memory";
    case MS_LOSE_BUBBLE: return "bubble";
    case MS_LOSE_COMMUNICATION: return "communication";
    case MS_LOSE_COMPUTE: return "compute";
    case MS_LOSE_INVALID: return "invalid";
    }
    return "?";
}
