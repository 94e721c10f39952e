/* nn.h - activations (module 02), layers (module 03) and losses (module 04).
 *
 * Functional ops (tt_relu, tt_cross_entropy, ...) are differentiable through autograd (module 06).
 * Layers are small structs behind one vtable, tt_layer: forward, parameter collection, train/eval
 * switch, destroy. A concrete layer embeds `tt_layer base` as its FIRST member, so a pointer to it is a
 * tt_layer*. Parameters are persistent tensors owned by their layer (freed with tt_layer_free);
 * tt_params lists them with dotted names ("0.weight", "2.bias") as used in checkpoints.
 */
#ifndef TINYTORCH_NN_H
#define TINYTORCH_NN_H

#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

/* ---- 02 activations ----------------------------------------------------------------------------- */

tt_tensor *tt_relu(tt_tensor *x);
tt_tensor *tt_sigmoid(tt_tensor *x);
tt_tensor *tt_tanh(tt_tensor *x);
tt_tensor *tt_gelu(tt_tensor *x);          /* tanh approximation */
tt_tensor *tt_gelu_erf(tt_tensor *x);      /* exact: x * Phi(x) */
tt_tensor *tt_softmax(tt_tensor *x, int axis);     /* subtracts the max first */
tt_tensor *tt_log_softmax(tt_tensor *x, int axis);

/* ---- 04 losses (mean over the batch) ------------------------------------------------------------ */

tt_tensor *tt_mse_loss(tt_tensor *pred, tt_tensor *target);
/* logits [N, C] (or [..., C]), labels: N class indices in [0, C) */
tt_tensor *tt_cross_entropy(tt_tensor *logits, const int32_t *labels);
/* logits and targets (0/1 or probabilities) of the same shape */
tt_tensor *tt_bce_with_logits(tt_tensor *logits, tt_tensor *targets);

/* ---- parameter lists ---------------------------------------------------------------------------- */

typedef struct tt_params {
    tt_tensor **t;   /* persistent tensors, not owned */
    char **names;    /* owned copies */
    int n, cap;
} tt_params;

void tt_params_init(tt_params *p);
void tt_params_add(tt_params *p, const char *name, tt_tensor *t);
/* Adds t under prefix + name ("0." + "weight" = "0.weight"); a NULL t (an absent bias) adds nothing.
 * What a layer's collect_params calls for each of its tensors. */
void tt_params_add_at(tt_params *p, const char *prefix, const char *name, tt_tensor *t);
void tt_params_free(tt_params *p);           /* frees the list, not the tensors */
int64_t tt_params_numel(const tt_params *p); /* total scalar count */
tt_tensor *tt_params_find(const tt_params *p, const char *name);

/* ---- 03 layers ---------------------------------------------------------------------------------- */

typedef struct tt_layer tt_layer;
typedef struct tt_layer_ops {
    const char *kind;                                             /* "Linear", "Sequential", ... */
    tt_tensor *(*forward)(tt_layer *self, tt_tensor *x);
    void (*collect_params)(tt_layer *self, tt_params *out, const char *prefix); /* may be NULL */
    void (*set_training)(tt_layer *self, bool training);          /* may be NULL: sets base.training */
    void (*destroy)(tt_layer *self);                              /* frees params and self */
    /* Non-trainable state saved with the model (BatchNorm's running statistics); may be NULL. */
    void (*collect_buffers)(tt_layer *self, tt_params *out, const char *prefix);
} tt_layer_ops;

/* Kernel fusion, decided by the framework. A layer kind with a kernel that also computes the layers
 * that usually follow it (Conv2d: + ReLU, + ReLU + MaxPool2d(2)) gives its layers a fusion rule. A
 * Sequential plans once, at its first forward after its children changed: child i whose rule absorbs
 * k of the children after it runs as one call, forward(child i, k, x), instead of k + 1 forwards.
 * Users build the plain layers; parameters, checkpoints, the profiler and the quantizer see them. */
typedef struct tt_layer_fusion {
    /* How many of next[0 .. n) this layer's fused kernel computes with it (0: none). */
    int (*plan)(const tt_layer *self, tt_layer *const *next, int n);
    /* This layer and the `absorbed` children after it in one call; the same function as their
     * forwards one after the other. */
    tt_tensor *(*forward)(tt_layer *self, int absorbed, tt_tensor *x);
} tt_layer_fusion;

struct tt_layer {
    const tt_layer_ops *ops;
    bool training;     /* true after creation */
    tt_params *param_cache; /* tt_layer_parameters' list (NULL until asked for; freed with the layer) */
    const tt_layer_fusion *fusion; /* NULL (calloc's zero): this layer kind never fuses */
};

tt_tensor *tt_layer_forward(tt_layer *l, tt_tensor *x);
void tt_layer_params(tt_layer *l, tt_params *out);   /* appends, names relative to l */
void tt_layer_collect(tt_layer *l, tt_params *out, const char *prefix); /* for containers */
/* Buffers: state that is saved and loaded with the model but not trained (no optimizer sees it). */
void tt_layer_buffers(tt_layer *l, tt_params *out);  /* appends, names relative to l */
void tt_layer_collect_buffers(tt_layer *l, tt_params *out, const char *prefix); /* for containers */
/* A child's tensors under prefix + name + "." ("blocks.0." + "attn" -> "blocks.0.attn.qkv.weight");
 * an empty or NULL name adds no level (the child's names under prefix alone). */
void tt_layer_collect_at(tt_layer *l, tt_params *out, const char *prefix, const char *name);
void tt_layer_collect_buffers_at(tt_layer *l, tt_params *out, const char *prefix, const char *name);
/* The model's parameter list, built on first use and owned by the layer (no init/free):
 *     tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 1e-3f}); */
const tt_params *tt_layer_parameters(tt_layer *l);
void tt_layer_train(tt_layer *l, bool training);     /* propagates to children */
void tt_layer_free(tt_layer *l);                     /* NULL is fine */
/* Forgets tt_layer_parameters' list (a container whose children changed calls it). */
void tt_layer_drop_param_cache(tt_layer *l);

typedef enum tt_init { TT_INIT_KAIMING_UNIFORM, TT_INIT_KAIMING_NORMAL, TT_INIT_XAVIER_UNIFORM,
                       TT_INIT_XAVIER_NORMAL, TT_INIT_PYTORCH } tt_init;
/* Kaiming/He: std = sqrt(2 / fan_in); Xavier/Glorot: std = sqrt(2 / (fan_in + fan_out));
 * TT_INIT_PYTORCH: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, like torch.nn.Linear. */
void tt_init_tensor(tt_tensor *w, tt_init init, int64_t fan_in, int64_t fan_out, tt_rng *rng);

typedef struct tt_linear_layer {
    tt_layer base;
    tt_tensor *weight;   /* [out, in] */
    tt_tensor *bias;     /* [out] or NULL */
    int64_t in_features, out_features;
} tt_linear_layer;
tt_layer *tt_linear_new(int64_t in_features, int64_t out_features, bool bias, tt_init init, tt_rng *rng);

/* Inverted dropout: in training zeroes with probability p and scales kept values by 1/(1-p);
 * identity in eval. */
tt_tensor *tt_dropout(tt_tensor *x, float p, bool training, tt_rng *rng);
tt_layer *tt_dropout_new(float p, tt_rng *rng);

/* Activation layers, for use inside a Sequential. */
tt_layer *tt_relu_new(void);
tt_layer *tt_sigmoid_new(void);
tt_layer *tt_tanh_new(void);
tt_layer *tt_gelu_new(void);
tt_layer *tt_flatten_new(void);      /* [N, ...] -> [N, prod(...)] */

/* Sequential: owns its children; parameters are named "<index>.<child name>". */
tt_layer *tt_sequential_new(int n, tt_layer **layers);
void tt_sequential_append(tt_layer *seq, tt_layer *layer);
int tt_sequential_len(const tt_layer *seq);
tt_layer *tt_sequential_at(tt_layer *seq, int i);
/* Puts layer at index i (owned from now on) and returns the child it replaced (now the caller's). */
tt_layer *tt_sequential_replace(tt_layer *seq, int i, tt_layer *layer);
/* True when l is a Sequential. */
bool tt_is_sequential(const tt_layer *l);
/* The fusion plan (see tt_layer_fusion): how many children run as one call starting at child i (1:
 * child i runs alone; 0: child i is computed by an earlier child's fused kernel). Plans if needed. */
int tt_sequential_group_len(tt_layer *seq, int i);
/* Runs the group that starts at child i (its tt_sequential_group_len children) on x; a profiler
 * times a Sequential group by group with it. tt_fatal when no group starts at i. */
tt_tensor *tt_sequential_forward_group(tt_layer *seq, int i, tt_tensor *x);
/* Activation checkpointing as a layer (module 06): forward(x) = inner(x) through
 * tt_activation_checkpoint (inner's intermediates are recomputed in backward). Owns inner; its
 * parameters keep inner's names. rng: the generator inner's dropout draws from (NULL: the default). */
tt_layer *tt_checkpointed_new(tt_layer *inner, tt_rng *rng);

/* ---- LoRA: low-rank adapters for Linear layers (Hu et al. 2021, arXiv:2106.09685) ---------------- */

/* y = x W^T + b + (alpha / r) (x A^T) B^T with W, b frozen (no gradient), A [r, in] ~ U(-1/sqrt(in),
 * 1/sqrt(in)) and B [out, r] = 0, so the adapted layer starts equal to the base. Parameters keep
 * the base's names (weight, bias) and add lora_A and lora_B (the only ones with a gradient). */
typedef struct tt_lora_opts {
    int rank;           /* 8 (r) */
    float alpha;        /* r: scale alpha / r = 1 */
} tt_lora_opts;
typedef struct tt_lora_layer {
    tt_layer base;
    tt_linear_layer *linear;  /* owned, frozen */
    tt_tensor *A, *B;         /* [r, in], [out, r] */
    int rank;
    float scale;              /* alpha / r */
    bool merged;              /* W already holds W + scale B A: forward is the plain Linear */
} tt_lora_layer;
/* Wraps (and takes ownership of) a Linear layer; tt_fatal if `linear` is not one. */
tt_layer *tt_lora_new(tt_layer *linear, tt_lora_opts opts, tt_rng *rng);
/* Replaces every Linear inside a Sequential (nested too) by its LoRA wrapper; returns how many. A
 * layer narrower than the rank gets rank min(in, out) with the same scale alpha / r. */
int tt_lora_apply(tt_layer *model, tt_lora_opts opts, tt_rng *rng);
/* W += scale * B A in every LoRA layer of model (a LoRA layer or Sequentials holding them), after
 * which they run as plain Linears (inference). Returns how many were merged (already merged: 0). */
int tt_lora_merge(tt_layer *model);
/* Scalars of the tensors that will receive a gradient (requires_grad) in p. */
int64_t tt_params_trainable_numel(const tt_params *p);

/* A multi-layer perceptron, Sequential(Flatten, Linear(s0, s1), ReLU, ..., Linear(s[n-2], s[n-1])):
 * n sizes, inputs first, logits last; PyTorch's Linear initialisation (rng NULL: the default). */
tt_layer *tt_mlp_new(int n, const int64_t *sizes, tt_rng *rng);

#endif
