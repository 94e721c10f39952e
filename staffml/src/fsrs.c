/* fsrs.c - FSRS-6 memory model, intervals and parameter fitting (formulas in staffml/fsrs.h).
 * Invariant: every state this file returns has stability in [S_MIN, S_MAX] and difficulty in
 * [1, 10], whatever the parameters, so a learner's stored state is always usable. */
#include "staffml/fsrs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MIN 0.001
#define S_MAX 36500.0

/* fsrs-rs FSRS6_DEFAULT_PARAMETERS (open-spaced-repetition/fsrs-rs, src/inference_v6.rs). */
static const double k_default[SML_FSRS_NPARAMS] = {
    0.212,  1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001,  1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542};

/* Fitting bounds, chosen to keep every formula finite and monotone in the right direction
 * (close to the ranges the reference's parameter clipper allows). */
static const double k_lo[SML_FSRS_NPARAMS] = {0.001, 0.001, 0.001, 0.001, 1.0, 0.001, 0.001,
                                             0.001, 0.0,   0.0,   0.001, 0.001, 0.001, 0.001,
                                             0.0,   0.0,   1.0,   0.0,   0.0,   0.0,   0.1};
static const double k_hi[SML_FSRS_NPARAMS] = {100.0, 100.0, 100.0, 100.0, 10.0, 4.0, 4.0,
                                             0.75,  4.5,   0.8,   3.5,   5.0,  0.25, 0.9,
                                             4.0,   1.0,   6.0,   2.0,   2.0,  0.8,  0.8};

void sml_fsrs_default_params(sml_fsrs_params *p) { memcpy(p->w, k_default, sizeof k_default); }

void sml_fsrs_param_bounds(int i, double *lo, double *hi)
{
    *lo = k_lo[i];
    *hi = k_hi[i];
}

int sml_fsrs_parse_params(const char *text, sml_fsrs_params *p, char *err, size_t errlen)
{
    if (!text || !strcmp(text, "default")) {
        sml_fsrs_default_params(p);
        return 0;
    }
    const char *s = text;
    for (int i = 0; i < SML_FSRS_NPARAMS; i++) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v)) {
            snprintf(err, errlen, "--params: parameter w%d: not a number (want 'default' or 21 "
                     "comma-separated numbers)", i);
            return -1;
        }
        if (v < k_lo[i] || v > k_hi[i]) {
            snprintf(err, errlen, "--params: parameter w%d = %g is outside [%g, %g]", i, v,
                     k_lo[i], k_hi[i]);
            return -1;
        }
        p->w[i] = v;
        s = end;
        while (*s == ' ') s++;
        if (i < SML_FSRS_NPARAMS - 1) {
            if (*s != ',') {
                snprintf(err, errlen, "--params: got %d numbers, want 21", i + 1);
                return -1;
            }
            s++;
        }
    }
    while (*s == ' ') s++;
    if (*s) {
        snprintf(err, errlen, "--params: more than 21 numbers");
        return -1;
    }
    return 0;
}

static double factor(const sml_fsrs_params *p) { return pow(0.9, -1.0 / p->w[20]) - 1.0; }

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

double sml_fsrs_retrievability(const sml_fsrs_params *p, double elapsed_days, double stability)
{
    if (elapsed_days <= 0) return 1.0;
    return pow(1.0 + factor(p) * elapsed_days / stability, -p->w[20]);
}

double sml_fsrs_interval(const sml_fsrs_params *p, double stability, double retention)
{
    return stability / factor(p) * (pow(retention, -1.0 / p->w[20]) - 1.0);
}

int sml_fsrs_interval_days(const sml_fsrs_params *p, double stability, double retention)
{
    double i = round(sml_fsrs_interval(p, stability, retention));
    return (int)clampd(i, 1.0, S_MAX);
}

static double init_difficulty(const double *w, int g) { return w[4] - exp(w[5] * (g - 1)) + 1.0; }

static double next_difficulty(const double *w, double d, int g)
{
    double delta = -w[6] * (g - 3);
    double damped = d + delta * (10.0 - d) / 9.0;               /* linear damping */
    double reverted = w[7] * init_difficulty(w, 4) + (1.0 - w[7]) * damped;  /* mean reversion */
    return clampd(reverted, 1.0, 10.0);
}

sml_fsrs_state sml_fsrs_review(const sml_fsrs_params *p, const sml_fsrs_state *s, int has_state,
                               int grade, double elapsed_days, double *r_before)
{
    const double *w = p->w;
    sml_fsrs_state out;
    if (grade < 1) grade = 1;
    if (grade > 4) grade = 4;
    if (!s || !has_state) {
        if (r_before) *r_before = -1.0;
        out.stability = clampd(w[grade - 1], S_MIN, S_MAX);
        out.difficulty = clampd(init_difficulty(w, grade), 1.0, 10.0);
        return out;
    }
    double S = s->stability, D = s->difficulty;
    double R = sml_fsrs_retrievability(p, elapsed_days, S);
    if (r_before) *r_before = R;
    double ns;
    if (elapsed_days <= 0) {
        double sinc = exp(w[17] * (grade - 3 + w[18])) * pow(S, -w[19]);
        if (grade >= 3 && sinc < 1.0) sinc = 1.0;
        ns = S * sinc;
    } else if (grade == 1) {
        double lapse = w[11] * pow(D, -w[12]) * (pow(S + 1.0, w[13]) - 1.0) * exp(w[14] * (1.0 - R));
        double cap = S / exp(w[17] * w[18]);
        ns = lapse < cap ? lapse : cap;
    } else {
        double hard = grade == 2 ? w[15] : 1.0;
        double easy = grade == 4 ? w[16] : 1.0;
        ns = S * (exp(w[8]) * (11.0 - D) * pow(S, -w[9]) * (exp(w[10] * (1.0 - R)) - 1.0) * hard *
                      easy + 1.0);
    }
    out.stability = clampd(ns, S_MIN, S_MAX);
    out.difficulty = next_difficulty(w, D, grade);
    return out;
}

/* ---- loss, RMSE, fit ---- */

/* Calls fn(pred, y, ctx) for every scored review. */
static void for_each_prediction(const sml_fsrs_params *p, const sml_fsrs_card_log *cards,
                                size_t ncards, void (*fn)(double, int, void *), void *ctx)
{
    for (size_t c = 0; c < ncards; c++) {
        sml_fsrs_state st = {0, 0};
        for (size_t i = 0; i < cards[c].n; i++) {
            const sml_fsrs_review_item *r = &cards[c].reviews[i];
            double rb;
            st = sml_fsrs_review(p, &st, i > 0, r->grade, r->elapsed_days, &rb);
            if (i > 0 && r->elapsed_days > 0) fn(rb, r->grade > 1, ctx);
        }
    }
}

typedef struct { double sum; size_t n; } loss_acc;

static void add_loss(double pred, int y, void *ctx)
{
    loss_acc *a = ctx;
    double q = clampd(pred, 1e-6, 1.0 - 1e-6);
    a->sum += y ? -log(q) : -log(1.0 - q);
    a->n++;
}

double sml_fsrs_log_loss(const sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards,
                         size_t *count)
{
    loss_acc a = {0, 0};
    for_each_prediction(p, cards, ncards, add_loss, &a);
    if (count) *count = a.n;
    return a.n ? a.sum / (double)a.n : 0.0;
}

#define NBINS 20
typedef struct { double pred[NBINS], obs[NBINS]; size_t n[NBINS]; } bin_acc;

static void add_bin(double pred, int y, void *ctx)
{
    bin_acc *b = ctx;
    int k = (int)(pred * NBINS);
    if (k >= NBINS) k = NBINS - 1;
    if (k < 0) k = 0;
    b->pred[k] += pred;
    b->obs[k] += y;
    b->n[k]++;
}

double sml_fsrs_rmse_bins(const sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards)
{
    bin_acc b;
    memset(&b, 0, sizeof b);
    for_each_prediction(p, cards, ncards, add_bin, &b);
    double se = 0;
    size_t tot = 0;
    for (int k = 0; k < NBINS; k++) {
        if (!b.n[k]) continue;
        double d = (b.pred[k] - b.obs[k]) / (double)b.n[k];
        se += d * d * (double)b.n[k];
        tot += b.n[k];
    }
    return tot ? sqrt(se / (double)tot) : 0.0;
}

static double objective(const sml_fsrs_params *p, const sml_fsrs_params *start,
                        const sml_fsrs_card_log *cards, size_t ncards, double reg)
{
    double l = sml_fsrs_log_loss(p, cards, ncards, NULL);
    double pen = 0;
    for (int i = 0; i < SML_FSRS_NPARAMS; i++) {
        double span = k_hi[i] - k_lo[i];
        double d = (p->w[i] - start->w[i]) / span;
        pen += d * d;
    }
    return l + reg * pen;
}

int sml_fsrs_fit(sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards,
                 size_t min_predictions, int iterations, sml_fsrs_fit_result *out)
{
    size_t npred = 0;
    double before = sml_fsrs_log_loss(p, cards, ncards, &npred);
    if (out) {
        out->loss_before = out->loss_after = before;
        out->predictions = npred;
        out->iterations = 0;
    }
    if (npred < min_predictions || npred == 0) return -1;
    sml_fsrs_params start = *p, best = *p;
    double reg = 1.0 / (double)npred;   /* the pull fades as the log grows */
    double best_obj = objective(p, &start, cards, ncards, reg);
    double m[SML_FSRS_NPARAMS] = {0}, v[SML_FSRS_NPARAMS] = {0};
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (int it = 1; it <= iterations; it++) {
        double g[SML_FSRS_NPARAMS];
        for (int i = 0; i < SML_FSRS_NPARAMS; i++) {
            double h = 1e-4 * (k_hi[i] - k_lo[i]);
            sml_fsrs_params a = *p, b = *p;
            a.w[i] = clampd(p->w[i] + h, k_lo[i], k_hi[i]);
            b.w[i] = clampd(p->w[i] - h, k_lo[i], k_hi[i]);
            double dw = a.w[i] - b.w[i];
            g[i] = dw > 0 ? (objective(&a, &start, cards, ncards, reg) -
                             objective(&b, &start, cards, ncards, reg)) / dw : 0.0;
        }
        for (int i = 0; i < SML_FSRS_NPARAMS; i++) {
            double lr = 0.01 * (k_hi[i] - k_lo[i]) / (i < 4 ? 10.0 : 1.0);
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mh = m[i] / (1 - pow(b1, it)), vh = v[i] / (1 - pow(b2, it));
            p->w[i] = clampd(p->w[i] - lr * mh / (sqrt(vh) + eps), k_lo[i], k_hi[i]);
        }
        double o = objective(p, &start, cards, ncards, reg);
        if (o < best_obj) {
            best_obj = o;
            best = *p;
        }
        if (out) out->iterations = it;
    }
    *p = best;
    if (out) out->loss_after = sml_fsrs_log_loss(p, cards, ncards, NULL);
    return 0;
}
