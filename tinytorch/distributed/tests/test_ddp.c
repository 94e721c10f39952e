/* test_ddp.c - data-parallel training at -np 2 (CTest runs it under mpirun): disjoint epoch-reshuffled
 * shards, the parameter broadcast, replicas identical after every step, the same weights as the
 * single-process run at the same global batch after 20 steps, buckets started during backward,
 * ZeRO-1 (sharded optimizer state) giving the same weights. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dist_fixture.h"
#include "tinytorch/autograd.h"
#include "tinytorch/distributed.h"

static char err[512];

#define OK(call) \
    do { \
        if ((call) != 0) { \
            fail_msg("%s", err); \
        } \
    } while (0)

static void collect(tt_layer *m, tt_params *p)
{
    tt_params_init(p);
    tt_layer_params(m, p);
}

/* max |a - b| / max |b| over every parameter of two models of the same architecture. */
static double rel_diff(const tt_params *a, const tt_params *b)
{
    double num = 0, den = 0;
    for (int i = 0; i < a->n; i++) {
        for (int64_t j = 0; j < a->t[i]->numel; j++) {
            double d = fabs((double)a->t[i]->data[j] - (double)b->t[i]->data[j]);
            num = d > num ? d : num;
            double v = fabs((double)b->t[i]->data[j]);
            den = v > den ? v : den;
        }
    }
    return num / den;
}

/* The single-process run: batches of `batch` from one tt_dataloader, plain forward/backward/step. */
static void reference(tt_layer *m, tt_optimizer *opt, const tt_dataset *ds, int64_t batch, uint64_t seed,
                      int steps)
{
    tt_dataloader dl;
    assert_int_equal(tt_dataloader_init(&dl, ds, batch, true, false, seed, err, sizeof err), 0);
    int done = 0;
    while (done < steps) {
        tt_dataloader_start_epoch(&dl);
        tt_batch b;
        while (done < steps && tt_dataloader_next(&dl, &b)) {
            tt_backward(tt_cross_entropy(tt_layer_forward(m, b.x), b.y));
            tt_optim_step(opt);
            tt_optim_zero_grad(opt);
            tt_arena_reset();
            done++;
        }
    }
    tt_dataloader_free(&dl);
}

static void test_group(void **state)
{
    (void)state;
    assert_int_equal(tt_dist_size(), 2);
    double r = tt_dist_rank() + 1;
    OK(tt_dist_allreduce_f64(&r, 1, 's', err, sizeof err));
    assert_true(r == 3.0);
    OK(tt_dist_barrier(err, sizeof err));
}

/* Feature 0 of sample i is i, so each rank can say which samples it got. */
static void test_shards(void **state)
{
    (void)state;
    enum { N = 100, B = 16 };
    float *x = malloc(N * sizeof(float));
    int32_t *y = malloc(N * sizeof(int32_t));
    for (int i = 0; i < N; i++) {
        x[i] = (float)i;
        y[i] = i % 2;
    }
    int64_t shape[1] = {1};
    tt_dataset *ds = tt_dataset_from_memory(x, y, N, 1, shape, 2);
    tt_dist_loader dl;
    OK(tt_dist_loader_init(&dl, ds, B, false, 9, err, sizeof err));
    tt_dataloader single;
    OK(tt_dataloader_init(&single, ds, B, true, false, 9, err, sizeof err));
    assert_int_equal(tt_dist_loader_len(&dl), 7);   /* 6 full batches + 4 rows (>= 2 ranks) */
    double first_epoch[N];
    for (int ep = 0; ep < 2; ep++) {
        tt_dist_loader_start_epoch(&dl);
        tt_dataloader_start_epoch(&single);
        double pos[N];   /* position in the epoch -> sample index + 1, filled by the rank that owns it */
        double seen[N];
        memset(pos, 0, sizeof pos);
        memset(seen, 0, sizeof seen);
        tt_batch b;
        int64_t gn, at = 0;
        while (tt_dist_loader_next(&dl, &b, &gn)) {
            int64_t lo = gn * tt_dist_rank() / 2;
            assert_int_equal(b.size, gn * (tt_dist_rank() + 1) / 2 - lo);
            for (int64_t i = 0; i < b.size; i++) {
                int s = (int)b.x->data[i];
                pos[at + lo + i] = s + 1;
                seen[s] += 1;
            }
            at += gn;
            tt_arena_reset();
        }
        assert_int_equal(at, N);
        OK(tt_dist_allreduce_f64(pos, N, 's', err, sizeof err));
        OK(tt_dist_allreduce_f64(seen, N, 's', err, sizeof err));
        for (int i = 0; i < N; i++) {
            assert_true(seen[i] == 1.0);   /* disjoint, and the shards cover the epoch */
        }
        /* The shards, in rank order, are the single-process batches. */
        int64_t k = 0;
        while (tt_dataloader_next(&single, &b)) {
            for (int64_t i = 0; i < b.size; i++, k++) {
                assert_true(pos[k] == b.x->data[i] + 1);
            }
            tt_arena_reset();
        }
        if (ep == 0) {
            memcpy(first_epoch, pos, sizeof pos);
        } else {
            assert_memory_not_equal(first_epoch, pos, sizeof pos);   /* reshuffled */
        }
    }
    tt_dataloader_free(&single);
    tt_dist_loader_free(&dl);
    tt_dataset_free(ds);
}

static void test_broadcast(void **state)
{
    (void)state;
    tt_layer *m = fixture_model(100 + (uint64_t)tt_dist_rank());   /* different on each rank */
    tt_params p;
    collect(m, &p);
    tt_ddp *d = tt_ddp_new(p.t, p.n, NULL, err, sizeof err);
    assert_non_null(d);
    double div;
    OK(tt_ddp_max_divergence(d, &div, err, sizeof err));
    assert_true(div > 0.01);
    OK(tt_ddp_broadcast(d, NULL, 0, err, sizeof err));
    OK(tt_ddp_max_divergence(d, &div, err, sizeof err));
    assert_true(div == 0.0);
    tt_layer *r0 = fixture_model(100);   /* rank 0's initial weights */
    tt_params q;
    collect(r0, &q);
    assert_true(rel_diff(&p, &q) == 0.0);
    tt_ddp_free(d);
    tt_params_free(&p);
    tt_params_free(&q);
    tt_layer_free(m);
    tt_layer_free(r0);
}

/* 20 steps at global batch 32 (16 per rank), step by step through the tt_ddp API. */
static void run_equivalence(bool adam, size_t bucket_bytes, tt_params *final_out, tt_layer **model_out)
{
    tt_dataset *ds = fixture_data(400, 5);
    tt_layer *m = fixture_model(200 + (uint64_t)tt_dist_rank());
    tt_layer *ref = fixture_model(200);
    tt_params p, q;
    collect(m, &p);
    collect(ref, &q);
    tt_optimizer *opt = adam ? tt_adam(&p, (tt_adam_opts){.lr = 1e-2f}) : tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_optimizer *ropt = adam ? tt_adam(&q, (tt_adam_opts){.lr = 1e-2f}) : tt_sgd(&q, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_ddp *d = tt_ddp_new(p.t, p.n, &(tt_ddp_opts){.bucket_bytes = bucket_bytes}, err, sizeof err);
    assert_non_null(d);
    OK(tt_ddp_broadcast(d, NULL, 0, err, sizeof err));
    tt_dist_loader dl;
    OK(tt_dist_loader_init(&dl, ds, 32, false, 77, err, sizeof err));
    int steps = 0;
    while (steps < 20) {
        tt_dist_loader_start_epoch(&dl);
        tt_batch b;
        int64_t gn;
        while (steps < 20 && tt_dist_loader_next(&dl, &b, &gn)) {
            tt_tensor *loss = tt_cross_entropy(tt_layer_forward(m, b.x), b.y);
            tt_ddp_begin(d, (double)b.size / (double)gn);
            tt_backward(loss);
            OK(tt_ddp_finish(d, err, sizeof err));
            tt_optim_step(opt);
            tt_optim_zero_grad(opt);
            tt_arena_reset();
            steps++;
            double div;
            OK(tt_ddp_max_divergence(d, &div, err, sizeof err));
            assert_true(div == 0.0);   /* identical replicas after every step */
        }
    }
    const tt_ddp_stats *s = tt_ddp_last(d);
    assert_int_equal(s->buckets_in_backward, s->buckets);   /* every bucket started inside backward */
    reference(ref, ropt, ds, 32, 77, 20);
    double rd = rel_diff(&p, &q);
    if (tt_dist_rank() == 0) {
        printf("  %s, %d bucket(s): max relative difference to the single process after 20 steps %.2e\n",
               adam ? "Adam" : "SGD momentum", s->buckets, rd);
    }
    assert_true(rd <= 1e-5);
    tt_dist_loader_free(&dl);
    tt_ddp_free(d);
    tt_optim_free(opt);
    tt_optim_free(ropt);
    tt_params_free(&q);
    tt_layer_free(ref);
    tt_dataset_free(ds);
    *final_out = p;
    *model_out = m;
}

static void test_equivalence_sgd(void **state)
{
    (void)state;
    tt_params a, b;
    tt_layer *ma, *mb;
    run_equivalence(false, 0, &a, &ma);          /* default buckets: one for this small model */
    run_equivalence(false, 64, &b, &mb);         /* one bucket per parameter */
    assert_true(rel_diff(&a, &b) == 0.0);        /* bucketing does not change a single bit */
    tt_params_free(&a);
    tt_params_free(&b);
    tt_layer_free(ma);
    tt_layer_free(mb);
}

static void test_equivalence_adam(void **state)
{
    (void)state;
    tt_params a;
    tt_layer *ma;
    run_equivalence(true, 64, &a, &ma);
    tt_params_free(&a);
    tt_layer_free(ma);
}

/* tt_dist_fit with an odd global batch (17 + 16 rows): the weighted average still gives the
 * single-process gradient; the loss and step counts agree. */
static void test_fit_uneven(void **state)
{
    (void)state;
    tt_dataset *ds = fixture_data(330, 6);
    tt_layer *m = fixture_model(300 + (uint64_t)tt_dist_rank());
    tt_layer *ref = fixture_model(300);
    tt_params p, q;
    collect(m, &p);
    collect(ref, &q);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_optimizer *ropt = tt_sgd(&q, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_ddp *d = tt_ddp_new(p.t, p.n, &(tt_ddp_opts){.bucket_bytes = 64}, err, sizeof err);
    OK(tt_ddp_broadcast(d, NULL, 0, err, sizeof err));
    tt_dist_loader dl;
    OK(tt_dist_loader_init(&dl, ds, 33, false, 3, err, sizeof err));
    tt_dist_train_config c = tt_dist_train_config_default();
    c.epochs = 3;
    c.max_steps = 20;   /* 10 batches per epoch: 2 epochs, the second one cut */
    c.quiet = true;
    tt_dist_train_stats st;
    OK(tt_dist_fit(m, opt, d, &dl, &c, &st, err, sizeof err));
    assert_int_equal(st.steps, 20);
    assert_int_equal(st.epochs_run, 2);
    assert_true(st.overlap >= 0.0 && st.overlap <= 1.0);
    assert_int_equal(st.buckets, 4);
    reference(ref, ropt, ds, 33, 3, 20);
    double rd = rel_diff(&p, &q);
    assert_true(rd <= 1e-5);
    double div;
    OK(tt_ddp_max_divergence(d, &div, err, sizeof err));
    assert_true(div == 0.0);
    tt_dist_loader_free(&dl);
    tt_ddp_free(d);
    tt_optim_free(opt);
    tt_optim_free(ropt);
    tt_params_free(&p);
    tt_params_free(&q);
    tt_layer_free(m);
    tt_layer_free(ref);
    tt_dataset_free(ds);
}

/* ZeRO-1 with Adam: the same weights, bit for bit, as unsharded data parallelism after 20 steps; the
 * shards of the optimizer state add up to the whole (plus one 4-byte step counter per parameter split
 * between ranks), and the largest shard is 1/N of it (flat ranges: within one element's state and
 * the step counters). */
static void train_adam(bool zero, tt_params *out, tt_layer **model, size_t *state_bytes)
{
    tt_dataset *ds = fixture_data(400, 8);
    tt_layer *m = fixture_model(400);
    tt_params p, mine;
    collect(m, &p);
    tt_params_init(&mine);
    tt_zero1 *z = NULL;
    if (zero) {
        z = tt_zero1_new(p.t, p.n, err, sizeof err);
        assert_non_null(z);
        tt_zero1_owned(z, &p, &mine);
    }
    tt_optimizer *opt = tt_adam(zero ? &mine : &p, (tt_adam_opts){.lr = 1e-2f});
    tt_ddp *d = tt_ddp_new(p.t, p.n, NULL, err, sizeof err);
    tt_dist_loader dl;
    OK(tt_dist_loader_init(&dl, ds, 32, false, 4, err, sizeof err));
    tt_dist_train_config c = tt_dist_train_config_default();
    c.epochs = 2;
    c.max_steps = 20;
    c.quiet = true;
    c.zero1 = z;
    tt_dist_train_stats st;
    OK(tt_dist_fit(m, opt, d, &dl, &c, &st, err, sizeof err));
    double div;
    OK(tt_ddp_max_divergence(d, &div, err, sizeof err));
    assert_true(div == 0.0);
    *state_bytes = tt_optim_state_bytes(opt);
    tt_dist_loader_free(&dl);
    tt_ddp_free(d);
    tt_optim_free(opt);
    tt_zero1_free(z);
    tt_params_free(&mine);
    tt_dataset_free(ds);
    *out = p;
    *model = m;
}

static void test_zero1(void **state)
{
    (void)state;
    tt_params a, b;
    tt_layer *ma, *mb;
    size_t full, shard;
    train_adam(false, &a, &ma, &full);
    train_adam(true, &b, &mb, &shard);
    assert_true(rel_diff(&b, &a) == 0.0);
    double s[2] = {(double)shard, (double)shard};
    OK(tt_dist_allreduce_f64(s, 1, 's', err, sizeof err));
    OK(tt_dist_allreduce_f64(s + 1, 1, 'M', err, sizeof err));
    if (tt_dist_rank() == 0) {
        printf("  ZeRO-1 Adam state: %zu bytes unsharded, largest shard %.0f bytes\n", full, s[1]);
    }
    int size = tt_dist_size();
    /* the shards add up to one full state, plus a step counter for each split parameter */
    assert_true(s[0] >= (double)full && s[0] <= (double)full + 4.0 * (size - 1));
    /* each rank: E/N elements of 8-byte Adam moments, + <= 1 element + its step counters */
    assert_true(s[1] <= (double)full / size + 8.0 + 4.0 * a.n);
    if (size > 1) {
        assert_true(s[1] < 0.51 * (double)full * 2.0 / size);
    }
    tt_params_free(&a);
    tt_params_free(&b);
    tt_layer_free(ma);
    tt_layer_free(mb);
}

int main(int argc, char **argv)
{
    if (tt_dist_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    tt_dist_set_timeout_s(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group),          cmocka_unit_test(test_shards),
        cmocka_unit_test(test_broadcast),      cmocka_unit_test(test_equivalence_sgd),
        cmocka_unit_test(test_equivalence_adam), cmocka_unit_test(test_fit_uneven),
        cmocka_unit_test(test_zero1),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed) {
        tt_dist_abort(1);   /* the other rank may be waiting in a collective */
    }
    tt_arena_shutdown();
    tt_dist_finalize();
    return 0;
}
