/* cmd_common.c - option parsing shared by eval / serve / compress / tiny, and the single-node
 * result keys. Every flag takes a value ("--flag V" or "--flag=V"); a flag a command does not use
 * is refused, so typos never pass silently. */
#include "cli.h"

#include <string.h>

static int flag_is(const char *arg, const char *name, const char **inline_val)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n)) return 0;
    if (arg[n] == 0) { *inline_val = NULL; return 1; }
    if (arg[n] == '=') { *inline_val = arg + n + 1; return 1; }
    return 0;
}

int ms_cli_parse_opts(ms_cli *c, int argc, char **argv, unsigned allowed, ms_opts *o)
{
    const char *cmd = argv[0];
    memset(o, 0, sizeof *o);
    ms_workload_default(&o->w);
    o->acceptance = 0.7;
    o->draft_tokens = 4;
    o->page_tokens = MS_KV_PAGE_TOKENS;
    o->output_tokens = 128;
    o->comp.base = MS_FP16;
    o->comp.target = MS_FP16;
    o->comp.prune = MS_PRUNE_NONE;
    o->weight_precision = o->kv_precision = -1;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *iv = NULL;
        if (a[0] != '-' || a[1] == 0) {
            if (npos == 2) { fprintf(stderr, "mlsysim %s: unexpected argument '%s'\n", cmd, a); return MS_EXIT_INPUT; }
            pos[npos++] = a;
            continue;
        }
#define VAL() (iv ? iv : (i + 1 < argc ? argv[++i] : NULL))
        int rc = 0;
        if ((allowed & MS_OPT_WORKLOAD) && (flag_is(a, "--batch-size", &iv) || flag_is(a, "-b", &iv)))
            rc = ms_arg_int(a, VAL(), 1, 100000000, &o->w.batch_size);
        else if ((allowed & MS_OPT_WORKLOAD) && (flag_is(a, "--seq-len", &iv) || flag_is(a, "-s", &iv))) {
            rc = ms_arg_int(a, VAL(), 1, 100000000, &o->w.seq_len);
            o->have_seq = 1;
        } else if ((allowed & MS_OPT_WORKLOAD) && (flag_is(a, "--precision", &iv) || flag_is(a, "-p", &iv))) {
            const char *v = VAL();
            if (!v || ms_precision_parse(v, &o->w.precision)) {
                fprintf(stderr, "mlsysim %s: --precision '%s' is not fp32, tf32, bf16, fp16, fp8, int8, int4 or fp4\n", cmd, v ? v : "");
                return MS_EXIT_INPUT;
            }
        } else if ((allowed & MS_OPT_WORKLOAD) && (flag_is(a, "--weight-precision", &iv) || flag_is(a, "--kv-precision", &iv))) {
            int kv = a[2] == 'k';
            const char *v = VAL();
            ms_precision p;
            if (!v || ms_precision_parse(v, &p)) {
                fprintf(stderr, "mlsysim %s: %s '%s' is not fp32, tf32, bf16, fp16, fp8, int8, int4 or fp4\n", cmd,
                        kv ? "--kv-precision" : "--weight-precision", v ? v : "");
                return MS_EXIT_INPUT;
            }
            if (kv) o->kv_precision = (int)p; else o->weight_precision = (int)p;
        } else if ((allowed & MS_OPT_WORKLOAD) && flag_is(a, "--moe-routing", &iv)) {
            const char *v = VAL();
            if (!v || ms_moe_routing_parse(v, &o->w.moe_routing)) {
                fprintf(stderr, "mlsysim %s: --moe-routing '%s' is not " MS_MOE_ROUTING_WORDS "\n", cmd, v ? v : "");
                return MS_EXIT_INPUT;
            }
        } else if ((allowed & MS_OPT_WORKLOAD) && (flag_is(a, "--efficiency", &iv) || flag_is(a, "-e", &iv)))
            { rc = ms_arg_num(a, VAL(), 1e-6, 1.0, &o->w.efficiency); o->have_eff = 1; }
        else if ((allowed & MS_OPT_POWER) && flag_is(a, "--power-limit", &iv)) {
            const char *v = VAL();
            char qe[256];                                           /* 500W, 0.5 kW, or watts */
            if (ms_parse_quantity(v, "W", &o->power_limit_w, qe, sizeof qe) || o->power_limit_w < 0) {
                fprintf(stderr, "mlsysim %s: --power-limit '%s' is not a power ('500 W', or watts; 0 = the TDP)\n", cmd, v ? v : "");
                return MS_EXIT_INPUT;
            }
        } else if ((allowed & MS_OPT_TRAIN) && flag_is(a, "--mode", &iv)) {
            const char *v = VAL();
            if (!v || ms_mode_parse(v, &o->w.mode)) { fprintf(stderr, "mlsysim %s: --mode '%s' is not inference or training\n", cmd, v ? v : ""); return MS_EXIT_INPUT; }
        } else if ((allowed & MS_OPT_TRAIN) && flag_is(a, "--recompute", &iv)) {
            const char *v = VAL();
            if (!v || ms_recompute_parse(v, &o->w.recompute)) { fprintf(stderr, "mlsysim %s: --recompute '%s' is not none, selective or full\n", cmd, v ? v : ""); return MS_EXIT_INPUT; }
        } else if ((allowed & MS_OPT_TRAIN) && flag_is(a, "--optimizer", &iv)) {
            const char *v = VAL();
            if (!v || ms_optimizer_parse(v, &o->w.optimizer)) { fprintf(stderr, "mlsysim %s: --optimizer '%s' is not adam, sgd or none\n", cmd, v ? v : ""); return MS_EXIT_INPUT; }
        } else if ((allowed & MS_OPT_TRAIN) && flag_is(a, "--steps", &iv))
            rc = ms_arg_int(a, VAL(), 1, 10000, &o->w.steps);
        else if ((allowed & MS_OPT_TRAIN) && flag_is(a, "--cfg", &iv)) {
            const char *v = VAL();
            if (v && !strcmp(v, "on")) o->w.cfg = MS_CFG_ON;
            else if (v && !strcmp(v, "off")) o->w.cfg = MS_CFG_OFF;
            else if (v && !strcmp(v, "model")) o->w.cfg = MS_CFG_MODEL;
            else { fprintf(stderr, "mlsysim %s: --cfg '%s' is not on, off or model (diffusion guidance)\n", cmd, v ? v : ""); return MS_EXIT_INPUT; }
        } else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--cached-prefix", &iv))
            rc = ms_arg_int(a, VAL(), 0, 100000000, &o->cached_prefix);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--draft", &iv)) {
            const char *v = VAL();
            o->draft = v ? ms_registry_model(c->reg, v) : NULL;
            char why[256];
            if (!o->draft) { fprintf(stderr, "mlsysim %s: --draft: unknown model %s\n", cmd, ms_registry_unknown_model(c->reg, v, why, sizeof why)); return MS_EXIT_INPUT; }
        } else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--acceptance", &iv))
            rc = ms_arg_num(a, VAL(), 0, 1, &o->acceptance);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--draft-tokens", &iv))
            rc = ms_arg_int(a, VAL(), 1, 64, &o->draft_tokens);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--mean-seq-len", &iv))
            rc = ms_arg_num(a, VAL(), 1, 1e9, &o->mean_seq_len);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--max-batch", &iv))
            rc = ms_arg_int(a, VAL(), 1, 100000000, &o->max_batch);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--page-tokens", &iv))
            rc = ms_arg_int(a, VAL(), 1, 65536, &o->page_tokens);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--qps", &iv))
            rc = ms_arg_num(a, VAL(), 1e-9, 1e12, &o->qps);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--replicas", &iv))
            rc = ms_arg_int(a, VAL(), 1, 10000000, &o->replicas);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--clients", &iv))
            rc = ms_arg_int(a, VAL(), 1, 1000000, &o->clients);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--max-num-tokens", &iv))
            rc = ms_arg_int(a, VAL(), 1, 10000000, &o->max_num_tokens);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--output-tokens", &iv))
            rc = ms_arg_int(a, VAL(), 1, 100000000, &o->output_tokens);
        else if ((allowed & MS_OPT_SERVE) && flag_is(a, "--p99-ms", &iv)) {
            rc = ms_arg_num(a, VAL(), 1e-6, 1e12, &o->p99_s);
            o->p99_s /= 1e3;
        } else if ((allowed & MS_OPT_COMPRESS) && (flag_is(a, "--from", &iv) || flag_is(a, "--to", &iv))) {
            int to = a[2] == 't';
            const char *v = VAL();
            ms_precision p;
            if (!v || ms_precision_parse(v, &p)) { fprintf(stderr, "mlsysim %s: %s '%s' is not a precision\n", cmd, to ? "--to" : "--from", v ? v : ""); return MS_EXIT_INPUT; }
            if (to) { o->comp.target = p; o->have_to = 1; } else o->comp.base = p;
        } else if ((allowed & MS_OPT_COMPRESS) && flag_is(a, "--sparsity", &iv))
            rc = ms_arg_num(a, VAL(), 0, 0.99, &o->comp.sparsity);
        else if ((allowed & MS_OPT_COMPRESS) && flag_is(a, "--prune", &iv)) {
            const char *v = VAL();
            if (v && !strcmp(v, "structured")) o->comp.prune = MS_PRUNE_STRUCTURED;
            else if (v && !strcmp(v, "unstructured")) o->comp.prune = MS_PRUNE_UNSTRUCTURED;
            else if (v && (!strcmp(v, "2:4") || !strcmp(v, "nm"))) o->comp.prune = MS_PRUNE_2_4;
            else if (v && !strcmp(v, "none")) o->comp.prune = MS_PRUNE_NONE;
            else { fprintf(stderr, "mlsysim %s: --prune '%s' is not structured, unstructured, 2:4 or none\n", cmd, v ? v : ""); return MS_EXIT_INPUT; }
        } else {
            fprintf(stderr, "mlsysim %s: unknown option '%s' (see mlsysim %s --help)\n", cmd, a, cmd);
            return MS_EXIT_INPUT;
        }
#undef VAL
        if (rc) return MS_EXIT_INPUT;
    }
    if (npos < 2) { fprintf(stderr, "mlsysim %s: needs MODEL and HARDWARE (see `mlsysim zoo`)\n", cmd); return MS_EXIT_INPUT; }
    o->model = ms_registry_model(c->reg, pos[0]);
    char why[256];
    if (!o->model) { fprintf(stderr, "mlsysim %s: unknown model %s\n", cmd, ms_registry_unknown_model(c->reg, pos[0], why, sizeof why)); return MS_EXIT_INPUT; }
    o->hw = ms_registry_hardware(c->reg, pos[1]);
    if (!o->hw) {
        const ms_node *nd = ms_registry_node(c->reg, pos[1]);   /* a node name means one of its accelerators */
        if (nd) {
            o->hw = ms_registry_hardware(c->reg, nd->accelerator);
            fprintf(stderr, "mlsysim %s: note: %s is a node; evaluating one %s\n", cmd, nd->name, nd->accelerator);
        }
    }
    if (!o->hw) { fprintf(stderr, "mlsysim %s: unknown hardware %s\n", cmd, ms_registry_unknown_hardware(c->reg, pos[1], why, sizeof why)); return MS_EXIT_INPUT; }
    if ((o->weight_precision >= 0 || o->kv_precision >= 0) && strcmp(cmd, "eval") && strcmp(cmd, "serve") &&
        strcmp(cmd, "sweep")) {
        fprintf(stderr, "mlsysim %s: --weight-precision / --kv-precision are for eval, serve and sweep (inference)\n", cmd);
        return MS_EXIT_INPUT;
    }
    /* precision honesty: refuse a format the device cannot run; warn when it is emulated (eval
     * gets the warning from the engine) */
    ms_precision asked[2] = {o->w.precision, o->comp.target};
    int n_check = !strcmp(cmd, "tiny") ? 0 : (allowed & MS_OPT_COMPRESS) ? 2 : 1;   /* tiny checks its own */
    for (int k = 0; k < n_check; k++) {
        char pmsg[400];
        int pc = ms_hw_precision_check(o->hw, asked[k], pmsg, sizeof pmsg);
        if (pc < 0) { fprintf(stderr, "mlsysim %s: --precision: %s\n", cmd, pmsg); return MS_EXIT_INPUT; }
        if (pc > 0 && strcmp(cmd, "eval")) fprintf(stderr, "mlsysim %s: %s\n", cmd, pmsg);
    }
    if (o->w.efficiency > 0.6)
        fprintf(stderr, "mlsysim %s: warning: efficiency %.2f is above what real workloads reach (0.3-0.6)\n", cmd, o->w.efficiency);
    if (o->comp.prune == MS_PRUNE_2_4) o->comp.sparsity = 0.5;
    return 0;
}

void ms_cli_print_notes(const ms_result *r)
{
    const char *s = r->notes;
    while (*s) {
        const char *nl = strchr(s, '\n');
        int len = nl ? (int)(nl - s) : (int)strlen(s);
        fprintf(stderr, "mlsysim: %.*s\n", len, s);
        s += len + (nl ? 1 : 0);
    }
}

void ms_cli_plan_from_opts(const ms_cli *c, const ms_opts *o, ms_plan *p)
{
    ms_plan_init(p, c->reg, o->model, o->hw);
    snprintf(p->path, sizeof p->path, "%s on %s", o->model->name, o->hw->name);
    p->mode = o->w.mode;
    p->batch_size = o->w.batch_size;
    p->seq_len = o->w.seq_len;
    p->precision = o->w.precision;
    p->recompute = o->w.recompute;
    p->optimizer = o->w.optimizer;
    p->efficiency = o->w.efficiency;
    p->efficiency_set = o->have_eff;
    p->weight_precision = o->weight_precision;
    p->kv_precision = o->kv_precision;
    p->steps = o->w.steps;
    p->cfg = o->w.cfg;
    p->moe_routing = o->w.moe_routing;
    p->power_limit_w = o->power_limit_w;
}
