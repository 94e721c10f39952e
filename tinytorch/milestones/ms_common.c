/* ms_common.c - the helpers of ms_common.h and the tt_milestone_result accessors of milestone.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ms_common.h"
#include "tinytorch/fileio.h"
#include "tinytorch/gemm.h"

/* ---- results ------------------------------------------------------------------------------------ */

static int find_or_add(tt_milestone_result *r, const char *key)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->f[i].key, key) == 0) {
            return i;
        }
    }
    if (r->n >= TT_MS_MAX_FIELDS) {
        fprintf(stderr, "milestone result: more than %d fields, \"%s\" dropped\n", TT_MS_MAX_FIELDS, key);
        return -1;
    }
    int i = r->n++;
    snprintf(r->f[i].key, sizeof r->f[i].key, "%s", key);
    return i;
}

void tt_ms_result_num(tt_milestone_result *r, const char *key, double value)
{
    int i = find_or_add(r, key);
    if (i >= 0) {
        r->f[i].is_str = false;
        r->f[i].num = value;
    }
}

void tt_ms_result_str(tt_milestone_result *r, const char *key, const char *value)
{
    int i = find_or_add(r, key);
    if (i >= 0) {
        r->f[i].is_str = true;
        size_t n = strlen(value);
        n = n < sizeof r->f[i].str ? n : sizeof r->f[i].str - 1; /* truncates very long values */
        memcpy(r->f[i].str, value, n);
        r->f[i].str[n] = 0;
    }
}

double tt_ms_result_get(const tt_milestone_result *r, const char *key, double fallback)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->f[i].key, key) == 0 && !r->f[i].is_str) {
            return r->f[i].num;
        }
    }
    return fallback;
}

void tt_ms_data_path(const tt_milestone_opts *o, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", o->data_dir ? o->data_dir : "data", rel);
}

const char *const tt_ms_fashion_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

int tt_ms_save(const tt_milestone_opts *o, const char *stem, const char *key_prefix, tt_layer *model,
               const tt_optimizer *opt, const tt_kv *meta, int n_meta, const tt_model_info *info,
               tt_milestone_result *res)
{
    const char *out = o->out_dir ? o->out_dir : "runs";
    char err[512], path[1100], key[64];
    if (tt_mkdir_p(out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(path, sizeof path, "%s/%s.safetensors", out, stem);
    tt_model_info full = {0};
    if (info) {
        full = *info;
    }
    full.opt = opt;
    full.extra = meta;
    full.n_extra = n_meta;
    if (tt_model_save(path, model, &full, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(key, sizeof key, "%scheckpoint", key_prefix);
    tt_ms_result_str(res, key, path);
    printf("  checkpoint: %s\n", path);
    return 0;
}

int tt_ms_open_log(const tt_milestone_opts *o, const char *stem, tt_metrics_log *log,
                   tt_milestone_result *res, const char *key_prefix)
{
    const char *out = o->out_dir ? o->out_dir : "runs";
    char err[512], path[1100], key[64];
    if (tt_mkdir_p(out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(path, sizeof path, "%s/%s.metrics.jsonl", out, stem);
    if (tt_metrics_open(log, path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    snprintf(key, sizeof key, "%smetrics_log", key_prefix);
    tt_ms_result_str(res, key, path);
    return 0;
}

bool tt_ms_check(const char *what, double accuracy, double goal, bool at_least)
{
    bool met = at_least ? accuracy >= goal : accuracy <= goal;
    printf("  %-34s %6.2f %%  (goal %s %g %%)  %s\n", what, 100.0 * accuracy, at_least ? ">=" : "<=",
           100.0 * goal, met ? "met" : "MISSED");
    return met;
}

void tt_ms_note(const char *what, double accuracy, double goal)
{
    printf("  %-34s %6.2f %%  (goal >= %g %% is for the full run; not checked)\n", what, 100.0 * accuracy,
           100.0 * goal);
}

void tt_ms_set_threads(tt_milestone_result *res)
{
    const char *nt = getenv("TT_NUM_THREADS");
    tt_set_num_threads(nt && atoi(nt) > 0 ? atoi(nt) : 1);
    tt_ms_result_num(res, "threads", tt_get_num_threads());
}

int tt_ms_run_parts(const tt_milestone_opts *o, tt_milestone_result *res, const tt_ms_part *parts, int n)
{
    int missed = 0;
    for (int i = 0; i < n; i++) {
        int rc = parts[i](o, res);
        if (rc == 2) {
            return 2;
        }
        missed |= rc != 0;
    }
    tt_ms_result_num(res, "quick", o->quick ? 1 : 0);
    return missed ? 1 : 0;
}

int tt_ms_run_declared(const tt_milestone_opts *o, tt_milestone_result *res, const tt_milestone_part *parts,
                       int n)
{
    int missed = 0;
    for (int i = 0; i < n; i++) {
        if (o->part > 0 && o->part != i + 1) {
            continue;
        }
        int rc = parts[i].run(o, res);
        if (rc == 2) {
            return 2;
        }
        missed |= rc != 0;
    }
    tt_ms_result_num(res, "quick", o->quick ? 1 : 0);
    if (o->part > 0) {
        tt_ms_result_num(res, "part", o->part);
    }
    return missed ? 1 : 0;
}

void tt_ms_resumable(const tt_milestone_opts *o, const char *stem, tt_train_config *c, char *path, size_t len)
{
    snprintf(path, len, "%s/%s.state.safetensors", o->out_dir ? o->out_dir : "runs", stem);
    c->state_path = path;
    c->checkpoint_every = o->checkpoint_every;
    c->resume = o->resume;
}

int tt_ms_load_fashion(const tt_milestone_opts *o, int64_t quick_n, tt_dataset **train, tt_dataset **test)
{
    char dir[1024], err[512];
    tt_ms_data_path(o, "fashion-mnist", dir, sizeof dir);
    tt_dataset *full = NULL, *te = NULL;
    if (tt_load_mnist(dir, "train", TT_MS_FMNIST_MEAN, TT_MS_FMNIST_STD, &full, err, sizeof err) != 0 ||
        tt_load_mnist(dir, "t10k", TT_MS_FMNIST_MEAN, TT_MS_FMNIST_STD, &te, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n",
                err);
        tt_dataset_free(full);
        return 2;
    }
    if (o->quick && quick_n > 0) {
        int64_t *idx = malloc((size_t)quick_n * sizeof(int64_t));
        for (int64_t i = 0; idx && i < quick_n; i++) {
            idx[i] = i;
        }
        tt_dataset *sub = idx ? tt_dataset_subset(full, idx, quick_n) : NULL;
        free(idx);
        tt_dataset_free(full);
        if (!sub) {
            fprintf(stderr, "error: out of memory\n");
            tt_dataset_free(te);
            return 2;
        }
        full = sub;
    }
    *train = full;
    *test = te;
    return 0;
}

void tt_ms_record_fit(tt_milestone_result *res, const char *key_prefix, const tt_train_stats *st, int epochs,
                      int64_t train_images, int64_t params, double goal)
{
    const struct { const char *f; double v; } fields[] = {
        {"test_accuracy", st->eval_accuracy}, {"test_loss", st->eval_loss}, {"train_loss", st->train_loss},
        {"epochs", epochs}, {"train_images", (double)train_images}, {"params", (double)params},
        {"train_seconds", st->train_seconds}, {"samples_per_s", st->samples_per_s},
        {"peak_arena_bytes", (double)st->peak_arena_bytes}, {"goal", goal}, {"resumed_at_step", -1}};
    char k[128];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(fields[i].f, "resumed_at_step") == 0) { /* only for a run that continued a state */
            if (!st->resumed) {
                continue;
            }
            snprintf(k, sizeof k, "%s%s", key_prefix, fields[i].f);
            tt_ms_result_num(res, k, (double)st->resumed_at_step);
            continue;
        }
        snprintf(k, sizeof k, "%s%s", key_prefix, fields[i].f);
        tt_ms_result_num(res, k, fields[i].v);
    }
}

int tt_ms_record_run(const tt_milestone_opts *o, const tt_milestone *m, const tt_milestone_result *r, int rc)
{
    char path[1100], line[1024];
    snprintf(path, sizeof path, "%s/%s", o->out_dir ? o->out_dir : "runs", TT_MS_RUNS_FILE);
    double v = m->headline ? tt_ms_result_get(r, m->headline, NAN) : NAN;
    char value[64] = "null";
    if (isfinite(v)) {
        snprintf(value, sizeof value, "%.17g", v);
    }
    int n = snprintf(line, sizeof line,
                     "{\"milestone\":\"%s\",\"time\":%lld,\"part\":%d,\"quick\":%s,\"exit_code\":%d,"
                     "\"goal_met\":%s,\"headline\":\"%s\",\"value\":%s}\n",
                     m->id, (long long)time(NULL), o->part, tt_ms_result_get(r, "quick", 0) != 0 ? "true" : "false",
                     rc, rc == 0 ? "true" : "false", m->headline ? m->headline : "", value);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || n < 0 || (size_t)n >= sizeof line || write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        fprintf(stderr, "error: cannot record the run in %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- plots -------------------------------------------------------------------------------------- */

static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') {
            fputs("&lt;", f);
        } else if (*s == '>') {
            fputs("&gt;", f);
        } else if (*s == '&') {
            fputs("&amp;", f);
        } else {
            fputc(*s, f);
        }
    }
}

void tt_ms_nice_axis(double lo, double hi, int ticks, double *a, double *b, double *step)
{
    if (!(hi > lo)) {
        const double pad = fabs(hi) * 0.1 + 1e-9;
        lo -= pad;
        hi += pad;
    }
    const double raw = (hi - lo) / (ticks > 0 ? ticks : 1), mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    *step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
    *a = floor(lo / *step + 1e-9) * *step;
    *b = ceil(hi / *step - 1e-9) * *step;
}

/* a tick value with as many decimals as its step needs ("0.5", "1200", "0.025") */
static void tick_text(char *buf, size_t len, double v, double step)
{
    int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, len, "%.*f", dec > 9 ? 9 : dec, fabs(v) < step * 1e-9 ? 0.0 : v);
}

int tt_ms_plot_panels_svg(const char *path, const char *title, const char *xlabel, bool log2_x,
                          const tt_ms_panel *panels, int n_panels, char *err, size_t errlen)
{
    double x0 = INFINITY, x1 = -INFINITY;
    for (int p = 0; p < n_panels; p++) {
        for (int l = 0; l < panels[p].n_lines; l++) {
            const tt_ms_line *ln = &panels[p].lines[l];
            for (int i = 0; i < ln->n; i++) {
                const double xv = log2_x ? log2(ln->x[i]) : ln->x[i];
                x0 = fmin(x0, xv);
                x1 = fmax(x1, xv);
            }
        }
    }
    if (!(x0 <= x1)) {
        snprintf(err, errlen, "%s: nothing to plot", path);
        return -1;
    }
    double xstep = 1.0;
    if (log2_x) {
        x1 = x1 > x0 ? x1 : x0 + 1;
    } else {
        tt_ms_nice_axis(x0, x1, 6, &x0, &x1, &xstep);
    }
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    FILE *f = af.f;
    const double W = 640, PH = 220, L = 80, R = 20, T = 40, GAP = 50;
    const double H = T + n_panels * (PH + GAP) + 10, PW = W - L - R;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">", W / 2);
    svg_text(f, title);
    fputs("</text>\n", f);
    char tb[64];
    for (int p = 0; p < n_panels; p++) {
        const tt_ms_panel *pn = &panels[p];
        const double top = T + p * (PH + GAP), bot = top + PH;
        double lo = INFINITY, hi = -INFINITY, a, b, step;
        for (int l = 0; l < pn->n_lines; l++) {
            for (int i = 0; i < pn->lines[l].n; i++) {
                lo = fmin(lo, pn->lines[l].y[i]);
                hi = fmax(hi, pn->lines[l].y[i]);
            }
        }
        if (!(lo <= hi)) {
            lo = hi = 0.0;
        }
        tt_ms_nice_axis(lo, hi, 4, &a, &b, &step);
        fprintf(f, "<g class=\"panel\" data-y-range=\"%.9g %.9g\">\n", a, b);
        fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", L,
                top, PW, PH);
        for (double v = a; v <= b + step * 1e-6; v += step) { /* y ticks and grid */
            const double py = bot - (v - a) / (b - a) * PH;
            tick_text(tb, sizeof tb, v, step);
            fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                       "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    L, py, L + PW, py, L - 6, py + 4, tb);
        }
        const bool legend = pn->n_lines > 1;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">", L + 6, top + 16,
                legend ? "black" : pn->lines[0].colour);
        svg_text(f, pn->name);
        fputs("</text>\n", f);
        for (int l = 0; legend && l < pn->n_lines; l++) {
            const double ly = top + 16 + 15 * l;
            fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\"/>"
                       "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", L + PW - 30, ly - 4, L + PW - 8, ly - 4,
                    pn->lines[l].colour, L + PW - 36, ly);
            svg_text(f, pn->lines[l].name);
            fputs("</text>\n", f);
        }
        for (int l = 0; l < pn->n_lines; l++) {
            const tt_ms_line *ln = &pn->lines[l];
            fprintf(f, "<path class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", ln->colour);
            for (int i = 0; i < ln->n; i++) {
                const double px = L + ((log2_x ? log2(ln->x[i]) : ln->x[i]) - x0) / (x1 - x0) * PW;
                fprintf(f, "%s%.1f,%.1f", i ? " L" : "M", px, bot - (ln->y[i] - a) / (b - a) * PH);
            }
            fputs("\"/>\n", f);
            for (int i = 0; ln->n <= 40 && i < ln->n; i++) {
                const double px = L + ((log2_x ? log2(ln->x[i]) : ln->x[i]) - x0) / (x1 - x0) * PW;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", px,
                        bot - (ln->y[i] - a) / (b - a) * PH, ln->colour);
            }
        }
        if (log2_x) { /* the first line's x values */
            const tt_ms_line *ln = &pn->lines[0];
            for (int i = 0; i < ln->n; i++) {
                fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.6g</text>\n",
                        L + (log2(ln->x[i]) - x0) / (x1 - x0) * PW, bot + 16, ln->x[i]);
            }
        } else {
            for (double v = x0; v <= x1 + xstep * 1e-6; v += xstep) {
                tick_text(tb, sizeof tb, v, xstep);
                fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
                        L + (v - x0) / (x1 - x0) * PW, bot + 16, tb);
            }
        }
        fputs("</g>\n", f);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", W / 2, H - 4);
    svg_text(f, xlabel);
    fputs("</text>\n</svg>\n", f);
    return tt_atomic_commit(&af, err, errlen);
}

int tt_ms_plot_svg(const char *path, const char *title, const char *xlabel, const int64_t *x, int n,
                   const tt_ms_series *series, int n_series, char *err, size_t errlen)
{
    double *xd = malloc((size_t)(n > 0 ? n : 1) * sizeof *xd);
    tt_ms_line *lines = malloc((size_t)(n_series > 0 ? n_series : 1) * sizeof *lines);
    tt_ms_panel *panels = malloc((size_t)(n_series > 0 ? n_series : 1) * sizeof *panels);
    int rc = -1;
    if (!xd || !lines || !panels) {
        snprintf(err, errlen, "%s: out of memory", path);
    } else {
        for (int i = 0; i < n; i++) {
            xd[i] = (double)x[i];
        }
        for (int s = 0; s < n_series; s++) {
            lines[s] = (tt_ms_line){series[s].name, xd, series[s].y, n, series[s].colour};
            panels[s] = (tt_ms_panel){series[s].name, &lines[s], 1};
        }
        rc = tt_ms_plot_panels_svg(path, title, xlabel, true, panels, n_series, err, errlen);
    }
    free(xd);
    free(lines);
    free(panels);
    return rc;
}
