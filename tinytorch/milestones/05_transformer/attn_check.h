/* attn_check.h - milestone 05's attention check: the attention maps of a GPT, their entropy per head,
 * and two position tests (no head sees the future; a trained head looks where the task says). */
#ifndef TT_MS05_ATTN_CHECK_H
#define TT_MS05_ATTN_CHECK_H

#include <stdint.h>
#include "tinytorch/transformer.h"

/* The attention probabilities of every layer and head for one sequence ids[0..T):
 * P[((l * H + h) * T + i) * T + j] = how much query i of head h in layer l attends to key j.
 * Recomputed from the model's own weights (LN1, the fused QKV projection, causal softmax), layer by
 * layer through tt_block_forward; returns the largest |logit| difference between this forward and
 * tt_gpt_forward (about 1e-6: the maps are those of the model that is run). P holds L*H*T*T floats. */
double tt_ms05_attention_maps(tt_gpt *g, const int32_t *ids, int64_t T, float *P);

/* Mean entropy (nats) of each head's attention rows for queries q0 .. T-1: ent[l * H + h]. A head that
 * looks at one key has entropy 0; uniform attention over the i + 1 visible keys has log(i + 1). */
void tt_ms05_attention_entropy(const float *P, int64_t L, int64_t H, int64_t T, int64_t q0, double *ent);
/* The mean of log(i + 1) over queries q0 .. T-1: the entropy of uniform causal attention. */
double tt_ms05_uniform_entropy(int64_t T, int64_t q0);

/* Causality measured on the model itself: for every cut c in [0, T-1), the tokens after c are
 * replaced by random ones and the logits at positions 0..c recomputed; returns the largest change
 * (0 for a causal model, whatever its weights). Sequences longer than 17 get 8 evenly spaced cuts. */
double tt_ms05_future_leak(tt_gpt *g, const int32_t *ids, int64_t T, uint64_t seed);

/* The share of the pairs (query[k], key[k]), k < n, where the head's attention row peaks at that key
 * (argmax), for every head: hit[l * H + h] in [0, 1]. Returns the best head's share, its index in *best. */
double tt_ms05_position_hits(const float *P, int64_t L, int64_t H, int64_t T, const int64_t *query,
                             const int64_t *key, int64_t n, double *hit, int64_t *best);

#endif
