/* learn_db.c - the learner's progress in SQLite: $XDG_DATA_HOME/tinytorch/progress.db (or
 * ~/.local/share/tinytorch/progress.db). Every change is one SQLite transaction (rollback journal,
 * synchronous=FULL), so killing tito at any moment keeps everything recorded before. The file carries
 * our application_id; a file that is not a database, or another program's database, is refused with
 * a message and never written to. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "learn.h"

#define TT_APP_ID 0x5454504c /* "TTPL" */
#define TT_SCHEMA 1

struct tt_progress_db {
    sqlite3 *db;
};

static char db_path[4096];

const char *tt_progress_path(void)
{
    const char *x = getenv("XDG_DATA_HOME");
    if (x && *x) {
        snprintf(db_path, sizeof db_path, "%s/tinytorch/progress.db", x);
    } else {
        const char *h = getenv("HOME");
        snprintf(db_path, sizeof db_path, "%s/.local/share/tinytorch/progress.db", h && *h ? h : ".");
    }
    return db_path;
}

/* Creates the folders above file `path`. */
static int mkparents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) {
        return 0;
    }
    *slash = '\0';
    return tito_mkdirs(buf);
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

tt_progress_db *tt_progress_open(char *err, size_t errlen)
{
    const char *path = tt_progress_path();
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (!exists && mkparents(path) != 0) {
        snprintf(err, errlen, "%s: cannot create its folder: %s", path, strerror(errno));
        return NULL;
    }
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    int app = 0, ver = 0, ntables = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) != 0 || pragma_int(db, "PRAGMA user_version", &ver) != 0 ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &ntables) != 0) {
        snprintf(err, errlen, "%s: not a TinyTorch progress database (%s); it was left untouched - move it away "
                              "to start afresh",
                 path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    if (exists && sb.st_size > 0 && (app != TT_APP_ID || ver != TT_SCHEMA)) {
        if (app != TT_APP_ID) {
            snprintf(err, errlen, "%s: a database of another program (application_id 0x%08x, %d tables), not "
                                  "TinyTorch progress; it was left untouched",
                     path, (unsigned)app, ntables);
        } else {
            snprintf(err, errlen, "%s: TinyTorch progress schema %d, this tito reads schema %d; it was left "
                                  "untouched",
                     path, ver, TT_SCHEMA);
        }
        sqlite3_close(db);
        return NULL;
    }
    if (!exists || sb.st_size == 0) {
        char *msg = NULL;
        char sql[512];
        snprintf(sql, sizeof sql,
                 "BEGIN IMMEDIATE;"
                 "CREATE TABLE IF NOT EXISTS module_progress(module INTEGER PRIMARY KEY CHECK(module BETWEEN 1 AND 20),"
                 " state INTEGER NOT NULL CHECK(state IN (1,2)), workspace TEXT NOT NULL, updated TEXT NOT NULL);"
                 "PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
                 TT_APP_ID, TT_SCHEMA);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: cannot create the progress tables: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_close(db);
            return NULL;
        }
    }
    sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    tt_progress_db *p = malloc(sizeof *p);
    if (!p) {
        sqlite3_close(db);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->db = db;
    return p;
}

void tt_progress_close(tt_progress_db *p)
{
    if (p) {
        sqlite3_close(p->db);
        free(p);
    }
}

int tt_progress_state(tt_progress_db *p, int module)
{
    sqlite3_stmt *st;
    int state = 0;
    if (sqlite3_prepare_v2(p->db, "SELECT state FROM module_progress WHERE module=?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, module);
        if (sqlite3_step(st) == SQLITE_ROW) {
            state = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
    }
    return state;
}

void tt_progress_workspace(tt_progress_db *p, int module, char *buf, size_t len)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (sqlite3_prepare_v2(p->db, "SELECT workspace FROM module_progress WHERE module=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int(st, 1, module);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
}

int tt_progress_set(tt_progress_db *p, int module, int state, const char *workspace, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    const char *sql = state == 0 ? "DELETE FROM module_progress WHERE module=?1"
                                 : "INSERT INTO module_progress(module,state,workspace,updated) VALUES(?1,?2,?3,?4)"
                                   " ON CONFLICT(module) DO UPDATE SET state=?2, workspace=?3, updated=?4";
    if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", tt_progress_path(), sqlite3_errmsg(p->db));
        return -1;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_bind_int(st, 1, module);
    if (state != 0) {
        sqlite3_bind_int(st, 2, state);
        sqlite3_bind_text(st, 3, workspace ? workspace : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, when, -1, SQLITE_TRANSIENT);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: cannot record module %02d: %s", tt_progress_path(), module, sqlite3_errmsg(p->db));
        return -1;
    }
    return 0;
}
