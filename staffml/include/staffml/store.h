/* store.h - a learner's progress in SQLite (WAL): card memory states, every review, personal
 * FSRS parameters, mock-interview results, and a full-text index of the vault (FTS5).
 *
 * Durability: every review is one transaction committed (synchronous=FULL) before the caller
 * shows the next question, so killing the process at any moment loses nothing answered.
 * A database written by a newer schema, or a file that is not a StaffML database, is refused
 * with a clear message and never modified.
 * Times are Unix seconds; elapsed days between reviews are whole days (floor of the difference).
 */
#ifndef STAFFML_STORE_H
#define STAFFML_STORE_H

#include <stddef.h>
#include <stdio.h>

#include "staffml/fsrs.h"
#include "staffml/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SML_SCHEMA_VERSION 1
#define SML_DESIRED_RETENTION 0.9

typedef struct sml_store sml_store;

/* "$XDG_DATA_HOME/staffml/progress.db" (or ~/.local/share/staffml/progress.db). Creates the
 * directory. 0 ok, -1 with a reason. */
int sml_store_default_path(char *buf, size_t cap, char *err, size_t errlen);
/* Opens (creating if absent) the database. 0 ok, -1 with "path: reason" in err. */
int sml_store_open(const char *path, sml_store **out, char *err, size_t errlen);
void sml_store_close(sml_store *s);

typedef struct {
    char id[80];
    int track, area, level;
    double stability, difficulty;
    long long last_review, due;     /* Unix s */
    int reps, lapses;
} sml_card;

/* 0 found, 1 not reviewed yet, -1 error. */
int sml_store_card(sml_store *s, const char *id, sml_card *out);

typedef struct {
    const char *card_id;
    int track, area, level;
    long long ts;                   /* when answered, Unix s */
    int rating;                     /* 1..4 */
    double seconds;                 /* time taken */
    int correct;                    /* 1/0 auto-graded, -1 self-graded */
    const char *answer;             /* what the learner typed (may be NULL) */
    const char *kind;               /* "drill" or "mock" */
} sml_review_in;

/* Applies one review with FSRS-6 and commits it. `after` (may be NULL) gets the new card state;
 * `r_before` (may be NULL) R at review time (-1 for a first review). 0 ok, -1 error. */
int sml_store_record(sml_store *s, const sml_fsrs_params *p, const sml_review_in *r,
                     sml_card *after, double *r_before, char *err, size_t errlen);

/* Personal parameters if fitted, else the defaults. Returns 1 when personal, 0 default. */
int sml_store_params(sml_store *s, sml_fsrs_params *p);
int sml_store_set_params(sml_store *s, const sml_fsrs_params *p, char *err, size_t errlen);

/* Review log grouped by card in time order (for fitting). Caller frees with
 * sml_store_free_log. Returns the number of cards, or (size_t)-1 on error. */
size_t sml_store_review_log(sml_store *s, sml_fsrs_card_log **cards);
void sml_store_free_log(sml_fsrs_card_log *cards, size_t n);

/* The next card to show: the most overdue reviewed card that matches the filter, else (while
 * fewer than `new_per_day` cards were introduced since local midnight of `now`) the first
 * unseen id of `candidates` (given in teaching order). Ids in `skip` are passed over.
 * Returns 1 with the id in out, 0 when nothing is due, -1 on error. */
int sml_store_pick(sml_store *s, const sml_filter *f, long long now, int new_per_day,
                   const char *const *candidates, const int *cand_meta /* [track,area,level] x n */,
                   size_t ncand, const char *const *skip, size_t nskip, char *out, size_t cap);

/* ---- progress ---- */
typedef struct {
    int cards[SML_AREA_COUNT][SML_TRACK_COUNT];        /* cards seen */
    double mean_r[SML_AREA_COUNT][SML_TRACK_COUNT];    /* mean retrievability now */
    long reviews, cards_seen;
    double retention_30d;           /* fraction of reviews in the last 30 days rated > Again */
    long reviews_30d;
    int streak_days;                /* consecutive days with a review, ending today or yesterday */
    int due_forecast[7];            /* [0] due now or today, [k] due on day k */
} sml_progress;

int sml_store_progress(sml_store *s, const sml_fsrs_params *p, long long now, sml_progress *out);

/* ---- mock interviews ---- */
int sml_store_record_mock(sml_store *s, long long ts, double minutes, int questions, double score,
                          double max_score, const char *report_json, char *err, size_t errlen);

/* ---- vault search (FTS5 in the same database) ---- */
/* Rebuilds the index when the vault changed since the last call. 0 ok, -1 error. */
int sml_store_index_vault(sml_store *s, const sml_vault *v, char *err, size_t errlen);
/* Matches every word of `text` (prefix match on the last); ids best first into ids[]. */
size_t sml_store_search(sml_store *s, const char *text, char ids[][80], size_t cap, char *err,
                        size_t errlen);

/* ---- export / import ---- */
/* Writes all progress as JSON to `path` (temp file, fsync, rename). 0 ok, -1 error. */
int sml_store_export_json(sml_store *s, const char *path, char *err, size_t errlen);
/* Merges reviews from an export (duplicates skipped) and rebuilds card states by replaying every
 * review with `p`. *added gets the number of new reviews. 0 ok, -1 error (nothing changed). */
int sml_store_import_json(sml_store *s, const char *path, const sml_fsrs_params *p, long *added,
                          char *err, size_t errlen);

/* Anki deck of the vault as tab-separated notes (front, back, tags) with Anki's header lines.
 * Written atomically. 0 ok, -1 error. */
int sml_vault_export_anki(const sml_vault *v, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
