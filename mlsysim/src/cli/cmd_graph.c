/* cmd_graph.c - `mlsysim graph 'SPEC'`: walks a CNN/MLP layer graph written in the registry's graph
 * language (ms_graph_eval, physics.h) and prints its parameters, multiply-accumulates, forward
 * FLOPs, the activations training keeps per sample and the peak live activations. `--help` prints
 * the language's layer table (ms_graph_grammar), the same table the parser reads. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int graph_help(void)
{
    size_t n = ms_graph_grammar(NULL, 0);
    char *g = malloc(n + 1);
    if (!g) return MS_EXIT_INPUT;
    ms_graph_grammar(g, n + 1);
    printf("usage: mlsysim graph 'SPEC'\n"
           "\n"
           "Walks a layer graph (the `graph:` field of a registry model) shape by shape: parameters,\n"
           "multiply-accumulates and forward FLOPs (2 per MAC) of one sample, the activations training\n"
           "keeps for the backward pass (elements per sample) and the largest live set (input + output\n"
           "of one layer plus named outputs still to be read; bytes at int8). Steps are separated by\n"
           "';', words by blanks; sizes are elements, a kernel, stride or padding is K or HxW.\n"
           "\n"
           "layers:\n%s"
           "\n"
           "examples:\n"
           "  mlsysim graph 'in 1x28x28; conv 6 k5 p2 b; relu; maxpool k2; conv 16 k5 p0 b; relu; maxpool k2; fc 120; fc 84; fc 10'\n"
           "  mlsysim graph 'in 1x49x10; conv 64 k10x4 s2 same b; relu; dw k3 b; relu; conv 64 k1 b; relu; avgpool; fc 12'\n"
           "  mlsysim -o json graph 'in 3x64x64; conv 16 k3 s2; as a; conv 16 k3 s2; upsample; concat a; conv 8 k1'\n"
           "\n"
           "exit codes: 0 ok, 1 the graph is refused (the message names the step and what it takes)\n", g);
    free(g);
    return MS_EXIT_OK;
}

int ms_cli_graph(ms_cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return graph_help();
    if (argc != 2) {
        fprintf(stderr, "mlsysim graph: give one graph in quotes, e.g. mlsysim graph 'in 3x32x32; conv 8 k3; fc 10' (see --help)\n");
        return MS_EXIT_INPUT;
    }
    ms_graph_stats s;
    char err[512];
    if (ms_graph_eval(argv[1], &s, err, sizeof err)) {
        fprintf(stderr, "mlsysim graph: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Layer graph");
    ms_result_str(&o, "graph", argv[1]);
    ms_result_int(&o, "params", (long long)s.params);           /* whole numbers below 1e18 (ms_graph_eval) */
    ms_result_int(&o, "macs", (long long)s.macs);
    ms_result_num(&o, "forward_flop", 2 * s.macs);
    ms_result_int(&o, "saved_activation_elements", (long long)s.saved_act_elems);
    ms_result_int(&o, "peak_live_elements", (long long)s.peak_live_elems);
    ms_result_num(&o, "weights_int8_bytes", s.params);
    ms_result_num(&o, "peak_live_int8_bytes", s.peak_live_elems);
    ms_result_int(&o, "layers", s.layers);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    return MS_EXIT_OK;
}
