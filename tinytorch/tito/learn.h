/* learn.h - the learner's build-it-yourself workflow behind 'tito module ...' and 'tito status':
 *   - the module map (which source folder, which test files grade it),
 *   - solution markers: stripping a reference file to the learner's stub and restoring it,
 *   - building a library from the learner's files + the reference and running a module's tests,
 *   - progress in SQLite under $XDG_DATA_HOME/tinytorch/progress.db. */
#ifndef TITO_LEARN_H
#define TITO_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TT_MODULE_COUNT 20
#define TT_MODULE_MAX_TESTS 4

typedef struct tt_module_info {
    int num;                                  /* 1..20 */
    const char *dir;                          /* source folder under tinytorch/src/, e.g. "02_activations" */
    const char *title;
    const char *tests[TT_MODULE_MAX_TESTS];   /* test files under tinytorch/src/<dir>/tests/ that grade it */
} tt_module_info;

extern const tt_module_info tt_modules[TT_MODULE_COUNT];

/* The path of test file `test` of module m in the source tree `src`: src/tinytorch/src/<dir>/tests/<test>
 * (each module's tests sit beside its code). Returns buf, or NULL when it does not fit. */
char *tt_module_test_path(char *buf, size_t n, const char *src, const tt_module_info *m, const char *test);

/* "3", "03", "03_layers" or "layers" -> the module, or NULL. */
const tt_module_info *tt_module_find(const char *q);

/* Creates folder `path` and any missing parents (mode 0755); 0, or -1 with errno set. */
int tito_mkdirs(const char *path);

/* ---- solution markers (workspace.c) ------------------------------------------------------------ */

#define TT_BEGIN_SOLUTION "/* BEGIN SOLUTION */"
#define TT_END_SOLUTION "/* END SOLUTION */"
#define TT_STUB_TAG "/* YOUR CODE HERE */"

/* Replaces every marked block (the BEGIN line through the END line) by one stub line that fails loudly:
 *     tt_fatal("NAME: not implemented yet — module NN"); / * YOUR CODE HERE * /
 * Returns a malloc'd text, *nblocks = number of blocks; NULL with *err set on a malformed file
 * (unbalanced or nested markers: the message names the line). */
char *tt_strip(const char *text, int module, int *nblocks, char *err, size_t errlen);

/* The inverse: puts the reference's blocks back in place of the stub lines of 'stripped'. Returns a
 * malloc'd text or NULL with *err set (stub and block counts differ). */
char *tt_restore(const char *stripped, const char *reference, char *err, size_t errlen);

/* Reads a whole file (NUL-terminated, *len without it); NULL if it cannot. */
char *tt_read_text(const char *path, size_t *len);
/* Writes text atomically (temp file, fsync, rename). 0 on success, -1 with errno set. */
int tt_write_atomic(const char *path, const char *text, size_t len);

/* The source tree: $TITO_SOURCE_DIR, else $MLSB_SOURCE_DIR, else the one tito was built from. */
const char *tt_source_dir(void);

/* ---- building and grading (workspace.c) -------------------------------------------------------- */

/* Which tests tt_module_grade runs: module m's and the earlier modules' (ALL), m's alone (OWN), or m's
 * and then the earlier modules' only when m's passed (UNTIL_FAIL: a completion, refused at once when
 * m's own tests fail). */
typedef enum tt_grade_scope { TT_GRADE_ALL, TT_GRADE_OWN, TT_GRADE_UNTIL_FAIL } tt_grade_scope;

/* Builds the library for module m in workspace dir (learner's files for m and for every module in
 * 'learner_mods' (a bit per module number), the reference for the rest) and runs the tests of m and of
 * the earlier modules, as scope says. Prints readable progress and failures. Returns 0 all passed, 1 a
 * test failed or the learner's code did not compile, 2 a setup problem (message printed). */
int tt_module_grade(const tt_module_info *m, const char *dir, unsigned learner_mods, bool quiet,
                    tt_grade_scope scope);

/* One test file's outcome, for reports (tito grade). */
typedef struct tt_test_run {
    const char *file;  /* "test_tensor.c" */
    int status;        /* 0 passed, 1 failed or crashed, 2 not built (it did not link with the learner's code) */
    int signal;        /* the signal that ended it, else 0 */
    char log[1024];    /* the file holding its output (or the linker's) */
} tt_test_run;

/* For graders: builds module m's library as tt_module_grade does, but runs only m's own test files
 * (runs[TT_MODULE_MAX_TESTS], *nruns of them filled) and prints nothing about them. Returns 0 when
 * the tests were run (whatever their verdict; see runs), 1 when the learner's code did not compile
 * (the compiler's messages are printed; every run is status 2), 2 a setup problem. */
int tt_module_run_own(const tt_module_info *m, const char *dir, unsigned learner_mods, tt_test_run *runs,
                      int *nruns);

/* Builds milestone NN (its folder, ms_common.c and tito/runner/ms_runner.c, from the source tree)
 * against a library made of the learner's modules in learner_mods and the reference for the rest:
 * DIR/.tito-build/milestone-NN, its path in exe. 0 on success. */
int tt_build_learner_milestone(const char *dir, unsigned learner_mods, int milestone, char *exe, size_t len);

/* ---- demos (demo.c) ---------------------------------------------------------------------------- */

/* Runs module m's demonstration (printing; its last line starts "demo NN:"). 0 ran, 1 it found a
 * problem, 2 the module has no demo. */
int tt_module_demo(const tt_module_info *m);
/* One line per module that has a demo. */
void tt_module_demo_list(FILE *f);

/* ---- progress (learn_db.c) --------------------------------------------------------------------- */

typedef struct tt_progress_db tt_progress_db;

/* Opens (creating if absent) the progress database. NULL with *err set when the file is not a
 * database, belongs to another program or cannot be opened; such a file is left untouched. */
tt_progress_db *tt_progress_open(char *err, size_t errlen);
void tt_progress_close(tt_progress_db *db);
/* state: 0 none, 1 started, 2 completed. */
int tt_progress_state(tt_progress_db *db, int module);
int tt_progress_set(tt_progress_db *db, int module, int state, const char *workspace, char *err, size_t errlen);
/* The workspace recorded for a module ("" if none); buf of len bytes. */
void tt_progress_workspace(tt_progress_db *db, int module, char *buf, size_t len);
const char *tt_progress_path(void);

#endif
