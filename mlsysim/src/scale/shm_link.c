/* shm_link.c - cache-aware ring all-reduce between processes of one machine (see shm_link.h).
 * Invariants: every time is finite and >= 0 for a link whose speeds are >= 0; the fraction of a
 * working set held at or below each cache level never decreases with the level and is 1 once the
 * caches hold it all; nothing here fits a regime edge (the edges are the reported capacities). */
#define _POSIX_C_SOURCE 200809L
#include "mlsysim/shm_link.h"
#include "internal.h"
#include "../core/file_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the machine's caches ------------------------------------------------------------------- */

static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

/* "32K", "1024K", "36608K", "2M", "1048576" -> bytes; -1 if not a size. */
static double parse_size(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v > 0)) return -1;
    if (*end == 'K' || *end == 'k') { v *= 1024; end++; }
    else if (*end == 'M' || *end == 'm') { v *= 1048576; end++; }
    else if (*end == 'G' || *end == 'g') { v *= 1073741824.0; end++; }
    return *end == 0 ? v : -1;
}

/* "0", "0-1", "0,2-3" -> number of CPUs; -1 if malformed. */
static int count_cpus(const char *s)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b;
        if (end == p || a < 0) return -1;
        b = a;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || b < a) return -1;
        }
        n += (int)(b - a + 1);
        p = end;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return n;
}

static void sort_levels(ms_shm_link_t *l)
{
    for (int i = 1; i < l->n_levels; i++)
        for (int j = i; j > 0 && l->cache[j].level < l->cache[j - 1].level; j--) {
            ms_shm_cache_t t = l->cache[j];
            l->cache[j] = l->cache[j - 1];
            l->cache[j - 1] = t;
        }
}

int ms_shm_detect(const char *sysfs_dir, ms_shm_link_t *out, char *err, size_t errlen)
{
    if (!out) { ms_scale_err(err, errlen, "shm: no output"); return -1; }
    memset(out, 0, sizeof *out);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    out->cpus = cpus > 0 ? (int)cpus : 1;
    const char *dir = sysfs_dir ? sysfs_dir : "/sys/devices/system/cpu/cpu0/cache";
    for (int idx = 0; idx < 16 && out->n_levels < MS_SHM_MAX_LEVELS; idx++) {
        char path[1024], level[32], type[32], size[32], shared[256];
        snprintf(path, sizeof path, "%s/index%d/level", dir, idx);
        if (read_line(path, level, sizeof level) != 0) continue;
        snprintf(path, sizeof path, "%s/index%d/type", dir, idx);
        if (read_line(path, type, sizeof type) != 0) {
            ms_scale_err(err, errlen, "%s: cannot read", path);
            return -1;
        }
        if (strcmp(type, "Data") != 0 && strcmp(type, "Unified") != 0) continue;
        snprintf(path, sizeof path, "%s/index%d/size", dir, idx);
        double bytes = read_line(path, size, sizeof size) == 0 ? parse_size(size) : -1;
        if (!(bytes > 0)) { ms_scale_err(err, errlen, "%s: want a size like 1024K", path); return -1; }
        snprintf(path, sizeof path, "%s/index%d/shared_cpu_list", dir, idx);
        int by = read_line(path, shared, sizeof shared) == 0 ? count_cpus(shared) : -1;
        if (by < 1) { ms_scale_err(err, errlen, "%s: want a CPU list like 0-1", path); return -1; }
        int lv = atoi(level);
        if (lv < 1) { ms_scale_err(err, errlen, "%s/index%d/level: want a level >= 1", dir, idx); return -1; }
        out->cache[out->n_levels++] = (ms_shm_cache_t){lv, bytes, by};
    }
    if (out->n_levels == 0) {
        /* glibc's view (getconf LEVEL2_CACHE_SIZE ...); sharing unknown: L3 shared by all CPUs */
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
        const int names[3] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
        for (int i = 0; i < 3; i++) {
            long v = sysconf(names[i]);
            if (v > 0) out->cache[out->n_levels++] = (ms_shm_cache_t){i + 1, (double)v, i == 2 ? out->cpus : 1};
        }
#endif
    }
    if (out->n_levels == 0) {
        ms_scale_err(err, errlen, "%s: no data or unified cache listed (and sysconf reports none)", dir);
        return -1;
    }
    sort_levels(out);
    return 0;
}

/* ---- the model ------------------------------------------------------------------------------ */

/* frac[i]: share of the working set served by cache level i (levels below first_fitted are
 * counted into first_fitted), frac[n_levels]: by memory. w: the working set on private caches;
 * shared ones see w · shared_footprint / footprint, with the hit shape `hit`. */
static void fractions(const ms_shm_link_t *l, double w, int p, double *frac)
{
    double ws = l->shared_footprint > 0 && l->footprint > 0 ? w * l->shared_footprint / l->footprint : w;
    double cum = 0, prev = 0;
    int c = l->cpus > 0 ? l->cpus : 1;
    for (int i = 0; i <= l->n_levels; i++) frac[i] = 0;
    for (int i = 0; i < l->n_levels; i++) {
        double k = l->cache[i].shared_by < 1 ? 1 : l->cache[i].shared_by > c ? c : l->cache[i].shared_by;
        double r = fmax(fmin((double)p, k), (double)p * k / c);
        cum += l->cache[i].bytes / r;
        int shared = l->cache[i].shared_by > 1;
        double wl = shared ? ws : w;
        double h = wl > 0 ? fmin(1.0, cum / wl) : 1.0;
        if (shared && l->hit == MS_SHM_HIT_SWEEP && h < 1.0) h = 0.0;   /* swept past an LRU cache: no hits */
        if (h < prev) h = prev;   /* a larger level holds at least what the smaller ones do */
        int j = i < l->first_fitted ? l->first_fitted : i;
        if (j >= l->n_levels) j = l->n_levels - 1;
        frac[j] += h - prev;
        prev = h;
    }
    frac[l->n_levels] = 1.0 - prev;
}

double ms_shm_s_per_byte(const ms_shm_link_t *l, double w_bytes, int ranks)
{
    if (!l || l->n_levels < 1) return 0.0;
    double f[MS_SHM_MAX_LEVELS + 1], s = 0;
    fractions(l, w_bytes, ranks < 1 ? 1 : ranks, f);
    for (int i = 0; i < l->n_levels; i++) s += f[i] * l->s_per_byte[i];
    return s + f[l->n_levels] * l->mem_s_per_byte;
}

double ms_shm_allreduce_s(const ms_shm_link_t *l, double bytes, int p, int cpu_time)
{
    if (!l || p <= 1 || !(bytes > 0)) return 0.0;
    double steps = 2.0 * (p - 1), moved = (l->local_copy + 2.0 * (p - 1) / p) * bytes;
    double per_step = l->alpha_s;
    int c = l->cpus > 0 ? l->cpus : 1;
    if (p > c) per_step = fmax(0.0, per_step + l->switch_s);
    double t = steps * per_step + moved * ms_shm_s_per_byte(l, l->footprint * bytes, p);
    if (p > c && !cpu_time) t *= (double)p / c;
    return t;
}

/* ---- the fit -------------------------------------------------------------------------------- */

#define FIT_MAXK 64
#define NV (MS_SHM_MAX_LEVELS + 2)   /* α, one speed per level, memory */

/* Row of the linear model t = Σ x_v · a_v for one measurement (variable 0 = α). */
static void row(const ms_shm_link_t *l, double m, int p, double *a)
{
    double f[MS_SHM_MAX_LEVELS + 1], moved = (l->local_copy + 2.0 * (p - 1) / p) * m;
    fractions(l, l->footprint * m, p, f);
    a[0] = 2.0 * (p - 1);
    for (int i = 0; i <= l->n_levels; i++) a[1 + i] = moved * f[i];
}

static double max_rel(const double (*a)[NV], const double *t, int k, int nv, const double *x)
{
    double mx = 0;
    for (int i = 0; i < k; i++) {
        double y = 0;
        for (int v = 0; v < nv; v++) y += a[i][v] * x[v];
        mx = fmax(mx, fabs(y - t[i]) / t[i]);
    }
    return mx;
}

/* Weighted least squares of Σ_i w_i (Σ_v a_iv x_v / t_i - 1)^2 over the variables in `mask` (others
 * 0). 0 and x, or -1 if singular. */
static int solve_mask(const double (*a)[NV], const double *t, const double *w, int k, int nv, unsigned mask,
                      double *x)
{
    int idx[NV], m = 0;
    for (int v = 0; v < nv; v++) if (mask & (1u << v)) idx[m++] = v;
    double g[NV][NV + 1];
    for (int r = 0; r < m; r++) {
        for (int c = 0; c <= m; c++) g[r][c] = 0;
        for (int i = 0; i < k; i++) {
            double ar = a[i][idx[r]] / t[i];
            for (int c = 0; c < m; c++) g[r][c] += w[i] * ar * a[i][idx[c]] / t[i];
            g[r][m] += w[i] * ar;
        }
    }
    for (int c = 0; c < m; c++) {
        int piv = c;
        for (int r = c + 1; r < m; r++) if (fabs(g[r][c]) > fabs(g[piv][c])) piv = r;
        if (!(fabs(g[piv][c]) > 1e-300)) return -1;
        for (int j = 0; j <= m; j++) { double tmp = g[c][j]; g[c][j] = g[piv][j]; g[piv][j] = tmp; }
        for (int r = 0; r < m; r++) {
            if (r == c) continue;
            double f = g[r][c] / g[c][c];
            for (int j = c; j <= m; j++) g[r][j] -= f * g[c][j];
        }
    }
    for (int v = 0; v < nv; v++) x[v] = 0;
    for (int r = 0; r < m; r++) {
        x[idx[r]] = g[r][m] / g[r][r];
        if (!isfinite(x[idx[r]])) return -1;
    }
    return 0;
}

double ms_shm_fit(ms_shm_link_t *l, const double *bytes, const double *seconds, int k, int ranks)
{
    if (!l || !bytes || !seconds || k < 1 || k > FIT_MAXK || ranks < 2 || l->n_levels < 1 ||
        l->n_levels > MS_SHM_MAX_LEVELS || !(l->footprint > 0) || !(l->shared_footprint >= 0) || !(l->local_copy >= 0) || l->first_fitted < 0 ||
        l->first_fitted >= l->n_levels || ranks > (l->cpus > 0 ? l->cpus : 1))
        return -1.0;
    for (int i = 0; i < k; i++)
        if (!(bytes[i] > 0) || !(seconds[i] > 0) || !isfinite(bytes[i]) || !isfinite(seconds[i])) return -1.0;
    /* variables: α, the fitted levels first_fitted..n_levels-1, memory (columns of levels below
     * first_fitted are all zero: fractions() counts them into first_fitted) */
    int nv = l->n_levels + 2;
    double a[FIT_MAXK][NV];
    for (int i = 0; i < k; i++) row(l, bytes[i], ranks, a[i]);
    unsigned usable = 0;
    for (int v = 0; v < nv; v++) {
        double s = 0;
        for (int i = 0; i < k; i++) s += a[i][v];
        if (s > 0) usable |= 1u << v;
    }
    /* Non-negative least squares by trying every set of free variables (at most 2^6), then
     * Lawson's iteration towards the smallest worst error: each round reweights every point by its
     * relative residual and solves again; the best round is kept. */
    double w[FIT_MAXK], best[NV] = {0}, mx = INFINITY;
    for (int i = 0; i < k; i++) w[i] = 1.0 / k;
    for (int round = 0; round < 60; round++) {
        double xr[NV] = {0}, loss_r = INFINITY;
        for (unsigned mask = 1; mask < (1u << nv); mask++) {
            if (mask & ~usable) continue;
            double x[NV];
            if (solve_mask((const double (*)[NV])a, seconds, w, k, nv, mask, x) != 0) continue;
            int ok = 1;
            for (int v = 0; v < nv; v++) if (x[v] < 0) ok = 0;
            if (!ok) continue;
            double loss = 0;
            for (int i = 0; i < k; i++) {
                double y = 0;
                for (int v = 0; v < nv; v++) y += a[i][v] * x[v];
                loss += w[i] * (y / seconds[i] - 1) * (y / seconds[i] - 1);
            }
            if (loss < loss_r) { loss_r = loss; memcpy(xr, x, sizeof xr); }
        }
        if (!isfinite(loss_r)) break;
        double e = max_rel((const double (*)[NV])a, seconds, k, nv, xr), sum = 0;
        if (e < mx) { mx = e; memcpy(best, xr, sizeof best); }
        for (int i = 0; i < k; i++) {
            double y = 0;
            for (int v = 0; v < nv; v++) y += a[i][v] * xr[v];
            w[i] *= fabs(y / seconds[i] - 1) + 1e-12;
            sum += w[i];
        }
        if (!(sum > 0)) break;
        for (int i = 0; i < k; i++) w[i] /= sum;
    }
    if (!isfinite(mx)) return -1.0;
    /* then a local polish of the worst error: multiplicative steps on the non-zero variables */
    for (double step = 0.25; step > 1e-4; step *= 0.5) {
        int moved = 1;
        for (int guard = 0; moved && guard < 200; guard++) {
            moved = 0;
            for (int v = 0; v < nv; v++) {
                if (!(best[v] > 0)) continue;
                for (int d = 0; d < 2; d++) {
                    double keep = best[v];
                    best[v] = keep * exp(d ? -step : step);
                    double e = max_rel((const double (*)[NV])a, seconds, k, nv, best);
                    if (e < mx) { mx = e; moved = 1; } else best[v] = keep;
                }
            }
        }
    }
    l->alpha_s = best[0];
    for (int i = 0; i < l->n_levels; i++)
        l->s_per_byte[i] = best[1 + (i < l->first_fitted ? l->first_fitted : i)];
    l->mem_s_per_byte = best[1 + l->n_levels];
    return mx;
}

/* ---- the file ------------------------------------------------------------------------------- */

typedef struct { const ms_shm_link_t *l; const char *comment; } shm_file;

static int write_shm(FILE *fp, const void *ctx)
{
    const shm_file *sf = ctx;
    const ms_shm_link_t *l = sf->l;
    ms_write_comment_lines(fp, sf->comment);
    fprintf(fp, "key,value\ncpus,%d\nhit,%s\nfootprint,%.9g\nshared_footprint,%.9g\nlocal_copy,%.9g\n"
            "first_fitted,L%d\nalpha_s,%.9g\nswitch_s,%.9g\nstep_s,%.9g\n", l->cpus,
            l->hit == MS_SHM_HIT_SWEEP ? "sweep" : "smooth", l->footprint,
            l->shared_footprint > 0 ? l->shared_footprint : l->footprint, l->local_copy,
            l->cache[l->first_fitted].level, l->alpha_s, l->switch_s, l->step_s);
    for (int i = 0; i < l->n_levels; i++)
        fprintf(fp, "L%d_bytes,%.9g\nL%d_shared_by,%d\nL%d_s_per_byte,%.9g\n", l->cache[i].level, l->cache[i].bytes,
                l->cache[i].level, l->cache[i].shared_by, l->cache[i].level, l->s_per_byte[i]);
    fprintf(fp, "mem_s_per_byte,%.9g\n", l->mem_s_per_byte);
    return 0;
}

int ms_shm_save(const char *path, const ms_shm_link_t *l, const char *comment, char *err, size_t errlen)
{
    if (!path || !l || l->n_levels < 1) { ms_scale_err(err, errlen, "shm: nothing to save"); return -1; }
    shm_file sf = {l, comment};
    return ms_write_file_atomic(path, write_shm, &sf, err, errlen);
}

#define MAXLV 9   /* cache levels L1..L8 in the file */

int ms_shm_load(const char *path, ms_shm_link_t *out, char *err, size_t errlen)
{
    if (!path || !out) { ms_scale_err(err, errlen, "shm: missing path"); return -1; }
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) { ms_scale_err(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return -1; }
    /* seen[]: 1 once a key was read; scalars first, then per level bytes/shared_by/s_per_byte */
    enum { K_CPUS, K_HIT, K_FOOT, K_SFOOT, K_COPY, K_FIRST, K_ALPHA, K_SWITCH, K_STEP, K_MEM, K_N };
    static const char *names[K_N] = {"cpus", "hit", "footprint", "shared_footprint", "local_copy", "first_fitted",
                                     "alpha_s", "switch_s", "step_s", "mem_s_per_byte"};
    int seen[K_N] = {0}, lv_seen[MAXLV][3] = {{0}}, first_level = 0, header = 0, lineno = 0, rc = 0;
    double val[K_N] = {0}, lv_val[MAXLV][3] = {{0}};
    char line[512];
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            ms_scale_err(err, errlen, "%s:%d: line longer than %zu characters", path, lineno, sizeof line - 2);
            rc = -1;
            break;
        }
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        if (!header) {
            if (strcmp(line, "key,value") != 0) {
                ms_scale_err(err, errlen, "%s:%d: header must be key,value", path, lineno);
                rc = -1;
            }
            header = 1;
            continue;
        }
        char *comma = strchr(line, ',');
        if (!comma) { ms_scale_err(err, errlen, "%s:%d: want key,value", path, lineno); rc = -1; break; }
        *comma = 0;
        const char *key = line, *vs = comma + 1;
        int *slot = NULL;
        double *dst = NULL;
        int lv, field = -1, pos = 0;
        if (sscanf(key, "L%d_%n", &lv, &pos) == 1 && pos > 0 && lv >= 1 && lv < MAXLV) {
            const char *rest = key + pos;
            field = !strcmp(rest, "bytes") ? 0 : !strcmp(rest, "shared_by") ? 1 : !strcmp(rest, "s_per_byte") ? 2 : -1;
            if (field >= 0) { slot = &lv_seen[lv][field]; dst = &lv_val[lv][field]; }
        } else {
            for (int i = 0; i < K_N; i++) if (!strcmp(key, names[i])) { slot = &seen[i]; dst = &val[i]; }
        }
        if (!slot) { ms_scale_err(err, errlen, "%s:%d: unknown key '%s'", path, lineno, key); rc = -1; break; }
        if (*slot) { ms_scale_err(err, errlen, "%s:%d: key '%s' given twice", path, lineno, key); rc = -1; break; }
        *slot = 1;
        char *end;
        if (dst == &val[K_HIT]) {
            if (strcmp(vs, "smooth") != 0 && strcmp(vs, "sweep") != 0) {
                ms_scale_err(err, errlen, "%s:%d: key hit: want smooth or sweep (got '%s')", path, lineno, vs);
                rc = -1;
            }
            *dst = !strcmp(vs, "sweep") ? MS_SHM_HIT_SWEEP : MS_SHM_HIT_SMOOTH;
            continue;
        }
        if (dst == &val[K_FIRST]) {
            if (sscanf(vs, "L%d%n", &first_level, &pos) != 1 || vs[pos] != 0 || first_level < 1) {
                ms_scale_err(err, errlen, "%s:%d: key first_fitted: want a level like L2", path, lineno);
                rc = -1;
            }
            continue;
        }
        errno = 0;
        *dst = strtod(vs, &end);
        /* switch_s may be negative in the CPU-time form (see shm_link.h); a speed may be 0, as the
         * fit leaves one that no measured message exercises (memory, when every message stayed in
         * the caches) */
        int any = dst == &val[K_SWITCH],
            zero_ok = dst == &val[K_ALPHA] || dst == &val[K_COPY] || dst == &val[K_STEP] || dst == &val[K_MEM] || field == 2;
        if (end == vs || *end || errno || !isfinite(*dst) || (!any && (zero_ok ? *dst < 0 : !(*dst > 0)))) {
            ms_scale_err(err, errlen, "%s:%d: key %s: want a finite number%s", path, lineno, key,
                         any ? "" : zero_ok ? " >= 0" : " > 0");
            rc = -1;
        }
    }
    if (rc == 0 && ferror(fp)) { ms_scale_err(err, errlen, "%s: read error", path); rc = -1; }
    fclose(fp);
    if (rc) return -1;
    if (!header) { ms_scale_err(err, errlen, "%s: empty (want the header key,value)", path); return -1; }
    for (int i = 0; i < K_N; i++)
        if (!seen[i]) { ms_scale_err(err, errlen, "%s: key %s missing", path, names[i]); return -1; }
    out->cpus = (int)val[K_CPUS];
    out->hit = (int)val[K_HIT];
    out->footprint = val[K_FOOT];
    out->shared_footprint = val[K_SFOOT];
    out->local_copy = val[K_COPY];
    out->alpha_s = val[K_ALPHA];
    out->switch_s = val[K_SWITCH];
    out->step_s = val[K_STEP];
    out->mem_s_per_byte = val[K_MEM];
    out->first_fitted = -1;
    for (int lv = 1; lv < MAXLV; lv++) {
        int any = lv_seen[lv][0] | lv_seen[lv][1] | lv_seen[lv][2];
        if (!any) continue;
        static const char *f[3] = {"bytes", "shared_by", "s_per_byte"};
        for (int j = 0; j < 3; j++)
            if (!lv_seen[lv][j]) { ms_scale_err(err, errlen, "%s: key L%d_%s missing", path, lv, f[j]); return -1; }
        if (out->n_levels >= MS_SHM_MAX_LEVELS) {
            ms_scale_err(err, errlen, "%s: more than %d cache levels", path, MS_SHM_MAX_LEVELS);
            return -1;
        }
        if (lv == first_level) out->first_fitted = out->n_levels;
        out->cache[out->n_levels] = (ms_shm_cache_t){lv, lv_val[lv][0], (int)lv_val[lv][1]};
        out->s_per_byte[out->n_levels++] = lv_val[lv][2];
    }
    if (out->n_levels == 0) { ms_scale_err(err, errlen, "%s: no cache levels (keys L<n>_bytes ...)", path); return -1; }
    if (out->first_fitted < 0) {
        ms_scale_err(err, errlen, "%s: key first_fitted: L%d is not one of the file's levels", path, first_level);
        return -1;
    }
    return 0;
}
