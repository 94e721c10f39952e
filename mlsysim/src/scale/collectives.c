/* collectives.c - α–β cost of collective operations, flat and hierarchical.
 *
 * Model: a message of M bytes between two ranks takes α + M/β; β is the per-direction bandwidth of
 * the slowest link a rank uses. Ring algorithms are bandwidth-optimal (each rank sends (n-1)/n·M
 * per phase); trees trade bandwidth for log2(n) latency. Invariants: n <= 1 or bytes <= 0 costs 0;
 * every time is finite and non-negative for finite positive inputs.
 */
#include "mlsysim/distributed.h"

#include <math.h>

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
 * every phase's latency steps add up. For a ring all-reduce across nodes this gives NCCL-tests'
 * bus bandwidth busbw = algbw·2(n-1)/n ≈ the node's network bandwidth per GPU (nccl-tests
 * doc/PERFORMANCE.md), e.g. ≈ 190 GB/s per GPU on DGX A100 with 8 × 200 Gb/s HDR rails. */
typedef struct phase { double bw_s, lat_s; } phase_t;

static phase_t phase_of(ms_dist_coll_t kind, double bytes, int n, double bw, double alpha)
{
    phase_t p = {0.0, 0.0};
    if (n <= 1 || bytes <= 0.0) return p;
    p.bw_s = bw > 0.0 ? ms_coll_bytes_per_rank(kind, bytes, n) / bw : INFINITY;
    p.lat_s = latency_steps(kind, n) * alpha;
    return p;
}

static double pipelined(phase_t a, phase_t b, phase_t c)
{
    double m = a.bw_s > b.bw_s ? a.bw_s : b.bw_s;
    if (c.bw_s > m) m = c.bw_s;
    return m + a.lat_s + b.lat_s + c.lat_s;
}

double ms_coll_time_s(ms_dist_coll_t kind, double bytes, int n, int stride,
                      const ms_dist_fabric_t *f)
{
    if (n <= 1 || bytes <= 0.0 || !f) return 0.0;
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
    if (nodes == 1) {
        if (kind == MS_COLL_ALLREDUCE_TREE) return ms_coll_allreduce_tree_s(bytes, n, bi, ai);
        return flat_s(kind, bytes, n, bi, ai);
    }
    if (local == 1) return flat_s(kind, bytes, n, bo, ao);
    phase_t none = {0.0, 0.0};
    switch (kind) {
    case MS_COLL_ALLREDUCE_RING:
    case MS_COLL_ALLREDUCE_TREE:
        return pipelined(phase_of(MS_COLL_REDUCE_SCATTER, bytes, local, bi, ai),
                         phase_of(kind, bytes / local, nodes, bo, ao),
                         phase_of(MS_COLL_ALL_GATHER, bytes, local, bi, ai));
    case MS_COLL_REDUCE_SCATTER:
        return pipelined(phase_of(MS_COLL_REDUCE_SCATTER, bytes, local, bi, ai),
                         phase_of(MS_COLL_REDUCE_SCATTER, bytes / local, nodes, bo, ao), none);
    case MS_COLL_ALL_GATHER:
        return pipelined(phase_of(MS_COLL_ALL_GATHER, bytes / local, nodes, bo, ao),
                         phase_of(MS_COLL_ALL_GATHER, bytes, local, bi, ai), none);
    case MS_COLL_ALL_TO_ALL: {
        double in = bytes * (double)(local - 1) / n, out = bytes * (double)(n - local) / n;
        double t_in = bi > 0 ? in / bi : INFINITY, t_out = bo > 0 ? out / bo : INFINITY;
        return (t_in > t_out ? t_in : t_out) + (local - 1) * ai + (n - local) * ao;
    }
    }
    return 0.0;
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
