/* tt_malloc_counter.h - counts a test's heap allocations: interposes malloc, calloc, realloc and
 * aligned_alloc over glibc's own (__libc_*), so a test can assert that a steady-state training step
 * allocates nothing. Not under AddressSanitizer, which owns malloc: TT_MALLOC_COUNTER is defined
 * only where the count works, and tests check it before asserting on tt_mallocs. Defines the
 * functions, so one test file (one executable) includes it once. */
#ifndef TT_MALLOC_COUNTER_H
#define TT_MALLOC_COUNTER_H

#include <stdatomic.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define TT_MALLOC_COUNTER_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TT_MALLOC_COUNTER_OFF 1
#endif
#endif

static atomic_long tt_mallocs; /* atomic: a split step allocates on several threads */

#if defined(__GLIBC__) && !defined(TT_MALLOC_COUNTER_OFF)
#define TT_MALLOC_COUNTER 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { tt_mallocs++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { tt_mallocs++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { tt_mallocs++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { tt_mallocs++; return __libc_memalign(al, n); }
#endif

#endif
