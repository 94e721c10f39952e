/* group.c - the process group: MPI start-up, the module's communicator, and waiting with a timeout.
 *
 * Invariants: tt__dist_comm is a duplicate of MPI_COMM_WORLD whose error handler returns error codes
 * (a dead peer shows up as a failed call, not an abort inside MPI); every wait goes through
 * tt__dist_wait, which polls the requests and gives up after the timeout, so no collective can hang a
 * rank forever. Before tt_dist_init (or without MPI started) the group is rank 0 of 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dist_internal.h"

MPI_Comm tt__dist_comm = MPI_COMM_NULL;
static int g_rank = 0, g_size = 1;
static bool g_we_initialised;
static double g_timeout_s = 120.0;

double tt__dist_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tt__dist_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        int k = snprintf(err, errlen, "rank %d of %d: ", g_rank, g_size);
        va_list ap;
        va_start(ap, fmt);
        if (k >= 0 && (size_t)k < errlen) {
            vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        }
        va_end(ap);
    }
    return -1;
}

int tt__dist_mpi_err(int rc, const char *what, char *err, size_t errlen)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) {
        snprintf(s, sizeof s, "MPI error %d", rc);
    }
    return tt__dist_err(err, errlen, "%s failed: %s (a peer rank probably died)", what, s);
}

int tt__dist_wait(MPI_Request *req, int n, const char *what, char *err, size_t errlen)
{
    double t0 = tt__dist_now();
    for (;;) {
        int done = 0;
        int rc = MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
            return tt__dist_mpi_err(rc, what, err, errlen);
        }
        if (done) {
            return 0;
        }
        double waited = tt__dist_now() - t0;
        if (waited > g_timeout_s) {
            return tt__dist_err(err, errlen,
                                "%s did not finish within %.0f s (TT_DIST_TIMEOUT_S): another rank died "
                                "or hangs", what, g_timeout_s);
        }
        /* Oversubscribed ranks (more ranks than cores) must let the others run. */
        sched_yield();
    }
}

int tt_dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
    if (tt__dist_comm != MPI_COMM_NULL) {
        return 0;
    }
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        if (MPI_Init(argc, argv) != MPI_SUCCESS) {
            return tt__dist_err(err, errlen, "MPI_Init failed");
        }
        g_we_initialised = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &tt__dist_comm);
    if (rc != MPI_SUCCESS) {
        return tt__dist_mpi_err(rc, "MPI_Comm_dup", err, errlen);
    }
    MPI_Comm_set_errhandler(tt__dist_comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(tt__dist_comm, &g_rank);
    MPI_Comm_size(tt__dist_comm, &g_size);
    const char *t = getenv("TT_DIST_TIMEOUT_S");
    if (t && *t) {
        char *end;
        double v = strtod(t, &end);
        if (*end || !(v > 0)) {
            return tt__dist_err(err, errlen, "TT_DIST_TIMEOUT_S: '%s' is not a positive number of seconds", t);
        }
        g_timeout_s = v;
    }
    return 0;
}

int tt_dist_rank(void) { return g_rank; }
int tt_dist_size(void) { return g_size; }
double tt_dist_timeout_s(void) { return g_timeout_s; }
void tt_dist_set_timeout_s(double s)
{
    if (s > 0) {
        g_timeout_s = s;
    }
}

void tt_dist_finalize(void)
{
    if (tt__dist_comm != MPI_COMM_NULL) {
        MPI_Comm_free(&tt__dist_comm);
        tt__dist_comm = MPI_COMM_NULL;
    }
    if (g_we_initialised) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) {
            MPI_Finalize();
        }
        g_we_initialised = false;
    }
    g_rank = 0;
    g_size = 1;
}

void tt_dist_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    int inited = 0;
    MPI_Initialized(&inited);
    if (inited) {
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    exit(code);
}

int tt_dist_barrier(char *err, size_t errlen)
{
    if (g_size == 1) {
        return 0;
    }
    MPI_Request r;
    int rc = MPI_Ibarrier(tt__dist_comm, &r);
    if (rc != MPI_SUCCESS) {
        return tt__dist_mpi_err(rc, "barrier", err, errlen);
    }
    return tt__dist_wait(&r, 1, "barrier", err, errlen);
}

int tt_dist_allreduce_f64(double *v, int n, char op, char *err, size_t errlen)
{
    if (g_size == 1) {
        return 0;
    }
    MPI_Op o = op == 'M' ? MPI_MAX : op == 'm' ? MPI_MIN : MPI_SUM;
    MPI_Request r;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, o, tt__dist_comm, &r);
    if (rc != MPI_SUCCESS) {
        return tt__dist_mpi_err(rc, "all-reduce of step statistics", err, errlen);
    }
    return tt__dist_wait(&r, 1, "all-reduce of step statistics", err, errlen);
}
