/* json_file.c - reads the measured-points file served at /api/measured.
 * Shape: {"machine": text, "hardware": registry name or null, "peak_flop_per_s": x,
 *         "bandwidth_bytes_per_s": y, "points": [{"name", "flop", "bytes", "seconds"}, ...]}.
 * The file is checked once at start-up (size bound, JSON syntax, every point's fields finite and
 * positive) so a page never receives something it cannot draw. */
#include "labs_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (4u << 20)

static int positive(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0;
}

int labs_read_json_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (n > MAX_FILE) {
        free(buf);
        snprintf(err, errlen, "%s: larger than 4 MiB", path);
        return -1;
    }
    cJSON *j = cJSON_ParseWithLength(buf, n);
    free(buf);
    if (!j) {
        snprintf(err, errlen, "%s: not valid JSON", path);
        return -1;
    }
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(j, "points");
    const char *why = NULL;
    int bad = -1, i = 0;
    if (!cJSON_IsObject(j)) why = "expected a JSON object";
    else if (!cJSON_IsArray(pts) || cJSON_GetArraySize(pts) == 0) why = "points: expected a non-empty array";
    else if (!positive(j, "peak_flop_per_s") || !positive(j, "bandwidth_bytes_per_s"))
        why = "peak_flop_per_s and bandwidth_bytes_per_s: expected positive numbers";
    else
        for (const cJSON *p = pts->child; p; p = p->next, i++)
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "name")) || !positive(p, "flop") ||
                !positive(p, "bytes") || !positive(p, "seconds")) {
                bad = i;
                break;
            }
    if (why || bad >= 0) {
        if (why) snprintf(err, errlen, "%s: %s", path, why);
        else snprintf(err, errlen, "%s: points[%d]: expected name and positive flop, bytes, seconds", path, bad);
        cJSON_Delete(j);
        return -1;
    }
    *out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!*out) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *len = strlen(*out);
    return 0;
}
