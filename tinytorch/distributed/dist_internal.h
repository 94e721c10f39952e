/* dist_internal.h - what the files of tinytorch_dist share: the communicator, timed waits, errors. */
#ifndef TT_DIST_INTERNAL_H
#define TT_DIST_INTERNAL_H

#include <mpi.h>
#include "tinytorch/distributed.h"

extern MPI_Comm tt__dist_comm;

double tt__dist_now(void);                          /* monotonic seconds */
/* Writes "rank R of N: <message>" into err; returns -1. */
int tt__dist_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Names the failed MPI call and MPI's reason; returns -1. */
int tt__dist_mpi_err(int rc, const char *what, char *err, size_t errlen);
/* Waits for n requests, at most the group's timeout. Returns 0, or -1 with a message naming `what`. */
int tt__dist_wait(MPI_Request *req, int n, const char *what, char *err, size_t errlen);

#endif
