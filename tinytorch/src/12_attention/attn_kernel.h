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
/* Accumulates dq, dk, dv (each may be NULL; laid out like q, k, v) from dO (laid out like o) and
 * the saved P. scratch: tt__attn_scratch_floats(v) floats (Tq*Tk per thread used). */
void tt__attn_backward(const tt_attn_view *v, const float *q, const float *k, const float *val,
                       const float *P, const float *dO, float *dq, float *dk, float *dv,
                       float *scratch, bool causal);

int64_t tt__attn_scratch_floats(const tt_attn_view *v);

#endif
