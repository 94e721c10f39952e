/* svg.c - the roofline of an evaluated step as an SVG picture: log-log axes of arithmetic
 * intensity (FLOP/B) and FLOP/s, the memory roof (bandwidth x intensity), the compute roof (peak),
 * the ridge point, and the workload's point at its intensity and achieved FLOP/s (model FLOPs /
 * latency). Reads the result's keys; a result without them (a fleet training step) has none. */
#include "mlsysim/engine.h"
#include "svg_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t ms_result_roofline_svg(const ms_result *r, char *buf, size_t cap)
{
    double ai, peak, bw, flop, lat;
    if (!ms_result_get(r, "arithmetic_intensity_flop_per_byte", &ai) || !ms_result_get(r, "peak_flop_per_s", &peak) ||
        !ms_result_get(r, "bandwidth_bytes_per_s", &bw) || !ms_result_get(r, "model_flop", &flop) ||
        !ms_result_get(r, "latency_s", &lat) || !(ai > 0) || !(peak > 0) || !(bw > 0) || !(lat > 0)) {
        if (buf && cap) buf[0] = 0;
        return 0;
    }
    double achieved = flop / lat, ridge = peak / bw;
    /* axes: three decades around the ridge and the point, in whole decades */
    double xlo = floor(log10(fmin(ai, ridge))) - 1, xhi = ceil(log10(fmax(ai, ridge))) + 1;
    double ylo = floor(log10(fmin(achieved, bw * pow(10, xlo)))), yhi = ceil(log10(peak)) + 0.3;
    if (yhi - ylo < 2) ylo = yhi - 2;
    const double W = 640, H = 420, L = 80, R = 20, T = 40, B = 60;
    ms_svg_out o = {buf, cap, 0};
#define X(v) (L + (log10(v) - xlo) / (xhi - xlo) * (W - L - R))
#define Y(v) (H - B - (log10(v) - ylo) / (yhi - ylo) * (H - T - B))
    ms__svg_begin(&o, W, H, L, r->title[0] ? r->title : "Roofline");
    for (double d = xlo; d <= xhi + 1e-9; d += 1) {
        double x = X(pow(10, d));
        ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">1e%g</text>\n", x, T, x, H - B, x, H - B + 16, d);
    }
    for (double d = ceil(ylo); d <= yhi + 1e-9; d += 1) {
        double y = Y(pow(10, d));
        ms__svg_put(&o, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">1e%g</text>\n", L, y, W - R, y, L - 6, y + 4, d);
    }
    ms__svg_put(&o, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">arithmetic intensity (FLOP/byte)</text>\n", (L + W - R) / 2, H - 18);
    ms__svg_put(&o, "<text x=\"16\" y=\"%g\" transform=\"rotate(-90 16 %g)\" text-anchor=\"middle\">FLOP/s</text>\n",
        (T + H - B) / 2, (T + H - B) / 2);
    double x0 = pow(10, xlo), x1 = pow(10, xhi);
    double y0 = fmax(bw * x0, pow(10, ylo));
    double xs = y0 / bw;
    ms__svg_put(&o, "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.5\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
        X(xs), Y(y0), X(ridge), Y(peak), X(x1), Y(peak));
    ms__svg_put(&o, "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f5fbf\">peak %.3g TFLOP/s, %.3g TB/s, ridge %.3g FLOP/B</text>\n",
        W - R, Y(peak) - 8, peak / 1e12, bw / 1e12, ridge);
    ms__svg_put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#d9480f\"/>\n", X(ai), Y(achieved));
    int right = X(ai) < (L + W - R) / 2;           /* label on the side with room */
    ms__svg_put(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#d9480f\">this step: %.3g FLOP/B, %.3g TFLOP/s (%s-bound)</text>\n",
        X(ai) + (right ? 10 : -10), Y(achieved) + 18, right ? "start" : "end", ai, achieved / 1e12, ms_result_get_str(r, "bottleneck") ? ms_result_get_str(r, "bottleneck") : "?");
#undef X
#undef Y
    return ms__svg_end(&o);
}
