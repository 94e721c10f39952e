/* arena.c - the step arena: a bump allocator over a list of chunks, one per context.
 *
 * Invariants (per context, autograd_internal.h): chunks[0..n_chunks) are heap blocks kept for the
 * context's life (the default context's until tt_arena_shutdown); allocation bumps `offset` in
 * chunks[cur]; when it does not fit, the next chunk is used (replaced by a bigger one only if too
 * small). A reset rewinds to chunk 0, so a loop doing the same allocations every step reuses the same
 * chunks and never calls malloc after its first step.
 * used = bytes handed out since the reset (alignment padding and skipped chunk tails included).
 * Every function acts on the calling thread's current context: the process default unless the thread
 * chose another with tt_context_use (a thread-local pointer, so threads may each own one).
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "autograd_internal.h"

#define ARENA_ALIGN 64
#define ARENA_MIN_CHUNK ((size_t)16 << 20) /* 16 MiB */

static tt_context default_ctx;
static _Thread_local tt_context *current_ctx; /* NULL: the default */

tt_context *tt__ctx(void) { return current_ctx ? current_ctx : &default_ctx; }

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

static void new_chunk_at(tt_context *c, int i, size_t need)
{
    size_t size = need > ARENA_MIN_CHUNK ? need : ARENA_MIN_CHUNK;
    if (i < c->n_chunks) {
        c->capacity -= c->chunks[i].size;
        free(c->chunks[i].mem);
    }
    void *mem = aligned_alloc(ARENA_ALIGN, size); /* size is a multiple of ARENA_ALIGN */
    if (mem == NULL) {
        tt_fatal("arena: out of memory allocating a %zu-byte chunk", size);
    }
    c->chunks[i].mem = mem;
    c->chunks[i].size = size;
    c->capacity += size;
    c->heap_allocs++;
    if (i >= c->n_chunks) {
        c->n_chunks = i + 1;
    }
}

void *tt_arena_alloc(size_t bytes)
{
    tt_context *c = tt__ctx();
    size_t need = align_up(bytes ? bytes : 1);
    if (c->n_chunks == 0) {
        new_chunk_at(c, 0, need);
        c->cur = 0;
        c->offset = 0;
    }
    if (c->offset + need > c->chunks[c->cur].size) {
        int next = c->cur + 1;
        if (next >= ARENA_MAX_CHUNKS) {
            tt_fatal("arena: more than %d chunks; is tt_arena_reset() called after each step?",
                     ARENA_MAX_CHUNKS);
        }
        if (next >= c->n_chunks || c->chunks[next].size < need) {
            new_chunk_at(c, next, need);
        }
        c->used_before += c->offset;
        c->cur = next;
        c->offset = 0;
    }
    void *p = c->chunks[c->cur].mem + c->offset;
    c->offset += need;
    size_t used = c->used_before + c->offset;
    if (used > c->peak) {
        c->peak = used;
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
    tt_context *c = tt__ctx();
    c->cur = 0;
    c->offset = 0;
    c->used_before = 0;
    c->tape = NULL;
}

tt_arena_mark tt_arena_get_mark(void)
{
    tt_context *c = tt__ctx();
    tt_arena_mark m = {c->cur, c->offset, c->tape, c->used_before + c->offset};
    return m;
}

void tt_arena_release(tt_arena_mark m)
{
    tt_context *c = tt__ctx();
    c->cur = m.chunk;
    c->offset = m.offset;
    c->used_before = m.used - m.offset;
    c->tape = m.tape;
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

size_t tt_arena_used_bytes(void) { return tt__ctx()->used_before + tt__ctx()->offset; }
size_t tt_arena_peak_bytes(void) { return tt__ctx()->peak; }
void tt_arena_peak_clear(void) { tt__ctx()->peak = tt_arena_used_bytes(); }
size_t tt_arena_capacity_bytes(void) { return tt__ctx()->capacity; }
uint64_t tt_arena_heap_allocs(void) { return tt__ctx()->heap_allocs; }

static void release_chunks(tt_context *c)
{
    for (int i = 0; i < c->n_chunks; i++) {
        free(c->chunks[i].mem);
        c->chunks[i].mem = NULL;
        c->chunks[i].size = 0;
    }
    c->n_chunks = 0;
    c->capacity = 0;
}

void tt_arena_shutdown(void)
{
    release_chunks(tt__ctx());
    tt_arena_reset();
}

/* ---- contexts ------------------------------------------------------------------------------------ */

tt_context *tt_context_new(void)
{
    tt_context *c = calloc(1, sizeof *c);
    if (!c) {
        tt_fatal("tt_context_new: out of memory");
    }
    return c;
}

void tt_context_free(tt_context *c)
{
    if (!c) {
        return;
    }
    if (c == &default_ctx) {
        tt_fatal("tt_context_free: the process default context is not freed (tt_arena_shutdown returns"
                 " its memory)");
    }
    if (c == current_ctx) {
        tt_fatal("tt_context_free: the context is current on this thread (call tt_context_use(NULL) "
                 "first)");
    }
    release_chunks(c);
    for (int i = 0; i < c->n_grads; i++) {
        free(c->grads[i].buf);
    }
    free(c->grads);
    free(c);
}

tt_context *tt_context_use(tt_context *c)
{
    tt_context *prev = tt__ctx();
    current_ctx = (c == &default_ctx) ? NULL : c;
    return prev;
}

tt_context *tt_context_current(void) { return tt__ctx(); }

/* ---- a context's own parameter gradients ---------------------------------------------------------- */

void tt_context_own_grads(tt_context *c, bool own)
{
    if (c == &default_ctx || c == NULL) {
        tt_fatal("tt_context_own_grads: the process default context keeps gradients in the tensors "
                 "(give a context from tt_context_new)");
    }
    c->own_grads = own;
}

static int find_slot(const tt_context *c, const tt_tensor *t)
{
    for (int k = 0; k < c->n_grads; k++) {
        int i = (c->last_slot + k) % c->n_grads;
        if (c->grads[i].param == t && c->grads[i].numel == t->numel) {
            return i;
        }
    }
    return -1;
}

float *tt__ctx_grad_buf(tt_context *c, tt_tensor *t)
{
    int i = find_slot(c, t);
    if (i < 0) {
        if (c->n_grads == c->cap_grads) {
            int cap = c->cap_grads ? 2 * c->cap_grads : 64;
            tt__grad_slot *g = realloc(c->grads, (size_t)cap * sizeof *g);
            if (!g) {
                tt_fatal("tt_context_own_grads: out of memory for %d gradient slots", cap);
            }
            c->grads = g;
            c->cap_grads = cap;
        }
        float *buf = calloc(t->numel ? (size_t)t->numel : 1, sizeof(float));
        if (!buf) {
            tt_fatal("grad: out of memory (%zu bytes)", (size_t)t->numel * sizeof(float));
        }
        i = c->n_grads++;
        c->grads[i] = (tt__grad_slot){t, t->numel, buf, false};
    }
    c->last_slot = i;
    c->grads[i].used = true;
    return c->grads[i].buf;
}

float *tt_context_grad(tt_context *c, const tt_tensor *param)
{
    int i = find_slot(c, param);
    return i < 0 ? NULL : c->grads[i].buf;
}

int tt_context_grad_count(tt_context *c) { return c->n_grads; }

float *tt_context_grad_at(tt_context *c, int i, tt_tensor **param, bool *used)
{
    if (i < 0 || i >= c->n_grads) {
        tt_fatal("tt_context_grad_at: slot %d of %d", i, c->n_grads);
    }
    *param = c->grads[i].param;
    *used = c->grads[i].used;
    return c->grads[i].buf;
}

void tt_context_zero_grads(tt_context *c)
{
    for (int i = 0; i < c->n_grads; i++) {
        if (c->grads[i].used) {
            memset(c->grads[i].buf, 0, (size_t)c->grads[i].numel * sizeof(float));
            c->grads[i].used = false;
        }
    }
}

void tt_context_grads_done(tt_context *c)
{
    for (int i = 0; i < c->n_grads; i++) {
        c->grads[i].used = false;
    }
}

bool tt_context_refuse_split(void)
{
    tt_context *c = tt__ctx();
    if (!c->own_grads) {
        return false;
    }
    c->refusals++;
    return true;
}

uint64_t tt_context_refusals(tt_context *c) { return c->refusals; }
