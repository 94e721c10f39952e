/* api.c - the labs' JSON API (see labs/api.h): request bodies in, JSON replies out.
 *
 * Invariants: every reply is complete JSON with a status; a bad request never reaches the
 * physics (each field is checked against its table row first: type, range, registry name);
 * nothing here keeps state between requests, so the functions are safe from any thread.
 * Request fields are read by one loop over a table per endpoint ({key, type, offset, min, max,
 * default}), which also refuses unknown keys by name. */
#define _POSIX_C_SOURCE 200809L
#include "labs/api.h"
#include "labs_internal.h"

#include "mlsysim/distributed.h"
#include "mlsysim/mlsysim.h"
#include "mlsysim/solvers.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct labs_ctx {
    ms_registry *reg;
    char *measured;        /* contents of the measured-points file, or NULL */
    size_t measured_len;
    labs_cache *cache;     /* POST replies by request bytes; NULL = off */
    labs_staffml *sml;     /* the practice page's vault + database, or NULL */
};

/* ---------------------------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------------------------- */

void labs_reply_free(labs_reply *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static int reply_text(labs_reply *r, int status, const char *text)
{
    size_t n = strlen(text);
    r->status = status;
    r->body = malloc(n + 1);
    if (!r->body) {
        r->status = 500;
        r->len = 0;
        return 500;
    }
    memcpy(r->body, text, n + 1);
    r->len = n;
    return status;
}

/* Takes ownership of j. */
static int reply_json(labs_reply *r, int status, cJSON *j)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s) return reply_text(r, 500, "{\"error\": \"out of memory\", \"field\": null}");
    r->status = status;
    r->body = s;
    r->len = strlen(s);
    return status;
}

int labs_reply_error(labs_reply *r, int status, const char *field, const char *reason)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return reply_text(r, 500, "{\"error\": \"out of memory\", \"field\": null}");
    cJSON_AddStringToObject(j, "error", reason);
    if (field) cJSON_AddStringToObject(j, "field", field);
    else cJSON_AddNullToObject(j, "field");
    return reply_json(r, status, j);
}

/* ---------------------------------------------------------------------------------------------
 * Request fields: one table per endpoint
 * ------------------------------------------------------------------------------------------- */

typedef enum { F_STR, F_INT, F_NUM } ftype;

typedef struct {
    const char *key;
    ftype type;
    size_t off;            /* into the endpoint's request struct */
    double min, max;       /* numbers: inclusive range */
    double def;            /* numbers: default */
    const char *sdef;      /* strings: default (NULL = required) */
} field;

#define STR_CAP 64

/* Reads obj (a JSON object) into dst by the table. Unknown keys, wrong types and values out of
 * range are a 400 naming the field. Returns 0 or -1 (reply filled). */
static int read_fields(const cJSON *obj, const field *t, size_t n, void *dst, labs_reply *r)
{
    char msg[160];
    if (!cJSON_IsObject(obj)) return labs_reply_error(r, 400, "body", "expected a JSON object"), -1;
    for (const cJSON *it = obj->child; it; it = it->next) {
        size_t i = 0;
        while (i < n && strcmp(t[i].key, it->string ? it->string : "")) i++;
        if (i == n) {
            snprintf(msg, sizeof msg, "unknown field '%.60s'", it->string ? it->string : "");
            return labs_reply_error(r, 400, it->string ? it->string : "body", msg), -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, t[i].key);
        char *p = (char *)dst + t[i].off;
        if (t[i].type == F_STR) {
            const char *s = t[i].sdef;
            if (v) {
                if (!cJSON_IsString(v)) return labs_reply_error(r, 400, t[i].key, "expected a string"), -1;
                s = v->valuestring;
            }
            if (!s) return labs_reply_error(r, 400, t[i].key, "required"), -1;
            if (strlen(s) >= STR_CAP) return labs_reply_error(r, 400, t[i].key, "too long"), -1;
            memcpy(p, s, strlen(s) + 1);
            continue;
        }
        double x = t[i].def;
        if (v) {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return labs_reply_error(r, 400, t[i].key, "expected a number"), -1;
            x = v->valuedouble;
            if (t[i].type == F_INT && x != floor(x))
                return labs_reply_error(r, 400, t[i].key, "expected an integer"), -1;
            if (x < t[i].min || x > t[i].max) {
                snprintf(msg, sizeof msg, "%.6g is out of range [%.6g, %.6g]", x, t[i].min, t[i].max);
                return labs_reply_error(r, 400, t[i].key, msg), -1;
            }
        }
        memcpy(p, &x, sizeof x);
    }
    return 0;
}

static int find_precision(const char *s, ms_precision *p, labs_reply *r)
{
    if (ms_precision_parse(s, p) == 0) return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "unknown precision '%s' (fp32 tf32 bf16 fp16 fp8 int8 int4 fp4)", s);
    labs_reply_error(r, 400, "precision", msg);
    return -1;
}

/* A 400 reply for a registry name that is not there: "unknown model 'X' (see GET /api/registry)"
 * about the request's field (model, hardware, region); returns NULL. */
static void *unknown_name(labs_reply *r, const char *field, const char *name)
{
    char msg[128];
    snprintf(msg, sizeof msg, "unknown %s '%s' (see GET /api/registry)", field, name);
    labs_reply_error(r, 400, field, msg);
    return NULL;
}

static const ms_model *find_model(const labs_ctx *c, const char *name, labs_reply *r)
{
    const ms_model *m = ms_registry_model(c->reg, name);
    return m ? m : unknown_name(r, "model", name);
}

static const ms_hardware *find_hardware(const labs_ctx *c, const char *name, labs_reply *r)
{
    const ms_hardware *h = ms_registry_hardware(c->reg, name);
    return h ? h : unknown_name(r, "hardware", name);
}

static const ms_grid *find_grid(const labs_ctx *c, const char *name, labs_reply *r)
{
    const ms_grid *g = ms_registry_grid(c->reg, name);
    return g ? g : unknown_name(r, "region", name);
}

static ms_dist_grid_t dist_grid(const ms_grid *g)
{
    ms_dist_grid_t d = {g->name, g->carbon_g_per_kwh, g->pue, g->wue_l_per_kwh, g->price_usd_per_kwh};
    return d;
}

/* Offset of the first NUL character the body would put into a string (a raw zero byte or the
 * escape \u0000), or len. Every field is used as a C string, where "H100\u0000x" would read as
 * "H100"; outside strings a backslash is a syntax error anyway. */
static size_t nul_at(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (body[i] == 0) return i;
        if (body[i] == '\\' && i + 1 < len) {
            if (body[i + 1] == 'u' && len - i >= 6 && !memcmp(body + i + 2, "0000", 4)) return i;
            i++;   /* the escaped character: "\\u0000" is a backslash and text */
        }
    }
    return len;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key given twice in one object anywhere in j, or NULL. cJSON keeps both members and a lookup
 * sees only the first, so {"model": "a", "model": "b"} would be read as "a" without a word. */
static const char *duplicate_key(const cJSON *j)
{
    size_t n = 0;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            const char *d = duplicate_key(c);
            if (d) return d;
        }
        n++;
    }
    if (!cJSON_IsObject(j) || n < 2) return NULL;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) return NULL;   /* the handlers still see every member; only the check is skipped */
    n = 0;
    for (const cJSON *c = j->child; c; c = c->next) keys[n++] = c->string ? c->string : "";
    qsort(keys, n, sizeof *keys, cmp_key);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (!strcmp(keys[i], keys[i - 1])) dup = keys[i];
    free(keys);
    return dup;
}

/* Parses a JSON body; a syntax error is a 400 naming the byte offset. A NUL character in a string
 * and a key given twice in one object are refused too (400 naming the offset or the key). */
static cJSON *parse_body(const char *body, size_t len, labs_reply *r)
{
    if (!body || len == 0) return labs_reply_error(r, 400, "body", "empty body (send a JSON object)"), NULL;
    char msg[160];
    size_t z = nul_at(body, len);
    if (z < len) {
        snprintf(msg, sizeof msg, "a NUL character (\\u0000 or a zero byte) at byte %zu: strings here are plain text", z);
        return labs_reply_error(r, 400, "body", msg), NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(msg, sizeof msg, "invalid JSON near byte %ld", at && at >= body ? (long)(at - body) : 0L);
        labs_reply_error(r, 400, "body", msg);
        return NULL;
    }
    const char *dup = duplicate_key(j);
    if (dup) {
        char field[64];
        snprintf(field, sizeof field, "%s", dup[0] ? dup : "body");
        snprintf(msg, sizeof msg, "'%.60s' is given twice in one object: give each field once", dup);
        cJSON_Delete(j);
        return labs_reply_error(r, 400, field, msg), NULL;
    }
    return j;
}

/* ---------------------------------------------------------------------------------------------
 * GET /api/labs, GET /api/registry, GET /api/measured
 * ------------------------------------------------------------------------------------------- */

static int api_labs(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    (void)c;
    (void)req;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < labs_count(); i++) {
        char path[96];
        snprintf(path, sizeof path, "/labs/%s.html", labs_at(i)->id);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", labs_at(i)->id);
        cJSON_AddStringToObject(o, "title", labs_at(i)->title);
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddItemToArray(a, o);
    }
    return reply_json(r, 200, a);
}

static int api_registry(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    (void)req;
    cJSON *j = cJSON_CreateObject();
    cJSON *hw = cJSON_AddArrayToObject(j, "hardware");
    for (size_t i = 0; i < ms_registry_hardware_count(c->reg); i++) {
        const ms_hardware *h = ms_registry_hardware_at(c->reg, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", h->name);
        cJSON_AddStringToObject(o, "title", h->title);
        cJSON_AddStringToObject(o, "class", ms_hw_class_name(h->hw_class));
        cJSON_AddNumberToObject(o, "memory_bytes", h->mem_bytes);
        cJSON_AddNumberToObject(o, "bandwidth_bytes_per_s", h->mem_bw_bytes_per_s);
        cJSON_AddNumberToObject(o, "peak_fp16_flop_per_s", ms_hw_peak(h, MS_FP16));
        cJSON_AddNumberToObject(o, "peak_fp32_flop_per_s", ms_hw_peak(h, MS_FP32));
        cJSON_AddNumberToObject(o, "tdp_w", h->tdp_w);
        cJSON_AddNumberToObject(o, "price_usd", h->price_usd);
        cJSON_AddItemToArray(hw, o);
    }
    cJSON *md = cJSON_AddArrayToObject(j, "models");
    for (size_t i = 0; i < ms_registry_model_count(c->reg); i++) {
        const ms_model *m = ms_registry_model_at(c->reg, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->name);
        cJSON_AddStringToObject(o, "title", m->title);
        cJSON_AddStringToObject(o, "kind", ms_model_kind_name(m->kind));
        cJSON_AddBoolToObject(o, "decoder", m->kind == MS_MODEL_TRANSFORMER && !m->arch.encoder);
        cJSON_AddNumberToObject(o, "params", m->params);
        cJSON_AddNumberToObject(o, "layers", m->layers);
        cJSON_AddItemToArray(md, o);
    }
    cJSON *gr = cJSON_AddArrayToObject(j, "grids");
    for (size_t i = 0; i < ms_registry_grid_count(c->reg); i++) {
        const ms_grid *g = ms_registry_grid_at(c->reg, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", g->name);
        cJSON_AddStringToObject(o, "title", g->title);
        cJSON_AddNumberToObject(o, "carbon_g_per_kwh", g->carbon_g_per_kwh);
        cJSON_AddNumberToObject(o, "pue", g->pue);
        cJSON_AddNumberToObject(o, "price_usd_per_kwh", g->price_usd_per_kwh);
        cJSON_AddItemToArray(gr, o);
    }
    cJSON *fb = cJSON_AddArrayToObject(j, "fabrics");
    for (size_t i = 0; i < ms_registry_fabric_count(c->reg); i++) {
        const ms_fabric *f = ms_registry_fabric_at(c->reg, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", f->name);
        cJSON_AddStringToObject(o, "title", f->title);
        cJSON_AddNumberToObject(o, "bandwidth_bytes_per_s", f->bw_bytes_per_s);
        cJSON_AddItemToArray(fb, o);
    }
    return reply_json(r, 200, j);
}

/* The measured points with the roofline's prediction for each: time = max(flop / (peak · η),
 * bytes / bandwidth), the same bound ms_eval applies, on the machine the file describes.
 * GET uses η = 1; POST {"efficiency": η} another. */
typedef struct {
    double efficiency;
} measured_req;

static const field MEASURED_FIELDS[] = {
    {"efficiency", F_NUM, offsetof(measured_req, efficiency), 0.01, 1, 1, NULL},
};

static int api_measured(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    if (!c->measured)
        return labs_reply_error(r, 404, "measured",
                                "no measured points: start mlsb-labs with --measured FILE (see labs/README.md)");
    measured_req q = {1};
    if (req && read_fields(req, MEASURED_FIELDS, 1, &q, r)) return r->status;
    cJSON *j = cJSON_Parse(c->measured);
    if (!j) return labs_reply_error(r, 500, NULL, "out of memory");
    double peak = cJSON_GetObjectItemCaseSensitive(j, "peak_flop_per_s")->valuedouble * q.efficiency;
    double bw = cJSON_GetObjectItemCaseSensitive(j, "bandwidth_bytes_per_s")->valuedouble;
    cJSON_AddNumberToObject(j, "efficiency", q.efficiency);
    cJSON_AddNumberToObject(j, "ridge_point_flop_per_byte", peak / bw);
    cJSON *pts = cJSON_GetObjectItemCaseSensitive(j, "points");
    for (cJSON *p = pts->child; p; p = p->next) {
        double f = cJSON_GetObjectItemCaseSensitive(p, "flop")->valuedouble;
        double b = cJSON_GetObjectItemCaseSensitive(p, "bytes")->valuedouble;
        double t = cJSON_GetObjectItemCaseSensitive(p, "seconds")->valuedouble;
        double pred = fmax(f / peak, b / bw);
        cJSON_AddNumberToObject(p, "intensity_flop_per_byte", f / b);
        cJSON_AddNumberToObject(p, "achieved_flop_per_s", f / t);
        cJSON_AddNumberToObject(p, "attainable_flop_per_s", f / pred);
        cJSON_AddNumberToObject(p, "predicted_s", pred);
        cJSON_AddNumberToObject(p, "measured_over_predicted", t / pred);
    }
    return reply_json(r, 200, j);
}

/* ---------------------------------------------------------------------------------------------
 * POST /api/eval: a plan, evaluated as `mlsysim eval PLAN` does
 * ------------------------------------------------------------------------------------------- */

static int api_eval(const labs_ctx *c, const char *body, size_t len, labs_reply *r)
{
    if (!body || len == 0) return labs_reply_error(r, 400, "body", "empty body (send a plan as JSON)");
    return labs_eval_plan(c->reg, body, len, r);
}

/* ---------------------------------------------------------------------------------------------
 * POST /api/train: a distributed training plan, plus the goodput at a chosen checkpoint interval
 * ------------------------------------------------------------------------------------------- */

static int api_train(const labs_ctx *c, cJSON *req, labs_reply *r)
{
    if (!cJSON_IsObject(req)) return labs_reply_error(r, 400, "body", "expected a JSON object (a plan)");
    double interval = 0;
    cJSON *iv = cJSON_DetachItemFromObjectCaseSensitive(req, "checkpoint_interval_s");
    if (iv) {
        int ok = cJSON_IsNumber(iv) && isfinite(iv->valuedouble) && iv->valuedouble >= 1 && iv->valuedouble <= 1e9;
        interval = ok ? iv->valuedouble : 0;
        cJSON_Delete(iv);
        if (!ok) return labs_reply_error(r, 400, "checkpoint_interval_s", "expected a number of seconds in [1, 1e9]");
    }
    char *plan = cJSON_PrintUnformatted(req);
    if (!plan) return labs_reply_error(r, 500, NULL, "out of memory");
    int st = labs_train_plan(c->reg, plan, strlen(plan), interval, r);
    free(plan);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * POST /api/serve
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    char model[STR_CAP], hardware[STR_CAP], precision[STR_CAP], region[STR_CAP];
    double batch_size, seq_len, efficiency, cached_prefix, qps, output_tokens, replicas, clients, max_num_tokens;
} serve_req;

#define SF(k, t, m, lo, hi, d, s) {k, t, offsetof(serve_req, m), lo, hi, d, s}
static const field SERVE_FIELDS[] = {
    SF("model", F_STR, model, 0, 0, 0, NULL),
    SF("hardware", F_STR, hardware, 0, 0, 0, NULL),
    SF("precision", F_STR, precision, 0, 0, 0, "fp16"),
    SF("region", F_STR, region, 0, 0, 0, "US_Avg"),
    SF("batch_size", F_INT, batch_size, 1, 1e6, 1, NULL),
    SF("seq_len", F_INT, seq_len, 1, 1e7, 2048, NULL),
    SF("efficiency", F_NUM, efficiency, 0.01, 1, 0, NULL),   /* absent: ms_inference_efficiency */
    SF("cached_prefix", F_INT, cached_prefix, 0, 1e7, 0, NULL),
    SF("qps", F_NUM, qps, 0, 1e9, 0, NULL),
    SF("output_tokens", F_INT, output_tokens, 1, 1e6, 256, NULL),
    SF("replicas", F_INT, replicas, 1, 1e6, 1, NULL),
    SF("clients", F_INT, clients, 0, 1e6, 0, NULL),          /* 0: no closed loop */
    SF("max_num_tokens", F_INT, max_num_tokens, 1, 1e7, MS_SERVE_MAX_NUM_TOKENS, NULL),
};

static int api_serve(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    serve_req q;
    if (read_fields(req, SERVE_FIELDS, sizeof SERVE_FIELDS / sizeof SERVE_FIELDS[0], &q, r)) return r->status;
    const ms_model *m = find_model(c, q.model, r);
    if (!m) return r->status;
    const ms_hardware *h = find_hardware(c, q.hardware, r);
    if (!h) return r->status;
    const ms_grid *g = find_grid(c, q.region, r);
    if (!g) return r->status;
    ms_serve_input in;
    ms_serve_input_default(&in);
    if (find_precision(q.precision, &in.precision, r)) return r->status;
    in.batch_size = (int)q.batch_size;
    in.seq_len = (int)q.seq_len;
    /* as `mlsysim serve`: without one, the generation's calibrated GEMM figure or the default */
    in.efficiency = q.efficiency > 0 ? q.efficiency : ms_inference_efficiency(m, h->name, in.precision);
    in.cached_prefix = (int)q.cached_prefix;
    if (in.cached_prefix >= in.seq_len) return labs_reply_error(r, 400, "cached_prefix", "must be below seq_len");
    /* the queue has replicas x batch_size servers: keep that an int */
    if (q.replicas * q.batch_size > 1e8) return labs_reply_error(r, 400, "replicas", "replicas x batch_size above 1e8");
    ms_serve_result s;
    if (ms_serve(m, h, &in, &s) != MS_OK)
        return labs_reply_error(r, 400, "model", "serving is modeled for decoder language models");
    int out_tok = (int)q.output_tokens, replicas = (int)q.replicas;
    double service = s.ttft_s + s.itl_s * out_tok;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", m->name);
    cJSON_AddStringToObject(j, "hardware", h->name);
    cJSON_AddStringToObject(j, "precision", ms_precision_name(in.precision));
    cJSON_AddNumberToObject(j, "batch_size", in.batch_size);
    cJSON_AddNumberToObject(j, "seq_len", in.seq_len);
    cJSON_AddNumberToObject(j, "efficiency", in.efficiency);
    cJSON_AddNumberToObject(j, "ttft_s", s.ttft_s);
    cJSON_AddNumberToObject(j, "itl_s", s.itl_s);
    cJSON_AddNumberToObject(j, "tokens_per_s", s.tokens_per_s);
    cJSON_AddNumberToObject(j, "output_tokens", out_tok);
    cJSON_AddNumberToObject(j, "request_latency_s", service);
    cJSON_AddStringToObject(j, "prefill_bottleneck", ms_bound_name(s.prefill_bound));
    cJSON_AddStringToObject(j, "decode_bottleneck", ms_bound_name(s.decode_bound));
    cJSON_AddNumberToObject(j, "kv_cache_bytes", s.kv_cache_bytes);
    cJSON_AddNumberToObject(j, "kv_cache_per_token_bytes", s.kv_bytes_per_token);
    cJSON_AddNumberToObject(j, "memory_weights_bytes", s.weights_bytes);
    cJSON_AddNumberToObject(j, "memory_per_accelerator_bytes", s.memory_bytes);
    cJSON_AddNumberToObject(j, "memory_capacity_bytes", h->mem_bytes);
    cJSON_AddNumberToObject(j, "memory_utilization", s.memory_utilization);
    cJSON_AddNumberToObject(j, "max_concurrent_sequences", (double)s.max_concurrent_sequences);
    cJSON_AddBoolToObject(j, "feasible", s.feasible);
    cJSON_AddNumberToObject(j, "replicas", replicas);
    /* Queueing: each replica holds batch_size request slots (M/M/c with c = replicas x batch). */
    double served_tok_per_s = s.tokens_per_s * replicas;
    if (q.qps > 0) {
        ms_queue_result qr;
        ms_mmc(q.qps, service, replicas * in.batch_size, &qr);
        cJSON_AddNumberToObject(j, "qps", q.qps);
        cJSON_AddNumberToObject(j, "queue_utilization", qr.utilization);
        cJSON_AddBoolToObject(j, "queue_stable", qr.stable);
        if (qr.stable) {
            cJSON_AddNumberToObject(j, "queue_wait_mean_s", qr.mean_wait_s);
            cJSON_AddNumberToObject(j, "p50_latency_s", qr.p50_s);
            cJSON_AddNumberToObject(j, "p99_latency_s", qr.p99_s);
            served_tok_per_s = q.qps * out_tok;
        } else {
            cJSON_AddNullToObject(j, "p50_latency_s");
            cJSON_AddNullToObject(j, "p99_latency_s");
        }
    }
    /* A closed loop of `clients` (a benchmark's concurrency) on one replica: the prompts arrive in
     * waves (ms_serve_closed_loop, as `mlsysim serve --clients`) */
    if (q.clients > 0) {
        ms_serve_loop_result lp;
        ms_status ls = ms_serve_closed_loop(m, h, &in, (int)q.clients, out_tok, (int)q.max_num_tokens, &lp);
        if (ls != MS_OK) {
            cJSON_Delete(j);
            return labs_reply_error(r, 400, "clients", ls == MS_ERR_MEMORY ? "not one sequence fits beside the weights"
                                                                            : "no closed-loop figure for this model");
        }
        cJSON_AddNumberToObject(j, "loop_clients", q.clients);
        cJSON_AddNumberToObject(j, "loop_in_flight", lp.loop.served);
        cJSON_AddNumberToObject(j, "loop_max_num_tokens", q.max_num_tokens);
        cJSON_AddNumberToObject(j, "loop_prompts_per_iteration", lp.per_iteration);
        cJSON_AddNumberToObject(j, "loop_ttft_s", lp.loop.ttft_s);
        cJSON_AddNumberToObject(j, "loop_itl_s", lp.loop.itl_s);
        cJSON_AddNumberToObject(j, "loop_tokens_per_s", lp.loop.tokens_per_s);
        cJSON_AddNumberToObject(j, "loop_requests_per_s", lp.loop.requests_per_s);
        cJSON_AddNumberToObject(j, "loop_request_latency_s", lp.loop.request_s);
    }
    /* Cost of one hour of the replicas at this load (capex amortised, energy, maintenance). */
    ms_dist_accel_t a;
    ms_hw_to_dist_accel(h, in.precision, in.efficiency, &a);
    ms_dist_grid_t dg = dist_grid(g);
    ms_dist_econ_inputs_t e = {0};
    e.utilization = s.tokens_per_s > 0 ? served_tok_per_s / (s.tokens_per_s * replicas) : 0;
    ms_dist_ops_t ops;
    if (ms_econ_run(&a, replicas, 3600.0, served_tok_per_s * 3600.0, &dg, &e, &ops) == MS_DIST_OK) {
        cJSON_AddStringToObject(j, "region", g->name);
        cJSON_AddNumberToObject(j, "cost_per_hour_usd", ops.cost_usd);
        cJSON_AddNumberToObject(j, "cost_per_million_tokens_usd", ops.cost_per_mtok_usd);
        cJSON_AddNumberToObject(j, "carbon_per_hour_kg", ops.carbon_kg);
    }
    return reply_json(r, 200, j);
}

/* ---------------------------------------------------------------------------------------------
 * POST /api/compress
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    char model[STR_CAP], hardware[STR_CAP], from[STR_CAP], to[STR_CAP], prune[STR_CAP], mode[STR_CAP];
    double batch_size, seq_len, efficiency, sparsity;
} compress_req;

#define CF(k, t, m, lo, hi, d, s) {k, t, offsetof(compress_req, m), lo, hi, d, s}
static const field COMPRESS_FIELDS[] = {
    CF("model", F_STR, model, 0, 0, 0, NULL),
    CF("hardware", F_STR, hardware, 0, 0, 0, NULL),
    CF("from", F_STR, from, 0, 0, 0, "fp16"),
    CF("to", F_STR, to, 0, 0, 0, "int8"),
    CF("prune", F_STR, prune, 0, 0, 0, "none"),
    CF("mode", F_STR, mode, 0, 0, 0, "inference"),
    CF("batch_size", F_INT, batch_size, 1, 1e6, 1, NULL),
    CF("seq_len", F_INT, seq_len, 1, 1e7, 2048, NULL),
    CF("efficiency", F_NUM, efficiency, 0.01, 1, MS_DEFAULT_EFFICIENCY, NULL),
    CF("sparsity", F_NUM, sparsity, 0, 0.99, 0, NULL),
};

static int api_compress(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    compress_req q;
    if (read_fields(req, COMPRESS_FIELDS, sizeof COMPRESS_FIELDS / sizeof COMPRESS_FIELDS[0], &q, r))
        return r->status;
    const ms_model *m = find_model(c, q.model, r);
    if (!m) return r->status;
    const ms_hardware *h = find_hardware(c, q.hardware, r);
    if (!h) return r->status;
    ms_compress_input ci = {0};
    if (ms_precision_parse(q.from, &ci.base)) return labs_reply_error(r, 400, "from", "unknown precision");
    if (ms_precision_parse(q.to, &ci.target)) return labs_reply_error(r, 400, "to", "unknown precision");
    static const struct { const char *name; ms_prune p; } prunes[] = {
        {"none", MS_PRUNE_NONE}, {"unstructured", MS_PRUNE_UNSTRUCTURED},
        {"structured", MS_PRUNE_STRUCTURED}, {"2:4", MS_PRUNE_2_4}};
    size_t k = 0;
    while (k < 4 && strcmp(prunes[k].name, q.prune)) k++;
    if (k == 4) return labs_reply_error(r, 400, "prune", "expected none, unstructured, structured or 2:4");
    ci.prune = prunes[k].p;
    ci.sparsity = ci.prune == MS_PRUNE_2_4 ? 0.5 : ci.prune == MS_PRUNE_NONE ? 0 : q.sparsity;
    ms_workload w;
    ms_workload_default(&w);
    if (ms_mode_parse(q.mode, &w.mode)) return labs_reply_error(r, 400, "mode", "expected inference or training");
    w.batch_size = (int)q.batch_size;
    w.seq_len = (int)q.seq_len;
    w.precision = ci.base;
    w.efficiency = q.efficiency;
    ms_compress_result o;
    ms_compress(m, h, &w, &ci, &o);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", m->name);
    cJSON_AddStringToObject(j, "hardware", h->name);
    cJSON_AddStringToObject(j, "from", ms_precision_name(ci.base));
    cJSON_AddStringToObject(j, "to", ms_precision_name(ci.target));
    cJSON_AddStringToObject(j, "prune", prunes[k].name);
    cJSON_AddNumberToObject(j, "sparsity", ci.sparsity);
    cJSON_AddNumberToObject(j, "weights_before_bytes", o.weights_before_bytes);
    cJSON_AddNumberToObject(j, "weights_after_bytes", o.weights_after_bytes);
    cJSON_AddNumberToObject(j, "compression_ratio", o.compression_ratio);
    cJSON_AddNumberToObject(j, "latency_before_s", o.latency_before_s);
    cJSON_AddNumberToObject(j, "latency_after_s", o.latency_after_s);
    cJSON_AddNumberToObject(j, "speedup", o.speedup);
    cJSON_AddNumberToObject(j, "memory_capacity_bytes", h->mem_bytes);
    cJSON_AddBoolToObject(j, "feasible_before", o.feasible_before);
    cJSON_AddBoolToObject(j, "feasible_after", o.feasible_after);
    return reply_json(r, 200, j);
}

/* ---------------------------------------------------------------------------------------------
 * POST /api/sweep: {"endpoint", "request", "knob", "values" | "from"/"to"/"steps"/"scale"}
 * The knob is a dotted path into the request ("workload.batch_size"); each point is the
 * endpoint's own reply, so a curve and a single evaluation can never disagree.
 * ------------------------------------------------------------------------------------------- */

static int dispatch_post(const labs_ctx *c, const char *name, const char *body, size_t len, labs_reply *r);

static cJSON *knob_slot(cJSON *req, const char *path, cJSON **parent, char *leaf, size_t cap)
{
    char buf[128];
    if (strlen(path) >= sizeof buf) return NULL;
    strcpy(buf, path);
    cJSON *obj = req;
    char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
    while (tok && (next = strtok_r(NULL, ".", &save))) {
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(obj, tok);
        if (!sub) sub = cJSON_AddObjectToObject(obj, tok);
        if (!cJSON_IsObject(sub)) return NULL;
        obj = sub;
        tok = next;
    }
    if (!tok || strlen(tok) >= cap) return NULL;
    strcpy(leaf, tok);
    *parent = obj;
    return obj;
}

static int api_sweep(const labs_ctx *c, cJSON *req, labs_reply *r)
{
    if (!cJSON_IsObject(req)) return labs_reply_error(r, 400, "body", "expected a JSON object");
    static const char *const allowed[] = {"endpoint", "request", "knob", "values", "from", "to", "steps", "scale"};
    for (const cJSON *it = req->child; it; it = it->next) {
        size_t i = 0;
        while (i < 8 && strcmp(allowed[i], it->string)) i++;
        if (i == 8) return labs_reply_error(r, 400, it->string, "unknown field");
    }
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(req, "endpoint");
    const cJSON *knob = cJSON_GetObjectItemCaseSensitive(req, "knob");
    cJSON *base = cJSON_GetObjectItemCaseSensitive(req, "request");
    if (!cJSON_IsString(ep) || (strcmp(ep->valuestring, "eval") && strcmp(ep->valuestring, "serve") &&
                                strcmp(ep->valuestring, "train") && strcmp(ep->valuestring, "compress")))
        return labs_reply_error(r, 400, "endpoint", "expected eval, serve, train or compress");
    if (!cJSON_IsObject(base)) return labs_reply_error(r, 400, "request", "expected the endpoint's request object");
    if (!cJSON_IsString(knob) || !knob->valuestring[0])
        return labs_reply_error(r, 400, "knob", "expected a field name (dotted for plans: workload.batch_size)");
    /* the values: a list (numbers or strings), or a numeric range */
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(req, "values");
    cJSON *list = NULL;
    if (vals) {
        if (!cJSON_IsArray(vals)) return labs_reply_error(r, 400, "values", "expected an array");
        int n = cJSON_GetArraySize(vals);
        if (n < 1 || n > LABS_MAX_SWEEP) return labs_reply_error(r, 400, "values", "expected 1 to 256 values");
        for (const cJSON *v = vals->child; v; v = v->next)
            if (!cJSON_IsNumber(v) && !cJSON_IsString(v))
                return labs_reply_error(r, 400, "values", "expected numbers or strings");
        list = cJSON_Duplicate(vals, 1);
    } else {
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(req, "from");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
        const cJSON *steps = cJSON_GetObjectItemCaseSensitive(req, "steps");
        const cJSON *scale = cJSON_GetObjectItemCaseSensitive(req, "scale");
        if (!cJSON_IsNumber(from) || !isfinite(from->valuedouble))
            return labs_reply_error(r, 400, "from", "expected a number (or give values)");
        if (!cJSON_IsNumber(to) || !isfinite(to->valuedouble)) return labs_reply_error(r, 400, "to", "expected a number");
        if (!cJSON_IsNumber(steps) || steps->valuedouble < 2 || steps->valuedouble > LABS_MAX_SWEEP ||
            steps->valuedouble != floor(steps->valuedouble))
            return labs_reply_error(r, 400, "steps", "expected an integer in [2, 256]");
        int lg = 0;
        if (scale) {
            if (!cJSON_IsString(scale) || (strcmp(scale->valuestring, "log") && strcmp(scale->valuestring, "linear")))
                return labs_reply_error(r, 400, "scale", "expected linear or log");
            lg = !strcmp(scale->valuestring, "log");
        }
        double a = from->valuedouble, b = to->valuedouble;
        if (lg && !(a > 0 && b > 0)) return labs_reply_error(r, 400, "from", "a log scale needs from, to > 0");
        int n = (int)steps->valuedouble;
        list = cJSON_CreateArray();
        for (int i = 0; list && i < n; i++) {
            double t = (double)i / (n - 1);
            double x = lg ? exp(log(a) + t * (log(b) - log(a))) : a + t * (b - a);
            cJSON_AddItemToArray(list, cJSON_CreateNumber(x));
        }
    }
    if (!list) return labs_reply_error(r, 500, NULL, "out of memory");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "endpoint", ep->valuestring);
    cJSON_AddStringToObject(out, "knob", knob->valuestring);
    cJSON_AddItemToObject(out, "values", list);
    cJSON *res = cJSON_AddArrayToObject(out, "results");
    for (const cJSON *v = list->child; v; v = v->next) {
        cJSON *one = cJSON_Duplicate(base, 1), *parent = NULL;
        char leaf[64];
        if (!one || !knob_slot(one, knob->valuestring, &parent, leaf, sizeof leaf)) {
            cJSON_Delete(one);
            cJSON_Delete(out);
            return labs_reply_error(r, 400, "knob", "not a usable field path");
        }
        cJSON *nv = cJSON_Duplicate(v, 0);
        if (cJSON_GetObjectItemCaseSensitive(parent, leaf)) cJSON_ReplaceItemInObjectCaseSensitive(parent, leaf, nv);
        else cJSON_AddItemToObject(parent, leaf, nv);
        char *s = cJSON_PrintUnformatted(one);
        cJSON_Delete(one);
        labs_reply pr = {0};
        if (s) dispatch_post(c, ep->valuestring, s, strlen(s), &pr);
        free(s);
        cJSON *pj = pr.body ? cJSON_Parse(pr.body) : NULL;
        if (pr.status != 200 && pj) cJSON_AddNumberToObject(pj, "status", pr.status);
        cJSON_AddItemToArray(res, pj ? pj : cJSON_CreateNull());
        int bad = pr.status == 400 && pj && cJSON_GetObjectItemCaseSensitive(pj, "field");
        if (bad && v == list->child) {
            /* the base request itself is wrong: report it as the request's error */
            labs_reply_free(r);
            *r = pr;
            r->status = 400;
            cJSON_Delete(out);
            return 400;
        }
        labs_reply_free(&pr);
    }
    return reply_json(r, 200, out);
}

/* ---------------------------------------------------------------------------------------------
 * Stand-alone solvers: GET /api/solve lists them with their fields; POST /api/solve/NAME runs one.
 * Both read MLSys·im's solver table (solvers.h), so every `mlsysim solve` verb is an endpoint;
 * a field is the solver's argument name with '_' for '-' (service_ms for --service-ms).
 * ------------------------------------------------------------------------------------------- */

static void json_key(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) out[i] = name[i] == '-' ? '_' : name[i];
    out[i] = 0;
}

static int api_solve_list(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    (void)c, (void)req;
    static const char *const types[] = {"number", "integer", "choice", "model", "hardware", "precision", "grid"};
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "solvers");
    for (size_t i = 0; arr && i < ms_solver_count(); i++) {
        const ms_solver *s = ms_solver_at(i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", s->name);
        cJSON_AddStringToObject(o, "title", s->title);
        cJSON_AddStringToObject(o, "summary", s->summary);
        cJSON_AddStringToObject(o, "formula", s->formula);
        cJSON *args = cJSON_AddArrayToObject(o, "fields");
        for (int k = 0; args && s->args[k].name; k++) {
            const ms_solve_arg *a = &s->args[k];
            char key[64];
            json_key(a->name, key, sizeof key);
            cJSON *f = cJSON_CreateObject();
            cJSON_AddItemToArray(args, f);
            cJSON_AddStringToObject(f, "name", key);
            cJSON_AddStringToObject(f, "type", types[a->type]);
            cJSON_AddStringToObject(f, "unit", a->unit);
            cJSON_AddBoolToObject(f, "required", a->required);
            if (a->type == MS_SARG_NUM || a->type == MS_SARG_INT) {
                cJSON_AddNumberToObject(f, "min", a->min);
                cJSON_AddNumberToObject(f, "max", a->max);
                if (!a->required) cJSON_AddNumberToObject(f, "default", a->def);
            } else if (a->sdef) {
                cJSON_AddStringToObject(f, "default", a->sdef);
            }
            if (a->choices) cJSON_AddStringToObject(f, "choices", a->choices);
            cJSON_AddStringToObject(f, "help", a->help);
        }
    }
    return reply_json(r, 200, out);
}

static int api_solve(const labs_ctx *c, const char *name, const char *body, size_t len, labs_reply *r)
{
    const ms_solver *s = ms_solver_find(name);
    if (!s) return labs_reply_error(r, 404, NULL, "no such solver (GET /api/solve lists them)");
    cJSON *req = parse_body(body, len, r);
    if (!req) return r->status;
    if (!cJSON_IsObject(req)) {
        cJSON_Delete(req);
        return labs_reply_error(r, 400, "body", "expected a JSON object of the solver's fields");
    }
    ms_solve_values v;
    ms_solve_values_init(&v);
    char err[512], key[64];
    for (const cJSON *it = req->child; it; it = it->next) {
        const char *k = it->string ? it->string : "";
        int i = strchr(k, '-') ? -1 : ms_solver_arg_index(s, k);
        int bad;
        if (i < 0) {
            snprintf(err, sizeof err, "unknown field '%.60s' for solver %s (GET /api/solve lists its fields)", k, s->name);
            bad = 1;
        } else if (cJSON_IsNumber(it)) {
            bad = ms_solver_set_num(s, i, it->valuedouble, &v, err, sizeof err);
        } else if (cJSON_IsString(it) && s->args[i].type != MS_SARG_NUM && s->args[i].type != MS_SARG_INT) {
            bad = ms_solver_set_text(s, i, it->valuestring, &v, err, sizeof err);
        } else {
            snprintf(err, sizeof err, "expected %s", s->args[i].type <= MS_SARG_INT ? "a number" : "a string");
            bad = 1;
        }
        if (bad) {
            int st = labs_reply_error(r, 400, k[0] ? k : "body", err);
            cJSON_Delete(req);
            return st;
        }
    }
    cJSON_Delete(req);
    ms_result *res = malloc(sizeof *res);
    if (!res) return labs_reply_error(r, 500, NULL, "out of memory");
    int bad = -1, st;
    if (ms_solver_run(s, c->reg, &v, res, &bad, err, sizeof err)) {
        if (bad >= 0) json_key(s->args[bad].name, key, sizeof key);
        st = labs_reply_error(r, 400, bad >= 0 ? key : "body", err);
    } else {
        size_t n = ms_result_json(res, NULL, 0);
        char *buf = malloc(n + 1);
        if (!buf) st = labs_reply_error(r, 500, NULL, "out of memory");
        else {
            ms_result_json(res, buf, n + 1);
            r->status = st = 200;
            r->body = buf;
            r->len = strlen(buf);
        }
    }
    ms_result_free(res);
    free(res);
    return st;
}

/* GET /api/scenarios: the registry's named scenarios (registry/scenarios.yaml); a lab evaluates
 * one by POSTing its `plan` text to /api/eval, exactly as `mlsysim scenario eval NAME` does. */
static int api_scenarios(const labs_ctx *c, const cJSON *req, labs_reply *r)
{
    (void)req;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "scenarios");
    for (size_t i = 0; arr && i < ms_registry_scenario_count(c->reg); i++) {
        const ms_scenario *sc = ms_registry_scenario_at(c->reg, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", sc->name);
        cJSON_AddStringToObject(o, "title", sc->title);
        cJSON_AddStringToObject(o, "question", sc->question);
        cJSON_AddStringToObject(o, "source", sc->source);
        cJSON_AddStringToObject(o, "plan", sc->plan);
    }
    return reply_json(r, 200, out);
}

/* ---------------------------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------------------------- */

static int dispatch_post(const labs_ctx *c, const char *name, const char *body, size_t len, labs_reply *r)
{
    if (!strcmp(name, "eval")) return api_eval(c, body, len, r);
    cJSON *req = parse_body(body, len, r);
    if (!req) return r->status;
    int st;
    if (!strcmp(name, "serve")) st = api_serve(c, req, r);
    else if (!strcmp(name, "train")) st = api_train(c, req, r);
    else if (!strcmp(name, "compress")) st = api_compress(c, req, r);
    else st = api_sweep(c, req, r);
    cJSON_Delete(req);
    return st;
}

typedef int (*get_fn)(const labs_ctx *, const cJSON *, labs_reply *);

int labs_api(const labs_ctx *c, const char *method, const char *path, const char *body, size_t len,
             labs_reply *r)
{
    static const struct { const char *path; get_fn get; int post; } routes[] = {
        {"/api/labs", api_labs, 0},       {"/api/registry", api_registry, 0},
        {"/api/measured", api_measured, 2}, {"/api/eval", NULL, 1},
        {"/api/serve", NULL, 1},          {"/api/train", NULL, 1},
        {"/api/compress", NULL, 1},       {"/api/sweep", NULL, 1},
        {"/api/solve", api_solve_list, 0}, {"/api/scenarios", api_scenarios, 0},
    };
    memset(r, 0, sizeof *r);
    if (len > LABS_MAX_BODY) return labs_reply_error(r, 413, "body", "request body too large (limit 64 KiB)");
    if (!strncmp(path, "/api/staffml/", 13)) {   /* stateful: never cached */
        cJSON *req = NULL;
        if (!strcmp(method, "POST") && !(req = parse_body(body, len, r))) return r->status;
        int st = labs_staffml_api(c->sml, method, path + 13, req, r);
        cJSON_Delete(req);
        return st;
    }
    if (!strncmp(path, "/api/solve/", 11)) {
        if (strcmp(method, "POST")) return labs_reply_error(r, 405, NULL, "use POST");
        if (labs_cache_get(c->cache, path, body, len, r)) return 200;
        int st = api_solve(c, path + 11, body, len, r);
        labs_cache_put(c->cache, path, body, len, r);
        return st;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(path, routes[i].path)) continue;
        if (routes[i].post == 2 && !strcmp(method, "POST")) {   /* GET or POST */
            cJSON *req = parse_body(body, len, r);
            if (!req) return r->status;
            int st = routes[i].get(c, req, r);
            cJSON_Delete(req);
            return st;
        }
        if (routes[i].post == 1) {
            if (strcmp(method, "POST")) return labs_reply_error(r, 405, NULL, "use POST");
            if (labs_cache_get(c->cache, path, body, len, r)) return 200;
            int st = dispatch_post(c, routes[i].path + 5, body, len, r);
            labs_cache_put(c->cache, path, body, len, r);
            return st;
        }
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) return labs_reply_error(r, 405, NULL, "use GET");
        return routes[i].get(c, NULL, r);
    }
    return labs_reply_error(r, 404, NULL, "no such API endpoint (GET /api/labs lists the labs)");
}

/* ---------------------------------------------------------------------------------------------
 * Context
 * ------------------------------------------------------------------------------------------- */

labs_ctx *labs_ctx_new(const char *measured_path, char *err, size_t errlen)
{
    labs_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->reg = ms_registry_new(err, errlen);
    c->cache = c->reg && !getenv("LABS_NO_CACHE") ? labs_cache_new() : NULL;
    if (!c->reg || (!c->cache && !getenv("LABS_NO_CACHE"))) {
        if (c->reg && !c->cache) snprintf(err, errlen, "out of memory");
        ms_registry_free(c->reg);
        free(c);
        return NULL;
    }
    if (measured_path && labs_read_json_file(measured_path, &c->measured, &c->measured_len, err, errlen)) {
        labs_ctx_free(c);
        return NULL;
    }
    return c;
}

int labs_ctx_open_staffml(labs_ctx *c, const char *db_path, const char *vault_dir, char *err, size_t errlen)
{
    labs_staffml_close(c->sml);
    c->sml = labs_staffml_open(db_path, vault_dir, err, errlen);
    return c->sml ? 0 : -1;
}

void labs_ctx_free(labs_ctx *c)
{
    if (!c) return;
    ms_registry_free(c->reg);
    labs_cache_free(c->cache);
    labs_staffml_close(c->sml);
    free(c->measured);
    free(c);
}
