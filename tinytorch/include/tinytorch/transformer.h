/* transformer.h - LayerNorm, the GELU MLP, the pre-norm transformer block and a GPT (module 13).
 *
 *   block(x) = x + attn(LN1(x));  x + MLP(LN2(x)),  MLP(h) = W2 gelu(W1 h + b1) + b2, hidden = 4C
 *   GPT(ids) = head(LN_f(blocks(wte[ids] + wpe[pos])))   logits [B, T, V]
 * The head is tied (logits = h wte^T, no extra parameters) or untied ([V, C], no bias).
 * Initialisation follows GPT-2: N(0, 0.02) everywhere, the two residual projections (attention out
 * and MLP out) N(0, 0.02/sqrt(2 layers)), LayerNorm gamma 1 and beta 0, biases 0.
 * Parameter names (checkpoints): wte, wpe, h.<i>.ln1.weight, h.<i>.attn.qkv.weight, ...,
 * h.<i>.mlp.fc.weight, h.<i>.mlp.proj.weight, ln_f.weight, ln_f.bias, head.weight (untied only).
 */
#ifndef TINYTORCH_TRANSFORMER_H
#define TINYTORCH_TRANSFORMER_H

#include "tinytorch/attention.h"
#include "tinytorch/data.h"
#include "tinytorch/embedding.h"
#include "tinytorch/nn.h"

/* y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance, like
 * PyTorch). gamma, beta: [C]; beta may be NULL. */
tt_tensor *tt_layernorm(tt_tensor *x, tt_tensor *gamma, tt_tensor *beta, float eps);

/* ---- the parts as layers (tt_layer, option structs: a field left 0 takes the default beside it) -- */

/* torch.nn.LayerNorm(dim): parameters "weight" (1) and "bias" (0). */
typedef struct tt_layernorm_opts {
    float eps;          /* 1e-5 */
    bool no_bias;       /* false (PyTorch's bias=True) */
} tt_layernorm_opts;
tt_layer *tt_layernorm_new(int64_t dim, tt_layernorm_opts opts);

typedef enum tt_activation {
    TT_ACT_GELU = 0,    /* tanh approximation (GPT-2) */
    TT_ACT_GELU_ERF,    /* exact, torch.nn.GELU() */
    TT_ACT_RELU,
} tt_activation;
tt_tensor *tt_activate(tt_tensor *x, tt_activation act);

/* The transformer MLP: proj(dropout?) act(fc(x)): fc [ratio*C, C], proj [C, ratio*C]; x [..., C].
 * Parameters fc.weight, fc.bias, proj.weight, proj.bias, initialised like torch.nn.Linear. */
typedef struct tt_ffn_opts {
    float ratio;        /* 4: hidden width = ratio * dim (rounded) */
    tt_activation act;  /* GELU (tanh form) */
    float dropout;      /* 0: applied to the output in training */
    bool no_bias;       /* false */
} tt_ffn_opts;
tt_layer *tt_ffn_new(int64_t dim, tt_ffn_opts opts, tt_rng *rng);


typedef struct tt_gpt_config {
    int64_t vocab_size;
    int64_t max_len;      /* context length: positions 0 .. max_len-1 */
    int64_t dim;          /* C */
    int64_t n_layer;
    int64_t n_head;
    bool tied_head;       /* logits = h wte^T */
    bool sinusoidal;      /* fixed sinusoidal positions instead of a learned table */
} tt_gpt_config;

/* The pre-norm block, a tt_layer (its first member): forward(x) = tt_block_forward with the block's
 * mask (tt_block_set_mask). Parameters ln1.weight, ln1.bias, attn.qkv.weight, ..., mlp.proj.bias. */
typedef struct tt_block {
    tt_layer base;
    tt_tensor *ln1_w, *ln1_b;  /* [C] */
    tt_mha *attn;
    tt_tensor *ln2_w, *ln2_b;  /* [C] */
    tt_tensor *fc_w, *fc_b;    /* [H, C], [H]; H = 4C in a GPT */
    tt_tensor *proj_w, *proj_b;/* [C, H], [C] */
    tt_activation act;         /* the MLP's */
    float dropout;             /* residual dropout (after attention and after the MLP) in training */
    float eps;                 /* LayerNorm's */
    tt_rng *rng;               /* dropout's (NULL: the default generator) */
    bool checkpoint;           /* recompute the block's forward in backward (activation checkpointing) */
    tt_params *own;            /* a standalone block's parameters (NULL inside a GPT, which owns them) */
} tt_block;

/* GPT-2's block as a layer: N(0, 0.02) weights, residual projections N(0, 0.02/sqrt(2)), LN 1 and 0. */
typedef struct tt_block_opts {
    int64_t n_head;        /* required: >= 1 and dividing the width */
    float mlp_ratio;       /* 4 */
    tt_activation act;     /* GELU (tanh form) */
    float dropout;         /* 0 */
    float eps;             /* 1e-5 */
    bool causal;           /* false: no mask unless tt_block_set_mask gives one */
    bool checkpoint;       /* false: keep the activations for backward */
} tt_block_opts;
tt_layer *tt_block_new(int64_t dim, tt_block_opts opts, tt_rng *rng);
/* The mask tt_layer_forward uses (pointers borrowed; they must live until backward has run). */
void tt_block_set_mask(tt_layer *block, const tt_attn_mask *mask);

/* A tt_gpt is a tt_layer (its first member): tt_layer_forward(&g->base, ids) takes the ids as a float
 * tensor [B, T] of whole numbers and returns the logits [B, T, V] (causal, no padding), so
 * tt_layer_parameters, tt_checkpoint_save/load and tt_train_step work on it like on any model. */
typedef struct tt_gpt {
    tt_layer base;
    tt_gpt_config cfg;
    tt_tensor *wte;            /* [V, C] */
    tt_tensor *wpe;            /* [max_len, C] (no gradient when sinusoidal) */
    tt_block *blocks;          /* [n_layer] */
    tt_tensor *lnf_w, *lnf_b;  /* [C] */
    tt_tensor *head;           /* [V, C] or NULL when tied */
    tt_params params;          /* every trainable tensor, named as above */
    bool reference_attention;  /* use the composed attention (teaching/testing); default false */
    bool checkpoint_blocks;    /* activation checkpointing: recompute each block in backward */
} tt_gpt;

#define TT_LN_EPS 1e-5f

tt_gpt *tt_gpt_new(const tt_gpt_config *cfg, tt_rng *rng);
void tt_gpt_free(tt_gpt *g);
/* x [B, T, C] -> [B, T, C]; with blk->checkpoint (and a gradient to record) only the output is kept
 * and the block runs again in backward (tt_activation_checkpoint). */
tt_tensor *tt_block_forward(tt_block *blk, tt_tensor *x, const tt_attn_mask *mask, bool reference);
/* h [..., C] -> [..., C]: fc, the block's activation, proj. */
tt_tensor *tt_mlp_forward(tt_block *blk, tt_tensor *h);
/* ids [B, T] (T <= max_len) -> logits [B, T, V]; causal, key_mask [B, T] optional (1 = real token). */
tt_tensor *tt_gpt_forward(tt_gpt *g, const int32_t *ids, int64_t B, int64_t T, const uint8_t *key_mask);
/* Mean cross-entropy of predicting targets [B, T] from ids [B, T]. */
tt_tensor *tt_gpt_loss(tt_gpt *g, const int32_t *ids, const int32_t *targets, int64_t B, int64_t T);
/* The same as a loss for tt_train_step (a tt_loss_fn; model is a tt_gpt, ctx unused): the batch's
 * int32 field 0 holds the ids [B, T] and field 1 the targets [B, T], T = field[0].ints_per_row. The
 * data are in the batch, so a step on several threads can split it. */
tt_tensor *tt_gpt_batch_loss(void *model, const tt_batch *b, void *ctx);

/* Sampling from one row of logits [V]: temperature <= 0 means greedy (argmax); top_k > 0 keeps the k
 * largest logits. scratch: V floats. */
int32_t tt_sample_logits(const float *logits, int64_t V, float temperature, int top_k, tt_rng *rng,
                         float *scratch);
/* Autoregressive generation WITHOUT a cache: every new token runs the whole (cropped) prefix through
 * the model. out: n_prompt + n_new ids (prompt copied first). Same seed, same tokens. */
void tt_gpt_generate(tt_gpt *g, const int32_t *prompt, int64_t n_prompt, int64_t n_new,
                     float temperature, int top_k, uint64_t seed, int32_t *out);

#endif
