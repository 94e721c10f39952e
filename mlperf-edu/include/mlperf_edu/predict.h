/* predict.h - model vs reality for the Server scenario: from service times measured in SingleStream,
 * queueing theory predicts the latency percentile at a target QPS and the highest QPS whose percentile
 * stays within the bound. Two models, both for c identical servers fed by Poisson arrivals:
 *
 *   M/M/c   MLSys·im's Erlang-C model (ms_mmc): exponential service with the measured mean.
 *           Response quantile = waiting-time quantile + mean service time.
 *   M/G/1   c = 1 with the measured service-time distribution itself: the waiting-time tail is
 *           P(W > t) ~ rho exp(-theta t) (Cramér–Lundberg), theta > 0 solving
 *           lambda (E[exp(theta S)] - 1) = theta, with E[.] over the measured samples. Exact for
 *           exponential service; for a near-constant service (LeNet-5 on a CPU) it is M/D/1's tail.
 *           Response quantile = waiting-time quantile + mean service time.
 *
 * Which one "fits": the M/G/1 when c == 1 (it uses the measured distribution, whatever its shape);
 * M/M/c for c > 1. The prediction states which it used.
 */
#ifndef MLPERF_EDU_PREDICT_H
#define MLPERF_EDU_PREDICT_H

#include <stddef.h>

typedef struct mle_prediction {
    const char *model;          /* "M/G/1 (measured service times)" or "M/M/c (MLSys·im Erlang C)" */
    int servers;
    double service_mean_s, service_cv;
    double utilization;         /* at qps */
    double p_s;                 /* predicted response-time percentile at qps (INFINITY if unstable) */
    double max_qps;             /* highest qps with predicted percentile <= bound */
    double p_mmc_s, max_qps_mmc;  /* the M/M/c numbers, always */
    double p_mg1_s, max_qps_mg1;  /* the M/G/1 numbers (c == 1 only; else NaN) */
} mle_prediction;

/* service_s: n >= 1 measured service times (seconds). Returns 0, or -1 (message) on bad input. */
int mle_predict_server(const double *service_s, size_t n, int servers, double qps, double bound_s,
                       double percentile, mle_prediction *out, char *err, size_t errlen);

/* The M/G/1 waiting-time q-quantile at arrival rate lambda (INFINITY if rho >= 1). */
double mle_mg1_wait_quantile_s(const double *service_s, size_t n, double lambda, double q);

#endif
