/* autograd.h - reverse-mode automatic differentiation and the step arena (module 06).
 *
 * The tape. Every op whose result needs a gradient appends a node (op name, inputs, output, a backward
 * function, a little saved state) to a global tape, in the order the forward pass runs. Creation order
 * is a topological order, so tt_backward() simply walks the tape from the newest node to the oldest,
 * calling each node's backward when its output received a gradient. Gradients accumulate (+=).
 *
 * The arena. Every step tensor, its data, every tape node and every intermediate gradient come from one
 * bump allocator. tt_arena_reset() (or tt_arena_release() to a mark) frees them all at once; chunks are
 * kept and reused, so a training loop that does the same work each step makes no heap allocation after
 * the first step, and tt_arena_peak_bytes() is the exact high-water mark of a step's memory.
 *
 * Contexts. The arena, the tape and the grad mode live in a context. The process has a default one,
 * which every call uses unless the calling thread chose another with tt_context_use, so two models
 * (a teacher and a student) can keep their step memory apart, and several threads can each run
 * training steps in a context of their own (as ggml's contexts). A graph stays in the context that
 * built it: run its backward with that context current. One context is used by one thread at a
 * time; kernels may use threads internally.
 */
#ifndef TINYTORCH_AUTOGRAD_H
#define TINYTORCH_AUTOGRAD_H

#include "tinytorch/tensor.h"

/* ---- arena ------------------------------------------------------------------------------------- */

void *tt_arena_alloc(size_t bytes);          /* 64-byte aligned, uninitialised */
void *tt_arena_calloc(size_t bytes);         /* zero-filled */
void tt_arena_reset(void);                   /* frees every step tensor and the tape */

typedef struct tt_arena_mark { int chunk; size_t offset; tt_node *tape; size_t used; } tt_arena_mark;
tt_arena_mark tt_arena_get_mark(void);
void tt_arena_release(tt_arena_mark m);      /* frees everything allocated after the mark */

size_t tt_arena_used_bytes(void);            /* live bytes now */
size_t tt_arena_peak_bytes(void);            /* high-water mark since the last tt_arena_peak_clear() */
void tt_arena_peak_clear(void);
size_t tt_arena_capacity_bytes(void);        /* bytes obtained from the heap so far */
uint64_t tt_arena_heap_allocs(void);         /* number of chunk mallocs so far (steady state: constant) */
void tt_arena_shutdown(void);                /* returns every chunk to the heap */

/* ---- contexts: an arena and a tape the caller may own ---------------------------------------- */

typedef struct tt_context tt_context;
tt_context *tt_context_new(void);            /* an empty arena and tape (no memory until first use) */
/* Returns its chunks to the heap; its step tensors die with it. Not the default, not current. */
void tt_context_free(tt_context *c);
/* Makes c current on the calling thread (NULL: the process default); returns the previous one. */
tt_context *tt_context_use(tt_context *c);
tt_context *tt_context_current(void);

/* Parameter gradients per context (data parallelism inside a step, as tt_train_step does). With own
 * set, while c is current, the gradient of every persistent tensor (a parameter) goes to a buffer c
 * keeps for it (zero-filled on first use, kept until c is freed) instead of the tensor's own: several
 * threads can then run backward over the same parameters at once, each in a context of its own, and
 * the caller sums the buffers. Not allowed on the process default context. */
void tt_context_own_grads(tt_context *c, bool own);
float *tt_context_grad(tt_context *c, const tt_tensor *param); /* c's buffer for param, or NULL */
/* The buffers one by one, i in [0, tt_context_grad_count): *used is true when a backward wrote the
 * buffer since the last tt_context_zero_grads / tt_context_grads_done. */
int tt_context_grad_count(tt_context *c);
float *tt_context_grad_at(tt_context *c, int i, tt_tensor **param, bool *used);
void tt_context_zero_grads(tt_context *c);   /* zeroes the used buffers, clears `used` */
void tt_context_grads_done(tt_context *c);   /* clears `used` (the caller zeroed what it read) */
/* For an op whose training forward couples the samples of a batch (BatchNorm's batch statistics) or
 * draws random numbers (dropout). Returns false in a context that does not own its gradients: the op
 * runs as usual. Returns true inside one shard of a step split across threads: the op must leave
 * shared state alone (running statistics, generators) and may return any value of the right shape;
 * the context counts the refusal and the step discards its shards and runs on one thread instead. */
bool tt_context_refuse_split(void);
uint64_t tt_context_refusals(tt_context *c);  /* times tt_context_refuse_split returned true in c */

/* ---- gradient mode ----------------------------------------------------------------------------- */

void tt_no_grad_begin(void);                 /* nestable: ops inside record nothing */
void tt_no_grad_end(void);
bool tt_grad_enabled(void);

/* ---- backward ---------------------------------------------------------------------------------- */

/* Seeds d(loss)/d(loss) = 1 (loss must have one element) and runs the tape backwards. The tape is
 * released afterwards: a second call on the same graph is an error. */
void tt_backward(tt_tensor *loss);
/* Same with an explicit seed gradient of loss's shape (e.g. 1/accumulation_steps). */
void tt_backward_with(tt_tensor *out, const tt_tensor *seed);
void tt_zero_grad(tt_tensor **params, int n); /* sets each parameter's gradient to 0 */
/* A function called after each node's backward while tt_backward runs (NULL: none). Data-parallel
 * training uses it to start reducing a parameter's gradient as soon as the last node that reads
 * the parameter has run, while the rest of backward goes on. One hook per process. */
typedef void (*tt_backward_hook)(const tt_node *node, void *ctx);
void tt_set_backward_hook(tt_backward_hook fn, void *ctx);

/* ---- activation checkpointing ---------------------------------------------------------------- */

/* y = fn(ctx, x), keeping only y: fn runs without recording, and its intermediates go back to the
 * arena at once. In backward the node runs fn again on x with recording on (from the same rng state
 * when rng is not NULL, so dropout draws the same mask), walks that small tape with y's gradient and
 * frees it, adding into x's and the parameters' gradients what the plain graph would have. Memory:
 * the intermediates of one fn at a time instead of all of them; time: one more forward of fn.
 * ctx and everything fn reads must live until backward. Without grad mode: just fn(ctx, x). */
typedef tt_tensor *(*tt_checkpoint_fn)(void *ctx, tt_tensor *x);
tt_tensor *tt_activation_checkpoint(tt_checkpoint_fn fn, void *ctx, tt_tensor *x, tt_rng *rng);

/* ---- writing an op (used by every module that adds a differentiable op) ------------------------ */

#define TT_NODE_MAX_INPUTS 4

typedef void (*tt_backward_fn)(tt_node *node);

struct tt_node {
    const char *op;                          /* "add", "conv2d", ... */
    tt_backward_fn backward;
    tt_tensor *out;
    tt_tensor *in[TT_NODE_MAX_INPUTS];
    int n_in;
    int64_t iarg[8];                         /* small integer arguments (axis, stride, ...) */
    float farg[4];                           /* small float arguments (scale, slope, ...) */
    void *saved;                             /* op-specific state, arena-allocated */
    tt_node *prev;                           /* previous node on the tape */
};

/* True when grad mode is on and any input requires a gradient. */
bool tt_any_requires_grad(tt_tensor *const *in, int n_in);
/* Records a node producing `out` from `in` if a gradient is needed (marks out TT_REQUIRES_GRAD);
 * returns the node (to fill iarg/farg/saved) or NULL when nothing was recorded. */
tt_node *tt_record(const char *op, tt_tensor *out, tt_tensor *const *in, int n_in, tt_backward_fn fn);
/* Gradient buffer of t, allocated zero-filled on first use (arena for step tensors, heap once for
 * persistent ones). Backward functions accumulate into it. */
float *tt_grad_buf(tt_tensor *t);
/* Like tt_grad_buf, for an op that overwrites the WHOLE gradient: when t is a step tensor with no
 * gradient yet, the new buffer is left uninitialised and *fresh is set to true, and the caller must
 * write (=) every element instead of adding (+=). Saves zero-filling and re-reading the buffer (with
 * GEMM: beta = 0). Otherwise behaves as tt_grad_buf and sets *fresh to false. */
float *tt_grad_buf_fresh(tt_tensor *t, bool *fresh);
/* True when backward should compute a gradient for t (it requires one). */
static inline bool tt_wants_grad(const tt_tensor *t) { return (t->flags & TT_REQUIRES_GRAD) != 0; }
/* Adds g (shaped like `from`, a broadcast result) into t's gradient, summing over broadcast axes. */
void tt_accumulate_broadcast(tt_tensor *t, const float *g, int from_ndim, const int64_t *from_shape);

#endif
