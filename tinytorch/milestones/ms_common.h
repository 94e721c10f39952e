/* ms_common.h - helpers shared by the milestones (compiled into tito with them): result fields,
 * output directory, checkpoint and metrics-log paths, and the standard "goal" report line. */
#ifndef TT_MS_COMMON_H
#define TT_MS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include "milestone.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/train.h"

/* mkdir -p. Returns 0, or -1 with a message naming the directory. */
/* <data_dir>/<rel> into buf. */
void tt_ms_data_path(const tt_milestone_opts *o, const char *rel, char *buf, size_t len);
/* Saves <out_dir>/<stem>.safetensors, a self-describing model file (tt_model_save: the architecture,
 * and info's input shape, normalisation and classes when info is not NULL) with the optimizer state
 * and the given metadata, records it in the result as "<key_prefix>checkpoint" and prints the path.
 * Returns 0, or 2 (error printed). */
int tt_ms_save(const tt_milestone_opts *o, const char *stem, const char *key_prefix, tt_layer *model,
               const tt_optimizer *opt, const tt_kv *meta, int n_meta, const tt_model_info *info,
               tt_milestone_result *res);
/* Fashion-MNIST's class names, in label order. */
extern const char *const tt_ms_fashion_classes[10];
/* Opens <out_dir>/<stem>.metrics.jsonl. Returns 0, or 2 (error printed). */
int tt_ms_open_log(const tt_milestone_opts *o, const char *stem, tt_metrics_log *log,
                   tt_milestone_result *res, const char *key_prefix);
/* Fashion-MNIST's pixel mean and standard deviation over the training set (pixels scaled to [0, 1]). */
#define TT_MS_FMNIST_MEAN 0.2860f
#define TT_MS_FMNIST_STD 0.3530f
/* Loads Fashion-MNIST from <data_dir>/fashion-mnist, normalised; in a quick run the training set is its
 * first quick_n images. Returns 0 (free *train and *test with tt_dataset_free), or 2 (error printed). */
int tt_ms_load_fashion(const tt_milestone_opts *o, int64_t quick_n, tt_dataset **train, tt_dataset **test);
/* One thread for the milestones' small kernels unless TT_NUM_THREADS asks for more: waking a second
 * thread for a 64 x 784 x 128 GEMM costs more than it saves, and on a busy machine it made a run 10x
 * slower. Records "threads" in the result. */
void tt_ms_set_threads(tt_milestone_result *res);
/* A milestone part: 0 goal met, 1 missed, 2 error (printed). */
typedef int (*tt_ms_part)(const tt_milestone_opts *o, tt_milestone_result *res);
/* Runs the parts in order, stopping at the first error (returns 2); else 0 when every goal was met, 1
 * otherwise. Records "quick". */
int tt_ms_run_parts(const tt_milestone_opts *o, tt_milestone_result *res, const tt_ms_part *parts, int n);
/* Runs the declared parts in order, or only part o->part when it is set (1..n); stops at the first
 * error (returns 2); else 0 when every goal run was met, 1 otherwise. Records "quick" and "part". */
int tt_ms_run_declared(const tt_milestone_opts *o, tt_milestone_result *res, const tt_milestone_part *parts,
                       int n);
/* Makes a training run resumable: its state file is <out_dir>/<stem>.state.safetensors (path, len bytes),
 * written at every epoch end and every o->checkpoint_every optimizer steps; with o->resume the run
 * continues from it. Records "<key_prefix>resumed_at_step" after the run (tt_ms_record_fit). */
void tt_ms_resumable(const tt_milestone_opts *o, const char *stem, tt_train_config *c, char *path, size_t len);
/* Appends one JSON line about a finished run to <out_dir>/milestone_runs.jsonl (one write, O_APPEND,
 * fsync): {"milestone", "time", "part", "quick", "exit_code", "goal_met", "headline", "value"}, the
 * value being the result's m->headline field. 'tito milestone status' reads them. 0, or -1 (printed). */
#define TT_MS_RUNS_FILE "milestone_runs.jsonl"
int tt_ms_record_run(const tt_milestone_opts *o, const tt_milestone *m, const tt_milestone_result *r, int rc);
/* Line plots. A line: n points (x[i], y[i]) drawn as one SVG <path class="line">, its name, a colour
 * ("#1f77b4"). A panel: lines sharing one y axis (its range rounded out to 1-2-5 ticks, written on the
 * panel as data-y-range="LO HI"), with a legend when it holds more than one line. */
typedef struct tt_ms_line { const char *name; const double *x, *y; int n; const char *colour; } tt_ms_line;
typedef struct tt_ms_panel { const char *name; const tt_ms_line *lines; int n_lines; } tt_ms_panel;
/* Writes an SVG of the panels stacked vertically under one x axis range (log2_x: a log2 axis labelled
 * at the first line's x values; else linear with 1-2-5 ticks), atomically (temp file, fsync, rename).
 * Returns 0, or -1 with a message naming the file. */
int tt_ms_plot_panels_svg(const char *path, const char *title, const char *xlabel, bool log2_x,
                          const tt_ms_panel *panels, int n_panels, char *err, size_t errlen);
/* The 1-2-5 axis of [lo, hi]: *a <= lo and *b >= hi multiples of *step, about `ticks` steps apart
 * (an empty range is widened first). */
void tt_ms_nice_axis(double lo, double hi, int ticks, double *a, double *b, double *step);
/* One line per series: a name, one y value per x, a colour. */
typedef struct tt_ms_series { const char *name; const double *y; const char *colour; } tt_ms_series;
/* tt_ms_plot_panels_svg with one panel per series, x on a log2 axis. */
int tt_ms_plot_svg(const char *path, const char *title, const char *xlabel, const int64_t *x, int n,
                   const tt_ms_series *series, int n_series, char *err, size_t errlen);
/* Records a finished training run under key_prefix ("fashion_mnist."): test_accuracy, test_loss,
 * train_loss, epochs, train_images, params, train_seconds, samples_per_s, peak_arena_bytes, goal. */
void tt_ms_record_fit(tt_milestone_result *res, const char *key_prefix, const tt_train_stats *st, int epochs,
                      int64_t train_images, int64_t params, double goal);
/* Prints "  <what>: 97.50 %  (goal >= 90 %)  met" and returns whether it was met. */
bool tt_ms_check(const char *what, double accuracy, double goal, bool at_least);
/* A quick run's number for a goal only the full run can reach: printed, not judged. */
void tt_ms_note(const char *what, double accuracy, double goal);

#endif
