/* svg_util.h - internal helpers of the SVG writers (svg.c: the roofline; svg_memory.c: the memory
 * breakdown; svg_curve.c: a sweep's curves): a growing text buffer written snprintf-style, XML
 * escaping, the document frame and nice axis ticks. */
#ifndef MLSYSIM_SVG_UTIL_H
#define MLSYSIM_SVG_UTIL_H

#include <stddef.h>

typedef struct {
    char *buf;
    size_t cap, n;             /* n counts every byte asked for, written or not */
} ms_svg_out;

void ms__svg_put(ms_svg_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Text content or attribute value with <, >, &, " escaped. */
void ms__svg_text(ms_svg_out *o, const char *s);
/* <svg ...> with a white background and the title (escaped) at the top left; W x H pixels. */
void ms__svg_begin(ms_svg_out *o, double W, double H, double title_x, const char *title);
/* </svg>, NUL-terminates buf (truncated to cap) and returns the full length. */
size_t ms__svg_end(ms_svg_out *o);

/* Linear axis ticks: a step of 1, 2 or 5 x 10^k giving at most `max_ticks` ticks over [lo, hi];
 * returns the step and sets *first to the first tick >= lo. */
double ms__svg_tick_step(double lo, double hi, int max_ticks, double *first);

/* An axis: linear over [lo, hi], or logarithmic with lo and hi the decades (10^lo .. 10^hi). */
typedef struct {
    double lo, hi;
    int log;
} ms__svg_axis;
/* The axis over values in [lo, hi]: logarithmic (whole decades) when allow_log and the values
 * are positive and span a factor of 10 or more, else linear with 5 % padding (from 0 when the
 * padding would cross it). */
void ms__svg_axis_range(ms__svg_axis *a, double lo, double hi, int allow_log);
/* Where v sits along the axis, 0 at lo and 1 at hi. */
double ms__svg_axis_frac(const ms__svg_axis *a, double v);
/* The value at tick position t (a logarithmic axis: the exponent). */
double ms__svg_axis_value(const ms__svg_axis *a, double t);

#endif
