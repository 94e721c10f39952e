/* eval.c - /api/eval and /api/train: a plan through libmlsysim's engine (mlsysim/engine.h), the
 * same call `mlsysim -o json eval PLAN` makes, so the API and the CLI give byte-identical JSON.
 * A plan that does not load is a 400 naming the field; a plan that does not fit or breaks one of
 * its asserts is still a 200 (its JSON says "feasible": false / "status": "sla_failed"), as the
 * CLI still prints it. */
#include "labs_internal.h"

#include "mlsysim/distributed.h"
#include "mlsysim/engine.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* "label:line: field: reason" -> field (empty when the message has another shape). */
static void error_field(const char *msg, char *field, size_t cap)
{
    field[0] = 0;
    const char *p = strchr(msg, ':');
    if (!p) return;
    const char *q = p + 1;
    while (*q >= '0' && *q <= '9') q++;
    if (q == p + 1 || *q != ':') return;
    q++;
    while (*q == ' ') q++;
    const char *e = strstr(q, ": ");
    size_t n = e ? (size_t)(e - q) : 0;
    if (n == 0 || n >= cap || memchr(q, ' ', n)) return;
    memcpy(field, q, n);
    field[n] = 0;
}

/* Evaluates; on success leaves the result in *res (caller frees) and returns 0; otherwise fills
 * the 400 reply and returns -1. */
static int eval(const ms_registry *reg, const char *plan, size_t len, ms_result *res, labs_reply *r)
{
    ms_status st = ms_plan_eval_buffer(reg, "plan", plan, len, res);
    if (st == MS_ERR_INPUT || st == MS_ERR_NOMEM) {
        char field[128];
        error_field(res->error, field, sizeof field);
        labs_reply_error(r, st == MS_ERR_NOMEM ? 500 : 400, field[0] ? field : "plan", res->error);
        ms_result_free(res);
        return -1;
    }
    return 0;
}

/* The JSON is written once into a buffer sized for a typical result (formatting the numbers is
 * most of a request's cost); only a longer one is written again into an exact buffer. */
#define JSON_GUESS 8192

static int reply_result(const ms_result *res, labs_reply *r)
{
    size_t cap = JSON_GUESS;
    r->body = malloc(cap);
    if (!r->body) return labs_reply_error(r, 500, NULL, "out of memory");
    size_t n = ms_result_json(res, r->body, cap);
    if (n >= cap) {
        char *b = realloc(r->body, n + 1);
        if (!b) {
            free(r->body);
            r->body = NULL;
            return labs_reply_error(r, 500, NULL, "out of memory");
        }
        r->body = b;
        ms_result_json(res, r->body, n + 1);
    }
    while (n > 0 && r->body[n - 1] == '\n') r->body[--n] = 0;
    r->len = n;
    r->status = 200;
    return 200;
}

int labs_eval_plan(const ms_registry *reg, const char *plan, size_t len, labs_reply *r)
{
    ms_result *res = malloc(sizeof *res);
    if (!res) return labs_reply_error(r, 500, NULL, "out of memory");
    int st = eval(reg, plan, len, res, r) ? r->status : reply_result(res, r);
    if (st == 200) ms_result_free(res);
    free(res);
    return st;
}

/* Restart time after a failure when the plan gives none: the fleet model's default (detect,
 * reschedule, reload; ms_dist_reliability_t.restart_s = 0 means 300 s). */
#define RESTART_S 300.0

int labs_train_plan(const ms_registry *reg, const char *plan, size_t len, double interval_s, labs_reply *r)
{
    ms_result *res = malloc(sizeof *res);
    if (!res) return labs_reply_error(r, 500, NULL, "out of memory");
    if (eval(reg, plan, len, res, r)) {
        free(res);
        return r->status;
    }
    const char *mode = ms_result_get_str(res, "mode");
    double step;
    if (!mode || strcmp(mode, "training") || !ms_result_get(res, "step_time_s", &step)) {
        ms_result_free(res);
        free(res);
        return labs_reply_error(r, 400, "workload.mode", "/api/train takes a training plan (workload.mode: training)");
    }
    double mtbf, write_s;
    if (interval_s > 0) {
        if (!ms_result_get(res, "mtbf_s", &mtbf) || !ms_result_get(res, "checkpoint_write_s", &write_s)) {
            ms_result_free(res);
            free(res);
            return labs_reply_error(r, 400, "ops", "checkpoint_interval_s needs the plan's ops section");
        }
        ms_result_num(res, "chosen_checkpoint_interval_s", interval_s);
        ms_result_num(res, "chosen_goodput", ms_rel_goodput(interval_s, write_s, RESTART_S, mtbf));
    }
    int st = reply_result(res, r);
    ms_result_free(res);
    free(res);
    return st;
}
