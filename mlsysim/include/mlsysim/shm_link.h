/* shm_link.h - the shared-memory "link" between processes of one machine: MLSys·im's ring all-reduce
 * with a bandwidth that follows the working set through the machine's caches, and a cost for ranks
 * that time-share cores.
 *
 * Model (units: bytes, seconds). A message of M bytes reduced by p ranks on a machine of c CPUs:
 *   t = 2(p-1)·α + (κ + 2(p-1)/p) · M · s(W)                       p <= c
 *   t = 2(p-1)·(α + σ) + (κ + 2(p-1)/p) · M · s(W)                 p > c, per-rank CPU time
 *   t = p/c · [2(p-1)·(α + σ) + (κ + 2(p-1)/p) · M · s(W)]        p > c, wall time
 * 2(p-1)/p·M is what each rank of a ring moves; κ·M is a local copy before it (κ = 1 when the send
 * and receive buffers differ: Open MPI's all-reduce algorithms first copy the send buffer into the
 * receive buffer, ompi/mca/coll/base/coll_base_allreduce.c; κ = 0 in place).
 * s(W) is seconds per byte moved when each rank touches W = footprint·M bytes. A rank's share of a
 * cache of capacity C shared by k CPUs is C / r with r = max(min(p, k), p·k/c) ranks on that cache
 * (ranks time-sharing a core share its private caches too). Levels add up (a non-inclusive, victim
 * last-level cache holds what the level below evicts), so the fraction of the working set held at
 * or below level L is h_L = min(1, Σ_{j<=L} C_j/r_j / W) (hit = smooth: the bytes that fit are served
 * by the cache, the rest by the level above), or h_L = 1 when Σ_{j<=L} C_j/r_j >= W and 0 otherwise
 * (hit = sweep: each call sweeps the same buffers, and once they exceed an LRU cache each line is
 * evicted before its reuse), and
 *   s(W) = s_1·h_1 + Σ_L s_L·(h_L - h_{L-1}) + s_mem·(1 - h_last).
 * W = footprint·M on private caches and W = shared_footprint·M on shared ones (0: footprint), where
 * the hit shape applies; private caches are always smooth (h_L >= h_{L-1} is kept). These working
 * sets are properties of the algorithm's buffers; bench/allreduce picks them, and the shape, from
 * short lists by the in-sample error (see bench/allreduce/allreduce_bench.c).
 * No regime edges are fitted: they are the cache capacities the machine reports, and between them
 * the speed changes smoothly with log W. σ is what a ring step costs more when ranks time-share
 * cores: a ring step of tiny messages timed at that rank count minus the same where the link was
 * fitted (step_s), a latency measurement, not a fit; in CPU time it can be negative (a rank alone
 * on its core spins while it waits, one that shares a core yields it), so α + σ is taken as >= 0.
 * With yielding ranks (Open MPI's mpi_yield_when_idle, on by itself when oversubscribed) a waiting
 * rank hands its core over at once; without it, it would spin out its scheduler slice. */
#ifndef MLSYSIM_SHM_LINK_H
#define MLSYSIM_SHM_LINK_H

#include <stddef.h>

#define MS_SHM_MAX_LEVELS 4

/* How a working set larger than a shared cache's share is served by it (h_L above; private caches
 * are always smooth). */
enum {
    MS_SHM_HIT_SMOOTH = 0,   /* the fraction that fits: h_L = min(1, Σ C/r / W) (random-like replacement) */
    MS_SHM_HIT_SWEEP = 1     /* all or nothing: h_L = 1 if Σ C/r >= W, else 0 (a cyclic sweep through an
                                LRU cache larger than it evicts every line before its reuse) */
};

typedef struct ms_shm_cache {
    int level;            /* 1, 2, 3, ... */
    double bytes;         /* capacity of one instance */
    int shared_by;        /* CPUs that share one instance (1 = private) */
} ms_shm_cache_t;

typedef struct ms_shm_link {
    int cpus;                                    /* c: CPUs the ranks run on */
    int n_levels;                                /* data or unified caches, smallest first */
    ms_shm_cache_t cache[MS_SHM_MAX_LEVELS];
    int first_fitted;                            /* levels below this one share its speed */
    int hit;                                     /* shared caches: MS_SHM_HIT_SMOOTH (0) or _SWEEP */
    double footprint;                            /* bytes a rank touches per message byte */
    double shared_footprint;                     /* ... as seen by shared caches (0 = footprint) */
    double local_copy;                           /* κ: bytes copied locally per message byte */
    double alpha_s;                              /* α: per ring step */
    double switch_s;                             /* σ: extra per step when ranks share cores */
    double step_s;                               /* small-message ring step where fitted (file) */
    double s_per_byte[MS_SHM_MAX_LEVELS];        /* seconds per byte moved from each cache level */
    double mem_s_per_byte;                       /* ... and from memory */
} ms_shm_link_t;

/* Reads the data/unified caches of CPU 0 from `sysfs_dir` (NULL = /sys/devices/system/cpu/cpu0/cache:
 * indexN/{level,type,size,shared_cpu_list}) and the online CPUs (sysconf); falls back to
 * sysconf(_SC_LEVEL1_DCACHE_SIZE..._SC_LEVEL3_CACHE_SIZE) when sysfs has none. Fills cpus, n_levels
 * and cache[]; the rest of `out` is zeroed. 0, or -1 with a message naming the file. */
int ms_shm_detect(const char *sysfs_dir, ms_shm_link_t *out, char *err, size_t errlen);

/* Seconds per byte moved at working set `w_bytes` per rank with `ranks` ranks (s(W) above). */
double ms_shm_s_per_byte(const ms_shm_link_t *l, double w_bytes, int ranks);
/* Ring all-reduce of `bytes` over `ranks` processes on this machine; cpu_time != 0: a rank's CPU
 * time, else wall time. 0 for ranks <= 1 or bytes <= 0. */
double ms_shm_allreduce_s(const ms_shm_link_t *l, double bytes, int ranks, int cpu_time);

/* Fits α, the per-level speeds and the memory speed of `l` (its caches, cpus, footprint and
 * first_fitted set) to k measured all-reduces (bytes[i], seconds[i]) of `ranks` <= cpus processes:
 * least squares on the relative error with every speed >= 0, reweighted point by point (Lawson)
 * towards the smallest worst relative error. Returns that worst relative error, or -1 on bad input. */
double ms_shm_fit(ms_shm_link_t *l, const double *bytes, const double *seconds, int k, int ranks);

/* CSV `key,value` (see ms_shm_save for the keys; '#' lines are comments). Unknown, repeated,
 * missing or non-positive entries are refused naming file, line and key. 0 or -1. */
int ms_shm_load(const char *path, ms_shm_link_t *out, char *err, size_t errlen);
/* Writes `l` (temporary file, fsync, rename); `comment` lines become '#' lines. 0 or -1. */
int ms_shm_save(const char *path, const ms_shm_link_t *l, const char *comment, char *err, size_t errlen);

#endif
