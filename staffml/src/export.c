/* export.c - progress export/import as JSON (cJSON) and the Anki deck (tab-separated notes); both
 * files are written whole or not at all (ms_write_bytes_atomic: temp file, fsync, rename).
 * Import validates every field before touching the database and merges in one transaction. */
#include "store_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "mlsysim/fileio.h"

#define MAX_IMPORT_BYTES (64u << 20)

static cJSON *params_json(sml_store *s)
{
    sml_fsrs_params p;
    if (!sml_store_params(s, &p)) return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < SML_FSRS_NPARAMS; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(p.w[i]));
    return a;
}

int sml_store_export_json(sml_store *s, const char *path, char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "staffml-progress");
    cJSON_AddNumberToObject(root, "schema", SML_SCHEMA_VERSION);
    cJSON_AddNumberToObject(root, "exported_at", (double)time(NULL));
    cJSON_AddItemToObject(root, "fsrs_params", params_json(s));
    cJSON *reviews = cJSON_AddArrayToObject(root, "reviews");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT card_id, ts, rating, seconds, correct, answer, kind, track, "
                           "area, level FROM reviews ORDER BY ts, card_id", -1, &st, NULL)) {
        cJSON_Delete(root);
        return sml_store_err_(err, errlen, s->path, s->db, "export");
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "card", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddNumberToObject(r, "ts", (double)sqlite3_column_int64(st, 1));
        cJSON_AddNumberToObject(r, "rating", sqlite3_column_int(st, 2));
        cJSON_AddNumberToObject(r, "seconds", sqlite3_column_double(st, 3));
        cJSON_AddNumberToObject(r, "correct", sqlite3_column_int(st, 4));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            cJSON_AddStringToObject(r, "answer", (const char *)sqlite3_column_text(st, 5));
        cJSON_AddStringToObject(r, "kind", (const char *)sqlite3_column_text(st, 6));
        cJSON_AddStringToObject(r, "track", sml_track_name((sml_track)sqlite3_column_int(st, 7)));
        cJSON_AddStringToObject(r, "area", sml_area_name((sml_area)sqlite3_column_int(st, 8)));
        cJSON_AddNumberToObject(r, "level", sqlite3_column_int(st, 9));
        cJSON_AddItemToArray(reviews, r);
    }
    sqlite3_finalize(st);
    cJSON *cards = cJSON_AddArrayToObject(root, "cards");
    if (sqlite3_prepare_v2(s->db, "SELECT " CARD_COLS " FROM cards ORDER BY id", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            sml_card c;
            sml_store_card_row_(st, &c);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "card", c.id);
            cJSON_AddNumberToObject(o, "stability", c.stability);
            cJSON_AddNumberToObject(o, "difficulty", c.difficulty);
            cJSON_AddNumberToObject(o, "last_review", (double)c.last_review);
            cJSON_AddNumberToObject(o, "due", (double)c.due);
            cJSON_AddNumberToObject(o, "reps", c.reps);
            cJSON_AddNumberToObject(o, "lapses", c.lapses);
            cJSON_AddItemToArray(cards, o);
        }
        sqlite3_finalize(st);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    size_t len = strlen(text);
    text[len] = 0;
    char *withnl = realloc(text, len + 2);
    if (withnl) { text = withnl; text[len++] = '\n'; text[len] = 0; }
    int rc = ms_write_bytes_atomic(path, text, len, err, errlen);
    free(text);
    return rc;
}

/* Replays every review into fresh card states. Runs inside the caller's transaction. */
static int rebuild_cards(sml_store *s, const sml_fsrs_params *p, char *err, size_t errlen)
{
    if (sml_store_exec_(s, "DELETE FROM cards", err, errlen)) return -1;
    sqlite3_stmt *st, *ins;
    if (sqlite3_prepare_v2(s->db, "SELECT card_id, ts, rating, track, area, level FROM reviews "
                           "ORDER BY card_id, ts", -1, &st, NULL))
        return sml_store_err_(err, errlen, s->path, s->db, "import");
    if (sqlite3_prepare_v2(s->db, "INSERT INTO cards(" CARD_COLS ", first_review) "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &ins, NULL)) {
        sqlite3_finalize(st);
        return sml_store_err_(err, errlen, s->path, s->db, "import");
    }
    char id[80] = "";
    sml_fsrs_state state = {0, 0};
    long long last = 0, first = 0;
    int reps = 0, lapses = 0, track = 0, area = 0, level = 1, rating = 3, ok = 1, have = 0;
    for (;;) {
        int row = sqlite3_step(st) == SQLITE_ROW;
        const char *cid = row ? (const char *)sqlite3_column_text(st, 0) : "";
        if (have && (!row || strcmp(cid, id))) {
            int ivl = sml_fsrs_interval_days(p, state.stability, SML_DESIRED_RETENTION);
            long long due = last + (rating == 1 ? 600LL : (long long)ivl * 86400LL);
            sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 2, track);
            sqlite3_bind_int(ins, 3, area);
            sqlite3_bind_int(ins, 4, level);
            sqlite3_bind_double(ins, 5, state.stability);
            sqlite3_bind_double(ins, 6, state.difficulty);
            sqlite3_bind_int64(ins, 7, last);
            sqlite3_bind_int64(ins, 8, due);
            sqlite3_bind_int(ins, 9, reps);
            sqlite3_bind_int(ins, 10, lapses);
            sqlite3_bind_int64(ins, 11, first);
            ok = ok && sqlite3_step(ins) == SQLITE_DONE;
            sqlite3_reset(ins);
            have = 0;
        }
        if (!row) break;
        long long ts = sqlite3_column_int64(st, 1);
        rating = sqlite3_column_int(st, 2);
        track = sqlite3_column_int(st, 3);
        area = sqlite3_column_int(st, 4);
        level = sqlite3_column_int(st, 5);
        if (!have) {
            snprintf(id, sizeof id, "%s", cid);
            state = sml_fsrs_review(p, NULL, 0, rating, 0, NULL);
            first = ts;
            reps = 1;
            lapses = 0;
            have = 1;
        } else {
            state = sml_fsrs_review(p, &state, 1, rating, sml_elapsed_days_(last, ts), NULL);
            reps++;
            lapses += rating == 1;
        }
        last = ts;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return ok ? 0 : sml_store_err_(err, errlen, s->path, s->db, "import");
}

static int read_all(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    if ((unsigned long long)st.st_size > MAX_IMPORT_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes, more than the %u-byte limit", path,
                 (long long)st.st_size, MAX_IMPORT_BYTES);
        fclose(f);
        return -1;
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len + 1);
    if (!*buf || fread(*buf, 1, *len, f) != *len) {
        snprintf(err, errlen, "%s: read failed", path);
        free(*buf);
        fclose(f);
        return -1;
    }
    (*buf)[*len] = 0;
    fclose(f);
    return 0;
}

int sml_store_import_json(sml_store *s, const char *path, const sml_fsrs_params *p, long *added,
                          char *err, size_t errlen)
{
    *added = 0;
    char *buf;
    size_t len;
    if (read_all(path, &buf, &len, err, errlen)) return -1;
    cJSON *root = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!root) {
        snprintf(err, errlen, "%s: not valid JSON", path);
        return -1;
    }
    cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    cJSON *reviews = cJSON_GetObjectItemCaseSensitive(root, "reviews");
    int rc = -1;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "staffml-progress")) {
        snprintf(err, errlen, "%s: format: want \"staffml-progress\"", path);
        goto out;
    }
    if (!cJSON_IsNumber(schema) || schema->valuedouble > SML_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema: %g is newer than this StaffML reads (%d)", path,
                 cJSON_IsNumber(schema) ? schema->valuedouble : -1.0, SML_SCHEMA_VERSION);
        goto out;
    }
    if (!cJSON_IsArray(reviews)) {
        snprintf(err, errlen, "%s: reviews: want an array", path);
        goto out;
    }
    /* validate everything first */
    int i = 0;
    cJSON *r;
    cJSON_ArrayForEach(r, reviews) {
        cJSON *card = cJSON_GetObjectItemCaseSensitive(r, "card");
        cJSON *ts = cJSON_GetObjectItemCaseSensitive(r, "ts");
        cJSON *rating = cJSON_GetObjectItemCaseSensitive(r, "rating");
        cJSON *track = cJSON_GetObjectItemCaseSensitive(r, "track");
        cJSON *area = cJSON_GetObjectItemCaseSensitive(r, "area");
        cJSON *level = cJSON_GetObjectItemCaseSensitive(r, "level");
        sml_track t;
        sml_area a;
        const char *bad = NULL;
        if (!cJSON_IsString(card) || !card->valuestring[0] || strlen(card->valuestring) >= 80) bad = "card";
        else if (!cJSON_IsNumber(ts) || ts->valuedouble < 0 || ts->valuedouble > 1e11) bad = "ts";
        else if (!cJSON_IsNumber(rating) || rating->valuedouble != (double)rating->valueint || rating->valueint < 1 ||
                 rating->valueint > 4)
            bad = "rating";
        else if (!cJSON_IsString(track) || sml_track_parse(track->valuestring, &t)) bad = "track";
        else if (!cJSON_IsString(area) || sml_area_parse(area->valuestring, &a)) bad = "area";
        else if (!cJSON_IsNumber(level) || level->valuedouble != (double)level->valueint || level->valueint < 1 ||
                 level->valueint > 6)
            bad = "level";
        if (bad) {
            snprintf(err, errlen, "%s: reviews[%d]: %s: missing or out of range", path, i, bad);
            goto out;
        }
        i++;
    }
    if (sml_store_exec_(s, "BEGIN IMMEDIATE", err, errlen)) goto out;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO reviews(card_id, ts, rating, elapsed_days, "
                           "seconds, correct, answer, kind, track, area, level) "
                           "VALUES(?,?,?,0,?,?,?,?,?,?,?)", -1, &st, NULL)) {
        sml_store_err_(err, errlen, s->path, s->db, "import");
        sml_store_exec_(s, "ROLLBACK", err + strlen(err), 0);
        goto out;
    }
    int ok = 1;
    cJSON_ArrayForEach(r, reviews) {
        sml_track t;
        sml_area a;
        sml_track_parse(cJSON_GetObjectItemCaseSensitive(r, "track")->valuestring, &t);
        sml_area_parse(cJSON_GetObjectItemCaseSensitive(r, "area")->valuestring, &a);
        cJSON *secs = cJSON_GetObjectItemCaseSensitive(r, "seconds");
        cJSON *corr = cJSON_GetObjectItemCaseSensitive(r, "correct");
        cJSON *ans = cJSON_GetObjectItemCaseSensitive(r, "answer");
        cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
        sqlite3_bind_text(st, 1, cJSON_GetObjectItemCaseSensitive(r, "card")->valuestring, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (long long)cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble);
        sqlite3_bind_int(st, 3, cJSON_GetObjectItemCaseSensitive(r, "rating")->valueint);
        sqlite3_bind_double(st, 4, cJSON_IsNumber(secs) ? secs->valuedouble : 0);
        sqlite3_bind_int(st, 5, cJSON_IsNumber(corr) ? corr->valueint : -1);
        if (cJSON_IsString(ans)) sqlite3_bind_text(st, 6, ans->valuestring, -1, SQLITE_TRANSIENT);
        else sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, cJSON_IsString(kind) ? kind->valuestring : "drill", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 8, (int)t);
        sqlite3_bind_int(st, 9, (int)a);
        sqlite3_bind_int(st, 10, cJSON_GetObjectItemCaseSensitive(r, "level")->valueint);
        if (sqlite3_step(st) != SQLITE_DONE) { ok = 0; break; }
        *added += sqlite3_changes(s->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (!ok) sml_store_err_(err, errlen, s->path, s->db, "import");
    if (!ok || rebuild_cards(s, p, err, errlen)) {
        char e2[64];
        sml_store_exec_(s, "ROLLBACK", e2, sizeof e2);
        *added = 0;
        goto out;
    }
    if (sml_store_exec_(s, "COMMIT", err, errlen)) goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Anki's text importer: tab-separated, HTML allowed; tabs/newlines inside a field would split
 * it, so they become spaces / <br>. */
static void put(char **buf, size_t *len, size_t *cap, const char *s, int escape)
{
    for (; s && *s; s++) {
        const char *rep = NULL;
        char one[2] = {*s, 0};
        if (!escape) rep = one;
        else if (*s == '\t') rep = " ";
        else if (*s == '\n') rep = "<br>";
        else if (*s == '\r') rep = "";
        else if (*s == '<') rep = "&lt;";
        else if (*s == '>') rep = "&gt;";
        else if (*s == '&') rep = "&amp;";
        else rep = one;
        size_t n = strlen(rep);
        if (*len + n + 1 > *cap) {
            size_t nc = (*cap + n + 1) * 2;
            char *nb = realloc(*buf, nc);
            if (!nb) return;
            *buf = nb;
            *cap = nc;
        }
        memcpy(*buf + *len, rep, n);
        *len += n;
        (*buf)[*len] = 0;
    }
}

static void put_field(char **b, size_t *l, size_t *c, const char *s) { put(b, l, c, s, 1); }
static void put_raw(char **b, size_t *l, size_t *c, const char *s) { put(b, l, c, s, 0); }

int sml_vault_export_anki(const sml_vault *v, const char *path, char *err, size_t errlen)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    if (!buf) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    buf[0] = 0;
    put_raw(&buf, &len, &cap, "#separator:tab\n#html:true\n#notetype:Basic\n#deck:StaffML\n#tags column:3\n");
    for (size_t i = 0; i < v->n; i++) {
        const sml_question *q = &v->q[i];
        char tmp[256];
        put_raw(&buf, &len, &cap, "<b>");
        put_field(&buf, &len, &cap, q->title);
        put_raw(&buf, &len, &cap, "</b><br>");
        if (q->scenario) { put_field(&buf, &len, &cap, q->scenario); put_raw(&buf, &len, &cap, "<br>"); }
        put_field(&buf, &len, &cap, q->question);
        if (q->has_mcq)
            for (int k = 0; k < 4; k++) {
                snprintf(tmp, sizeof tmp, "<br>%c) ", 'A' + k);
                put_raw(&buf, &len, &cap, tmp);
                put_field(&buf, &len, &cap, q->options[k]);
            }
        put_raw(&buf, &len, &cap, "\t");
        if (q->has_numeric && q->numeric_graded) {
            snprintf(tmp, sizeof tmp, "<b>%g %s</b> (within %g %%)<br>", q->value, q->unit, q->tolerance * 100);
            put_raw(&buf, &len, &cap, tmp);
        }
        if (q->has_mcq) {
            snprintf(tmp, sizeof tmp, "<b>%c</b><br>", 'A' + q->correct);
            put_raw(&buf, &len, &cap, tmp);
        }
        put_field(&buf, &len, &cap, q->answer);
        put_raw(&buf, &len, &cap, "<br><i>Napkin math:</i> ");
        put_field(&buf, &len, &cap, q->napkin);
        put_raw(&buf, &len, &cap, "<br><i>Common mistake:</i> ");
        put_field(&buf, &len, &cap, q->mistake);
        snprintf(tmp, sizeof tmp, "\tstaffml %s %s L%d\n", sml_track_name(q->track), sml_area_name(q->area), q->level);
        put_raw(&buf, &len, &cap, tmp);
    }
    int rc = ms_write_bytes_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
