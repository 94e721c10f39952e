/* fsrs.h - the FSRS-6 spaced-repetition scheduler: memory state (stability, difficulty), the
 * power forgetting curve, intervals, and fitting the 21 parameters to a learner's review log.
 *
 * Model (FSRS-6, open-spaced-repetition: the algorithm description "The Algorithm" in the
 * free-spaced-repetition-scheduler wiki and the reference implementation fsrs-rs; our own code):
 *   R(t, S)  = (1 + f·t/S)^(-w20),  f = 0.9^(-1/w20) - 1            (R(S, S) = 0.9)
 *   I(r, S)  = S/f · (r^(-1/w20) - 1)                               interval for retention r
 *   S0(G)    = w[G-1];  D0(G) = w4 - e^(w5·(G-1)) + 1
 *   D'       = w7·D0(4) + (1-w7)·(D - w6·(G-3)·(10-D)/9)            clamped to [1, 10]
 *   recall   S' = S·(e^w8·(11-D)·S^-w9·(e^(w10(1-R)) - 1)·[w15 if Hard]·[w16 if Easy] + 1)
 *   lapse    S' = min(w11·D^-w12·((S+1)^w13 - 1)·e^(w14(1-R)),  S / e^(w17·w18))
 *   same day S' = S·max(e^(w17(G-3+w18))·S^-w19, 1 if G >= 3)
 * Grades: 1 Again, 2 Hard, 3 Good, 4 Easy. Time is in days; elapsed 0 means the same day.
 * Stability is kept in [0.001, 36500] days.
 */
#ifndef STAFFML_FSRS_H
#define STAFFML_FSRS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SML_FSRS_NPARAMS 21

typedef struct {
    double w[SML_FSRS_NPARAMS];
} sml_fsrs_params;

typedef struct {
    double stability;   /* days until R falls to 90 % */
    double difficulty;  /* 1 (easy) .. 10 (hard) */
} sml_fsrs_state;

/* The reference's FSRS-6 default parameters (fsrs-rs FSRS6_DEFAULT_PARAMETERS). */
void sml_fsrs_default_params(sml_fsrs_params *p);
/* Parses "default" or 21 comma-separated numbers. 0 ok, -1 with a reason in err. */
int sml_fsrs_parse_params(const char *text, sml_fsrs_params *p, char *err, size_t errlen);
/* Lower/upper bound of parameter i used when fitting (and checked when parsing). */
void sml_fsrs_param_bounds(int i, double *lo, double *hi);

/* Probability of recall after `elapsed_days` with stability S. */
double sml_fsrs_retrievability(const sml_fsrs_params *p, double elapsed_days, double stability);
/* Unrounded interval (days) at which R falls to `retention`. */
double sml_fsrs_interval(const sml_fsrs_params *p, double stability, double retention);
/* The scheduled interval: round(interval), at least 1 day, at most 36500. */
int sml_fsrs_interval_days(const sml_fsrs_params *p, double stability, double retention);

/* One review. `s` is NULL/has_state 0 for the first review of a card. Returns the new state;
 * when r_before is not NULL it gets R just before the review (-1 for a first review). */
sml_fsrs_state sml_fsrs_review(const sml_fsrs_params *p, const sml_fsrs_state *s, int has_state,
                               int grade, double elapsed_days, double *r_before);

/* ---- Fitting personal parameters ----
 * A review log is a list of cards; each card is a sequence of (grade, elapsed_days) in time
 * order (elapsed of the first review is ignored). The loss is the mean binary log loss of
 * predicting recall (grade > 1) at every review after the first that is not on the same day. */
typedef struct {
    int grade;
    double elapsed_days;
} sml_fsrs_review_item;

typedef struct {
    const sml_fsrs_review_item *reviews;
    size_t n;
} sml_fsrs_card_log;

/* Mean log loss and the number of predictions it averages (*count may be NULL). */
double sml_fsrs_log_loss(const sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards,
                         size_t *count);
/* RMSE between predicted and observed recall over 20 bins of predicted R (as the reference's
 * benchmark bins it, by prediction). */
double sml_fsrs_rmse_bins(const sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards);

typedef struct {
    double loss_before, loss_after;
    size_t predictions;
    int iterations;
} sml_fsrs_fit_result;

/* Minimises the log loss from `p` (in place) by Adam on a central-difference gradient, with
 * every parameter kept in its bounds and a small pull toward the start (so a short log cannot
 * drag parameters far). Returns 0, or -1 when the log has fewer than `min_predictions`. */
int sml_fsrs_fit(sml_fsrs_params *p, const sml_fsrs_card_log *cards, size_t ncards,
                 size_t min_predictions, int iterations, sml_fsrs_fit_result *out);

#ifdef __cplusplus
}
#endif
#endif
