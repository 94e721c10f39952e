/* labs_internal.h - pieces of the labs server shared between its files (not installed). */
#ifndef LABS_INTERNAL_H
#define LABS_INTERNAL_H

#include "labs/api.h"
#include "mlsysim/registry.h"

#include <stddef.h>

/* A 400/404/413/... reply {"error": reason, "field": field-or-null}. Returns status. */
int labs_reply_error(labs_reply *r, int status, const char *field, const char *reason);

/* POST /api/eval: the plan (YAML or JSON text) evaluated as `mlsysim -o json eval PLAN` does. */
int labs_eval_plan(const ms_registry *reg, const char *plan, size_t len, labs_reply *r);
/* POST /api/train: a training plan on one or more accelerators; interval_s > 0 adds the goodput
 * at that checkpoint interval (goodput_at_interval). */
int labs_train_plan(const ms_registry *reg, const char *plan, size_t len, double interval_s,
                    labs_reply *r);

/* Reads a JSON file of measured points ({"points": [...]}, at most 4 MiB) into *out
 * (NUL-terminated, compact JSON). Returns 0, or -1 with "file: reason" in err. */
int labs_read_json_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* The reply cache (cache.c): POST replies keyed by path + body, direct-mapped, one lock per slot. */
#define LABS_CACHE_SLOTS 1024
#define LABS_CACHE_MAX_REPLY (32 * 1024)   /* larger replies (long sweeps) are not kept */
typedef struct labs_cache labs_cache;
labs_cache *labs_cache_new(void);
void labs_cache_free(labs_cache *c);
/* 1 and a copy of the stored reply in *r on a hit; 0 on a miss. */
int labs_cache_get(labs_cache *c, const char *path, const char *body, size_t len, labs_reply *r);
/* Stores a 200 reply (others are not kept). */
void labs_cache_put(labs_cache *c, const char *path, const char *body, size_t len, const labs_reply *r);

/* The StaffML practice API (staffml.c): vault + the CLI's SQLite progress database. */
typedef struct labs_staffml labs_staffml;
/* db_path NULL = the CLI's default database; vault_dir NULL = the CLI's default vault. */
labs_staffml *labs_staffml_open(const char *db_path, const char *vault_dir, char *err, size_t errlen);
void labs_staffml_close(labs_staffml *s);
/* sub: "next", "answer", "progress" or "search"; s NULL answers 503. */
struct cJSON;
int labs_staffml_api(labs_staffml *s, const char *method, const char *sub, const struct cJSON *req, labs_reply *r);

#endif
