/* cli.h - internal: what the staffml commands share (options, the vault and database they open,
 * exit codes, line input). Every command is a thin shell over libstaffml. */
#ifndef STAFFML_CLI_H
#define STAFFML_CLI_H

#include <stddef.h>

#include "staffml/fsrs.h"
#include "staffml/simulate.h"
#include "staffml/store.h"
#include "staffml/templates.h"
#include "staffml/vault.h"

/* Exit codes (each means one thing). */
enum {
    EXIT_OK_ = 0,
    EXIT_USAGE = 1,     /* bad command line: unknown option, bad value, unknown track/area */
    EXIT_DATA = 2,      /* bad input data: vault problems (lint), unreadable import/export file */
    EXIT_DB = 3         /* the progress database was refused or could not be written */
};

typedef struct {
    const char *vault_dir;   /* --vault */
    const char *db_path;     /* --db */
    sml_filter filter;       /* --track --area --level */
    int json;                /* --json */
    int count;               /* --count */
    int count_given;         /* 1 when --count was on the command line */
    int new_per_day;         /* --new-per-day */
    int templates;           /* 0 with --no-templates */
    double minutes;          /* --minutes */
    const char *ratings, *elapsed, *params;   /* fsrs replay */
    int iterations;          /* fsrs fit */
    int save;                /* fsrs fit --save */
    int cards;               /* fsrs simulate --cards */
    long long seed;          /* template show --seed */
    const char *pos[4];      /* positional arguments after the command */
    int npos;
} cli_opts;

/* Parses the options shared by the commands; returns 0, or prints the problem and returns -1. */
int cli_parse(int argc, char **argv, int first, cli_opts *o);
/* Loads the vault (errors printed to stderr as "file:line: field: reason"). */
int cli_load_vault(const cli_opts *o, sml_vault *v, int quiet);
/* Opens the progress database; prints the reason and returns NULL on failure. */
sml_store *cli_open_store(const cli_opts *o);
/* Current time: STAFFML_NOW (Unix seconds) when set, else the clock. */
long long cli_now(void);
/* Reads one line from stdin without the newline; 0 ok, -1 at end of input. */
int cli_read_line(char *buf, size_t cap);
double cli_monotonic_s(void);

int cmd_lint(const cli_opts *o);
int cmd_stats(const cli_opts *o);
int cmd_vault(const cli_opts *o);
int cmd_template(const cli_opts *o);
int cmd_drill(const cli_opts *o);
int cmd_mock(const cli_opts *o);
int cmd_progress(const cli_opts *o);
int cmd_fsrs(const cli_opts *o);
int cmd_export(const cli_opts *o);
int cmd_import(const cli_opts *o);
int cmd_anki(const cli_opts *o);

#endif
