/* test_tensor.c - module 01: creation, broadcasting, matmul, shape ops, reductions, shape errors
 * (and the error handler only on its own thread), and finite-difference gradient checks of every op
 * defined in 01_tensor. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/gemm.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_creation(void **state)
{
    (void)state;
    tt_tensor *z = tt_zeros(TT_SHAPE(2, 3, 4, 5));
    assert_int_equal(z->ndim, 4);
    assert_int_equal(z->numel, 120);
    assert_true(z->data[119] == 0.0f);
    tt_tensor *o = tt_full(TT_SHAPE(3), 2.5f);
    assert_true(o->data[2] == 2.5f);
    tt_tensor *r = tt_arange(0.0f, 1.0f, 0.25f);
    assert_int_equal(r->numel, 4);
    assert_true(r->data[3] == 0.75f);
    tt_rng a, b;
    tt_rng_seed(&a, 42);
    tt_rng_seed(&b, 42);
    tt_tensor *u1 = tt_rand_uniform(TT_SHAPE(100), -1, 1, &a), *u2 = tt_rand_uniform(TT_SHAPE(100), -1, 1, &b);
    assert_memory_equal(u1->data, u2->data, 400);
    tt_tensor *n = tt_randn(TT_SHAPE(20000), 1.0f, 2.0f, &a);
    double mean = tt_item(tt_mean(n, TT_ALL_AXES, false));
    assert_true(fabs(mean - 1.0) < 0.05);
    tt_tensor *p = tt_tensor_new_persistent(TT_SHAPE(4, 4));
    assert_true(p->flags & TT_PERSISTENT);
    tt_tensor_free(p);
}

static void test_broadcast(void **state)
{
    (void)state;
    tt_tensor *a = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 2, 3, 4, 5, 6});
    tt_tensor *b = tt_from_data(TT_SHAPE(3), (const float[]){10, 20, 30});
    tt_tensor *c = tt_add(a, b);
    tt_assert_close(c->data, (const float[]){11, 22, 33, 14, 25, 36}, 6, 0, 0);
    tt_tensor *col = tt_from_data(TT_SHAPE(2, 1), (const float[]){2, 3});
    tt_tensor *d = tt_mul(a, col);
    tt_assert_close(d->data, (const float[]){2, 4, 6, 12, 15, 18}, 6, 0, 0);
    tt_tensor *e = tt_sub(col, b); /* [2,1] - [3] -> [2,3] */
    assert_int_equal(e->ndim, 2);
    tt_assert_close(e->data, (const float[]){-8, -18, -28, -7, -17, -27}, 6, 0, 0);
    EXPECT_FATAL(tt_add(a, tt_zeros(TT_SHAPE(4))), "tt_add: shapes [2, 3] and [4] cannot broadcast");
}

static void test_matmul(void **state)
{
    (void)state;
    tt_tensor *a = tt_from_data(TT_SHAPE(2, 2), (const float[]){1, 2, 3, 4});
    tt_tensor *b = tt_from_data(TT_SHAPE(2, 2), (const float[]){5, 6, 7, 8});
    tt_assert_close(tt_matmul(a, b)->data, (const float[]){19, 22, 43, 50}, 4, 0, 0);
    tt_tensor *c = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 2, 3, 4, 5, 6});
    tt_tensor *d = tt_from_data(TT_SHAPE(3, 2), (const float[]){7, 8, 9, 10, 11, 12});
    tt_assert_close(tt_matmul(c, d)->data, (const float[]){58, 64, 139, 154}, 4, 0, 0);
    tt_tensor *v = tt_from_data(TT_SHAPE(3), (const float[]){1, 2, 3});
    tt_tensor *mv = tt_matmul(c, v);
    assert_int_equal(mv->ndim, 1);
    tt_assert_close(mv->data, (const float[]){14, 32}, 2, 0, 0);
    /* batched with broadcasting: [2,1,2,3] @ [3,2] -> [2,1,2,2] */
    tt_tensor *bc = tt_reshape(tt_concat((tt_tensor *[]){c, c}, 2, 0), TT_SHAPE(2, 1, 2, 3));
    tt_tensor *bm = tt_matmul(bc, d);
    assert_int_equal(bm->ndim, 4);
    tt_assert_close(bm->data + 4, (const float[]){58, 64, 139, 154}, 4, 0, 0);
    EXPECT_FATAL(tt_matmul(c, c), "tt_matmul: shapes [2, 3] and [2, 3]");
}

static void test_shape_ops(void **state)
{
    (void)state;
    tt_tensor *a = tt_arange(0, 24, 1);
    tt_tensor *r = tt_reshape(a, TT_SHAPE(2, -1, 4));
    assert_int_equal(r->shape[1], 3);
    assert_ptr_equal(r->data, a->data); /* a view */
    EXPECT_FATAL(tt_reshape(a, TT_SHAPE(5, -1)), "tt_reshape");
    tt_tensor *t = tt_transpose(tt_reshape(a, TT_SHAPE(4, 6)), 0, 1);
    assert_int_equal(t->shape[0], 6);
    assert_true(t->data[1] == 6.0f && t->data[4] == 1.0f);
    tt_tensor *p = tt_permute(r, (const int[]){2, 0, 1}); /* [4,2,3] */
    assert_int_equal(p->shape[0], 4);
    assert_true(p->data[1] == 4.0f); /* p[0,0,1] = r[0,1,0] = 4 */
    tt_tensor *s = tt_slice(tt_reshape(a, TT_SHAPE(4, 6)), 1, 1, -1, 2); /* cols 1,3 */
    assert_int_equal(s->shape[1], 2);
    tt_assert_close(s->data, (const float[]){1, 3, 7, 9, 13, 15, 19, 21}, 8, 0, 0);
    tt_tensor *x = tt_ones(TT_SHAPE(2, 2)), *y = tt_zeros(TT_SHAPE(2, 1));
    tt_tensor *c = tt_concat((tt_tensor *[]){x, y}, 2, 1);
    tt_assert_close(c->data, (const float[]){1, 1, 0, 1, 1, 0}, 6, 0, 0);
    tt_tensor *st = tt_stack((tt_tensor *[]){x, x, x}, 3, 0);
    assert_int_equal(st->ndim, 3);
    assert_int_equal(st->shape[0], 3);
}

static void test_reductions(void **state)
{
    (void)state;
    tt_tensor *a = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 5, 3, 4, 2, 6});
    tt_assert_close(tt_sum(a, 0, false)->data, (const float[]){5, 7, 9}, 3, 0, 0);
    tt_tensor *s1 = tt_sum(a, -1, true);
    assert_int_equal(s1->ndim, 2);
    assert_int_equal(s1->shape[1], 1);
    tt_assert_close(s1->data, (const float[]){9, 12}, 2, 0, 0);
    assert_true(tt_item(tt_mean(a, TT_ALL_AXES, false)) == 3.5f);
    tt_assert_close(tt_max(a, 1, false)->data, (const float[]){5, 6}, 2, 0, 0);
    tt_assert_close(tt_argmax(a, 1, false)->data, (const float[]){1, 2}, 2, 0, 0);
    tt_assert_close(tt_argmax(a, 0, false)->data, (const float[]){1, 0, 1}, 3, 0, 0);
}

/* ---- gradient checks ---------------------------------------------------------------------------- */

static tt_tensor *f_add(tt_tensor **in, void *c) { (void)c; return tt_add(in[0], in[1]); }
static tt_tensor *f_sub(tt_tensor **in, void *c) { (void)c; return tt_sub(in[0], in[1]); }
static tt_tensor *f_mul(tt_tensor **in, void *c) { (void)c; return tt_mul(in[0], in[1]); }
static tt_tensor *f_div(tt_tensor **in, void *c) { (void)c; return tt_div(in[0], in[1]); }
static tt_tensor *f_matmul(tt_tensor **in, void *c) { (void)c; return tt_matmul(in[0], in[1]); }
static tt_tensor *f_linear(tt_tensor **in, void *c) { (void)c; return tt_linear(in[0], in[1], in[2]); }
/* x feeds two products: the first backward writes its fresh gradient, the second must add to it. */
static tt_tensor *f_two_consumers(tt_tensor **in, void *c)
{
    (void)c;
    tt_tensor *y1 = tt_linear(in[0], in[1], NULL);
    tt_tensor *y2 = tt_matmul(in[0], tt_transpose(in[1], 0, 1));
    return tt_add(tt_mul(y1, y1), y2);
}
static tt_tensor *f_unary(tt_tensor **in, void *c)
{
    tt_tensor *x = in[0];
    tt_tensor *y = tt_add(tt_mul_scalar(tt_exp(x), 0.5f), tt_log(tt_add_scalar(x, 2.0f)));
    y = tt_add(y, tt_sqrt(tt_add_scalar(x, 1.5f)));
    y = tt_sub(y, tt_neg(tt_pow_scalar(tt_add_scalar(x, 2.0f), 1.5f)));
    (void)c;
    return y;
}
static tt_tensor *f_shape(tt_tensor **in, void *c)
{
    (void)c;
    tt_tensor *x = in[0]; /* [2,3,4] */
    tt_tensor *p = tt_permute(x, (const int[]){2, 0, 1});
    tt_tensor *s = tt_slice(tt_reshape(p, TT_SHAPE(4, 6)), 1, 1, 6, 2);
    tt_tensor *t = tt_transpose(s, 0, 1);
    return tt_concat((tt_tensor *[]){t, tt_reshape(x, TT_SHAPE(3, 8)), t}, 3, 1);
}
static tt_tensor *f_reduce(tt_tensor **in, void *c)
{
    (void)c;
    tt_tensor *x = in[0]; /* [3,4] */
    tt_tensor *a = tt_sum(x, 0, true);
    tt_tensor *b = tt_mean(x, 1, true);
    tt_tensor *m = tt_max(x, 1, true);
    return tt_add(tt_mul(a, b), m);
}
static tt_tensor *f_masked(tt_tensor **in, void *c)
{
    (void)c;
    tt_tensor *mask = tt_from_data(TT_SHAPE(1, 3), (const float[]){0, 1, 0});
    return tt_masked_fill(in[0], mask, -5.0f);
}

static void test_gradients(void **state)
{
    (void)state;
    tt_tensor *a = tt_test_input(TT_SHAPE(2, 3, 4), -1, 1, 1);
    tt_tensor *b = tt_test_input(TT_SHAPE(3, 1), 0.5f, 2, 2); /* broadcasts */
    tt_gradcheck(f_add, (tt_tensor *[]){a, b}, 2, NULL, 1e-2f, 1e-2);
    tt_gradcheck(f_sub, (tt_tensor *[]){a, b}, 2, NULL, 1e-2f, 1e-2);
    tt_gradcheck(f_mul, (tt_tensor *[]){a, b}, 2, NULL, 1e-2f, 1e-2);
    tt_gradcheck(f_div, (tt_tensor *[]){a, b}, 2, NULL, 1e-3f, 2e-2);
    tt_tensor *m1 = tt_test_input(TT_SHAPE(2, 3, 5), -1, 1, 3);
    tt_tensor *m2 = tt_test_input(TT_SHAPE(5, 4), -1, 1, 4); /* batch-broadcast */
    tt_gradcheck(f_matmul, (tt_tensor *[]){m1, m2}, 2, NULL, 1e-2f, 1e-2);
    tt_tensor *w = tt_test_input(TT_SHAPE(4, 5), -1, 1, 5), *bias = tt_test_input(TT_SHAPE(4), -1, 1, 6);
    tt_gradcheck(f_linear, (tt_tensor *[]){m1, w, bias}, 3, NULL, 1e-2f, 1e-2);
    tt_gradcheck(f_two_consumers, (tt_tensor *[]){m1, w}, 2, NULL, 1e-2f, 1e-2);
    tt_tensor *u = tt_test_input(TT_SHAPE(7), -0.9f, 0.9f, 7);
    tt_gradcheck(f_unary, &u, 1, NULL, 1e-3f, 1e-2);
    tt_gradcheck(f_shape, &a, 1, NULL, 1e-2f, 1e-2);
    tt_tensor *r = tt_test_input(TT_SHAPE(3, 4), -1, 1, 8);
    tt_gradcheck(f_reduce, &r, 1, NULL, 1e-3f, 1e-2);
    tt_tensor *mk = tt_test_input(TT_SHAPE(2, 3), -1, 1, 9);
    tt_gradcheck(f_masked, &mk, 1, NULL, 1e-2f, 1e-2);
}

static void test_no_grad_and_accumulation(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(TT_SHAPE(3));
    tt_set_requires_grad(w, true);
    w->data[0] = 1; w->data[1] = 2; w->data[2] = 3;
    for (int step = 0; step < 2; step++) {  /* gradients accumulate across backward calls */
        tt_tensor *loss = tt_sum(tt_mul(w, w), TT_ALL_AXES, false);
        tt_backward(loss);
        tt_arena_reset();
    }
    tt_assert_close(w->grad, (const float[]){4, 8, 12}, 3, 0, 0);
    tt_zero_grad(&w, 1);
    assert_true(w->grad[1] == 0.0f);
    tt_no_grad_begin();
    tt_tensor *y = tt_mul(w, w);
    tt_no_grad_end();
    assert_false(tt_requires_grad(y));
    assert_null(y->node);
    tt_tensor *loss = tt_sum(tt_mul(w, w), TT_ALL_AXES, false);
    tt_backward(loss);
    EXPECT_FATAL(tt_backward(loss), "already released");
    tt_tensor_free(w);
}

static void test_arena_steady_state(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(TT_SHAPE(64, 32));
    tt_set_requires_grad(w, true);
    uint64_t allocs_after_first = 0;
    for (int step = 0; step < 5; step++) {
        tt_tensor *x = tt_randn(TT_SHAPE(16, 32), 0, 1, NULL);
        tt_tensor *loss = tt_mean(tt_linear(x, w, NULL), TT_ALL_AXES, false);
        tt_backward(loss);
        tt_arena_reset();
        if (step == 0) {
            allocs_after_first = tt_arena_heap_allocs();
        }
    }
    assert_int_equal(tt_arena_heap_allocs(), allocs_after_first);
    assert_true(tt_arena_peak_bytes() >= 16 * 64 * 4 + 16 * 32 * 4);
    tt_tensor_free(w);
}

/* tt_linear's three forms (matmul.c): one row through the GEMV, (W x^T)^T for batches that are a
 * multiple of 32 rows narrower than the output (linear_transposed), x W^T otherwise; each against a
 * double-precision loop, with and without bias, for a 3-D input whose leading dimensions make the
 * rows. */
static void test_linear_both_forms(void **state)
{
    (void)state;
    const int64_t shapes[][4] = {{2, 32, 256, 96}, {1, 48, 256, 96}, {1, 64, 300, 40}, {1, 1, 256, 96},
                                 {1, 1, 37, 5}};
    for (int s = 0; s < 5; s++) {
        const int64_t A = shapes[s][0], B = shapes[s][1], in_f = shapes[s][2], out_f = shapes[s][3];
        tt_tensor *x = tt_test_input(TT_SHAPE(A, B, in_f), -1, 1, 11);
        tt_tensor *w = tt_test_input(TT_SHAPE(out_f, in_f), -1, 1, 12);
        tt_tensor *bias = tt_test_input(TT_SHAPE(out_f), -1, 1, 13);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            tt_tensor *y = tt_linear(x, w, with_bias ? bias : NULL);
            assert_int_equal(y->ndim, 3);
            assert_int_equal(y->shape[2], out_f);
            for (int64_t r = 0; r < A * B; r++) {
                for (int64_t o = 0; o < out_f; o++) {
                    double want = with_bias ? bias->data[o] : 0.0, mag = fabs(want);
                    for (int64_t k = 0; k < in_f; k++) {
                        want += (double)x->data[r * in_f + k] * w->data[o * in_f + k];
                        mag += fabs((double)x->data[r * in_f + k] * w->data[o * in_f + k]);
                    }
                    assert_true(fabs(y->data[r * out_f + o] - want) <= 1e-6 * (in_f + 2) * mag);
                }
            }
        }
        tt_arena_reset();
    }
}

/* A handler that longjmps can only return to its own thread's stack: tt_fatal in another thread
 * must not call it, but print and abort. In a child process: exit code 3 would mean the handler ran. */
static void exit_handler(const char *msg)
{
    (void)msg;
    _exit(3);
}

static void *fatal_thread(void *arg)
{
    (void)arg;
    tt_fatal("from a worker thread");
}

static void test_handler_only_on_its_thread(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tt_set_error_handler(exit_handler);
        pthread_t th;
        if (pthread_create(&th, NULL, fatal_thread, NULL) == 0) {
            pthread_join(th, NULL);
        }
        _exit(4);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
    /* on the installing thread it runs */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tt_set_error_handler(exit_handler);
        tt_fatal("on the main thread");
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_creation, teardown),
        cmocka_unit_test_teardown(test_broadcast, teardown),
        cmocka_unit_test_teardown(test_matmul, teardown),
        cmocka_unit_test_teardown(test_shape_ops, teardown),
        cmocka_unit_test_teardown(test_reductions, teardown),
        cmocka_unit_test_teardown(test_gradients, teardown),
        cmocka_unit_test_teardown(test_no_grad_and_accumulation, teardown),
        cmocka_unit_test_teardown(test_arena_steady_state, teardown),
        cmocka_unit_test_teardown(test_linear_both_forms, teardown),
        cmocka_unit_test_teardown(test_handler_only_on_its_thread, teardown),
    };
    int rc = cmocka_run_group_tests_name("tensor", tests, NULL, NULL);
    tt_arena_shutdown();
    return rc;
}
