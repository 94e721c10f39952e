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
#include "tinytorch/nn.h"

typedef struct tt_optimizer tt_optimizer;

typedef enum tt_optim_kind { TT_OPTIM_SGD, TT_OPTIM_ADAM, TT_OPTIM_ADAMW } tt_optim_kind;

/* momentum = 0 gives plain SGD (no state). nesterov requires momentum > 0 and dampening = 0, as in
 * PyTorch (violations are a programming error: tt_fatal). PyTorch defaults: dampening 0, wd 0. */
tt_optimizer *tt_sgd_new(const tt_params *p, float lr, float momentum, float dampening,
                         float weight_decay, bool nesterov);
/* PyTorch defaults: lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0 (Adam) / 1e-2 (AdamW). */
tt_optimizer *tt_adam_new(const tt_params *p, float lr, float beta1, float beta2, float eps,
                          float weight_decay);
tt_optimizer *tt_adamw_new(const tt_params *p, float lr, float beta1, float beta2, float eps,
                           float weight_decay);

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

#endif
