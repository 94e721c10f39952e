/* milestone.h - the interface every historical milestone implements, and what tito does with it.
 *
 * A milestone is one C file (or folder) under milestones/NN_name/ that defines a
 * `const tt_milestone`, declared below and listed in milestones/registry.c; together they are the
 * library tinytorch_milestones, which tito and the tests link.
 * `tito milestone run NN [--epochs E] [--seed S] [--json FILE]` fills tt_milestone_opts, calls run(),
 * prints the result and writes it as JSON. A milestone declares its parts (name, prerequisite
 * modules, function): `tito milestone info NN` lists them and `--part K` runs one. `--resume`
 * continues training runs killed part-way (tt_fit's state files).
 */
#ifndef TT_MILESTONE_H
#define TT_MILESTONE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tt_milestone_opts {
    int epochs;              /* 0: the milestone's default */
    uint64_t seed;           /* default 42 */
    const char *data_dir;    /* directory holding fashion-mnist/ and digits.csv.gz (default: data/) */
    const char *out_dir;     /* where checkpoints and logs go (default: runs/) */
    const char *text_path;   /* optional text corpus (milestone 05) */
    bool quick;              /* smaller, faster run for smoke tests */
    int part;                /* 0: every part; K: only part K (from 1) of the milestone's parts */
    bool resume;             /* continue killed training runs from their state files under out_dir */
    int64_t checkpoint_every;/* optimizer steps between state files (0: at the end of each epoch) */
} tt_milestone_opts;

/* Result: flat key/value pairs; a dot in a key nests it in the JSON ("sequence_accuracy.copy"). */
#define TT_MS_MAX_FIELDS 128
typedef struct tt_milestone_result {
    int n;
    struct {
        char key[64];
        bool is_str;
        double num;
        char str[256];
    } f[TT_MS_MAX_FIELDS];
} tt_milestone_result;

void tt_ms_result_num(tt_milestone_result *r, const char *key, double value);
void tt_ms_result_str(tt_milestone_result *r, const char *key, const char *value);
double tt_ms_result_get(const tt_milestone_result *r, const char *key, double fallback);

/* One part of a milestone: its name, the last module it needs (its prerequisites are modules 01 to
 * `needs`), and the function that runs it (0 goal met, 1 missed, 2 error, like run below). */
typedef struct tt_milestone_part {
    const char *name;
    int needs;
    int (*run)(const tt_milestone_opts *opts, tt_milestone_result *res);
} tt_milestone_part;

typedef struct tt_milestone {
    const char *id;          /* "01" */
    const char *name;        /* "Perceptron" */
    const char *year;        /* "1958" */
    const char *summary;     /* one line */
    /* Returns 0 when the milestone's goal was met, 1 when it ran but missed it, 2 on an error
     * (message already printed to stderr, e.g. a missing data file). */
    int (*run)(const tt_milestone_opts *opts, tt_milestone_result *res);
    const tt_milestone_part *parts; /* its parts in order (run honours opts->part); NULL: one part */
    int n_parts;
    int needs;               /* the last module the whole milestone needs (modules 01..needs) */
    const char *headline;    /* the result key 'tito milestone status' ranks runs by ("test_accuracy") */
    bool lower_is_better;    /* for headline: a loss rather than an accuracy */
    bool resumable;          /* its training runs through tt_fit's state files: --resume and
                              * --checkpoint-every apply (tito refuses them for the others) */
} tt_milestone;

/* The modules (1..20) a milestone, or its part `part` (0: all of it), needs. */
int tt_milestone_needs(const tt_milestone *m, int part);

/* The milestones, each defined in its folder (01_perceptron/perceptron.c ...). */
extern const tt_milestone tt_milestone_01, tt_milestone_02, tt_milestone_03, tt_milestone_04,
    tt_milestone_05, tt_milestone_06;

/* milestones/registry.c: all of them, in historical order */
extern const tt_milestone *const tt_milestones[];
extern const int tt_milestone_count;

#endif
