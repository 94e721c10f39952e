/* progress.h - progress display for long work (module 08).
 *
 * On a terminal (isatty) it redraws one line in place, at most ~10 times a second:
 *   epoch 2/5 [########........] 412/938  loss 0.4123  21,480 samples/s  ETA 0:02
 * Elsewhere (a log file, CI) it prints plain lines: every `every` steps (default about 10 per pass)
 * and one at the end, so logs stay short and readable.
 */
#ifndef TINYTORCH_PROGRESS_H
#define TINYTORCH_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tt_progress {
    FILE *f;
    bool tty;             /* redraw in place */
    bool quiet;           /* print nothing */
    char label[48];       /* e.g. "epoch 2/5" */
    int64_t total;        /* steps in this pass (0 = unknown) */
    int64_t step;         /* steps done */
    int64_t samples;      /* samples done */
    int64_t every;        /* plain mode: print every this many steps */
    double loss;          /* latest loss (smoothed) */
    double t0, last_draw; /* seconds */
} tt_progress;

/* Seconds from a monotonic clock. */
double tt_now_seconds(void);
/* Starts a pass of `total` steps on f (stderr when NULL); tty is detected with isatty(fileno(f)). */
void tt_progress_begin(tt_progress *p, FILE *f, const char *label, int64_t total, bool quiet);
/* Records that `step` steps and `samples` samples are done; loss is the latest batch loss. */
void tt_progress_update(tt_progress *p, int64_t step, int64_t samples, double loss);
/* Ends the pass with a final line; `extra` (may be NULL) is appended, e.g. "test acc 87.9%". */
void tt_progress_end(tt_progress *p, const char *extra);
/* Formats seconds as "m:ss" or "h:mm:ss". */
void tt_format_duration(double seconds, char *buf, size_t len);

#endif
