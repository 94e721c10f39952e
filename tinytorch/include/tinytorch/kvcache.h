/* kvcache.h - memoising keys and values for autoregressive generation (module 18).
 *
 * Generating token t without a cache runs all t prefix tokens through every layer again: O(t) work per
 * token, O(n^2) for n tokens. Keys and values of past positions never change (causal attention), so
 * the cache keeps them: each new token computes its own q, k, v, appends k and v, and attends over
 * the stored ones. Memory, preallocated once per layer for max_len positions:
 *   bytes = 2 (K and V) * layers * heads * head_dim * max_len * batch * 4 (float32)
 * Layout per layer: K and V [batch, max_len, C] with heads side by side in C (head h in columns
 * h*d .. h*d+d-1), the same layout as the fused qkv projection, so a new row is one copy.
 * The cache's tensors are persistent (not the arena); a generation step allocates only arena memory
 * that the caller releases (tt_arena_get_mark/release), so the loop makes no heap allocation.
 */
#ifndef TINYTORCH_KVCACHE_H
#define TINYTORCH_KVCACHE_H

#include "tinytorch/transformer.h"

typedef struct tt_kv_cache {
    int64_t n_layer, n_head, head_dim, max_len, batch;
    int64_t len;          /* positions filled (the same for every layer and batch row) */
    tt_tensor **k, **v;   /* [n_layer] persistent tensors [batch, max_len, n_head * head_dim] */
} tt_kv_cache;

tt_kv_cache *tt_kv_cache_new(const tt_gpt *g, int64_t batch, int64_t max_len);
void tt_kv_cache_reset(tt_kv_cache *c);      /* len = 0 (memory kept) */
void tt_kv_cache_free(tt_kv_cache *c);
size_t tt_kv_cache_bytes(const tt_kv_cache *c); /* 2 * L * H * d * max_len * batch * 4 */

/* Runs T new tokens ids [batch, T] at positions c->len .. c->len+T-1 (a prompt, or one token),
 * appends their keys and values and returns logits [batch, T, V]. No gradient is recorded.
 * Fatal if the cache or the model's position table would overflow. */
tt_tensor *tt_gpt_forward_cached(tt_gpt *g, tt_kv_cache *c, const int32_t *ids, int64_t T);

/* Generation with the cache (batch 1): prefill the prompt, then one token per step. Same sampling as
 * tt_gpt_generate, so the same seed gives the same tokens. n_prompt + n_new <= cache max_len. */
void tt_gpt_generate_cached(tt_gpt *g, tt_kv_cache *c, const int32_t *prompt, int64_t n_prompt,
                            int64_t n_new, float temperature, int top_k, uint64_t seed, int32_t *out);

#endif
