/* rng.c - a small deterministic generator (xoshiro256** seeded by splitmix64): the same seed gives the
 * same numbers on every machine, which is what makes runs and tests reproducible. */
#include <math.h>
#include "tinytorch/tensor.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void tt_rng_seed(tt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
    r->has_spare = 0;
    r->spare = 0.0f;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tt_rng_u64(tt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t tt_rng_u32(tt_rng *r) { return (uint32_t)(tt_rng_u64(r) >> 32); }

float tt_rng_uniform(tt_rng *r)
{
    return (float)(tt_rng_u64(r) >> 40) * (1.0f / 16777216.0f); /* 24 random bits -> [0, 1) */
}

float tt_rng_normal(tt_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1, u2;
    do {
        u1 = (double)(tt_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    } while (u1 <= 0.0);
    u2 = (double)(tt_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586 * u2;
    r->spare = (float)(rad * sin(th));
    r->has_spare = 1;
    return (float)(rad * cos(th));
}

uint32_t tt_rng_below(tt_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased. */
    uint64_t m = (uint64_t)tt_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)tt_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void tt_rng_shuffle(tt_rng *r, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(tt_rng_u64(r) % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

static tt_rng global_rng = {{0x853c49e6748fea9bull, 0xda3e39cb94b95bdbull, 0x5851f42d4c957f2dull,
                             0x14057b7ef767814full}, 0, 0.0f};

tt_rng *tt_default_rng(void) { return &global_rng; }
void tt_manual_seed(uint64_t seed) { tt_rng_seed(&global_rng, seed); }
