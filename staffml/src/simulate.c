/* simulate.c - simulated learners (ground truth in staffml/simulate.h) reviewed by FSRS-6 or SM-2.
 * Deterministic for a seed: the same draws feed both schedulers' decks (cards and their
 * difficulties come from the seed; outcomes from a per-card stream). */
#include "staffml/simulate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t s; } rng;

static double urand(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

void sml_sim_config_default(sml_sim_config *c)
{
    c->cards = 1000;
    c->days = 365;
    c->seed = 20261130;
    c->retention = 0.9;
    c->params = NULL;
}

void sml_sim_free_log(sml_fsrs_card_log *log, size_t n)
{
    for (size_t i = 0; log && i < n; i++) free((void *)log[i].reviews);
    free(log);
}

#define TARGET_S (30.0 / 0.10536051565782628)   /* exp(-30/S) >= 0.9  <=>  S >= 30 / -ln 0.9 */
#define NBINS 20

int sml_sim_run(const sml_sim_config *c, sml_scheduler sched, sml_sim_result *out,
                sml_fsrs_card_log **log_out, size_t *ncards)
{
    memset(out, 0, sizeof *out);
    if (c->cards < 1 || c->days < 2 || !(c->retention > 0.5 && c->retention < 1)) return -1;
    sml_fsrs_params p;
    if (c->params) p = *c->params;
    else sml_fsrs_default_params(&p);
    sml_fsrs_card_log *lg = NULL;
    if (log_out) {
        lg = calloc((size_t)c->cards, sizeof *lg);
        if (!lg) return -1;
    }
    double loss = 0, bin_p[NBINS] = {0}, bin_y[NBINS] = {0}, ret_sum = 0;
    size_t bin_n[NBINS] = {0}, n = 0, reviews = 0, reached = 0;
    double to_target = 0;
    rng deck = {c->seed};
    for (int k = 0; k < c->cards; k++) {
        double d = urand(&deck);
        rng out_r = {c->seed ^ (0xA5A5A5A5ULL * (uint64_t)(k + 1))};
        double S0 = 1.0 + 4.0 * (1 - d), S = S0;
        /* scheduler state */
        sml_fsrs_state fs = {0, 0};
        double ef = 2.5, ivl = 0;
        int reps = 0;
        int t = 0, last = 0, count = 0, got = 0;
        size_t cap = 0;
        sml_fsrs_review_item *items = NULL;
        int next = 0;   /* day of the next review */
        for (int day = 0; day < c->days; day++) {
            if (day > 0) ret_sum += exp(-(day - last) / S);
            else ret_sum += 1.0;
            if (day != next) continue;
            t = day;
            double elapsed = t - last;
            int grade;
            double pred;
            if (count == 0) {
                /* first exposure: learned from the answer; a hard card may be failed at once */
                grade = urand(&out_r) < 0.3 * d ? 1 : 3;
                pred = -1;
            } else {
                double pt = exp(-elapsed / S);
                int y = urand(&out_r) < pt;
                grade = !y ? 1 : pt > 0.95 ? 4 : pt < 0.6 ? 2 : 3;
                if (sched == SML_SCHED_FSRS) pred = sml_fsrs_retrievability(&p, elapsed, fs.stability);
                else pred = pow(0.9, elapsed / (ivl > 0 ? ivl : 1));
                double q = fmin(fmax(pred, 1e-6), 1 - 1e-6);
                loss += y ? -log(q) : -log(1 - q);
                int b = (int)(pred * NBINS);
                b = b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
                bin_p[b] += pred;
                bin_y[b] += y;
                bin_n[b]++;
                n++;
                /* ground truth update */
                if (y) S *= 1.2 + (2.5 - 1.5 * d) * sqrt(1 - pt);
                else S = fmax(0.5 * S0, 0.4 * S);
            }
            if (lg) {
                if ((size_t)count == cap) {
                    cap = cap ? cap * 2 : 16;
                    sml_fsrs_review_item *ni = realloc(items, cap * sizeof *ni);
                    if (!ni) { free(items); sml_sim_free_log(lg, (size_t)k); return -1; }
                    items = ni;
                }
                items[count].grade = grade;
                items[count].elapsed_days = elapsed;
            }
            count++;
            reviews++;
            if (!got && S >= TARGET_S) {
                got = 1;
                reached++;
                to_target += count;
            }
            /* schedule */
            int gap;
            if (sched == SML_SCHED_FSRS) {
                fs = sml_fsrs_review(&p, &fs, count > 1, grade, elapsed, NULL);
                gap = sml_fsrs_interval_days(&p, fs.stability, c->retention);
            } else {
                int qv = grade == 1 ? 1 : grade == 2 ? 3 : grade == 3 ? 4 : 5;   /* SM-2 quality 0..5 */
                if (qv < 3) {
                    reps = 0;
                    ivl = 1;
                } else {
                    ivl = reps == 0 ? 1 : reps == 1 ? 6 : round(ivl * ef);
                    reps++;
                }
                ef += 0.1 - (5 - qv) * (0.08 + (5 - qv) * 0.02);
                if (ef < 1.3) ef = 1.3;
                gap = (int)ivl;
            }
            last = t;
            next = t + (gap < 1 ? 1 : gap);
        }
        if (lg) {
            lg[k].reviews = items;
            lg[k].n = (size_t)count;
        } else {
            free(items);
        }
    }
    out->predictions = n;
    out->log_loss = n ? loss / (double)n : 0;
    double se = 0;
    size_t tot = 0;
    for (int b = 0; b < NBINS; b++) {
        if (!bin_n[b]) continue;
        double diff = (bin_p[b] - bin_y[b]) / (double)bin_n[b];
        se += diff * diff * (double)bin_n[b];
        tot += bin_n[b];
    }
    out->rmse_bins = tot ? sqrt(se / (double)tot) : 0;
    out->reviews_per_card = (double)reviews / c->cards;
    out->mean_retention = ret_sum / ((double)c->cards * c->days);
    out->reached_target = (double)reached / c->cards;
    out->reviews_to_target = reached ? to_target / (double)reached : 0;
    if (log_out) {
        *log_out = lg;
        *ncards = (size_t)c->cards;
    }
    return 0;
}
