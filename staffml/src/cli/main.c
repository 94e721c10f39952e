/* main.c - the staffml CLI: option parsing shared by all commands, help, dispatch. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *k_help =
    "staffml - ML systems interview practice: a physics-grounded question vault, FSRS-6 drills,\n"
    "mock interviews, progress in SQLite.\n"
    "\n"
    "Usage: staffml COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  drill       review due cards, then new ones (numeric and MCQ answers graded automatically)\n"
    "  mock        a timed interview across areas and levels, with a scored report\n"
    "  progress    area x track heat map, retention, streak, due forecast\n"
    "  vault       list questions; 'vault search TEXT' (full text); 'vault show ID'\n"
    "  stats       counts over the vault (--json)\n"
    "  lint        check the vault: schema, ids, chains, units, re-derived numbers, coverage\n"
    "  template    'template list' | 'template show ID [--seed N]': parametric questions\n"
    "  fsrs        'fsrs replay --ratings 3,3,1,4 --elapsed-days 0,2,5,1 [--params default] [--json]'\n"
    "              'fsrs fit [--iterations N] [--save]': personal parameters from your reviews\n"
    "              'fsrs simulate [--cards N] [--seed N] [--json]': FSRS-6 versus SM-2 on\n"
    "              simulated learners (log loss, calibration, reviews needed)\n"
    "  export      export FILE.json: all progress as JSON\n"
    "  import      import FILE.json: merge an export (duplicates skipped)\n"
    "  anki        anki FILE.txt: the vault as an Anki deck (tab-separated notes)\n"
    "\n"
    "Options:\n"
    "  --track T         cloud | edge | mobile | tinyml\n"
    "  --area A          compute memory latency precision power architecture optimization\n"
    "                    parallelism networking deployment reliability data cross-cutting\n"
    "  --level L         L1 .. L6\n"
    "  --count N         questions in a drill (default 10) or a mock (default: one per 5 minutes)\n"
    "  --new-per-day N   new cards a day (default 20)\n"
    "  --no-templates    drill hand-written questions only\n"
    "  --minutes M       mock length (default 45)\n"
    "  --json            machine-readable output (stats, lint, progress, fsrs, mock, vault)\n"
    "  --vault DIR       question files (default: the shipped vault; or $STAFFML_VAULT)\n"
    "  --db PATH         progress database (default $XDG_DATA_HOME/staffml/progress.db)\n"
    "\n"
    "Answers are read from standard input, one line each, so drills can be scripted:\n"
    "  staffml drill --area memory --count 5\n"
    "  printf '16\\nb\\n' | staffml drill --track cloud --count 2\n"
    "  staffml vault search kv cache --track cloud\n"
    "  staffml fsrs replay --ratings 3,3,1,4 --elapsed-days 0,2,5,1 --json\n"
    "  staffml mock --minutes 30 --track edge\n"
    "In a drill, type 'skip' to pass a question (nothing recorded) and 'quit' to stop.\n"
    "STAFFML_NOW=UNIX_SECONDS fixes the clock (for scripts and tests).\n"
    "\n"
    "Exit codes: 0 ok, 1 bad command line (unknown option, track or area), 2 bad input data\n"
    "(vault problems, unreadable import file), 3 progress database refused or not writable.\n";

long long cli_now(void)
{
    const char *e = getenv("STAFFML_NOW");
    if (e && *e) {
        char *end;
        long long v = strtoll(e, &end, 10);
        if (!*end && v > 0) return v;
    }
    return (long long)time(NULL);
}

double cli_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_read_line(char *buf, size_t cap)
{
    fflush(stdout);
    if (!fgets(buf, (int)cap, stdin)) return -1;
    size_t n = strlen(buf);
    if (n && buf[n - 1] != '\n' && !feof(stdin)) {   /* overlong line: drop the rest */
        int c;
        while ((c = getchar()) != EOF && c != '\n') {}
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return 0;
}

static int want_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "staffml: %s: want an integer in %d..%d, got '%s'\n", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = (int)x;
    return 0;
}

int cli_parse(int argc, char **argv, int first, cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->filter = SML_FILTER_ANY;
    o->count = 10;
    o->new_per_day = 20;
    o->templates = 1;
    o->minutes = 45;
    o->iterations = 300;
    o->params = "default";
    o->cards = 1000;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() do { if (!v) { fprintf(stderr, "staffml: %s needs a value\n", a); return -1; } i++; } while (0)
        if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--save")) o->save = 1;
        else if (!strcmp(a, "--no-templates")) o->templates = 0;
        else if (!strcmp(a, "--vault")) { TAKE(); o->vault_dir = v; }
        else if (!strcmp(a, "--db")) { TAKE(); o->db_path = v; }
        else if (!strcmp(a, "--track")) {
            TAKE();
            sml_track t;
            if (sml_track_parse(v, &t)) {
                fprintf(stderr, "staffml: --track: unknown track '%s' (cloud, edge, mobile, tinyml)\n", v);
                return -1;
            }
            o->filter.track = (int)t;
        } else if (!strcmp(a, "--area")) {
            TAKE();
            sml_area ar;
            if (sml_area_parse(v, &ar)) {
                fprintf(stderr, "staffml: --area: unknown area '%s' (compute, memory, latency, precision, "
                        "power, architecture, optimization, parallelism, networking, deployment, "
                        "reliability, data, cross-cutting)\n", v);
                return -1;
            }
            o->filter.area = (int)ar;
        } else if (!strcmp(a, "--level")) {
            TAKE();
            if (sml_level_parse(v, &o->filter.level)) {
                fprintf(stderr, "staffml: --level: want L1..L6, got '%s'\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--count")) {
            TAKE();
            if (want_int(a, v, 1, 1000, &o->count)) return -1;
            o->count_given = 1;
        }
        else if (!strcmp(a, "--new-per-day")) { TAKE(); if (want_int(a, v, 0, 10000, &o->new_per_day)) return -1; }
        else if (!strcmp(a, "--cards")) { TAKE(); if (want_int(a, v, 10, 100000, &o->cards)) return -1; }
        else if (!strcmp(a, "--iterations")) { TAKE(); if (want_int(a, v, 1, 100000, &o->iterations)) return -1; }
        else if (!strcmp(a, "--seed")) { TAKE(); int s; if (want_int(a, v, 0, 2000000000, &s)) return -1; o->seed = s; }
        else if (!strcmp(a, "--minutes")) {
            TAKE();
            int m;
            if (want_int(a, v, 1, 600, &m)) return -1;
            o->minutes = m;
        } else if (!strcmp(a, "--ratings")) { TAKE(); o->ratings = v; }
        else if (!strcmp(a, "--elapsed-days")) { TAKE(); o->elapsed = v; }
        else if (!strcmp(a, "--params")) { TAKE(); o->params = v; }
        else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "staffml: unknown option '%s' (see staffml --help)\n", a);
            return -1;
        } else {
            /* the rest of a search is free text: keep words together */
            if (o->npos == 4) {
                fprintf(stderr, "staffml: too many arguments at '%s'\n", a);
                return -1;
            }
            o->pos[o->npos++] = a;
        }
#undef TAKE
    }
    return 0;
}

int cli_load_vault(const cli_opts *o, sml_vault *v, int quiet)
{
    sml_vault_init(v);
    const char *dir = o->vault_dir ? o->vault_dir : sml_vault_default_dir();
    int rc = sml_vault_load_dir(v, dir);
    if (!quiet)
        for (size_t i = 0; i < v->nerr; i++) fprintf(stderr, "%s\n", v->errors[i]);
    return rc;
}

sml_store *cli_open_store(const cli_opts *o)
{
    char path[1024], err[1200];
    const char *p = o->db_path;
    if (!p) {
        if (sml_store_default_path(path, sizeof path, err, sizeof err)) {
            fprintf(stderr, "staffml: %s\n", err);
            return NULL;
        }
        p = path;
    }
    sml_store *s;
    if (sml_store_open(p, &s, err, sizeof err)) {
        fprintf(stderr, "staffml: %s\n", err);
        return NULL;
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(k_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    static const struct { const char *name; int (*fn)(const cli_opts *); } cmds[] = {
        {"lint", cmd_lint}, {"stats", cmd_stats}, {"vault", cmd_vault}, {"template", cmd_template},
        {"drill", cmd_drill}, {"mock", cmd_mock}, {"progress", cmd_progress}, {"fsrs", cmd_fsrs},
        {"export", cmd_export}, {"import", cmd_import}, {"anki", cmd_anki}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name)) continue;
        for (int k = 2; k < argc; k++)
            if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
                fputs(k_help, stdout);
                return 0;
            }
        cli_opts o;
        if (cli_parse(argc, argv, 2, &o)) return EXIT_USAGE;
        return cmds[i].fn(&o);
    }
    fprintf(stderr, "staffml: unknown command '%s' (see staffml --help)\n", argv[1]);
    return EXIT_USAGE;
}
