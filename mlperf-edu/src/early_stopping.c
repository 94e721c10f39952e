/* early_stopping.c - MLPerf Inference's early-stopping criterion (see loadgen.h).
 *
 * A run with h queries within a latency L and t over it is a sample of Binomial(h + t, 1 - p)
 * "overlatency" events if the true p-quantile were exactly L. When even that is unlikely,
 * P[Binomial(h + t, 1 - p) <= t] < 1 - c, the run shows with confidence c that the p-quantile is at
 * most L. For t = 0 this is p^h < 1 - c, i.e. h > ln(1 - c) / ln(p): 459 queries for p99 at 99 %.
 *
 * The binomial CDF is summed in log space (lgamma), which stays accurate for the thousands of
 * overlatency queries a long Server run can have. h(t) grows with t, and so does h(t) + t, so both
 * searches below are bisections.
 */
#include <math.h>
#include <stdint.h>
#include "mlperf_edu/loadgen.h"

double mle_es_odds(int64_t h, int64_t t, double p)
{
    /* sum_{x=0..t} C(n, x) (1-p)^x p^(n-x), n = h + t */
    const double n = (double)(h + t), lq = log1p(-p), lp = log(p);
    const double lgn = lgamma(n + 1.0);
    double sum = 0.0;
    for (int64_t x = 0; x <= t; x++) {
        double lx = (double)x;
        sum += exp(lgn - lgamma(lx + 1.0) - lgamma(n - lx + 1.0) + lx * lq + (n - lx) * lp);
    }
    return sum;
}

int64_t mle_es_min_passing(int64_t t, double p, double c)
{
    /* smallest h with odds(h, t, p) < 1 - c; odds falls as h grows */
    int64_t lo = 0, hi = 1;
    while (mle_es_odds(hi, t, p) >= 1.0 - c) {
        lo = hi;
        hi *= 2;
        if (hi > ((int64_t)1 << 40)) {
            return hi;
        }
    }
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (mle_es_odds(mid, t, p) < 1.0 - c) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

int64_t mle_es_estimate(const double *sorted, size_t n, double p, double c, double *estimate,
                        int64_t *min_queries)
{
    const int64_t h1 = mle_es_min_passing(1, p, c);
    *min_queries = h1 + 1;
    if ((int64_t)n < h1 + 1) {
        return -1;
    }
    /* largest t >= 1 with h(t) + t <= n */
    int64_t lo = 1, hi = (int64_t)n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (mle_es_min_passing(mid, p, c) + mid <= (int64_t)n) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    *estimate = sorted[(int64_t)n - lo];
    return lo;
}
