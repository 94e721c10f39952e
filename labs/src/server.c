/* server.c - libmicrohttpd front of the labs: /api/... goes to labs_api(), /labs/<id>.html to the
 * one lab page template filled with the lab's id, everything else is a static file under the web
 * root (see labs/server.h for the security invariants).
 *
 * A request's body is gathered in a per-connection buffer bounded by LABS_MAX_BODY; a larger
 * Content-Length is refused with 413 before any byte of the body is read. */
#define _GNU_SOURCE
#include "labs/server.h"
#include "labs_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct labs_server {
    struct MHD_Daemon *d;
    const labs_ctx *ctx;
    char root[PATH_MAX];     /* real path of the web root, no trailing slash */
    size_t root_len;
    int port;
};

typedef struct {
    char *buf;
    size_t len;
    int too_big;
} body;

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static MHD_RESULT respond(struct MHD_Connection *c, int status, struct MHD_Response *resp, const char *type,
                       int api)
{
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", api ? "no-store" : "no-cache");
    MHD_RESULT ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static MHD_RESULT send_json(struct MHD_Connection *c, int status, const char *json)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    return respond(c, status, r, "application/json", 1);
}

static MHD_RESULT send_reply(struct MHD_Connection *c, labs_reply *rep)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        labs_reply_free(rep);
        return MHD_NO;
    }
    rep->body = NULL;   /* owned by the response now */
    return respond(c, rep->status, r, "application/json", 1);
}

static const char *content_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},               {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* A URL path is safe when it starts with '/', has no backslash and no "." or ".." segment. The
 * path is already percent-decoded, so "%2e%2e" arrives here as "..". */
static int path_safe(const char *url)
{
    if (url[0] != '/' || strchr(url, '\\')) return 0;
    for (const char *s = url; *s;) {
        while (*s == '/') s++;
        const char *e = s;
        while (*e && *e != '/') e++;
        size_t n = (size_t)(e - s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
        s = e;
    }
    return 1;
}

static MHD_RESULT serve_static(labs_server *s, struct MHD_Connection *c, const char *url, int head)
{
    char want[PATH_MAX], real[PATH_MAX];
    size_t ul = strlen(url);
    int dir = ul > 0 && url[ul - 1] == '/';
    if (!path_safe(url)) return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    int n = snprintf(want, sizeof want, "%s%s%s", s->root, url, dir ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof want || !realpath(want, real))
        return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    /* symlinks must not lead out of the root */
    if (strncmp(real, s->root, s->root_len) || real[s->root_len] != '/')
        return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    }
    struct MHD_Response *r;
    if (head) {
        close(fd);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);   /* closes fd */
        if (!r) close(fd);
    }
    return respond(c, 200, r, content_type(real), 0);
}

/* Every lab's page is one template under the web root, LAB_TEMPLATE, with each "{{lab}}" replaced
 * by the lab's id (a listed id, letters and '-': nothing to escape); only the lab's script,
 * /js/labs/<id>.js, differs. /labs/<id>.html serves it for a listed id; the raw template is not
 * served. */
#define LAB_TEMPLATE "/lab.html"
#define LAB_TEMPLATE_MAX 65536

static const labs_lab *lab_of_url(const char *url)
{
    static const char pre[] = "/labs/", suf[] = ".html";
    size_t n = strlen(url), pl = sizeof pre - 1, sl = sizeof suf - 1;
    char id[64];
    if (n <= pl + sl || n - pl - sl >= sizeof id || strncmp(url, pre, pl) || strcmp(url + n - sl, suf)) return NULL;
    memcpy(id, url + pl, n - pl - sl);
    id[n - pl - sl] = 0;
    return labs_find(id);
}

static MHD_RESULT serve_lab(labs_server *s, struct MHD_Connection *c, const labs_lab *lab, int head)
{
    static const char mark[] = "{{lab}}";
    char path[PATH_MAX];
    int pn = snprintf(path, sizeof path, "%s%s", s->root, LAB_TEMPLATE);
    FILE *f = pn > 0 && (size_t)pn < sizeof path ? fopen(path, "rb") : NULL;
    char *tpl = f ? malloc(LAB_TEMPLATE_MAX + 1) : NULL;
    size_t tn = tpl ? fread(tpl, 1, LAB_TEMPLATE_MAX, f) : 0;
    if (f) fclose(f);
    if (!tpl || tn == 0 || tn == LAB_TEMPLATE_MAX) {
        free(tpl);
        return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    }
    tpl[tn] = 0;
    size_t ml = sizeof mark - 1, il = strlen(lab->id), k = 0;
    for (const char *p = tpl; (p = strstr(p, mark)); p += ml) k++;
    char *out = malloc(tn + k * il + 1), *o = out;
    if (!out) {
        free(tpl);
        return MHD_NO;
    }
    for (const char *p = tpl, *q; *p; p = q + ml) {
        if (!(q = strstr(p, mark))) { strcpy(o, p); o += strlen(p); break; }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, lab->id, il);
        o += il;
    }
    *o = 0;
    free(tpl);
    struct MHD_Response *r;
    if (head) {
        free(out);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer((size_t)(o - out), out, MHD_RESPMEM_MUST_FREE);
        if (!r) free(out);
    }
    return respond(c, 200, r, "text/html; charset=utf-8", 0);
}

static MHD_RESULT handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    labs_server *s = cls;
    body *b = *state;
    if (!b) {                                   /* first call: headers only */
        b = calloc(1, sizeof *b);
        if (!b) return MHD_NO;
        *state = b;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno || end == cl || v > LABS_MAX_BODY) {
                b->too_big = 1;
                return send_json(c, 413, "{\"error\": \"request body too large (limit 64 KiB)\", \"field\": \"body\"}");
            }
        }
        return MHD_YES;
    }
    if (b->too_big && *upload_size) {           /* a response is queued; drop the rest */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (b->len + *upload_size > LABS_MAX_BODY) {
            b->too_big = 1;
        } else {
            char *nb = realloc(b->buf, b->len + *upload_size + 1);
            if (!nb) return MHD_NO;
            b->buf = nb;
            memcpy(b->buf + b->len, upload, *upload_size);
            b->len += *upload_size;
            b->buf[b->len] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (b->too_big)
        return send_json(c, 413, "{\"error\": \"request body too large (limit 64 KiB)\", \"field\": \"body\"}");
    if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api")) {
        labs_reply rep;
        labs_api(s->ctx, method, url, b->buf, b->len, &rep);
        return send_reply(c, &rep);
    }
    int head = !strcmp(method, "HEAD");
    if (strcmp(method, "GET") && !head)
        return send_json(c, 405, "{\"error\": \"use GET for pages\", \"field\": null}");
    const labs_lab *lab = lab_of_url(url);
    if (lab) return serve_lab(s, c, lab, head);
    if (!strcmp(url, LAB_TEMPLATE)) return send_json(c, 404, "{\"error\": \"not found\", \"field\": null}");
    return serve_static(s, c, url, head);
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    body *b = *state;
    if (b) {
        free(b->buf);
        free(b);
        *state = NULL;
    }
}

labs_server *labs_server_start(const labs_ctx *ctx, const labs_server_opts *o, char *err, size_t errlen)
{
    labs_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->ctx = ctx;
    if (!o->web_root || !realpath(o->web_root, s->root)) {
        snprintf(err, errlen, "web root '%s': %s", o->web_root ? o->web_root : "(none)", strerror(errno));
        free(s);
        return NULL;
    }
    s->root_len = strlen(s->root);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    const char *bind = o->bind ? o->bind : "127.0.0.1";
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "--bind '%s': not an IPv4 address", bind);
        free(s);
        return NULL;
    }
    /* one worker per CPU this process may run on (taskset / cgroup limits included) */
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads ? o->threads : (unsigned)(cpus > 0 ? cpus : 1);
    unsigned timeout = o->timeout_s ? o->timeout_s : 10;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)o->port, NULL, NULL,
                            handle, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)256,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (port in use, or not allowed)", bind, o->port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    return s;
}

int labs_server_port(const labs_server *s) { return s->port; }

void labs_server_stop(labs_server *s)
{
    if (!s) return;
    MHD_stop_daemon(s->d);
    free(s);
}
