/* optim.h - optimizers (module 07): SGD (momentum, dampening, Nesterov, weight decay), Adam, AdamW.
 *
 * Semantics follow torch.optim exactly, so 10 steps here match 10 steps of PyTorch (tested against
 * golden files):
 *   SGD:   g += wd*p;  if momentum: v = g on the first step, else v = mu*v + (1-dampening)*g;
 *          g = nesterov ? g + mu*v : v;   p -= lr*g
 *   Adam:  g += wd*p (coupled L2);  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
 *          p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   AdamW: p *= 1 - lr*wd (decoupled), then Adam without the coupled term.
 *
 * Memory. An optimizer keeps a pointer to each parameter (not a copy of the list) and allocates its
 * state once, at creation, as persistent tensors: SGD with momentum 1x the parameters, Adam/AdamW 2x.
 * tt_optim_step() makes no heap allocation. A parameter whose gradient is NULL (backward never
 * reached it) is skipped, like PyTorch's `p.grad is None`; its step count does not advance.
 *
 * Checkpoints. tt_optim_state() lists the state tensors under PyTorch-like names
 * ("momentum_buffer.<param>", "exp_avg.<param>", "exp_avg_sq.<param>"), plus a 1-element tensor
 * "step.<param>" holding that parameter's step count as a float (exact up to 2^24 steps); writing
 * into those tensors (e.g. from a loaded checkpoint) restores the optimizer.
 */
#ifndef TINYTORCH_OPTIM_H
#define TINYTORCH_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tinytorch/nn.h"

typedef struct tt_optimizer tt_optimizer;

typedef enum tt_optim_kind { TT_OPTIM_SGD, TT_OPTIM_ADAM, TT_OPTIM_ADAMW } tt_optim_kind;

/* Options with PyTorch's defaults: a field left 0 takes the default named beside it, so
 *     tt_optimizer *opt = tt_adam(&params, (tt_adam_opts){.lr = 1e-3f});
 * is torch.optim.Adam(params, lr=1e-3). Where the default is not 0 (the betas, AdamW's weight decay)
 * and 0 is wanted, write TT_ZERO. The optimizer owns its learning rate: only tt_optim_set_lr and a
 * scheduler (below) change it, never the training loop. */
#define TT_ZERO (-0.0f)   /* an explicit 0 for an option whose default is not 0 */

typedef struct tt_sgd_opts {
    float lr;             /* 1e-3 */
    float momentum;       /* 0: plain SGD (no state) */
    float dampening;      /* 0 */
    float weight_decay;   /* 0 (coupled L2) */
    bool nesterov;        /* false; requires momentum > 0 and dampening 0 (else tt_fatal) */
} tt_sgd_opts;

typedef struct tt_adam_opts {
    float lr;             /* 1e-3 */
    float beta1, beta2;   /* 0.9, 0.999 */
    float eps;            /* 1e-8 */
    float weight_decay;   /* Adam: 0 (coupled L2); AdamW: 1e-2 (decoupled) */
} tt_adam_opts;

tt_optimizer *tt_sgd(const tt_params *p, tt_sgd_opts o);
tt_optimizer *tt_adam(const tt_params *p, tt_adam_opts o);
tt_optimizer *tt_adamw(const tt_params *p, tt_adam_opts o);

void tt_optim_step(tt_optimizer *opt);        /* one update of every parameter that has a gradient */
void tt_optim_zero_grad(tt_optimizer *opt);   /* sets every existing gradient to 0 (keeps buffers) */
void tt_optim_set_lr(tt_optimizer *opt, float lr);
float tt_optim_get_lr(const tt_optimizer *opt);
tt_optim_kind tt_optim_kind_of(const tt_optimizer *opt);
const char *tt_optim_name(const tt_optimizer *opt);  /* "SGD", "Adam", "AdamW" */
int64_t tt_optim_steps(const tt_optimizer *opt);     /* tt_optim_step() calls so far */
/* Appends the state tensors (owned by the optimizer) to out, names as described above. */
void tt_optim_state(const tt_optimizer *opt, tt_params *out);
size_t tt_optim_state_bytes(const tt_optimizer *opt); /* bytes of state (momentum / moments) */
void tt_optim_free(tt_optimizer *opt);               /* frees the state; NULL is fine */
/* The parameters the optimizer updates (not owned); *n receives their count. */
tt_tensor *const *tt_optim_params(const tt_optimizer *opt, int *n);

/* ---- learning-rate schedulers (torch.optim.lr_scheduler) ---------------------------------------
 * A scheduler acts on one optimizer. Its base rate is the optimizer's lr when the scheduler is
 * created; creation sets the rate for step 0 and every tt_scheduler_step() (call it after each
 * tt_optim_step) sets the rate for the next step. Steps count optimizer updates from 0.
 *   StepLR:   lr(s) = base * gamma^floor(s / step_size)
 *   Cosine:   lr(s) = base * (s + 1) / warmup for s < warmup (linear warm-up), then
 *             min + (base - min) * (1 + cos(pi * (s - warmup) / (total - warmup))) / 2, and min from
 *             s = total on. */
typedef struct tt_scheduler tt_scheduler;

typedef struct tt_step_lr_opts {
    int64_t step_size;    /* required, >= 1 */
    float gamma;          /* 0.1 */
} tt_step_lr_opts;

typedef struct tt_cosine_lr_opts {
    int64_t total_steps;  /* required, >= 1 */
    int64_t warmup_steps; /* 0; at most total_steps */
    float min_lr;         /* 0 */
} tt_cosine_lr_opts;

tt_scheduler *tt_step_lr(tt_optimizer *opt, tt_step_lr_opts o);
tt_scheduler *tt_cosine_lr(tt_optimizer *opt, tt_cosine_lr_opts o);
void tt_scheduler_step(tt_scheduler *s);              /* advance one step and set the optimizer's lr */
float tt_scheduler_lr_at(const tt_scheduler *s, int64_t step); /* the rate at any step (pure) */
int64_t tt_scheduler_steps(const tt_scheduler *s);    /* tt_scheduler_step() calls so far */
void tt_scheduler_free(tt_scheduler *s);              /* NULL is fine; the optimizer keeps its lr */

#endif
