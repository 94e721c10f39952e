/* pareto.c - the capstone's Pareto frontier (capstone.h): which variants are worth keeping when
 * accuracy, latency and size all matter, as JSON and as an SVG chart. Files are written to
 * a temporary file, fsynced and renamed (tinytorch/fileio.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tinytorch/capstone.h"
#include "tinytorch/fileio.h"
#include "tinytorch/tensor.h" /* tt_fatal, which the learner's stubs call */

int tt_pareto_mark(tt_pareto_point *p, int n)
{
    /* TODO: p[i] is on the frontier unless another point k is at least as good on all three axes
     * (accuracy higher is better, latency and size lower) and strictly better on one; return the count. */
    /* BEGIN SOLUTION */
    int count = 0;
    for (int i = 0; i < n; i++) {
        bool dominated = false;
        for (int k = 0; k < n && !dominated; k++) {
            if (k == i) {
                continue;
            }
            bool no_worse = p[k].accuracy >= p[i].accuracy && p[k].latency_s <= p[i].latency_s &&
                            p[k].size_bytes <= p[i].size_bytes;
            bool better = p[k].accuracy > p[i].accuracy || p[k].latency_s < p[i].latency_s ||
                          p[k].size_bytes < p[i].size_bytes;
            dominated = no_worse && better;
        }
        p[i].on_frontier = !dominated;
        count += !dominated;
    }
    return count;
    /* END SOLUTION */
}

int tt_pareto_write_json(const char *path, const tt_pareto_point *p, int n, char *err, size_t errlen)
{
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    FILE *f = af.f;
    fprintf(f, "{\n  \"axes\": {\"accuracy\": \"top-1, higher is better\", \"latency_s\": \"lower is better\", "
               "\"size_bytes\": \"lower is better\"},\n  \"points\": [");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        tt_json_write_string(f, p[i].name);
        fprintf(f, ", \"accuracy\": ");
        tt_json_write_number(f, p[i].accuracy);
        fprintf(f, ", \"latency_s\": ");
        tt_json_write_number(f, p[i].latency_s);
        fprintf(f, ", \"size_bytes\": ");
        tt_json_write_number(f, p[i].size_bytes);
        fprintf(f, ", \"on_frontier\": %s}", p[i].on_frontier ? "true" : "false");
    }
    fprintf(f, "\n  ]\n}\n");
    return tt_atomic_commit(&af, err, errlen);
}

/* Writes s with the characters XML reserves escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

int tt_pareto_write_svg(const char *path, const tt_pareto_point *p, int n, char *err, size_t errlen)
{
    const double W = 640, H = 420, L = 70, R = 30, T = 40, B = 60; /* canvas and margins, px */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, smax = 0;
    for (int i = 0; i < n; i++) {
        xmin = fmin(xmin, p[i].latency_s * 1e3);
        xmax = fmax(xmax, p[i].latency_s * 1e3);
        ymin = fmin(ymin, p[i].accuracy * 100);
        ymax = fmax(ymax, p[i].accuracy * 100);
        smax = fmax(smax, p[i].size_bytes);
    }
    if (n == 0) {
        xmin = ymin = 0;
        xmax = ymax = 1;
    }
    /* pad the ranges so points do not sit on the frame */
    double xpad = fmax(0.1 * (xmax - xmin), 0.05 * fmax(xmax, 1e-3)), ypad = fmax(0.1 * (ymax - ymin), 0.5);
    xmin = fmax(0, xmin - xpad);
    xmax += xpad;
    ymin -= ypad;
    ymax += ypad;
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    FILE *f = af.f;
#define SX(v) (L + ((v) - xmin) / (xmax - xmin) * (W - L - R))
#define SY(v) (H - B - ((v) - ymin) / (ymax - ymin) * (H - T - B))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\">Accuracy vs latency (circle area: parameter bytes)</text>\n", L);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, T, L, H - B);
    for (int t = 0; t <= 4; t++) {
        double xv = xmin + (xmax - xmin) * t / 4, yv = ymin + (ymax - ymin) * t / 4;
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n", SX(xv), H - B + 18, xv);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", L - 6, SY(yv) + 4, yv);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">latency (ms)</text>\n", (L + W - R) / 2, H - 15);
    fprintf(f, "<text transform=\"translate(18 %.0f) rotate(-90)\" text-anchor=\"middle\">accuracy (%%)</text>\n",
            (T + H - B) / 2);
    /* the frontier: its points joined in order of latency */
    int order[64], m = 0;
    for (int i = 0; i < n && m < 64; i++) {
        if (p[i].on_frontier) {
            order[m++] = i;
        }
    }
    for (int i = 1; i < m; i++) {
        for (int k = i; k > 0 && p[order[k - 1]].latency_s > p[order[k]].latency_s; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    }
    if (m > 1) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"");
        for (int i = 0; i < m; i++) {
            fprintf(f, "%.1f,%.1f ", SX(p[order[i]].latency_s * 1e3), SY(p[order[i]].accuracy * 100));
        }
        fprintf(f, "\"/>\n");
    }
    for (int i = 0; i < n; i++) {
        double r = smax > 0 ? 4 + 14 * sqrt(p[i].size_bytes / smax) : 6;
        double x = SX(p[i].latency_s * 1e3), y = SY(p[i].accuracy * 100);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.6\" stroke=\"black\"/>\n", x,
                y, r, p[i].on_frontier ? "#d62728" : "#7f7f7f");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + r + 4, y + 4);
        xml_text(f, p[i].name);
        fprintf(f, " (%.0f KB)</text>\n", p[i].size_bytes / 1024.0);
    }
    fprintf(f, "</svg>\n");
#undef SX
#undef SY
    return tt_atomic_commit(&af, err, errlen);
}
