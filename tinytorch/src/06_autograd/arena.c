/* arena.c - the step arena: a bump allocator over a list of chunks.
 *
 * Invariants: chunks[0..n_chunks) are heap blocks kept for the life of the process (until
 * tt_arena_shutdown); allocation bumps `offset` in chunks[cur]; when it does not fit, the next chunk is
 * used (replaced by a bigger one only if too small). A reset rewinds to chunk 0, so a loop doing the same
 * allocations every step reuses the same chunks and never calls malloc after its first step.
 * used = bytes handed out since the reset (alignment padding and skipped chunk tails included).
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "autograd_internal.h"

#define ARENA_ALIGN 64
#define ARENA_MAX_CHUNKS 256
#define ARENA_MIN_CHUNK ((size_t)16 << 20) /* 16 MiB */

typedef struct chunk { unsigned char *mem; size_t size; } chunk;

static chunk chunks[ARENA_MAX_CHUNKS];
static int n_chunks;
static int cur;
static size_t offset;
static size_t used_before;      /* bytes consumed in chunks[0..cur) */
static size_t peak;
static size_t capacity;
static uint64_t heap_allocs;

/* the tape head lives in engine.c (autograd_internal.h); the arena rewinds it with the memory it
 * points into */

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

static void new_chunk_at(int i, size_t need)
{
    size_t size = need > ARENA_MIN_CHUNK ? need : ARENA_MIN_CHUNK;
    if (i < n_chunks) {
        capacity -= chunks[i].size;
        free(chunks[i].mem);
    }
    void *mem = aligned_alloc(ARENA_ALIGN, size); /* size is a multiple of ARENA_ALIGN */
    if (mem == NULL) {
        tt_fatal("arena: out of memory allocating a %zu-byte chunk", size);
    }
    chunks[i].mem = mem;
    chunks[i].size = size;
    capacity += size;
    heap_allocs++;
    if (i >= n_chunks) {
        n_chunks = i + 1;
    }
}

void *tt_arena_alloc(size_t bytes)
{
    size_t need = align_up(bytes ? bytes : 1);
    if (n_chunks == 0) {
        new_chunk_at(0, need);
        cur = 0;
        offset = 0;
    }
    if (offset + need > chunks[cur].size) {
        int next = cur + 1;
        if (next >= ARENA_MAX_CHUNKS) {
            tt_fatal("arena: more than %d chunks; is tt_arena_reset() called after each step?",
                     ARENA_MAX_CHUNKS);
        }
        if (next >= n_chunks || chunks[next].size < need) {
            new_chunk_at(next, need);
        }
        used_before += offset;
        cur = next;
        offset = 0;
    }
    void *p = chunks[cur].mem + offset;
    offset += need;
    size_t used = used_before + offset;
    if (used > peak) {
        peak = used;
    }
    return p;
}

void *tt_arena_calloc(size_t bytes)
{
    void *p = tt_arena_alloc(bytes);
    memset(p, 0, bytes);
    return p;
}

void tt_arena_reset(void)
{
    cur = 0;
    offset = 0;
    used_before = 0;
    tt__tape_head = NULL;
}

tt_arena_mark tt_arena_get_mark(void)
{
    tt_arena_mark m = {cur, offset, tt__tape_head, used_before + offset};
    return m;
}

void tt_arena_release(tt_arena_mark m)
{
    cur = m.chunk;
    offset = m.offset;
    used_before = m.used - m.offset;
    tt__tape_head = m.tape;
}

tt_tensor *tt__arena_release_keep(tt_arena_mark m, const tt_tensor *y)
{
    tt_tensor keep = *y;              /* the header, before its memory can be reused */
    const float *src = y->data;
    size_t bytes = (size_t)keep.numel * sizeof(float);
    tt_arena_release(m);
    /* The chunks stay allocated, so src is still readable; the new block may overlap it (memmove).
     * A chunk is replaced only when it is too small for the request, and the one that held src was
     * big enough for it, so src's chunk is never freed here. */
    float *dst = tt_arena_alloc(bytes);
    memmove(dst, src, bytes);
    tt_tensor *t = tt_arena_alloc(sizeof *t);
    *t = keep;
    t->data = dst;
    t->grad = NULL;
    t->node = NULL;
    t->flags &= ~(uint32_t)(TT_REQUIRES_GRAD | TT_PERSISTENT);
    return t;
}

size_t tt_arena_used_bytes(void) { return used_before + offset; }
size_t tt_arena_peak_bytes(void) { return peak; }
void tt_arena_peak_clear(void) { peak = used_before + offset; }
size_t tt_arena_capacity_bytes(void) { return capacity; }
uint64_t tt_arena_heap_allocs(void) { return heap_allocs; }

void tt_arena_shutdown(void)
{
    for (int i = 0; i < n_chunks; i++) {
        free(chunks[i].mem);
        chunks[i].mem = NULL;
        chunks[i].size = 0;
    }
    n_chunks = 0;
    capacity = 0;
    tt_arena_reset();
}
