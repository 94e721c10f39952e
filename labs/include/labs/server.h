/* server.h - the labs HTTP server: static pages under a web root plus the JSON API (api.h), on
 * libmicrohttpd's thread pool. A listed lab's page, /labs/<id>.html, is the web root's lab.html
 * with the id filled in (one page for every lab).
 *
 * Security invariants: a static path is served only if, after percent-decoding, it has no "." or
 * ".." segment and no backslash, and its real path (symlinks resolved) lies inside the real web
 * root; only regular files are served. Every response carries a restrictive
 * Content-Security-Policy (same origin only, no inline script), nosniff and no framing. Request
 * bodies above LABS_MAX_BODY get 413; idle or slow connections are dropped after the timeout. */
#ifndef LABS_SERVER_H
#define LABS_SERVER_H

#include "labs/api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct labs_server labs_server;

typedef struct {
    const char *bind;        /* IPv4 address to listen on; NULL = 127.0.0.1 */
    int port;                /* 0 = any free port (see labs_server_port) */
    const char *web_root;    /* folder of the pages */
    unsigned threads;        /* thread-pool size; 0 = one per CPU the process may use */
    unsigned timeout_s;      /* connection idle timeout; 0 = 10 s */
} labs_server_opts;

/* Starts serving in background threads. Returns NULL with a reason in err. ctx must outlive the
 * server. */
labs_server *labs_server_start(const labs_ctx *ctx, const labs_server_opts *o, char *err, size_t errlen);
int labs_server_port(const labs_server *s);
void labs_server_stop(labs_server *s);   /* closes every connection and frees s */

#ifdef __cplusplus
}
#endif
#endif
