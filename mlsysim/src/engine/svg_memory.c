/* svg_memory.c - the memory of one accelerator as an SVG picture: one stacked bar of what a step
 * keeps (weights, gradients, optimizer state, activations, KV cache, pipeline/ZeRO buffers) against
 * the device's capacity, with the runtime reserve (hardware.memory_reserve) and the free headroom
 * drawn after it, or the overflow past the capacity line when it does not fit. Reads the result's
 * memory_* keys, so it draws every plan the engine evaluates (roofline and fleet alike). On a
 * microcontroller the weights live in flash, not in the RAM the bar shows: they are left out of
 * the bar and named below it. */
#include "mlsysim/engine.h"
#include "svg_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *key, *name, *color;
} part_t;

static const part_t parts[] = {
    {"memory_weights_bytes", "weights", "#1f5fbf"},
    {"memory_gradients_bytes", "gradients", "#5b8fd9"},
    {"memory_optimizer_bytes", "optimizer state", "#9bbbe8"},
    {"memory_activations_bytes", "activations", "#d9480f"},
    {"memory_kv_cache_bytes", "KV cache", "#f08c00"},
    {"memory_buffers_bytes", "pipeline / ZeRO buffers", "#a0a0a0"},
};
#define NPARTS (sizeof parts / sizeof parts[0])

size_t ms_result_memory_svg(const ms_result *r, char *buf, size_t cap)
{
    double total, usable, reserve = 0, v[NPARTS + 1] = {0};
    if (!ms_result_get(r, "memory_per_accelerator_bytes", &total) || !ms_result_get(r, "memory_capacity_bytes", &usable) ||
        !(usable > 0) || !(total >= 0) || !isfinite(total)) {
        if (buf && cap) buf[0] = 0;
        return 0;
    }
    ms_result_get(r, "memory_reserve_fraction", &reserve);
    if (!(reserve >= 0 && reserve < 1)) reserve = 0;
    double device = usable / (1 - reserve), sum = 0;
    for (size_t i = 0; i < NPARTS; i++) {
        if (!ms_result_get(r, parts[i].key, &v[i]) || !(v[i] > 0) || !isfinite(v[i])) v[i] = 0;
        sum += v[i];
    }
    /* weights held elsewhere (microcontroller flash): the parts exceed the total by the weights */
    double flash_weights = 0, tol = 1e-6 * (total > 0 ? total : 1) + 1e-9;
    if (v[0] > 0 && fabs(sum - v[0] - total) <= tol && fabs(sum - total) > tol) {
        flash_weights = v[0];
        sum -= v[0];
        v[0] = 0;
    }
    double other = total - sum > tol ? total - sum : 0;   /* whatever the parts do not name */
    v[NPARTS] = other;

    const double W = 680, H = 250, L = 30, R = 30, barY = 70, barH = 46;
    double xmax = fmax(device, total) * 1.04;
    ms_svg_out o = {buf, cap, 0};
    char title[480];
    snprintf(title, sizeof title, "Memory per accelerator: %s", r->title[0] ? r->title : "this plan");
    ms__svg_begin(&o, W, H, L, title);
#define X(b) (L + (b) / xmax * (W - L - R))
    char a[64], b2[64], c[64];
    ms_fmt_human("x_bytes", total, a, sizeof a);
    ms_fmt_human("x_bytes", device, b2, sizeof b2);
    int fits = total <= usable * (1 + 1e-12);
    ms__svg_put(&o, "<text x=\"%g\" y=\"44\" fill=\"%s\">%s: needs %s of %s (%.1f %% of the device)</text>\n", L,
                fits ? "#2b8a3e" : "#c92a2a", fits ? "fits" : "does not fit", a, b2, 100 * total / device);
    /* axis: ticks in bytes under the bar */
    double first, step = ms__svg_tick_step(0, xmax, 7, &first);
    for (double t = first; t <= xmax * (1 + 1e-9); t += step) {
        ms_fmt_human("x_bytes", t, c, sizeof c);
        ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
                        "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                    X(t), barY - 6, X(t), barY + barH + 6, X(t), barY + barH + 20, c);
    }
    /* the stacked parts */
    double at = 0;
    for (size_t i = 0; i <= NPARTS; i++) {
        if (!(v[i] > 0)) continue;
        const char *name = i < NPARTS ? parts[i].name : "other";
        const char *color = i < NPARTS ? parts[i].color : "#666";
        ms_fmt_human("x_bytes", v[i], c, sizeof c);
        ms__svg_put(&o, "<rect x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\" fill=\"%s\"><title>%s %s</title></rect>\n",
                    X(at), barY, X(at + v[i]) - X(at), barH, color, name, c);
        at += v[i];
    }
    /* headroom up to the usable capacity, then the reserve up to the device's capacity */
    if (fits && usable - total > 0) {
        ms_fmt_human("x_bytes", usable - total, c, sizeof c);
        ms__svg_put(&o, "<rect x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\" fill=\"#ebfbee\" stroke=\"#8ce99a\">"
                        "<title>headroom %s</title></rect>\n", X(total), barY, X(usable) - X(total), barH, c);
    }
    if (reserve > 0) {
        double from = fmax(usable, total);
        if (device > from)
            ms__svg_put(&o, "<rect x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\" fill=\"#e9ecef\" stroke=\"#adb5bd\"/>\n",
                        X(from), barY, X(device) - X(from), barH);
        ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#495057\" stroke-dasharray=\"4 3\"/>\n",
                    X(usable), barY - 10, X(usable), barY + barH + 8);
    }
    ms__svg_put(&o, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#212529\" stroke-width=\"2\"/>"
                    "<text x=\"%.1f\" y=\"%g\" text-anchor=\"end\">device capacity %s</text>\n",
                X(device), barY - 14, X(device), barY + barH + 8, X(device), barY - 18, b2);
    /* legend: every part with its bytes and share of the device, then headroom and reserve */
    double ly = barY + barH + 46, lx = L;
    int col = 0;
    for (size_t i = 0; i <= NPARTS + 2; i++) {
        const char *name, *color;
        double bytes;
        if (i < NPARTS) name = parts[i].name, color = parts[i].color, bytes = v[i];
        else if (i == NPARTS) name = "other", color = "#666", bytes = v[NPARTS];
        else if (i == NPARTS + 1) name = "headroom", color = "#ebfbee", bytes = fits ? usable - total : 0;
        else name = "runtime reserve", color = "#e9ecef", bytes = reserve * device;
        if (!(bytes > 0)) continue;
        ms_fmt_human("x_bytes", bytes, c, sizeof c);
        ms__svg_put(&o, "<rect x=\"%g\" y=\"%g\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#888\"/>"
                        "<text x=\"%g\" y=\"%g\">%s %s (%.1f %%)</text>\n",
                    lx, ly - 10, color, lx + 18, ly, name, c, 100 * bytes / device);
        if (++col % 3 == 0) lx = L, ly += 22;
        else lx += (W - L - R) / 3;
    }
    if (col % 3) ly += 22;
    if (flash_weights > 0) {
        ms_fmt_human("x_bytes", flash_weights, c, sizeof c);
        ms__svg_put(&o, "<text x=\"%g\" y=\"%g\" fill=\"#555\">weights %s are read from flash, not kept in this memory</text>\n",
                    L, ly + 4, c);
    }
#undef X
    return ms__svg_end(&o);
}
