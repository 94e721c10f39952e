/* predict.c - the queueing predictions of predict.h.
 *
 * M/G/1 tail: for Poisson arrivals at rate lambda and i.i.d. service S, the waiting time W satisfies
 * P(W > t) ~ C exp(-theta t) where theta > 0 solves lambda (M_S(theta) - 1) = theta (the adjustment
 * coefficient; Cramér–Lundberg). We take C = rho, which is exact for exponential service, and M_S
 * from the measured samples. f(theta) = lambda (M_S(theta) - 1) - theta is convex with f(0) = 0 and
 * f'(0) = rho - 1 < 0, so its positive root is found by bracketing and bisection.
 */
#include <math.h>
#include <stdio.h>
#include "mlperf_edu/predict.h"
#include "mlsysim/distributed.h"

static double mgf_minus_one(const double *s, size_t n, double theta)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += expm1(theta * s[i]);
    }
    return sum / (double)n;
}

double mle_mg1_wait_quantile_s(const double *s, size_t n, double lambda, double q)
{
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += s[i];
    }
    mean /= (double)n;
    double rho = lambda * mean;
    if (!(rho < 1.0)) {
        return INFINITY;
    }
    if (rho <= 0.0 || rho <= 1.0 - q) {
        return 0.0; /* P(W > 0) = rho is already below 1 - q */
    }
    double lo = 0.0, hi = 1.0 / mean;
    while (lambda * mgf_minus_one(s, n, hi) - hi < 0.0) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e15) {
            return INFINITY;
        }
    }
    for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (lambda * mgf_minus_one(s, n, mid) - mid < 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    double theta = 0.5 * (lo + hi);
    return log(rho / (1.0 - q)) / theta;
}

static double mmc_response(double lambda, double mean_s, int c, double q)
{
    if (lambda * mean_s >= (double)c) {
        return INFINITY;
    }
    return ms_queue_wait_quantile_s(lambda, 1.0 / mean_s, c, q) + mean_s;
}

/* Highest lambda in (0, c / mean) whose response quantile f(lambda) <= bound; f grows with lambda. */
static double max_rate(double (*f)(double lambda, const void *ctx), const void *ctx, double cap, double bound)
{
    double lo = 0.0, hi = cap;
    if (f(1e-9 * cap, ctx) > bound) {
        return 0.0;
    }
    for (int i = 0; i < 60 && hi - lo > 1e-9 * cap; i++) {
        double mid = 0.5 * (lo + hi);
        if (f(mid, ctx) <= bound) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

typedef struct pctx { const double *s; size_t n; double mean, q; int c; } pctx;

static double f_mmc(double lambda, const void *v)
{
    const pctx *p = v;
    return mmc_response(lambda, p->mean, p->c, p->q);
}

static double f_mg1(double lambda, const void *v)
{
    const pctx *p = v;
    return mle_mg1_wait_quantile_s(p->s, p->n, lambda, p->q) + p->mean;
}

int mle_predict_server(const double *s, size_t n, int servers, double qps, double bound_s, double percentile,
                       mle_prediction *out, char *err, size_t errlen)
{
    if (n == 0 || servers < 1 || !(qps > 0.0) || !(bound_s > 0.0) || !(percentile > 0.0 && percentile < 1.0)) {
        snprintf(err, errlen, "prediction: need service times, servers >= 1, qps > 0, bound > 0, percentile in (0,1)");
        return -1;
    }
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(s[i] > 0.0) || !isfinite(s[i])) {
            snprintf(err, errlen, "prediction: service time %zu is %g s (want > 0)", i, s[i]);
            return -1;
        }
        mean += s[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        ss += (s[i] - mean) * (s[i] - mean);
    }
    pctx p = {s, n, mean, percentile, servers};
    out->servers = servers;
    out->service_mean_s = mean;
    out->service_cv = n > 1 ? sqrt(ss / (double)(n - 1)) / mean : 0.0;
    out->utilization = qps * mean / servers;
    out->p_mmc_s = f_mmc(qps, &p);
    out->max_qps_mmc = max_rate(f_mmc, &p, servers / mean, bound_s);
    if (servers == 1) {
        out->p_mg1_s = f_mg1(qps, &p);
        out->max_qps_mg1 = max_rate(f_mg1, &p, 1.0 / mean, bound_s);
        out->model = "M/G/1 (measured service times)";
        out->p_s = out->p_mg1_s;
        out->max_qps = out->max_qps_mg1;
    } else {
        out->p_mg1_s = out->max_qps_mg1 = NAN;
        out->model = "M/M/c (MLSys·im Erlang C)";
        out->p_s = out->p_mmc_s;
        out->max_qps = out->max_qps_mmc;
    }
    return 0;
}
