/* errors.c - how TinyTorch reports programming errors (shape mismatches, misuse of an op).
 * The default prints the message to stderr and aborts; a caller may install a handler that longjmps.
 * The handler runs only on the thread that installed it: a longjmp can return only to its own
 * thread's stack, so an error inside a worker thread (a shard of a split training step, an OpenMP
 * kernel) prints and aborts instead of jumping across threads. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/tensor.h"

static tt_error_handler handler;
static pthread_t handler_thread;   /* the thread that installed handler */

tt_error_handler tt_set_error_handler(tt_error_handler h)
{
    tt_error_handler prev = handler;
    handler = h;
    handler_thread = pthread_self();
    return prev;
}

_Noreturn void tt_fatal(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (handler && pthread_equal(pthread_self(), handler_thread)) {
        handler(msg);
    }
    fprintf(stderr, "tinytorch: %s\n", msg);
    abort();
}

char *tt_shape_str(const tt_tensor *t, char *buf, size_t len)
{
    size_t pos = 0;
    pos += (size_t)snprintf(buf + pos, len - pos, "[");
    for (int i = 0; i < t->ndim && pos < len; i++) {
        pos += (size_t)snprintf(buf + pos, len - pos, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    }
    if (pos < len) {
        snprintf(buf + pos, len - pos, "]");
    }
    return buf;
}
