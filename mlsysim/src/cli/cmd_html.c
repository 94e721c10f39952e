/* cmd_html.c - `-o html`: an evaluated result as one self-contained HTML page (inline style, the
 * roofline and the memory bar as inline SVG, no scripts, no links, nothing fetched), for eval and
 * scenario eval. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void ms_cli_print_html(const ms_result *r, FILE *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    esc(f, r->title[0] ? r->title : "MLSys\xc2\xb7im result");
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\n"
          "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;"
          "text-align:left;vertical-align:top}td.v{font-family:monospace;white-space:nowrap}\n"
          "th{background:#f3f3f3}.note{background:#fff8e0;padding:.5rem;border-left:4px solid #e0b000}\n"
          ".bad{color:#b00020;font-weight:bold}pre{white-space:pre-wrap;margin:0}\n"
          "</style></head><body>\n<h1>", f);
    esc(f, r->title[0] ? r->title : "MLSys\xc2\xb7im result");
    fputs("</h1>\n", f);
    if (r->status == MS_ERR_MEMORY) fputs("<p class=\"bad\">Does not fit in memory.</p>\n", f);
    if (r->status == MS_ERR_ASSERT) fputs("<p class=\"bad\">A target (constraints.assert) is not met.</p>\n", f);
    if (r->notes[0]) {
        fputs("<div class=\"note\"><ul>\n", f);
        const char *p = r->notes;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
            fputs("<li>", f);
            esc(f, line);
            fputs("</li>\n", f);
            p += n + (e ? 1 : 0);
        }
        fputs("</ul></div>\n", f);
    }
    size_t n = ms_result_roofline_svg(r, NULL, 0);
    if (n > 0) {
        char *svg = malloc(n + 1);
        if (svg) {
            ms_result_roofline_svg(r, svg, n + 1);
            fputs("<h2>Roofline</h2>\n", f);
            fputs(svg, f);
            fputc('\n', f);
            free(svg);
        }
    }
    n = ms_result_memory_svg(r, NULL, 0);
    if (n > 0) {
        char *svg = malloc(n + 1);
        if (svg) {
            ms_result_memory_svg(r, svg, n + 1);
            fputs("<h2>Memory per accelerator</h2>\n", f);
            fputs(svg, f);
            fputc('\n', f);
            free(svg);
        }
    }
    fputs("<h2>Figures</h2>\n<table><tr><th>key</th><th>value</th><th>unit</th><th>meaning</th></tr>\n", f);
    for (int i = 0; i < r->n; i++) {
        const ms_item *it = &r->items[i];
        const ms_result_key *k = ms_result_key_find(it->key);
        fputs("<tr><td>", f);
        esc(f, it->key);
        fputs("</td><td class=\"v\">", f);
        switch (it->kind) {
        case MS_V_NUM: fprintf(f, "%.6g", it->num); break;
        case MS_V_INT: fprintf(f, "%lld", it->i); break;
        case MS_V_BOOL: fputs(it->i ? "yes" : "no", f); break;
        case MS_V_STR: esc(f, it->str); break;
        case MS_V_RAW: fputs("<pre>", f); esc(f, it->str); fputs("</pre>", f); break;
        }
        fputs("</td><td>", f);
        esc(f, k ? k->unit : "");
        fputs("</td><td>", f);
        esc(f, k ? k->description : "");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<p><small>Written by mlsysim " MS_VERSION " (-o html); the same figures as -o json.</small></p>\n"
          "</body></html>\n", f);
}
