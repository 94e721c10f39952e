/* svg_util.c - the helpers every SVG writer shares (svg_util.h). */
#include "svg_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ms__svg_put(ms_svg_out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    size_t l = (size_t)w < sizeof tmp ? (size_t)w : sizeof tmp - 1;
    if (o->buf && o->n < o->cap) memcpy(o->buf + o->n, tmp, l < o->cap - o->n ? l : o->cap - o->n);
    o->n += l;
}

void ms__svg_text(ms_svg_out *o, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<') ms__svg_put(o, "&lt;");
        else if (*s == '>') ms__svg_put(o, "&gt;");
        else if (*s == '&') ms__svg_put(o, "&amp;");
        else if (*s == '"') ms__svg_put(o, "&quot;");
        else ms__svg_put(o, "%c", *s);
    }
}

void ms__svg_begin(ms_svg_out *o, double W, double H, double title_x, const char *title)
{
    ms__svg_put(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
                   "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    ms__svg_put(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%g\" y=\"22\" font-size=\"14\">", title_x);
    ms__svg_text(o, title);
    ms__svg_put(o, "</text>\n");
}

size_t ms__svg_end(ms_svg_out *o)
{
    ms__svg_put(o, "</svg>\n");
    if (o->buf && o->cap) o->buf[o->n < o->cap ? o->n : o->cap - 1] = 0;
    return o->n;
}

double ms__svg_tick_step(double lo, double hi, int max_ticks, double *first)
{
    double span = hi - lo;
    if (!(span > 0) || max_ticks < 2) { *first = lo; return span > 0 ? span : 1; }
    double raw = span / (max_ticks - 1), mag = pow(10, floor(log10(raw))), step = mag;
    if (raw > 5 * mag) step = 10 * mag;
    else if (raw > 2 * mag) step = 5 * mag;
    else if (raw > mag) step = 2 * mag;
    *first = ceil(lo / step - 1e-9) * step;
    return step;
}

void ms__svg_axis_range(ms__svg_axis *a, double lo, double hi, int allow_log)
{
    a->log = allow_log && lo > 0 && hi / lo >= 10;
    if (a->log) {
        a->lo = floor(log10(lo) + 1e-9);
        a->hi = ceil(log10(hi) - 1e-9);
        if (a->hi <= a->lo) a->hi = a->lo + 1;
    } else {
        double pad = hi > lo ? 0.05 * (hi - lo) : (hi != 0 ? 0.1 * fabs(hi) : 1);
        a->lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
        a->hi = hi + pad;
    }
}

double ms__svg_axis_frac(const ms__svg_axis *a, double v)
{
    double t = a->log ? log10(v) : v;
    return (t - a->lo) / (a->hi - a->lo);
}

double ms__svg_axis_value(const ms__svg_axis *a, double t) { return a->log ? pow(10, t) : t; }
