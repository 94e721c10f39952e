/* test_scale_shm.c - the cache-aware shared-memory link (shm_link.h) against hand-worked numbers,
 * its fit on synthetic measurements, the sysfs reader on a made-up cache directory, and its file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mlsysim/shm_link.h"

#define NEAR(a, b, rel) assert_true(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-18)
#define MIB 1048576.0

/* 2 CPUs; L2 1 MiB private, L3 4 MiB shared by both; 1, 2 and 5 (x 1e-10) s/B; footprint 2. */
static ms_shm_link_t toy(void)
{
    ms_shm_link_t l = {.cpus = 2, .n_levels = 2, .cache = {{2, MIB, 1}, {3, 4 * MIB, 2}}, .first_fitted = 0,
                       .footprint = 2, .alpha_s = 1e-6, .switch_s = 3e-6, .s_per_byte = {1e-10, 2e-10},
                       .mem_s_per_byte = 5e-10};
    return l;
}

/* p = 2, W = 2 MiB: L2 holds 1 MiB of it (h2 = 0.5), L3's half (2 MiB) the rest (h3 = 1):
 *   s = 0.5·1 + 0.5·2 = 1.5 (e-10).
 * p = 2, W = 6 MiB: h2 = 1/6, h3 = 3/6: s = 1/6 + 2/6·2 + 1/2·5 = 3.3333 (e-10).
 * p = 4 on 2 CPUs, W = 2 MiB: two ranks per L2 (0.5 MiB each), four on L3 (1 MiB each):
 *   h2 = 0.25, h3 = 0.75: s = 0.25 + 0.5·2 + 0.25·5 = 2.5 (e-10).
 * Below the first fitted level, speeds are the first fitted level's. */
static void test_speed(void **s)
{
    (void)s;
    ms_shm_link_t l = toy();
    NEAR(ms_shm_s_per_byte(&l, 2 * MIB, 2), 1.5e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 6 * MIB, 2), (1.0 / 6 + 4.0 / 6 + 2.5) * 1e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 2 * MIB, 4), 2.5e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 0.5 * MIB, 2), 1e-10, 1e-12);     /* all in L2 */
    /* monotone in the working set, and tends to memory speed */
    double prev = 0;
    for (double w = 64e3; w < 1e10; w *= 1.5) {
        double v = ms_shm_s_per_byte(&l, w, 2);
        assert_true(v >= prev - 1e-24);
        prev = v;
    }
    assert_true(prev > 4.99e-10 && prev <= 5e-10);
    l.first_fitted = 1;   /* L2 folded into L3: its bytes at L3 speed */
    NEAR(ms_shm_s_per_byte(&l, 2 * MIB, 2), 2e-10, 1e-12);
}

/* hit = sweep on the shared L3 (all or nothing; the private L2 stays smooth), the same link.
 * p = 2: L2 holds 1 MiB a rank, L2 + L3's half 3 MiB.
 *   W = 0.5 MiB: all in L2, s = 1;  W = 2 MiB: h2 = 1/2, L3 holds the rest: s = 0.5 + 0.5·2 = 1.5;
 *   W = 3 MiB: exactly fits, h2 = 1/3: s = 1/3 + 2/3·2;  W = 6 MiB: h2 = 1/6, L3 swept past (h3 = h2):
 *   s = 1/6 + 5/6·5 (e-10).
 * p = 4 on 2 CPUs: 0.5 MiB of L2 (h2 = 1/4) and 1 MiB of L3 a rank, 1.5 MiB < 2: s = 0.25 + 0.75·5.
 * shared_footprint 1 (W on L3 half of W on L2): W = 6 MiB is 3 MiB on L3 and fits: s = 1/6 + 5/6·2.
 * The fit recovers a sweep-shaped link as it does a smooth one. */
static void test_sweep(void **s)
{
    (void)s;
    ms_shm_link_t l = toy();
    l.hit = MS_SHM_HIT_SWEEP;
    NEAR(ms_shm_s_per_byte(&l, 0.5 * MIB, 2), 1e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 2 * MIB, 2), 1.5e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 3 * MIB, 2), (1.0 / 3 + 4.0 / 3) * 1e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 6 * MIB, 2), (1.0 / 6 + 25.0 / 6) * 1e-10, 1e-12);
    NEAR(ms_shm_s_per_byte(&l, 2 * MIB, 4), (0.25 + 3.75) * 1e-10, 1e-12);
    /* M = 1 MiB at p = 2, footprint 2 (W = 2 MiB): 2 steps of α + 2^20 · 1.5e-10 s */
    NEAR(ms_shm_allreduce_s(&l, MIB, 2, 1), 2e-6 + MIB * 1.5e-10, 1e-12);
    ms_shm_link_t h = l;
    h.shared_footprint = 1;
    NEAR(ms_shm_s_per_byte(&h, 6 * MIB, 2), (1.0 / 6 + 10.0 / 6) * 1e-10, 1e-12);
    double m[11], t[11];
    for (int i = 0; i < 11; i++) {
        m[i] = 65536.0 * (1 << i);
        t[i] = ms_shm_allreduce_s(&l, m[i], 2, 1);
    }
    ms_shm_link_t f = toy();
    f.hit = MS_SHM_HIT_SWEEP;
    f.alpha_s = 0;
    f.s_per_byte[0] = f.s_per_byte[1] = f.mem_s_per_byte = 0;
    double e = ms_shm_fit(&f, m, t, 11, 2);
    assert_true(e >= 0 && e < 1e-6);
    NEAR(f.alpha_s, 1e-6, 1e-4);
    NEAR(f.s_per_byte[1], 2e-10, 1e-4);
    NEAR(f.mem_s_per_byte, 5e-10, 1e-4);
    /* the smooth shape cannot make these times: it misses by more than 10 % somewhere */
    f.hit = MS_SHM_HIT_SMOOTH;
    assert_true(ms_shm_fit(&f, m, t, 11, 2) > 0.1);
}

/* p = 2, M = 1 MiB (W = 2 MiB): 2·1 µs + 1·2^20·1.5e-10 s.
 * p = 4 (time-shared), M = 1 MiB: 6 steps of (α + σ) = 24 µs, plus 1.5·2^20·2.5e-10 s; wall: × 4/2. */
static void test_allreduce(void **s)
{
    (void)s;
    ms_shm_link_t l = toy();
    NEAR(ms_shm_allreduce_s(&l, MIB, 2, 1), 2e-6 + MIB * 1.5e-10, 1e-12);
    NEAR(ms_shm_allreduce_s(&l, MIB, 2, 0), 2e-6 + MIB * 1.5e-10, 1e-12);
    double cpu4 = 24e-6 + 1.5 * MIB * 2.5e-10;
    NEAR(ms_shm_allreduce_s(&l, MIB, 4, 1), cpu4, 1e-12);
    NEAR(ms_shm_allreduce_s(&l, MIB, 4, 0), 2 * cpu4, 1e-12);
    /* σ < 0 (CPU time: sharing a core saves the spinning of a lone waiting rank): α + σ >= 0 */
    l.switch_s = -2e-6;
    NEAR(ms_shm_allreduce_s(&l, MIB, 4, 1), 1.5 * MIB * 2.5e-10, 1e-12);
    l.switch_s = -0.5e-6;
    NEAR(ms_shm_allreduce_s(&l, MIB, 4, 1), 6 * 0.5e-6 + 1.5 * MIB * 2.5e-10, 1e-12);
    /* a local copy first (κ = 1): p = 2 moves (1 + 1)·M, p = 4 (1 + 1.5)·M */
    l.local_copy = 1;
    NEAR(ms_shm_allreduce_s(&l, MIB, 2, 1), 2e-6 + 2 * MIB * 1.5e-10, 1e-12);
    NEAR(ms_shm_allreduce_s(&l, MIB, 4, 1), 6 * 0.5e-6 + 2.5 * MIB * 2.5e-10, 1e-12);
    assert_true(ms_shm_allreduce_s(&l, MIB, 1, 1) == 0.0);
    assert_true(ms_shm_allreduce_s(&l, 0, 2, 1) == 0.0);
}

/* Times made by a known link on the powers of two 64 KB .. 64 MB: the fit finds its α and speeds
 * and predicts the 3·2^k sizes it never saw; a 1 % disturbance stays near 1 %. */
static void test_fit(void **s)
{
    (void)s;
    ms_shm_link_t truth = toy();
    truth.local_copy = 1;
    double m[11], t[11];
    for (int i = 0; i < 11; i++) {
        m[i] = 65536.0 * (1 << i);
        t[i] = ms_shm_allreduce_s(&truth, m[i], 2, 1);
    }
    ms_shm_link_t l = toy();
    l.local_copy = 1;
    l.alpha_s = 0;
    l.s_per_byte[0] = l.s_per_byte[1] = l.mem_s_per_byte = 0;
    double e = ms_shm_fit(&l, m, t, 11, 2);
    assert_true(e >= 0 && e < 1e-6);
    NEAR(l.s_per_byte[0], 1e-10, 1e-4);
    NEAR(l.s_per_byte[1], 2e-10, 1e-4);
    NEAR(l.mem_s_per_byte, 5e-10, 1e-4);
    for (int i = 0; i < 10; i++) {
        double mm = 1.5 * m[i];
        NEAR(ms_shm_allreduce_s(&l, mm, 2, 1), ms_shm_allreduce_s(&truth, mm, 2, 1), 1e-5);
    }
    for (int i = 0; i < 11; i++) t[i] *= i % 2 ? 1.01 : 0.99;
    e = ms_shm_fit(&l, m, t, 11, 2);
    print_message("fit on +-1 %% disturbed times: worst error %.5f\n", e);
    assert_true(e > 0.001 && e < 0.0101);
    /* bad input: more ranks than CPUs (the link is fitted where each rank has a CPU), no points */
    assert_true(ms_shm_fit(&l, m, t, 11, 4) < 0);
    assert_true(ms_shm_fit(&l, m, t, 0, 2) < 0);
    t[3] = -1;
    assert_true(ms_shm_fit(&l, m, t, 11, 2) < 0);
}

static char dir[] = "tt_shmXXXXXX";

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void cache_dir(int idx, const char *level, const char *type, const char *size, const char *shared)
{
    char p[256];
    snprintf(p, sizeof p, "%s/index%d", dir, idx);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "index%d/level", idx);
    put(p, level);
    snprintf(p, sizeof p, "index%d/type", idx);
    put(p, type);
    snprintf(p, sizeof p, "index%d/size", idx);
    put(p, size);
    snprintf(p, sizeof p, "index%d/shared_cpu_list", idx);
    put(p, shared);
}

/* A sysfs cache directory as this project's development machine reports it (Xeon, KVM): L1d and
 * L1i 32K, L2 1024K per CPU, L3 36608K shared by CPUs 0-1. The instruction cache is skipped. */
static void test_detect(void **s)
{
    (void)s;
    cache_dir(3, "3\n", "Unified\n", "36608K\n", "0-1\n");
    cache_dir(0, "1\n", "Data\n", "32K\n", "0\n");
    cache_dir(1, "1\n", "Instruction\n", "32K\n", "0\n");
    cache_dir(2, "2\n", "Unified\n", "1024K\n", "0\n");
    ms_shm_link_t l;
    char err[512];
    assert_int_equal(ms_shm_detect(dir, &l, err, sizeof err), 0);
    assert_int_equal(l.n_levels, 3);
    assert_int_equal(l.cache[0].level, 1);
    NEAR(l.cache[0].bytes, 32768.0, 0);
    assert_int_equal(l.cache[1].level, 2);
    NEAR(l.cache[1].bytes, MIB, 0);
    assert_int_equal(l.cache[1].shared_by, 1);
    assert_int_equal(l.cache[2].level, 3);
    NEAR(l.cache[2].bytes, 36608.0 * 1024, 0);
    assert_int_equal(l.cache[2].shared_by, 2);
    assert_true(l.cpus >= 1);
    cache_dir(2, "2\n", "Unified\n", "lots\n", "0\n");
    assert_int_equal(ms_shm_detect(dir, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "index2/size"));
    cache_dir(2, "2\n", "Unified\n", "1024K\n", "0-\n");
    assert_int_equal(ms_shm_detect(dir, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "index2/shared_cpu_list"));
}

static void test_file(void **s)
{
    (void)s;
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/link.csv", dir);
    ms_shm_link_t l = toy(), r;
    l.first_fitted = 1;
    l.switch_s = -1e-6;   /* allowed: see shm_link.h */
    l.local_copy = 1;
    l.step_s = 2.5e-6;
    l.hit = MS_SHM_HIT_SWEEP;
    l.shared_footprint = 0.75;
    assert_int_equal(ms_shm_save(path, &l, "a note\nover two lines", err, sizeof err), 0);
    assert_int_equal(ms_shm_load(path, &r, err, sizeof err), 0);
    assert_int_equal(r.cpus, 2);
    assert_int_equal(r.n_levels, 2);
    assert_int_equal(r.first_fitted, 1);
    assert_int_equal(r.cache[1].shared_by, 2);
    NEAR(r.switch_s, -1e-6, 1e-9);
    NEAR(r.local_copy, 1.0, 0);
    NEAR(r.step_s, 2.5e-6, 1e-9);
    assert_int_equal(r.hit, MS_SHM_HIT_SWEEP);
    NEAR(r.shared_footprint, 0.75, 1e-12);
    for (double mm = 65536; mm < 1e8; mm *= 1.7) {
        NEAR(ms_shm_allreduce_s(&r, mm, 2, 1), ms_shm_allreduce_s(&l, mm, 2, 1), 1e-8);
        NEAR(ms_shm_allreduce_s(&r, mm, 4, 0), ms_shm_allreduce_s(&l, mm, 4, 0), 1e-8);
    }
    /* a fit whose messages all stayed in the caches leaves the memory speed at 0: saved, loaded */
    l.mem_s_per_byte = 0;
    assert_int_equal(ms_shm_save(path, &l, NULL, err, sizeof err), 0);
    if (ms_shm_load(path, &r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(r.mem_s_per_byte == 0);
    NEAR(ms_shm_allreduce_s(&r, 65536, 2, 1), ms_shm_allreduce_s(&l, 65536, 2, 1), 1e-8);
    /* written whole or not at all: a save into a missing folder names the file and leaves nothing,
     * and the saved file stays as it was; no temporary is left beside it */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-folder/link.csv", dir);
    assert_int_equal(ms_shm_save(missing, &l, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "cannot create"));
    if (ms_shm_load(path, &r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(r.mem_s_per_byte == 0);
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (strstr(e->d_name, ".tmp")) fail_msg("a temporary was left behind: %s", e->d_name);
    }
    closedir(dd);
    static const struct { const char *text, *want; } bad[] = {
        {"key,value\ncpus,2\nhit,smooth\nfootprint,2\nshared_footprint,2\nlocal_copy,0\nfirst_fitted,L2\nalpha_s,0\nswitch_s,0\nstep_s,0\nmem_s_per_byte,1e-10\n", "no cache levels"},
        {"key,value\ncpus,2\ncpus,3\n", ":3: key 'cpus' given twice"},
        {"key,value\nspeed,2\n", ":2: unknown key 'speed'"},
        {"key,value\nfootprint,-2\n", ":2: key footprint: want a finite number > 0"},
        {"key,value\nhit,lru\n", ":2: key hit: want smooth or sweep (got 'lru')"},
        {"key,value\nalpha_s,-1e-6\n", ":2: key alpha_s: want a finite number >= 0"},
        {"key,value\nmem_s_per_byte,-1e-9\n", ":2: key mem_s_per_byte: want a finite number >= 0"},
        {"key,value\nswitch_s,inf\n", ":2: key switch_s: want a finite number"},
        {"key,value\nL2_bytes,1e6\n", "key cpus missing"},
        {"k,v\n", ":1: header must be key,value"},
        {"key,value\ncpus,2\nhit,smooth\nfootprint,2\nshared_footprint,2\nlocal_copy,0\nfirst_fitted,L3\nalpha_s,0\nswitch_s,0\nstep_s,0\nmem_s_per_byte,1e-10\n"
         "L2_bytes,1e6\nL2_shared_by,1\nL2_s_per_byte,1e-10\n", "L3 is not one of the file's levels"},
        {"key,value\ncpus,2\nhit,smooth\nfootprint,2\nshared_footprint,2\nlocal_copy,0\nfirst_fitted,L2\nalpha_s,0\nswitch_s,0\nstep_s,0\nmem_s_per_byte,1e-10\n"
         "L2_bytes,1e6\nL2_s_per_byte,1e-10\n", "key L2_shared_by missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put("link.csv", bad[i].text);
        assert_int_equal(ms_shm_load(path, &r, err, sizeof err), -1);
        if (!strstr(err, bad[i].want)) print_error("case %zu: '%s' lacks '%s'\n", i, err, bad[i].want);
        assert_non_null(strstr(err, bad[i].want));
        assert_non_null(strstr(err, "link.csv"));
    }
    unlink(path);
}

/* The recorded link of the development machine (bench/allreduce --record) loads and predicts
 * finite, positive times that grow with the message. */
static void test_recorded(void **s)
{
    (void)s;
    ms_shm_link_t l;
    char err[512];
    if (ms_shm_load(MLSB_SOURCE_DIR "/mlsysim/validation/shm_link.csv", &l, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(l.cpus >= 1 && l.n_levels >= 1 && l.footprint > 0);
    double prev = 0;
    for (double m = 65536; m <= 67108864; m *= 2) {
        double t = ms_shm_allreduce_s(&l, m, 2, 1);
        assert_true(isfinite(t) && t > prev);
        prev = t;
    }
}

static int setup(void **s)
{
    (void)s;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_allreduce),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_recorded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
