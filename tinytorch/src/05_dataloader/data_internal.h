/* data_internal.h - helpers shared by module 05's files (not public): error messages into a
 * caller buffer. */
#ifndef TT_DATA_INTERNAL_H
#define TT_DATA_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int tt__data_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#endif
