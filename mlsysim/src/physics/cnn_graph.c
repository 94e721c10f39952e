/* cnn_graph.c - a CNN or MLP described by its layer graph, walked shape by shape to count its
 * parameters, multiply-accumulates and the activations training keeps for the backward pass.
 *
 * Grammar (registry `graph:` field): steps separated by ';', words by spaces:
 *   in C[xHxW]            input (an MLP gives C only)
 *   conv OUT kK [sS] [pP] [b]   convolution (padding default K/2; b = with bias)
 *   dw kK [sS]            depthwise convolution (no bias)
 *   bn | relu | relu6 | silu | flatten | dropout
 *   maxpool kK [sS] [pP]  (stride default K, padding default 0)
 *   avgpool [H]           adaptive average pool to HxH (default 1)
 *   fc OUT                linear layer with bias (flattens its input)
 *   basic W xN [sS]       ResNet basic blocks (first one strided, projection when shape changes)
 *   bottleneck W xN [sS]  ResNet v1.5 bottlenecks (output 4W; the stride on the 3x3)
 *   ir OUT tT xN [sS]     MobileNetV2 inverted residuals (expansion T, 3x3 depthwise, ReLU6)
 *   mbconv OUT tT kK xN [sS]  EfficientNet MBConv (SiLU, squeeze-excitation to C_in/4)
 *
 * Saved activations (per sample, elements; the convention of a hand count): the network input;
 * every conv, bn, fc, pooling, residual-add and SiLU output (ReLU/ReLU6 run in place on the bn
 * output and keep no extra tensor); max-pooling adds its indices (one element each);
 * squeeze-excitation keeps its pooled vector, both FC outputs, the gate and the scaled map.
 */
#include "mlsysim/physics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double c, h, w;          /* current shape */
    ms_graph_stats s;
    char *err;
    size_t errlen;
} walker;

static void saved(walker *g, double elems) { g->s.saved_act_elems += elems; }

static double size_of(const walker *g) { return g->c * g->h * g->w; }

static void live(walker *g, double in, double out)
{
    if (in + out > g->s.peak_live_elems) g->s.peak_live_elems = in + out;
}

static int conv(walker *g, double out, double k, double s, double p, int bias, int depthwise)
{
    if (s < 1 || k < 1 || p < 0) { snprintf(g->err, g->errlen, "conv: kernel, stride >= 1"); return -1; }
    double h = (g->h + 2 * p - k) / s + 1, w = (g->w + 2 * p - k) / s + 1;
    h = (double)(long)h;
    w = (double)(long)w;
    if (h < 1 || w < 1) { snprintf(g->err, g->errlen, "conv k%g s%g: %gx%g input is too small", k, s, g->h, g->w); return -1; }
    double cin = depthwise ? 1 : g->c;
    if (depthwise) out = g->c;
    double in_elems = size_of(g);
    g->s.params += out * cin * k * k + (bias ? out : 0);
    g->s.macs += out * cin * k * k * h * w;
    g->c = out, g->h = h, g->w = w;
    live(g, in_elems, size_of(g));
    saved(g, size_of(g));
    g->s.layers++;
    return 0;
}

static void bn(walker *g) { g->s.params += 2 * g->c; saved(g, size_of(g)); }

static void fc(walker *g, double out)
{
    double in = size_of(g);
    g->s.params += in * out + out;
    g->s.macs += in * out;
    live(g, in, out);
    g->c = out, g->h = g->w = 1;
    saved(g, out);
    g->s.layers++;
}

static void avgpool(walker *g, double to)
{
    if (g->h > to) g->h = g->w = to;
    saved(g, size_of(g));
}

/* conv + bn (+ activation: 0 none, 1 relu/relu6 in place, 2 silu) */
static int cba(walker *g, double out, double k, double s, int depthwise, int act)
{
    if (conv(g, out, k, s, (k - 1) / 2 > 0 ? (double)(long)((k - 1) / 2) : 0, 0, depthwise)) return -1;
    bn(g);
    if (act == 2) saved(g, size_of(g));
    return 0;
}

static int bottleneck(walker *g, double width, double n, double s, int basic)
{
    for (int b = 0; b < n; b++) {
        double stride = b == 0 ? s : 1;
        double out = basic ? width : 4 * width;
        walker in = *g;
        int project = b == 0 && (stride != 1 || g->c != out);
        if (basic) {
            if (cba(g, width, 3, stride, 0, 1) || cba(g, width, 3, 1, 0, 1)) return -1;
        } else {
            if (cba(g, width, 1, 1, 0, 1) || cba(g, width, 3, stride, 0, 1) || cba(g, out, 1, 1, 0, 0)) return -1;
        }
        if (project) {
            walker d = in;
            d.s = g->s;
            if (cba(&d, out, 1, stride, 0, 0)) return -1;
            g->s = d.s;
        }
        saved(g, size_of(g));                  /* residual add (ReLU in place) */
    }
    return 0;
}

static int inverted(walker *g, double out, double t, double k, double n, double s, int se)
{
    for (int b = 0; b < n; b++) {
        double stride = b == 0 ? s : 1, cin = g->c;
        int act = se ? 2 : 1;
        if (t != 1 && cba(g, cin * t, 1, 1, 0, act)) return -1;
        if (cba(g, 0, k, stride, 1, act)) return -1;
        if (se) {
            double ch = g->c, sq = cin / 4 >= 1 ? (double)(long)(cin / 4) : 1;
            g->s.params += ch * sq + sq + sq * ch + ch;
            g->s.macs += 2 * ch * sq;
            saved(g, ch + sq + sq + ch + ch + size_of(g));   /* pool, fc1, silu, fc2, sigmoid, scaled map */
        }
        if (cba(g, out, 1, 1, 0, 0)) return -1;
        if (stride == 1 && cin == out) saved(g, size_of(g));  /* residual add */
    }
    return 0;
}

/* Reads "kK", "sS", "pP", "tT", "xN" words; returns the number or def when absent. */
static double opt(char **words, int n, char key, double def)
{
    for (int i = 1; i < n; i++)
        if (words[i][0] == key && words[i][1] && strspn(words[i] + 1, "0123456789.") == strlen(words[i] + 1))
            return atof(words[i] + 1);
    return def;
}

static int has_word(char **words, int n, const char *w)
{
    for (int i = 1; i < n; i++) if (!strcmp(words[i], w)) return 1;
    return 0;
}

int ms_graph_eval(const char *spec, ms_graph_stats *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(spec);
    if (len > 4096) { snprintf(err, errlen, "longer than 4096 characters"); return -1; }
    char *buf = malloc(len + 1);
    if (!buf) { snprintf(err, errlen, "out of memory"); return -1; }
    memcpy(buf, spec, len + 1);
    walker g = {0, 0, 0, {0, 0, 0, 0, 0}, err, errlen};
    int rc = 0, step = 0;
    char *next = buf;
    for (char *st = buf; st && !rc; st = next, step++) {
        next = strchr(st, ';');                 /* split steps at ';' and words at blanks, in place */
        if (next) *next++ = 0;
        char *words[16];
        int n = 0;
        for (char *w = st; *w && n < 16;) {
            while (*w == ' ' || *w == '\t' || *w == '\n') *w++ = 0;
            if (!*w) break;
            words[n++] = w;
            while (*w && *w != ' ' && *w != '\t' && *w != '\n') w++;
        }
        if (!n) { step--; continue; }
        const char *op = words[0];
        double num = n > 1 && strspn(words[1], "0123456789.") == strlen(words[1]) ? atof(words[1]) : 0;
        if (step == 0 && strcmp(op, "in")) { snprintf(err, errlen, "starts with 'in C[xHxW]'"); rc = -1; break; }
        if (!strcmp(op, "in")) {
            double c = 0, h = 1, w = 1;
            if (n < 2 || strspn(words[1], "0123456789x") != strlen(words[1]) ||
                sscanf(words[1], "%lfx%lfx%lf", &c, &h, &w) < 1 || c < 1 || h < 1 || w < 1) {
                snprintf(err, errlen, "in: expected C or CxHxW");
                rc = -1;
                break;
            }
            g.c = c, g.h = h, g.w = w;
            saved(&g, size_of(&g));
        } else if (!strcmp(op, "conv")) {
            double k = opt(words, n, 'k', 0);
            if (num < 1 || k < 1) { snprintf(err, errlen, "step %d: conv OUT kK [sS] [pP] [b]", step + 1); rc = -1; break; }
            rc = conv(&g, num, k, opt(words, n, 's', 1), opt(words, n, 'p', (double)(long)(k / 2)), has_word(words, n, "b"), 0);
        } else if (!strcmp(op, "dw")) {
            double k = opt(words, n, 'k', 0);
            if (k < 1) { snprintf(err, errlen, "step %d: dw kK [sS]", step + 1); rc = -1; break; }
            rc = conv(&g, 0, k, opt(words, n, 's', 1), (double)(long)(k / 2), 0, 1);
        } else if (!strcmp(op, "bn")) bn(&g);
        else if (!strcmp(op, "relu") || !strcmp(op, "relu6") || !strcmp(op, "flatten") || !strcmp(op, "dropout")) {
            /* in place, or a view */
        } else if (!strcmp(op, "silu")) saved(&g, size_of(&g));
        else if (!strcmp(op, "maxpool")) {
            double k = opt(words, n, 'k', 2), s = opt(words, n, 's', k), p = opt(words, n, 'p', 0);
            double in = size_of(&g);
            g.h = (double)(long)((g.h + 2 * p - k) / s + 1);
            g.w = (double)(long)((g.w + 2 * p - k) / s + 1);
            if (g.h < 1 || g.w < 1) { snprintf(err, errlen, "step %d: maxpool input too small", step + 1); rc = -1; break; }
            live(&g, in, size_of(&g));
            saved(&g, 2 * size_of(&g));                /* output and indices */
        } else if (!strcmp(op, "avgpool")) avgpool(&g, n > 1 ? num : 1);
        else if (!strcmp(op, "fc")) {
            if (num < 1) { snprintf(err, errlen, "step %d: fc OUT", step + 1); rc = -1; break; }
            fc(&g, num);
        } else if (!strcmp(op, "bottleneck") || !strcmp(op, "basic")) {
            double x = opt(words, n, 'x', 0);
            if (num < 1 || x < 1) { snprintf(err, errlen, "step %d: %s W xN [sS]", step + 1, op); rc = -1; break; }
            rc = bottleneck(&g, num, x, opt(words, n, 's', 1), op[0] == 'b' && op[1] == 'a');
        } else if (!strcmp(op, "ir") || !strcmp(op, "mbconv")) {
            double t = opt(words, n, 't', 0), x = opt(words, n, 'x', 0);
            int se = op[0] == 'm';
            double k = se ? opt(words, n, 'k', 0) : 3;
            if (num < 1 || t < 1 || x < 1 || k < 1) { snprintf(err, errlen, "step %d: %s OUT tT %sxN [sS]", step + 1, op, se ? "kK " : ""); rc = -1; break; }
            rc = inverted(&g, num, t, k, x, opt(words, n, 's', 1), se);
        } else {
            snprintf(err, errlen, "step %d: unknown layer '%s' (in conv dw bn relu relu6 silu maxpool avgpool fc flatten dropout basic bottleneck ir mbconv)", step + 1, op);
            rc = -1;
        }
    }
    free(buf);
    if (!rc && step == 0) { snprintf(err, errlen, "empty graph"); rc = -1; }
    if (!rc && !(isfinite(g.s.params) && isfinite(g.s.macs) && isfinite(g.s.saved_act_elems) &&
                 isfinite(g.s.peak_live_elems) && g.s.saved_act_elems < 1e15)) {
        snprintf(err, errlen, "sizes out of range");
        rc = -1;
    }
    if (!rc) *out = g.s;
    return rc;
}
