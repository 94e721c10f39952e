/* test_vmath.c - src/common/vmath.h: the vector exp, written once for every width (TT__VEC_FUNCS),
 * gives the same bits as the separate 4-float and 16-float definitions it replaced (kept below,
 * frozen, as the reference), on a dense grid of [-100, 100], the clamp edges, signed zeros,
 * infinities, NaN and 200,000 random bit patterns; and the helpers (set, load, store, select) do what
 * they say. The 8-float exp gives the 4-float one's bits too. The 16-float part runs where the CPU has
 * AVX-512, the 8-float part where it has AVX2 (and TT_ISA allows it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../src/common/vmath.h"

/* ---- the definitions before the merge (reference) ----------------------------------------------- */

static tt_v4f ref_select4(tt_v4i mask, tt_v4f a, tt_v4f b)
{
    return (tt_v4f)((mask & (tt_v4i)a) | (~mask & (tt_v4i)b));
}

static tt_v4f ref_expf4(tt_v4f x)
{
    const tt_v4f lo = {-87.0f, -87.0f, -87.0f, -87.0f}, hi = {88.0f, 88.0f, 88.0f, 88.0f};
    x = ref_select4(x < lo, lo, x);
    x = ref_select4(x > hi, hi, x);
    tt_v4f t = x * 1.4426950408889634f;
    tt_v4f n = (t + 12582912.0f) - 12582912.0f;
    tt_v4f r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    tt_v4f p = {1.0f / 720.0f, 1.0f / 720.0f, 1.0f / 720.0f, 1.0f / 720.0f};
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    tt_v4i bits = (__builtin_convertvector(n, tt_v4i) + 127) << 23;
    return p * (tt_v4f)bits;
}

#ifdef TT_HAVE_AVX512_PATH
static TT_AVX512_FN tt_v16f ref_set16(float a)
{
    tt_v16f v = {0};
    return v + a;
}

static TT_AVX512_FN tt_v16f ref_select16(tt_v16i mask, tt_v16f a, tt_v16f b)
{
    return (tt_v16f)((mask & (tt_v16i)a) | (~mask & (tt_v16i)b));
}

static TT_AVX512_FN tt_v16f ref_expf16(tt_v16f x)
{
    const tt_v16f lo = ref_set16(-87.0f), hi = ref_set16(88.0f);
    x = ref_select16(x < lo, lo, x);
    x = ref_select16(x > hi, hi, x);
    tt_v16f t = x * 1.4426950408889634f;
    tt_v16f n = (t + 12582912.0f) - 12582912.0f;
    tt_v16f r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    tt_v16f p = ref_set16(1.0f / 720.0f);
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    tt_v16i bits = (__builtin_convertvector(n, tt_v16i) + 127) << 23;
    return p * (tt_v16f)bits;
}
#endif

/* ---- inputs ---------------------------------------------------------------------------------------- */

#define N_GRID 200000
#define N_RAND 200000
#define N_SPECIAL 16
#define N_IN (N_GRID + N_RAND + N_SPECIAL) /* a multiple of 16 */

static float inputs[N_IN];

static void make_inputs(void)
{
    for (int i = 0; i < N_GRID; i++) {
        inputs[i] = -100.0f + 0.001f * (float)i;
    }
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N_RAND; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        inputs[N_GRID + i] = tt__from_bits((uint32_t)(s >> 32)); /* any float, NaNs with payloads too */
    }
    const float special[N_SPECIAL] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -87.0f, 88.0f,
                                      nextafterf(-87.0f, -100.0f), nextafterf(88.0f, 100.0f), 1e-40f,
                                      -1e-40f, 87.5f, -86.9f, 1.0f, -1.0f, 0.6931472f};
    memcpy(inputs + N_GRID + N_RAND, special, sizeof special);
}

static void assert_same_bits(const float *got, const float *want, int n, int at, const char *what)
{
    for (int i = 0; i < n; i++) {
        if (tt__bits(got[i]) != tt__bits(want[i])) {
            fail_msg("%s: x = %.9g (bits 0x%08x): got 0x%08x, before the merge 0x%08x", what,
                     (double)inputs[at + i], tt__bits(inputs[at + i]), tt__bits(got[i]), tt__bits(want[i]));
        }
    }
}

static void test_expf4_bits(void **state)
{
    (void)state;
    make_inputs();
    for (int i = 0; i + 4 <= N_IN; i += 4) {
        float got[4], want[4];
        tt__v4f_store(got, tt__expf4(tt__v4f_load(inputs + i)));
        tt_v4f x;
        memcpy(&x, inputs + i, sizeof x);
        tt_v4f w = ref_expf4(x);
        memcpy(want, &w, sizeof want);
        assert_same_bits(got, want, 4, i, "tt__expf4");
    }
    /* and it is exp: within 3e-7 relative of libm's on the grid inside the clamps (measured: 2.4e-7
     * at x = -16.288, two float ulps) */
    for (int i = 13000; i < 188000; i += 4) {
        float got[4];
        tt__v4f_store(got, tt__expf4(tt__v4f_load(inputs + i)));
        for (int k = 0; k < 4; k++) {
            const double e = exp((double)inputs[i + k]);
            assert_true(fabs((double)got[k] - e) <= 3e-7 * e);
        }
    }
}

#ifdef TT_HAVE_AVX512_PATH
static TT_AVX512_FN void check16(void)
{
    for (int i = 0; i + 16 <= N_IN; i += 16) {
        float got[16], want[16];
        tt__v16f_store(got, tt__expf16(tt__v16f_load(inputs + i)));
        tt_v16f x;
        memcpy(&x, inputs + i, sizeof x);
        tt_v16f w = ref_expf16(x);
        memcpy(want, &w, sizeof want);
        assert_same_bits(got, want, 16, i, "tt__expf16");
        /* every width gives the same bits: the 16-float exp equals four 4-float ones */
        for (int q = 0; q < 4; q++) {
            float g4[4];
            tt__v4f_store(g4, tt__expf4(tt__v4f_load(inputs + i + 4 * q)));
            assert_same_bits(got + 4 * q, g4, 4, i + 4 * q, "tt__expf16 vs tt__expf4");
        }
    }
}

/* The 8-float exp (AVX2) gives the bits of two 4-float ones, on every input. */
static TT_AVX2_FN void check8(void)
{
    for (int i = 0; i + 8 <= N_IN; i += 8) {
        float got[8];
        tt__v8f_store(got, tt__expf8(tt__v8f_load(inputs + i)));
        for (int q = 0; q < 2; q++) {
            float g4[4];
            tt__v4f_store(g4, tt__expf4(tt__v4f_load(inputs + i + 4 * q)));
            assert_same_bits(got + 4 * q, g4, 4, i + 4 * q, "tt__expf8 vs tt__expf4");
        }
    }
}
#endif

static void test_expf8_bits(void **state)
{
    (void)state;
#ifdef TT_HAVE_AVX512_PATH
    if (!tt__have_avx2()) {
        skip(); /* no AVX2 here (or TT_ISA caps it) */
    }
    make_inputs();
    check8();
#else
    skip();
#endif
}

static void test_expf16_bits(void **state)
{
    (void)state;
#ifdef TT_HAVE_AVX512_PATH
    if (!tt__have_avx512()) {
        skip(); /* no AVX-512 here (or TT_ISA caps it) */
    }
    make_inputs();
    check16();
#else
    skip();
#endif
}

static void test_helpers(void **state)
{
    (void)state;
    const float vals[4] = {1.5f, -0.0f, INFINITY, -3.25f};
    for (int k = 0; k < 4; k++) {
        float out[4];
        tt__v4f_store(out, tt__v4f_set(vals[k]));
        for (int i = 0; i < 4; i++) {
            assert_int_equal(tt__bits(out[i]), tt__bits(vals[k])); /* exact, -0 stays -0 */
        }
    }
    const float a[4] = {1, 2, 3, 4}, b[4] = {-1, -2, -3, -4};
    const tt_v4i m = {-1, 0, -1, 0};
    float s[4];
    tt__v4f_store(s, tt__v4f_select(m, tt__v4f_load(a), tt__v4f_load(b)));
    assert_true(s[0] == 1 && s[1] == -2 && s[2] == 3 && s[3] == -4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expf4_bits),
        cmocka_unit_test(test_expf8_bits),
        cmocka_unit_test(test_expf16_bits),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
