/* svg_curve.c - curves y(x) as an SVG picture: what `mlsysim sweep --svg` draws (x = the varied
 * knob, y = the chosen metric, one curve per combination of the other knobs). An axis is
 * logarithmic when all its values are positive and span a factor of 10 or more, linear otherwise;
 * a categorical x (hardware names, precisions) spaces its values evenly. Points flagged hollow
 * (a configuration that does not fit) are drawn as open circles; non-finite points are skipped. */
#include "mlsysim/engine.h"
#include "svg_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const colors[] = {"#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#495057"};
#define NCOLORS (sizeof colors / sizeof colors[0])

size_t ms_svg_curves(const ms_svg_plot *p, const ms_svg_series *s, int ns, char *buf, size_t cap)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int points = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
            points++;
        }
    if (!points || ns <= 0) {
        if (buf && cap) buf[0] = 0;
        return 0;
    }
    const double W = 680, H = 440, L = 90, R = 30, T = 44;
    double legend_h = ns > 1 ? 20.0 * ((ns + 2) / 3) : 0;
    double B = 70 + legend_h + (p->note && p->note[0] ? 18 : 0);
    ms__svg_axis ax, ay;
    if (p->xcats) {
        ax.log = 0, ax.lo = -0.5, ax.hi = p->ncats - 0.5;
    } else {
        ms__svg_axis_range(&ax, xlo, xhi, 1);
    }
    ms__svg_axis_range(&ay, ylo, yhi, 1);
    ms_svg_out o = {buf, cap, 0};
    ms__svg_begin(&o, W, H, L, p->title ? p->title : "");
#define X(v) (L + ms__svg_axis_frac(&ax, (v)) * (W - L - R))
#define Y(v) (H - B - ms__svg_axis_frac(&ay, (v)) * (H - T - B))
    char lab[64];
    /* x ticks */
    if (p->xcats) {
        for (int i = 0; i < p->ncats; i++) {
            double x = X(i);
            ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%g\" "
                            "text-anchor=\"middle\">", x, T, x, H - B, x, H - B + 16);
            ms__svg_text(&o, p->xcats[i]);
            ms__svg_put(&o, "</text>\n");
        }
    } else {
        double first, step = ax.log ? 1 : ms__svg_tick_step(ax.lo, ax.hi, 8, &first);
        if (ax.log) first = ax.lo;
        for (double t = first; t <= ax.hi + 1e-9 * fabs(ax.hi) + 1e-12; t += step) {
            double x = L + (t - ax.lo) / (ax.hi - ax.lo) * (W - L - R);
            ms_fmt_human(p->xkey ? p->xkey : "", ms__svg_axis_value(&ax, t), lab, sizeof lab);
            ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%g\" "
                            "text-anchor=\"middle\">%s</text>\n", x, T, x, H - B, x, H - B + 16, lab);
        }
    }
    /* y ticks */
    {
        double first, step = ay.log ? 1 : ms__svg_tick_step(ay.lo, ay.hi, 7, &first);
        if (ay.log) first = ay.lo;
        for (double t = first; t <= ay.hi + 1e-9 * fabs(ay.hi) + 1e-12; t += step) {
            double y = H - B - (t - ay.lo) / (ay.hi - ay.lo) * (H - T - B);
            ms_fmt_human(p->ykey ? p->ykey : "", ms__svg_axis_value(&ay, t), lab, sizeof lab);
            ms__svg_put(&o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%g\" y=\"%.1f\" "
                            "text-anchor=\"end\">%s</text>\n", L, y, W - R, y, L - 6, y + 4, lab);
        }
    }
    ms__svg_put(&o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#888\"/>\n", L, T, W - L - R, H - T - B);
    ms__svg_put(&o, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">", (L + W - R) / 2, H - B + 36);
    ms__svg_text(&o, p->xlabel ? p->xlabel : "");
    ms__svg_put(&o, "%s</text>\n", ax.log ? " (log scale)" : "");
    ms__svg_put(&o, "<text x=\"16\" y=\"%g\" transform=\"rotate(-90 16 %g)\" text-anchor=\"middle\">", (T + H - B) / 2, (T + H - B) / 2);
    ms__svg_text(&o, p->ylabel ? p->ylabel : "");
    ms__svg_put(&o, "%s</text>\n", ay.log ? " (log scale)" : "");
    /* the curves: a polyline through the finite points in order, a marker at each */
    for (int k = 0; k < ns; k++) {
        const char *col = colors[(size_t)k % NCOLORS];
        int started = 0;
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            if (!started) ms__svg_put(&o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
            ms__svg_put(&o, "%s%.1f,%.1f", started ? " " : "", X(x), Y(y));
            started = 1;
        }
        if (started) ms__svg_put(&o, "\"/>\n");
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            int hollow = s[k].hollow && s[k].hollow[i];
            char xv[64], yv[64];
            if (p->xcats && x >= 0 && x < p->ncats) snprintf(xv, sizeof xv, "%s", p->xcats[(int)x]);
            else ms_fmt_human(p->xkey ? p->xkey : "", x, xv, sizeof xv);
            ms_fmt_human(p->ykey ? p->ykey : "", y, yv, sizeof yv);
            ms__svg_put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"><title>",
                        X(x), Y(y), hollow ? "white" : col, col);
            ms__svg_text(&o, xv);
            ms__svg_put(&o, ": ");
            ms__svg_text(&o, yv);
            if (hollow) ms__svg_put(&o, " (does not fit)");
            ms__svg_put(&o, "</title></circle>\n");
        }
    }
    /* legend and note */
    double ly = H - B + 58;
    if (ns > 1)
        for (int k = 0; k < ns; k++) {
            double lx = L + (k % 3) * (W - L - R) / 3;
            if (k && k % 3 == 0) ly += 20;
            ms__svg_put(&o, "<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%g\" y=\"%g\">",
                        lx, ly - 6, colors[(size_t)k % NCOLORS], lx + 20, ly);
            ms__svg_text(&o, s[k].label ? s[k].label : "");
            ms__svg_put(&o, "</text>\n");
        }
    if (p->note && p->note[0]) {
        ms__svg_put(&o, "<text x=\"%g\" y=\"%g\" fill=\"#555\">", L, ly + (ns > 1 ? 20 : 0));
        ms__svg_text(&o, p->note);
        ms__svg_put(&o, "</text>\n");
    }
#undef X
#undef Y
    return ms__svg_end(&o);
}
