/* args.c - command-line value parsing shared by every command: integers and numbers with ranges,
 * refused with a message naming the flag. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int ms_arg_int(const char *flag, const char *v, long min, long max, int *out)
{
    if (!v) { fprintf(stderr, "mlsysim: %s needs a value\n", flag); return -1; }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < min || x > max) {
        fprintf(stderr, "mlsysim: %s: '%s' is not an integer in [%ld, %ld]\n", flag, v, min, max);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int ms_arg_num(const char *flag, const char *v, double min, double max, double *out)
{
    if (!v) { fprintf(stderr, "mlsysim: %s needs a value\n", flag); return -1; }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < min || x > max) {
        fprintf(stderr, "mlsysim: %s: '%s' is not a number in [%g, %g]\n", flag, v, min, max);
        return -1;
    }
    *out = x;
    return 0;
}
