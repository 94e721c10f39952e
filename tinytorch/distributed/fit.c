/* fit.c - the data-parallel training loop.
 *
 * One step on every rank: forward on this rank's shard; loss = mean cross-entropy of the shard;
 * tt_ddp_begin (weight = shard rows / global rows); backward, during which the gradient buckets are
 * reduced; tt_ddp_finish; one small all-reduce of the weighted loss (so every rank sees the same
 * global loss and stops together on NaN); optimizer step (with ZeRO-1: on this rank's shard, then
 * every parameter broadcast from its owner); zero the gradients; arena reset.
 * Rank 0 alone evaluates, prints progress, writes the metrics log and saves checkpoints (atomically:
 * tt_checkpoint_save writes a temporary file, fsyncs and renames it), so a rank that dies mid-run
 * leaves the last checkpoint intact.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dist_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/progress.h"

tt_dist_train_config tt_dist_train_config_default(void)
{
    tt_dist_train_config c;
    memset(&c, 0, sizeof c);
    c.epochs = 1;
    return c;
}

static int save(const tt_dist_train_config *cfg, tt_layer *model, tt_optimizer *opt, int64_t step,
                char *err, size_t errlen)
{
    if (!cfg->checkpoint || tt_dist_rank() != 0) {
        return 0;
    }
    char steps[32], ranks[16];
    snprintf(steps, sizeof steps, "%lld", (long long)step);
    snprintf(ranks, sizeof ranks, "%d", tt_dist_size());
    tt_kv meta[] = {{"step", steps}, {"ranks", ranks}, {"trainer", "tinytorch data-parallel"}};
    char e[512];
    /* With ZeRO-1 rank 0 holds only its shard of the optimizer state: the checkpoint keeps the model. */
    if (tt_checkpoint_save(cfg->checkpoint, model, cfg->zero1 ? NULL : opt, meta, 3, e, sizeof e) != 0) {
        return tt__dist_err(err, errlen, "%s", e);
    }
    return 0;
}

int tt_dist_fit(tt_layer *model, tt_optimizer *opt, tt_ddp *ddp, tt_dist_loader *dl,
                const tt_dist_train_config *cfg, tt_dist_train_stats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->eval_loss = st->eval_accuracy = NAN;
    const int rank = tt_dist_rank();
    const bool talk = rank == 0 && !cfg->quiet;
    int rc = 0;
    int64_t step = 0, steps_timed = 0;
    double train_s = 0.0, wait_sum = 0.0, comm_sum = 0.0;
    tt_layer_train(model, true);
    for (int ep = 0; ep < cfg->epochs && rc == 0; ep++) {
        if (cfg->max_steps && step >= cfg->max_steps) {
            break;
        }
        tt_dist_loader_start_epoch(dl);
        double t_epoch = tt__dist_now(), loss_sum = 0.0, last_print = t_epoch;
        int64_t seen = 0;
        tt_batch b;
        int64_t gn;
        while (rc == 0 && (!cfg->max_steps || step < cfg->max_steps) && tt_dist_loader_next(dl, &b, &gn)) {
            if (cfg->fail_at_step && step + 1 == cfg->fail_at_step && rank == cfg->fail_rank) {
                fprintf(stderr, "rank %d: stopping on purpose before step %lld (%s)\n", rank,
                        (long long)cfg->fail_at_step, cfg->fail_hang ? "hanging" : "exit 3");
                fflush(stderr);
                if (cfg->fail_hang) {
                    raise(SIGSTOP);
                }
                _exit(3);
            }
            tt_tensor *logits = tt_layer_forward(model, b.x);
            tt_tensor *loss = tt_cross_entropy(logits, b.y);
            double w = (double)b.size / (double)gn;
            double lv = w * (double)loss->data[0];
            tt_ddp_begin(ddp, w);
            tt_backward(loss);
            if (tt_ddp_finish(ddp, err, errlen) != 0 || tt_dist_allreduce_f64(&lv, 1, 's', err, errlen) != 0) {
                tt_arena_reset();
                rc = -2;
                break;
            }
            if (!isfinite(lv)) {
                tt_ddp_zero_grad(ddp);
                tt_arena_reset();
                tt__dist_err(err, errlen, "the loss became %g at step %lld", lv, (long long)step + 1);
                rc = -1;
                break;
            }
            tt_optim_step(opt);
            if (cfg->zero1 && tt_zero1_sync(cfg->zero1, err, errlen) != 0) {
                tt_arena_reset();
                rc = -2;
                break;
            }
            if (cfg->sched) {
                tt_scheduler_step(cfg->sched);
            }
            tt_ddp_zero_grad(ddp);
            tt_arena_reset();
            step++;
            loss_sum += lv * (double)gn;
            seen += gn;
            const tt_ddp_stats *ds = tt_ddp_last(ddp);
            wait_sum += ds->wait_s;
            comm_sum += ds->comm_s;
            steps_timed++;
            if (rank == 0 && cfg->log_steps) {
                tt_metric kv[] = {{"step", (double)step}, {"loss", lv}, {"wait_s", ds->wait_s},
                                  {"comm_s", ds->comm_s}, {"backward_s", ds->backward_s}};
                tt_metrics_write(cfg->log, "step", kv, 5);
            }
            if (cfg->checkpoint_every && step % cfg->checkpoint_every == 0) {
                double t = tt__dist_now();
                rc = save(cfg, model, opt, step, err, errlen) ? -2 : 0;
                t_epoch += tt__dist_now() - t;   /* checkpoint time is not training time */
            }
            double now = tt__dist_now();
            if (talk && now - last_print > 2.0) {
                fprintf(stderr, "  epoch %d/%d  step %lld  loss %.4f  %.0f samples/s\n", ep + 1, cfg->epochs,
                        (long long)step, loss_sum / (double)seen, (double)seen / (now - t_epoch));
                last_print = now;
            }
        }
        train_s += tt__dist_now() - t_epoch;
        if (rc != 0) {
            break;
        }
        st->epochs_run = ep + 1;
        st->samples += seen;
        st->train_loss = seen ? loss_sum / (double)seen : NAN;
        if (rank == 0 && cfg->eval) {
            tt_evaluate(model, cfg->eval, 1000, &st->eval_loss, &st->eval_accuracy);
        }
        if (talk) {
            fprintf(stderr, "  epoch %d/%d  loss %.4f", ep + 1, cfg->epochs, st->train_loss);
            if (cfg->eval) {
                fprintf(stderr, "  eval loss %.4f acc %.2f%%", st->eval_loss, 100.0 * st->eval_accuracy);
            }
            fprintf(stderr, "  (%d ranks)\n", tt_dist_size());
        }
        if (rank == 0) {
            tt_metric kv[] = {{"epoch", ep + 1},          {"train_loss", st->train_loss},
                              {"eval_loss", st->eval_loss}, {"eval_accuracy", st->eval_accuracy},
                              {"steps", (double)step},     {"ranks", tt_dist_size()}};
            tt_metrics_write(cfg->log, "epoch", kv, cfg->eval ? 6 : 2);
        }
        if (save(cfg, model, opt, step, err, errlen) != 0) {
            rc = -2;
        }
    }
    st->steps = step;
    if (rc == -2) {
        return rc;
    }
    /* The slowest rank's training time sets the pace. */
    double t = train_s;
    if (tt_dist_allreduce_f64(&t, 1, 'M', err, errlen) != 0) {
        return -2;
    }
    st->train_seconds = t;
    st->samples_per_s = t > 0 ? (double)st->samples / t : 0.0;
    st->step_s = step ? t / (double)step : 0.0;
    st->wait_s_per_step = steps_timed ? wait_sum / (double)steps_timed : 0.0;
    st->comm_s_per_step = steps_timed ? comm_sum / (double)steps_timed : 0.0;
    st->overlap = comm_sum > 0 ? 1.0 - wait_sum / comm_sum : NAN;
    st->buckets = tt_ddp_last(ddp)->buckets;
    return rc;
}
