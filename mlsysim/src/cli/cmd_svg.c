/* cmd_svg.c - the CLI's pictures: writing an SVG file whole (ms_write_bytes_atomic: an existing
 * picture is replaced whole or not at all), and collecting the
 * points of `mlsysim sweep --svg` into curves (ms_svg_curves, engine.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../core/file_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ms_cli_write_svg(const char *cmd, const char *path, size_t (*draw)(const void *, char *, size_t), const void *what)
{
    size_t n = draw(what, NULL, 0);
    if (n == 0) return MS_EXIT_INPUT;
    char *svg = malloc(n + 1);
    if (!svg) {
        fprintf(stderr, "mlsysim %s: %s: out of memory\n", cmd, path);
        return MS_EXIT_INPUT;
    }
    draw(what, svg, n + 1);
    char err[4400];
    int rc = ms_write_bytes_atomic(path, svg, n, err, sizeof err);
    if (rc) fprintf(stderr, "mlsysim %s: cannot write the picture %s\n", cmd, err);
    free(svg);
    return rc ? MS_EXIT_INPUT : MS_EXIT_OK;
}

struct ms_cli_curve {
    const ms_cli_vary *vary;
    int nv;
    long per_x;                /* points per x value: the combinations of the other knobs */
    int nx, numeric;
    char ykey[64];
    double *x, *y;             /* [series][nx] */
    unsigned char *hollow;
    long got;                  /* points with a finite y */
};

#define MAX_CURVES 8

ms_cli_curve *ms_cli_curve_new(const ms_cli_vary *vary, int nv, const char *ykey)
{
    long per_x = 1;
    for (int k = 1; k < nv; k++) per_x *= vary[k].n;
    if (per_x > MAX_CURVES) {
        fprintf(stderr, "mlsysim sweep: --svg draws at most %d curves, and the --vary after the first give %ld "
                        "combinations: vary fewer values (the first --vary is the x axis)\n", MAX_CURVES, per_x);
        return NULL;
    }
    const ms_result_key *k = ms_result_key_find(ykey);
    if (k && (k->kind == MS_V_STR || k->kind == MS_V_RAW)) {
        fprintf(stderr, "mlsysim sweep: --svg-key %s is not a number (pick a numeric key such as latency_s)\n", ykey);
        return NULL;
    }
    ms_cli_curve *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->vary = vary, c->nv = nv, c->per_x = per_x, c->nx = vary[0].n;
    snprintf(c->ykey, sizeof c->ykey, "%s", ykey);
    c->numeric = 1;
    for (int i = 0; i < c->nx; i++) {
        char *end;
        double v = strtod(vary[0].values[i], &end);
        if (end == vary[0].values[i] || *end || !isfinite(v)) c->numeric = 0;
    }
    size_t cells = (size_t)per_x * (size_t)c->nx;
    c->x = malloc(cells * sizeof *c->x);
    c->y = malloc(cells * sizeof *c->y);
    c->hollow = calloc(cells, 1);
    if (!c->x || !c->y || !c->hollow) { ms_cli_curve_free(c); return NULL; }
    for (size_t i = 0; i < cells; i++) c->y[i] = NAN;
    for (long s = 0; s < per_x; s++)
        for (int i = 0; i < c->nx; i++)
            c->x[(size_t)s * (size_t)c->nx + (size_t)i] = c->numeric ? strtod(vary[0].values[i], NULL) : i;
    return c;
}

void ms_cli_curve_add(ms_cli_curve *c, long idx, const ms_result *res, ms_status st)
{
    long xi = idx / c->per_x, s = idx % c->per_x;
    size_t at = (size_t)s * (size_t)c->nx + (size_t)xi;
    double v;
    if (st != MS_ERR_INPUT && ms_result_get(res, c->ykey, &v) && isfinite(v)) {
        c->y[at] = v;
        c->hollow[at] = st == MS_ERR_MEMORY;
        c->got++;
    }
}

typedef struct {
    const ms_cli_curve *c;
    const ms_svg_plot *plot;
    const ms_svg_series *series;
    int ns;
} curve_job;

static size_t draw_curves(const void *what, char *buf, size_t cap)
{
    const curve_job *j = what;
    return ms_svg_curves(j->plot, j->series, j->ns, buf, cap);
}

int ms_cli_curve_write(ms_cli_curve *c, const char *subject, const char *path)
{
    if (!c->got) {
        fprintf(stderr, "mlsysim sweep: --svg: no point has a numeric '%s', nothing drawn (see the keys of "
                        "`mlsysim -o json eval ...`)\n", c->ykey);
        return MS_EXIT_INPUT;
    }
    ms_svg_series series[MAX_CURVES];
    char labels[MAX_CURVES][256];
    int any_hollow = 0;
    for (long s = 0; s < c->per_x; s++) {
        size_t n = 0;
        labels[s][0] = 0;
        long stride = c->per_x;
        for (int k = 1; k < c->nv; k++) {       /* the other knobs' values of this curve */
            stride /= c->vary[k].n;
            const char *v = c->vary[k].values[(s / stride) % c->vary[k].n];
            int w = snprintf(labels[s] + n, sizeof labels[s] - n, "%s%s=%s", n ? ", " : "", c->vary[k].key, v);
            if (w < 0 || (size_t)w >= sizeof labels[s] - n) break;
            n += (size_t)w;
        }
        series[s].label = labels[s];
        series[s].n = c->nx;
        series[s].x = c->x + (size_t)s * (size_t)c->nx;
        series[s].y = c->y + (size_t)s * (size_t)c->nx;
        series[s].hollow = c->hollow + (size_t)s * (size_t)c->nx;
        for (int i = 0; i < c->nx; i++) any_hollow |= series[s].hollow[i];
    }
    char title[400], xlabel[160], ylabel[160];
    snprintf(title, sizeof title, "sweep: %s", subject);
    snprintf(xlabel, sizeof xlabel, "%s", c->vary[0].key);
    const ms_result_key *k = ms_result_key_find(c->ykey);
    if (k && k->unit && k->unit[0]) snprintf(ylabel, sizeof ylabel, "%s (%s)", c->ykey, k->unit);
    else snprintf(ylabel, sizeof ylabel, "%s", c->ykey);
    ms_svg_plot plot = {title, xlabel, ylabel, c->vary[0].key, c->ykey,
                        c->numeric ? NULL : (const char *const *)c->vary[0].values, c->numeric ? 0 : c->nx,
                        any_hollow ? "open circles: does not fit in memory (the in-memory figure)" : NULL};
    curve_job j = {c, &plot, series, (int)c->per_x};
    return ms_cli_write_svg("sweep", path, draw_curves, &j);
}

void ms_cli_curve_free(ms_cli_curve *c)
{
    if (!c) return;
    free(c->x);
    free(c->y);
    free(c->hollow);
    free(c);
}
