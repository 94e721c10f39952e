/* test_store.c - the SQLite progress store: reviews persist across reopen, due cards come first,
 * a newer-schema or foreign/corrupt file is refused and left byte-for-byte unchanged, export and
 * import round-trip, the vault's full-text search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "staffml/store.h"

static char dir[64];

static void path_in(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", dir, name); }

static long file_size_and_sum(const char *path, unsigned long *sum)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long n = 0;
    int c;
    *sum = 0;
    while ((c = fgetc(f)) != EOF) { *sum = *sum * 31 + (unsigned)c; n++; }
    fclose(f);
    return n;
}

static sml_review_in rv(const char *id, long long ts, int rating)
{
    sml_review_in r = {id, SML_TRACK_CLOUD, SML_AREA_MEMORY, 2, ts, rating, 3.0, 1, "16", "drill"};
    return r;
}

static void test_record_and_reopen(void **state)
{
    (void)state;
    char db[128], err[1200];
    path_in(db, sizeof db, "p.db");
    sml_store *s;
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), 0);
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    long long t0 = 1700000000;
    sml_card c;
    double rb;
    sml_review_in r = rv("q1", t0, 3);
    assert_int_equal(sml_store_record(s, &p, &r, &c, &rb, err, sizeof err), 0);
    assert_float_equal(rb, -1, 0);
    assert_float_equal(c.stability, p.w[2], 1e-9);
    assert_int_equal(c.reps, 1);
    r = rv("q1", t0 + 3 * 86400 + 100, 3);
    assert_int_equal(sml_store_record(s, &p, &r, &c, &rb, err, sizeof err), 0);
    /* same as the scheduler by hand: elapsed 3 whole days */
    sml_fsrs_state st = sml_fsrs_review(&p, NULL, 0, 3, 0, NULL);
    double want_r;
    st = sml_fsrs_review(&p, &st, 1, 3, 3, &want_r);
    assert_float_equal(rb, want_r, 1e-12);
    assert_float_equal(c.stability, st.stability, 1e-9);
    assert_int_equal(c.reps, 2);
    assert_int_equal(c.due, r.ts + (long long)sml_fsrs_interval_days(&p, st.stability, 0.9) * 86400);
    r = rv("q1", t0 + 9 * 86400, 9);
    assert_int_equal(sml_store_record(s, &p, &r, &c, &rb, err, sizeof err), -1);
    sml_store_close(s);
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), 0);
    assert_int_equal(sml_store_card(s, "q1", &c), 0);
    assert_int_equal(c.reps, 2);
    assert_int_equal(sml_store_card(s, "nope", &c), 1);
    sml_fsrs_card_log *log;
    size_t n = sml_store_review_log(s, &log);
    assert_int_equal(n, 1);
    assert_int_equal(log[0].n, 2);
    assert_float_equal(log[0].reviews[1].elapsed_days, 3, 0);
    sml_store_free_log(log, n);
    sml_store_close(s);
}

static void test_pick_due_first(void **state)
{
    (void)state;
    char db[128], err[1200], id[80];
    path_in(db, sizeof db, "pick.db");
    sml_store *s;
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), 0);
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    const char *cand[] = {"a", "b", "c"};
    const int meta[] = {0, 1, 1, 0, 1, 2, 1, 1, 3};   /* c is an edge question */
    sml_filter any = SML_FILTER_ANY;
    long long t0 = 1700000000;
    assert_int_equal(sml_store_pick(s, &any, t0, 20, cand, meta, 3, NULL, 0, id, sizeof id), 1);
    assert_string_equal(id, "a");
    sml_review_in r = rv("a", t0, 1);   /* Again: due in 10 minutes */
    assert_int_equal(sml_store_record(s, &p, &r, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(sml_store_pick(s, &any, t0 + 60, 20, cand, meta, 3, NULL, 0, id, sizeof id), 1);
    assert_string_equal(id, "b");   /* a is not due yet: next new card */
    assert_int_equal(sml_store_pick(s, &any, t0 + 700, 20, cand, meta, 3, NULL, 0, id, sizeof id), 1);
    assert_string_equal(id, "a");   /* due now: before new cards */
    sml_filter edge = {SML_TRACK_EDGE, -1, -1};
    assert_int_equal(sml_store_pick(s, &edge, t0 + 700, 20, cand, meta, 3, NULL, 0, id, sizeof id), 1);
    assert_string_equal(id, "c");
    /* new-card limit: one introduced today already */
    assert_int_equal(sml_store_pick(s, &any, t0 + 60, 1, cand, meta, 3, NULL, 0, id, sizeof id), 0);
    const char *skip[] = {"b", "c"};
    assert_int_equal(sml_store_pick(s, &any, t0 + 60, 20, cand, meta, 3, skip, 2, id, sizeof id), 0);
    sml_progress g;
    assert_int_equal(sml_store_progress(s, &p, t0 + 60, &g), 0);
    assert_int_equal(g.reviews, 1);
    assert_int_equal(g.cards[SML_AREA_MEMORY][SML_TRACK_CLOUD], 1);
    assert_int_equal(g.streak_days, 1);
    assert_int_equal(g.due_forecast[0], 1);
    assert_float_equal(g.retention_30d, 0, 0);
    sml_store_close(s);
}

static void test_refuse_newer_and_foreign(void **state)
{
    (void)state;
    char db[128], err[1200];
    unsigned long sum0, sum1;
    /* a newer schema */
    path_in(db, sizeof db, "newer.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE cards(x); PRAGMA user_version=7;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    long n0 = file_size_and_sum(db, &sum0);
    sml_store *s;
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer StaffML (schema 7"));
    assert_non_null(strstr(err, "left as it is"));
    assert_int_equal(file_size_and_sum(db, &sum1), n0);
    assert_true(sum0 == sum1);
    /* not a database at all */
    path_in(db, sizeof db, "garbage.db");
    FILE *f = fopen(db, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    n0 = file_size_and_sum(db, &sum0);
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a StaffML database or corrupt"));
    assert_int_equal(file_size_and_sum(db, &sum1), n0);
    assert_true(sum0 == sum1);
    /* someone else's SQLite database */
    path_in(db, sizeof db, "other.db");
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE recipes(name)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    n0 = file_size_and_sum(db, &sum0);
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "not StaffML's"));
    assert_int_equal(file_size_and_sum(db, &sum1), n0);
    assert_true(sum0 == sum1);
}

static void test_export_import(void **state)
{
    (void)state;
    char a[128], b[128], js[128], err[1200];
    path_in(a, sizeof a, "exp_a.db");
    path_in(b, sizeof b, "exp_b.db");
    path_in(js, sizeof js, "progress.json");
    sml_store *s, *t;
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    assert_int_equal(sml_store_open(a, &s, err, sizeof err), 0);
    long long t0 = 1700000000;
    const int grades[] = {3, 3, 1, 4};
    const int gaps[] = {0, 2, 5, 1};
    long long ts = t0;
    for (int i = 0; i < 4; i++) {
        ts += gaps[i] * 86400LL;
        sml_review_in r = rv("x", ts, grades[i]);
        assert_int_equal(sml_store_record(s, &p, &r, NULL, NULL, err, sizeof err), 0);
    }
    sml_review_in r2 = rv("y", t0, 2);
    assert_int_equal(sml_store_record(s, &p, &r2, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(sml_store_export_json(s, js, err, sizeof err), 0);
    /* a folder that is not there: refused, naming the file; the export already written stays */
    char missing[160];
    snprintf(missing, sizeof missing, "%s.d/no/progress.json", js);
    assert_int_equal(sml_store_export_json(s, missing, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "cannot"));
    FILE *kept = fopen(js, "r");
    assert_non_null(kept);
    char head[32] = "";
    assert_non_null(fgets(head, sizeof head, kept));
    fclose(kept);
    assert_int_equal(head[0], '{');
    sml_card ca, cb;
    assert_int_equal(sml_store_card(s, "x", &ca), 0);
    sml_store_close(s);
    assert_int_equal(sml_store_open(b, &t, err, sizeof err), 0);
    long added;
    assert_int_equal(sml_store_import_json(t, js, &p, &added, err, sizeof err), 0);
    assert_int_equal(added, 5);
    assert_int_equal(sml_store_card(t, "x", &cb), 0);
    assert_float_equal(cb.stability, ca.stability, 1e-9);
    assert_float_equal(cb.difficulty, ca.difficulty, 1e-9);
    assert_int_equal(cb.due, ca.due);
    assert_int_equal(cb.reps, 4);
    /* again: nothing new */
    assert_int_equal(sml_store_import_json(t, js, &p, &added, err, sizeof err), 0);
    assert_int_equal(added, 0);
    /* a bad file changes nothing and names the field */
    char bad[128];
    path_in(bad, sizeof bad, "bad.json");
    FILE *f = fopen(bad, "w");
    fputs("{\"format\": \"staffml-progress\", \"schema\": 1, \"reviews\": [{\"card\": \"z\", \"ts\": 5, "
          "\"rating\": 3, \"track\": \"cloud\", \"area\": \"memory\", \"level\": 2}, {\"card\": \"z\", "
          "\"ts\": 6, \"rating\": 7, \"track\": \"cloud\", \"area\": \"memory\", \"level\": 2}]}", f);
    fclose(f);
    assert_int_equal(sml_store_import_json(t, bad, &p, &added, err, sizeof err), -1);
    assert_non_null(strstr(err, "reviews[1]: rating"));
    assert_int_equal(sml_store_card(t, "z", &cb), 1);
    f = fopen(bad, "w");
    fputs("{\"format\": \"staffml-progress\", \"schema\": 1, \"reviews\": [{\"card\": \"z\", \"ts\": 5, "
          "\"rating\": 3.5, \"track\": \"cloud\", \"area\": \"memory\", \"level\": 2}]}", f);
    fclose(f);
    assert_int_equal(sml_store_import_json(t, bad, &p, &added, err, sizeof err), -1);
    assert_non_null(strstr(err, "reviews[0]: rating"));
    f = fopen(bad, "w");
    fputs("{\"format\": \"staffml-progress\", \"schema\": 9, \"reviews\": []}", f);
    fclose(f);
    assert_int_equal(sml_store_import_json(t, bad, &p, &added, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema: 9 is newer"));
    sml_store_close(t);
}

static void test_search(void **state)
{
    (void)state;
    char db[128], err[1200];
    path_in(db, sizeof db, "fts.db");
    sml_vault v;
    sml_vault_init(&v);
    assert_int_equal(sml_vault_load_dir(&v, MLSB_TEST_DATA "/vault_cli"), 0);
    sml_store *s;
    assert_int_equal(sml_store_open(db, &s, err, sizeof err), 0);
    assert_int_equal(sml_store_index_vault(s, &v, err, sizeof err), 0);
    assert_int_equal(sml_store_index_vault(s, &v, err, sizeof err), 0);   /* unchanged: no rebuild */
    char ids[8][80];
    assert_int_equal(sml_store_search(s, "watchdog", ids, 8, err, sizeof err), 1);
    assert_string_equal(ids[0], "cli-free");
    assert_int_equal(sml_store_search(s, "ridg", ids, 8, err, sizeof err), 1);   /* prefix */
    assert_string_equal(ids[0], "cli-mcq");
    /* FTS5 syntax characters are plain text */
    assert_int_equal(sml_store_search(s, "\"NEAR( * OR", ids, 8, err, sizeof err), 0);
    sml_store_close(s);
    sml_vault_free(&v);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/staffml_store_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_reopen),
        cmocka_unit_test(test_pick_due_first),
        cmocka_unit_test(test_refuse_newer_and_foreign),
        cmocka_unit_test(test_export_import),
        cmocka_unit_test(test_search),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
