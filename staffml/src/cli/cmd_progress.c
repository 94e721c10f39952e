/* cmd_progress.c - progress (heat map, retention, streak, forecast), fsrs (replay, fit),
 * export and import of progress. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_progress(const cli_opts *o)
{
    sml_store *s = cli_open_store(o);
    if (!s) return EXIT_DB;
    sml_fsrs_params p;
    sml_store_params(s, &p);
    sml_progress g;
    long long now = cli_now();
    if (sml_store_progress(s, &p, now, &g)) {
        fprintf(stderr, "staffml: reading progress failed\n");
        sml_store_close(s);
        return EXIT_DB;
    }
    sml_store_close(s);
    if (o->json) {
        printf("{\"reviews\": %ld, \"cards_seen\": %ld, \"retention_30d\": %.4f, \"reviews_30d\": %ld, "
               "\"streak_days\": %d, \"due_forecast\": [", g.reviews, g.cards_seen, g.retention_30d,
               g.reviews_30d, g.streak_days);
        for (int d = 0; d < 7; d++) printf("%s%d", d ? ", " : "", g.due_forecast[d]);
        printf("], \"heatmap\": {");
        for (int a = 0; a < SML_AREA_COUNT; a++) {
            printf("%s\"%s\": {", a ? ", " : "", sml_area_name((sml_area)a));
            for (int t = 0; t < SML_TRACK_COUNT; t++)
                printf("%s\"%s\": {\"cards\": %d, \"mean_r\": %.4f}", t ? ", " : "",
                       sml_track_name((sml_track)t), g.cards[a][t], g.mean_r[a][t]);
            printf("}");
        }
        printf("}}\n");
        return 0;
    }
    static const char shade[] = ".-+#@";
    printf("Recall now by area x track: shade, cards seen, mean recall\n"
           "(shade: . <50%%  - <70%%  + <85%%  # <95%%  @ >=95%%; blank: no card seen yet)\n\n");
    printf("%-14s", "");
    for (int t = 0; t < SML_TRACK_COUNT; t++) printf(" %-12s", sml_track_name((sml_track)t));
    printf("\n");
    for (int a = 0; a < SML_AREA_COUNT; a++) {
        printf("%-14s", sml_area_name((sml_area)a));
        for (int t = 0; t < SML_TRACK_COUNT; t++) {
            if (!g.cards[a][t]) { printf(" %-12s", ""); continue; }
            double r = g.mean_r[a][t];
            int k = r < 0.5 ? 0 : r < 0.7 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : 4;
            printf(" %c %3d %4.0f%%  ", shade[k], g.cards[a][t], 100 * r);
        }
        printf("\n");
    }
    printf("\n%ld reviews of %ld cards; last 30 days: %ld reviews, %.0f %% recalled\n", g.reviews,
           g.cards_seen, g.reviews_30d, 100 * g.retention_30d);
    printf("Streak: %d day%s\n", g.streak_days, g.streak_days == 1 ? "" : "s");
    printf("Due: today %d", g.due_forecast[0]);
    for (int d = 1; d < 7; d++) printf(", +%dd %d", d, g.due_forecast[d]);
    printf("\n");
    return 0;
}

static int parse_list(const char *what, const char *text, double *out, int cap, int integer)
{
    int n = 0;
    const char *p = text;
    while (p && *p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || n == cap || !isfinite(v) || v < 0 || (integer && v != floor(v))) {
            fprintf(stderr, "staffml: %s: '%s' is not a list of %s (e.g. 3,3,1,4)\n", what, text,
                    integer ? "integers" : "numbers >= 0");
            return -1;
        }
        out[n++] = v;
        p = end;
        if (*p == ',') p++;
        else if (*p) {
            fprintf(stderr, "staffml: %s: unexpected '%c' in '%s'\n", what, *p, text);
            return -1;
        }
    }
    return n;
}

static int fsrs_replay(const cli_opts *o)
{
    double g[256], e[256];
    if (!o->ratings || !o->elapsed) {
        fprintf(stderr, "staffml: fsrs replay: needs --ratings and --elapsed-days (e.g. --ratings 3,3,1,4 "
                "--elapsed-days 0,2,5,1)\n");
        return EXIT_USAGE;
    }
    int ng = parse_list("--ratings", o->ratings, g, 256, 1);
    int ne = parse_list("--elapsed-days", o->elapsed, e, 256, 0);
    if (ng < 0 || ne < 0) return EXIT_USAGE;
    if (ng != ne || ng == 0) {
        fprintf(stderr, "staffml: fsrs replay: %d ratings but %d elapsed-days values (want the same, >= 1)\n", ng, ne);
        return EXIT_USAGE;
    }
    for (int i = 0; i < ng; i++)
        if (g[i] < 1 || g[i] > 4) {
            fprintf(stderr, "staffml: --ratings: %g at position %d: want 1 (Again) .. 4 (Easy)\n", g[i], i + 1);
            return EXIT_USAGE;
        }
    sml_fsrs_params p;
    char err[256];
    if (sml_fsrs_parse_params(o->params, &p, err, sizeof err)) {
        fprintf(stderr, "staffml: %s\n", err);
        return EXIT_USAGE;
    }
    sml_fsrs_state st = {0, 0};
    if (o->json) printf("{\"desired_retention\": 0.9, \"reviews\": [");
    else printf("%-4s %-6s %-8s %-10s %-10s %-14s %s\n", "#", "grade", "elapsed", "R before", "stability", "difficulty", "interval (days)");
    for (int i = 0; i < ng; i++) {
        double rb;
        st = sml_fsrs_review(&p, &st, i > 0, (int)g[i], e[i], &rb);
        int ivl = sml_fsrs_interval_days(&p, st.stability, 0.9);
        if (o->json) {
            printf("%s{\"rating\": %d, \"elapsed_days\": %g, \"retrievability\": ", i ? ", " : "", (int)g[i], e[i]);
            if (rb < 0) printf("null");
            else printf("%.6f", rb);
            printf(", \"stability\": %.6f, \"difficulty\": %.6f, \"interval_days\": %d}", st.stability, st.difficulty, ivl);
        } else {
            char rbs[16];
            if (rb < 0) snprintf(rbs, sizeof rbs, "-");
            else snprintf(rbs, sizeof rbs, "%.4f", rb);
            printf("%-4d %-6d %-8g %-10s %-10.4f %-14.4f %d\n", i + 1, (int)g[i], e[i], rbs, st.stability, st.difficulty, ivl);
        }
    }
    if (o->json) printf("]}\n");
    return 0;
}

static int fsrs_fit(const cli_opts *o)
{
    sml_store *s = cli_open_store(o);
    if (!s) return EXIT_DB;
    sml_fsrs_card_log *cards;
    size_t n = sml_store_review_log(s, &cards);
    if (n == (size_t)-1) {
        fprintf(stderr, "staffml: reading reviews failed\n");
        sml_store_close(s);
        return EXIT_DB;
    }
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    sml_fsrs_fit_result fr;
    double rmse0 = sml_fsrs_rmse_bins(&p, cards, n);
    int rc = sml_fsrs_fit(&p, cards, n, 50, o->iterations, &fr);
    if (rc) {
        fprintf(stderr, "staffml: fsrs fit: %zu scored reviews (reviews after the first, not on the same "
                "day); at least 50 are needed\n", fr.predictions);
        sml_store_free_log(cards, n);
        sml_store_close(s);
        return EXIT_DATA;
    }
    double rmse1 = sml_fsrs_rmse_bins(&p, cards, n);
    sml_store_free_log(cards, n);
    if (o->json) {
        printf("{\"predictions\": %zu, \"log_loss_default\": %.6f, \"log_loss_fitted\": %.6f, "
               "\"rmse_bins_default\": %.6f, \"rmse_bins_fitted\": %.6f, \"params\": [", fr.predictions,
               fr.loss_before, fr.loss_after, rmse0, rmse1);
        for (int i = 0; i < SML_FSRS_NPARAMS; i++) printf("%s%.6g", i ? ", " : "", p.w[i]);
        printf("], \"saved\": %s}\n", o->save ? "true" : "false");
    } else {
        printf("%zu scored reviews; log loss %.4f -> %.4f (%.1f %% better); RMSE(bins) %.4f -> %.4f\n",
               fr.predictions, fr.loss_before, fr.loss_after,
               fr.loss_before > 0 ? 100 * (fr.loss_before - fr.loss_after) / fr.loss_before : 0.0, rmse0, rmse1);
        printf("parameters:");
        for (int i = 0; i < SML_FSRS_NPARAMS; i++) printf("%s%.4g", i ? "," : " ", p.w[i]);
        printf("\n%s\n", o->save ? "saved: drills now use these parameters" : "not saved (add --save to use them)");
    }
    char err[1200];
    if (o->save && sml_store_set_params(s, &p, err, sizeof err)) {
        fprintf(stderr, "staffml: %s\n", err);
        sml_store_close(s);
        return EXIT_DB;
    }
    sml_store_close(s);
    return 0;
}

static void sim_row(const char *name, const sml_sim_result *r)
{
    printf("%-22s %9.4f %9.4f %10.1f %10.1f %%  %8.2f (%3.0f %%)\n", name, r->log_loss, r->rmse_bins,
           r->reviews_per_card, 100 * r->mean_retention, r->reviews_to_target, 100 * r->reached_target);
}

static void sim_json(const char *name, const sml_sim_result *r, int last)
{
    printf("\"%s\": {\"log_loss\": %.6f, \"rmse_bins\": %.6f, \"reviews_per_card\": %.3f, "
           "\"mean_retention\": %.5f, \"reviews_to_target\": %.3f, \"reached_target\": %.4f, "
           "\"predictions\": %zu}%s", name, r->log_loss, r->rmse_bins, r->reviews_per_card,
           r->mean_retention, r->reviews_to_target, r->reached_target, r->predictions, last ? "" : ", ");
}

/* FSRS-6 (default and fitted parameters) versus SM-2 on the same simulated deck. The fit uses the
 * first half of the cards' FSRS review logs; the held-out loss is measured on the other half. */
static int fsrs_simulate(const cli_opts *o)
{
    sml_sim_config c;
    sml_sim_config_default(&c);
    c.cards = o->cards;
    if (o->seed) c.seed = (uint64_t)o->seed;
    sml_sim_result sm2, def, fit;
    sml_fsrs_card_log *log;
    size_t n;
    if (sml_sim_run(&c, SML_SCHED_SM2, &sm2, NULL, NULL) || sml_sim_run(&c, SML_SCHED_FSRS, &def, &log, &n)) {
        fprintf(stderr, "staffml: fsrs simulate: out of memory\n");
        return EXIT_DATA;
    }
    size_t half = n / 2;
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    sml_fsrs_fit_result fr;
    double held_default = sml_fsrs_log_loss(&p, log + half, n - half, NULL);
    int fitted = sml_fsrs_fit(&p, log, half, 50, o->iterations, &fr) == 0;
    double held_fitted = sml_fsrs_log_loss(&p, log + half, n - half, NULL);
    sml_sim_free_log(log, n);
    c.params = &p;
    if (sml_sim_run(&c, SML_SCHED_FSRS, &fit, NULL, NULL)) return EXIT_DATA;
    if (o->json) {
        printf("{\"cards\": %d, \"days\": %d, \"seed\": %llu, ", c.cards, c.days, (unsigned long long)c.seed);
        sim_json("sm2", &sm2, 0);
        sim_json("fsrs6_default", &def, 0);
        sim_json("fsrs6_fitted", &fit, 0);
        printf("\"fit\": {\"fitted\": %s, \"train_cards\": %zu, \"heldout_log_loss_default\": %.6f, "
               "\"heldout_log_loss_fitted\": %.6f}}\n", fitted ? "true" : "false", half, held_default, held_fitted);
        return 0;
    }
    printf("%d simulated cards over %d days (seed %llu); FSRS targets 90 %% retention\n\n", c.cards, c.days,
           (unsigned long long)c.seed);
    printf("%-22s %9s %9s %10s %12s  %s\n", "scheduler", "log loss", "RMSE", "reviews", "retention",
           "reviews to 30-day 90 % recall (cards reaching it)");
    sim_row("SM-2", &sm2);
    sim_row("FSRS-6 default", &def);
    sim_row("FSRS-6 fitted", &fit);
    printf("\nfit on %zu cards' logs: held-out log loss %.4f (default) -> %.4f (fitted)\n", half, held_default,
           held_fitted);
    return 0;
}

int cmd_fsrs(const cli_opts *o)
{
    if (o->npos >= 1 && !strcmp(o->pos[0], "simulate")) return fsrs_simulate(o);
    if (o->npos >= 1 && !strcmp(o->pos[0], "replay")) return fsrs_replay(o);
    if (o->npos >= 1 && !strcmp(o->pos[0], "fit")) return fsrs_fit(o);
    fprintf(stderr, "staffml: fsrs: want 'replay --ratings ... --elapsed-days ...', 'fit [--save]' or 'simulate'\n");
    return EXIT_USAGE;
}

int cmd_export(const cli_opts *o)
{
    if (o->npos != 1) {
        fprintf(stderr, "staffml: export: give the output file (e.g. staffml export progress.json)\n");
        return EXIT_USAGE;
    }
    sml_store *s = cli_open_store(o);
    if (!s) return EXIT_DB;
    char err[1200];
    int rc = sml_store_export_json(s, o->pos[0], err, sizeof err);
    sml_store_close(s);
    if (rc) { fprintf(stderr, "staffml: %s\n", err); return EXIT_DATA; }
    printf("wrote %s\n", o->pos[0]);
    return 0;
}

int cmd_import(const cli_opts *o)
{
    if (o->npos != 1) {
        fprintf(stderr, "staffml: import: give the file written by 'staffml export'\n");
        return EXIT_USAGE;
    }
    sml_store *s = cli_open_store(o);
    if (!s) return EXIT_DB;
    sml_fsrs_params p;
    sml_store_params(s, &p);
    long added;
    char err[1200];
    int rc = sml_store_import_json(s, o->pos[0], &p, &added, err, sizeof err);
    sml_store_close(s);
    if (rc) { fprintf(stderr, "staffml: %s\n", err); return EXIT_DATA; }
    printf("imported %ld new review%s from %s\n", added, added == 1 ? "" : "s", o->pos[0]);
    return 0;
}
