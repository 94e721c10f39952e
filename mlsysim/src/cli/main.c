/* main.c - the mlsysim command line: dispatches to the command files. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "validate")) return ms_cli_validate(argc - 1, argv + 1);
    fprintf(stderr, "usage: mlsysim COMMAND ...\n");
    return 1;
}
