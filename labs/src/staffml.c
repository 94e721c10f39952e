/* staffml.c - the StaffML practice page's API over libstaffml: the same vault and the same
 * SQLite progress database as the `staffml` CLI, so a drill in the browser and one in the
 * terminal schedule the same cards.
 *
 *   POST /api/staffml/next      {track?, area?, level?, skip?: [ids]} -> the next due or new
 *                               question (without its answer), or {"done": true}
 *   POST /api/staffml/answer    {id, answer, seconds, self_grade?} -> graded (numeric within the
 *                               question's tolerance, or A-D), recorded with FSRS-6, model answer;
 *                               an open question first returns the model answer and records only
 *                               once self_grade (1..4) is given
 *   GET  /api/staffml/progress  cards seen and mean recall per area x track (the heat map)
 *   POST /api/staffml/search    {text} -> matching questions (the store's full-text index)
 *
 * Invariants: the database handle is used under one mutex (one libmicrohttpd worker at a time);
 * every review is committed by sml_store_record before the reply is sent. */
#define _POSIX_C_SOURCE 200809L
#include "labs_internal.h"

#include "staffml/session.h"
#include "staffml/store.h"
#include "staffml/vault.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAST_ANSWER_S 20.0   /* a right auto-graded answer faster than this is rated Easy (as the CLI) */
#define NEW_PER_DAY 20       /* new cards a day (the CLI's default) */

struct labs_staffml {
    pthread_mutex_t lock;
    sml_store *store;
    sml_vault vault;
    sml_deck deck;           /* the vault's questions in teaching order (as the CLI's drill) */
};

labs_staffml *labs_staffml_open(const char *db_path, const char *vault_dir, char *err, size_t errlen)
{
    labs_staffml *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    sml_vault_init(&s->vault);
    const char *dir = vault_dir ? vault_dir : sml_vault_default_dir();
    if (sml_vault_load_dir(&s->vault, dir) || s->vault.n == 0) {
        snprintf(err, errlen, "StaffML vault %s: %s", dir, s->vault.nerr ? s->vault.errors[0] : "no questions");
        labs_staffml_close(s);
        return NULL;
    }
    char path[1024];
    if (!db_path) {
        if (sml_store_default_path(path, sizeof path, err, errlen)) {
            labs_staffml_close(s);
            return NULL;
        }
        db_path = path;
    }
    if (sml_store_open(db_path, &s->store, err, errlen) || sml_store_index_vault(s->store, &s->vault, err, errlen)) {
        labs_staffml_close(s);
        return NULL;
    }
    if (sml_deck_build(&s->vault, 0, &s->deck)) {
        snprintf(err, errlen, "out of memory");
        labs_staffml_close(s);
        return NULL;
    }
    return s;
}

void labs_staffml_close(labs_staffml *s)
{
    if (!s) return;
    if (s->store) sml_store_close(s->store);
    sml_deck_free(&s->deck);
    sml_vault_free(&s->vault);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int reply(labs_reply *r, cJSON *j)
{
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!t) return labs_reply_error(r, 500, NULL, "out of memory");
    r->status = 200;
    r->body = t;
    r->len = strlen(t);
    return 200;
}

static const char *opt_str(const cJSON *req, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The filter from {track, area, level} (names as the CLI takes them); -1 = any. */
static int read_filter(const cJSON *req, sml_filter *f, labs_reply *r)
{
    *f = SML_FILTER_ANY;
    const char *t = opt_str(req, "track"), *a = opt_str(req, "area"), *l = opt_str(req, "level");
    sml_track tr;
    sml_area ar;
    int lv;
    if (t && *t) {
        if (sml_track_parse(t, &tr)) return labs_reply_error(r, 400, "track", "expected cloud, edge, mobile or tinyml"), -1;
        f->track = (int)tr;
    }
    if (a && *a) {
        if (sml_area_parse(a, &ar)) return labs_reply_error(r, 400, "area", "unknown competency area"), -1;
        f->area = (int)ar;
    }
    if (l && *l) {
        if (sml_level_parse(l, &lv)) return labs_reply_error(r, 400, "level", "expected L1 .. L6"), -1;
        f->level = lv;
    }
    return 0;
}

static int api_next(labs_staffml *s, const cJSON *req, labs_reply *r)
{
    sml_filter f;
    if (read_filter(req, &f, r)) return r->status;
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(req, "skip");
    const char *skips[64];
    size_t ns = 0;
    if (skip && !cJSON_IsArray(skip)) return labs_reply_error(r, 400, "skip", "expected an array of ids");
    for (const cJSON *it = skip ? skip->child : NULL; it && ns < 64; it = it->next) {
        if (!cJSON_IsString(it)) return labs_reply_error(r, 400, "skip", "expected an array of ids");
        skips[ns++] = it->valuestring;
    }
    char id[80];
    int got = sml_store_pick(s->store, &f, (long long)time(NULL), NEW_PER_DAY, s->deck.ids, s->deck.meta, s->deck.n,
                             skips, ns, id, sizeof id);
    if (got < 0) return labs_reply_error(r, 500, NULL, "reading the progress database failed");
    cJSON *j = cJSON_CreateObject();
    if (got == 0) {
        cJSON_AddBoolToObject(j, "done", 1);
        return reply(r, j);
    }
    const sml_question *q = sml_vault_find(&s->vault, id);
    if (!q) {
        cJSON_Delete(j);
        return labs_reply_error(r, 500, NULL, "the database names a question the vault no longer has");
    }
    cJSON_AddBoolToObject(j, "done", 0);
    cJSON_AddStringToObject(j, "id", q->id);
    cJSON_AddStringToObject(j, "track", sml_track_name(q->track));
    cJSON_AddStringToObject(j, "area", sml_area_name(q->area));
    cJSON_AddNumberToObject(j, "level", q->level);
    cJSON_AddStringToObject(j, "title", q->title ? q->title : "");
    cJSON_AddStringToObject(j, "scenario", q->scenario ? q->scenario : "");
    cJSON_AddStringToObject(j, "question", q->question ? q->question : "");
    cJSON_AddStringToObject(j, "kind", q->has_numeric ? "numeric" : q->has_mcq ? "choice" : "open");
    if (q->has_numeric) cJSON_AddStringToObject(j, "unit", q->unit ? q->unit : "");
    if (q->has_mcq) {
        cJSON *o = cJSON_AddArrayToObject(j, "options");
        for (int k = 0; k < 4; k++) cJSON_AddItemToArray(o, cJSON_CreateString(q->options[k]));
    }
    return reply(r, j);
}

static int api_answer(labs_staffml *s, const cJSON *req, labs_reply *r)
{
    const char *id = opt_str(req, "id"), *ans = opt_str(req, "answer");
    if (!id) return labs_reply_error(r, 400, "id", "required");
    const sml_question *q = sml_vault_find(&s->vault, id);
    if (!q) return labs_reply_error(r, 400, "id", "no such question in the vault");
    if (!ans) return labs_reply_error(r, 400, "answer", "required (a string)");
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(req, "seconds");
    double secs = cJSON_IsNumber(sv) && isfinite(sv->valuedouble) && sv->valuedouble >= 0 ? sv->valuedouble : -1;
    if (secs < 0) return labs_reply_error(r, 400, "seconds", "expected a number of seconds >= 0");
    const cJSON *gv = cJSON_GetObjectItemCaseSensitive(req, "self_grade");
    int correct = -1, rating = 0;
    if (q->has_numeric) {
        double x;
        if (sml_parse_answer_number(ans, q->unit, &x)) {
            char msg[160];
            snprintf(msg, sizeof msg, "'%.40s' is not a number: type a number in %s, e.g. 12.5 or 1.2e9", ans, q->unit);
            return labs_reply_error(r, 400, "answer", msg);
        }
        correct = sml_numeric_correct(x, q->value, q->tolerance);
    } else if (q->has_mcq) {
        int c = sml_parse_choice(ans);
        if (c < 0) return labs_reply_error(r, 400, "answer", "type A, B, C or D");
        correct = c == q->correct;
    }
    if (correct >= 0) {
        rating = sml_auto_grade(correct, secs, FAST_ANSWER_S);
    } else if (gv) {
        if (!cJSON_IsNumber(gv) || gv->valuedouble < 1 || gv->valuedouble > 4 || gv->valuedouble != floor(gv->valuedouble))
            return labs_reply_error(r, 400, "self_grade", "expected 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)");
        rating = (int)gv->valuedouble;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", q->id);
    if (correct >= 0) cJSON_AddBoolToObject(j, "correct", correct);
    else cJSON_AddNullToObject(j, "correct");
    if (q->has_numeric) {
        cJSON_AddNumberToObject(j, "expected", q->value);
        cJSON_AddStringToObject(j, "unit", q->unit ? q->unit : "");
        cJSON_AddNumberToObject(j, "tolerance", q->tolerance);
    }
    if (q->has_mcq) cJSON_AddNumberToObject(j, "correct_choice", q->correct);
    cJSON_AddStringToObject(j, "answer", q->answer ? q->answer : "");
    cJSON_AddStringToObject(j, "napkin", q->napkin ? q->napkin : "");
    cJSON_AddStringToObject(j, "mistake", q->mistake ? q->mistake : "");
    cJSON_AddBoolToObject(j, "recorded", rating > 0);
    if (rating > 0) {
        sml_fsrs_params params;
        sml_store_params(s->store, &params);
        sml_review_in rv = {q->id, (int)q->track, (int)q->area, q->level, (long long)time(NULL), rating, secs,
                            correct, ans, "drill"};
        sml_card card;
        char err[1200];
        if (sml_store_record(s->store, &params, &rv, &card, NULL, err, sizeof err)) {
            cJSON_Delete(j);
            return labs_reply_error(r, 500, NULL, err);
        }
        cJSON_AddNumberToObject(j, "rating", rating);
        cJSON_AddNumberToObject(j, "next_review_s", (double)(card.due - rv.ts));
        cJSON_AddNumberToObject(j, "stability_days", card.stability);
        cJSON_AddNumberToObject(j, "difficulty", card.difficulty);
    }
    return reply(r, j);
}

static int api_progress(labs_staffml *s, labs_reply *r)
{
    sml_fsrs_params params;
    sml_store_params(s->store, &params);
    sml_progress p;
    if (sml_store_progress(s->store, &params, (long long)time(NULL), &p))
        return labs_reply_error(r, 500, NULL, "reading the progress database failed");
    cJSON *j = cJSON_CreateObject();
    cJSON *tracks = cJSON_AddArrayToObject(j, "tracks"), *areas = cJSON_AddArrayToObject(j, "areas");
    for (int t = 0; t < SML_TRACK_COUNT; t++) cJSON_AddItemToArray(tracks, cJSON_CreateString(sml_track_name((sml_track)t)));
    cJSON *cells = cJSON_AddArrayToObject(j, "cells");   /* [area][track]: {cards, mean_recall} */
    for (int a = 0; a < SML_AREA_COUNT; a++) {
        cJSON_AddItemToArray(areas, cJSON_CreateString(sml_area_name((sml_area)a)));
        cJSON *row = cJSON_CreateArray();
        for (int t = 0; t < SML_TRACK_COUNT; t++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddNumberToObject(c, "cards", p.cards[a][t]);
            cJSON_AddNumberToObject(c, "mean_recall", p.cards[a][t] ? p.mean_r[a][t] : 0);
            cJSON_AddItemToArray(row, c);
        }
        cJSON_AddItemToArray(cells, row);
    }
    cJSON_AddNumberToObject(j, "reviews", (double)p.reviews);
    cJSON_AddNumberToObject(j, "cards_seen", (double)p.cards_seen);
    cJSON_AddNumberToObject(j, "questions", (double)s->deck.n);
    cJSON_AddNumberToObject(j, "retention_30d", p.retention_30d);
    cJSON_AddNumberToObject(j, "reviews_30d", (double)p.reviews_30d);
    cJSON_AddNumberToObject(j, "streak_days", p.streak_days);
    cJSON *fc = cJSON_AddArrayToObject(j, "due_forecast");
    for (int d = 0; d < 7; d++) cJSON_AddItemToArray(fc, cJSON_CreateNumber(p.due_forecast[d]));
    return reply(r, j);
}

static int api_search(labs_staffml *s, const cJSON *req, labs_reply *r)
{
    const char *text = opt_str(req, "text");
    if (!text || !*text) return labs_reply_error(r, 400, "text", "required: words to search for");
    if (strlen(text) > 200) return labs_reply_error(r, 400, "text", "longer than 200 characters");
    char ids[50][80], err[256] = "";
    size_t n = sml_store_search(s->store, text, ids, 50, err, sizeof err);
    if (n == (size_t)-1) return labs_reply_error(r, 400, "text", err[0] ? err : "search failed");
    cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "results");
    for (size_t i = 0; i < n; i++) {
        const sml_question *q = sml_vault_find(&s->vault, ids[i]);
        if (!q) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", q->id);
        cJSON_AddStringToObject(o, "title", q->title ? q->title : "");
        cJSON_AddStringToObject(o, "track", sml_track_name(q->track));
        cJSON_AddStringToObject(o, "area", sml_area_name(q->area));
        cJSON_AddNumberToObject(o, "level", q->level);
        cJSON_AddItemToArray(a, o);
    }
    return reply(r, j);
}

int labs_staffml_api(labs_staffml *s, const char *method, const char *sub, const cJSON *req, labs_reply *r)
{
    static const struct { const char *name; int post; } routes[] = {
        {"next", 1}, {"answer", 1}, {"progress", 0}, {"search", 1}};
    size_t i = 0;
    while (i < 4 && strcmp(routes[i].name, sub)) i++;
    if (i == 4) return labs_reply_error(r, 404, NULL, "no such StaffML endpoint (next, answer, progress, search)");
    if (routes[i].post && strcmp(method, "POST")) return labs_reply_error(r, 405, NULL, "use POST");
    if (!routes[i].post && strcmp(method, "GET") && strcmp(method, "HEAD")) return labs_reply_error(r, 405, NULL, "use GET");
    if (!s) return labs_reply_error(r, 503, "staffml", "StaffML is not available on this server (see mlsb-labs --help: --staffml-db, --vault)");
    if (routes[i].post && !cJSON_IsObject(req)) return labs_reply_error(r, 400, "body", "expected a JSON object");
    pthread_mutex_lock(&s->lock);
    int st = i == 0 ? api_next(s, req, r) : i == 1 ? api_answer(s, req, r) : i == 2 ? api_progress(s, r)
                                                                          : api_search(s, req, r);
    pthread_mutex_unlock(&s->lock);
    return st;
}
