/* gemm.c - tt_sgemm: packed, cache-blocked SGEMM with run-time kernel dispatch and OpenMP threads.
 *
 * The loop nest (Goto / BLIS), for C[M,N] += op(A)[M,K] · op(B)[K,N]:
 *   jc over N in steps of NC           B panel  op(B)[pc:pc+KC, jc:jc+NC]  packed once  (-> L3)
 *     pc over K in steps of KC
 *       ic over M in steps of MC       A block  op(A)[ic:ic+MC, pc:pc+KC]  packed       (-> L2)
 *         jr over NC in steps of NR    one KC x NR micro-panel of B stays in L1 ...
 *           ir over MC in steps of MR  ... while MR x KC micro-panels of A stream from L2
 *             micro-kernel: MR x NR tile of C in registers, KC rank-1 updates
 * KC, MC come from the L1d and L2 sizes read at run time (sysconf, then /sys, then defaults).
 * A is packed, or read in place by the kernel when its strides allow (pack_a_wanted); so is B on
 * the AVX-512 path when A has few rows (pack_b_wanted). Edge tiles
 * (M % MR, N % NR) are zero-padded in the packed panels and go through the kernel's masked edge
 * variant, or else into a scratch tile that is then added to C. beta is applied on the first KC
 * pass only; later passes accumulate.
 *
 * Threads (gemm_parallel): for each NC panel of B the threads pack it (all K slices) together,
 * then take (MC-row block x range of NR panels) items from a dynamic queue, each packing its own
 * A. Packing buffers are thread-local and grown once: no allocation per call in the steady state.
 *
 * Invariants: every path computes the same contract as tt_sgemm_naive (gemm.h); with beta == 0 no
 * element of C is read.
 */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/gemm.h"
#include "gemm_internal.h"
#include "amp_internal.h"
#include "../common/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef TT_HAVE_OPENMP
#include <omp.h>
#endif
#ifdef TT_USE_OPENBLAS
#include <cblas.h>
#endif

/* ---------------------------------------------------------------- path selection */

enum { PATH_NAIVE, PATH_PORTABLE, PATH_AVX2, PATH_AVX512, PATH_OPENBLAS, PATH_COUNT };
static const char *const path_names[PATH_COUNT] = { "naive", "portable", "avx2", "avx512",
                                                    "openblas" };

static int path_supported(int p)
{
    switch (p) {
    case PATH_NAIVE:
    case PATH_PORTABLE:
        return 1;
#ifdef TT_GEMM_X86
    case PATH_AVX2:
        return tt__cpu_has(TT_CPU_AVX2 | TT_CPU_FMA);
    case PATH_AVX512:
        return tt__cpu_has(TT_CPU_AVX512F);
#endif
#ifdef TT_USE_OPENBLAS
    case PATH_OPENBLAS:
        return 1;
#endif
    default:
        return 0;
    }
}

static int path_default(void)
{
#ifdef TT_USE_OPENBLAS
    return PATH_OPENBLAS;
#else
    if (path_supported(PATH_AVX512)) return PATH_AVX512;
    if (path_supported(PATH_AVX2)) return PATH_AVX2;
    return PATH_PORTABLE;
#endif
}

static int path_from_name(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "auto") == 0 || name[0] == '\0') return path_default();
    for (int p = 0; p < PATH_COUNT; p++)
        if (strcmp(name, path_names[p]) == 0) return p;
    return -1;
}

static const tt_gemm_kernel *path_kernel(int p)
{
    switch (p) {
#ifdef TT_GEMM_X86
    case PATH_AVX2: return &tt_gemm_kernel_avx2;
    case PATH_AVX512: return &tt_gemm_kernel_avx512;
#endif
    default: return &tt_gemm_kernel_portable;
    }
}

/* ---------------------------------------------------------------- configuration (once) */

static struct {
    int path;
    int64_t l1d, l2;          /* bytes */
    int64_t kc_env, mc_env, nc_env;   /* 0 = derive from the caches */
    int pack_a_env;                   /* TT_GEMM_PACK_A: -1 = decide per call, 0 = never, 1 = always */
    int pack_b_env;                   /* TT_GEMM_PACK_B: likewise (B in place: AVX-512, B not T) */
} cfg;
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static int tt_threads = 0;                    /* 0 = OpenMP's default */
/* Threads pay for themselves only with enough work: each parallel product costs a fork, a shared
 * B packing and a barrier, 15-70 us on a 2-vCPU virtual machine (where waking a sleeping thread is
 * an inter-processor interrupt through the hypervisor). Measured there, one thread against two:
 * 96^3 0.41x, 128^3 0.73x, 64x784x128 (an MLP layer at batch 64) 0.70x, 192^3 1.12x, 224^3 1.13x,
 * 256^3 1.38x; with fewer than 128 rows two threads gained at most 1.23x even at 67 MFLOP
 * (64x4096x128) and lost 0.82x at 64x128x2048. So: at least 2*224^3 flops and 128 rows. */
#define TT_GEMM_THREAD_FLOPS (2.0 * 224 * 224 * 224)
#define TT_GEMM_THREAD_MIN_ROWS 128
static double thread_threshold = TT_GEMM_THREAD_FLOPS;

static int64_t read_sys_cache(int index)
{
    char path[96], buf[64];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int64_t v = 0;
    if (fgets(buf, sizeof buf, f)) {
        char *end;
        v = strtoll(buf, &end, 10);
        if (*end == 'K') v *= 1024;
        else if (*end == 'M') v *= 1024 * 1024;
    }
    fclose(f);
    return v > 0 ? v : 0;
}

static int64_t env_int(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v <= 0 || v > (1LL << 24)) {
        fprintf(stderr, "tt_sgemm: ignoring %s=\"%s\" (want a positive integer)\n", name, s);
        return 0;
    }
    return (int64_t)v;
}

static void cfg_init(void)
{
    int64_t l1 = 0, l2 = 0;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
    l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    /* /sys: index0 = L1d, index2 = L2 on Linux x86 and most arm64 systems. */
    if (l1 <= 0) l1 = read_sys_cache(0);
    if (l2 <= 0) l2 = read_sys_cache(2);
    cfg.l1d = (l1 >= 8 * 1024 && l1 <= 4 * 1024 * 1024) ? l1 : 32 * 1024;
    cfg.l2 = (l2 >= 64 * 1024 && l2 <= 256 * 1024 * 1024) ? l2 : 1024 * 1024;
    cfg.kc_env = env_int("TT_GEMM_KC");
    cfg.mc_env = env_int("TT_GEMM_MC");
    cfg.nc_env = env_int("TT_GEMM_NC");
    const char *pa = getenv("TT_GEMM_PACK_A");
    cfg.pack_a_env = pa && (pa[0] == '0' || pa[0] == '1') && pa[1] == '\0' ? pa[0] - '0' : -1;
    const char *pb = getenv("TT_GEMM_PACK_B");
    cfg.pack_b_env = pb && (pb[0] == '0' || pb[0] == '1') && pb[1] == '\0' ? pb[0] - '0' : -1;

    cfg.path = path_default();
    const char *want = getenv("TT_GEMM_KERNEL");
    if (want && *want) {
        int p = path_from_name(want);
        if (p < 0 || !path_supported(p))
            fprintf(stderr, "tt_sgemm: TT_GEMM_KERNEL=\"%s\" is %s; using \"%s\"\n", want,
                    p < 0 ? "unknown (naive|portable|avx2|avx512|openblas|auto)"
                          : "not supported by this CPU/build", path_names[cfg.path]);
        else
            cfg.path = p;
    }
}

static void cfg_get(void) { pthread_once(&cfg_once, cfg_init); }

int tt_sgemm_kernel_supported(const char *name)
{
    int p = path_from_name(name);
    return p >= 0 && path_supported(p);
}

int tt_sgemm_set_kernel(const char *name)
{
    cfg_get();
    int p = path_from_name(name);
    if (p < 0 || !path_supported(p)) return -1;
    cfg.path = p;
    return 0;
}

const char *tt_sgemm_kernel(void)
{
    cfg_get();
    return path_names[cfg.path];
}

void tt_set_num_threads(int n) { tt_threads = n > 0 ? n : 0; }

int tt_get_num_threads(void)
{
    if (tt_threads > 0) return tt_threads;
#ifdef TT_HAVE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void tt_sgemm_set_thread_threshold(double flops) { thread_threshold = flops < 0 ? TT_GEMM_THREAD_FLOPS : flops; }

/* ---------------------------------------------------------------- blocking */

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Block sizes for kernel k from the caches:
 *   KC: a KC x NR micro-panel of B about twice the L1d, at most 512. The kernels prefetch B a few
 *       steps ahead, so the micro-panel need not stay in L1, and fewer passes over C and longer
 *       kernel calls pay more. Measured at 1024^3, GFLOP/s: Sapphire Rapids (L1d 48 KiB) KC = 128
 *       118, 192: 117, 256: 126, 384: 132, 512: 138; Skylake-SP (L1d 32 KiB, BENCH_CPU_TIME=1,
 *       median of 5, loaded machine) 256: 60.7, 384: 63.9, 512: 70.6 (OpenBLAS 67-74 alongside);
 *   MC: the MC x KC block of A takes about half of L2;
 *   NC: the KC x NC panel of B, a few MiB (it lives in L3; it is re-read once per MC block). */
static tt_sgemm_blocking blocking_for(const tt_gemm_kernel *k)
{
    tt_sgemm_blocking b;
    b.mr = k->mr;
    b.nr = k->nr;
    b.l1d_bytes = cfg.l1d;
    b.l2_bytes = cfg.l2;
    int64_t kc = 2 * cfg.l1d / (k->nr * (int64_t)sizeof(float));
    kc = max64(128, min64(512, kc / 16 * 16));
    if (cfg.kc_env) kc = cfg.kc_env;
    int64_t mc = cfg.l2 / 2 / (kc * (int64_t)sizeof(float));
    mc = max64(k->mr, mc / k->mr * k->mr);
    if (cfg.mc_env) mc = round_up(cfg.mc_env, k->mr);
    int64_t nc = round_up(4096, k->nr);
    if (cfg.nc_env) nc = round_up(cfg.nc_env, k->nr);
    b.kc = kc;
    b.mc = mc;
    b.nc = nc;
    return b;
}

tt_sgemm_blocking tt_sgemm_get_blocking(void)
{
    cfg_get();
    return blocking_for(path_kernel(cfg.path));
}

/* ---------------------------------------------------------------- packing */

/* d[0:m] = s[0:m] in vector-sized pieces (the last one overlapping the one before it) rather than
 * float by float: packing A^T copies MR floats per k, and the scalar loop took 2.6 % of a GPT step. */
static void copy_floats(float *restrict d, const float *restrict s, int m)
{
    if (m >= 8) {
        for (int i = 0; i + 8 <= m; i += 8) memcpy(d + i, s + i, 8 * sizeof(float));
        memcpy(d + m - 8, s + m - 8, 8 * sizeof(float));
    } else if (m >= 4) {
        memcpy(d, s, 4 * sizeof(float));
        memcpy(d + m - 4, s + m - 4, 4 * sizeof(float));
    } else {
        for (int i = 0; i < m; i++) d[i] = s[i];
    }
}

/* Ap <- op(A)[i0:i0+mc, p0:p0+kc] as MR-row micro-panels, rows past mc zero-filled.
 * Ap holds ceil(mc/MR) panels of MR*kc floats. */
static void pack_a(int transa, const float *A, int64_t lda, int64_t i0, int64_t p0,
                   int64_t mc, int64_t kc, int mr, tt_gemm_pack_an_fn pack_an, float *ap)
{
    for (int64_t ir = 0; ir < mc; ir += mr) {
        int m = (int)min64(mr, mc - ir);
        if (!transa) {
            /* op(A)[i,k] = A[i*lda + k]: row i is contiguous in k. */
            if (m == mr && pack_an) {
                pack_an(A + (i0 + ir) * lda + p0, lda, kc, ap);
                ap += (int64_t)mr * kc;
                continue;
            }
            if (m < mr) memset(ap, 0, (size_t)(mr * kc) * sizeof(float));
            for (int i = 0; i < m; i++) {
                const float *src = A + (i0 + ir + i) * lda + p0;
                for (int64_t k = 0; k < kc; k++) ap[k * mr + i] = src[k];
            }
        } else {
            /* op(A)[i,k] = A[k*lda + i]: the MR values of one k are contiguous. */
            if (m < mr) memset(ap, 0, (size_t)(mr * kc) * sizeof(float));
            for (int64_t k = 0; k < kc; k++)
                copy_floats(ap + k * mr, A + (p0 + k) * lda + i0 + ir, m);
        }
        ap += (int64_t)mr * kc;
    }
}

/* Bp <- op(B)[p0:p0+kc, j0:j0+nc] as NR-column micro-panels, columns past nc zero-filled.
 * Bp holds ceil(nc/NR) panels of kc*NR floats. */
static void pack_b(int transb, const float *B, int64_t ldb, int64_t p0, int64_t j0,
                   int64_t kc, int64_t nc, int nr, tt_gemm_pack_bt_fn pack_bt, float *bp)
{
    for (int64_t jr = 0; jr < nc; jr += nr) {
        int n = (int)min64(nr, nc - jr);
        if (!transb) {
            /* op(B)[k,j] = B[k*ldb + j]: the NR values of one k are contiguous. */
            const float *src = B + p0 * ldb + j0 + jr;
            if (n == nr) {   /* full panel: one row copy per k (memcpy becomes vector moves) */
                for (int64_t k = 0; k < kc; k++)
                    memcpy(bp + k * nr, src + k * ldb, (size_t)nr * sizeof(float));
            } else {   /* last, partial panel: zero it in one go, then copy n floats per k */
                memset(bp, 0, (size_t)(kc * nr) * sizeof(float));
                for (int64_t k = 0; k < kc; k++) {
                    float *d = bp + k * nr;
                    const float *sk = src + k * ldb;
                    for (int j = 0; j < n; j++) d[j] = sk[j];
                }
            }
        } else if (n == nr && pack_bt) {
            pack_bt(B + (j0 + jr) * ldb + p0, ldb, kc, bp);
        } else {
            /* op(B)[k,j] = B[j*ldb + k]: column j of op(B) is contiguous in k. */
            for (int j = 0; j < n; j++) {
                const float *src = B + (j0 + jr + j) * ldb + p0;
                for (int64_t k = 0; k < kc; k++) bp[k * nr + j] = src[k];
            }
            for (int j = n; j < nr; j++)
                for (int64_t k = 0; k < kc; k++) bp[k * nr + j] = 0.0f;
        }
        bp += (int64_t)nr * kc;
    }
}

/* ---------------------------------------------------------------- buffers */

/* One buffer per thread, grown (never shrunk) to the largest request seen. Every buffer is also
 * linked from a global list, so that the memory stays reachable (it is a cache, not a leak) while
 * the threads of the OpenMP pool live on. */
typedef struct buf_node { float *p; struct buf_node *next; } buf_node;
static buf_node *all_buffers;
static pthread_mutex_t all_buffers_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local buf_node *tls_node;
static _Thread_local float *tls_buf;
static _Thread_local size_t tls_cap;   /* floats */

static float *thread_buffer(size_t nfloats)
{
    if (nfloats <= tls_cap) return tls_buf;
    if (!tls_node) {
        buf_node *n = calloc(1, sizeof *n);
        if (!n) return NULL;
        pthread_mutex_lock(&all_buffers_lock);
        n->next = all_buffers;
        all_buffers = n;
        pthread_mutex_unlock(&all_buffers_lock);
        tls_node = n;
    }
    size_t bytes = (size_t)round_up((int64_t)(nfloats * sizeof(float)), 4096);
    float *p = aligned_alloc(64, bytes);
    if (!p) return NULL;
    pthread_mutex_lock(&all_buffers_lock);
    free(tls_node->p);
    tls_node->p = p;
    pthread_mutex_unlock(&all_buffers_lock);
    tls_buf = p;
    tls_cap = bytes / sizeof(float);
    return p;
}

/* ---------------------------------------------------------------- the loop nest */

typedef struct {
    int transa, transb;
    int64_t K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    const tt_gemm_kernel *kern;
    tt_sgemm_blocking blk;
    int pack_a;          /* 1: copy A into MR-row panels; 0: the kernel reads full panels in place */
    int pack_b;          /* 1: copy B into NR-column panels; 0: the kernel reads B in place */
} gemm_args;

/* Edge tile: the kernel writes a full MR x NR scratch tile, m x n of it is added to C. */
static void edge_tile(const gemm_args *g, int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                      const float *bp, int64_t ldb_p, float *c, int m, int n, float beta)
{
    _Alignas(64) float tile[16 * 32];   /* >= MR*NR of every kernel */
    const int nr = g->kern->nr;
    g->kern->kernel(kc, a, rs_a, cs_a, bp, ldb_p, tile, nr, 1.0f, 0.0f);
    for (int i = 0; i < m; i++) {
        float *ci = c + i * g->ldc;
        const float *t = tile + i * nr;
        if (beta == 0.0f)
            for (int j = 0; j < n; j++) ci[j] = g->alpha * t[j];
        else
            for (int j = 0; j < n; j++) ci[j] = g->alpha * t[j] + beta * ci[j];
    }
}

/* Block sizes actually used for an M x N x K rectangle: the cache-derived maxima, evened out so
 * that K = 784 with KC = 192 becomes 5 passes of 160, not 4 x 192 + 16. */
typedef struct { int64_t kcb, mcb, ncb; } block_plan;

static block_plan plan_for(const gemm_args *g, int64_t M, int64_t N)
{
    block_plan p;
    int64_t npc = (g->K + g->blk.kc - 1) / g->blk.kc;
    p.kcb = round_up((g->K + npc - 1) / npc, 8);
    int64_t nmc = max64(1, (M + g->blk.mc - 1) / g->blk.mc);
    p.mcb = round_up((M + nmc - 1) / nmc, g->kern->mr);
    int64_t njc = max64(1, (N + g->blk.nc - 1) / g->blk.nc);
    p.ncb = round_up((N + njc - 1) / njc, g->kern->nr);
    return p;
}

/* Floats of packing buffer a rectangle needs: the B panel, then the A block (64-byte aligned). */
static size_t plan_floats(block_plan p)
{
    return (size_t)(round_up(p.kcb * p.ncb, 16) + round_up(p.kcb * p.mcb, 16));
}

/* One MC x (NR panels jr0..jr1) piece of C for the current (jc, pc) step: packs what it needs of
 * A into apack, then runs the micro-kernels against B: the packed panel bpack, or (bpack == NULL)
 * B itself in place, which only the AVX-512 path does (its edge kernel reads B under a mask).
 *   ic: first row of op(A)/C; mc rows.   jc: first column of this B panel; nc its width.
 *   jr0, jr1: column range inside the panel (multiples of NR).   pc, kc: the K slice. */
static void compute_block(const gemm_args *g, const float *bpack, float *apack, int64_t ic,
                          int64_t mc, int64_t jc, int64_t nc, int64_t jr0, int64_t jr1,
                          int64_t pc, int64_t kc, float beta)
{
    const int mr = g->kern->mr, nr = g->kern->nr;
    /* Full MR-row panels of A are read in place or packed (g->pack_a); the last, partial panel is
     * always packed, zero-padded to MR rows. */
    int64_t mfull = g->pack_a ? 0 : mc / mr * mr;
    if (mfull < mc)
        pack_a(g->transa, g->A, g->lda, ic + mfull, pc, mc - mfull, kc, mr, g->kern->pack_an,
               apack + mfull * kc);
    const int64_t ldb_p = bpack ? nr : g->ldb;
    for (int64_t jr = jr0; jr < jr1 && jr < nc; jr += nr) {
        int n = (int)min64(nr, nc - jr);
        const float *bp = bpack ? bpack + jr * kc : g->B + pc * g->ldb + jc + jr;
        for (int64_t ir = 0; ir < mc; ir += mr) {
            int m = (int)min64(mr, mc - ir);
            const float *a;
            int64_t rs, cs;
            if (ir < mfull) {
                int64_t i = ic + ir;
                a = g->transa ? g->A + pc * g->lda + i : g->A + i * g->lda + pc;
                rs = g->transa ? 1 : g->lda;
                cs = g->transa ? g->lda : 1;
            } else {
                a = apack + ir * kc;
                rs = 1;
                cs = mr;
            }
            float *c = g->C + (ic + ir) * g->ldc + jc + jr;
            if (m == mr && n == nr)
                g->kern->kernel(kc, a, rs, cs, bp, ldb_p, c, g->ldc, g->alpha, beta);
            else if (g->kern->edge)
                g->kern->edge(kc, a, rs, cs, bp, ldb_p, c, g->ldc, g->alpha, beta, m, n);
            else
                edge_tile(g, kc, a, rs, cs, bp, ldb_p, c, m, n, beta);
        }
    }
}

/* The whole product on the calling thread, whose buffer already holds plan_floats() floats. */
static void gemm_serial(const gemm_args *g, int64_t M, int64_t N)
{
    const int64_t K = g->K;
    block_plan p = plan_for(g, M, N);
    float *bpack = tls_buf, *apack = tls_buf + round_up(p.kcb * p.ncb, 16);
    for (int64_t jc = 0; jc < N; jc += p.ncb) {
        int64_t nc = min64(p.ncb, N - jc);
        for (int64_t pc = 0; pc < K; pc += p.kcb) {
            int64_t kc = min64(p.kcb, K - pc);
            float beta = pc == 0 ? g->beta : 1.0f;
            if (g->pack_b)
                pack_b(g->transb, g->B, g->ldb, pc, jc, kc, nc, g->kern->nr, g->kern->pack_bt,
                       bpack);
            for (int64_t ic = 0; ic < M; ic += p.mcb)
                compute_block(g, g->pack_b ? bpack : NULL, apack, ic, min64(p.mcb, M - ic), jc,
                              nc, 0, nc, pc, kc, beta);
        }
    }
}

#ifdef TT_HAVE_OPENMP
/* The product on nt OpenMP threads. Per NC-column panel of B the threads first pack all of it,
 * every KC slice (B[0:K, jc:jc+NC], at most 16 Mi floats), together; then they take work items -
 * an MC-row block of A times a range of B's NR panels, all K slices - from a dynamic queue, each
 * packing its own A. Items are small (about 4 per thread), so a thread slowed by another process on
 * its core does fewer of them instead of holding the others up, and there is one barrier per NC
 * panel only: a thread that waits at a barrier for a descheduled partner loses a whole time slice.
 * Returns nonzero if a packing buffer could not be allocated (then C is untouched). */
static int gemm_parallel(const gemm_args *g, int64_t M, int64_t N, int nt)
{
    const int mr = g->kern->mr, nr = g->kern->nr;
    const int64_t K = g->K;
    block_plan p = plan_for(g, M, N);
    int64_t npc = (K + p.kcb - 1) / p.kcb;
    /* all K slices of one B panel in the buffer: narrow the panel if that would be too big */
    int64_t ncb = min64(p.ncb, max64(nr, ((int64_t)1 << 24) / (npc * p.kcb) / nr * nr));
    /* rows per item: at most MC, and small enough for ~4 items per thread */
    int64_t mcb = min64(p.mcb, round_up((M + 4 * nt - 1) / (4 * nt), mr));
    int64_t mitems = (M + mcb - 1) / mcb;
    int64_t panels = (min64(ncb, N) + nr - 1) / nr;
    /* split the panel's columns too when there are too few row blocks */
    int64_t nitems = min64(panels, max64(1, (4 * nt + mitems - 1) / mitems));
    int64_t panels_per_item = (panels + nitems - 1) / nitems;
    const int64_t slice = round_up(p.kcb * ncb, 16);   /* floats per packed K slice */
    const size_t bsize = (size_t)(npc * slice);
    const size_t asize = (size_t)round_up(p.kcb * mcb, 16);

    /* The calling thread's buffer holds the shared B panel (its own A after it). */
    float *master = thread_buffer(bsize + asize);
    if (!master) return 1;
    float *bpack = master;
    int failed = 0;

#pragma omp parallel num_threads(nt)
    {
        float *apack = omp_get_thread_num() == 0 ? master + bsize : thread_buffer(asize);
        if (!apack) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp barrier
        int stop;
#pragma omp atomic read
        stop = failed;
        for (int64_t jc = 0; !stop && jc < N; jc += ncb) {
            int64_t nc = min64(ncb, N - jc);
            int64_t npan = (nc + nr - 1) / nr;
#pragma omp for schedule(static)
            for (int64_t q = 0; q < npc * npan; q++) {
                int64_t s = q / npan, jr = (q % npan) * nr, pc = s * p.kcb;
                int64_t kc = min64(p.kcb, K - pc);
                pack_b(g->transb, g->B, g->ldb, pc, jc + jr, kc, min64(nr, nc - jr), nr,
                       g->kern->pack_bt, bpack + s * slice + jr * kc);
            }
            /* (implicit barrier: the panel is complete) */
            int64_t items = mitems * ((npan + panels_per_item - 1) / panels_per_item);
            int64_t ni = (npan + panels_per_item - 1) / panels_per_item;
#pragma omp for schedule(dynamic, 1)
            for (int64_t it = 0; it < items; it++) {
                int64_t ic = (it / ni) * mcb;
                int64_t jr0 = (it % ni) * panels_per_item * nr;
                for (int64_t s = 0; s < npc; s++) {
                    int64_t pc = s * p.kcb, kc = min64(p.kcb, K - pc);
                    compute_block(g, bpack + s * slice, apack, ic, min64(mcb, M - ic), jc, nc,
                                  jr0, jr0 + panels_per_item * nr, pc, kc,
                                  s == 0 ? g->beta : 1.0f);
                }
            }
            /* (implicit barrier: nobody still reads the panel the next one overwrites) */
        }
    }
    return failed;
}
#endif


/* Packing A costs one pass over the A block per KC panel. Reading full MR-row panels in place
 * skips that pass and measured faster on most shapes (256^3: 153 vs 137 GFLOP/s; 64x128x784:
 * 120 vs 101), except where the stride between A's rows (or, transposed, between its columns) is a
 * multiple of 2 KiB: then the MR streams of a micro-panel fall into the same few L1/L2 sets and
 * evict each other (1024^3: 134 in place vs 137 packed; 512^3 with A^T: 132 vs 144). */
static int pack_a_wanted(const gemm_args *g)
{
    if (cfg.pack_a_env >= 0) return cfg.pack_a_env;
    return (g->lda * (int64_t)sizeof(float)) % 2048 == 0;
}

/* Packing B costs one pass over B per KC slice; the kernel then re-reads each KC x NR micro-panel
 * once per MR rows of A. With few rows the copy is a large part of the work, so the AVX-512 path,
 * whose edge kernel reads B under a mask, takes B in place when M <= 10 MR (140 rows). Measured,
 * GFLOP/s packed -> in place: 64^3 107 -> 124, 64x128x784 92 -> 130, 128^3 114 -> 126, but
 * 224^3 151 -> 146 and 256^3 154 -> 140. B stays packed when transposed (the kernel needs rows of
 * op(B)) or when its rows are a multiple of 2 KiB apart (the cache-set aliasing seen for A).
 * Threads always pack (gemm_parallel). */
static int pack_b_wanted(const gemm_args *g, int64_t M)
{
    if (g->transb || !g->kern->edge) return 1;
    if (cfg.pack_b_env >= 0) return cfg.pack_b_env;
    if ((g->ldb * (int64_t)sizeof(float)) % 2048 == 0) return 1;
    return M > 10 * g->kern->mr;
}

#ifdef TT_HAVE_OPENMP
static int threads_for(int64_t M, int64_t N, int64_t K)
{
    int nt = tt_get_num_threads();
    if (omp_in_parallel()) return 1;   /* the caller already runs threads: do not nest */
    if (nt <= 1 || 2.0 * (double)M * (double)N * (double)K < thread_threshold) return 1;
    if (thread_threshold > 0 && M < TT_GEMM_THREAD_MIN_ROWS) return 1;   /* 0: always (tests) */
    return nt;
}
#endif

/* C = beta * C (K == 0 or alpha == 0: nothing to multiply). */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *ci = C + i * ldc;
        if (beta == 0.0f)
            memset(ci, 0, (size_t)N * sizeof(float));
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++) ci[j] *= beta;
    }
}

void tt_sgemm(int transa, int transb, int64_t M, int64_t N, int64_t K,
              float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    cfg_get();
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    if (tt_get_matmul_precision() != TT_FP32) { /* mixed precision (amp.h): half operands */
        tt__gemm_lowp(tt_get_matmul_precision(), transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    switch (cfg.path) {
    case PATH_NAIVE:
        tt_sgemm_naive(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
#ifdef TT_USE_OPENBLAS
    case PATH_OPENBLAS:
        cblas_sgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
                    transb ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K,
                    alpha, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
        return;
#endif
    default:
        break;
    }

    gemm_args g = { transa, transb, K, alpha, beta, A, B, lda, ldb, ldc, C,
                    path_kernel(cfg.path), { 0, 0, 0, 0, 0, 0, 0 }, 1, 1 };
    g.blk = blocking_for(g.kern);
    g.pack_a = pack_a_wanted(&g);
    g.pack_b = pack_b_wanted(&g, M);

    int failed = 0;
#ifdef TT_HAVE_OPENMP
    int nt = threads_for(M, N, K);
    if (nt > 1) {
        failed = gemm_parallel(&g, M, N, nt);
    } else
#endif
    {
        failed = !thread_buffer(plan_floats(plan_for(&g, M, N)));
        if (!failed) gemm_serial(&g, M, N);
    }
    if (failed) /* out of memory for packing: the reference loop needs no buffer */
        tt_sgemm_naive(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
