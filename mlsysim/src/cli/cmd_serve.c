/* cmd_serve.c - `mlsysim serve MODEL HARDWARE`: LLM serving on one accelerator: TTFT, ITL, KV
 * cache (an SSM's recurrent state instead), concurrency; continuous batching (paged vs static KV); optional speculative decoding
 * (--draft) and M/M/c replica sizing for an arrival rate (--qps, --p99-ms), with the M/D/c
 * figures of the same replicas beside (md_*: fixed-length requests, deterministic service).
 *
 * With --replicas N the queue figures are reported for N replicas instead of searched for.
 * The replica search is the library's (ms_serve_replicas, engine.h); this file parses and formats.
 * When no replica count up to 100000 meets --p99-ms the exit code is 3 (a target not met) and
 * "replicas" is 0. With --clients, a closed loop of that many clients (ms_serve_closed_loop: the
 * first token a wave's, loop_*). */
#include "cli.h"

#include <math.h>
#include <string.h>

int ms_cli_serve(ms_cli *c, int argc, char **argv)
{
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_SERVE, &op);
    if (rc) return rc;
    if ((op.model->kind != MS_MODEL_TRANSFORMER || op.model->arch.encoder) && op.model->kind != MS_MODEL_SSM) {
        fprintf(stderr, "mlsysim serve: %s is not a decoder LM or SSM (serve models TTFT/ITL of token generation)\n", op.model->name);
        return MS_EXIT_INPUT;
    }
    ms_serve_input in;
    ms_serve_input_default(&in);
    in.batch_size = op.w.batch_size;
    in.seq_len = op.w.seq_len;
    in.precision = op.w.precision;
    in.efficiency = op.have_eff ? op.w.efficiency : ms_inference_efficiency(op.model, op.hw->name, op.w.precision);
    in.cached_prefix = op.cached_prefix;
    in.moe_routing = op.w.moe_routing;
    in.weight_bytes = op.weight_precision >= 0 ? ms_precision_bytes((ms_precision)op.weight_precision) : 0;
    in.kv_bytes = op.kv_precision >= 0 ? ms_precision_bytes((ms_precision)op.kv_precision) : 0;
    if (op.cached_prefix >= op.w.seq_len) {
        fprintf(stderr, "mlsysim serve: --cached-prefix %d must be below --seq-len %d\n", op.cached_prefix, op.w.seq_len);
        return MS_EXIT_INPUT;
    }
    if (op.max_num_tokens > 0 && op.clients == 0) {
        fprintf(stderr, "mlsysim serve: --max-num-tokens is a closed loop's server budget: it needs --clients\n");
        return MS_EXIT_INPUT;
    }
    ms_serve_result s;
    ms_serve(op.model, op.hw, &in, &s);
    int unmet = 0;                                    /* no replica count meets the target */
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Serving %s on %s (%s, batch %d, %d-token context)", op.model->title,
             op.hw->title, ms_precision_name(in.precision), in.batch_size, in.seq_len);
    ms_result_init(&o, title);
    ms_result_str(&o, "model", op.model->name);
    ms_result_str(&o, "hardware", op.hw->name);
    ms_result_str(&o, "precision", ms_precision_name(in.precision));
    ms_result_str(&o, "weight_precision", ms_precision_name(op.weight_precision >= 0 ? (ms_precision)op.weight_precision : in.precision));
    ms_result_str(&o, "kv_precision", ms_precision_name(op.kv_precision >= 0 ? (ms_precision)op.kv_precision : in.precision));
    ms_result_int(&o, "batch_size", in.batch_size);
    ms_result_int(&o, "seq_len", in.seq_len);
    ms_result_num(&o, "efficiency", in.efficiency);
    ms_result_num(&o, "ttft_s", s.ttft_s);
    ms_result_num(&o, "itl_s", s.itl_s);
    ms_result_num(&o, "tokens_per_s", s.tokens_per_s);
    ms_result_num(&o, "throughput_per_s", s.tokens_per_s);
    ms_result_int(&o, "output_tokens", op.output_tokens);
    ms_result_num(&o, "request_latency_s", s.ttft_s + s.itl_s * op.output_tokens);
    ms_result_str(&o, "prefill_bottleneck", ms_bound_name(s.prefill_bound));
    ms_result_str(&o, "decode_bottleneck", ms_bound_name(s.decode_bound));
    ms_result_str(&o, "bottleneck", ms_bound_name(s.decode_bound));
    ms_result_num(&o, "prefill_flop", s.prefill_flops);
    double experts_read = ms_moe_experts_read(op.model, in.batch_size, in.moe_routing);
    if (experts_read > 0) {                           /* a MoE model */
        ms_result_str(&o, "moe_routing", ms_moe_routing_name(in.moe_routing));
        ms_result_num(&o, "moe_experts_read", experts_read);
    }
    ms_result_num(&o, "kv_cache_bytes", s.kv_cache_bytes);
    ms_result_num(&o, "kv_cache_per_token_bytes", s.kv_bytes_per_token);
    ms_result_num(&o, "memory_weights_bytes", s.weights_bytes);
    ms_result_num(&o, "memory_per_accelerator_bytes", s.memory_bytes);
    ms_result_num(&o, "memory_capacity_bytes", op.hw->mem_bytes);
    ms_result_num(&o, "memory_utilization", s.memory_utilization);
    ms_result_int(&o, "max_concurrent_sequences", s.max_concurrent_sequences);
    ms_result_bool(&o, "feasible", s.feasible);

    ms_batching_input bi = {.max_seq_len = in.seq_len,
                            .mean_seq_len = op.mean_seq_len > 0 ? op.mean_seq_len : in.seq_len / 2.0,
                            .page_tokens = op.page_tokens, .max_batch = op.max_batch,
                            .precision = in.precision, .efficiency = in.efficiency};
    if (bi.mean_seq_len > bi.max_seq_len) {
        fprintf(stderr, "mlsysim serve: --mean-seq-len must not exceed --seq-len\n");
        ms_result_free(&o);
        return MS_EXIT_INPUT;
    }
    if (bi.mean_seq_len < 1) bi.mean_seq_len = 1;
    ms_batching_result cb;
    if (ms_continuous_batching(op.model, op.hw, &bi, &cb) == MS_OK) {
        ms_result_num(&o, "cb_mean_seq_len", bi.mean_seq_len);
        ms_result_int(&o, "cb_paged_sequences", cb.paged_sequences);
        ms_result_int(&o, "cb_static_sequences", cb.static_sequences);
        ms_result_num(&o, "cb_paged_tokens_per_s", cb.paged_tokens_per_s);
        ms_result_num(&o, "cb_static_tokens_per_s", cb.static_tokens_per_s);
        ms_result_num(&o, "cb_paged_waste_fraction", cb.paged_waste_fraction);
    }
    if (op.draft && op.model->kind == MS_MODEL_SSM) {
        fprintf(stderr, "mlsysim serve: --draft: speculative decoding is modeled for transformer targets; %s is an SSM\n", op.model->name);
        ms_result_free(&o);
        return MS_EXIT_INPUT;
    }
    if (op.draft) {
        ms_spec_result sp;
        if (ms_speculative(op.model, op.draft, op.hw, &in, op.acceptance, op.draft_tokens, &sp) != MS_OK) {
            fprintf(stderr, "mlsysim serve: --draft %s is not a decoder LM\n", op.draft->name);
            ms_result_free(&o);
            return MS_EXIT_INPUT;
        }
        ms_result_str(&o, "draft_model", op.draft->name);
        ms_result_num(&o, "spec_acceptance", op.acceptance);
        ms_result_int(&o, "spec_draft_tokens", op.draft_tokens);
        ms_result_num(&o, "spec_expected_tokens", sp.expected_tokens);
        ms_result_num(&o, "spec_itl_s", sp.itl_s);
        ms_result_num(&o, "spec_speedup", sp.speedup);
    }
    if (op.qps > 0) {
        ms_serve_replicas_result sr;
        char why[300] = "";
        ms_status st = ms_serve_replicas(op.qps, s.ttft_s + s.itl_s * op.output_tokens, in.batch_size,
                                         op.replicas > 0 ? op.replicas : 0, op.p99_s > 0 ? op.p99_s : 0, &sr, why,
                                         sizeof why);
        if (st == MS_ERR_INPUT) {
            fprintf(stderr, "mlsysim serve: %s\n", why);
            ms_result_free(&o);
            return MS_EXIT_INPUT;
        }
        if (st != MS_OK) fprintf(stderr, "mlsysim serve: %s\n", why);
        unmet = op.replicas <= 0 && !sr.found;
        ms_result_num(&o, "qps", op.qps);
        ms_result_int(&o, "replicas", sr.replicas);
        if (sr.found) {
            ms_result_num(&o, "queue_utilization", sr.queue.utilization);
            ms_result_num(&o, "queue_wait_mean_s", sr.queue.mean_wait_s);
            ms_result_num(&o, "p50_latency_s", sr.queue.p50_s);
            ms_result_num(&o, "p99_latency_s", sr.queue.p99_s);
            ms_result_num(&o, "md_queue_wait_mean_s", sr.queue_md.mean_wait_s);
            ms_result_num(&o, "md_p50_latency_s", sr.queue_md.p50_s);
            ms_result_num(&o, "md_p99_latency_s", sr.queue_md.p99_s);
        } else {
            if (sr.replicas > 0) ms_result_num(&o, "queue_utilization", sr.queue.utilization);
            ms_result_bool(&o, "queue_stable", 0);
        }
    }
    if (op.clients > 0) {
        int budget = op.max_num_tokens > 0 ? op.max_num_tokens : MS_SERVE_MAX_NUM_TOKENS;
        ms_serve_loop_result lp;
        ms_status st = ms_serve_closed_loop(op.model, op.hw, &in, op.clients, op.output_tokens, budget, &lp);
        if (st == MS_ERR_MEMORY) {
            fprintf(stderr, "mlsysim serve: --clients: not one sequence of %d + %d tokens fits beside the weights\n",
                    in.seq_len, op.output_tokens);
            ms_result_free(&o);
            return MS_EXIT_MEMORY;
        }
        if (st != MS_OK) {
            fprintf(stderr, "mlsysim serve: --clients: no closed-loop figure for %s on %s\n", op.model->name, op.hw->name);
            ms_result_free(&o);
            return MS_EXIT_INPUT;
        }
        ms_result_int(&o, "loop_clients", op.clients);
        ms_result_int(&o, "loop_in_flight", lp.loop.served);
        ms_result_int(&o, "loop_max_num_tokens", budget);
        ms_result_int(&o, "loop_prompts_per_iteration", lp.per_iteration);
        ms_result_num(&o, "loop_ttft_s", lp.loop.ttft_s);
        ms_result_num(&o, "loop_itl_s", lp.loop.itl_s);
        ms_result_num(&o, "loop_tokens_per_s", lp.loop.tokens_per_s);
        ms_result_num(&o, "loop_requests_per_s", lp.loop.requests_per_s);
        ms_result_num(&o, "loop_request_latency_s", lp.loop.request_s);
        ms_result_num(&o, "loop_prefill_share", lp.loop.prefill_share);
    }
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    if (!s.feasible) {
        fprintf(stderr, "mlsysim serve: does not fit: weights + KV = %.3g GB, memory %.3g GB\n",
                s.memory_bytes / 1e9, op.hw->mem_bytes / 1e9);
        return MS_EXIT_MEMORY;
    }
    return unmet ? MS_EXIT_ASSERT : MS_EXIT_OK;
}
