/* api.h - the labs' JSON API over libmlsysim, independent of any HTTP server.
 *
 * One request = method + path + body; one reply = an HTTP status and a JSON body. The server
 * (server.c) and the tests call labs_api() the same way, so everything a page can ask is testable
 * without a socket. Every endpoint is one function over one library call:
 *
 *   GET  /api/labs       the lab list: [{"id", "title", "path"}]
 *   GET  /api/registry   devices, models, grids (names, titles and the figures the pages plot)
 *   POST /api/eval       a plan (JSON, same schema as the plan YAML) -> what `mlsysim -o json eval
 *                        PLAN` prints for it
 *   POST /api/serve      LLM serving: TTFT, ITL, KV cache, M/M/c tail latency, cost per token
 *   POST /api/train      a distributed training plan (plan schema) -> step, memory, reliability
 *   POST /api/compress   quantization / pruning of one model on one device
 *   POST /api/sweep      one knob of one of the requests above over a list or range of values
 *   /api/staffml/...     the StaffML practice page (next, answer, progress, search) once
 *                        labs_ctx_open_staffml succeeded; 503 otherwise
 *   GET  /api/measured   measured TinyTorch points (a profile/bench JSON file), if one is set
 *
 * Errors: a bad request is a 400 with {"error": reason, "field": name}; an unknown path 404; a
 * known path with the wrong method 405. Bodies are bounded by LABS_MAX_BODY (the server answers
 * 413 above it). Any number of threads may call labs_api() on one context at once: the registry
 * is read-only after labs_ctx_new and the reply cache (identical POST requests get the stored
 * reply; every endpoint is a pure function of its request) locks per slot. LABS_NO_CACHE=1 in
 * the environment turns the cache off. */
#ifndef LABS_API_H
#define LABS_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LABS_MAX_BODY (64 * 1024)   /* bytes of a request body */
#define LABS_MAX_SWEEP 256          /* points of one /api/sweep */

typedef struct labs_ctx labs_ctx;

typedef struct {
    int status;      /* HTTP status */
    char *body;      /* JSON, NUL-terminated, malloc'd (free with labs_reply_free) */
    size_t len;      /* strlen(body) */
} labs_reply;

/* measured_path: a JSON file of measured points for /api/measured, or NULL for none. Returns NULL
 * with a message in err when the registry cannot be built. */
labs_ctx *labs_ctx_new(const char *measured_path, char *err, size_t errlen);
void labs_ctx_free(labs_ctx *c);
/* Opens the StaffML vault and progress database for /api/staffml/ (NULLs: the staffml CLI's
 * defaults, so the browser and the terminal share one database). 0 ok, -1 with a reason. */
int labs_ctx_open_staffml(labs_ctx *c, const char *db_path, const char *vault_dir, char *err, size_t errlen);

/* Handles one request. Returns reply->status (always a complete reply, also on errors). */
int labs_api(const labs_ctx *c, const char *method, const char *path, const char *body, size_t len,
             labs_reply *reply);
void labs_reply_free(labs_reply *r);

/* The labs, in curriculum order (the same list GET /api/labs returns). */
typedef struct {
    const char *id;     /* page: /labs/<id>.html, the template web/lab.html with this id */
    const char *title;
} labs_lab;
size_t labs_count(void);
const labs_lab *labs_at(size_t i);
const labs_lab *labs_find(const char *id);   /* the listed lab of that id, or NULL */

#ifdef __cplusplus
}
#endif
#endif
