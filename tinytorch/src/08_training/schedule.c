/* schedule.c - learning-rate schedules: constant, step decay, and cosine with linear warm-up.
 * Steps count optimizer updates from 0. All are pure functions of (schedule, step). */
#include <math.h>
#include "tinytorch/train.h"

tt_lr_schedule tt_lr_constant(float lr)
{
    tt_lr_schedule s = {TT_LR_CONSTANT, lr, 0, 1.0f, 0, 0, lr};
    return s;
}

tt_lr_schedule tt_lr_step(float lr, int64_t step_size, float gamma)
{
    if (step_size < 1) {
        tt_fatal("tt_lr_step: step_size %lld (must be >= 1)", (long long)step_size);
    }
    tt_lr_schedule s = {TT_LR_STEP, lr, step_size, gamma, 0, 0, 0.0f};
    return s;
}

tt_lr_schedule tt_lr_cosine(float lr, int64_t warmup_steps, int64_t total_steps, float min_lr)
{
    if (warmup_steps < 0 || total_steps < 1 || warmup_steps > total_steps) {
        tt_fatal("tt_lr_cosine: warmup %lld and total %lld steps (need 0 <= warmup <= total, total >= 1)",
                 (long long)warmup_steps, (long long)total_steps);
    }
    tt_lr_schedule s = {TT_LR_COSINE, lr, 0, 1.0f, warmup_steps, total_steps, min_lr};
    return s;
}

float tt_lr_at(const tt_lr_schedule *s, int64_t step)
{
    if (step < 0) {
        step = 0;
    }
    switch (s->kind) {
    case TT_LR_STEP:
        return (float)((double)s->base_lr * pow((double)s->gamma, (double)(step / s->step_size)));
    case TT_LR_COSINE: {
        if (step < s->warmup_steps) {
            return (float)((double)s->base_lr * (double)(step + 1) / (double)s->warmup_steps);
        }
        int64_t span = s->total_steps - s->warmup_steps;
        if (span <= 0 || step >= s->total_steps) {
            return span <= 0 ? s->base_lr : s->min_lr;
        }
        double frac = (double)(step - s->warmup_steps) / (double)span;
        return (float)((double)s->min_lr +
                       ((double)s->base_lr - (double)s->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac)));
    }
    case TT_LR_CONSTANT:
    default:
        return s->base_lr;
    }
}
