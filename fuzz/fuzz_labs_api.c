/* fuzz_labs_api.c - the labs' HTTP API (labs_api: method + path + body -> status + JSON), as the
 * libmicrohttpd front calls it for every request a browser or a script sends.
 *
 * Input layout: byte 0 picks the method (GET, POST, HEAD, PUT, DELETE, PATCH, OPTIONS, or the
 * bytes up to the first space as a method of its own), then the path up to the first '\n' (a
 * NUL-terminated string, as the server passes it), then the body (any bytes).
 * Properties: every request gets a complete reply: a status in 200..599, a NUL-terminated body of
 * the stated length that parses as JSON; an error reply (>= 400) carries "error". The reply cache
 * is off (LABS_NO_CACHE=1) so each input is evaluated. */
#include "fuzz_util.h"
#include "labs/api.h"

#include <cjson/cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static labs_ctx *ctx;
    if (!ctx) {
        char err[512] = "";
        setenv("LABS_NO_CACHE", "1", 1);
        ctx = labs_ctx_new(NULL, err, sizeof err);
        FUZZ_CHECK(ctx != NULL, "labs_ctx_new: %s", err);
    }
    if (size == 0) return 0;
    static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"};
    char method[16], path[1024];
    size_t i = 1;
    unsigned pick = data[0] % 8u;
    if (pick < 7) {
        snprintf(method, sizeof method, "%s", methods[pick]);
    } else {
        size_t m = 0;
        while (i < size && data[i] != ' ' && data[i] != '\n' && m + 1 < sizeof method)
            method[m++] = (char)data[i++];
        method[m] = 0;
        if (i < size && data[i] == ' ') i++;
    }
    size_t p = 0;
    while (i < size && data[i] != '\n' && p + 1 < sizeof path) {
        char ch = (char)data[i++];
        path[p++] = ch ? ch : '?'; /* the server's URL is a C string */
    }
    path[p] = 0;
    if (i < size && data[i] == '\n') i++;
    /* The body is handed over as the server does: bytes plus a length, NUL-terminated after it. */
    size_t blen = size - i;
    char *body = malloc(blen + 1);
    FUZZ_CHECK(body != NULL, "out of memory");
    memcpy(body, data + i, blen);
    body[blen] = 0;

    labs_reply r = {0};
    int st = labs_api(ctx, method, path, body, blen, &r);
    FUZZ_CHECK(st == r.status, "returned %d, reply says %d", st, r.status);
    FUZZ_CHECK(st >= 200 && st <= 599, "status %d for %s %s", st, method, path);
    FUZZ_CHECK(r.body != NULL, "no body (status %d)", st);
    FUZZ_CHECK(strlen(r.body) == r.len, "len %zu, strlen %zu", r.len, strlen(r.body));
    cJSON *j = cJSON_ParseWithLength(r.body, r.len);
    FUZZ_CHECK(j != NULL, "reply is not JSON: %.200s", r.body);
    if (st >= 400) FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(j, "error") != NULL, "error reply without \"error\": %.200s", r.body);
    cJSON_Delete(j);
    labs_reply_free(&r);
    free(body);
    return 0;
}
