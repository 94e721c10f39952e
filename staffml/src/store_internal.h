/* store_internal.h - internal: the store's handle and helpers shared by store.c and export.c. */
#ifndef STAFFML_STORE_INTERNAL_H
#define STAFFML_STORE_INTERNAL_H

#include <sqlite3.h>

#include "staffml/store.h"

struct sml_store {
    sqlite3 *db;
    char path[1024];
};

#define CARD_COLS "id, track, area, level, stability, difficulty, last_review, due, reps, lapses"

/* Runs SQL; on failure writes "path: message" and returns -1. */
int sml_store_exec_(sml_store *s, const char *sql, char *err, size_t errlen);
/* Writes "path: what: sqlite message"; returns -1. */
int sml_store_err_(char *err, size_t errlen, const char *path, sqlite3 *db, const char *what);
void sml_store_card_row_(sqlite3_stmt *st, sml_card *c);
/* Whole days from `from` to `to` (0 when not later). */
double sml_elapsed_days_(long long from, long long to);

#endif
