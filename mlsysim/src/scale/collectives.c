/* collectives.c - α–β cost of collective operations, flat and hierarchical.
 *
 * Model: a message of M bytes between two ranks takes α + M/β; β is the per-direction bandwidth of
 * the slowest link a rank uses. Ring algorithms are bandwidth-optimal (each rank sends (n-1)/n·M
 * per phase); trees trade bandwidth for log2(n) latency. Invariants: n <= 1 or bytes <= 0 costs 0;
 * every time is finite and non-negative for finite positive inputs.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"
#include "../core/file_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double ms_coll_bytes_per_rank(ms_dist_coll_t kind, double bytes, int n)
{
    if (n <= 1 || bytes <= 0.0) return 0.0;
    double frac = (double)(n - 1) / (double)n;
    switch (kind) {
    case MS_COLL_ALLREDUCE_RING: return 2.0 * frac * bytes;
    case MS_COLL_ALLREDUCE_TREE: return 2.0 * ceil(log2((double)n)) * bytes;
    case MS_COLL_REDUCE_SCATTER:
    case MS_COLL_ALL_GATHER:
    case MS_COLL_ALL_TO_ALL: return frac * bytes;
    }
    return 0.0;
}

/* Number of sequential latency steps of each algorithm. */
static double latency_steps(ms_dist_coll_t kind, int n)
{
    switch (kind) {
    case MS_COLL_ALLREDUCE_RING: return 2.0 * (n - 1);
    case MS_COLL_ALLREDUCE_TREE: return 2.0 * ceil(log2((double)n));
    default: return (double)(n - 1);
    }
}

static double flat_s(ms_dist_coll_t kind, double bytes, int n, double bw, double alpha)
{
    if (n <= 1 || bytes <= 0.0) return 0.0;
    if (!(bw > 0.0)) return INFINITY;
    return ms_coll_bytes_per_rank(kind, bytes, n) / bw + latency_steps(kind, n) * alpha;
}

double ms_coll_allreduce_ring_s(double bytes, int n, double bw, double alpha)
{
    return flat_s(MS_COLL_ALLREDUCE_RING, bytes, n, bw, alpha);
}

double ms_coll_allreduce_tree_s(double bytes, int n, double bw, double alpha)
{
    return flat_s(MS_COLL_ALLREDUCE_TREE, bytes, n, bw, alpha);
}

double ms_coll_reduce_scatter_s(double bytes, int n, double bw, double alpha)
{
    return flat_s(MS_COLL_REDUCE_SCATTER, bytes, n, bw, alpha);
}

double ms_coll_all_gather_s(double bytes, int n, double bw, double alpha)
{
    return flat_s(MS_COLL_ALL_GATHER, bytes, n, bw, alpha);
}

double ms_coll_all_to_all_s(double bytes, int n, double bw, double alpha)
{
    return flat_s(MS_COLL_ALL_TO_ALL, bytes, n, bw, alpha);
}

/* Hierarchical, multi-rail collective for a group of n ranks, `local` of them per node.
 *   all-reduce:      intra reduce-scatter(M) + inter all-reduce(M/local) + intra all-gather(M)
 *   reduce-scatter:  intra reduce-scatter(M) + inter reduce-scatter(M/local)
 *   all-gather:      inter all-gather(M/local) + intra all-gather(M)
 *   all-to-all:      every rank exchanges (n-1)/n·M; the part leaving the node, (n-local)/n·M per
 *                    rank, shares the node's NICs with the other local ranks.
 * Multi-rail: every accelerator of a node drives its own NIC (rail), so each rank's inter-node
 * share is bw_inter / accels_per_node, and the `local` ranks of a group run their inter-node
 * pieces at the same time on different rails. As NCCL runs them, the phases are pipelined in
 * chunks: the NVLink and network phases overlap and the bandwidth term is the slower phase, while
 * every phase's latency steps add up; all-gather and reduce-scatter, which NCCL runs as one flat
 * ring through every rank, pay one step per rank instead (ring_across_nodes_lat). The network phase of a ring carries what NCCL's ring puts
 * through a node's NICs: each of its 2(n-1) steps sends one M/n chunk out of every node, so a node
 * sends 2(n-1)/n·M per all-reduce whatever the node count (a reduce-scatter then all-gather over
 * the nodes alone would send 2(N-1)/N·M, up to twice less on 2 nodes, which NCCL's ring does not
 * do). NCCL-tests' bus bandwidth busbw = algbw·2(n-1)/n is then the node's network bandwidth
 * (nccl-tests doc/PERFORMANCE.md): 200 GB/s line rate on DGX A100 with 8 × 200 Gb/s HDR rails,
 * 0.94 of it achievable (ms_dist_fabric_achievable). */
/* algo: what NCCL runs it as (ms_coll_time_parts_s names it): 0 ring (flat, or hierarchical across nodes),
 * 1 NVLink SHARP inside a node, 2 NVLink SHARP's tree on two nodes */
typedef struct phase { double bw_s, lat_s; int algo; } phase_t;

static phase_t phase_of(ms_dist_coll_t kind, double bytes, int n, double bw, double alpha)
{
    phase_t p = {0.0, 0.0, 0};
    if (n <= 1 || bytes <= 0.0) return p;
    p.bw_s = bw > 0.0 ? ms_coll_bytes_per_rank(kind, bytes, n) / bw : INFINITY;
    p.lat_s = latency_steps(kind, n) * alpha;
    return p;
}

/* The inter-node phase of a ring over n ranks in `nodes` nodes: each rail carries the share of
 * M/local that NCCL's ring sends through a node per rank, (n-1)/n-based (every one of the ring's
 * steps moves one M/n chunk out of each node), with the latency steps of a ring over the nodes. */
static phase_t ring_inter(ms_dist_coll_t kind, double bytes_local, int n, int nodes, double bw, double alpha)
{
    phase_t p = {0.0, 0.0, 0};
    if (nodes <= 1 || bytes_local <= 0.0) return p;
    p.bw_s = bw > 0.0 ? ms_coll_bytes_per_rank(kind, bytes_local, n) / bw : INFINITY;
    p.lat_s = latency_steps(kind, nodes) * alpha;
    return p;
}

/* Latency of an all-gather or reduce-scatter across `nodes` nodes: NCCL's flat ring through all n
 * ranks, one step per rank, at NCCL's Simple-protocol step latencies or the fabric's α where that
 * is larger (distributed.h, MS_NCCL_RING_*). */
static double ring_across_nodes_lat(int n, int nodes, double alpha_intra, double alpha_inter)
{
    double in = alpha_intra > MS_NCCL_RING_NVLINK_STEP_S ? alpha_intra : MS_NCCL_RING_NVLINK_STEP_S;
    double out = alpha_inter > MS_NCCL_RING_NET_STEP_S ? alpha_inter : MS_NCCL_RING_NET_STEP_S;
    return MS_NCCL_RING_BASE_LATENCY_S + (double)(n - nodes) * in + (double)(nodes - 1) * out;
}

void ms_dist_fabric_achievable(const ms_dist_fabric_t *f, ms_dist_fabric_t *out)
{
    if (!f || !out) return;
    *out = *f;
    double ei = f->intra_efficiency > 0 ? f->intra_efficiency : MS_DIST_INTRA_LINK_EFFICIENCY;
    double eo = f->inter_efficiency > 0 ? f->inter_efficiency : MS_DIST_INTER_LINK_EFFICIENCY;
    out->intra_bw_bytes_per_s *= ei;
    out->inter_bw_bytes_per_s *= eo;
}

static phase_t pipelined(phase_t a, phase_t b, phase_t c)
{
    phase_t t = {a.bw_s > b.bw_s ? a.bw_s : b.bw_s, a.lat_s + b.lat_s + c.lat_s, 0};
    if (c.bw_s > t.bw_s) t.bw_s = c.bw_s;
    return t;
}

/* 1 if an all-reduce on f may run through NVLink SHARP (the node has it, NCCL_ALGO not forced). */
static int nvls_on(const ms_dist_fabric_t *f)
{
    return f->nvls_efficiency > 0.0 && !f->ring_only;
}

double ms_coll_nvls_bw_s(double bytes, double bw, double efficiency)
{
    if (!(bytes > 0.0)) return 0.0;
    return efficiency > 0.0 && bw > 0.0 ? bytes / (efficiency * bw) : INFINITY;
}

/* The faster of two ways to run a collective, as NCCL's tuner picks (a on a tie). */
static phase_t faster(phase_t a, phase_t b)
{
    return b.bw_s + b.lat_s < a.bw_s + a.lat_s ? b : a;
}

/* The cost of ms_coll_time_s, its bandwidth and latency terms apart. */
static phase_t coll_cost(ms_dist_coll_t kind, double bytes, int n, int stride, const ms_dist_fabric_t *f)
{
    phase_t none = {0.0, 0.0, 0};
    if (n <= 1 || bytes <= 0.0 || !f) return none;
    int g = f->accels_per_node > 0 ? f->accels_per_node : 1;
    if (stride < 1) stride = 1;
    int local = g / stride;
    if (local < 1) local = 1;
    if (local > n) local = n;
    while (n % local != 0) local--; /* keep groups even */
    int nodes = n / local;
    double bi = f->intra_bw_bytes_per_s, ai = f->intra_alpha_s;
    double bo = f->inter_bw_bytes_per_s / (double)g, ao = f->inter_alpha_s;
    /* The node's NICs are shared by all g accelerators, which run their own groups at the same
     * time (e.g. 8 DP groups of the 8 TP ranks), so each rank gets bw_inter/g: one rail each. */
    phase_t c;
    if (nodes == 1) {
        int ri = ms_coll_regime_index(f->intra_regimes, bytes);
        if (ri >= 0) { bi = f->intra_regimes->bw_bytes_per_s[ri]; ai = f->intra_regimes->alpha_s[ri]; }
        c = phase_of(kind, bytes, n, bi, ai);
        if (ri < 0) c.lat_s += MS_NCCL_LL_BASE_LATENCY_S;   /* measured regimes hold their own */
        /* NVLink SHARP: M over each accelerator's links at the switch's rate, where NCCL's model
         * finds it faster than the ring (large messages; more than 2 ranks) */
        if (kind == MS_COLL_ALLREDUCE_RING && ri < 0 && nvls_on(f)) {
            phase_t nv = {ms_coll_nvls_bw_s(bytes, bi, f->nvls_efficiency), MS_NCCL_NVLS_LATENCY_S, 1};
            c = faster(c, nv);
        }
        return c;
    }
    if (kind == MS_COLL_REDUCE_SCATTER || kind == MS_COLL_ALL_GATHER) {
        /* bandwidth: the slower of the pipelined NVLink and network phases; latency: the flat ring */
        phase_t net = local == 1 ? phase_of(kind, bytes, n, bo, ao) : ring_inter(kind, bytes / local, n, nodes, bo, ao);
        phase_t nvl = phase_of(kind, bytes, local, bi, ai);
        phase_t t = {net.bw_s > nvl.bw_s ? net.bw_s : nvl.bw_s, ring_across_nodes_lat(n, nodes, ai, ao), 0};
        return t;
    }
    c = none;
    if (local == 1) c = phase_of(kind, bytes, n, bo, ao);
    else switch (kind) {
    case MS_COLL_ALLREDUCE_RING:
        c = pipelined(phase_of(MS_COLL_REDUCE_SCATTER, bytes, local, bi, ai),
                      ring_inter(kind, bytes / local, n, nodes, bo, ao),
                      phase_of(MS_COLL_ALL_GATHER, bytes, local, bi, ai));
        break;
    case MS_COLL_ALLREDUCE_TREE:
        c = pipelined(phase_of(MS_COLL_REDUCE_SCATTER, bytes, local, bi, ai),
                      phase_of(kind, bytes / local, nodes, bo, ao),
                      phase_of(MS_COLL_ALL_GATHER, bytes, local, bi, ai));
        break;
    case MS_COLL_REDUCE_SCATTER:
    case MS_COLL_ALL_GATHER:
        break;   /* above */
    case MS_COLL_ALL_TO_ALL: {
        double in = bytes * (double)(local - 1) / n, out = bytes * (double)(n - local) / n;
        c.bw_s = bi > 0 ? in / bi : INFINITY;
        c.lat_s = (local - 1) * ai + (n - local) * ao;
        double t_out = bo > 0 ? out / bo : INFINITY;
        if (t_out > c.bw_s) c.bw_s = t_out;
        break;
    }
    }
    c.lat_s += MS_NCCL_LL_BASE_LATENCY_S;     /* one collective: NCCL's base latency once */
    /* On two nodes NCCL runs its tree, NVLink SHARP's tree where the node has it (NVLSTree): each
     * node sends M to the other and receives M back, M/local on each rail, where the ring sends
     * 2(n-1)/n·M; inside the node NVLink SHARP reduces and multicasts M. */
    if (kind == MS_COLL_ALLREDUCE_RING && nodes == 2 && local > 1 && nvls_on(f)) {
        double intra = ms_coll_nvls_bw_s(bytes, bi, f->nvls_efficiency), inter = bo > 0 ? bytes / local / bo : INFINITY;
        phase_t tr = {intra > inter ? intra : inter, MS_NCCL_NVLS_LATENCY_S + 2.0 * ao, 2};
        c = faster(c, tr);
    }
    return c;
}

double ms_coll_time_s(ms_dist_coll_t kind, double bytes, int n, int stride,
                      const ms_dist_fabric_t *f)
{
    phase_t c = coll_cost(kind, bytes, n, stride, f);
    return c.bw_s + c.lat_s;
}

double ms_coll_time_parts_s(ms_dist_coll_t kind, double bytes, int n, int stride, const ms_dist_fabric_t *f,
                            double *lat_s, const char **algorithm)
{
    static const char *const names[] = {"ring", "nvls", "nvls_tree"};
    phase_t c = coll_cost(kind, bytes, n, stride, f);
    if (lat_s) *lat_s = c.lat_s;
    if (algorithm) *algorithm = names[c.algo];
    return c.bw_s + c.lat_s;
}

double ms_coll_bus_bw(ms_dist_coll_t kind, double bytes, int n, double seconds)
{
    if (n <= 1 || !(bytes > 0.0) || !(seconds > 0.0)) return 0.0;
    double algbw = bytes / seconds, frac = (double)(n - 1) / (double)n;
    switch (kind) {
    case MS_COLL_ALLREDUCE_RING:
    case MS_COLL_ALLREDUCE_TREE: return algbw * 2.0 * frac;
    default: return algbw * frac;
    }
}

/* ---- message-size regimes -------------------------------------------------------------------- */

int ms_coll_regime_index(const ms_coll_regimes_t *r, double bytes)
{
    if (!r || r->n <= 0) return -1;
    int i = 0;
    while (i + 1 < r->n && bytes >= r->min_bytes[i + 1]) i++;
    return i;
}

double ms_coll_allreduce_ring_regimes_s(double bytes, int n, const ms_coll_regimes_t *r)
{
    int i = ms_coll_regime_index(r, bytes);
    if (i < 0) return 0.0;
    return ms_coll_allreduce_ring_s(bytes, n, r->bw_bytes_per_s[i], r->alpha_s[i]);
}

/* Sum of squared log errors of the ring model over points [lo, hi). */
static double seg_loss(const double *m, const double *t, int lo, int hi, int n, double bw, double alpha)
{
    double s = 0;
    for (int i = lo; i < hi; i++) {
        double e = log(ms_coll_allreduce_ring_s(m[i], n, bw, alpha) / t[i]);
        s += e * e;
    }
    return s;
}

static double seg_maxerr(const double *m, const double *t, int lo, int hi, int n, double bw, double alpha)
{
    double mx = 0;
    for (int i = lo; i < hi; i++) {
        double e = fabs(ms_coll_allreduce_ring_s(m[i], n, bw, alpha) - t[i]) / t[i];
        if (e > mx) mx = e;
    }
    return mx;
}

/* α, β on points [lo, hi): least squared log error first: a start through the two ends, then a pattern
 * search in log space (both stay positive), then the smallest worst relative error from there.
 * Returns that worst relative error. */
static double seg_fit(const double *m, const double *t, int lo, int hi, int n, double *bw_out, double *alpha_out)
{
    double c = 2.0 * (n - 1) / n, steps = 2.0 * (n - 1);
    double slope = hi - 1 > lo ? (t[hi - 1] - t[lo]) / (m[hi - 1] - m[lo]) : t[lo] / m[lo];
    double bw = c / (slope > 0 ? slope : 1e-15);
    double alpha = (t[lo] - c * m[lo] / bw) / steps;
    if (!(alpha > 1e-9)) alpha = 1e-9;
    if (!(bw > 0) || !isfinite(bw)) bw = c * m[hi - 1] / t[hi - 1];
    double best = seg_loss(m, t, lo, hi, n, bw, alpha);
    for (double step = 1.0; step > 1e-4; step *= 0.5) {
        int moved = 1;
        for (int guard = 0; moved && guard < 200; guard++) {
            moved = 0;
            const double db[4] = {exp(step), exp(-step), 1, 1}, da[4] = {1, 1, exp(step), exp(-step)};
            for (int d = 0; d < 4; d++) {
                double l = seg_loss(m, t, lo, hi, n, bw * db[d], alpha * da[d]);
                if (l < best) { best = l; bw *= db[d]; alpha *= da[d]; moved = 1; }
            }
        }
    }
    /* then the same search on the worst relative error (the figure the split is judged by) */
    double mx = seg_maxerr(m, t, lo, hi, n, bw, alpha);
    for (double step = 0.25; step > 1e-4; step *= 0.5) {
        int moved = 1;
        for (int guard = 0; moved && guard < 200; guard++) {
            moved = 0;
            const double db[4] = {exp(step), exp(-step), 1, 1}, da[4] = {1, 1, exp(step), exp(-step)};
            for (int d = 0; d < 4; d++) {
                double e = seg_maxerr(m, t, lo, hi, n, bw * db[d], alpha * da[d]);
                if (e < mx) { mx = e; bw *= db[d]; alpha *= da[d]; moved = 1; }
            }
        }
    }
    *bw_out = bw;
    *alpha_out = alpha;
    return mx;
}

#define FIT_MAXK 64

double ms_coll_regimes_fit(const double *bytes, const double *seconds, int k, int n, int max_regimes,
                           int min_points, ms_coll_regimes_t *out)
{
    if (!bytes || !seconds || !out || k < 1 || k > FIT_MAXK || n < 2 || max_regimes < 1 || min_points < 1)
        return -1.0;
    if (max_regimes > MS_COLL_MAX_REGIMES) max_regimes = MS_COLL_MAX_REGIMES;
    for (int i = 0; i < k; i++) {
        if (!(bytes[i] > 0) || !(seconds[i] > 0) || !isfinite(bytes[i]) || !isfinite(seconds[i])) return -1.0;
        if (i > 0 && !(bytes[i] > bytes[i - 1])) return -1.0;
    }
    if (min_points > k) min_points = k;
    /* best[r][j]: smallest max error covering points [0, j) with r regimes; cut[r][j]: start of last */
    static const double INF = 1e300;
    double best[MS_COLL_MAX_REGIMES + 1][FIT_MAXK + 1];
    int cut[MS_COLL_MAX_REGIMES + 1][FIT_MAXK + 1];
    for (int r = 0; r <= max_regimes; r++)
        for (int j = 0; j <= k; j++) { best[r][j] = INF; cut[r][j] = -1; }
    best[0][0] = 0.0;
    for (int r = 1; r <= max_regimes; r++)
        for (int j = min_points; j <= k; j++)
            for (int i = 0; i + min_points <= j; i++) {
                if (best[r - 1][i] >= INF) continue;
                double bw, al;
                double e = seg_fit(bytes, seconds, i, j, n, &bw, &al);
                double v = e > best[r - 1][i] ? e : best[r - 1][i];
                if (v < best[r][j]) { best[r][j] = v; cut[r][j] = i; }
            }
    int R = -1;
    double err = INF;
    for (int r = 1; r <= max_regimes; r++)
        if (best[r][k] < err - 0.005) { err = best[r][k]; R = r; }
    if (R < 0) return -1.0;
    memset(out, 0, sizeof *out);
    out->n = R;
    int j = k;
    for (int r = R; r >= 1; r--) {
        int i = cut[r][j];
        seg_fit(bytes, seconds, i, j, n, &out->bw_bytes_per_s[r - 1], &out->alpha_s[r - 1]);
        out->min_bytes[r - 1] = i == 0 ? bytes[0] : sqrt(bytes[i - 1] * bytes[i]);
        j = i;
    }
    return err;
}

int ms_coll_regimes_load(const char *path, ms_coll_regimes_t *out, char *err, size_t errlen)
{
    if (!path || !out) { ms_scale_err(err, errlen, "regimes: missing path"); return MS_DIST_EINVAL; }
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) { ms_scale_err(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return MS_DIST_EIO; }
    char line[512];
    int lineno = 0, header = 0, rc = MS_DIST_OK;
    static const char *cols[3] = {"min_bytes", "bw_bytes_per_s", "alpha_s"};
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            ms_scale_err(err, errlen, "%s:%d: line longer than %zu characters", path, lineno, sizeof line - 2);
            rc = MS_DIST_EIO;
            break;
        }
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        if (!header) {
            if (strcmp(line, "min_bytes,bw_bytes_per_s,alpha_s") != 0) {
                ms_scale_err(err, errlen, "%s:%d: header must be min_bytes,bw_bytes_per_s,alpha_s", path, lineno);
                rc = MS_DIST_EIO;
                break;
            }
            header = 1;
            continue;
        }
        if (out->n >= MS_COLL_MAX_REGIMES) {
            ms_scale_err(err, errlen, "%s:%d: more than %d regimes", path, lineno, MS_COLL_MAX_REGIMES);
            rc = MS_DIST_EIO;
            break;
        }
        double v[3];
        char *p = line;
        for (int c = 0; c < 3 && rc == MS_DIST_OK; c++) {
            char *end;
            errno = 0;
            v[c] = strtod(p, &end);
            int sep_ok = c < 2 ? *end == ',' : *end == 0;
            if (end == p || errno || !sep_ok || !isfinite(v[c]) || !(v[c] > 0)) {
                ms_scale_err(err, errlen, "%s:%d: column %s: want a finite number > 0", path, lineno, cols[c]);
                rc = MS_DIST_EIO;
            }
            p = end + 1;
        }
        if (rc) break;
        if (out->n > 0 && !(v[0] > out->min_bytes[out->n - 1])) {
            ms_scale_err(err, errlen, "%s:%d: column min_bytes: %g is not above the previous regime's %g",
                         path, lineno, v[0], out->min_bytes[out->n - 1]);
            rc = MS_DIST_EIO;
            break;
        }
        out->min_bytes[out->n] = v[0];
        out->bw_bytes_per_s[out->n] = v[1];
        out->alpha_s[out->n] = v[2];
        out->n++;
    }
    if (rc == MS_DIST_OK && ferror(fp)) { ms_scale_err(err, errlen, "%s: read error", path); rc = MS_DIST_EIO; }
    if (rc == MS_DIST_OK && out->n == 0) { ms_scale_err(err, errlen, "%s: no regimes", path); rc = MS_DIST_EIO; }
    fclose(fp);
    if (rc) out->n = 0;
    return rc;
}

typedef struct { const ms_coll_regimes_t *r; const char *comment; } regimes_file;

static int write_regimes(FILE *fp, const void *ctx)
{
    const regimes_file *rf = ctx;
    ms_write_comment_lines(fp, rf->comment);
    fprintf(fp, "min_bytes,bw_bytes_per_s,alpha_s\n");
    for (int i = 0; i < rf->r->n; i++)
        fprintf(fp, "%.9g,%.9g,%.9g\n", rf->r->min_bytes[i], rf->r->bw_bytes_per_s[i], rf->r->alpha_s[i]);
    return 0;
}

int ms_coll_regimes_save(const char *path, const ms_coll_regimes_t *r, const char *comment, char *err,
                         size_t errlen)
{
    if (!path || !r || r->n <= 0) { ms_scale_err(err, errlen, "regimes: nothing to save"); return MS_DIST_EINVAL; }
    regimes_file rf = {r, comment};
    return ms_write_file_atomic(path, write_regimes, &rf, err, errlen) ? MS_DIST_EIO : MS_DIST_OK;
}
