/* cmd_solve.c - `mlsysim solve SOLVER ...`: the stand-alone solvers of solvers.h from the command
 * line (chunked prefill, disaggregated serving, M/G/c tail latency, checkpointing, data ingestion,
 * topologies, MoE all-to-all, pipeline-schedule bubble). Exit codes: 0 ok, 1 bad input. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "mlsysim/solvers.h"

static const char solve_help[] =
    "usage: mlsysim solve SOLVER [arguments]\n"
    "\n"
    "Stand-alone solvers (formulas in mlsysim/README.md, \"Solvers\"):\n"
    "  chunked-prefill MODEL HW --chunk C [--seq-len S --batch-size B --precision P --efficiency E]\n"
    "        prefill in chunks of C tokens: TTFT and the decode-stall bound (longest chunk)\n"
    "  disagg MODEL PREFILL_HW --decode-hw HW --link-gbs G [--link-us A] [workload flags]\n"
    "        prefill on one accelerator, decode on another, KV cache over a link\n"
    "  tail --qps L --service-ms T [--servers C] [--cv V]\n"
    "        M/G/c waits: Erlang C scaled by Kingman's (1 + cv^2)/2\n"
    "  checkpoint --checkpoint-s D --job-hours J --mtbf-hours M [--recovery-s R] [--interval-s I]\n"
    "        Young-Daly interval, goodput, wall time, expected failures\n"
    "  ingest --samples-per-s N --sample-kb K [--storage-gbs S] [--network-gbs G]\n"
    "         [--cpu-samples-per-s C --workers W]\n"
    "        data-path demand vs the slowest supply stage; stall fraction\n"
    "  topology --kind fat-tree|dragonfly|torus3d|ring --nodes N --link-gbs G [--oversub O]\n"
    "        bisection bandwidth and hops\n"
    "  moe --tokens T --hidden H --top-k K --experts E --ep P --link-gbs G [--imbalance F]\n"
    "      [--bytes B] [--link-us A]\n"
    "        expert-parallel all-to-all payload and time with routing imbalance\n"
    "  bubble --pp P --microbatches M [--interleave V]\n"
    "        pipeline-schedule bubble (P-1)/(V*M + P-1)\n"
    "\n"
    "examples:\n"
    "  mlsysim solve chunked-prefill Llama3_8B H100 --chunk 512\n"
    "  mlsysim solve disagg Llama3_8B H100 --decode-hw H200 --link-gbs 50\n"
    "  mlsysim -o json solve tail --qps 5 --service-ms 100 --cv 0\n"
    "  mlsysim solve checkpoint --checkpoint-s 60 --job-hours 720 --mtbf-hours 5 --recovery-s 300\n"
    "  mlsysim solve ingest --samples-per-s 10000 --sample-kb 110 --storage-gbs 2 --network-gbs 1.25 --cpu-samples-per-s 1200 --workers 8\n"
    "  mlsysim solve topology --kind torus3d --nodes 64 --link-gbs 50\n"
    "  mlsysim solve moe --tokens 4096 --hidden 4096 --top-k 2 --experts 8 --ep 8 --link-gbs 50 --imbalance 1.25\n"
    "  mlsysim solve bubble --pp 4 --microbatches 8 --interleave 4\n";

/* A named flag table: each flag takes one value; flags not listed are left in argv. */
typedef struct {
    const char *flag;
    double min, max;
    double *out;
    int found;
} num_flag;

/* Removes the listed numeric flags from argv (argv[0] kept); returns the new argc or -1. */
static int take_flags(int argc, char **argv, num_flag *f, int nf)
{
    int n = 0, bad = 0;
    for (int i = 0; i < argc; i++) {
        int hit = 0;
        for (int k = 0; k < nf && i > 0; k++)
            if (!strcmp(argv[i], f[k].flag)) {
                if (ms_arg_num(f[k].flag, i + 1 < argc ? argv[i + 1] : NULL, f[k].min, f[k].max, f[k].out)) bad = 1;
                f[k].found = 1;
                hit = 1;
                i++;
                break;
            }
        if (!hit) argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return bad ? -1 : n;
}

static int need(const char *solver, const num_flag *f, int nf, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "mlsysim solve %s: unexpected argument '%s' (see mlsysim solve --help)\n", solver, argv[1]);
        return 1;
    }
    (void)nf;
    for (int k = 0; f[k].flag; k++)
        if (!f[k].found) {
            fprintf(stderr, "mlsysim solve %s: %s is required (see mlsysim solve --help)\n", solver, f[k].flag);
            return 1;
        }
    return 0;
}

static int print(ms_cli *c, ms_result *o)
{
    ms_result_print(o, c->fmt, stdout);
    ms_result_free(o);
    return MS_EXIT_OK;
}

static void serve_input(const ms_opts *op, ms_serve_input *in)
{
    ms_serve_input_default(in);
    in->batch_size = op->w.batch_size;
    in->seq_len = op->w.seq_len;
    in->precision = op->w.precision;
    in->efficiency = op->have_eff ? op->w.efficiency : ms_default_efficiency(MS_MODE_INFERENCE);
}

static int solve_chunked(ms_cli *c, int argc, char **argv)
{
    double chunk = 0;
    num_flag f[] = {{"--chunk", 1, 1e7, &chunk, 0}, {NULL, 0, 0, NULL, 0}};
    if ((argc = take_flags(argc, argv, f, 1)) < 0) return MS_EXIT_INPUT;
    if (!f[0].found) { fprintf(stderr, "mlsysim solve chunked-prefill: --chunk is required\n"); return MS_EXIT_INPUT; }
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD, &op);
    if (rc) return rc;
    ms_serve_input in;
    serve_input(&op, &in);
    ms_chunked_prefill_result r;
    char err[256];
    if (ms_chunked_prefill(op.model, op.hw, &in, (int)chunk, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve chunked-prefill: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Chunked prefill");
    ms_result_str(&o, "model", op.model->name);
    ms_result_str(&o, "hardware", op.hw->name);
    ms_result_int(&o, "seq_len", in.seq_len);
    ms_result_int(&o, "batch_size", in.batch_size);
    ms_result_int(&o, "chunks", r.chunks);
    ms_result_num(&o, "chunk_tokens", r.chunk_tokens);
    ms_result_num(&o, "ttft_s", r.ttft_s);
    ms_result_num(&o, "unchunked_ttft_s", r.unchunked_ttft_s);
    ms_result_num(&o, "decode_stall_bound_s", r.decode_stall_bound_s);
    ms_result_num(&o, "first_chunk_s", r.first_chunk_s);
    ms_result_num(&o, "prefill_flop", r.flops);
    return print(c, &o);
}

static int solve_disagg(ms_cli *c, int argc, char **argv)
{
    double gbs = 0, us = 0;
    num_flag f[] = {{"--link-gbs", 1e-6, 1e9, &gbs, 0}, {"--link-us", 0, 1e9, &us, 0}};
    const char *decode = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--decode-hw")) {
            if (i + 1 >= argc) { fprintf(stderr, "mlsysim solve disagg: --decode-hw needs a hardware name\n"); return MS_EXIT_INPUT; }
            decode = argv[++i];
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    argc = n;
    if ((argc = take_flags(argc, argv, f, 2)) < 0) return MS_EXIT_INPUT;
    if (!decode || !f[0].found) {
        fprintf(stderr, "mlsysim solve disagg: --decode-hw and --link-gbs are required\n");
        return MS_EXIT_INPUT;
    }
    const ms_hardware *dh = ms_registry_hardware(c->reg, decode);
    if (!dh) { fprintf(stderr, "mlsysim solve disagg: --decode-hw: unknown hardware '%s' (see mlsysim zoo hardware)\n", decode); return MS_EXIT_INPUT; }
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD, &op);
    if (rc) return rc;
    ms_serve_input in;
    serve_input(&op, &in);
    ms_disagg_result r;
    char err[256];
    if (ms_disaggregated(op.model, op.hw, dh, &in, gbs * 1e9, us * 1e-6, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve disagg: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Disaggregated prefill/decode");
    ms_result_str(&o, "model", op.model->name);
    ms_result_str(&o, "prefill_hardware", op.hw->name);
    ms_result_str(&o, "decode_hardware", dh->name);
    ms_result_num(&o, "prefill_ttft_s", r.prefill_ttft_s);
    ms_result_num(&o, "kv_bytes", r.kv_bytes);
    ms_result_num(&o, "kv_transfer_s", r.kv_transfer_s);
    ms_result_num(&o, "ttft_s", r.ttft_s);
    ms_result_num(&o, "itl_s", r.itl_s);
    ms_result_num(&o, "colocated_ttft_s", r.colocated_ttft_s);
    ms_result_bool(&o, "feasible", r.feasible);
    return print(c, &o);
}

static int solve_tail(ms_cli *c, int argc, char **argv)
{
    double qps = 0, ms = 0, servers = 1, cv = 1;
    num_flag f[] = {{"--qps", 1e-12, 1e12, &qps, 0}, {"--service-ms", 1e-9, 1e12, &ms, 0},
                    {"--servers", 1, 1e6, &servers, 0}, {"--cv", 0, 100, &cv, 0}};
    if ((argc = take_flags(argc, argv, f, 4)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], {NULL, 0, 0, NULL, 0}};
    if (need("tail", req, 2, argc, argv)) return MS_EXIT_INPUT;
    ms_tail_result r;
    char err[256];
    if (ms_tail_latency(qps, ms * 1e-3, (int)servers, cv, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve tail: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Tail latency (M/G/c: Erlang C x Kingman)");
    ms_result_num(&o, "utilization", r.utilization);
    ms_result_bool(&o, "stable", r.stable);
    ms_result_num(&o, "p_wait", r.p_wait);
    ms_result_num(&o, "kingman_factor", r.kingman_factor);
    if (r.stable) {
        ms_result_num(&o, "mean_wait_s", r.mean_wait_s);
        ms_result_num(&o, "p50_latency_s", r.p50_latency_s);
        ms_result_num(&o, "p99_latency_s", r.p99_latency_s);
        ms_result_num(&o, "p99_wait_s", r.p99_wait_s);
    } else {
        ms_result_note(&o, "utilization >= 1: the queue grows without bound; add servers");
    }
    ms_cli_print_notes(&o);
    return print(c, &o);
}

static int solve_checkpoint(ms_cli *c, int argc, char **argv)
{
    double d = 0, job_h = 0, mtbf_h = 0, rec = 300, iv = 0;
    num_flag f[] = {{"--checkpoint-s", 1e-9, 1e12, &d, 0}, {"--job-hours", 1e-9, 1e9, &job_h, 0},
                    {"--mtbf-hours", 1e-9, 1e12, &mtbf_h, 0}, {"--recovery-s", 0, 1e12, &rec, 0},
                    {"--interval-s", 0, 1e12, &iv, 0}};
    if ((argc = take_flags(argc, argv, f, 5)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], f[2], {NULL, 0, 0, NULL, 0}};
    if (need("checkpoint", req, 3, argc, argv)) return MS_EXIT_INPUT;
    ms_checkpoint_result r;
    char err[256];
    if (ms_checkpoint_solve(d, job_h * 3600, rec, mtbf_h * 3600, iv, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve checkpoint: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Checkpointing (Young-Daly)");
    ms_result_num(&o, "interval_s", r.interval_s);
    ms_result_num(&o, "young_daly_s", r.young_daly_s);
    ms_result_num(&o, "daly_s", r.daly_s);
    ms_result_num(&o, "goodput", r.goodput);
    ms_result_num(&o, "wall_time_s", r.wall_time_s);
    ms_result_num(&o, "overhead_s", r.overhead_s);
    ms_result_num(&o, "expected_failures", r.expected_failures);
    ms_result_num(&o, "checkpoints", r.checkpoints);
    ms_result_num(&o, "failure_prob", r.failure_prob);
    if (r.goodput <= 0) ms_result_note(&o, "goodput 0: failures come faster than checkpoints save work");
    ms_cli_print_notes(&o);
    return print(c, &o);
}

static int solve_ingest(ms_cli *c, int argc, char **argv)
{
    double rate = 0, kb = 0, st = 0, net = 0, cpu = 0, workers = 1;
    num_flag f[] = {{"--samples-per-s", 1e-12, 1e15, &rate, 0}, {"--sample-kb", 1e-9, 1e12, &kb, 0},
                    {"--storage-gbs", 0, 1e9, &st, 0}, {"--network-gbs", 0, 1e9, &net, 0},
                    {"--cpu-samples-per-s", 0, 1e15, &cpu, 0}, {"--workers", 1, 1e6, &workers, 0}};
    if ((argc = take_flags(argc, argv, f, 6)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], {NULL, 0, 0, NULL, 0}};
    if (need("ingest", req, 2, argc, argv)) return MS_EXIT_INPUT;
    ms_ingest_result r;
    char err[256];
    if (ms_ingest(rate, kb * 1e3, st * 1e9, net * 1e9, cpu, (int)workers, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve ingest: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Data ingestion");
    ms_result_num(&o, "demand_bytes_per_s", r.demand_bytes_per_s);
    ms_result_num(&o, "supply_bytes_per_s", r.supply_bytes_per_s);
    ms_result_str(&o, "bottleneck", r.bottleneck);
    ms_result_num(&o, "utilization", r.utilization);
    ms_result_bool(&o, "stalled", r.stalled);
    ms_result_num(&o, "stall_fraction", r.stall_fraction);
    ms_result_num(&o, "achieved_samples_per_s", r.achieved_samples_per_s);
    ms_result_num(&o, "headroom_bytes_per_s", r.headroom_bytes_per_s);
    return print(c, &o);
}

static int solve_topology(ms_cli *c, int argc, char **argv)
{
    double nodes = 0, gbs = 0, ov = 1;
    const char *kind = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--kind")) {
            if (i + 1 >= argc) { fprintf(stderr, "mlsysim solve topology: --kind needs a value\n"); return MS_EXIT_INPUT; }
            kind = argv[++i];
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    num_flag f[] = {{"--nodes", 2, 1e9, &nodes, 0}, {"--link-gbs", 1e-6, 1e9, &gbs, 0},
                    {"--oversub", 1, 1e6, &ov, 0}};
    if ((argc = take_flags(n, argv, f, 3)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], {NULL, 0, 0, NULL, 0}};
    if (need("topology", req, 2, argc, argv)) return MS_EXIT_INPUT;
    ms_topology t;
    if (!kind || ms_topology_parse(kind, &t)) {
        fprintf(stderr, "mlsysim solve topology: --kind must be fat-tree, dragonfly, torus3d or ring\n");
        return MS_EXIT_INPUT;
    }
    ms_topology_result r;
    char err[256];
    if (ms_topology_eval(t, (int)nodes, gbs * 1e9, ov, &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve topology: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "Network topology");
    ms_result_str(&o, "topology", ms_topology_name(t));
    ms_result_int(&o, "nodes", (long long)nodes);
    ms_result_num(&o, "bisection_bytes_per_s", r.bisection_bytes_per_s);
    ms_result_num(&o, "per_node_bisection_bytes_per_s", r.per_node_bisection_bytes_per_s);
    ms_result_num(&o, "avg_hops", r.avg_hops);
    ms_result_num(&o, "diameter_hops", r.diameter_hops);
    return print(c, &o);
}

static int solve_moe(ms_cli *c, int argc, char **argv)
{
    double tokens = 0, hidden = 0, k = 0, e = 0, ep = 0, gbs = 0, imb = 1, bytes = 2, us = 0;
    num_flag f[] = {{"--tokens", 1, 1e15, &tokens, 0}, {"--hidden", 1, 1e7, &hidden, 0},
                    {"--top-k", 1, 1e6, &k, 0}, {"--experts", 2, 1e6, &e, 0},
                    {"--ep", 1, 1e6, &ep, 0}, {"--link-gbs", 1e-6, 1e9, &gbs, 0},
                    {"--imbalance", 1, 1e6, &imb, 0}, {"--bytes", 0.125, 8, &bytes, 0},
                    {"--link-us", 0, 1e9, &us, 0}};
    if ((argc = take_flags(argc, argv, f, 9)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], f[2], f[3], f[4], f[5], {NULL, 0, 0, NULL, 0}};
    if (need("moe", req, 6, argc, argv)) return MS_EXIT_INPUT;
    ms_moe_a2a_result r;
    char err[256];
    if (ms_moe_alltoall(tokens, (int)hidden, bytes, (int)k, (int)e, imb, (int)ep, gbs * 1e9, us * 1e-6,
                        &r, err, sizeof err)) {
        fprintf(stderr, "mlsysim solve moe: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    ms_result_init(&o, "MoE all-to-all");
    ms_result_num(&o, "effective_experts_per_token", r.effective_experts_per_token);
    ms_result_num(&o, "buffer_bytes", r.buffer_bytes);
    ms_result_num(&o, "sent_bytes", r.sent_bytes);
    ms_result_num(&o, "alltoall_s", r.alltoall_s);
    ms_result_num(&o, "layer_forward_s", r.layer_forward_s);
    ms_result_num(&o, "layer_train_s", r.layer_train_s);
    return print(c, &o);
}

static int solve_bubble(ms_cli *c, int argc, char **argv)
{
    double pp = 0, m = 0, v = 1;
    num_flag f[] = {{"--pp", 1, 1e6, &pp, 0}, {"--microbatches", 1, 1e9, &m, 0},
                    {"--interleave", 1, 1e6, &v, 0}};
    if ((argc = take_flags(argc, argv, f, 3)) < 0) return MS_EXIT_INPUT;
    num_flag req[] = {f[0], f[1], {NULL, 0, 0, NULL, 0}};
    if (need("bubble", req, 2, argc, argv)) return MS_EXIT_INPUT;
    ms_result o;
    ms_result_init(&o, "Pipeline schedule bubble");
    ms_result_num(&o, "bubble_schedule_fraction", ms_bubble_schedule_fraction((int)pp, (int)m, (int)v));
    return print(c, &o);
}

int ms_cli_solve(ms_cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(solve_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? MS_EXIT_INPUT : MS_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(solve_help, stdout);
            return MS_EXIT_OK;
        }
    const char *s = argv[1];
    argc--, argv++;   /* argv[0] = the solver name */
    if (!strcmp(s, "chunked-prefill")) return solve_chunked(c, argc, argv);
    if (!strcmp(s, "disagg")) return solve_disagg(c, argc, argv);
    if (!strcmp(s, "tail")) return solve_tail(c, argc, argv);
    if (!strcmp(s, "checkpoint")) return solve_checkpoint(c, argc, argv);
    if (!strcmp(s, "ingest")) return solve_ingest(c, argc, argv);
    if (!strcmp(s, "topology")) return solve_topology(c, argc, argv);
    if (!strcmp(s, "moe")) return solve_moe(c, argc, argv);
    if (!strcmp(s, "bubble")) return solve_bubble(c, argc, argv);
    fprintf(stderr, "mlsysim solve: unknown solver '%s' (chunked-prefill, disagg, tail, checkpoint, "
                    "ingest, topology, moe, bubble)\n", s);
    return MS_EXIT_INPUT;
}
