/* cmd_drill.c - drill (FSRS-6 scheduled practice) and mock (a timed interview). Answers come
 * from stdin one line each; every graded answer is committed to the database before the next
 * question is shown. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsysim/registry.h"
#include "staffml/session.h"

#define FAST_ANSWER_S 20.0   /* a right auto-graded answer faster than this counts as Easy */

typedef struct {
    const char *id, *title, *scenario, *question, *answer, *napkin, *mistake, *unit;
    sml_track track;
    sml_area area;
    int level, has_mcq, correct, has_numeric;
    char *const *options;
    double value, tolerance;
    sml_instance inst;
} item;

static void from_question(item *it, const sml_question *q)
{
    memset(it, 0, sizeof *it);
    it->id = q->id; it->title = q->title; it->scenario = q->scenario; it->question = q->question;
    it->answer = q->answer; it->napkin = q->napkin; it->mistake = q->mistake; it->unit = q->unit;
    it->track = q->track; it->area = q->area; it->level = q->level;
    it->has_mcq = q->has_mcq; it->correct = q->correct; it->options = q->options;
    it->has_numeric = q->has_numeric && q->numeric_graded; it->value = q->value; it->tolerance = q->tolerance;
}

static int from_template(item *it, const sml_template *t, const ms_registry *r, uint64_t seed)
{
    memset(it, 0, sizeof *it);
    char err[256];
    if (sml_template_generate(t, r, seed, &it->inst, err, sizeof err)) {
        fprintf(stderr, "staffml: %s\n", err);
        return -1;
    }
    it->id = t->id; it->title = t->title; it->question = it->inst.question;
    it->answer = "computed by MLSys·im from the registry numbers";
    it->napkin = it->inst.napkin;
    it->mistake = "mixing GB (1e9) with GiB (2^30), or bits with bytes";
    it->unit = it->inst.unit; it->track = t->track; it->area = t->area; it->level = t->level;
    it->has_numeric = 1; it->value = it->inst.value; it->tolerance = it->inst.tolerance;
    return 0;
}

/* Asks one item. Returns 0 answered (rating, correct set), 1 skipped, -1 quit or end of input. */
static int ask(const item *it, int *rating, int *correct, double *secs, char *ans, size_t cap)
{
    printf("\n== %s  [%s / %s / L%d]  %s\n", it->id, sml_track_name(it->track), sml_area_name(it->area),
           it->level, it->title);
    if (it->scenario) printf("%s\n", it->scenario);
    printf("%s\n", it->question);
    double t0 = cli_monotonic_s();
    char line[512];
    if (it->has_numeric) {
        for (;;) {
            printf("Answer in %s (or skip / quit): ", it->unit);
            if (cli_read_line(line, sizeof line)) return -1;
            if (!strcmp(line, "quit") || !strcmp(line, "q")) return -1;
            if (!strcmp(line, "skip")) return 1;
            double x;
            if (sml_parse_answer_number(line, it->unit, &x)) {
                printf("'%s' is not a number: type a number in %s, e.g. 12.5 or 1.2e9\n", line, it->unit);
                continue;   /* nothing recorded */
            }
            *secs = cli_monotonic_s() - t0;
            *correct = sml_numeric_correct(x, it->value, it->tolerance);
            *rating = sml_auto_grade(*correct, *secs, FAST_ANSWER_S);
            printf("%s: the answer is %.4g %s (within %g %%).\n", *correct ? "Right" : "Not quite",
                   it->value, it->unit, it->tolerance * 100);
            break;
        }
    } else if (it->has_mcq) {
        for (int k = 0; k < 4; k++) printf("  %c) %s\n", 'A' + k, it->options[k]);
        for (;;) {
            printf("Choice A-D (or skip / quit): ");
            if (cli_read_line(line, sizeof line)) return -1;
            if (!strcmp(line, "quit") || !strcmp(line, "q")) return -1;
            if (!strcmp(line, "skip")) return 1;
            int c = sml_parse_choice(line);
            if (c < 0) { printf("'%s': type A, B, C or D\n", line); continue; }
            *secs = cli_monotonic_s() - t0;
            *correct = c == it->correct;
            *rating = sml_auto_grade(*correct, *secs, FAST_ANSWER_S);
            printf("%s: %c) %s\n", *correct ? "Right" : "Not quite", 'A' + it->correct, it->options[it->correct]);
            break;
        }
    } else {
        printf("Your answer (one line; empty to reveal; skip / quit): ");
        if (cli_read_line(line, sizeof line)) return -1;
        if (!strcmp(line, "quit") || !strcmp(line, "q")) return -1;
        if (!strcmp(line, "skip")) return 1;
        *secs = cli_monotonic_s() - t0;
        *correct = -1;
    }
    snprintf(ans, cap, "%s", line);
    printf("Model answer: %s\nNapkin math: %s\nCommon mistake: %s\n", it->answer, it->napkin, it->mistake);
    if (*correct < 0) {
        for (;;) {
            printf("Grade yourself against the answer: 1 Again, 2 Hard, 3 Good, 4 Easy: ");
            if (cli_read_line(line, sizeof line)) return -1;
            if (!strcmp(line, "quit") || !strcmp(line, "q")) return -1;
            if (line[0] >= '1' && line[0] <= '4' && !line[1]) { *rating = line[0] - '0'; break; }
            printf("'%s': type 1, 2, 3 or 4\n", line);
        }
    }
    return 0;
}

typedef struct {
    sml_vault v;
    ms_registry *reg;
    sml_deck deck;
} pool;

/* The vault, the registry for parametric questions, and the deck in teaching order. */
static int pool_open(const cli_opts *o, pool *p)
{
    memset(p, 0, sizeof *p);
    cli_load_vault(o, &p->v, 0);
    char err[256];
    p->reg = ms_registry_new(err, sizeof err);
    if (!p->reg) { fprintf(stderr, "staffml: registry: %s\n", err); return -1; }
    if (sml_deck_build(&p->v, o->templates, &p->deck)) { fprintf(stderr, "staffml: out of memory\n"); return -1; }
    return 0;
}

static void pool_close(pool *p)
{
    sml_deck_free(&p->deck);
    if (p->reg) ms_registry_free(p->reg);
    sml_vault_free(&p->v);
}

static int make_item(pool *p, const char *id, uint64_t seed, item *it)
{
    const sml_question *q = sml_vault_find(&p->v, id);
    if (q) { from_question(it, q); return 0; }
    const sml_template *t = sml_template_find(id);
    return t ? from_template(it, t, p->reg, seed) : -1;
}

static uint64_t hash_id(const char *s, long long now)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)now;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int cmd_drill(const cli_opts *o)
{
    pool p;
    if (pool_open(o, &p)) { pool_close(&p); return EXIT_DATA; }
    sml_store *s = cli_open_store(o);
    if (!s) { pool_close(&p); return EXIT_DB; }
    sml_fsrs_params params;
    int personal = sml_store_params(s, &params);
    printf("StaffML drill: FSRS-6 with %s parameters, 90 %% target retention\n", personal ? "your fitted" : "default");
    const char **done = calloc((size_t)o->count + 1, sizeof *done);
    char (*done_buf)[80] = calloc((size_t)o->count + 1, sizeof *done_buf);
    int answered = 0, right = 0, auto_graded = 0, rc = 0;
    size_t ndone = 0;
    while (done && done_buf && (int)ndone < o->count) {
        long long now = cli_now();
        char id[80];
        int r = sml_store_pick(s, &o->filter, now, o->new_per_day, p.deck.ids, p.deck.meta, p.deck.n, done,
                               ndone, id, sizeof id);
        if (r < 0) { fprintf(stderr, "staffml: reading the database failed\n"); rc = EXIT_DB; break; }
        if (r == 0) { printf("\nNothing more is due%s. Come back later.\n", o->new_per_day ? "" : " and no new cards are allowed"); break; }
        snprintf(done_buf[ndone], 80, "%s", id);
        done[ndone] = done_buf[ndone];
        ndone++;
        item it;
        if (make_item(&p, id, hash_id(id, now), &it)) continue;
        int rating = 3, correct = -1;
        double secs = 0;
        char ans[512];
        int a = ask(&it, &rating, &correct, &secs, ans, sizeof ans);
        if (a < 0) break;
        if (a == 1) continue;
        sml_review_in rv = {it.id, (int)it.track, (int)it.area, it.level, cli_now(), rating, secs,
                            correct, ans, "drill"};
        sml_card card;
        char err[1200];
        if (sml_store_record(s, &params, &rv, &card, NULL, err, sizeof err)) {
            fprintf(stderr, "staffml: %s\n", err);
            rc = EXIT_DB;
            break;
        }
        answered++;
        if (correct >= 0) { auto_graded++; right += correct; }
        long days = lround((double)(card.due - rv.ts) / 86400.0);
        char when[32];
        if (rating == 1) snprintf(when, sizeof when, "in 10 minutes");
        else snprintf(when, sizeof when, "in %ld day%s", days, days == 1 ? "" : "s");
        printf("Saved. Next review of %s %s (stability %.2f days, difficulty %.2f)\n", it.id, when,
               card.stability, card.difficulty);
    }
    printf("\n%d answered", answered);
    if (auto_graded) printf(", %d of %d auto-graded right", right, auto_graded);
    printf(".\n");
    free(done);
    free(done_buf);
    sml_store_close(s);
    pool_close(&p);
    return rc;
}

/* ---- mock ---- */

int cmd_mock(const cli_opts *o)
{
    pool p;
    if (pool_open(o, &p)) { pool_close(&p); return EXIT_DATA; }
    sml_store *s = cli_open_store(o);
    if (!s) { pool_close(&p); return EXIT_DB; }
    sml_fsrs_params params;
    sml_store_params(s, &params);
    int count = o->count_given ? o->count : (int)(o->minutes / 5.0);   /* default: one per 5 minutes */
    if (count < 1) count = 1;
    long long start = cli_now();
    const sml_question **plan = calloc((size_t)count, sizeof *plan);
    size_t planned = plan ? sml_mock_plan(&p.v, &o->filter, count, hash_id("mock", start), plan) : 0;
    double score = 0, max_score = 0;
    double area_score[SML_AREA_COUNT] = {0}, area_max[SML_AREA_COUNT] = {0};
    double t0 = cli_monotonic_s();
    int asked = 0, rc = 0;
    printf("StaffML mock interview: %zu questions, %g minutes%s%s\n", planned, o->minutes,
           o->filter.track >= 0 ? ", track " : "", o->filter.track >= 0 ? sml_track_name((sml_track)o->filter.track) : "");
    for (size_t k = 0; k < planned; k++) {
        if (cli_monotonic_s() - t0 > o->minutes * 60) { printf("\nTime is up.\n"); break; }
        item it;
        from_question(&it, plan[k]);
        int rating = 3, correct = -1;
        double secs = 0;
        char ans[512];
        printf("\n[%zu/%zu, %.0f min left]", k + 1, planned, o->minutes - (cli_monotonic_s() - t0) / 60);
        int a = ask(&it, &rating, &correct, &secs, ans, sizeof ans);
        if (a < 0) break;
        double pts = a == 1 ? 0 : correct >= 0 ? correct : (rating - 1) / 3.0;
        score += pts;
        max_score += 1;
        area_score[it.area] += pts;
        area_max[it.area] += 1;
        asked++;
        if (a == 1) continue;
        sml_review_in rv = {it.id, (int)it.track, (int)it.area, it.level, cli_now(), rating, secs,
                            correct, ans, "mock"};
        char err[1200];
        if (sml_store_record(s, &params, &rv, NULL, NULL, err, sizeof err)) {
            fprintf(stderr, "staffml: %s\n", err);
            rc = EXIT_DB;
            break;
        }
    }
    free(plan);
    double used = (cli_monotonic_s() - t0) / 60;
    char report[4096];
    size_t off = (size_t)snprintf(report, sizeof report,
        "{\"questions\": %d, \"score\": %.3f, \"max_score\": %.0f, \"percent\": %.1f, \"minutes_used\": %.2f, \"areas\": {",
        asked, score, max_score, max_score > 0 ? 100 * score / max_score : 0.0, used);
    int first = 1;
    for (int a = 0; a < SML_AREA_COUNT && off < sizeof report - 64; a++) {
        if (!area_max[a]) continue;
        off += (size_t)snprintf(report + off, sizeof report - off, "%s\"%s\": %.2f", first ? "" : ", ",
                                sml_area_name((sml_area)a), area_score[a] / area_max[a]);
        first = 0;
    }
    snprintf(report + off, sizeof report - off, "}}");
    char err[1200];
    if (!rc && asked && sml_store_record_mock(s, start, used, asked, score, max_score, report, err, sizeof err)) {
        fprintf(stderr, "staffml: %s\n", err);
        rc = EXIT_DB;
    }
    if (o->json) printf("\n%s\n", report);
    else {
        printf("\nMock report: %.1f / %.0f (%.0f %%) in %.1f minutes\n", score, max_score,
               max_score > 0 ? 100 * score / max_score : 0.0, used);
        for (int a = 0; a < SML_AREA_COUNT; a++)
            if (area_max[a]) printf("  %-14s %3.0f %%\n", sml_area_name((sml_area)a), 100 * area_score[a] / area_max[a]);
    }
    sml_store_close(s);
    pool_close(&p);
    return rc;
}
