/* queueing.c - M/M/c tail latency (Erlang C) and the M/G/c approximation (M/D/c for fixed service).
 *
 * λ arrivals/s, service time 1/μ, c replicas, offered load a = λ/μ, utilization ρ = a/c < 1.
 * Erlang C (probability of waiting) comes from ms_queue_erlang_c (src/scale/queue.c), the one
 * implementation of the Erlang B recursion in the library (Kleinrock, Queueing Systems I, §3.5).
 * Mean wait W_q = C / (cμ - λ). Response time T = wait + service has the exact tail
 *   P(T > t) = e^{-μt} · [1 + C·μ/(cμ - λ - μ) · (1 - e^{-(cμ-λ-μ)t})]     (cμ - λ ≠ μ)
 *   P(T > t) = e^{-μt} · [1 + C·μ·t]                                         (cμ - λ = μ)
 * (for c = 1 this is e^{-(μ-λ)t}, the M/M/1 sojourn time); quantiles by bisection.
 */
#include "mlsysim/distributed.h"
#include "mlsysim/physics.h"

#include <math.h>

static double tail(double t, double mu, double lam, double c, double C)
{
    double g = c * mu - lam - mu;
    if (fabs(g) < 1e-12 * mu) return exp(-mu * t) * (1.0 + C * mu * t);
    return exp(-mu * t) * (1.0 + C * mu / g * (1.0 - exp(-g * t)));
}

static double quantile(double q, double mu, double lam, double c, double C)
{
    double target = 1.0 - q;                 /* P(T > t) = 1 - q */
    double lo = 0, hi = 1.0 / mu;
    while (tail(hi, mu, lam, c, C) > target && hi < 1e12) hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (tail(mid, mu, lam, c, C) > target) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void ms_mmc(double lam, double service_s, int replicas, ms_queue_result *o)
{
    o->utilization = o->p_wait = o->mean_wait_s = o->p50_s = o->p99_s = 0;
    o->stable = 0;
    if (!(lam >= 0) || !(service_s > 0) || replicas < 1) return;
    double mu = 1.0 / service_s, c = replicas, a = lam / mu;
    o->utilization = a / c;
    if (o->utilization >= 1.0) { o->utilization = fmin(o->utilization, 1e9); return; }
    double C = ms_queue_erlang_c(lam, mu, replicas);
    o->stable = 1;
    o->p_wait = C;
    o->mean_wait_s = C / (c * mu - lam);
    o->p50_s = quantile(0.50, mu, lam, c, C);
    o->p99_s = quantile(0.99, mu, lam, c, C);
}

/* p99 response time falls as servers are added (for a stable queue), so the smallest replica count
 * is found by galloping from the first stable count, then bisecting. */
static int p99_ok(double lam, double service_s, int replicas, int slots, double target)
{
    ms_queue_result q;
    long servers = (long)replicas * slots;
    ms_mmc(lam, service_s, servers > 1000000000L ? 1000000000 : (int)servers, &q);
    return q.stable && q.p99_s <= target;
}

int ms_mmc_replicas_for_p99_slots(double lam, double service_s, int slots, double p99_target_s,
                                  int max_replicas)
{
    if (!(lam > 0) || !(service_s > 0) || slots < 1 || max_replicas < 1 || !(p99_target_s >= service_s))
        return 0;
    double need = lam * service_s / slots;                     /* replicas for utilization 1 */
    if (need >= max_replicas) return 0;
    int lo = (int)floor(need);                                  /* lo fails (unstable or slow) */
    if (lo < 1 && p99_ok(lam, service_s, 1, slots, p99_target_s)) return 1;
    if (lo < 1) lo = 1;
    long hi = lo + 1, step = 1;
    while (hi <= max_replicas && !p99_ok(lam, service_s, (int)hi, slots, p99_target_s)) {
        lo = (int)hi;
        hi += step;
        step *= 2;
    }
    if (hi > max_replicas) {
        hi = max_replicas;
        if (!p99_ok(lam, service_s, (int)hi, slots, p99_target_s)) return 0;
    }
    while (hi - lo > 1) {                                       /* lo fails, hi meets */
        int mid = lo + (int)((hi - lo) / 2);
        if (p99_ok(lam, service_s, mid, slots, p99_target_s)) hi = mid; else lo = mid;
    }
    return (int)hi;
}

int ms_mmc_replicas_for_p99(double lam, double service_s, double p99_target_s, int max_replicas)
{
    return ms_mmc_replicas_for_p99_slots(lam, service_s, 1, p99_target_s, max_replicas);
}

/* ---- M/G/c (Allen–Cunneen) ------------------------------------------------------------------- */

void ms_mgc(double lam, double service_s, double cs2, int replicas, ms_queue_result *o)
{
    if (cs2 == 1.0) { ms_mmc(lam, service_s, replicas, o); return; }
    o->utilization = o->p_wait = o->mean_wait_s = o->p50_s = o->p99_s = 0;
    o->stable = 0;
    if (!(lam >= 0) || !(service_s > 0) || replicas < 1 || !(cs2 >= 0) || !isfinite(cs2)) return;
    double mu = 1.0 / service_s, c = replicas, a = lam / mu;
    o->utilization = a / c;
    if (o->utilization >= 1.0) { o->utilization = fmin(o->utilization, 1e9); return; }
    double C = ms_queue_erlang_c(lam, mu, replicas);
    double theta = (1.0 + cs2) / (2.0 * (c * mu - lam));   /* mean wait given a wait */
    o->stable = 1;
    o->p_wait = C;
    o->mean_wait_s = C * theta;
    /* wait quantile: P(W > t) = C e^{-t/θ} = 1 - q  ->  t = θ ln(C / (1 - q)), 0 when C <= 1 - q */
    o->p50_s = service_s + (C > 0.5 ? theta * log(C / 0.5) : 0.0);
    o->p99_s = service_s + (C > 0.01 ? theta * log(C / 0.01) : 0.0);
}
