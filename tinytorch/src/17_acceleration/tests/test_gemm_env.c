/* test_gemm_env.c - TT_GEMM_KERNEL picks tt_sgemm's path at the first call, and a bad value is
 * reported and ignored (the default path stays). Separate executable: the variable is read once
 * per process.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tinytorch/gemm.h"

static void test_env_forces_path(void **state)
{
    (void)state;
    assert_int_equal(setenv("TT_GEMM_KERNEL", "portable", 1), 0);
    assert_string_equal(tt_sgemm_kernel(), "portable");
    /* and that path computes: 1x3 @ 3x1 = 1*4 + 2*5 + 3*6 = 32 */
    const float a[3] = { 1, 2, 3 }, b[3] = { 4, 5, 6 };
    float c = 0.0f;
    tt_sgemm(0, 0, 1, 1, 3, 1.0f, a, 3, b, 1, 0.0f, &c, 1);
    assert_float_equal(c, 32.0f, 0.0f);
    /* a later set overrides the variable */
    assert_int_equal(tt_sgemm_set_kernel("naive"), 0);
    assert_string_equal(tt_sgemm_kernel(), "naive");
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_env_forces_path) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
