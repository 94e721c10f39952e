/* scheduler.c - learning-rate schedulers acting on an optimizer: step decay and cosine with linear
 * warm-up (see optim.h). The rate is a pure function of (schedule, step); the scheduler only keeps
 * the step count and writes the rate into its optimizer. */
#include <math.h>
#include <stdlib.h>
#include "tinytorch/optim.h"

typedef enum sched_kind { SCHED_STEP, SCHED_COSINE } sched_kind;

struct tt_scheduler {
    sched_kind kind;
    tt_optimizer *opt;     /* not owned */
    float base_lr;         /* the optimizer's lr at creation */
    int64_t step_size;     /* STEP */
    float gamma;           /* STEP */
    int64_t warmup, total; /* COSINE */
    float min_lr;          /* COSINE */
    int64_t steps;
};

static tt_scheduler *sched_new(sched_kind kind, tt_optimizer *opt)
{
    if (!opt) {
        tt_fatal("scheduler: NULL optimizer");
    }
    tt_scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        tt_fatal("scheduler: out of memory");
    }
    s->kind = kind;
    s->opt = opt;
    s->base_lr = tt_optim_get_lr(opt);
    return s;
}

tt_scheduler *tt_step_lr(tt_optimizer *opt, tt_step_lr_opts o)
{
    if (o.step_size < 1) {
        tt_fatal("tt_step_lr: step_size %lld (must be >= 1)", (long long)o.step_size);
    }
    tt_scheduler *s = sched_new(SCHED_STEP, opt);
    s->step_size = o.step_size;
    s->gamma = o.gamma == 0.0f && !signbit(o.gamma) ? 0.1f : o.gamma;
    tt_optim_set_lr(opt, tt_scheduler_lr_at(s, 0));
    return s;
}

tt_scheduler *tt_cosine_lr(tt_optimizer *opt, tt_cosine_lr_opts o)
{
    if (o.warmup_steps < 0 || o.total_steps < 1 || o.warmup_steps > o.total_steps) {
        tt_fatal("tt_cosine_lr: warmup %lld and total %lld steps (need 0 <= warmup <= total, total >= 1)",
                 (long long)o.warmup_steps, (long long)o.total_steps);
    }
    tt_scheduler *s = sched_new(SCHED_COSINE, opt);
    s->warmup = o.warmup_steps;
    s->total = o.total_steps;
    s->min_lr = o.min_lr;
    tt_optim_set_lr(opt, tt_scheduler_lr_at(s, 0));
    return s;
}

float tt_scheduler_lr_at(const tt_scheduler *s, int64_t step)
{
    if (step < 0) {
        step = 0;
    }
    if (s->kind == SCHED_STEP) {
        return (float)((double)s->base_lr * pow((double)s->gamma, (double)(step / s->step_size)));
    }
    if (step < s->warmup) {
        return (float)((double)s->base_lr * (double)(step + 1) / (double)s->warmup);
    }
    int64_t span = s->total - s->warmup;
    if (span <= 0 || step >= s->total) {
        return span <= 0 ? s->base_lr : s->min_lr;
    }
    double frac = (double)(step - s->warmup) / (double)span;
    return (float)((double)s->min_lr +
                   ((double)s->base_lr - (double)s->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac)));
}

void tt_scheduler_step(tt_scheduler *s)
{
    s->steps++;
    tt_optim_set_lr(s->opt, tt_scheduler_lr_at(s, s->steps));
}

int64_t tt_scheduler_steps(const tt_scheduler *s) { return s->steps; }

void tt_scheduler_free(tt_scheduler *s) { free(s); }
