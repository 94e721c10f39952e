/* test_server.c - the HTTP side of mlsb-labs over real sockets: content types and security
 * headers, path traversal (plain, percent-encoded, symlinks out of the root), 404/405/413, the
 * API through HTTP, and malformed-request fuzzing (random bytes, truncated and huge headers)
 * after which the server must still answer. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "labs/api.h"
#include "labs/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static labs_ctx *ctx;
static labs_server *srv;
static char root[256];      /* a temporary web root: a page, a subfolder, symlinks */
static char outside[256];   /* a file outside the root */

static int connect_srv(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)labs_server_port(srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Sends raw bytes, reads the whole reply (the server closes: requests say Connection: close).
 * Returns a malloc'd string. */
static char *raw(const char *req, size_t len)
{
    int fd = connect_srv();
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;   /* the server may close early (413, bad request) */
        off += (size_t)w;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while ((r = recv(fd, buf + n, cap - n, 0)) > 0) {
        n += (size_t)r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    close(fd);
    buf[n] = 0;
    return buf;
}

static char *get(const char *path)
{
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return raw(req, (size_t)n);
}

static int status_of(const char *resp)
{
    int st = 0;
    return sscanf(resp, "HTTP/1.%*d %d", &st) == 1 ? st : 0;
}

static int has_header(const char *resp, const char *hdr)
{
    const char *end = strstr(resp, "\r\n\r\n");
    const char *h = strcasestr(resp, hdr);
    return h && (!end || h < end);
}

static void test_static_files(void **s)
{
    (void)s;
    char *r = get("/");
    assert_int_equal(status_of(r), 200);
    assert_true(has_header(r, "Content-Type: text/html"));
    assert_true(has_header(r, "Content-Security-Policy: default-src 'none'; script-src 'self'"));
    assert_true(has_header(r, "X-Content-Type-Options: nosniff"));
    assert_non_null(strstr(r, "inside"));
    free(r);
    r = get("/sub/app.js");
    assert_int_equal(status_of(r), 200);
    assert_true(has_header(r, "Content-Type: text/javascript"));
    free(r);
    r = get("/sub/style.css");
    assert_true(has_header(r, "Content-Type: text/css"));
    free(r);
    r = get("/missing.html");
    assert_int_equal(status_of(r), 404);
    free(r);
    /* a listed lab's page: the one template with the id filled in; an unlisted id and the raw
     * template are not found */
    r = get("/labs/roofline.html");
    assert_int_equal(status_of(r), 200);
    assert_true(has_header(r, "Content-Type: text/html"));
    assert_true(has_header(r, "Content-Security-Policy: default-src 'none'; script-src 'self'"));
    assert_non_null(strstr(r, "<script src=\"/js/labs/roofline.js\"></script><p>roofline</p>"));
    assert_null(strstr(r, "{{lab}}"));
    free(r);
    r = get("/labs/no-such-lab.html");
    assert_int_equal(status_of(r), 404);
    free(r);
    r = get("/lab.html");
    assert_int_equal(status_of(r), 404);
    free(r);
    const char *hd = "HEAD /labs/roofline.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    r = raw(hd, strlen(hd));
    assert_int_equal(status_of(r), 200);
    assert_null(strstr(r, "roofline.js"));
    free(r);
    const char *del = "DELETE /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    r = raw(del, strlen(del));
    assert_int_equal(status_of(r), 405);
    free(r);
}

static void test_traversal(void **s)
{
    (void)s;
    const char *bad[] = {
        "/../outside.txt", "/sub/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E/outside.txt",
        "/sub/%2e%2e/%2e%2e/outside.txt", "/..%2foutside.txt", "/%2e%2e%2foutside.txt", "/..\\outside.txt",
        "/link-out.txt", "/sub/dir-out/outside.txt", "/./index.html", "/%252e%252e/outside.txt",
        "/sub",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *r = get(bad[i]);
        int st = status_of(r);
        if (st == 200 || strstr(r, "SECRET")) fail_msg("%s: served (status %d)", bad[i], st);
        assert_true(st == 404 || st == 400);
        free(r);
    }
    /* an encoded NUL ends the decoded path: at most the page before it, as a page */
    char *z = get("/index.html%00.js");
    assert_true(status_of(z) == 404 || status_of(z) == 400 || has_header(z, "Content-Type: text/html"));
    assert_null(strstr(z, "SECRET"));
    free(z);
    /* a symlink that stays inside the root is fine */
    char *r = get("/link-in.html");
    assert_int_equal(status_of(r), 200);
    free(r);
}

static void test_api_over_http(void **s)
{
    (void)s;
    const char *plan = "{\"version\": \"1.0\", \"name\": \"t\", \"workload\": {\"model\": \"Llama3_8B\"}, "
                       "\"hardware\": {\"accelerator\": \"H100\"}}";
    char req[1024];
    int n = snprintf(req, sizeof req, "POST /api/eval HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(plan), plan);
    char *r = raw(req, (size_t)n);
    assert_int_equal(status_of(r), 200);
    assert_true(has_header(r, "Content-Type: application/json"));
    assert_non_null(strstr(r, "\"latency_s\""));
    free(r);
    r = get("/api/labs");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "\"roofline\""));
    free(r);
    r = get("/api/nope");
    assert_int_equal(status_of(r), 404);
    assert_non_null(strstr(r, "\"error\""));
    free(r);
    /* a bad field: 400 naming it */
    const char *bad = "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"batch_size\": 0}";
    n = snprintf(req, sizeof req, "POST /api/serve HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(bad), bad);
    r = raw(req, (size_t)n);
    assert_int_equal(status_of(r), 400);
    assert_non_null(strstr(r, "\"field\":\"batch_size\""));
    free(r);
}

static void test_body_limit(void **s)
{
    (void)s;
    /* declared too large: refused before the body is read */
    const char *hdr = "POST /api/eval HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10000000\r\n\r\n";
    char *r = raw(hdr, strlen(hdr));
    assert_int_equal(status_of(r), 413);
    free(r);
    /* chunked, no length: refused once it passes the bound */
    size_t big = LABS_MAX_BODY + 4096;
    char *req = malloc(big + 256);
    int n = snprintf(req, 256, "POST /api/eval HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", big);
    memset(req + n, ' ', big);
    memcpy(req + n + big, "\r\n0\r\n\r\n", 7);
    r = raw(req, (size_t)n + big + 7);
    assert_int_equal(status_of(r), 413);
    free(r);
    free(req);
}

static void test_fuzz_keeps_serving(void **s)
{
    (void)s;
    srand(1234);
    char buf[4096];
    for (int i = 0; i < 150; i++) {
        size_t n;
        int kind = i % 5;
        if (kind == 0) {                       /* random bytes */
            n = 1 + (size_t)(rand() % (int)sizeof buf);
            for (size_t k = 0; k < n; k++) buf[k] = (char)(rand() & 0xff);
        } else if (kind == 1) {                /* a request cut anywhere */
            const char *full = "POST /api/eval HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{\"version\": \"1.0\"}";
            n = (size_t)(rand() % (int)strlen(full));
            memcpy(buf, full, n);
        } else if (kind == 2) {                /* a garbage request line */
            n = (size_t)snprintf(buf, sizeof buf, "%c%cT /%x HTTP/9.%d\r\n\r\n", 'A' + rand() % 26, 'A' + rand() % 26,
                                 (unsigned)rand(), rand() % 10);
        } else if (kind == 3) {                /* a header line without colon, bad length */
            n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost x\r\nContent-Length: -%d\r\n\r\n", rand());
        } else {                               /* a body shorter than its declared length */
            n = (size_t)snprintf(buf, sizeof buf, "POST /api/serve HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"model\"");
        }
        int fd = connect_srv();
        struct timeval tv = {0, 50000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void)!send(fd, buf, n, MSG_NOSIGNAL);
        char sink[512];
        if (kind != 1 && kind != 4) (void)!recv(fd, sink, sizeof sink, 0);   /* complete: read the answer */
        close(fd);
    }
    /* huge headers: one 200 kB header line, and 2,000 small header lines */
    size_t hn = 200 * 1024;
    char *huge = malloc(hn + 128);
    int p = snprintf(huge, 128, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(huge + p, 'a', hn);
    memcpy(huge + p + hn, "\r\n\r\n", 4);
    char *r = raw(huge, (size_t)p + hn + 4);
    assert_true(status_of(r) == 0 || status_of(r) >= 400);
    free(r);
    size_t m = 0;
    m += (size_t)sprintf(huge, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 2000 && m + 40 < hn; i++) m += (size_t)sprintf(huge + m, "X-H%d: v\r\n", i);
    m += (size_t)sprintf(huge + m, "\r\n");
    r = raw(huge, m);
    assert_true(status_of(r) == 0 || status_of(r) >= 400);
    free(r);
    free(huge);
    /* still serving */
    r = get("/api/labs");
    assert_int_equal(status_of(r), 200);
    free(r);
    r = get("/");
    assert_int_equal(status_of(r), 200);
    free(r);
}

/* A client that sends half a request and stalls is disconnected after the idle timeout (2 s
 * here), and the server keeps serving others meanwhile. */
static void test_slow_client_timeout(void **s)
{
    (void)s;
    int fd = connect_srv();
    const char *part = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    assert_true(send(fd, part, strlen(part), MSG_NOSIGNAL) > 0);
    char *r = get("/api/labs");
    assert_int_equal(status_of(r), 200);
    free(r);
    struct timeval tv = {6, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    ssize_t n = recv(fd, buf, sizeof buf, 0);   /* 0 (closed) or an error reply, not a 6 s wait */
    gettimeofday(&t1, NULL);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + 1e-6 * (double)(t1.tv_usec - t0.tv_usec);
    close(fd);
    if (waited > 5.0) fail_msg("stalled client kept for %.1f s (n = %zd)", waited, n);
}

/* The mlsb-labs program: serves, and exits 0 on SIGTERM. */
static void test_program_sigterm(void **s)
{
    (void)s;
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(MLSB_LABS_BIN, MLSB_LABS_BIN, "--port", "0", "--no-staffml", "--root", root, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[256] = "";
    size_t n = 0;
    while (n + 1 < sizeof line && read(out[0], line + n, 1) == 1 && line[n] != '\n') n++;
    line[n] = 0;
    int port = 0;
    const char *colon = strrchr(line, ':');
    if (!colon || sscanf(colon + 1, "%d", &port) != 1 || port <= 0) fail_msg("no URL in '%s'", line);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /api/labs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_true(send(fd, req, strlen(req), MSG_NOSIGNAL) > 0);
    char buf[512];
    ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(got > 12);
    buf[got] = 0;
    assert_int_equal(status_of(buf), 200);
    close(fd);
    assert_int_equal(kill(pid, SIGTERM), 0);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    close(out[0]);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **s)
{
    (void)s;
    char base[] = "/tmp/labs_srv_XXXXXX";
    if (!mkdtemp(base)) return -1;
    char p[512], q[512];
    snprintf(root, sizeof root, "%s/web", base);
    snprintf(outside, sizeof outside, "%s/outside.txt", base);
    mkdir(root, 0700);
    snprintf(p, sizeof p, "%s/sub", root);
    mkdir(p, 0700);
    write_file(outside, "SECRET");
    snprintf(p, sizeof p, "%s/index.html", root);
    write_file(p, "<!doctype html><p>inside</p>");
    snprintf(p, sizeof p, "%s/lab.html", root);
    write_file(p, "<!doctype html><script src=\"/js/labs/{{lab}}.js\"></script><p>{{lab}}</p>");
    snprintf(p, sizeof p, "%s/sub/app.js", root);
    write_file(p, "'use strict';");
    snprintf(p, sizeof p, "%s/sub/style.css", root);
    write_file(p, "p {}");
    snprintf(p, sizeof p, "%s/link-out.txt", root);
    if (symlink(outside, p)) return -1;
    snprintf(p, sizeof p, "%s/sub/dir-out", root);
    if (symlink(base, p)) return -1;
    snprintf(p, sizeof p, "%s/link-in.html", root);
    snprintf(q, sizeof q, "%s/index.html", root);
    if (symlink(q, p)) return -1;
    char err[256];
    ctx = labs_ctx_new(NULL, err, sizeof err);
    if (!ctx) return -1;
    labs_server_opts o = {"127.0.0.1", 0, root, 2, 2};
    srv = labs_server_start(ctx, &o, err, sizeof err);
    if (!srv) fprintf(stderr, "test_server: %s\n", err);
    return srv ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    labs_server_stop(srv);
    labs_ctx_free(ctx);
    char cmd[600], base[300];   /* remove the mkdtemp folder (root's parent) */
    snprintf(base, sizeof base, "%s", root);
    *strrchr(base, '/') = 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_files), cmocka_unit_test(test_traversal),
        cmocka_unit_test(test_api_over_http), cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_fuzz_keeps_serving), cmocka_unit_test(test_slow_client_timeout),
        cmocka_unit_test(test_program_sigterm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
