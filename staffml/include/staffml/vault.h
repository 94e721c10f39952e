/* vault.h - the StaffML question vault: hand-written interview questions in YAML files
 * (staffml/vault/NAME.yaml), their taxonomy (4 tracks x 13 competency areas x levels L1-L6),
 * loading with per-question errors, lint, and grading of numeric and multiple-choice answers.
 *
 * A vault file is a mapping with one key, `questions:`, a sequence of questions:
 *   id: mem-kv-001            unique, [a-z0-9-]
 *   track: cloud              cloud | edge | mobile | tinyml
 *   level: L3                 L1 .. L6
 *   area: memory              one of the 13 areas (sml_area_name)
 *   topic, title, scenario, question, answer, mistake, napkin     text (scenario optional)
 *   options: [a, b, c, d]     optional MCQ, exactly 4, with `correct: 0..3`
 *   numeric: {value: 128, unit: KiB, tolerance: 0.05, formula: "2*32*8*128*2/1024"}
 *                             optional; tolerance is relative; lint re-derives `formula`;
 *                             a drill grades the learner's number against it
 *   check: {value: 36, unit: KiB, formula: "..."}   optional, same fields: a number from the
 *                             napkin math that lint re-derives but a drill does not ask for
 *                             (for questions whose answer is an explanation)
 *   chain: {id: kv-cache, position: 2}   optional; a chain climbs the levels
 *   source: "..."             optional citation for facts and figures
 * Errors name "file:line: field: reason"; a bad question (or file) is skipped, the rest loads.
 */
#ifndef STAFFML_VAULT_H
#define STAFFML_VAULT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SML_TRACK_CLOUD = 0, SML_TRACK_EDGE, SML_TRACK_MOBILE, SML_TRACK_TINYML,
               SML_TRACK_COUNT } sml_track;

typedef enum {
    SML_AREA_COMPUTE = 0, SML_AREA_MEMORY, SML_AREA_LATENCY, SML_AREA_PRECISION, SML_AREA_POWER,
    SML_AREA_ARCHITECTURE, SML_AREA_OPTIMIZATION, SML_AREA_PARALLELISM, SML_AREA_NETWORKING,
    SML_AREA_DEPLOYMENT, SML_AREA_RELIABILITY, SML_AREA_DATA, SML_AREA_CROSS_CUTTING,
    SML_AREA_COUNT
} sml_area;

#define SML_LEVEL_COUNT 6     /* L1 .. L6 */

const char *sml_track_name(sml_track t);          /* "cloud" */
const char *sml_area_name(sml_area a);            /* "cross-cutting" */
/* 0 ok, -1 unknown (names are case-insensitive; levels accept "L3" or "3"). */
int sml_track_parse(const char *s, sml_track *out);
int sml_area_parse(const char *s, sml_area *out);
int sml_level_parse(const char *s, int *out);

typedef struct {
    char *id, *topic, *title, *scenario, *question, *answer, *mistake, *napkin, *source;
    sml_track track;
    sml_area area;
    int level;                   /* 1..6 */
    int has_mcq;
    char *options[4];
    int correct;                 /* 0..3 */
    int has_numeric;             /* `numeric:` or `check:` present */
    int numeric_graded;          /* 1 for `numeric:` (the answer), 0 for `check:` (napkin only) */
    double value, tolerance;     /* tolerance: relative, e.g. 0.05 */
    char *unit, *formula;        /* formula may be NULL */
    char *chain;                 /* NULL when not in a chain */
    int chain_pos;
    char *file;                  /* the file it came from (base name) */
    int line;
} sml_question;

typedef struct {
    sml_question *q;
    size_t n, cap;
    char **errors;               /* "file:line: field: reason" */
    size_t nerr, errcap;
} sml_vault;

/* Files larger than this are refused before parsing. */
#define SML_VAULT_MAX_FILE_BYTES (4u << 20)

void sml_vault_init(sml_vault *v);
void sml_vault_free(sml_vault *v);
/* Loads every *.yaml in `dir` in name order. Returns 0 when the directory could be read (errors
 * in files are in v->errors), -1 when it could not (the reason is appended to v->errors). */
int sml_vault_load_dir(sml_vault *v, const char *dir);
/* Loads one file's content; `label` names it in messages. Returns the number of errors added. */
size_t sml_vault_load_buffer(sml_vault *v, const char *label, const char *buf, size_t len);
const sml_question *sml_vault_find(const sml_vault *v, const char *id);
/* The vault shipped with the source tree (STAFFML_VAULT overrides it). */
const char *sml_vault_default_dir(void);

/* Filter: negative fields mean "any". */
typedef struct { int track, area, level; } sml_filter;
#define SML_FILTER_ANY ((sml_filter){-1, -1, -1})
int sml_filter_match(const sml_filter *f, sml_track t, sml_area a, int level);

/* ---- Grading ---- */
typedef enum { SML_GRADE_OK = 0, SML_GRADE_NOT_A_NUMBER = -1 } sml_grade_status;
/* Parses a numeric answer: a number, optionally followed by the question's unit (case-insensitive)
 * or a '%'. 0 ok, -1 when it is not a number. */
int sml_parse_answer_number(const char *text, const char *unit, double *out);
/* 1 when `given` is within the relative tolerance of `want` (absolute 1e-12 when want is 0). */
int sml_numeric_correct(double given, double want, double tolerance);
/* FSRS grade of an auto-graded answer: wrong -> 1 (Again); right -> 4 (Easy) when answered in
 * under `fast_s`, else 3 (Good). */
int sml_auto_grade(int correct, double seconds, double fast_s);
/* MCQ input "a".."d" or "1".."4" -> 0..3; -1 when it is neither. */
int sml_parse_choice(const char *text);

/* ---- Lint ---- */
typedef struct {
    char **problems;             /* load errors + lint findings, "file:line: field: reason" */
    size_t n, cap;
    int coverage[13][SML_TRACK_COUNT][SML_LEVEL_COUNT];
    size_t chains, numeric, numeric_graded, numeric_rederived, mcq;
} sml_lint_report;

/* Checks unique ids, chains (positions 1..n without gaps, levels never going down, one track
 * and area per chain is not required), units from the known list, MCQ shape, and re-derives
 * every numeric answer that has a formula. Returns the number of problems. */
size_t sml_vault_lint(const sml_vault *v, sml_lint_report *r);
void sml_lint_report_free(sml_lint_report *r);
/* 1 when `unit` is one the vault may use ("GiB", "ms", "TFLOP/s", ...). */
int sml_unit_known(const char *unit);

/* Distinct chains in the vault. */
size_t sml_vault_chain_count(const sml_vault *v);

/* ---- Arithmetic for formulas: + - * / ^ ( ), numbers with exponents, and the constants
 * KiB MiB GiB TiB (powers of 2) and K M G T P (powers of 10). 0 ok, -1 with reason. */
int sml_eval_expr(const char *expr, double *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
