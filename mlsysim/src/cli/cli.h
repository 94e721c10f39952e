/* cli.h - internal interface between the mlsysim CLI's command files. */
#ifndef MLSYSIM_CLI_H
#define MLSYSIM_CLI_H

/* `mlsysim validate [...]`: predicted vs published training runs (cmd_validate.c). */
int ms_cli_validate(int argc, char **argv);

#endif
