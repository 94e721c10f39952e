/* result_json.h - writing a milestone result as a strict JSON file (dotted keys nest). */
#ifndef TITO_RESULT_JSON_H
#define TITO_RESULT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "milestone.h"

/* Writes {"milestone": id, "name": .., "year": .., "goal_met": bool, "exit_code": n, <fields>} to f. */
void tito_write_result(FILE *f, const tt_milestone *m, const tt_milestone_result *r, int exit_code);
/* Same into path, through a temporary file and a rename. Returns 0, or -1 with a message. */
int tito_save_result(const char *path, const tt_milestone *m, const tt_milestone_result *r, int exit_code,
                     char *err, size_t errlen);

#endif
