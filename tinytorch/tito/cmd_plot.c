/* cmd_plot.c - `tito plot`: loss and accuracy curves from the JSON-lines metrics logs that tt_fit and
 * the milestones write (<out>/<run>.metrics.jsonl: one object per epoch, {"event":"epoch","epoch":1,
 * "train_loss":...,"eval_loss":...,"eval_accuracy":...,"lr":...}), several runs overlaid.
 *
 * Each log becomes, per numeric key, one series of (x, value) points, x being the line's "epoch"
 * (or --x KEY; the record's number when the key is absent). A metric name picks the keys equal to it
 * or ending in "_<name>" ("loss": train_loss and eval_loss), one panel per metric, one line per run
 * and key. Output: a compact terminal chart (one marker character per line), or with --svg an SVG
 * through the milestones' plot writer (tt_ms_plot_panels_svg; atomic). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "../milestones/ms_common.h"
#include "tinytorch/json.h"

#define MAX_LINE (1 << 20) /* bytes of one log line */
#define MAX_RUNS 16
#define MAX_METRICS 8

static void plot_usage(FILE *f)
{
    fprintf(f,
            "usage: tito plot LOG.metrics.jsonl [MORE.metrics.jsonl ...] [options]\n"
            "\n"
            "Draws training curves from the metrics logs that training writes (one JSON object per epoch:\n"
            "tito milestone run NN writes <out>/<run>.metrics.jsonl). Several logs are overlaid, one line per\n"
            "run, for comparison. Without --svg the chart is drawn in the terminal.\n"
            "\n"
            "options:\n"
            "  --metric LIST   comma-separated metrics, one panel each (default loss,accuracy). A name picks\n"
            "                  the keys equal to it or ending in _NAME: loss = train_loss and eval_loss,\n"
            "                  accuracy = eval_accuracy; any key of the log works (lr, samples_per_s, ...)\n"
            "  --x KEY         the x axis (default epoch; a record without it counts 1, 2, 3 ...)\n"
            "  --svg FILE      write an SVG (loss and accuracy panels, a legend) instead of the terminal chart\n"
            "  --width N       terminal chart width in characters (default 64, 16 to 400)\n"
            "  --height N      terminal chart height in rows (default 12, 3 to 100)\n"
            "\n"
            "examples:\n"
            "  tito plot runs/04_cnn_lenet5_fashion_mnist.metrics.jsonl\n"
            "  tito plot runs/03_mlp_fashion_mnist.metrics.jsonl other/03_mlp_fashion_mnist.metrics.jsonl --metric accuracy\n"
            "  tito plot runs/*.metrics.jsonl --svg curves.svg\n"
            "  tito plot run.metrics.jsonl --metric lr --x steps\n"
            "\n"
            "exit status: 0 done, 2 error (a file that cannot be read, a line that is not a JSON object,\n"
            "a metric no log has)\n");
}

static int plbad(const char *fmt, const char *arg)
{
    fflush(stdout);
    fprintf(stderr, "tito plot: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito plot --help')\n");
    return 2;
}

/* ---- reading the logs ---------------------------------------------------------------------------- */

typedef struct series {
    char *key;
    double *x, *y;
    int n, cap;
} series;

typedef struct run {
    const char *path;
    char label[128];
    series *s;
    int n, cap;
} run;

static series *series_of(run *r, const char *key)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->s[i].key, key) == 0) {
            return &r->s[i];
        }
    }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        series *s = realloc(r->s, (size_t)cap * sizeof *s);
        if (!s) {
            return NULL;
        }
        r->s = s;
        r->cap = cap;
    }
    series *s = &r->s[r->n];
    memset(s, 0, sizeof *s);
    s->key = malloc(strlen(key) + 1);
    if (!s->key) {
        return NULL;
    }
    strcpy(s->key, key);
    r->n++;
    return s;
}

static bool series_add(series *s, double x, double y)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        double *nx = realloc(s->x, (size_t)cap * sizeof *nx);
        if (nx) {
            s->x = nx;
        }
        double *ny = nx ? realloc(s->y, (size_t)cap * sizeof *ny) : NULL;
        if (!ny) {
            return false;
        }
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return true;
}

static void run_free(run *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->s[i].key);
        free(r->s[i].x);
        free(r->s[i].y);
    }
    free(r->s);
}

/* The run's name: the file name without its directory and ".metrics.jsonl" / ".jsonl". */
static void run_label(run *r)
{
    const char *b = strrchr(r->path, '/');
    b = b ? b + 1 : r->path;
    snprintf(r->label, sizeof r->label, "%s", b);
    static const char *const ext[] = {".metrics.jsonl", ".jsonl"};
    for (size_t e = 0; e < 2; e++) {
        size_t n = strlen(r->label), m = strlen(ext[e]);
        if (n > m && strcmp(r->label + n - m, ext[e]) == 0) {
            r->label[n - m] = '\0';
            break;
        }
    }
}

/* Reads one log. Returns 0, or 2 with the error printed (file:line: reason). */
static int read_log(run *r, const char *xkey)
{
    FILE *f = fopen(r->path, "r");
    if (!f) {
        fprintf(stderr, "tito plot: %s: cannot open (%s)\n", r->path, strerror(errno));
        return 2;
    }
    /* one bounded buffer: a line is never read past MAX_LINE bytes, whatever the file holds */
    char *line = malloc((size_t)MAX_LINE + 2);
    if (!line) {
        fclose(f);
        fprintf(stderr, "tito plot: %s: out of memory\n", r->path);
        return 2;
    }
    int lineno = 0, records = 0, rc = 0;
    while (rc == 0 && fgets(line, MAX_LINE + 2, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len > MAX_LINE && line[len - 1] != '\n') {
            fprintf(stderr, "tito plot: %s:%d: line longer than %d bytes\n", r->path, lineno, MAX_LINE);
            rc = 2;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        size_t skip = strspn(line, " \t");
        if (line[skip] == '\0') {
            continue; /* blank line */
        }
        char jerr[256];
        tt_json *j = tt_json_parse(line, len, jerr, sizeof jerr);
        if (!j || j->type != TT_JSON_OBJECT) {
            fprintf(stderr, "tito plot: %s:%d: %s%s\n", r->path, lineno, j ? "not a JSON object" : "not JSON: ",
                    j ? "" : jerr);
            tt_json_free(j);
            rc = 2;
            break;
        }
        records++;
        const tt_json *xv = tt_json_get(j, xkey);
        const double x = xv && xv->type == TT_JSON_NUMBER ? xv->number : (double)records;
        for (const tt_json *m = j->child; m; m = m->next) {
            if (m->type != TT_JSON_NUMBER || strcmp(m->key, xkey) == 0) {
                continue; /* strings ("event"), nulls (a value that was not finite), the x key */
            }
            series *s = series_of(r, m->key);
            if (!s || !series_add(s, x, m->number)) {
                fprintf(stderr, "tito plot: %s:%d: out of memory\n", r->path, lineno);
                rc = 2;
                break;
            }
        }
        tt_json_free(j);
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "tito plot: %s: read error (%s)\n", r->path, strerror(errno));
        rc = 2;
    }
    if (rc == 0 && records == 0) {
        fprintf(stderr, "tito plot: %s: no records (an empty log: did the run finish an epoch?)\n", r->path);
        rc = 2;
    }
    free(line);
    fclose(f);
    return rc;
}

static bool key_matches(const char *key, const char *metric)
{
    size_t k = strlen(key), m = strlen(metric);
    return strcmp(key, metric) == 0 || (k > m + 1 && key[k - m - 1] == '_' && strcmp(key + k - m, metric) == 0);
}

/* ---- the terminal chart -------------------------------------------------------------------------- */

static const char markers[] = "*o+x#@%&";

/* One panel as text: y labels on the left, x range below, one marker per line, later lines on top. */
static void draw_text(const char *name, const tt_ms_line *lines, int n_lines, const char *xkey, int width,
                      int height)
{
    double x0 = INFINITY, x1 = -INFINITY, lo = INFINITY, hi = -INFINITY, a, b, step;
    for (int l = 0; l < n_lines; l++) {
        for (int i = 0; i < lines[l].n; i++) {
            x0 = fmin(x0, lines[l].x[i]);
            x1 = fmax(x1, lines[l].x[i]);
            lo = fmin(lo, lines[l].y[i]);
            hi = fmax(hi, lines[l].y[i]);
        }
    }
    tt_ms_nice_axis(lo, hi, height > 4 ? 4 : height - 1, &a, &b, &step);
    char *grid = malloc((size_t)width * (size_t)height);
    if (!grid) {
        return;
    }
    memset(grid, ' ', (size_t)width * (size_t)height);
    for (int l = 0; l < n_lines; l++) {
        const tt_ms_line *ln = &lines[l];
        const char mk = markers[l % (int)(sizeof markers - 1)];
        if (ln->n == 1) { /* one point: one marker at its column */
            const int c = x1 > x0 ? (int)lround((ln->x[0] - x0) / (x1 - x0) * (width - 1)) : 0;
            int row = (int)lround((b - ln->y[0]) / (b - a) * (height - 1));
            grid[(row < 0 ? 0 : row >= height ? height - 1 : row) * width + c] = mk;
            continue;
        }
        for (int c = 0; c < width; c++) {
            /* x at the column; y interpolated along the line; columns outside its x range stay empty */
            const double x = x1 > x0 ? x0 + (x1 - x0) * c / (width - 1) : x0;
            for (int i = 0; i + 1 < ln->n; i++) {
                if (x >= ln->x[i] && x <= ln->x[i + 1]) {
                    const double dx = ln->x[i + 1] - ln->x[i];
                    const double y = dx > 0 ? ln->y[i] + (ln->y[i + 1] - ln->y[i]) * (x - ln->x[i]) / dx : ln->y[i];
                    int row = (int)lround((b - y) / (b - a) * (height - 1));
                    grid[(row < 0 ? 0 : row >= height ? height - 1 : row) * width + c] = mk;
                    break;
                }
            }
        }
    }
    char ta[32], tb[32];
    int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    dec = dec > 9 ? 9 : dec;
    snprintf(ta, sizeof ta, "%.*f", dec, a);
    snprintf(tb, sizeof tb, "%.*f", dec, b);
    const int lw = (int)(strlen(ta) > strlen(tb) ? strlen(ta) : strlen(tb));
    printf("%s\n", name);
    for (int r = 0; r < height; r++) {
        const char *lab = r == 0 ? tb : r == height - 1 ? ta : "";
        const char *row = grid + (size_t)r * (size_t)width;
        int used = width;
        while (used > 0 && row[used - 1] == ' ') {
            used--; /* no trailing blanks */
        }
        printf("%*s |%.*s\n", lw, lab, used, row);
    }
    printf("%*s +", lw, "");
    for (int c = 0; c < width; c++) {
        putchar('-');
    }
    char xa[32], xb[32];
    snprintf(xa, sizeof xa, "%.6g", x0);
    snprintf(xb, sizeof xb, "%.6g", x1);
    int gap = width - (int)strlen(xa) - (int)strlen(xb);
    printf("\n%*s  %s%*s%s  (%s)\n", lw, "", xa, gap > 1 ? gap : 1, "", xb, xkey);
    for (int l = 0; l < n_lines; l++) {
        printf("%*s  %c %s\n", lw, "", markers[l % (int)(sizeof markers - 1)], lines[l].name);
    }
    free(grid);
}

/* ---- the command --------------------------------------------------------------------------------- */

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        return false;
    }
    *out = (int)v;
    return true;
}

int tito_cmd_plot(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        plot_usage(stdout);
        return 0;
    }
    const char *files[MAX_RUNS], *svg = NULL, *xkey = "epoch", *metric_arg = "loss,accuracy";
    int n_files = 0, width = 64, height = 12;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (n_files == MAX_RUNS) {
                return plbad("more than %s logs (compare fewer at a time)", "16");
            }
            files[n_files++] = a;
            continue;
        }
        if (strcmp(a, "--svg") && strcmp(a, "--metric") && strcmp(a, "--x") && strcmp(a, "--width") &&
            strcmp(a, "--height")) {
            return plbad("unknown option '%s'", a);
        }
        if (!v) {
            return plbad("option '%s' needs a value", a);
        }
        i++;
        if (strcmp(a, "--svg") == 0) {
            svg = v;
        } else if (strcmp(a, "--metric") == 0) {
            metric_arg = v;
        } else if (strcmp(a, "--x") == 0) {
            xkey = v;
        } else if (strcmp(a, "--width") == 0 ? !parse_int(v, 16, 400, &width) : !parse_int(v, 3, 100, &height)) {
            return plbad(strcmp(a, "--width") == 0 ? "--width '%s': want a whole number from 16 to 400"
                                                   : "--height '%s': want a whole number from 3 to 100", v);
        }
    }
    if (n_files == 0) {
        return plbad("%s", "which log? (e.g. runs/04_cnn_lenet5_fashion_mnist.metrics.jsonl)");
    }
    char metrics_buf[256], *metrics[MAX_METRICS];
    int n_metrics = 0;
    snprintf(metrics_buf, sizeof metrics_buf, "%s", metric_arg);
    for (char *save = NULL, *t = strtok_r(metrics_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n_metrics == MAX_METRICS) {
            return plbad("--metric: more than %s metrics", "8");
        }
        metrics[n_metrics++] = t;
    }
    if (n_metrics == 0) {
        return plbad("--metric '%s': want names such as loss,accuracy", metric_arg);
    }
    run runs[MAX_RUNS];
    memset(runs, 0, sizeof runs);
    int rc = 0;
    for (int i = 0; i < n_files && rc == 0; i++) {
        runs[i].path = files[i];
        run_label(&runs[i]);
        rc = read_log(&runs[i], xkey);
    }
    /* two logs of the same name from different folders: label them by path */
    for (int i = 0; i < n_files; i++) {
        for (int k = 0; k < n_files; k++) {
            if (k != i && strcmp(runs[i].label, runs[k].label) == 0) {
                snprintf(runs[i].label, sizeof runs[i].label, "%s", runs[i].path);
            }
        }
    }
    static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                          "#e377c2", "#17becf"};
    tt_ms_panel panels[MAX_METRICS];
    tt_ms_line *lines = NULL;
    char(*names)[192] = NULL;
    int total = 0;
    if (rc == 0) {
        for (int r = 0; r < n_files; r++) {
            total += runs[r].n;
        }
        lines = calloc((size_t)(total ? total : 1) * n_metrics, sizeof *lines);
        names = calloc((size_t)(total ? total : 1) * n_metrics, sizeof *names);
        if (!lines || !names) {
            fprintf(stderr, "tito plot: out of memory\n");
            rc = 2;
        }
    }
    int used = 0;
    for (int m = 0; rc == 0 && m < n_metrics; m++) {
        panels[m] = (tt_ms_panel){metrics[m], lines + used, 0};
        for (int r = 0; r < n_files; r++) {
            for (int k = 0; k < runs[r].n; k++) {
                const series *s = &runs[r].s[k];
                if (!key_matches(s->key, metrics[m])) {
                    continue;
                }
                snprintf(names[used], sizeof names[used], "%s: %s", runs[r].label, s->key);
                lines[used] = (tt_ms_line){names[used], s->x, s->y, s->n,
                                           colours[panels[m].n_lines % (int)(sizeof colours / sizeof colours[0])]};
                used++;
                panels[m].n_lines++;
            }
        }
        if (panels[m].n_lines == 0) {
            char keys[512] = "";
            for (int k = 0; k < runs[0].n; k++) {
                size_t at = strlen(keys);
                snprintf(keys + at, sizeof keys - at, "%s%s", k ? ", " : "", runs[0].s[k].key);
            }
            fprintf(stderr, "tito plot: no log has '%s' (keys of %s: %s)\n(try 'tito plot --help')\n", metrics[m],
                    runs[0].path, keys);
            rc = 2;
        }
    }
    if (rc == 0 && svg) {
        char err[512], title[256];
        snprintf(title, sizeof title, "%s%s", n_files == 1 ? runs[0].label : "training curves",
                 n_files == 1 ? "" : " (overlaid runs)");
        if (tt_ms_plot_panels_svg(svg, title, xkey, false, panels, n_metrics, err, sizeof err) != 0) {
            fprintf(stderr, "tito plot: %s\n", err);
            rc = 2;
        } else {
            printf("wrote %s (%d panel%s, %d line%s)\n", svg, n_metrics, n_metrics == 1 ? "" : "s", used,
                   used == 1 ? "" : "s");
        }
    } else if (rc == 0) {
        for (int m = 0; m < n_metrics; m++) {
            draw_text(panels[m].name, panels[m].lines, panels[m].n_lines, xkey, width, height);
            if (m + 1 < n_metrics) {
                putchar('\n');
            }
        }
    }
    free(lines);
    free(names);
    for (int r = 0; r < n_files; r++) {
        run_free(&runs[r]);
    }
    return rc;
}
