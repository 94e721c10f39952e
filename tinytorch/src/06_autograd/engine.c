/* engine.c - the autograd tape: recording nodes, running backward, gradient buffers.
 *
 * Invariant: the tape is a singly linked list from the newest node (tt__tape_head) to the oldest, in
 * creation order, which is a topological order of the graph. Backward visits it newest-first and calls
 * a node only when its output has a gradient, so nodes that do not lead to the loss cost nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "autograd_internal.h"
#include "../common/vmath.h"

/* the tape head and the no-grad depth belong to the current context (autograd_internal.h) */
void tt_no_grad_begin(void) { tt__ctx()->no_grad_depth++; }
void tt_no_grad_end(void)
{
    if (tt__ctx()->no_grad_depth == 0) {
        tt_fatal("tt_no_grad_end: not inside a no-grad scope");
    }
    tt__ctx()->no_grad_depth--;
}
bool tt_grad_enabled(void) { return tt__ctx()->no_grad_depth == 0; }

bool tt_any_requires_grad(tt_tensor *const *in, int n_in)
{
    if (tt__ctx()->no_grad_depth) {
        return false;
    }
    for (int i = 0; i < n_in; i++) {
        if (in[i] && (in[i]->flags & TT_REQUIRES_GRAD)) {
            return true;
        }
    }
    return false;
}

tt_node *tt_record(const char *op, tt_tensor *out, tt_tensor *const *in, int n_in, tt_backward_fn fn)
{
    if (n_in > TT_NODE_MAX_INPUTS) {
        tt_fatal("%s: %d inputs, a node holds at most %d", op, n_in, TT_NODE_MAX_INPUTS);
    }
    if (!tt_any_requires_grad(in, n_in)) {
        return NULL;
    }
    tt_node *n = tt_arena_calloc(sizeof *n);
    n->op = op;
    n->backward = fn;
    n->out = out;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) {
        n->in[i] = in[i];
    }
    n->prev = tt__tape_head;
    tt__tape_head = n;
    out->node = n;
    out->flags |= TT_REQUIRES_GRAD;
    return n;
}

float *tt_grad_buf(tt_tensor *t)
{
    if (t->flags & TT_PERSISTENT) {
        tt_context *c = tt__ctx();
        if (c->own_grads) {
            return tt__ctx_grad_buf(c, t);
        }
    }
    if (!t->grad) {
        size_t bytes = (size_t)t->numel * sizeof(float);
        if (t->flags & TT_PERSISTENT) {
            t->grad = calloc(t->numel ? (size_t)t->numel : 1, sizeof(float));
            if (!t->grad) {
                tt_fatal("grad: out of memory (%zu bytes)", bytes);
            }
        } else {
            t->grad = tt_arena_calloc(bytes);
        }
    }
    return t->grad;
}

float *tt_grad_buf_fresh(tt_tensor *t, bool *fresh)
{
    *fresh = !t->grad && !(t->flags & TT_PERSISTENT);
    if (*fresh) {
        t->grad = tt_arena_alloc((size_t)t->numel * sizeof(float));
        return t->grad;
    }
    return tt_grad_buf(t);
}

static tt_backward_hook backward_hook;
static void *backward_hook_ctx;

void tt_set_backward_hook(tt_backward_hook fn, void *ctx)
{
    backward_hook = fn;
    backward_hook_ctx = ctx;
}

bool tt__backward_hook_set(void) { return backward_hook != NULL; }

static void run_tape(void)
{
    /* TODO: walk the tape newest first; run each node's backward when its output got a gradient, then the hook */
    /* BEGIN SOLUTION */
    for (tt_node *n = tt__tape_head; n; n = n->prev) {
        if (n->out->grad) {
            n->backward(n);
            if (backward_hook) {
                backward_hook(n, backward_hook_ctx);
            }
        }
    }
    /* END SOLUTION */
    tt__tape_head = NULL;
}

void tt__run_tape_until(tt_node *stop)
{
    for (tt_node *n = tt__tape_head; n && n != stop; n = n->prev) {
        if (n->out->grad) {
            n->backward(n);
            if (backward_hook) {
                backward_hook(n, backward_hook_ctx);
            }
        }
    }
}

void tt_backward(tt_tensor *loss)
{
    if (loss->numel != 1) {
        char s[96];
        tt_fatal("tt_backward: loss must have one element, got shape %s (use tt_backward_with)",
                 tt_shape_str(loss, s, sizeof s));
    }
    if (!(loss->flags & TT_REQUIRES_GRAD)) {
        tt_fatal("tt_backward: the loss does not require a gradient (no parameter reached it, "
                 "or it was computed under no-grad)");
    }
    if (loss->node && tt__tape_head == NULL) {
        tt_fatal("tt_backward: the graph was already released by an earlier backward");
    }
    /* TODO: seed dL/dL = 1, then run the tape */
    /* BEGIN SOLUTION */
    tt_grad_buf(loss)[0] += 1.0f;
    run_tape();
    /* END SOLUTION */
}

void tt_backward_with(tt_tensor *out, const tt_tensor *seed)
{
    if (!tt_same_shape(out, seed)) {
        char a[96], b[96];
        tt_fatal("tt_backward_with: output %s and seed %s differ", tt_shape_str(out, a, sizeof a),
                 tt_shape_str(seed, b, sizeof b));
    }
    if (!(out->flags & TT_REQUIRES_GRAD)) {
        tt_fatal("tt_backward_with: the output does not require a gradient");
    }
    float *g = tt_grad_buf(out);
    for (int64_t i = 0; i < out->numel; i++) {
        g[i] += seed->data[i];
    }
    run_tape();
}

void tt_zero_grad(tt_tensor **params, int n)
{
    /* TODO: zero every parameter's gradient that exists */
    /* BEGIN SOLUTION */
    for (int i = 0; i < n; i++) {
        if (params[i]->grad) {
            memset(params[i]->grad, 0, (size_t)params[i]->numel * sizeof(float));
        }
    }
    /* END SOLUTION */
}

/* g has shape from_shape (a broadcast of t's shape). Sum g over the broadcast axes into t->grad. */
void tt_accumulate_broadcast(tt_tensor *t, const float *g, int from_ndim, const int64_t *from_shape)
{
    int64_t from_numel = tt_numel_of(from_ndim, from_shape);
    if (from_numel == t->numel) {           /* same number of elements: shapes equal up to 1s */
        bool fresh;                         /* nothing written yet: a copy, no zeroing */
        float *dst = tt_grad_buf_fresh(t, &fresh);
        if (fresh) {
            memcpy(dst, g, (size_t)t->numel * sizeof(float));
        } else {
            tt__add_rows(dst, g, 1, t->numel);
        }
        return;
    }
    float *dst = tt_grad_buf(t);
    /* TODO: a scalar t: its gradient is the sum of all of g */
    /* BEGIN SOLUTION */
    if (t->numel == 1) {
        double s = 0.0;
        for (int64_t i = 0; i < from_numel; i++) {
            s += g[i];
        }
        dst[0] += (float)s;
        return;
    }
    /* END SOLUTION */
    /* Align t's shape to the right of from_shape; stride 0 on broadcast axes. */
    int nd = from_ndim;
    int64_t tstride[TT_MAX_DIMS];
    int64_t acc = 1;
    for (int d = nd - 1; d >= 0; d--) {
        int td = d - (nd - t->ndim);
        int64_t tdim = td >= 0 ? t->shape[td] : 1;
        tstride[d] = (tdim == 1 && from_shape[d] != 1) ? 0 : acc;
        acc *= tdim;
    }
    /* Fast path: t is a suffix (e.g. a bias [C] under [N, C]): sum rows. */
    int64_t inner = 1;
    int k = nd;
    while (k > 0 && tstride[k - 1] != 0) {
        inner *= from_shape[k - 1];
        k--;
    }
    bool leading_all_zero = true;
    for (int d = 0; d < k; d++) {
        if (tstride[d] != 0) {
            leading_all_zero = false;
        }
    }
    if (leading_all_zero && inner == t->numel) {
        tt__add_rows(dst, g, from_numel / inner, inner);
        return;
    }
    int64_t idx[TT_MAX_DIMS] = {0};
    int64_t toff = 0;
    for (int64_t i = 0; i < from_numel; i++) {
        dst[toff] += g[i];
        for (int d = nd - 1; d >= 0; d--) {
            idx[d]++;
            toff += tstride[d];
            if (idx[d] < from_shape[d]) {
                break;
            }
            toff -= tstride[d] * from_shape[d];
            idx[d] = 0;
        }
    }
}
