/* dist_worker.c - a small data-parallel training job that test_failure.c launches under mpirun:
 *
 *   dist_worker CHECKPOINT STEPS [FAIL_AT [hang]]
 *
 * trains the fixture MLP for STEPS steps at global batch 32, rank 0 saving CHECKPOINT after every
 * step. With FAIL_AT, rank 1 exits (status 3) before step FAIL_AT, or stops itself (SIGSTOP) with
 * "hang". A surviving rank whose collective fails prints the error and ends the job with status 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist_fixture.h"
#include "tinytorch/autograd.h"
#include "tinytorch/distributed.h"

int main(int argc, char **argv)
{
    char err[512];
    if (tt_dist_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "dist_worker: %s\n", err);
        return 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: dist_worker CHECKPOINT STEPS [FAIL_AT [hang]]\n");
        tt_dist_abort(2);
    }
    tt_dataset *ds = fixture_data(512, 5);
    tt_layer *m = fixture_model(7);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_ddp *d = tt_ddp_new(p.t, p.n, NULL, err, sizeof err);
    tt_dist_loader dl;
    if (!d || tt_ddp_broadcast(d, NULL, 0, err, sizeof err) != 0 ||
        tt_dist_loader_init(&dl, ds, 32, true, 1, err, sizeof err) != 0) {
        fprintf(stderr, "dist_worker: %s\n", err);
        tt_dist_abort(2);
    }
    tt_dist_train_config c = tt_dist_train_config_default();
    c.epochs = 1000;
    c.max_steps = atol(argv[2]);
    c.checkpoint = argv[1];
    c.checkpoint_every = 1;
    c.quiet = true;
    c.fail_at_step = argc > 3 ? atol(argv[3]) : 0;
    c.fail_rank = 1;
    c.fail_hang = argc > 4 && strcmp(argv[4], "hang") == 0;
    tt_dist_train_stats st;
    int rc = tt_dist_fit(m, opt, d, &dl, &c, &st, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "dist_worker: training failed: %s\n", err);
        tt_dist_abort(2);
    }
    if (tt_dist_rank() == 0) {
        printf("dist_worker: %lld steps, loss %.4f\n", (long long)st.steps, st.train_loss);
    }
    tt_dist_loader_free(&dl);
    tt_ddp_free(d);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
    tt_dataset_free(ds);
    tt_arena_shutdown();
    tt_dist_finalize();
    return 0;
}
