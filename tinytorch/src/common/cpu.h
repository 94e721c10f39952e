/* cpu.h - the one CPU-feature probe of the kernels (internal).
 *
 * Every kernel that picks an instruction-set path (GEMM micro-kernel, convolution SIMD, GELU / exp /
 * attention / decode vector paths, int8 GEMM) asks tt__cpu_has() and nothing else, so one environment
 * variable caps them all:
 *   TT_ISA=portable   no x86 vector extension beyond the baseline (SSE2 on x86-64)
 *   TT_ISA=avx2       AVX2 and FMA at most (what an AVX2-only CPU offers), on an AVX-512 machine too
 *   TT_ISA=avx512     everything the CPU has (the default; same as unset or "auto")
 * A cap never adds a feature the CPU lacks. An unknown value is reported once on stderr and ignored.
 */
#ifndef TT_CPU_H
#define TT_CPU_H

enum {
    TT_CPU_AVX2 = 1u << 0,
    TT_CPU_FMA = 1u << 1,
    TT_CPU_AVX512F = 1u << 2,
    TT_CPU_AVX512BW = 1u << 3,
    TT_CPU_AVX512VNNI = 1u << 4,
};

/* The features this process may use: the CPU's, probed once, capped by TT_ISA (thread-safe). */
unsigned tt__cpu_features(void);

/* 1 when every feature in mask may be used. */
static inline int tt__cpu_has(unsigned mask) { return (tt__cpu_features() & mask) == mask; }

/* The name of the cap in force: "portable", "avx2" or "avx512" (for reports). */
const char *tt__cpu_isa_cap(void);

#endif
