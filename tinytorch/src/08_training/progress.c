/* progress.c - the progress bar (terminal) and plain progress lines (anything else).
 * Invariant: in tty mode the cursor stays on the progress line until tt_progress_end prints '\n'. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tinytorch/progress.h"

#define BAR_WIDTH 24
#define REDRAW_S 0.1

double tt_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tt_format_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, len, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) {
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    } else {
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
    }
}

/* "21480" -> "21,480" */
static void thousands(double v, char *buf, size_t len)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0 && raw[i - 1] != '-') {
            buf[o++] = ',';
        }
        buf[o++] = raw[i];
    }
    buf[o] = 0;
}

void tt_progress_begin(tt_progress *p, FILE *f, const char *label, int64_t total, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->f = f ? f : stderr;
    p->tty = isatty(fileno(p->f)) != 0;
    p->quiet = quiet;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->every = total >= 10 ? (total + 9) / 10 : 1; /* at most 10 plain lines a pass */
    p->loss = NAN;
    p->t0 = tt_now_seconds();
    p->last_draw = -1.0;
}

static void draw(tt_progress *p, double now, bool final, const char *extra)
{
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->samples / el : 0.0;
    char r[32], eta[16], tm[16];
    thousands(rate, r, sizeof r);
    tt_format_duration(el, tm, sizeof tm);
    if (p->total > 0 && p->step > 0 && !final) {
        tt_format_duration(el / (double)p->step * (double)(p->total - p->step), eta, sizeof eta);
    } else {
        snprintf(eta, sizeof eta, "%s", tm);
    }
    if (p->tty) {
        char bar[BAR_WIDTH + 1];
        int fill = p->total > 0 ? (int)((double)BAR_WIDTH * (double)p->step / (double)p->total) : 0;
        for (int i = 0; i < BAR_WIDTH; i++) {
            bar[i] = i < fill ? '#' : '.';
        }
        bar[BAR_WIDTH] = 0;
        fprintf(p->f, "\r\033[K%s [%s] %lld/%lld  loss %.4f  %s samples/s  %s %s%s%s", p->label, bar,
                (long long)p->step, (long long)p->total, p->loss, r, final ? "took" : "ETA", eta,
                extra ? "  " : "", extra ? extra : "");
        if (final) {
            fputc('\n', p->f);
        }
    } else {
        fprintf(p->f, "%s step %lld/%lld  loss %.4f  %s samples/s  %s %s%s%s\n", p->label, (long long)p->step,
                (long long)p->total, p->loss, r, final ? "took" : "ETA", eta, extra ? "  " : "",
                extra ? extra : "");
    }
    fflush(p->f);
}

void tt_progress_update(tt_progress *p, int64_t step, int64_t samples, double loss)
{
    int64_t prev = p->step;
    p->step = step;
    p->samples = samples;
    p->loss = isnan(p->loss) ? loss : 0.9 * p->loss + 0.1 * loss; /* smoothed for a steady display */
    if (p->quiet) {
        return;
    }
    double now = tt_now_seconds();
    if (p->tty) {
        if (now - p->last_draw >= REDRAW_S) {
            p->last_draw = now;
            draw(p, now, false, NULL);
        }
    } else if (step / p->every != prev / p->every && step < p->total) {
        draw(p, now, false, NULL);
    }
}

void tt_progress_end(tt_progress *p, const char *extra)
{
    if (!p->quiet) {
        draw(p, tt_now_seconds(), true, extra);
    }
}
