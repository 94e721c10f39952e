/* tensor.h - TinyTorch's N-d float32 tensor (module 01) and the ops every later module builds on.
 *
 * A tensor is a contiguous, row-major block of float32 plus its shape (up to TT_MAX_DIMS dims).
 * There are no strides: views (reshape) share storage, every other shape op (transpose, permute,
 * slice, concat) makes a contiguous copy, so every kernel can assume a dense layout.
 *
 * Memory. Two lifetimes, chosen at creation:
 *   - step tensors (all op results, tt_zeros/tt_ones/...): carved from the arena (see autograd.h);
 *     they live until tt_arena_reset(), which the training loop calls after every step.
 *   - persistent tensors (parameters, optimizer state, data sets): tt_tensor_new_persistent(),
 *     heap-allocated once, freed with tt_tensor_free().
 *
 * Autograd. An op whose inputs need a gradient records a node on the tape (autograd.h); tt_backward()
 * walks the tape backwards. Gradients (t->grad) have the tensor's shape.
 *
 * Errors. A shape mismatch in an op is a programming error: it calls tt_fatal() with the op's name and
 * both shapes ("tt_add: shapes [2, 3] and [4] cannot broadcast"), which prints and aborts unless a
 * handler was installed with tt_set_error_handler().
 */
#ifndef TINYTORCH_TENSOR_H
#define TINYTORCH_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define TT_MAX_DIMS 6

/* Pass a shape literal: tt_zeros(TT_SHAPE(2, 3)) expands to tt_zeros(2, (const int64_t[]){2, 3}). */
#define TT_SHAPE(...) \
    (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__}

/* Reductions over every element. */
#define TT_ALL_AXES INT32_MIN

typedef struct tt_node tt_node;

enum {
    TT_REQUIRES_GRAD = 1u << 0, /* gradient wanted (leaf) or flows through (op result) */
    TT_PERSISTENT = 1u << 1,    /* heap-allocated; survives tt_arena_reset() */
};

typedef struct tt_tensor {
    float *data;            /* numel floats, row-major, contiguous */
    float *grad;            /* NULL until backward reaches this tensor; same shape as data */
    int64_t numel;
    int ndim;
    int64_t shape[TT_MAX_DIMS];
    uint32_t flags;
    tt_node *node;          /* op that produced it (NULL for leaves and for no-grad results) */
    const char *name;       /* optional, for messages and checkpoints */
} tt_tensor;

/* ---- errors ------------------------------------------------------------------------------------ */

typedef void (*tt_error_handler)(const char *message);
/* Installs a handler called instead of abort(); it must not return (longjmp or exit). NULL restores
 * the default. Returns the previous handler. It is called only on the thread that installed it (a
 * longjmp cannot cross threads): an error in a worker thread prints the message and aborts. */
tt_error_handler tt_set_error_handler(tt_error_handler h);
_Noreturn void tt_fatal(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Writes "[2, 3]" into buf (returns buf). */
char *tt_shape_str(const tt_tensor *t, char *buf, size_t len);

/* ---- random numbers (deterministic, seedable) --------------------------------------------------- */

typedef struct tt_rng { uint64_t s[4]; int has_spare; float spare; } tt_rng;
void tt_rng_seed(tt_rng *r, uint64_t seed);
uint32_t tt_rng_u32(tt_rng *r);
uint64_t tt_rng_u64(tt_rng *r);
float tt_rng_uniform(tt_rng *r);            /* [0, 1) */
float tt_rng_normal(tt_rng *r);             /* N(0, 1), Box-Muller */
uint32_t tt_rng_below(tt_rng *r, uint32_t n); /* uniform integer in [0, n) */
void tt_rng_shuffle(tt_rng *r, int64_t *idx, int64_t n);
tt_rng *tt_default_rng(void);               /* global generator used when an API takes rng == NULL */
void tt_manual_seed(uint64_t seed);

/* ---- creation ---------------------------------------------------------------------------------- */

tt_tensor *tt_empty(int ndim, const int64_t *shape);          /* arena, uninitialised */
tt_tensor *tt_zeros(int ndim, const int64_t *shape);
tt_tensor *tt_ones(int ndim, const int64_t *shape);
tt_tensor *tt_full(int ndim, const int64_t *shape, float value);
tt_tensor *tt_arange(float start, float stop, float step);    /* 1-D, like numpy.arange */
tt_tensor *tt_from_data(int ndim, const int64_t *shape, const float *data); /* copies data */
tt_tensor *tt_scalar(float value);                            /* 0-d tensor */
tt_tensor *tt_rand_uniform(int ndim, const int64_t *shape, float lo, float hi, tt_rng *rng);
tt_tensor *tt_randn(int ndim, const int64_t *shape, float mean, float std, tt_rng *rng);
tt_tensor *tt_zeros_like(const tt_tensor *t);
tt_tensor *tt_clone(const tt_tensor *t);                      /* copy of data, tracked by autograd */
tt_tensor *tt_detach(const tt_tensor *t);                     /* shares data, no graph */

/* Persistent (heap) tensors: parameters, optimizer state, data sets. */
tt_tensor *tt_tensor_new_persistent(int ndim, const int64_t *shape); /* zero-filled */
void tt_tensor_free(tt_tensor *t);                            /* persistent only; NULL is fine */
void tt_set_requires_grad(tt_tensor *t, bool on);
static inline bool tt_requires_grad(const tt_tensor *t) { return (t->flags & TT_REQUIRES_GRAD) != 0; }

/* ---- inspection -------------------------------------------------------------------------------- */

int64_t tt_numel_of(int ndim, const int64_t *shape);
bool tt_same_shape(const tt_tensor *a, const tt_tensor *b);
float tt_item(const tt_tensor *t);                            /* the value of a 1-element tensor */
size_t tt_nbytes(const tt_tensor *t);                         /* numel * 4 */
void tt_print(const tt_tensor *t, const char *label);         /* small tensors, for learners */

/* ---- elementwise, NumPy broadcasting ----------------------------------------------------------- */

tt_tensor *tt_add(tt_tensor *a, tt_tensor *b);
tt_tensor *tt_sub(tt_tensor *a, tt_tensor *b);
tt_tensor *tt_mul(tt_tensor *a, tt_tensor *b);
tt_tensor *tt_div(tt_tensor *a, tt_tensor *b);
tt_tensor *tt_add_scalar(tt_tensor *a, float s);
tt_tensor *tt_mul_scalar(tt_tensor *a, float s);
tt_tensor *tt_pow_scalar(tt_tensor *a, float p);              /* a^p */
tt_tensor *tt_neg(tt_tensor *a);
tt_tensor *tt_exp(tt_tensor *a);
tt_tensor *tt_log(tt_tensor *a);
tt_tensor *tt_sqrt(tt_tensor *a);
/* out[i] = mask[i] != 0 ? value : a[i]; mask broadcasts to a's shape; no gradient through mask. */
tt_tensor *tt_masked_fill(tt_tensor *a, const tt_tensor *mask, float value);
/* Broadcast shape of a and b into out (returns its ndim); -1 if incompatible. */
int tt_broadcast_shape(const tt_tensor *a, const tt_tensor *b, int64_t *out);

/* ---- matrix products --------------------------------------------------------------------------- */

/* a [..., M, K] @ b [..., K, N] -> [..., M, N]; batch dims broadcast; 1-D operands as in NumPy. */
tt_tensor *tt_matmul(tt_tensor *a, tt_tensor *b);
/* x [..., in] @ w[out, in]^T + bias[out] -> [..., out]; bias may be NULL (module 03's Linear). */
tt_tensor *tt_linear(tt_tensor *x, tt_tensor *w, tt_tensor *bias);

/* ---- shape ops --------------------------------------------------------------------------------- */

tt_tensor *tt_reshape(tt_tensor *a, int ndim, const int64_t *shape); /* one -1 allowed; shares data */
tt_tensor *tt_flatten(tt_tensor *a, int start_axis);          /* [d0..ds-1, prod(rest)] */
tt_tensor *tt_transpose(tt_tensor *a, int axis0, int axis1);  /* copy */
tt_tensor *tt_permute(tt_tensor *a, const int *perm);         /* copy; perm has a->ndim entries */
tt_tensor *tt_slice(tt_tensor *a, int axis, int64_t start, int64_t stop, int64_t step); /* copy */
tt_tensor *tt_concat(tt_tensor **ts, int n, int axis);
tt_tensor *tt_stack(tt_tensor **ts, int n, int axis);         /* new axis */

/* ---- reductions (axis may be negative; TT_ALL_AXES reduces everything) ------------------------- */

tt_tensor *tt_sum(tt_tensor *a, int axis, bool keepdims);
tt_tensor *tt_mean(tt_tensor *a, int axis, bool keepdims);
tt_tensor *tt_max(tt_tensor *a, int axis, bool keepdims);     /* gradient to the first maximum */
tt_tensor *tt_argmax(const tt_tensor *a, int axis, bool keepdims); /* indices as floats, no grad */

#endif
