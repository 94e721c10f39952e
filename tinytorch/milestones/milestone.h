/* milestone.h - the interface every historical milestone implements, and what tito does with it.
 *
 * A milestone is one C file (or folder) under milestones/NN_name/ that defines a `const tt_milestone`
 * and is listed in milestones/registry.c. `tito milestone run NN [--epochs E] [--seed S] [--json FILE]`
 * fills tt_milestone_opts, calls run(), prints the result and writes it as JSON.
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
} tt_milestone_opts;

/* Result: flat key/value pairs; a dot in a key nests it in the JSON ("sequence_accuracy.copy"). */
#define TT_MS_MAX_FIELDS 48
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

typedef struct tt_milestone {
    const char *id;          /* "01" */
    const char *name;        /* "Perceptron" */
    const char *year;        /* "1958" */
    const char *summary;     /* one line */
    /* Returns 0 when the milestone's goal was met, 1 when it ran but missed it, 2 on an error
     * (message already printed to stderr, e.g. a missing data file). */
    int (*run)(const tt_milestone_opts *opts, tt_milestone_result *res);
} tt_milestone;

/* milestones/registry.c */
extern const tt_milestone *const tt_milestones[];
extern const int tt_milestone_count;

#endif
