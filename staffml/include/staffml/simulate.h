/* simulate.h - simulated learners for evaluating schedulers: FSRS-6 versus SM-2 on a ground-truth
 * forgetting model that is neither of them.
 *
 * Ground truth (per card, our own model): recall probability p = exp(-t / S) after t days;
 * S0 = 1 + 4 (1 - d) days for card difficulty d in [0, 1]; a successful review multiplies S by
 * 1.2 + (2.5 - 1.5 d) sqrt(1 - p) (the spacing effect: harder recalls strengthen more);
 * a lapse sets S to max(S0 / 2, 0.4 S) (relearning from the shown answer). The learner rates a success Easy when p > 0.95, Hard when
 * p < 0.6, else Good; a failure is Again.
 * SM-2 (Wozniak 1990) has no recall probability; as in the open-spaced-repetition benchmark
 * convention we read its prediction as 0.9^(t / I), I its last interval.
 */
#ifndef STAFFML_SIMULATE_H
#define STAFFML_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "staffml/fsrs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SML_SCHED_FSRS = 0, SML_SCHED_SM2 = 1 } sml_scheduler;

typedef struct {
    int cards;              /* cards simulated (default 1000) */
    int days;               /* horizon (default 365) */
    uint64_t seed;
    double retention;       /* FSRS desired retention (default 0.9) */
    const sml_fsrs_params *params;   /* FSRS parameters (NULL = defaults) */
} sml_sim_config;

typedef struct {
    double log_loss;        /* of the scheduler's predicted recall against the outcomes */
    double rmse_bins;       /* predicted vs observed recall over 20 bins of prediction */
    double reviews_per_card;            /* within the horizon */
    double mean_retention;  /* true recall probability averaged over cards and days */
    double reviews_to_target;           /* mean reviews until a card's true 30-day recall >= 90 % */
    double reached_target;  /* fraction of cards that got there within the horizon */
    size_t predictions;
} sml_sim_result;

void sml_sim_config_default(sml_sim_config *c);
/* Runs one scheduler over the simulated deck. `log` (may be NULL) receives the review history per
 * card for fitting: caller frees with sml_sim_free_log. 0 ok, -1 on bad config or no memory. */
int sml_sim_run(const sml_sim_config *c, sml_scheduler s, sml_sim_result *out,
                sml_fsrs_card_log **log, size_t *ncards);
void sml_sim_free_log(sml_fsrs_card_log *log, size_t n);

#ifdef __cplusplus
}
#endif
#endif
