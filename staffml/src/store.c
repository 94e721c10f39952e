/* store.c - progress in SQLite: schema, reviews (one committed transaction each), card states,
 * picking the next card, progress summaries, mock results. See staffml/store.h for the
 * durability and refusal rules. */
#include "store_internal.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>


static const char *k_schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cards("
    "  id TEXT PRIMARY KEY, track INTEGER, area INTEGER, level INTEGER,"
    "  stability REAL NOT NULL, difficulty REAL NOT NULL,"
    "  last_review INTEGER NOT NULL, due INTEGER NOT NULL,"
    "  reps INTEGER NOT NULL, lapses INTEGER NOT NULL, first_review INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS cards_due ON cards(due);"
    "CREATE TABLE IF NOT EXISTS reviews("
    "  card_id TEXT NOT NULL, ts INTEGER NOT NULL, rating INTEGER NOT NULL,"
    "  elapsed_days REAL NOT NULL, seconds REAL, correct INTEGER, answer TEXT, kind TEXT,"
    "  track INTEGER, area INTEGER, level INTEGER,"
    "  stability REAL, difficulty REAL, retrievability REAL,"
    "  UNIQUE(card_id, ts, rating));"
    "CREATE TABLE IF NOT EXISTS mocks(ts INTEGER NOT NULL, minutes REAL, questions INTEGER,"
    "  score REAL, max_score REAL, report TEXT);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS vault_fts USING fts5(id UNINDEXED, title, topic, "
    "  scenario, question, answer);";

int sml_store_err_(char *err, size_t errlen, const char *path, sqlite3 *db, const char *what)
{
    snprintf(err, errlen, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

int sml_store_default_path(char *buf, size_t cap, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char dir[900];
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/staffml", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.local/share/staffml", home);
    else {
        snprintf(err, errlen, "neither XDG_DATA_HOME nor HOME is set (use --db PATH)");
        return -1;
    }
    if (mkdir_p(dir)) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(buf, cap, "%s/progress.db", dir);
    return 0;
}

int sml_store_exec_(sml_store *s, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int sml_store_open(const char *path, sml_store **out, char *err, size_t errlen)
{
    *out = NULL;
    sml_store *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    snprintf(s->path, sizeof s->path, "%s", path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sml_store_err_(err, errlen, path, s->db, "cannot open");
        sml_store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Read the schema version before writing anything: a foreign or newer file stays untouched. */
    sqlite3_stmt *st = NULL;
    int version = -1, tables = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (version >= 0 &&
        sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        tables = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0 || tables < 0) {
        snprintf(err, errlen, "%s: not a StaffML database or corrupt (%s); it was left as it is",
                 path, sqlite3_errmsg(s->db));
        sml_store_close(s);
        return -1;
    }
    if (version > SML_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: written by a newer StaffML (schema %d, this one reads up to %d); "
                 "it was left as it is", path, version, SML_SCHEMA_VERSION);
        sml_store_close(s);
        return -1;
    }
    if (version == 0 && tables > 0) {
        snprintf(err, errlen, "%s: an SQLite database that is not StaffML's; it was left as it is", path);
        sml_store_close(s);
        return -1;
    }
    if (sml_store_exec_(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err, errlen) ||
        (version == 0 && (sml_store_exec_(s, "BEGIN", err, errlen) || sml_store_exec_(s, k_schema, err, errlen) ||
                          sml_store_exec_(s, "PRAGMA user_version=1; COMMIT", err, errlen)))) {
        sml_store_close(s);
        return -1;
    }
    if (version == SML_SCHEMA_VERSION) {
        /* a quick integrity probe of the tables we need */
        if (sml_store_exec_(s, "SELECT count(*) FROM cards; SELECT count(*) FROM reviews;", err, errlen)) {
            sml_store_close(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

void sml_store_close(sml_store *s)
{
    if (!s) return;
    if (s->db) sqlite3_close(s->db);
    free(s);
}

void sml_store_card_row_(sqlite3_stmt *st, sml_card *c)
{
    snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(st, 0));
    c->track = sqlite3_column_int(st, 1);
    c->area = sqlite3_column_int(st, 2);
    c->level = sqlite3_column_int(st, 3);
    c->stability = sqlite3_column_double(st, 4);
    c->difficulty = sqlite3_column_double(st, 5);
    c->last_review = sqlite3_column_int64(st, 6);
    c->due = sqlite3_column_int64(st, 7);
    c->reps = sqlite3_column_int(st, 8);
    c->lapses = sqlite3_column_int(st, 9);
}



int sml_store_card(sml_store *s, const char *id, sml_card *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT " CARD_COLS " FROM cards WHERE id = ?", -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) { sml_store_card_row_(st, out); ret = 0; }
    else ret = rc == SQLITE_DONE ? 1 : -1;
    sqlite3_finalize(st);
    return ret;
}

double sml_elapsed_days_(long long from, long long to)
{
    if (to <= from) return 0;
    return floor((double)(to - from) / 86400.0);
}

int sml_store_record(sml_store *s, const sml_fsrs_params *p, const sml_review_in *r,
                     sml_card *after, double *r_before, char *err, size_t errlen)
{
    if (r->rating < 1 || r->rating > 4) {
        snprintf(err, errlen, "rating %d: want 1 (Again) .. 4 (Easy)", r->rating);
        return -1;
    }
    if (sml_store_exec_(s, "BEGIN IMMEDIATE", err, errlen)) return -1;
    sml_card c;
    int have = sml_store_card(s, r->card_id, &c);
    if (have < 0) {
        sml_store_err_(err, errlen, s->path, s->db, "reading the card");
        sml_store_exec_(s, "ROLLBACK", err, errlen);
        return -1;
    }
    sml_fsrs_state st0 = {0, 0};
    double el = 0;
    if (have == 0) {
        st0.stability = c.stability;
        st0.difficulty = c.difficulty;
        el = sml_elapsed_days_(c.last_review, r->ts);
    }
    double rb;
    sml_fsrs_state st1 = sml_fsrs_review(p, &st0, have == 0, r->rating, el, &rb);
    int ivl = sml_fsrs_interval_days(p, st1.stability, SML_DESIRED_RETENTION);
    /* Again (and a first review not rated Easy) comes back the same session day */
    long long due = r->ts + (r->rating == 1 ? 600LL : (long long)ivl * 86400LL);
    sqlite3_stmt *q = NULL;
    int ok = sqlite3_prepare_v2(s->db,
        "INSERT INTO cards(" CARD_COLS ", first_review) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,1,?9,?7) "
        "ON CONFLICT(id) DO UPDATE SET stability=?5, difficulty=?6, last_review=?7, due=?8, "
        "reps=reps+1, lapses=lapses+?9", -1, &q, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(q, 1, r->card_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 2, r->track);
        sqlite3_bind_int(q, 3, r->area);
        sqlite3_bind_int(q, 4, r->level);
        sqlite3_bind_double(q, 5, st1.stability);
        sqlite3_bind_double(q, 6, st1.difficulty);
        sqlite3_bind_int64(q, 7, r->ts);
        sqlite3_bind_int64(q, 8, due);
        sqlite3_bind_int(q, 9, r->rating == 1 && have == 0);
        ok = sqlite3_step(q) == SQLITE_DONE;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (ok) ok = sqlite3_prepare_v2(s->db,
        "INSERT OR IGNORE INTO reviews(card_id, ts, rating, elapsed_days, seconds, correct, answer, kind,"
        " track, area, level, stability, difficulty, retrievability)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(q, 1, r->card_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, r->ts);
        sqlite3_bind_int(q, 3, r->rating);
        sqlite3_bind_double(q, 4, have == 0 ? el : 0);
        sqlite3_bind_double(q, 5, r->seconds);
        sqlite3_bind_int(q, 6, r->correct);
        if (r->answer) sqlite3_bind_text(q, 7, r->answer, -1, SQLITE_TRANSIENT);
        else sqlite3_bind_null(q, 7);
        sqlite3_bind_text(q, 8, r->kind ? r->kind : "drill", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 9, r->track);
        sqlite3_bind_int(q, 10, r->area);
        sqlite3_bind_int(q, 11, r->level);
        sqlite3_bind_double(q, 12, st1.stability);
        sqlite3_bind_double(q, 13, st1.difficulty);
        if (rb >= 0) sqlite3_bind_double(q, 14, rb);
        else sqlite3_bind_null(q, 14);
        ok = sqlite3_step(q) == SQLITE_DONE;
    }
    sqlite3_finalize(q);
    if (!ok) {
        sml_store_err_(err, errlen, s->path, s->db, "saving the review");
        char e2[64];
        sml_store_exec_(s, "ROLLBACK", e2, sizeof e2);
        return -1;
    }
    if (sml_store_exec_(s, "COMMIT", err, errlen)) return -1;
    if (r_before) *r_before = rb;
    if (after) sml_store_card(s, r->card_id, after);
    return 0;
}

int sml_store_params(sml_store *s, sml_fsrs_params *p)
{
    sml_fsrs_default_params(p);
    sqlite3_stmt *st;
    int personal = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='fsrs_params'", -1, &st, NULL))
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        char e[128];
        sml_fsrs_params q;
        if (!sml_fsrs_parse_params((const char *)sqlite3_column_text(st, 0), &q, e, sizeof e)) {
            *p = q;
            personal = 1;
        }
    }
    sqlite3_finalize(st);
    return personal;
}

int sml_store_set_params(sml_store *s, const sml_fsrs_params *p, char *err, size_t errlen)
{
    char buf[SML_FSRS_NPARAMS * 24];
    size_t o = 0;
    for (int i = 0; i < SML_FSRS_NPARAMS; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.6g", i ? "," : "", p->w[i]);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES('fsrs_params', ?)",
                           -1, &st, NULL))
        return sml_store_err_(err, errlen, s->path, s->db, "saving parameters");
    sqlite3_bind_text(st, 1, buf, -1, SQLITE_TRANSIENT);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : sml_store_err_(err, errlen, s->path, s->db, "saving parameters");
}

size_t sml_store_review_log(sml_store *s, sml_fsrs_card_log **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT card_id, ts, rating FROM reviews ORDER BY card_id, ts",
                           -1, &st, NULL))
        return (size_t)-1;
    sml_fsrs_card_log *cards = NULL;
    size_t n = 0, cap = 0;
    char prev[80] = "";
    long long prev_ts = 0;
    size_t icap = 0;
    sml_fsrs_review_item *items = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        long long ts = sqlite3_column_int64(st, 1);
        int rating = sqlite3_column_int(st, 2);
        if (!n || strcmp(id, prev)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                sml_fsrs_card_log *nc = realloc(cards, cap * sizeof *nc);
                if (!nc) break;
                cards = nc;
            }
            cards[n].reviews = NULL;
            cards[n].n = 0;
            n++;
            icap = 0;
            items = NULL;
            snprintf(prev, sizeof prev, "%s", id);
            prev_ts = ts;
        }
        sml_fsrs_card_log *c = &cards[n - 1];
        if (c->n == icap) {
            icap = icap ? icap * 2 : 8;
            sml_fsrs_review_item *ni = realloc(items, icap * sizeof *ni);
            if (!ni) break;
            items = ni;
            c->reviews = items;
        }
        items[c->n].grade = rating;
        items[c->n].elapsed_days = sml_elapsed_days_(prev_ts, ts);
        c->n++;
        prev_ts = ts;
    }
    sqlite3_finalize(st);
    *out = cards;
    return n;
}

void sml_store_free_log(sml_fsrs_card_log *cards, size_t n)
{
    for (size_t i = 0; i < n; i++) free((void *)cards[i].reviews);
    free(cards);
}

static long long local_midnight(long long now)
{
    time_t t = (time_t)now;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (long long)mktime(&tm);
}

static int in_list(const char *id, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(id, list[i])) return 1;
    return 0;
}

int sml_store_pick(sml_store *s, const sml_filter *f, long long now, int new_per_day,
                   const char *const *cand, const int *meta, size_t ncand,
                   const char *const *skip, size_t nskip, char *out, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, track, area, level FROM cards WHERE due <= ? ORDER BY due",
                           -1, &st, NULL))
        return -1;
    sqlite3_bind_int64(st, 1, now);
    int found = 0;
    while (!found && sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (in_list(id, skip, nskip)) continue;
        if (!sml_filter_match(f, (sml_track)sqlite3_column_int(st, 1), (sml_area)sqlite3_column_int(st, 2),
                              sqlite3_column_int(st, 3)))
            continue;
        int known = 0;   /* only ids the vault still has */
        for (size_t i = 0; i < ncand && !known; i++) known = !strcmp(cand[i], id);
        if (!known) continue;
        snprintf(out, cap, "%s", id);
        found = 1;
    }
    sqlite3_finalize(st);
    if (found) return 1;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM cards WHERE first_review >= ?", -1, &st, NULL))
        return -1;
    sqlite3_bind_int64(st, 1, local_midnight(now));
    int introduced = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (introduced >= new_per_day) return 0;
    for (size_t i = 0; i < ncand; i++) {
        if (!sml_filter_match(f, (sml_track)meta[3 * i], (sml_area)meta[3 * i + 1], meta[3 * i + 2])) continue;
        if (in_list(cand[i], skip, nskip)) continue;
        sml_card c;
        int r = sml_store_card(s, cand[i], &c);
        if (r < 0) return -1;
        if (r == 1) {
            snprintf(out, cap, "%s", cand[i]);
            return 1;
        }
    }
    return 0;
}

int sml_store_progress(sml_store *s, const sml_fsrs_params *p, long long now, sml_progress *o)
{
    memset(o, 0, sizeof *o);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT " CARD_COLS " FROM cards", -1, &st, NULL)) return -1;
    long long today = local_midnight(now);
    while (sqlite3_step(st) == SQLITE_ROW) {
        sml_card c;
        sml_store_card_row_(st, &c);
        o->cards_seen++;
        if (c.area >= 0 && c.area < SML_AREA_COUNT && c.track >= 0 && c.track < SML_TRACK_COUNT) {
            o->cards[c.area][c.track]++;
            o->mean_r[c.area][c.track] +=
                sml_fsrs_retrievability(p, sml_elapsed_days_(c.last_review, now), c.stability);
        }
        long long d = c.due < today + 86400 ? 0 : (c.due - today) / 86400;
        if (d < 7) o->due_forecast[d]++;
    }
    sqlite3_finalize(st);
    for (int a = 0; a < SML_AREA_COUNT; a++)
        for (int t = 0; t < SML_TRACK_COUNT; t++)
            if (o->cards[a][t]) o->mean_r[a][t] /= o->cards[a][t];
    if (sqlite3_prepare_v2(s->db, "SELECT count(*), sum(ts >= ?1), sum(ts >= ?1 AND rating > 1) FROM reviews",
                           -1, &st, NULL))
        return -1;
    sqlite3_bind_int64(st, 1, now - 30LL * 86400);
    if (sqlite3_step(st) == SQLITE_ROW) {
        o->reviews = sqlite3_column_int64(st, 0);
        o->reviews_30d = sqlite3_column_int64(st, 1);
        long ok = sqlite3_column_int64(st, 2);
        o->retention_30d = o->reviews_30d ? (double)ok / (double)o->reviews_30d : 0;
    }
    sqlite3_finalize(st);
    /* streak: distinct local days with reviews, counted back from today (or yesterday) */
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT ts FROM reviews ORDER BY ts DESC", -1, &st, NULL))
        return -1;
    long long expect = today;
    int started = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long day = local_midnight(sqlite3_column_int64(st, 0));
        if (day > expect) continue;
        if (day == expect) {
            o->streak_days++;
            started = 1;
            expect = local_midnight(expect - 43200);
            continue;
        }
        if (!started && day == local_midnight(today - 43200)) {
            o->streak_days = 1;
            started = 1;
            expect = local_midnight(day - 43200);
            continue;
        }
        break;
    }
    sqlite3_finalize(st);
    return 0;
}

int sml_store_record_mock(sml_store *s, long long ts, double minutes, int questions, double score,
                          double max_score, const char *report, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO mocks VALUES(?,?,?,?,?,?)", -1, &st, NULL))
        return sml_store_err_(err, errlen, s->path, s->db, "saving the mock");
    sqlite3_bind_int64(st, 1, ts);
    sqlite3_bind_double(st, 2, minutes);
    sqlite3_bind_int(st, 3, questions);
    sqlite3_bind_double(st, 4, score);
    sqlite3_bind_double(st, 5, max_score);
    sqlite3_bind_text(st, 6, report ? report : "{}", -1, SQLITE_TRANSIENT);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : sml_store_err_(err, errlen, s->path, s->db, "saving the mock");
}

/* ---- FTS ---- */

static unsigned long long vault_hash(const sml_vault *v)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < v->n; i++) {
        const char *parts[] = {v->q[i].id, v->q[i].title, v->q[i].question, v->q[i].answer};
        for (int k = 0; k < 4; k++)
            for (const char *c = parts[k]; c && *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    }
    return h;
}

int sml_store_index_vault(sml_store *s, const sml_vault *v, char *err, size_t errlen)
{
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", vault_hash(v));
    sqlite3_stmt *st;
    int same = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='vault_hash'", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) same = !strcmp((const char *)sqlite3_column_text(st, 0), hash);
        sqlite3_finalize(st);
    }
    if (same) return 0;
    if (sml_store_exec_(s, "BEGIN IMMEDIATE; DELETE FROM vault_fts;", err, errlen)) return -1;
    int ok = sqlite3_prepare_v2(s->db, "INSERT INTO vault_fts VALUES(?,?,?,?,?,?)", -1, &st, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < v->n; i++) {
        const sml_question *q = &v->q[i];
        sqlite3_bind_text(st, 1, q->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, q->topic, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, q->scenario ? q->scenario : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, q->question, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, q->answer, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (ok && sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta VALUES('vault_hash', ?)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    if (!ok) {
        sml_store_err_(err, errlen, s->path, s->db, "indexing the vault");
        char e2[64];
        sml_store_exec_(s, "ROLLBACK", e2, sizeof e2);
        return -1;
    }
    return sml_store_exec_(s, "COMMIT", err, errlen);
}

size_t sml_store_search(sml_store *s, const char *text, char ids[][80], size_t cap, char *err,
                        size_t errlen)
{
    /* Each word becomes a quoted FTS5 string (no query syntax reaches FTS5); the last one is a
     * prefix match. */
    char q[1024];
    size_t o = 0;
    const char *p = text;
    while (*p && o < sizeof q - 8) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (o) q[o++] = ' ';
        q[o++] = '"';
        while (*p && *p != ' ' && *p != '\t' && o < sizeof q - 6) {
            if (*p == '"') q[o++] = '"';
            q[o++] = *p++;
        }
        q[o++] = '"';
        if (!*p) q[o++] = '*';
    }
    q[o] = 0;
    if (!o) return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM vault_fts WHERE vault_fts MATCH ? ORDER BY rank",
                           -1, &st, NULL)) {
        sml_store_err_(err, errlen, s->path, s->db, "search");
        return 0;
    }
    sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
    size_t n = 0;
    while (n < cap && sqlite3_step(st) == SQLITE_ROW)
        snprintf(ids[n++], 80, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return n;
}

