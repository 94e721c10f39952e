/* cmd_validate.c - `mlsysim validate`: compares predictions with published training runs. */
#include <stdio.h>
#include "cli.h"

int ms_cli_validate(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "mlsysim validate: not built yet\n");
    return 1;
}
