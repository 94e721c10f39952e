/* cpu.c - the CPU-feature probe and the TT_ISA cap (see cpu.h). */
#include "cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TT_CPU_ALL_AVX2 (TT_CPU_AVX2 | TT_CPU_FMA)

static unsigned features;
static const char *cap_name = "avx512";
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe(void)
{
    unsigned f = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= TT_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= TT_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) f |= TT_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) f |= TT_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vnni")) f |= TT_CPU_AVX512VNNI;
#endif
    const char *isa = getenv("TT_ISA");
    if (isa && isa[0] != '\0' && strcmp(isa, "auto") != 0 && strcmp(isa, "avx512") != 0) {
        if (strcmp(isa, "avx2") == 0) {
            f &= TT_CPU_ALL_AVX2;
            cap_name = "avx2";
        } else if (strcmp(isa, "portable") == 0) {
            f = 0;
            cap_name = "portable";
        } else {
            fprintf(stderr, "tinytorch: TT_ISA=%s is not one of portable, avx2, avx512, auto; ignored\n", isa);
        }
    }
    features = f;
}

unsigned tt__cpu_features(void)
{
    pthread_once(&probe_once, probe);
    return features;
}

const char *tt__cpu_isa_cap(void)
{
    pthread_once(&probe_once, probe);
    return cap_name;
}
