/* cmd_solve.c - `mlsysim solve SOLVER ...`: the stand-alone solvers of solvers.h from the command
 * line. Everything solver-specific (arguments, units, ranges, defaults, help, examples) lives in
 * the library's solver table (src/solvers/solve_table.c); this file only turns `--name VALUE` and
 * leading positional names into table values, and prints help from the table.
 * Exit codes: 0 ok, 1 bad input. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "mlsysim/solvers.h"

static const char *type_word(const ms_solve_arg *a)
{
    switch (a->type) {
    case MS_SARG_INT: return "N";
    case MS_SARG_CHOICE: return "WORD";
    case MS_SARG_MODEL: return "MODEL";
    case MS_SARG_HW: return "HW";
    case MS_SARG_PRECISION: return "P";
    case MS_SARG_GRID: return "GRID";
    default: return "X";
    }
}

static void print_usage_line(const ms_solver *s, FILE *f)
{
    fprintf(f, "mlsysim solve %s", s->name);
    for (int i = 0; i < MS_SOLVE_MAX_ARGS && s->args[i].name; i++) {
        const ms_solve_arg *a = &s->args[i];
        if (i < s->positional) fprintf(f, " %s", type_word(a));
        else if (a->required) fprintf(f, " --%s %s", a->name, type_word(a));
    }
    fputs(" [options]\n", f);
}

static void solver_help(const ms_solver *s, FILE *f)
{
    fputs("usage: ", f);
    print_usage_line(s, f);
    fprintf(f, "\n%s.\n  %s\n\narguments:\n", s->summary, s->formula);
    for (int i = 0; i < MS_SOLVE_MAX_ARGS && s->args[i].name; i++) {
        const ms_solve_arg *a = &s->args[i];
        char left[64], range[96] = "";
        if (i < s->positional) snprintf(left, sizeof left, "%s (or --%s)", type_word(a), a->name);
        else snprintf(left, sizeof left, "--%s %s", a->name, type_word(a));
        if (a->type == MS_SARG_NUM || a->type == MS_SARG_INT) {
            if (a->required) snprintf(range, sizeof range, "[%g, %g]%s%s, required", a->min, a->max, a->unit[0] ? " " : "", a->unit);
            else snprintf(range, sizeof range, "[%g, %g]%s%s, default %g", a->min, a->max, a->unit[0] ? " " : "", a->unit, a->def);
        } else if (a->type == MS_SARG_CHOICE) {
            snprintf(range, sizeof range, "%s%s", a->choices, a->required ? ", required" : "");
        } else if (a->sdef) {
            snprintf(range, sizeof range, "default %s", a->sdef);
        } else {
            snprintf(range, sizeof range, "%s", a->required ? "required" : "optional");
        }
        fprintf(f, "  %-28s %s (%s)\n", left, a->help, range);
    }
    fputs("\nexamples:\n", f);
    for (int k = 0; k < 3 && s->examples[k]; k++) fprintf(f, "  mlsysim %s\n", s->examples[k]);
}

static void solve_help(FILE *f)
{
    fputs("usage: mlsysim solve SOLVER [arguments]      (mlsysim solve SOLVER --help for its arguments)\n\n"
          "Stand-alone solvers (formulas in mlsysim/README.md, \"Solvers\"):\n", f);
    for (size_t i = 0; i < ms_solver_count(); i++) {
        const ms_solver *s = ms_solver_at(i);
        fprintf(f, "  %-18s %s\n", s->name, s->summary);
    }
    fputs("\nEvery solver prints text, JSON (-o json) or markdown (-o md); exit 0 ok, 1 bad input.\n"
          "\nexamples:\n", f);
    for (size_t i = 0; i < ms_solver_count(); i++) fprintf(f, "  mlsysim %s\n", ms_solver_at(i)->examples[0]);
}

int ms_cli_solve(ms_cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        solve_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? MS_EXIT_INPUT : MS_EXIT_OK;
    }
    const ms_solver *s = ms_solver_find(argv[1]);
    if (!s) {
        fprintf(stderr, "mlsysim solve: unknown solver '%s' (one of:", argv[1]);
        for (size_t i = 0; i < ms_solver_count(); i++) fprintf(stderr, " %s", ms_solver_at(i)->name);
        fputs(")\n", stderr);
        return MS_EXIT_INPUT;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            solver_help(s, stdout);
            return MS_EXIT_OK;
        }
    ms_solve_values v;
    ms_solve_values_init(&v);
    char err[512];
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int k;
        if (a[0] == '-' && a[1] == '-') {
            k = ms_solver_arg_index(s, a + 2);
            if (k < 0) {
                fprintf(stderr, "mlsysim solve %s: unknown option '%s' (see mlsysim solve %s --help)\n", s->name, a, s->name);
                return MS_EXIT_INPUT;
            }
            if (v.given[k]) {
                fprintf(stderr, "mlsysim solve %s: --%s given twice\n", s->name, s->args[k].name);
                return MS_EXIT_INPUT;
            }
            if (ms_solver_set_text(s, k, i + 1 < argc ? argv[i + 1] : NULL, &v, err, sizeof err)) {
                fprintf(stderr, "mlsysim solve %s: --%s: %s\n", s->name, s->args[k].name, err);
                return MS_EXIT_INPUT;
            }
            i++;
            continue;
        }
        if (npos >= s->positional) {
            fprintf(stderr, "mlsysim solve %s: unexpected argument '%s' (see mlsysim solve %s --help)\n", s->name, a, s->name);
            return MS_EXIT_INPUT;
        }
        k = npos++;
        if (v.given[k]) {
            fprintf(stderr, "mlsysim solve %s: %s given twice (as --%s and by position)\n", s->name, a, s->args[k].name);
            return MS_EXIT_INPUT;
        }
        if (ms_solver_set_text(s, k, a, &v, err, sizeof err)) {
            fprintf(stderr, "mlsysim solve %s: %s: %s\n", s->name, s->args[k].name, err);
            return MS_EXIT_INPUT;
        }
    }
    ms_result o;
    int bad = -1;
    if (ms_solver_run(s, c->reg, &v, &o, &bad, err, sizeof err)) {
        if (bad >= 0) fprintf(stderr, "mlsysim solve %s: --%s: %s\n", s->name, s->args[bad].name, err);
        else fprintf(stderr, "mlsysim solve %s: %s\n", s->name, err);
        ms_result_free(&o);
        return MS_EXIT_INPUT;
    }
    ms_cli_print_notes(&o);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    return MS_EXIT_OK;
}
