/* cnn_graph.c - a CNN or MLP described by its layer graph, walked shape by shape to count its
 * parameters, multiply-accumulates and the activations training keeps for the backward pass.
 *
 * Grammar (registry `graph:` field): steps separated by ';', words by blanks. The table `kinds`
 * below is the grammar: each layer's words, which are required, and what they mean; the same rows
 * give the "unknown layer" and "unknown word" messages and ms_graph_grammar(), so they cannot
 * disagree. Sizes are elements (channels, rows, columns); a kernel, stride or padding is K (square)
 * or HxW (rectangular: k10x4 is 10 rows by 4 columns, as DS-CNN's first layer on 49x10 MFCCs).
 *   in C[xHxW]                      input (an MLP gives C only)
 *   conv OUT kK [sS] [pP|same|valid] [gG] [b]   convolution: padding K/2 by default, `same` pads
 *                                   to ceil(in/stride) (TensorFlow), `valid` none; G groups; b bias
 *   dw kK [sS] [pP|same|valid] [b]  depthwise convolution (one filter per channel)
 *   bn | relu | relu6 | silu | flatten | dropout
 *   maxpool [kK] [sS] [pP|same]     stride default K, padding default 0
 *   avgpool [H]                     adaptive average pool to HxH (default 1: global)
 *   fc OUT                          linear layer with bias (flattens its input)
 *   upsample [F]                    nearest-neighbour upsampling by F (default 2)
 *   as NAME                         names the current output for later steps
 *   from NAME                       continues from a named output (a branch)
 *   concat NAME...                  the current output and the named ones along channels
 *   add NAME                        residual add of a named output of the same shape
 *   basic W xN [sS]                 ResNet basic blocks (first one strided, projection when shape changes)
 *   bottleneck W xN [sS]            ResNet v1.5 bottlenecks (output 4W; the stride on the 3x3)
 *   ir OUT tT xN [sS]               MobileNetV2 inverted residuals (expansion T, 3x3 depthwise, ReLU6)
 *   mbconv OUT tT kK xN [sS]        EfficientNet MBConv (SiLU, squeeze-excitation to C_in/4)
 *   c2f OUT xN [shortcut]           YOLOv8 C2f: 1x1 conv to 2c (c = OUT/2), split, N bottlenecks of
 *                                   two 3x3 convs on c (residual with `shortcut`), concat, 1x1 conv
 *   sppf OUT [kK]                   YOLOv8 SPPF: 1x1 conv to C/2, three KxK max pools (K = 5), concat, 1x1
 *   detect NC NAME...               YOLOv8 detection head on the named levels: per level a box branch
 *                                   (two 3x3 conv-bn-SiLU of max(16, C0/4, 64) channels, 1x1 conv to 64)
 *                                   and a class branch (two of max(C0, min(NC, 100)), 1x1 conv to NC),
 *                                   plus the 16 fixed weights of the distribution-focal-loss decoder
 * Every conv in a composite block is followed by batch norm (gamma, beta) and has no bias.
 *
 * Saved activations (per sample, elements; the convention of a hand count): the network input;
 * every conv, bn, fc, pooling, residual-add, concat and SiLU output (ReLU/ReLU6 run in place on
 * the bn output and keep no extra tensor); max-pooling adds its indices (one element each);
 * squeeze-excitation keeps its pooled vector, both FC outputs, the gate and the scaled map; an
 * upsample output is kept unless the next step is a concat (which copies it and whose backward
 * needs no input). Peak live (for microcontroller SRAM): the largest input + output of one layer
 * plus every named output a later step still reads.
 */
#include "mlsysim/physics.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 512
#define MAX_WORDS 16
#define MAX_NAMES 32
#define MAX_REFS 8
#define NAME_LEN 16
#define MAX_SIZE 1e7            /* any one channel count, side, kernel, stride or factor */

enum { PAD_DEFAULT, PAD_EXPLICIT, PAD_SAME, PAD_VALID };

enum {
    K_IN, K_CONV, K_DW, K_BN, K_RELU, K_RELU6, K_SILU, K_FLATTEN, K_DROPOUT, K_MAXPOOL, K_AVGPOOL,
    K_FC, K_UPSAMPLE, K_AS, K_FROM, K_CONCAT, K_ADD, K_BASIC, K_BOTTLENECK, K_IR, K_MBCONV, K_C2F,
    K_SPPF, K_DETECT, K_COUNT
};

/* One row per layer kind: what its words are. pos: 0 no positional word, 'N' a number required,
 * 'n' a number optional, 'S' the input shape, '1' one name, 'L' one or more names, 'D' a number
 * then one or more names. letters: option words made of a letter and a number (k, s, p take
 * HxW); flags: bare words; need: letters that must be given. */
typedef struct {
    const char *op;
    char pos;
    const char *letters, *flags, *need;
    const char *usage, *doc;
} kind_t;

static const kind_t kinds[K_COUNT] = {
    [K_IN] = {"in", 'S', "", "", "", "in C[xHxW]", "the input: C channels of H x W (an MLP gives C only)"},
    [K_CONV] = {"conv", 'N', "kspg", "b same valid", "k", "conv OUT kK[xK] [sS[xS]] [pP[xP]|same|valid] [gG] [b]",
                "convolution to OUT channels; padding K/2 by default, same = ceil(in/stride), valid = none; G groups; b bias"},
    [K_DW] = {"dw", 0, "ksp", "b same valid", "k", "dw kK[xK] [sS[xS]] [pP[xP]|same|valid] [b]",
              "depthwise convolution: one KxK filter per channel"},
    [K_BN] = {"bn", 0, "", "", "", "bn", "batch norm (gamma, beta per channel)"},
    [K_RELU] = {"relu", 0, "", "", "", "relu", "ReLU, in place"},
    [K_RELU6] = {"relu6", 0, "", "", "", "relu6", "ReLU6, in place"},
    [K_SILU] = {"silu", 0, "", "", "", "silu", "SiLU (keeps its output)"},
    [K_FLATTEN] = {"flatten", 0, "", "", "", "flatten", "a view: no tensor, no parameters"},
    [K_DROPOUT] = {"dropout", 0, "", "", "", "dropout", "no parameters"},
    [K_MAXPOOL] = {"maxpool", 0, "ksp", "same", "", "maxpool [kK[xK]] [sS[xS]] [pP[xP]|same]",
                   "max pooling (K = 2, stride K, padding 0 unless given); keeps output and indices"},
    [K_AVGPOOL] = {"avgpool", 'n', "", "", "", "avgpool [H]", "adaptive average pool to H x H (default 1: global)"},
    [K_FC] = {"fc", 'N', "", "", "", "fc OUT", "linear layer with bias to OUT features (flattens its input)"},
    [K_UPSAMPLE] = {"upsample", 'n', "", "", "", "upsample [F]", "nearest-neighbour upsampling by an integer F (default 2)"},
    [K_AS] = {"as", '1', "", "", "", "as NAME", "names the current output (letters, digits, _; up to 15)"},
    [K_FROM] = {"from", '1', "", "", "", "from NAME", "continues from a named output (a branch)"},
    [K_CONCAT] = {"concat", 'L', "", "", "", "concat NAME...", "the current output and the named ones along channels (same H x W)"},
    [K_ADD] = {"add", '1', "", "", "", "add NAME", "residual add of a named output of the same shape"},
    [K_BASIC] = {"basic", 'N', "xs", "", "x", "basic W xN [sS]", "ResNet basic blocks"},
    [K_BOTTLENECK] = {"bottleneck", 'N', "xs", "", "x", "bottleneck W xN [sS]", "ResNet v1.5 bottlenecks (output 4W)"},
    [K_IR] = {"ir", 'N', "txs", "", "tx", "ir OUT tT xN [sS]", "MobileNetV2 inverted residuals"},
    [K_MBCONV] = {"mbconv", 'N', "tkxs", "", "tkx", "mbconv OUT tT kK xN [sS]", "EfficientNet MBConv with squeeze-excitation"},
    [K_C2F] = {"c2f", 'N', "x", "shortcut", "x", "c2f OUT xN [shortcut]", "YOLOv8 C2f block"},
    [K_SPPF] = {"sppf", 'N', "k", "", "", "sppf OUT [kK]", "YOLOv8 spatial pyramid pooling (fast), K = 5"},
    [K_DETECT] = {"detect", 'D', "", "", "", "detect NC NAME...", "YOLOv8 detection head over the named levels, NC classes"},
};

typedef struct {
    int kind;
    double num;
    int has_num;
    double k[2], s[2], p[2], t, x, g;
    double shape[3];                      /* in: C, H, W */
    unsigned given;                       /* bit per letter: 1 << (letter - 'a') */
    int pad, bias, shortcut;
    int nrefs;
    char refs[MAX_REFS][NAME_LEN];
    char text[72];                        /* the step as written (shortened), for messages */
} step_t;

typedef struct {
    char name[NAME_LEN];
    double c, h, w;
    int id, last_use, reading;
} named_t;

typedef struct {
    double c, h, w;                       /* current shape */
    int id, next_id;                      /* current tensor; ids of new tensors */
    ms_graph_stats s;
    named_t names[MAX_NAMES];
    int nnames;
    int step;                             /* index of the running step */
    const step_t *steps;
    char *err;
    size_t errlen;
} walker;

static int fail(walker *g, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(walker *g, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(g->err, g->errlen, "step %d '%s': %s", g->step + 1, g->steps[g->step].text, msg);
    return -1;
}

static void saved(walker *g, double elems) { g->s.saved_act_elems += elems; }

static double size_of(const walker *g) { return g->c * g->h * g->w; }

static void new_tensor(walker *g) { g->id = ++g->next_id; }

/* Named outputs a later step still reads, other than the current tensor and those read now. */
static double held(const walker *g)
{
    double sum = 0;
    for (int i = 0; i < g->nnames; i++) {
        const named_t *n = &g->names[i];
        if (n->last_use <= g->step || n->id == g->id || n->reading) continue;
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= g->names[j].id == n->id && g->names[j].last_use > g->step;
        if (!dup) sum += n->c * n->h * n->w;
    }
    return sum;
}

/* Called before the layer's output becomes the current tensor, so its input is not held too. */
static void live(walker *g, double in, double out)
{
    double v = in + out + held(g);
    if (v > g->s.peak_live_elems) g->s.peak_live_elems = v;
}

static double out_dim(double in, double k, double s, double p, int pad)
{
    switch (pad) {
    case PAD_SAME: return ceil(in / s);
    case PAD_VALID: return floor((in - k) / s) + 1;
    default: return floor((in + 2 * p - k) / s) + 1;
    }
}

typedef struct {
    double kh, kw, sh, sw, ph, pw;
    int pad;
    double groups;          /* 0: depthwise (groups = channels, output = channels) */
    int bias;
} convspec;

static convspec square(double k, double s)
{
    convspec c = {k, k, s, s, floor(k / 2), floor(k / 2), PAD_DEFAULT, 1, 0};
    return c;
}

static int conv2d(walker *g, double out, const convspec *cs)
{
    double cin = g->c, groups = cs->groups;
    if (groups <= 0) out = groups = cin;
    if (fmod(cin, groups) != 0 || fmod(out, groups) != 0)
        return fail(g, "%g groups must divide both the %g input channels and the %g output channels", groups, cin, out);
    double h = out_dim(g->h, cs->kh, cs->sh, cs->ph, cs->pad), w = out_dim(g->w, cs->kw, cs->sw, cs->pw, cs->pad);
    if (h < 1 || w < 1)
        return fail(g, "a %gx%g kernel at stride %gx%g does not fit the %gx%g input (output %gx%g): use a smaller "
                       "kernel, padding (pP or same) or a larger input", cs->kh, cs->kw, cs->sh, cs->sw, g->h, g->w,
                    h > 0 ? h : 0, w > 0 ? w : 0);
    double in_elems = size_of(g), per_out = (cin / groups) * cs->kh * cs->kw;
    g->s.params += out * per_out + (cs->bias ? out : 0);
    g->s.macs += out * per_out * h * w;
    g->c = out, g->h = h, g->w = w;
    live(g, in_elems, size_of(g));
    new_tensor(g);
    saved(g, size_of(g));
    g->s.layers++;
    return 0;
}

static void bn(walker *g)
{
    g->s.params += 2 * g->c;
    new_tensor(g);
    saved(g, size_of(g));
}

static void silu(walker *g)
{
    new_tensor(g);
    saved(g, size_of(g));
}

static void fc(walker *g, double out)
{
    double in = size_of(g);
    g->s.params += in * out + out;
    g->s.macs += in * out;
    g->c = out, g->h = g->w = 1;
    live(g, in, out);
    new_tensor(g);
    saved(g, out);
    g->s.layers++;
}

static void avgpool(walker *g, double to)
{
    double in = size_of(g);
    if (g->h > to) g->h = to;
    if (g->w > to) g->w = to;
    live(g, in, size_of(g));
    new_tensor(g);
    saved(g, size_of(g));
}

static int maxpool(walker *g, const convspec *cs)
{
    double in = size_of(g);
    double h = out_dim(g->h, cs->kh, cs->sh, cs->ph, cs->pad), w = out_dim(g->w, cs->kw, cs->sw, cs->pw, cs->pad);
    if (h < 1 || w < 1)
        return fail(g, "a %gx%g pool does not fit the %gx%g input: use a smaller window or padding", cs->kh, cs->kw, g->h, g->w);
    g->h = h, g->w = w;
    live(g, in, size_of(g));
    new_tensor(g);
    saved(g, 2 * size_of(g));                /* output and indices */
    return 0;
}

/* conv + bn (+ activation: 0 none, 1 relu/relu6 in place, 2 silu); square kernel, padding K/2 */
static int cba(walker *g, double out, double k, double s, int depthwise, int act)
{
    convspec cs = square(k, s);
    if (depthwise) cs.groups = 0;
    if (conv2d(g, out, &cs)) return -1;
    bn(g);
    if (act == 2) silu(g);
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
            d.next_id = g->next_id;
            if (cba(&d, out, 1, stride, 0, 0)) return -1;
            g->s = d.s;
            g->next_id = d.next_id;
        }
        new_tensor(g);
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
            double ch = g->c, sq = cin / 4 >= 1 ? floor(cin / 4) : 1;
            g->s.params += ch * sq + sq + sq * ch + ch;
            g->s.macs += 2 * ch * sq;
            new_tensor(g);
            saved(g, ch + sq + sq + ch + ch + size_of(g));   /* pool, fc1, silu, fc2, sigmoid, scaled map */
        }
        if (cba(g, out, 1, 1, 0, 0)) return -1;
        if (stride == 1 && cin == out) {                     /* residual add */
            new_tensor(g);
            saved(g, size_of(g));
        }
    }
    return 0;
}

/* Channel concatenation of parts that are already in memory (the live figure counts them all). */
static void concat_out(walker *g, double parts_elems, double out_c)
{
    g->c = out_c;
    live(g, parts_elems, size_of(g));
    new_tensor(g);
    saved(g, size_of(g));
}

/* YOLOv8 C2f: cv1 1x1 to 2c, chunk in two, n bottlenecks (3x3, 3x3) on the last chunk, concat the
 * 2 + n chunks of c channels, cv2 1x1 to OUT; every conv is conv-bn-SiLU. */
static int c2f(walker *g, double out, double n, int shortcut)
{
    double c = floor(out / 2);
    if (c < 1) return fail(g, "c2f needs OUT >= 2 (its hidden width is OUT/2)");
    if (cba(g, 2 * c, 1, 1, 0, 2)) return -1;
    double parts = size_of(g);                 /* the two chunks (views of cv1's output) */
    for (int b = 0; b < n; b++) {
        g->c = c;                              /* the last chunk, or the previous bottleneck's output */
        if (cba(g, c, 3, 1, 0, 2) || cba(g, c, 3, 1, 0, 2)) return -1;
        if (shortcut) {
            new_tensor(g);
            saved(g, size_of(g));
        }
        parts += size_of(g);
    }
    concat_out(g, parts, (2 + n) * c);
    return cba(g, out, 1, 1, 0, 2);
}

/* YOLOv8 SPPF: cv1 1x1 to C/2, three max pools (k, stride 1, padding k/2) in a row, concat of the
 * four, cv2 1x1 to OUT. */
static int sppf(walker *g, double out, double k)
{
    double c = floor(g->c / 2);
    if (c < 1) return fail(g, "sppf needs at least 2 input channels (its hidden width is C/2)");
    if (cba(g, c, 1, 1, 0, 2)) return -1;
    double parts = size_of(g);
    convspec cs = {k, k, 1, 1, floor(k / 2), floor(k / 2), PAD_EXPLICIT, 1, 0};
    for (int i = 0; i < 3; i++) {
        if (maxpool(g, &cs)) return -1;
        parts += size_of(g);
    }
    concat_out(g, parts, 4 * c);
    return cba(g, out, 1, 1, 0, 2);
}

static named_t *find_name(walker *g, const char *name)
{
    for (int i = 0; i < g->nnames; i++)
        if (!strcmp(g->names[i].name, name)) return &g->names[i];
    return NULL;
}

static void name_list(const walker *g, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < g->nnames && n + 1 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", g->names[i].name);
    if (!g->nnames) snprintf(buf, cap, "none yet: name an output with 'as NAME'");
}

static named_t *lookup(walker *g, const char *name)
{
    named_t *n = find_name(g, name);
    if (!n) {
        char list[200];
        name_list(g, list, sizeof list);
        fail(g, "no earlier output is named '%s' (named so far: %s)", name, list);
    }
    return n;
}

/* YOLOv8 Detect (the v8 head: plain 3x3 convs in both branches). */
static int detect(walker *g, const step_t *st)
{
    double nc = st->num;
    named_t *lv[MAX_REFS];
    for (int i = 0; i < st->nrefs; i++)
        if (!(lv[i] = lookup(g, st->refs[i]))) return -1;
    double c0 = lv[0]->c;
    double c2 = fmax(fmax(16, floor(c0 / 4)), 64), c3 = fmax(c0, fmin(nc, 100));
    double anchors = 0;
    int last[MAX_REFS];
    for (int i = 0; i < st->nrefs; i++) {       /* every level stays live until its branches ran */
        last[i] = lv[i]->last_use;
        lv[i]->last_use = g->step + 1;
    }
    for (int i = 0; i < st->nrefs; i++) {
        for (int branch = 0; branch < 2; branch++) {
            g->c = lv[i]->c, g->h = lv[i]->h, g->w = lv[i]->w, g->id = lv[i]->id;
            double mid = branch ? c3 : c2, out_c = branch ? nc : 64;   /* 64 = 4 sides x 16 bins */
            convspec one = square(1, 1);
            one.bias = 1;
            if (cba(g, mid, 3, 1, 0, 2) || cba(g, mid, 3, 1, 0, 2) || conv2d(g, out_c, &one)) return -1;
        }
        lv[i]->last_use = last[i];
        double cells = lv[i]->h * lv[i]->w;
        anchors += cells;
        g->c = 64 + nc;                         /* concat of the box and class maps */
        new_tensor(g);
        saved(g, size_of(g));
    }
    g->s.params += 16;                          /* the decoder's fixed 1x1 conv over 16 bins */
    g->c = 64 + nc, g->h = 1, g->w = anchors;
    return 0;
}

/* ---- words ---- */

static int is_number(const char *w) { return *w && strspn(w, "0123456789.") == strlen(w) && strchr(w, '.') == strrchr(w, '.'); }

static int is_name(const char *w)
{
    if (!(isalpha((unsigned char)*w) || *w == '_') || strlen(w) >= NAME_LEN) return 0;
    for (; *w; w++)
        if (!(isalnum((unsigned char)*w) || *w == '_')) return 0;
    return 1;
}

/* A decimal number at w (digits, at most one '.'; no sign, exponent or hex); the end in *end. */
static int decimal(const char *w, double *v, const char **end)
{
    size_t n = strspn(w, "0123456789.");
    if (!n || n > 30 || !isdigit((unsigned char)*w)) return -1;
    char tmp[32];
    memcpy(tmp, w, n);
    tmp[n] = 0;
    if (strchr(tmp, '.') != strrchr(tmp, '.')) return -1;
    *v = atof(tmp);
    *end = w + n;
    return 0;
}

/* "A" or "AxB" (whole numbers); 0 ok. */
static int pair(const char *w, double v[2])
{
    const char *end;
    if (decimal(w, &v[0], &end)) return -1;
    v[1] = v[0];
    if (*end == 'x' && decimal(end + 1, &v[1], &end)) return -1;
    return *end || v[0] != floor(v[0]) || v[1] != floor(v[1]) ? -1 : 0;
}

static int has(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    return 0;
}

static int bad_word(walker *g, const kind_t *k, const char *w, const char *why)
{
    return fail(g, "%s '%s' (%s takes: %s)", why, w, k->op, k->usage);
}

/* Reads one step's words (after the layer name) into st; 0 ok, -1 with the reason. */
static int parse_words(walker *g, step_t *st, char **words, int n)
{
    const kind_t *k = &kinds[st->kind];
    st->s[0] = st->s[1] = 0;
    for (int i = 1; i < n; i++) {
        const char *w = words[i];
        if (k->pos == 'S' && i == 1) continue;                  /* the input shape, read by the caller */
        if ((k->pos == '1' || k->pos == 'L' || (k->pos == 'D' && st->has_num)) && is_name(w)) {
            if (st->nrefs == MAX_REFS || (k->pos == '1' && st->nrefs == 1))
                return bad_word(g, k, w, "too many names at");
            snprintf(st->refs[st->nrefs++], NAME_LEN, "%s", w);
            continue;
        }
        if (strchr("NnD", k->pos) && k->pos && !st->has_num && is_number(w)) {
            st->num = atof(w);
            st->has_num = 1;
            if (st->num != floor(st->num)) return bad_word(g, k, w, "expected a whole number, not");
            if (!(st->num > 0 && st->num <= MAX_SIZE)) return bad_word(g, k, w, "out of range (0 < N <= 1e7):");
            continue;
        }
        if (has(k->flags, w)) {
            if (!strcmp(w, "b")) st->bias = 1;
            else if (!strcmp(w, "shortcut")) st->shortcut = 1;
            else {
                if (st->pad == PAD_SAME || st->pad == PAD_VALID) return bad_word(g, k, w, "one padding mode only:");
                st->pad = !strcmp(w, "same") ? PAD_SAME : PAD_VALID;
            }
            continue;
        }
        char letter = w[0];
        if (letter >= 'a' && letter <= 'z' && strchr(k->letters, letter) && w[1]) {
            double v[2];
            int two = letter == 'k' || letter == 's' || letter == 'p';
            if (pair(w + 1, v) || (!two && strchr(w + 1, 'x')))
                return bad_word(g, k, w, two ? "expected a whole number or HxW in" : "expected a whole number in");
            double lo = letter == 'p' ? 0 : 1;
            if (!(v[0] >= lo && v[1] >= lo && v[0] <= MAX_SIZE && v[1] <= MAX_SIZE))
                return bad_word(g, k, w, letter == 'p' ? "padding must be 0 .. 1e7:" : "must be 1 .. 1e7:");
            if (st->given & (1u << (letter - 'a'))) return bad_word(g, k, w, "given twice:");
            st->given |= 1u << (letter - 'a');
            switch (letter) {
            case 'k': st->k[0] = v[0], st->k[1] = v[1]; break;
            case 's': st->s[0] = v[0], st->s[1] = v[1]; break;
            case 'p': st->p[0] = v[0], st->p[1] = v[1]; if (st->pad == PAD_DEFAULT) st->pad = PAD_EXPLICIT; break;
            case 't': st->t = v[0]; break;
            case 'x': st->x = v[0]; break;
            case 'g': st->g = v[0]; break;
            }
            continue;
        }
        return bad_word(g, k, w, "unknown word");
    }
    if ((k->pos == 'N' || k->pos == 'D') && !st->has_num) return fail(g, "missing its number (%s)", k->usage);
    if ((k->pos == '1' || k->pos == 'L' || k->pos == 'D') && !st->nrefs) return fail(g, "missing a name (%s)", k->usage);
    for (const char *r = k->need; *r; r++)
        if (!(st->given & (1u << (*r - 'a')))) return fail(g, "missing %c (%s)", *r, k->usage);
    if ((st->given & (1u << ('p' - 'a'))) && st->pad != PAD_EXPLICIT)
        return fail(g, "give padding as pP or as same/valid, not both (%s)", k->usage);
    return 0;
}

static void kind_list(char *buf, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < K_COUNT && n + 1 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", kinds[i].op);
}

size_t ms_graph_grammar(char *buf, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < K_COUNT; i++) {
        char line[256];
        int w = snprintf(line, sizeof line, "  %-52s %s\n", kinds[i].usage, kinds[i].doc);
        if (w < 0) continue;
        size_t l = (size_t)w < sizeof line ? (size_t)w : sizeof line - 1;
        if (buf && n < cap) memcpy(buf + n, line, l < cap - 1 - n ? l : cap - 1 - n);
        n += l;
    }
    if (buf && cap) buf[n < cap ? n : cap - 1] = 0;
    return n;
}

/* ---- running a step ---- */

static convspec spec_of(const step_t *st, double kdef)
{
    convspec cs;
    cs.kh = st->k[0] > 0 ? st->k[0] : kdef;
    cs.kw = st->k[1] > 0 ? st->k[1] : kdef;
    cs.pad = st->pad;
    cs.ph = st->pad == PAD_EXPLICIT ? st->p[0] : floor(cs.kh / 2);
    cs.pw = st->pad == PAD_EXPLICIT ? st->p[1] : floor(cs.kw / 2);
    cs.sh = cs.sw = 1;
    cs.groups = st->g > 0 ? st->g : 1;
    cs.bias = st->bias;
    return cs;
}

static int run_step(walker *g, const step_t *st, int next_kind)
{
    switch (st->kind) {
    case K_CONV: {
        convspec cs = spec_of(st, 0);
        if (st->s[0] > 0) cs.sh = st->s[0], cs.sw = st->s[1];
        return conv2d(g, st->num, &cs);
    }
    case K_DW: {
        convspec cs = spec_of(st, 0);
        if (st->s[0] > 0) cs.sh = st->s[0], cs.sw = st->s[1];
        cs.groups = 0;
        return conv2d(g, 0, &cs);
    }
    case K_BN: bn(g); return 0;
    case K_RELU: case K_RELU6: case K_FLATTEN: case K_DROPOUT: return 0;   /* in place, or a view */
    case K_SILU: silu(g); return 0;
    case K_MAXPOOL: {
        convspec cs = spec_of(st, 2);
        if (st->pad == PAD_DEFAULT) cs.ph = cs.pw = 0;
        cs.sh = st->s[0] > 0 ? st->s[0] : cs.kh;
        cs.sw = st->s[0] > 0 ? st->s[1] : cs.kw;
        return maxpool(g, &cs);
    }
    case K_AVGPOOL: avgpool(g, st->has_num ? st->num : 1); return 0;
    case K_FC: fc(g, st->num); return 0;
    case K_UPSAMPLE: {
        double f = st->has_num ? st->num : 2, in = size_of(g);
        g->h *= f, g->w *= f;
        live(g, in, size_of(g));
        new_tensor(g);
        if (next_kind != K_CONCAT) saved(g, size_of(g));
        return 0;
    }
    case K_AS: {
        if (find_name(g, st->refs[0])) return fail(g, "'%s' already names an earlier output: pick another name", st->refs[0]);
        if (g->nnames == MAX_NAMES) return fail(g, "at most %d named outputs", MAX_NAMES);
        named_t *n = &g->names[g->nnames++];
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "%s", st->refs[0]);
        n->c = g->c, n->h = g->h, n->w = g->w, n->id = g->id;
        n->last_use = -1;
        for (int j = g->step + 1; g->steps[j].kind >= 0; j++)
            for (int r = 0; r < g->steps[j].nrefs; r++)
                if (!strcmp(g->steps[j].refs[r], n->name)) n->last_use = j;
        return 0;
    }
    case K_FROM: {
        named_t *n = lookup(g, st->refs[0]);
        if (!n) return -1;
        g->c = n->c, g->h = n->h, g->w = n->w, g->id = n->id;
        return 0;
    }
    case K_CONCAT: {
        double parts = size_of(g), c = g->c;
        named_t *ref[MAX_REFS];
        for (int i = 0; i < st->nrefs; i++) {
            if (!(ref[i] = lookup(g, st->refs[i]))) return -1;
            if (ref[i]->h != g->h || ref[i]->w != g->w)
                return fail(g, "'%s' is %gx%gx%g but the current output is %gx%gx%g: concat joins channels of "
                               "maps of the same height and width (upsample or stride one of them first)",
                            ref[i]->name, ref[i]->c, ref[i]->h, ref[i]->w, g->c, g->h, g->w);
            parts += ref[i]->c * ref[i]->h * ref[i]->w;
            c += ref[i]->c;
            ref[i]->reading = 1;
        }
        concat_out(g, parts, c);
        for (int i = 0; i < st->nrefs; i++) ref[i]->reading = 0;
        return 0;
    }
    case K_ADD: {
        named_t *n = lookup(g, st->refs[0]);
        if (!n) return -1;
        if (n->c != g->c || n->h != g->h || n->w != g->w)
            return fail(g, "'%s' is %gx%gx%g but the current output is %gx%gx%g: a residual add needs equal shapes",
                        n->name, n->c, n->h, n->w, g->c, g->h, g->w);
        double in = 2 * size_of(g);
        n->reading = 1;
        live(g, in, size_of(g));
        new_tensor(g);
        n->reading = 0;
        saved(g, size_of(g));
        return 0;
    }
    case K_BASIC: case K_BOTTLENECK:
        return bottleneck(g, st->num, st->x, st->s[0] > 0 ? st->s[0] : 1, st->kind == K_BASIC);
    case K_IR: case K_MBCONV:
        return inverted(g, st->num, st->t, st->kind == K_MBCONV ? st->k[0] : 3, st->x, st->s[0] > 0 ? st->s[0] : 1,
                        st->kind == K_MBCONV);
    case K_C2F: return c2f(g, st->num, st->x, st->shortcut);
    case K_SPPF: return sppf(g, st->num, st->k[0] > 0 ? st->k[0] : 5);
    case K_DETECT: return detect(g, st);
    }
    return fail(g, "internal: no rule for this layer");
}

int ms_graph_eval(const char *spec, ms_graph_stats *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(spec);
    if (len > 4096) { snprintf(err, errlen, "longer than 4096 characters"); return -1; }
    char *buf = malloc(len + 1);
    step_t *steps = calloc(MAX_STEPS + 1, sizeof *steps);
    walker *g = calloc(1, sizeof *g);
    if (!buf || !steps || !g) {
        free(buf), free(steps), free(g);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(buf, spec, len + 1);
    g->err = err, g->errlen = errlen, g->steps = steps;
    int rc = 0, n = 0;
    char *next = buf;
    /* pass 1: split steps at ';' and words at blanks, read every step's words */
    for (char *st = buf; st && !rc; st = next) {
        next = strchr(st, ';');
        if (next) *next++ = 0;
        while (*st == ' ' || *st == '\t' || *st == '\n' || *st == '\r') st++;
        if (!*st) continue;
        if (n == MAX_STEPS) { snprintf(err, errlen, "more than %d steps", MAX_STEPS); rc = -1; break; }
        step_t *s = &steps[n];
        size_t tl = strlen(st);
        while (tl && (st[tl - 1] == ' ' || st[tl - 1] == '\t' || st[tl - 1] == '\n' || st[tl - 1] == '\r')) tl--;
        snprintf(s->text, sizeof s->text, "%.*s%s", (int)(tl < 64 ? tl : 60), st, tl < 64 ? "" : "...");
        char *words[MAX_WORDS];
        int nw = 0;
        for (char *w = st; *w;) {
            while (*w == ' ' || *w == '\t' || *w == '\n' || *w == '\r') *w++ = 0;
            if (!*w) break;
            if (nw == MAX_WORDS) { g->step = n; rc = fail(g, "more than %d words", MAX_WORDS); break; }
            words[nw++] = w;
            while (*w && *w != ' ' && *w != '\t' && *w != '\n' && *w != '\r') w++;
        }
        if (rc) break;
        g->step = n;
        s->kind = -1;
        for (int k = 0; k < K_COUNT; k++)
            if (!strcmp(words[0], kinds[k].op)) s->kind = k;
        if (s->kind < 0) {
            char list[400];
            kind_list(list, sizeof list);
            rc = fail(g, "unknown layer '%s' (the layers: %s)", words[0], list);
            break;
        }
        if ((n == 0) != (s->kind == K_IN)) {
            rc = fail(g, n == 0 ? "a graph starts with 'in C[xHxW]'" : "'in' is the first step only");
            break;
        }
        if (s->kind == K_IN) {
            double d[3] = {0, 1, 1};
            int got = 0, bad = nw != 2;
            const char *at = nw == 2 ? words[1] : "";
            while (!bad && got < 3) {                 /* C, CxH or CxHxW, whole numbers */
                const char *end;
                if (decimal(at, &d[got], &end) || d[got] != floor(d[got])) { bad = 1; break; }
                got++;
                if (!*end) break;
                if (*end != 'x' || got == 3) bad = 1;
                at = end + 1;
            }
            double c = d[0], h = d[1], w = d[2];
            if (bad || !(c >= 1 && h >= 1 && w >= 1 && c <= MAX_SIZE && h <= MAX_SIZE && w <= MAX_SIZE)) {
                rc = fail(g, "expected in C or in CxHxW (whole numbers 1 .. 1e7)");
                break;
            }
            s->shape[0] = c, s->shape[1] = h, s->shape[2] = w;
        }
        rc = parse_words(g, s, words, nw);
        n++;
    }
    steps[n].kind = -1;                       /* end marker */
    if (!rc && n == 0) { snprintf(err, errlen, "empty graph (a graph starts with 'in C[xHxW]')"); rc = -1; }
    /* pass 2: walk the shapes */
    for (int i = 0; i < n && !rc; i++) {
        g->step = i;
        if (steps[i].kind == K_IN) {
            g->c = steps[i].shape[0], g->h = steps[i].shape[1], g->w = steps[i].shape[2];
            new_tensor(g);
            saved(g, size_of(g));
            continue;
        }
        int nk = i + 1 < n ? steps[i + 1].kind : -1;
        rc = run_step(g, &steps[i], nk);
    }
    if (!rc && !(isfinite(g->s.params) && isfinite(g->s.macs) && isfinite(g->s.saved_act_elems) &&
                 isfinite(g->s.peak_live_elems) && g->s.saved_act_elems < 1e15 && g->s.params < 1e15 && g->s.macs < 1e18)) {
        snprintf(err, errlen, "sizes out of range (more than 1e15 parameters or activations, or 1e18 MACs)");
        rc = -1;
    }
    if (!rc) *out = g->s;
    free(buf);
    free(steps);
    free(g);
    return rc;
}
