/* autograd_internal.h - what activation checkpointing needs from the tape and the arena (module 06,
 * internal; not part of the user API). */
#ifndef TT_AUTOGRAD_INTERNAL_H
#define TT_AUTOGRAD_INTERNAL_H

#include "tinytorch/autograd.h"

#define ARENA_MAX_CHUNKS 256

typedef struct tt__chunk { unsigned char *mem; size_t size; } tt__chunk;

/* A context's own gradient buffer for one persistent tensor (tt_context_own_grads). Keyed by the
 * tensor and its size; `used` is set when backward asks for it and cleared by the step that sums it. */
typedef struct tt__grad_slot { tt_tensor *param; int64_t numel; float *buf; bool used; } tt__grad_slot;

/* A context: one arena (chunks[0..n_chunks) kept until freed; allocation bumps `offset` in
 * chunks[cur]), its tape and its grad mode. The process default serves every thread that never chose
 * one; tt_context_use makes another current on the calling thread. */
struct tt_context {
    tt__chunk chunks[ARENA_MAX_CHUNKS];
    int n_chunks;
    int cur;
    size_t offset;
    size_t used_before;      /* bytes consumed in chunks[0..cur) */
    size_t peak;
    size_t capacity;
    uint64_t heap_allocs;
    tt_node *tape;           /* the newest node */
    int no_grad_depth;
    bool own_grads;          /* persistent tensors' gradients go to grads[] (tt_context_own_grads) */
    tt__grad_slot *grads;    /* [n_grads], heap, kept until the context is freed */
    int n_grads, cap_grads;
    int last_slot;           /* where the previous lookup hit (backward asks in a repeating order) */
    uint64_t refusals;       /* tt_context_refuse_split calls that returned true */
};

/* c's own gradient buffer for persistent t (allocated zero-filled on first use); marks it used. */
float *tt__ctx_grad_buf(tt_context *c, tt_tensor *t);
/* True while a backward hook is set (tt_set_backward_hook). */
bool tt__backward_hook_set(void);

/* The current context (arena.c): the caller's (tt_context_use) or the process default. */
tt_context *tt__ctx(void);
/* The newest node on the current context's tape (an lvalue). */
#define tt__tape_head (tt__ctx()->tape)

/* Runs the backward of every node from the tape head down to (not including) `stop`, like
 * tt_backward does for the whole tape, and leaves the tape head where it was. */
void tt__run_tape_until(tt_node *stop);

/* Releases the arena to m but keeps y: y's values move to a new step tensor allocated at the mark
 * (no node, no gradient), which is returned. y's data may lie anywhere (after the mark or before). */
tt_tensor *tt__arena_release_keep(tt_arena_mark m, const tt_tensor *y);

#endif
