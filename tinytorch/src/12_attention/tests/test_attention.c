/* test_attention.c - module 12: fused attention against PyTorch golden data, finite-difference
 * gradient checks (causal, padding, fully blocked rows, more keys than queries, packed qkv with causal
 * row blocks), fused vs composed attention, multi-head attention, shape errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "lang_golden.h"
#include "tinytorch/attention.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_golden_pytorch(void **state)
{
    (void)state;
    lang_golden g;
    lang_golden_load(&g, "lang_attention.txt");
    tt_tensor *q = lang_golden_get(&g, "q"), *k = lang_golden_get(&g, "k"), *v = lang_golden_get(&g, "v");
    tt_tensor *kmf = lang_golden_get(&g, "key_mask");
    uint8_t km[64];
    for (int64_t i = 0; i < kmf->numel; i++) {
        km[i] = kmf->data[i] != 0.0f;
    }
    tt_attn_mask mask = {.causal = true, .key_mask = km};
    for (int ref = 0; ref < 2; ref++) {
        tt_set_requires_grad(q, true);
        tt_set_requires_grad(k, true);
        tt_set_requires_grad(v, true);
        q->grad = k->grad = v->grad = NULL;
        tt_tensor *out = ref ? tt_attention_reference(q, k, v, &mask, NULL) : tt_sdpa(q, k, v, &mask);
        tt_tensor *want = lang_golden_get(&g, "out");
        assert_int_equal(out->numel, want->numel);
        tt_assert_close(out->data, want->data, out->numel, 1e-4, 1e-5);
        tt_backward_with(out, lang_golden_get(&g, "w"));
        tt_assert_close(q->grad, lang_golden_get(&g, "dq")->data, q->numel, 1e-4, 1e-5);
        tt_assert_close(k->grad, lang_golden_get(&g, "dk")->data, k->numel, 1e-4, 1e-5);
        tt_assert_close(v->grad, lang_golden_get(&g, "dv")->data, v->numel, 1e-4, 1e-5);
    }
}

typedef struct sdpa_ctx { tt_attn_mask mask; int ref; int heads; } sdpa_ctx;

static tt_tensor *f_sdpa(tt_tensor **in, void *ctx)
{
    sdpa_ctx *c = ctx;
    return c->ref ? tt_attention_reference(in[0], in[1], in[2], &c->mask, NULL)
                  : tt_sdpa(in[0], in[1], in[2], &c->mask);
}

static void test_gradcheck_sdpa(void **state)
{
    (void)state;
    /* causal + padding; batch 1's key 0 is padding, so its query 0 sees nothing (output 0) */
    uint8_t km[2 * 6] = {1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0};
    sdpa_ctx c = {{.causal = true, .key_mask = km}, 0, 0};
    tt_tensor *in[3] = {tt_test_input(TT_SHAPE(2, 2, 6, 3), -1, 1, 1), tt_test_input(TT_SHAPE(2, 2, 6, 3), -1, 1, 2),
                        tt_test_input(TT_SHAPE(2, 2, 6, 3), -1, 1, 3)};
    tt_gradcheck(f_sdpa, in, 3, &c, 1e-2f, 1e-2);
    tt_tensor *o = tt_sdpa(in[0], in[1], in[2], &c.mask);
    for (int64_t h = 0; h < 2; h++) {
        for (int64_t j = 0; j < 3; j++) {
            assert_true(o->data[((1 * 2 + h) * 6 + 0) * 3 + j] == 0.0f);
        }
    }
    /* more keys than queries (the queries are the last 3 positions), causal and not */
    tt_tensor *in2[3] = {tt_test_input(TT_SHAPE(1, 2, 3, 4), -1, 1, 4), tt_test_input(TT_SHAPE(1, 2, 7, 4), -1, 1, 5),
                         tt_test_input(TT_SHAPE(1, 2, 7, 4), -1, 1, 6)};
    sdpa_ctx c2 = {{.causal = true}, 0, 0};
    tt_gradcheck(f_sdpa, in2, 3, &c2, 1e-2f, 1e-2);
    c2.mask.causal = false;
    tt_gradcheck(f_sdpa, in2, 3, &c2, 1e-2f, 1e-2);
}

static tt_tensor *f_qkv(tt_tensor **in, void *ctx)
{
    sdpa_ctx *c = ctx;
    return tt_attention_qkv(in[0], c->heads, &c->mask);
}

static void test_gradcheck_packed_qkv(void **state)
{
    (void)state;
    /* T = 37 > the causal row block (32): exercises the skipped upper triangle */
    sdpa_ctx c = {{.causal = true}, 0, 2};
    tt_tensor *in[1] = {tt_test_input(TT_SHAPE(2, 37, 3 * 4), -1.5f, 1.5f, 7)};
    tt_gradcheck(f_qkv, in, 1, &c, 1e-2f, 1e-2);
}

/* Copies a [B, T, 3C] packed tensor into q, k, v [B, H, T, d]. */
static void unpack(const tt_tensor *qkv, int64_t H, tt_tensor **q, tt_tensor **k, tt_tensor **v)
{
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3, d = C / H;
    tt_tensor **dst[3] = {q, k, v};
    for (int w = 0; w < 3; w++) {
        *dst[w] = tt_empty(TT_SHAPE(B, H, T, d));
        for (int64_t b = 0; b < B; b++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t t = 0; t < T; t++)
                    for (int64_t j = 0; j < d; j++)
                        (*dst[w])->data[((b * H + h) * T + t) * d + j] =
                            qkv->data[(b * T + t) * 3 * C + w * C + h * d + j];
        tt_set_requires_grad(*dst[w], true);
    }
}

static void test_fused_matches_composed(void **state)
{
    (void)state;
    int64_t B = 2, T = 70, H = 3, d = 8, C = H * d;
    uint8_t km[2 * 70];
    for (int i = 0; i < 140; i++) {
        km[i] = (i % 70) < 60 || i < 70;
    }
    tt_attn_mask mask = {.causal = true, .key_mask = km};
    tt_tensor *qkv = tt_test_input(TT_SHAPE(B, T, 3 * C), -2, 2, 11);
    tt_tensor *q, *k, *v;
    unpack(qkv, H, &q, &k, &v);
    tt_tensor *w = tt_rand_uniform(TT_SHAPE(B, H, T, d), -1, 1, NULL);
    tt_tensor *fused = tt_sdpa(q, k, v, &mask);
    tt_backward_with(fused, w);
    float *fq = q->grad, *fk = k->grad, *fv = v->grad;
    q->grad = k->grad = v->grad = NULL;
    tt_tensor *ref = tt_attention_reference(q, k, v, &mask, NULL);
    tt_tensor *wt = tt_from_data(4, w->shape, w->data);
    tt_backward_with(ref, wt);
    tt_assert_close(fused->data, ref->data, fused->numel, 1e-5, 1e-6);
    tt_assert_close(fq, q->grad, q->numel, 1e-4, 1e-5);
    tt_assert_close(fk, k->grad, k->numel, 1e-4, 1e-5);
    tt_assert_close(fv, v->grad, v->numel, 1e-4, 1e-5);
    /* the packed op gives the same numbers, heads merged */
    tt_tensor *packed = tt_attention_qkv(qkv, (int)H, &mask);
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t t = 0; t < T; t++)
                for (int64_t j = 0; j < d; j++) {
                    float a = packed->data[(b * T + t) * C + h * d + j];
                    float r = fused->data[((b * H + h) * T + t) * d + j];
                    assert_true(fabsf(a - r) <= 1e-6f + 1e-5f * fabsf(r));
                }
}

static void test_mha_fused_vs_reference(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_mha *m = tt_mha_new(12, 3, 1.0f, &r);
    for (int64_t i = 0; i < m->b_qkv->numel; i++) {
        m->b_qkv->data[i] = 0.1f * tt_rng_normal(&r);
    }
    tt_tensor *x = tt_test_input(TT_SHAPE(2, 9, 12), -1, 1, 12);
    tt_tensor *w = tt_rand_uniform(TT_SHAPE(2, 9, 12), -1, 1, &r);
    tt_attn_mask mask = {.causal = true};
    tt_params p;
    tt_params_init(&p);
    tt_mha_params(m, &p, "attn");
    assert_int_equal(p.n, 4);
    assert_string_equal(p.names[0], "attn.qkv.weight");
    float *gf[5];
    tt_tensor *outs[2];
    for (int ref = 0; ref < 2; ref++) {
        tt_zero_grad(p.t, p.n);
        x->grad = NULL;
        outs[ref] = tt_mha_forward(m, x, &mask, ref);
        tt_backward_with(outs[ref], w);
        if (!ref) {
            for (int i = 0; i < 4; i++) {
                gf[i] = tt_arena_alloc((size_t)p.t[i]->numel * sizeof(float));
                memcpy(gf[i], p.t[i]->grad, (size_t)p.t[i]->numel * sizeof(float));
            }
            gf[4] = x->grad;
        }
    }
    tt_assert_close(outs[0]->data, outs[1]->data, outs[0]->numel, 1e-5, 1e-6);
    for (int i = 0; i < 4; i++) {
        tt_assert_close(gf[i], p.t[i]->grad, p.t[i]->numel, 1e-4, 1e-6);
    }
    tt_assert_close(gf[4], x->grad, x->numel, 1e-4, 1e-6);
    tt_params_free(&p);
    tt_mha_free(m);
}

static void test_shape_errors(void **state)
{
    (void)state;
    tt_tensor *q = tt_zeros(TT_SHAPE(1, 2, 3, 4)), *k = tt_zeros(TT_SHAPE(1, 2, 5, 3));
    EXPECT_FATAL(tt_sdpa(q, k, k, NULL), "tt_sdpa: q [1, 2, 3, 4], k [1, 2, 5, 3]");
    EXPECT_FATAL(tt_attention_qkv(tt_zeros(TT_SHAPE(2, 3, 10)), 2, NULL), "tt_attention_qkv: qkv [2, 3, 10]");
    EXPECT_FATAL(tt_mha_new(10, 3, 1.0f, NULL), "not divisible by 3 heads");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_golden_pytorch, teardown),
        cmocka_unit_test_teardown(test_gradcheck_sdpa, teardown),
        cmocka_unit_test_teardown(test_gradcheck_packed_qkv, teardown),
        cmocka_unit_test_teardown(test_fused_matches_composed, teardown),
        cmocka_unit_test_teardown(test_mha_fused_vs_reference, teardown),
        cmocka_unit_test_teardown(test_shape_errors, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
