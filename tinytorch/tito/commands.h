/* commands.h - tito's subcommands. Each lives in its own tito/cmd_*.c and is
 *     int tito_cmd_NAME(int argc, char **argv);   (argv[0] is the first argument after NAME)
 * returning the exit status. main.c dispatches on the name through its tito_commands[] table; adding
 * a command is one declaration here, one line in that table and one help line in main.c. */
#ifndef TITO_COMMANDS_H
#define TITO_COMMANDS_H

typedef struct tito_command {
    const char *name;
    const char *usage;      /* one line for 'tito --help': "NAME ARGS   what it does" */
    int (*run)(int argc, char **argv);
} tito_command;

int tito_cmd_eval(int argc, char **argv);     /* cmd_model.c: accuracy of a model file on a data set */
int tito_cmd_predict(int argc, char **argv);  /* cmd_model.c: classes of the samples in a file */
int tito_cmd_quantize(int argc, char **argv); /* cmd_quantize.c */
int tito_cmd_profile(int argc, char **argv);  /* cmd_profile.c */
int tito_cmd_plot(int argc, char **argv);     /* cmd_plot.c: training curves from metrics logs */
int tito_cmd_compress(int argc, char **argv); /* cmd_compress.c */
int tito_cmd_train(int argc, char **argv);    /* cmd_train.c */
int tito_cmd_capstone(int argc, char **argv); /* cmd_capstone.c */
int tito_cmd_module(int argc, char **argv);   /* cmd_module.c: the learner's start/test/complete loop */
int tito_cmd_status(int argc, char **argv);   /* cmd_module.c: modules and milestones */
int tito_cmd_grade(int argc, char **argv);    /* cmd_grade.c: an instructor grades a learner's workspace */
int tito_cmd_milestone(int argc, char **argv); /* cmd_milestone.c: list, info, run, status */
/* cmd_module.c: 'milestone run NN --dir D ...': the milestone on the learner's completed modules */
int tito_milestone_learner(int argc, char **argv);

#endif
