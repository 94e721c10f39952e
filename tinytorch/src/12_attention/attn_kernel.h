/* attn_kernel.h - the fused attention kernel shared by modules 12, 13 and 18 (internal).
 *
 * A view describes where Q, K, V and O live for (batch b, head h): base + b*bs + h*hs, rows of d floats
 * `ld` apart. [B, H, T, d] tensors use bs = H*T*d, hs = T*d, ld = d; the fused projection [B, T, 3C]
 * uses bs = T*3C, hs = d, ld = 3C (K and V at +C and +2C), so heads are read in place.
 */
#ifndef TT_ATTN_KERNEL_H
#define TT_ATTN_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tt_attn_view {
    int64_t B, H, Tq, Tk, d;
    int64_t q_bs, q_hs, ldq;
    int64_t k_bs, k_hs, ldk;
    int64_t v_bs, v_hs, ldv;
    int64_t o_bs, o_hs, ldo;
} tt_attn_view;

/* Rows per block when skipping the masked upper triangle of causal attention. */
#ifndef TT_ATTN_ROW_BLOCK
#define TT_ATTN_ROW_BLOCK 32
#endif

/* o = softmax(mask(scale * q k^T)) v for every (b, h). P [B*H, Tq, Tk] receives the probabilities
 * (zeros where masked). key_mask [B, Tk] or NULL. */
void tt__attn_forward(const tt_attn_view *v, const float *q, const float *k, const float *val,
                      float *o, float *P, bool causal, const uint8_t *key_mask);
/* The same with a boolean mask too: attn_mask [Tq, Tk] per batch row b at attn_mask + b * attn_mask_bs
 * (attn_mask_bs = 0: one mask for every row; Tq * Tk: [B, Tq, Tk]); 1 = may attend; NULL = none. */
void tt__attn_forward_masked(const tt_attn_view *v, const float *q, const float *k, const float *val,
                             float *o, float *P, bool causal, const uint8_t *key_mask,
                             const uint8_t *attn_mask, int64_t attn_mask_bs);
/* Accumulates dq, dk, dv (each may be NULL; laid out like q, k, v) from dO (laid out like o) and
 * the saved P. scratch: tt__attn_scratch_floats(v) floats (Tq*Tk per thread used). */
void tt__attn_backward(const tt_attn_view *v, const float *q, const float *k, const float *val,
                       const float *P, const float *dO, float *dq, float *dk, float *dv,
                       float *scratch, bool causal);

int64_t tt__attn_scratch_floats(const tt_attn_view *v);

/* Makes m (zeroed, its tensors set by the caller) a MultiheadAttention layer that does not own its
 * tensors: the attention inside a GPT's block, whose parameter list owns them (module 13). */
struct tt_mha;
void tt__mha_init_shared(struct tt_mha *m, int64_t dim, int64_t n_head);

#endif
