/* queue.c - M/M/c queueing and the serving batch-size / replica search.
 *
 * Erlang C via the numerically stable Erlang-B recursion B_k = a·B_{k-1}/(k + a·B_{k-1}),
 * C = c·B_c/(c - a·(1 - B_c)) with offered load a = λ/μ and ρ = a/c < 1. In M/M/c the wait W
 * satisfies P(W > t) = C·e^{-(cμ-λ)t}, so its q-quantile is ln(C/(1-q))/(cμ-λ) (0 when C ≤ 1-q)
 * and its mean is C/(cμ-λ).
 * Serving: requests (Poisson, qps) are grouped into batches of b; a batch is one customer with
 * service time latency(b); a request's p99 is the time to fill its batch, (b-1)/qps, plus the
 * p99 response time (wait + service, exact) of the M/M/c queue of batches: the library's one p99
 * (ms_mmc, physics/queueing.c), and its one replica search (ms_mmc_replicas_for_p99).
 */
#include "internal.h"
#include "mlsysim/physics.h"

#include <math.h>
#include <string.h>

double ms_queue_erlang_c(double lambda, double mu, int c)
{
    if (c <= 0 || !(mu > 0)) return 1.0;
    if (lambda <= 0) return 0.0;
    double a = lambda / mu;
    if (a >= c) return 1.0;
    double B = 1.0;
    for (int k = 1; k <= c; k++) B = a * B / (k + a * B);
    return c * B / (c - a * (1.0 - B));
}

double ms_queue_wait_quantile_s(double lambda, double mu, int c, double q)
{
    if (c <= 0 || !(mu > 0) || lambda >= c * mu) return INFINITY;
    double C = ms_queue_erlang_c(lambda, mu, c);
    if (C <= 1.0 - q) return 0.0;
    return log(C / (1.0 - q)) / (c * mu - lambda);
}

double ms_queue_mean_wait_s(double lambda, double mu, int c)
{
    if (c <= 0 || !(mu > 0) || lambda >= c * mu) return INFINITY;
    return ms_queue_erlang_c(lambda, mu, c) / (c * mu - lambda);
}

int ms_dist_search_batching(ms_dist_batch_latency_fn latency, void *ctx, int max_batch,
                            double sla_s, double qps, int max_replicas, ms_dist_batching_t *out,
                            char *err, size_t errlen)
{
    if (!latency || !out || max_batch <= 0 || !(sla_s > 0) || !(qps > 0) || max_replicas <= 0) {
        ms_scale_err(err, errlen, "batching: need a latency model, max_batch > 0, sla > 0, qps > 0, max_replicas > 0");
        return MS_DIST_EINVAL;
    }
    memset(out, 0, sizeof *out);
    int found = 0;
    for (int b = 1; b <= max_batch; b++) {
        double L = latency(b, ctx);
        if (!(L > 0) || !isfinite(L)) continue;
        double fill = (b - 1) / qps;
        if (fill + L > sla_s) continue;
        double lam = qps / b, mu = 1.0 / L;
        int cap = found ? out->replicas : max_replicas;
        int c = ms_mmc_replicas_for_p99(lam, L, sla_s - fill, cap);
        if (c == 0) continue;
        ms_queue_result q;
        ms_mmc(lam, L, c, &q);
        double p99 = fill + q.p99_s;
        if (!found || c < out->replicas || (c == out->replicas && p99 < out->p99_latency_s)) {
            out->batch = b;
            out->replicas = c;
            out->batch_latency_s = L;
            out->p99_latency_s = p99;
            out->utilization = lam / (c * mu);
            out->throughput_per_s = c * mu * b;
            found = 1;
        }
    }
    if (!found) {
        ms_scale_err(err, errlen, "batching: no batch size up to %d meets p99 <= %g s at %g req/s with <= %d replicas",
                     max_batch, sla_s, qps, max_replicas);
        return MS_DIST_EINVAL;
    }
    return MS_DIST_OK;
}
