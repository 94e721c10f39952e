/* main.c - `mlsb-labs`: serves the labs (pages + JSON API) until SIGTERM or Ctrl-C.
 * Exit codes: 0 stopped by SIGTERM/SIGINT, 1 bad arguments, 2 could not start (web root
 * missing, port in use, measured file unreadable). */
#define _POSIX_C_SOURCE 200809L
#include "labs/api.h"
#include "labs/server.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LABS_WEB_ROOT
#define LABS_WEB_ROOT "labs/web"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mlsb-labs [--port N] [--bind ADDR] [--open] [--root DIR] [--measured FILE] [--threads N]\n"
            "                 [--staffml-db FILE] [--vault DIR] [--no-staffml]\n"
            "\n"
            "Serves the MLSys labs: interactive trade-off explorers in the browser, every number\n"
            "computed by libmlsysim through a small JSON API (GET /api/labs lists the labs).\n"
            "\n"
            "  --port N         TCP port (default 8080; 0 picks a free one)\n"
            "  --bind ADDR      IPv4 address to listen on (default 127.0.0.1: this machine only)\n"
            "  --open           open the index page in the default browser (xdg-open)\n"
            "  --root DIR       folder of the pages (default: the source tree's labs/web)\n"
            "  --measured FILE  measured TinyTorch points for the model-vs-reality lab (JSON)\n"
            "  --threads N      worker threads (default: one per CPU)\n"
            "  --staffml-db F   StaffML progress database for the practice page (default: the\n"
            "                   staffml CLI's, so both share your progress)\n"
            "  --vault DIR      StaffML question vault (default: the staffml CLI's)\n"
            "  --no-staffml     serve without the practice page\n"
            "  -h, --help       this text\n"
            "\n"
            "Examples:\n"
            "  mlsb-labs --open                       # start and open http://127.0.0.1:8080/\n"
            "  mlsb-labs --port 9000                  # another port\n"
            "  curl -s -X POST --data-binary @plan.json http://127.0.0.1:8080/api/eval\n"
            "\n"
            "Stops on SIGTERM or Ctrl-C (exit 0). Exit codes: 1 bad arguments, 2 could not start.\n");
}

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || x < lo || x > hi) {
        fprintf(stderr, "mlsb-labs: %s: expected an integer in [%ld, %ld], got '%s'\n", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

int main(int argc, char **argv)
{
    long port = 8080, threads = 0;
    int open_browser = 0;
    const char *bind = "127.0.0.1", *root = LABS_WEB_ROOT, *measured = NULL, *sml_db = NULL, *vault = NULL;
    int staffml = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--open")) {
            open_browser = 1;
        } else if (!strcmp(a, "--no-staffml")) {
            staffml = 0;
        } else if (!strcmp(a, "--port")) {
            if (parse_int(a, v, 0, 65535, &port)) return 1;
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(a, v, 1, 256, &threads)) return 1;
            i++;
        } else if (!strcmp(a, "--bind") || !strcmp(a, "--root") || !strcmp(a, "--measured") ||
                   !strcmp(a, "--staffml-db") || !strcmp(a, "--vault")) {
            if (!v) {
                fprintf(stderr, "mlsb-labs: %s needs a value (see --help)\n", a);
                return 1;
            }
            if (!strcmp(a, "--bind")) bind = v;
            else if (!strcmp(a, "--root")) root = v;
            else if (!strcmp(a, "--staffml-db")) sml_db = v;
            else if (!strcmp(a, "--vault")) vault = v;
            else measured = v;
            i++;
        } else {
            fprintf(stderr, "mlsb-labs: unknown argument '%s' (see --help)\n", a);
            return 1;
        }
    }
    struct in_addr ip;
    if (inet_pton(AF_INET, bind, &ip) != 1) {
        fprintf(stderr, "mlsb-labs: --bind '%s': not an IPv4 address (e.g. 127.0.0.1)\n", bind);
        return 1;
    }
    char vendor[1024];
    snprintf(vendor, sizeof vendor, "%s/vendor/chart.umd.js", root);
    if (access(vendor, R_OK))
        fprintf(stderr, "mlsb-labs: warning: %s is missing: the labs draw no charts until "
                        "labs/scripts/setup-web.sh has vendored Chart.js\n", vendor);
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    labs_ctx *ctx = labs_ctx_new(measured, err, sizeof err);
    if (!ctx) {
        fprintf(stderr, "mlsb-labs: %s\n", err);
        return 2;
    }
    /* The practice page is optional: without its database the labs still serve. */
    if (staffml && labs_ctx_open_staffml(ctx, sml_db, vault, err, sizeof err))
        fprintf(stderr, "mlsb-labs: practice page off: %s\n", err);
    labs_server_opts o = {bind, (int)port, root, (unsigned)threads, 0};
    labs_server *s = labs_server_start(ctx, &o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "mlsb-labs: %s\n", err);
        labs_ctx_free(ctx);
        return 2;
    }
    char url[96];
    snprintf(url, sizeof url, "http://%s:%d/", bind, labs_server_port(s));
    printf("mlsb-labs: serving %zu labs at %s (Ctrl-C to stop)\n", labs_count(), url);
    fflush(stdout);
    if (open_browser) {
        pid_t pid = fork();
        if (pid == 0) {
            execlp("xdg-open", "xdg-open", url, (char *)NULL);
            _exit(127);
        }
        if (pid < 0) fprintf(stderr, "mlsb-labs: --open: cannot start xdg-open; open %s yourself\n", url);
    }
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    labs_server_stop(s);
    labs_ctx_free(ctx);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    printf("mlsb-labs: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}
