/* svg_parity.c - predicted against measured as an SVG picture (what `mlsysim validate --svg` and
 * `--svg-serving` draw), in two panels over the same points:
 *   left:  predicted against measured, both axes over the same range, the line where they are
 *          equal and dashed bands at ±b around it (on logarithmic axes a band is a constant
 *          offset, so the left panel shows the spread over decades at a glance);
 *   right: the error, predicted / measured - 1 in percent, against measured, with the same
 *          bands as horizontal lines (where a few percent are read off).
 * One marker per point, coloured by its group, a square for a calibration point and a circle
 * for a held-out one, with the point's label, both values and its error as a tooltip. */
#include "mlsysim/engine.h"
#include "svg_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Ten distinguishable colours (the first eight are the sweep pictures'). */
static const char *const colors[] = {"#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#e67700",
                                     "#0b7285", "#c2255c", "#495057", "#5c940d", "#a61e4d"};
#define NCOLORS (sizeof colors / sizeof colors[0])

static const double S = 440, L = 90, GAP = 90, R = 30, T = 44;   /* each panel is S x S */

static int usable(const ms_svg_parity_point *q)
{
    return isfinite(q->measured) && isfinite(q->predicted) && q->measured != 0;
}

static double err_of(const ms_svg_parity_point *q) { return q->predicted / q->measured - 1; }

static int band_ok(double f) { return f > 0 && f < 1; }

/* The x axis of both panels (measured) and, on the left, the y axis too: ticks and grid lines
 * at every decade of a logarithmic axis (with 2 and 5 between them, named when it spans at most
 * two decades), else at steps of 1, 2 or 5 x 10^k. y0 < 0: no horizontal lines. */
static void value_grid(ms_svg_out *o, const ms__svg_axis *a, const char *key, double x0, double y0)
{
    char lab[64];
    double first, step = a->log ? 1 : ms__svg_tick_step(a->lo, a->hi, 7, &first);
    if (a->log) first = a->lo;
    for (double t = first; t <= a->hi + 1e-9 * fabs(a->hi) + 1e-12; t += step) {
        static const double sub[] = {1, 2, 5};
        for (int k = 0; k < (a->log ? 3 : 1); k++) {
            double v = ms__svg_axis_value(a, t) * sub[k];
            if (a->log && log10(v) > a->hi + 1e-9) break;
            double f = ms__svg_axis_frac(a, v), x = x0 + f * S, y = T + S - f * S;
            const char *grey = k ? "#f4f4f4" : "#e6e6e6";
            int named = k == 0 || a->hi - a->lo <= 2;
            if (named) ms_fmt_human(key, v, lab, sizeof lab);
            ms__svg_put(o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"%s\"/>", x, T, x, T + S, grey);
            if (named) ms__svg_put(o, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>", x, T + S + 16, lab);
            if (y0 >= 0) {
                ms__svg_put(o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"%s\"/>", y0, y, y0 + S, y, grey);
                if (named) ms__svg_put(o, "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>", y0 - 6, y + 4, lab);
            }
            ms__svg_put(o, "\n");
        }
    }
}

/* The axis labels and frame of a panel at x0. */
static void frame(ms_svg_out *o, double x0, const char *xlabel, const char *xunit, const char *ylabel, const char *yunit)
{
    ms__svg_put(o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#888\"/>\n", x0, T, S, S);
    ms__svg_put(o, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">", x0 + S / 2, T + S + 36);
    ms__svg_text(o, xlabel);
    ms__svg_put(o, "%s</text>\n", xunit);
    double yc = T + S / 2, xl = x0 - L + 16;
    ms__svg_put(o, "<text x=\"%g\" y=\"%g\" transform=\"rotate(-90 %g %g)\" text-anchor=\"middle\">", xl, yc, xl, yc);
    ms__svg_text(o, ylabel);
    ms__svg_put(o, "%s</text>\n", yunit);
}

/* A point's marker at (x, y) with its tooltip. */
static void marker(ms_svg_out *o, const ms_svg_parity_point *q, double x, double y, const char *key)
{
    const char *col = colors[(size_t)(q->group >= 0 ? q->group : 0) % NCOLORS];
    if (q->heldout)
        ms__svg_put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.75\"><title>", x, y, col);
    else
        ms__svg_put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\" stroke=\"#000\"><title>", x - 4, y - 4, col);
    ms__svg_text(o, q->label ? q->label : "");
    char mv[64], pv[64];
    ms_fmt_human(key, q->measured, mv, sizeof mv);
    ms_fmt_human(key, q->predicted, pv, sizeof pv);
    ms__svg_put(o, "%s: measured %s, predicted %s (%+.1f %%)</title>%s\n", q->heldout ? " (held out)" : " (calibration)",
                mv, pv, 100 * err_of(q), q->heldout ? "</circle>" : "</rect>");
}

size_t ms_svg_parity(const ms_svg_parity_plot *p, char *buf, size_t cap)
{
    const ms_svg_parity_point *pts = p->points;
    int n = pts ? p->npoints : 0;
    double lo = INFINITY, hi = -INFINITY, mlo = INFINITY, mhi = -INFINITY, emax = 0;
    int points = 0, all_positive = 1;
    for (int i = 0; i < n; i++) {
        const ms_svg_parity_point *q = &pts[i];
        if (!usable(q)) continue;
        lo = fmin(lo, fmin(q->measured, q->predicted));
        hi = fmax(hi, fmax(q->measured, q->predicted));
        mlo = fmin(mlo, q->measured), mhi = fmax(mhi, q->measured);
        emax = fmax(emax, fabs(err_of(q)));
        all_positive &= q->measured > 0 && q->predicted > 0;
        points++;
    }
    if (!points) {
        if (buf && cap) buf[0] = 0;
        return 0;
    }
    int ng = p->ngroups > 0 ? p->ngroups : 0;
    int note_lines = 0;
    for (const char *c = p->note; c && *c; c++)
        if (c == p->note || c[-1] == '\n') note_lines++;
    double legend_h = 20.0 * ((ng + 3) / 4 + 1);     /* the groups four to a line, then the shapes */
    double B = 64 + legend_h + 18 * note_lines;
    double W = L + S + GAP + S + R, H = T + S + B, X2 = L + S + GAP;
    ms__svg_axis a, am, ae;
    ms__svg_axis_range(&a, lo, hi, all_positive);     /* left: both axes */
    ms__svg_axis_range(&am, mlo, mhi, all_positive);  /* right: measured */
    for (int b = 0; b < 2; b++)                       /* right: the error, symmetric, bands inside */
        if (band_ok(p->band[b])) emax = fmax(emax, 1.25 * p->band[b]);
    if (!(emax > 0)) emax = 0.1;
    ae.log = 0, ae.lo = -1.1 * emax, ae.hi = 1.1 * emax;
    const char *key = p->key ? p->key : "";
    const char *label = p->axis_label ? p->axis_label : "";
    ms_svg_out o = {buf, cap, 0};
    ms__svg_begin(&o, W, H, L, p->title ? p->title : "");
#define FX(ax, v) (ms__svg_axis_frac((ax), (v)) * S)
    /* left: predicted against measured */
    value_grid(&o, &a, key, L, L);
    char measured[160], predicted[160];
    snprintf(measured, sizeof measured, "measured %s", label);
    snprintf(predicted, sizeof predicted, "predicted %s", label);
    frame(&o, L, measured, a.log ? " (log scale)" : "", predicted, a.log ? " (log scale)" : "");
    double vlo = ms__svg_axis_value(&a, a.lo), vhi = ms__svg_axis_value(&a, a.hi);
    ms__svg_put(&o, "<clipPath id=\"parity-left\"><rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/></clipPath>\n"
                    "<g clip-path=\"url(#parity-left)\">\n", L, T, S, S);
    for (int b = 0; b < 2; b++) {
        if (!band_ok(p->band[b])) continue;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double m = 1 + sgn * p->band[b];
            ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"%s\"/>\n",
                        L + FX(&a, vlo), T + S - FX(&a, vlo * m), L + FX(&a, vhi), T + S - FX(&a, vhi * m),
                        b ? "2 4" : "6 3");
        }
    }
    ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n</g>\n",
                L + FX(&a, vlo), T + S - FX(&a, vlo), L + FX(&a, vhi), T + S - FX(&a, vhi));
    /* right: the error against measured */
    value_grid(&o, &am, key, X2, -1);
    {
        double first, step = ms__svg_tick_step(ae.lo, ae.hi, 13, &first);
        for (double e = first; e <= ae.hi + 1e-12; e += step) {
            double y = T + S - FX(&ae, e);
            ms__svg_put(&o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                            "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%+.0f %%</text>\n",
                        X2, y, X2 + S, y, X2 - 6, y + 4, fabs(e) < 1e-12 ? 0.0 : 100 * e);
        }
    }
    frame(&o, X2, measured, am.log ? " (log scale)" : "", "error: predicted / measured - 1", "");
    for (int b = 0; b < 2; b++) {
        if (!band_ok(p->band[b])) continue;
        for (int sgn = -1; sgn <= 1; sgn += 2)
            ms__svg_put(&o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"%s\"/>\n", X2,
                        T + S - FX(&ae, sgn * p->band[b]), X2 + S, T + S - FX(&ae, sgn * p->band[b]), b ? "2 4" : "6 3");
    }
    ms__svg_put(&o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#222\"/>\n", X2, T + S - FX(&ae, 0), X2 + S,
                T + S - FX(&ae, 0));
    /* the points in both panels: held-out circles first, calibration squares over them */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const ms_svg_parity_point *q = &pts[i];
            if (!usable(q) || (pass == 0) != (q->heldout != 0)) continue;
            marker(&o, q, L + FX(&a, q->measured), T + S - FX(&a, q->predicted), key);
            marker(&o, q, X2 + FX(&am, q->measured), T + S - FX(&ae, err_of(q)), key);
        }
#undef FX
    /* legend: the groups' colours, then the shapes and bands, then the note */
    double ly = T + S + 58, colw = (W - L - R) / 4;
    for (int k = 0; k < ng; k++) {
        double lx = L + (k % 4) * colw;
        if (k && k % 4 == 0) ly += 20;
        ms__svg_put(&o, "<circle cx=\"%g\" cy=\"%g\" r=\"4\" fill=\"%s\"/><text x=\"%g\" y=\"%g\">", lx + 4, ly - 4,
                    colors[(size_t)k % NCOLORS], lx + 14, ly);
        ms__svg_text(&o, p->groups[k] ? p->groups[k] : "");
        ms__svg_put(&o, "</text>\n");
    }
    ly += ng ? 20 : 0;
    ms__svg_put(&o, "<rect x=\"%g\" y=\"%g\" width=\"8\" height=\"8\" fill=\"#bbb\" stroke=\"#000\"/>"
                    "<text x=\"%g\" y=\"%g\">calibration (in-sample)</text>\n"
                    "<circle cx=\"%g\" cy=\"%g\" r=\"3.5\" fill=\"#bbb\"/><text x=\"%g\" y=\"%g\">held out</text>\n",
                L, ly - 8, L + 14, ly, L + colw + 4, ly - 4, L + colw + 14, ly);
    if (band_ok(p->band[0])) {
        ms__svg_put(&o, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\" stroke-dasharray=\"6 3\"/>"
                        "<text x=\"%g\" y=\"%g\">±%.0f %%", L + 2 * colw, ly - 4, L + 2 * colw + 22, ly - 4,
                    L + 2 * colw + 28, ly, 100 * p->band[0]);
        if (band_ok(p->band[1])) ms__svg_put(&o, " (dashed), ±%.0f %% (dotted)", 100 * p->band[1]);
        ms__svg_put(&o, "</text>\n");
    }
    for (const char *c = p->note; c && *c;) {
        const char *e = strchr(c, '\n');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), c);
        ly += 18;
        ms__svg_put(&o, "<text x=\"%g\" y=\"%g\" fill=\"#555\">", L, ly + 2);
        ms__svg_text(&o, line);
        ms__svg_put(&o, "</text>\n");
        c = e ? e + 1 : c + len;
    }
    return ms__svg_end(&o);
}
