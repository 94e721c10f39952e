/* roofline.c - this machine's roof (module 14): our SGEMM's peak and a STREAM-like triad bandwidth,
 * measured once and cached per machine; and the profile's JSON and SVG outputs.
 *
 * Peak: tt_sgemm on 512 x 512 x 512 (2 * 512^3 flops), one thread, best of 5 (module 17's kernel is
 * within a few percent of OpenBLAS, so this is the framework's real compute ceiling, not a datasheet
 * number). Bandwidth: a[i] = b[i] + s * c[i] over three 32 MiB arrays (well beyond the caches), best of
 * 5, counting 12 bytes per element as STREAM's triad does (McCalpin's STREAM benchmark).
 */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/profile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "tinytorch/fileio.h"
#include "tinytorch/gemm.h"
#include "tinytorch/json.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c += 1 + (c[1] == ' ');
                c[strcspn(c, "\n")] = 0;
                snprintf(buf, len, "%s", c);
            }
            break;
        }
    }
    if (f) {
        fclose(f);
    }
}

void tt_roofline_measure(tt_roofline *r)
{
    memset(r, 0, sizeof *r);
    cpu_model(r->cpu, sizeof r->cpu);
    snprintf(r->sgemm, sizeof r->sgemm, "%s", tt_sgemm_kernel());
    const int64_t N = 512;
    float *a = malloc((size_t)(N * N) * sizeof(float)), *b = malloc((size_t)(N * N) * sizeof(float));
    float *c = malloc((size_t)(N * N) * sizeof(float));
    const int threads = tt_get_num_threads();
    tt_set_num_threads(1);
    if (a && b && c) {
        for (int64_t i = 0; i < N * N; i++) {
            a[i] = (float)(i % 7) * 0.1f;
            b[i] = (float)(i % 5) * 0.2f;
        }
        for (int rep = 0; rep < 6; rep++) {
            const double t0 = now_s();
            tt_sgemm(0, 0, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
            const double dt = now_s() - t0, f = 2.0 * (double)(N * N * N) / dt;
            if (rep > 0 && f > r->peak_flops) {
                r->peak_flops = f;
            }
        }
    }
    tt_set_num_threads(threads);
    free(a);
    free(b);
    free(c);
    const int64_t M = (int64_t)8 << 20; /* 32 MiB per array */
    float *x = malloc((size_t)M * sizeof(float)), *y = malloc((size_t)M * sizeof(float));
    float *z = malloc((size_t)M * sizeof(float));
    if (x && y && z) {
        for (int64_t i = 0; i < M; i++) {
            x[i] = 0.0f;
            y[i] = 1.0f;
            z[i] = 2.0f;
        }
        /* TODO: the triad x = y + 3 z, timed 6 times (the first is a warm-up): bandwidth = 12 bytes per
         * element / seconds, the best of the rest (only when x holds the right answer, 7) */
        /* BEGIN SOLUTION */
        for (int rep = 0; rep < 6; rep++) {
            const double t0 = now_s();
            for (int64_t i = 0; i < M; i++) {
                x[i] = y[i] + 3.0f * z[i];
            }
            const double dt = now_s() - t0, bw = 12.0 * (double)M / dt;
            if (rep > 0 && bw > r->bw_bytes_per_s && x[M / 2] == 7.0f) {
                r->bw_bytes_per_s = bw;
            }
        }
        /* END SOLUTION */
    }
    free(x);
    free(y);
    free(z);
}

/* Writes the text of fill(f, ctx) to path through the shared atomic writer (tinytorch/fileio.h). */
static int write_atomic(const char *path, void (*fill)(FILE *, const void *), const void *ctx, char *err,
                        size_t errlen)
{
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    fill(af.f, ctx);
    return tt_atomic_commit(&af, err, errlen);
}

static void fill_roof(FILE *f, const void *ctx)
{
    const tt_roofline *r = ctx;
    fprintf(f, "{\"cpu\": ");
    tt_json_write_string(f, r->cpu);
    fprintf(f, ", \"sgemm\": ");
    tt_json_write_string(f, r->sgemm);
    fprintf(f, ", \"peak_flops\": %.17g, \"bw_bytes_per_s\": %.17g}\n", r->peak_flops, r->bw_bytes_per_s);
}

/* The cache path: the given one, else $XDG_CACHE_HOME/tinytorch/roofline.json or
 * ~/.cache/tinytorch/roofline.json (the directory is created). */
static const char *cache_file(const char *given, char *buf, size_t len)
{
    if (given) {
        return given;
    }
    char dir[1200];
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (x && *x) {
        snprintf(dir, sizeof dir, "%s/tinytorch", x);
    } else {
        snprintf(dir, sizeof dir, "%s/.cache", h && *h ? h : ".");
        mkdir(dir, 0755);
        snprintf(dir, sizeof dir, "%s/.cache/tinytorch", h && *h ? h : ".");
    }
    mkdir(dir, 0755); /* may exist; a failure only means no cache */
    snprintf(buf, len, "%s/roofline.json", dir);
    return buf;
}

int tt_roofline_store(const char *cache_path, const tt_roofline *r)
{
    char def[1300], err[256];
    return write_atomic(cache_file(cache_path, def, sizeof def), fill_roof, r, err, sizeof err);
}

void tt_roofline_cached(const char *cache_path, tt_roofline *r)
{
    char def[1300];
    cache_path = cache_file(cache_path, def, sizeof def);
    char cpu[128];
    cpu_model(cpu, sizeof cpu);
    FILE *f = fopen(cache_path, "r");
    if (f) {
        char buf[2048];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char jerr[128];
        tt_json *j = tt_json_parse(buf, n, jerr, sizeof jerr);
        const tt_json *c = j ? tt_json_get(j, "cpu") : NULL, *s = j ? tt_json_get(j, "sgemm") : NULL;
        const tt_json *p = j ? tt_json_get(j, "peak_flops") : NULL, *b = j ? tt_json_get(j, "bw_bytes_per_s") : NULL;
        if (c && s && p && b && c->type == TT_JSON_STRING && s->type == TT_JSON_STRING && p->type == TT_JSON_NUMBER &&
            b->type == TT_JSON_NUMBER && strcmp(c->string, cpu) == 0 && strcmp(s->string, tt_sgemm_kernel()) == 0 &&
            p->number > 0 && b->number > 0) {
            memset(r, 0, sizeof *r);
            snprintf(r->cpu, sizeof r->cpu, "%s", cpu);
            snprintf(r->sgemm, sizeof r->sgemm, "%s", s->string);
            r->peak_flops = p->number;
            r->bw_bytes_per_s = b->number;
            r->cached = true;
            tt_json_free(j);
            return;
        }
        tt_json_free(j);
    }
    tt_roofline_measure(r);
    (void)tt_roofline_store(cache_path, r);
}

/* ---- outputs -------------------------------------------------------------------------------------- */

typedef struct out_ctx { const tt_profile *p; const tt_roofline *r; const char *model; } out_ctx;

static double step_seconds(const tt_profile *p) { return p->forward_seconds + p->loss_seconds + p->backward_seconds; }

static void fill_json(FILE *f, const void *ctx)
{
    const out_ctx *c = ctx;
    const tt_profile *p = c->p;
    const double step = step_seconds(p);
    fprintf(f, "{\n  \"model\": ");
    tt_json_write_string(f, c->model);
    fprintf(f, ",\n  \"batch\": %lld, \"steps\": %d,\n", (long long)p->batch, p->steps);
    fprintf(f, "  \"forward_seconds\": %.6g, \"loss_seconds\": %.6g, \"backward_seconds\": %.6g, \"step_seconds\": %.6g,\n",
            p->forward_seconds, p->loss_seconds, p->backward_seconds, step);
    fprintf(f, "  \"plain_step_seconds\": %.6g, \"profiler_overhead\": %.4f,\n", p->plain_step_seconds,
            p->plain_step_seconds > 0 ? step / p->plain_step_seconds - 1.0 : 0.0);
    fprintf(f, "  \"arena_peak_bytes\": %zu, \"params\": %lld, \"param_bytes\": %lld,\n", p->arena_peak_bytes,
            (long long)p->params, (long long)p->param_bytes);
    fprintf(f, "  \"machine\": {\"cpu\": ");
    tt_json_write_string(f, c->r->cpu);
    fprintf(f, ", \"sgemm\": \"%s\", \"peak_flops\": %.6g, \"bw_bytes_per_s\": %.6g, \"ridge_flops_per_byte\": %.4g, "
            "\"how\": \"peak: our SGEMM 512^3 on one thread; bandwidth: STREAM-like triad over 3 x 32 MiB\"},\n",
            c->r->sgemm, c->r->peak_flops, c->r->bw_bytes_per_s, c->r->peak_flops / c->r->bw_bytes_per_s);
    fprintf(f, "  \"layers\": [\n");
    for (int i = 0; i < p->n; i++) {
        const tt_prof_layer *l = &p->layers[i];
        const double t = l->seconds + l->backward_seconds;
        fprintf(f, "    {\"index\": %d, \"kind\": \"%s\", \"flops\": %.6g, \"bytes\": %.6g, \"seconds\": %.6g, "
                "\"backward_seconds\": %.6g, \"share\": %.4f, \"gflops\": %.4g, \"intensity\": %.4g, "
                "\"params\": %lld, \"out_bytes\": %lld, \"fused\": %d}%s\n",
                l->index, l->kind, l->flops, l->bytes, l->seconds, l->backward_seconds, step > 0 ? t / step : 0.0,
                l->seconds > 0 ? tt_prof_call_flops(p, i) / l->seconds * 1e-9 : 0.0, l->bytes > 0 ? l->flops / l->bytes : 0.0,
                (long long)l->params, (long long)l->out_bytes, l->fused, i + 1 < p->n ? "," : "");
    }
    fprintf(f, "  ],\n  \"backward_ops\": [\n");
    for (int i = 0; i < p->n_ops; i++) {
        fprintf(f, "    {\"op\": \"%s\", \"calls\": %lld, \"seconds\": %.6g, \"share\": %.4f}%s\n", p->ops[i].op,
                (long long)p->ops[i].calls, p->ops[i].seconds, step > 0 ? p->ops[i].seconds / step : 0.0,
                i + 1 < p->n_ops ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
}

int tt_profile_write_json(const tt_profile *p, const tt_roofline *r, const char *model, const char *path,
                          char *err, size_t errlen)
{
    out_ctx c = {p, r, model};
    return write_atomic(path, fill_json, &c, err, errlen);
}

/* SVG: log10(intensity) in [-2, 3] on x, log10(FLOP/s) in [7, ceil(log10(2 * peak))] on y. */
static void fill_svg(FILE *f, const void *ctx)
{
    const out_ctx *c = ctx;
    const double W = 720, H = 460, L = 70, R = 30, T = 40, B = 50;
    const double x0 = -2.0, x1 = 3.0, y0 = 7.0, y1 = ceil(log10(2.0 * c->r->peak_flops));
#define SX(v) (L + ((v) - x0) / (x1 - x0) * (W - L - R))
#define SY(v) (H - B - ((v) - y0) / (y1 - y0) * (H - T - B))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
            "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"14\">Roofline: %s, batch %lld (forward per layer)</text>\n", L,
            c->model, (long long)c->p->batch);
    for (double v = x0; v <= x1 + 1e-9; v += 1.0) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                SX(v), SY(y0), SX(v), SY(y1), SX(v), SY(y0) + 16, pow(10.0, v));
    }
    for (double v = y0; v <= y1 + 1e-9; v += 1.0) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                SX(x0), SY(v), SX(x1), SY(v), SX(x0) - 6, SY(v) + 4, pow(10.0, v - 9.0));
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">arithmetic intensity (FLOP/byte)</text>\n",
            (SX(x0) + SX(x1)) / 2, H - 12);
    fprintf(f, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">GFLOP/s</text>\n",
            (SY(y0) + SY(y1)) / 2, (SY(y0) + SY(y1)) / 2);
    /* the roof: bandwidth slope up to the ridge, then the peak */
    const double ridge = log10(c->r->peak_flops / c->r->bw_bytes_per_s);
    const double lp = log10(c->r->peak_flops), lb0 = log10(c->r->bw_bytes_per_s) + x0;
    fprintf(f, "<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
            SX(x0), SY(fmax(lb0, y0)), SX(ridge), SY(lp), SX(x1), SY(lp));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#c33\">peak %.1f GFLOP/s (our SGEMM), %.1f GB/s (triad)</text>\n",
            SX(ridge) + 6, SY(lp) - 6, c->r->peak_flops * 1e-9, c->r->bw_bytes_per_s * 1e-9);
    for (int i = 0; i < c->p->n; i++) {
        const tt_prof_layer *l = &c->p->layers[i];
        if (l->flops <= 0 || l->seconds <= 0 || l->bytes <= 0) {
            continue;
        }
        double xi = log10(l->flops / l->bytes), yi = log10(tt_prof_call_flops(c->p, i) / l->seconds);
        xi = fmin(fmax(xi, x0), x1);
        yi = fmin(fmax(yi, y0), y1);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#36c\"/><text x=\"%.1f\" y=\"%.1f\">%d %s</text>\n",
                SX(xi), SY(yi), SX(xi) + 7, SY(yi) + 4, l->index, l->kind);
    }
    fprintf(f, "</svg>\n");
#undef SX
#undef SY
}

int tt_profile_write_svg(const tt_profile *p, const tt_roofline *r, const char *model, const char *path,
                         char *err, size_t errlen)
{
    out_ctx c = {p, r, model};
    return write_atomic(path, fill_svg, &c, err, errlen);
}

double tt_roofline_predict(const tt_roofline *r, double flops, double bytes)
{
    /* TODO: the roofline's time: the larger of compute time (flops / peak) and memory time (bytes /
     * bandwidth); 0 when the roof is unknown (peak or bandwidth not > 0) */
    /* BEGIN SOLUTION */
    if (!(r->peak_flops > 0.0) || !(r->bw_bytes_per_s > 0.0)) {
        return 0.0;
    }
    const double tc = flops / r->peak_flops, tm = bytes / r->bw_bytes_per_s;
    return tc > tm ? tc : tm;
    /* END SOLUTION */
}
