/* report.h - reading a results folder written by session.h back: a report for people (Markdown or
 * HTML) plus report.json, and the compliance checks of `mlperf-edu verify`. */
#ifndef MLPERF_EDU_REPORT_H
#define MLPERF_EDU_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* Writes <dir>/report.md (or report.html) and <dir>/report.json from every
 * <dir>/<workload>/<Scenario>/<mode>/run_<k>/result.json. out_path gets the report's path.
 * Returns the number of runs found (0 is an error: nothing to report), or -1 with a message. */
int mle_report(const char *dir, int html, char *out_path, size_t out_len, char *err, size_t errlen);

/* Compliance over the same folder, one line per check on `out`:
 *   - every performance run is VALID, met its minimum query count and duration, and its
 *     mlperf_log_summary.txt, mlperf_log_detail.txt and result.json agree on the verdict;
 *   - every workload with a performance result has an accuracy run meeting the closed-division target;
 *   - a scenario with >= 5 runs is "promoted" when the CV of its metric over them is <= 5 %
 *     (fewer runs: reported, not a failure).
 * Returns 0 all checks passed, 1 some failed, -1 error (message). */
int mle_verify(const char *dir, FILE *out, char *err, size_t errlen);

#endif
