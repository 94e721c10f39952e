/* test_backward_hook.c - tt_set_backward_hook: called once after each node that backward runs, in
 * tape order (newest first), after that node has written its inputs' gradients; never for a node
 * whose output got no gradient; removed with NULL. (Data-parallel training relies on exactly this to
 * know when a parameter's gradient is final.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

typedef struct seen {
    int n;
    const char *op[16];
    float w_grad_at[16];   /* w's gradient element 0 when the hook ran (0 while not written yet) */
    const tt_tensor *w;
} seen;

static void record(const tt_node *node, void *ctx)
{
    seen *s = ctx;
    if (s->n < 16) {
        s->op[s->n] = node->op;
        s->w_grad_at[s->n] = s->w->grad ? s->w->grad[0] : 0.0f;
        s->n++;
    }
}

static void test_hook_order_and_timing(void **state)
{
    (void)state;
    int64_t sw[2] = {3, 2}, sx[2] = {4, 3};
    tt_tensor *w = tt_tensor_new_persistent(2, sw);
    for (int i = 0; i < 6; i++) {
        w->data[i] = 0.1f * (float)(i + 1);
    }
    tt_set_requires_grad(w, true);
    tt_tensor *x = tt_full(2, sx, 1.0f);
    seen s = {.w = w};
    tt_tensor *h = tt_matmul(x, w);                   /* node 1: reads w */
    tt_tensor *unused = tt_mul(h, h);                  /* node 2: not on the loss's path */
    (void)unused;
    tt_tensor *loss = tt_sum(tt_mul(h, h), -1, false); /* nodes 3, 4 */
    tt_set_backward_hook(record, &s);
    tt_backward(tt_sum(loss, 0, false));               /* node 5 */
    tt_set_backward_hook(NULL, NULL);
    /* sum, sum, mul, matmul: newest first, the unused mul skipped */
    assert_int_equal(s.n, 4);
    assert_string_equal(s.op[s.n - 1], "matmul");
    for (int i = 0; i < s.n - 1; i++) {
        assert_true(s.w_grad_at[i] == 0.0f);           /* w's gradient not written before matmul ran */
    }
    assert_true(s.w_grad_at[s.n - 1] != 0.0f);         /* ... and written when its hook call came */
    assert_true(s.w_grad_at[s.n - 1] == w->grad[0]);
    tt_arena_reset();
    /* removed: a second backward calls nothing */
    int before = s.n;
    x = tt_full(2, sx, 1.0f);
    tt_backward(tt_sum(tt_sum(tt_matmul(x, w), -1, false), 0, false));
    assert_int_equal(s.n, before);
    tt_arena_reset();
    tt_tensor_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hook_order_and_timing)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
