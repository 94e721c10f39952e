/* test_quant_golden.c - module 15 against PyTorch: milestone 04's LeNet-5, quantized by our
 * quantizer (tests/data/quant_lenet.int8.safetensors), run by our int8 kernels and by PyTorch's own
 * quantized kernels with the same int8 weights, int32 biases, scales and zero points
 * (tests/golden/make_quant_golden.py -> tests/data/quant_golden.txt). The dequantized logits must
 * agree within one step of the output's int8 scale: the only difference allowed is where PyTorch's
 * float requantization and our fixed-point one round a near-tie differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tt_golden.h"
#include "tinytorch/quant.h"

static void test_lenet_int8_vs_pytorch(void **state)
{
    (void)state;
    tt_golden db;
    assert_int_equal(tt_golden_load(&db, "quant_golden.txt"), 0);
    const tt_golden_entry *x = tt_golden_get(&db, "x", NULL), *lg = tt_golden_get(&db, "logits", NULL);
    const tt_golden_entry *os = tt_golden_get(&db, "out_scale", NULL);
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/quant_lenet.int8.safetensors", MLSB_TEST_DATA);
    tt_qmodel *m = tt_qmodel_load(path, err, sizeof err);
    if (!m) {
        fail_msg("%s", err);
    }
    const int64_t n = x->shape[0];
    assert_int_equal(x->numel, n * m->in_numel);
    assert_int_equal(lg->numel, n * m->out_numel);
    assert_true(fabsf(os->v[0] - tt_qmodel_output_params(m).scale) <= 1e-6f * os->v[0]);
    int8_t *xq = malloc((size_t)x->numel), *yq = malloc((size_t)lg->numel);
    float *y = malloc((size_t)lg->numel * sizeof(float));
    for (int64_t i = 0; i < x->numel; i++) {
        xq[i] = (int8_t)x->v[i];
    }
    static const char *const paths[] = {"portable", "avx2", "avx512", "vnni"};
    for (int p = 0; p < 4; p++) {
        if (tt_q8_set_kernel(paths[p]) != 0) {
            continue;
        }
        assert_int_equal(tt_qmodel_forward_q(m, xq, n, yq), 0);
        tt_dequantize_i8(yq, lg->numel, tt_qmodel_output_params(m), y);
        const float step = tt_qmodel_output_params(m).scale;
        int differ = 0;
        float worst = 0.0f;
        for (int64_t i = 0; i < lg->numel; i++) {
            float d = fabsf(y[i] - lg->v[i]);
            worst = fmaxf(worst, d);
            differ += d > 0.5f * step;
        }
        print_message("%s: %d of %lld logits differ from PyTorch's, by at most %.3g (output step %.3g)\n",
                      paths[p], differ, (long long)lg->numel, (double)worst, (double)step);
        assert_true(worst <= step * 1.001f);
    }
    tt_q8_set_kernel("auto");
    free(xq);
    free(yq);
    free(y);
    tt_qmodel_free(m);
    tt_golden_free(&db);
}

int main(void)
{
    (void)tt_gradcheck; /* tt_test.h helpers this file does not need */
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenet_int8_vs_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
