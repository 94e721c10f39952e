/* cmd_scenario.c - `mlsysim scenario list|show|eval NAME`: the registry's named scenarios
 * (registry/scenarios.yaml): a workload, the hardware it must run on and its targets, kept as a
 * plan so that `eval` is exactly `mlsysim eval` of that plan. Exit codes as eval: 0 ok, 1 bad
 * input, 2 does not fit, 3 a target missed. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char scenario_help[] =
    "usage: mlsysim scenario list\n"
    "       mlsysim scenario show NAME     the question, its source and the plan (YAML)\n"
    "       mlsysim scenario eval NAME     evaluate the plan: exit 3 when a target is missed,\n"
    "                                      2 when it does not fit\n"
    "\n"
    "Named systems questions (smart doorbell, chatbot service, frontier training, ...) that the\n"
    "labs and StaffML reuse. --registry FILE may add scenarios (a `scenarios:` list of name,\n"
    "title, question, source, plan).\n"
    "\n"
    "examples:\n"
    "  mlsysim scenario list\n"
    "  mlsysim scenario show chatbot_service\n"
    "  mlsysim -o json scenario eval smart_doorbell\n"
    "  mlsysim -o html scenario eval chatbot_service > chatbot.html\n";

static int list(ms_cli *c)
{
    size_t n = ms_registry_scenario_count(c->reg);
    if (c->fmt == MS_FMT_JSON) {
        fputs("[", stdout);
        for (size_t i = 0; i < n; i++) {
            const ms_scenario *s = ms_registry_scenario_at(c->reg, i);
            ms_result o;
            ms_result_init(&o, "");
            ms_result_str(&o, "name", s->name);
            ms_result_str(&o, "title", s->title);
            ms_result_str(&o, "question", s->question);
            ms_result_str(&o, "source", s->source);
            char buf[2048];
            size_t len = ms_result_json(&o, buf, sizeof buf);
            if (len && buf[len < sizeof buf ? len - 1 : sizeof buf - 2] == '\n') buf[len < sizeof buf ? len - 1 : sizeof buf - 2] = 0;
            printf("%s%s", i ? "," : "", buf);
            ms_result_free(&o);
        }
        fputs("]\n", stdout);
        return MS_EXIT_OK;
    }
    printf("%-22s %s\n", "scenario", "question");
    for (size_t i = 0; i < n; i++) {
        const ms_scenario *s = ms_registry_scenario_at(c->reg, i);
        printf("%-22s %s\n", s->name, s->question);
    }
    return MS_EXIT_OK;
}

int ms_cli_scenario(ms_cli *c, int argc, char **argv)
{
    if (argc < 2) {
        fputs(scenario_help, stderr);
        return MS_EXIT_INPUT;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(scenario_help, stdout);
            return MS_EXIT_OK;
        }
    const char *verb = argv[1];
    if (!strcmp(verb, "list")) {
        if (argc > 2) { fprintf(stderr, "mlsysim scenario list: unexpected argument '%s'\n", argv[2]); return MS_EXIT_INPUT; }
        return list(c);
    }
    if (strcmp(verb, "show") && strcmp(verb, "eval")) {
        fprintf(stderr, "mlsysim scenario: unknown verb '%s' (list, show, eval)\n", verb);
        return MS_EXIT_INPUT;
    }
    if (argc != 3) {
        fprintf(stderr, "mlsysim scenario %s: needs exactly one scenario name (see mlsysim scenario list)\n", verb);
        return MS_EXIT_INPUT;
    }
    const ms_scenario *s = ms_registry_scenario(c->reg, argv[2]);
    if (!s) {
        fprintf(stderr, "mlsysim scenario %s: unknown scenario '%s' (see mlsysim scenario list)\n", verb, argv[2]);
        return MS_EXIT_INPUT;
    }
    if (!strcmp(verb, "show")) {
        if (c->fmt == MS_FMT_JSON) {
            ms_result o;
            ms_result_init(&o, "");
            ms_result_str(&o, "name", s->name);
            ms_result_str(&o, "title", s->title);
            ms_result_str(&o, "question", s->question);
            ms_result_str(&o, "source", s->source);
            ms_result_str(&o, "plan", s->plan);
            ms_result_print(&o, MS_FMT_JSON, stdout);
            ms_result_free(&o);
        } else {
            printf("%s (%s)\n\nquestion: %s\nsource:   %s\n\nplan:\n%s", s->title, s->name, s->question, s->source, s->plan);
        }
        return MS_EXIT_OK;
    }
    ms_plan *p = malloc(sizeof *p);
    ms_result *res = malloc(sizeof *res);
    if (!p || !res) {
        free(p);
        free(res);
        fprintf(stderr, "mlsysim scenario eval: out of memory\n");
        return MS_EXIT_INPUT;
    }
    char err[1024], label[MS_NAME_MAX + 16];
    snprintf(label, sizeof label, "scenario %s", s->name);
    int rc;
    if (ms_plan_load_buffer(c->reg, label, s->plan, strlen(s->plan), p, err, sizeof err) != MS_OK) {
        fprintf(stderr, "mlsysim scenario eval: %s\n", err);
        rc = MS_EXIT_INPUT;
    } else {
        ms_plan_eval(c->reg, p, res);
        ms_result_str(res, "scenario", s->name);
        ms_cli_print_notes(res);
        if (res->status == MS_ERR_INPUT) fprintf(stderr, "mlsysim scenario eval: %s\n", res->error);
        else if (c->html) ms_cli_print_html(res, stdout);
        else ms_result_print(res, c->fmt, stdout);
        rc = ms_cli_exit_code(res->status);
        ms_result_free(res);
    }
    free(p);
    free(res);
    return rc;
}
