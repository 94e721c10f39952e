/* ms_runner.c - the program that 'tito milestone run NN --dir D' compiles against the learner's own
 * library: one milestone (TT_MS_SYMBOL, e.g. tt_milestone_01, given with -D) and ms_common.c, nothing
 * else of tito. Not part of the tito build (only the files directly in tito/ are globbed).
 *   ms_runner [--epochs E] [--seed S] [--data DIR] [--out DIR] [--text FILE] [--quick] [--part K] [--resume]
 *             [--checkpoint-every N]
 * Exit status: the milestone's: 0 goal met, 1 missed, 2 error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milestone.h"
#include "ms_common.h"
#include "tinytorch/fileio.h"

#ifndef TT_MS_SYMBOL
#error "compile with -DTT_MS_SYMBOL=tt_milestone_NN"
#endif
#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

int main(int argc, char **argv)
{
    const tt_milestone *m = &TT_MS_SYMBOL;
    const char *env = getenv("MLSB_DATA");
    tt_milestone_opts o = {0, 42, env && *env ? env : MLSB_SOURCE_DIR "/data", "runs", NULL, false, 0, false, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o.quick = true;
        } else if (strcmp(a, "--resume") == 0) {
            o.resume = true;
        } else if (v && strcmp(a, "--checkpoint-every") == 0 && atol(v) > 0) {
            o.checkpoint_every = atol(v);
            i++;
        } else if (v && strcmp(a, "--part") == 0) {
            o.part = atoi(v);
            if (o.part < 1 || o.part > (m->n_parts > 0 ? m->n_parts : 0)) {
                fprintf(stderr, "milestone %s: --part wants a part from 1 to %d, not '%s'\n", m->id, m->n_parts, v);
                return 2;
            }
            i++;
        } else if (v && strcmp(a, "--epochs") == 0) {
            o.epochs = atoi(v);
            i++;
        } else if (v && strcmp(a, "--seed") == 0) {
            o.seed = strtoull(v, NULL, 10);
            i++;
        } else if (v && strcmp(a, "--data") == 0) {
            o.data_dir = v;
            i++;
        } else if (v && strcmp(a, "--out") == 0) {
            o.out_dir = v;
            i++;
        } else if (v && strcmp(a, "--text") == 0) {
            o.text_path = v;
            i++;
        } else {
            fprintf(stderr, "milestone %s on your code: option '%s' is not supported here "
                            "(--epochs, --seed, --data, --out, --text, --quick, --part, --resume, --checkpoint-every)\n", m->id, a);
            return 2;
        }
    }
    static tt_milestone_result res; /* ~16 KB: keep it off the stack */
    int rc = m->run(&o, &res);
    printf("\nMilestone %s (%s, %s) on your code: %s\n", m->id, m->name, m->year,
           rc == 0 ? "passed" : rc == 1 ? "goal missed" : "error");
    for (int i = 0; i < res.n; i++) {
        if (res.f[i].is_str) {
            printf("  %-36s %s\n", res.f[i].key, res.f[i].str);
        } else {
            printf("  %-36s %.6g\n", res.f[i].key, res.f[i].num);
        }
    }
    char err[1200];
    if (rc != 2 && (tt_mkdir_p(o.out_dir, err, sizeof err) != 0 || tt_ms_record_run(&o, m, &res, rc) != 0)) {
        return 2; /* the run is recorded for 'tito milestone status' */
    }
    return rc;
}
