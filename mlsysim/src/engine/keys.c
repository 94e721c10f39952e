/* keys.c - the table of every key ms_plan_eval can put in a result: its kind, unit and meaning.
 * The same table validates `constraints.assert` metric names (any numeric key), lists them in the
 * plan's JSON Schema, and is checked against what evaluations actually produce
 * (tests/test_engine.c), so the three cannot disagree. Units follow the key's suffix. */
#include "mlsysim/engine.h"

#include <string.h>

static const ms_result_key keys[] = {
    /* what was evaluated */
    {"plan", MS_V_STR, "", "plan name"},
    {"model", MS_V_STR, "", "registry model name (or custom)"},
    {"hardware", MS_V_STR, "", "registry accelerator name"},
    {"mode", MS_V_STR, "", "inference or training"},
    {"step", MS_V_STR, "", "what one step is (decode step, forward pass, training step)"},
    {"precision", MS_V_STR, "", "numeric format of weights and activations"},
    {"compute_precision", MS_V_STR, "", "format the device computes it with"},
    {"weight_precision", MS_V_STR, "", "storage format of the weights (inference)"},
    {"kv_precision", MS_V_STR, "", "storage format of the KV cache (inference)"},
    {"precision_emulated", MS_V_BOOL, "", "the device lacks the format and emulates it on a wider one"},
    {"optimizer", MS_V_STR, "", "adam, sgd or none (training)"},
    {"batch_size", MS_V_INT, "", "sequences or samples per step (per replica for inference)"},
    {"seq_len", MS_V_INT, "tokens", "tokens per sequence (context of a decode step)"},
    {"efficiency", MS_V_NUM, "", "fraction of peak FLOP/s reached (the calibration figure)"},
    {"efficiency_source", MS_V_STR, "", "where the efficiency came from: plan, calibrated (the accelerator generation's training calibration) or default"},
    {"accelerators", MS_V_INT, "", "accelerators in the plan"},
    {"nodes", MS_V_INT, "", "nodes (training)"},
    {"tp", MS_V_INT, "", "tensor-parallel degree"},
    {"pp", MS_V_INT, "", "pipeline stages"},
    {"dp", MS_V_INT, "", "data-parallel replicas (training)"},
    {"ep", MS_V_INT, "", "expert-parallel degree (inside dp; training)"},
    {"cp", MS_V_INT, "", "context-parallel degree (training)"},
    {"replicas", MS_V_INT, "", "serving replicas (inference with tp/pp)"},
    {"microbatch", MS_V_INT, "", "sequences per micro-batch (training)"},
    {"microbatches", MS_V_INT, "", "micro-batches per step per replica (training)"},
    {"recompute", MS_V_STR, "", "activation recomputation: none, selective, full"},
    {"zero_stage", MS_V_INT, "", "ZeRO stage 0-3"},
    /* time and rate */
    {"latency_s", MS_V_NUM, "s", "one step (decode step, forward pass or optimizer step)"},
    {"step_time_s", MS_V_NUM, "s", "one optimizer step (training)"},
    {"throughput_per_s", MS_V_NUM, "1/s", "tokens or samples per second of one replica (training: of the plan)"},
    {"throughput_unit", MS_V_STR, "", "tokens or samples"},
    {"tokens_per_s", MS_V_NUM, "1/s", "tokens per second"},
    {"fleet_throughput_per_s", MS_V_NUM, "1/s", "throughput of all replicas"},
    {"ttft_s", MS_V_NUM, "s", "time to first token (prefill of the batch)"},
    {"itl_s", MS_V_NUM, "s", "inter-token latency (one decode step)"},
    {"max_concurrent_sequences", MS_V_INT, "", "sequences the free memory holds (paged KV)"},
    {"bottleneck", MS_V_STR, "", "compute, memory, communication or pipeline_bubble"},
    {"mfu", MS_V_NUM, "", "model FLOP utilization"},
    {"hfu", MS_V_NUM, "", "hardware FLOP utilization (with recompute)"},
    {"tflops_per_accelerator", MS_V_NUM, "TFLOP/s", "executed FLOP/s per accelerator (causal attention count; Megatron-LM papers count the full square)"},
    {"compute_time_s", MS_V_NUM, "s", "roofline compute term"},
    {"memory_time_s", MS_V_NUM, "s", "roofline memory term"},
    {"overhead_time_s", MS_V_NUM, "s", "dispatch and per-layer overhead"},
    {"attention_time_s", MS_V_NUM, "s", "decode step: the attention kernel's time (KV cache read), added to the GEMMs' max(compute, weights read)"},
    {"overhead_dominated", MS_V_BOOL, "", "overhead exceeds compute and memory time"},
    {"compute_s", MS_V_NUM, "s", "compute of a training step"},
    {"bubble_s", MS_V_NUM, "s", "pipeline bubble"},
    {"bubble_fraction", MS_V_NUM, "", "pipeline bubble time / whole step time (with communication and optimizer)"},
    {"bubble_schedule_fraction", MS_V_NUM, "", "idle slots of the pipeline schedule, (pp-1)/(v*m + pp-1)"},
    {"communication_s", MS_V_NUM, "s", "exposed communication"},
    {"tp_communication_s", MS_V_NUM, "s", "tensor-parallel all-reduces"},
    {"pp_communication_s", MS_V_NUM, "s", "pipeline sends"},
    {"dp_communication_s", MS_V_NUM, "s", "exposed gradient reduction"},
    {"zero_communication_s", MS_V_NUM, "s", "ZeRO-3 parameter gathers"},
    {"optimizer_s", MS_V_NUM, "s", "optimizer update"},
    {"matmul_s", MS_V_NUM, "s", "part of compute_s in matrix multiplies"},
    {"memory_bound_s", MS_V_NUM, "s", "part of compute_s in memory-bound kernels"},
    {"ep_communication_s", MS_V_NUM, "s", "expert-parallel all-to-alls"},
    {"cp_communication_s", MS_V_NUM, "s", "exposed context-parallel K/V exchange"},
    {"dp_communication_total_s", MS_V_NUM, "s", "gradient reduction, hidden or not"},
    {"zero_communication_total_s", MS_V_NUM, "s", "ZeRO-3 gathers and reduce-scatters, hidden or not"},
    {"overlap_interference_s", MS_V_NUM, "s", "part of the exposed DP and ZeRO-3 time that is compute slowed by the collectives it overlaps (NCCL holds 24 SMs)"},
    /* work */
    {"model_flop", MS_V_NUM, "FLOP", "model FLOPs of the step (no recompute)"},
    {"hardware_flop", MS_V_NUM, "FLOP", "FLOPs executed (with recompute)"},
    {"memory_traffic_bytes", MS_V_NUM, "B", "bytes moved to and from memory in the step"},
    {"arithmetic_intensity_flop_per_byte", MS_V_NUM, "FLOP/B", "model FLOPs / bytes moved"},
    {"ridge_point_flop_per_byte", MS_V_NUM, "FLOP/B", "peak / bandwidth of one accelerator"},
    {"peak_flop_per_s", MS_V_NUM, "FLOP/s", "peak of one accelerator at the compute precision"},
    {"bandwidth_bytes_per_s", MS_V_NUM, "B/s", "bandwidth one accelerator streams from"},
    /* power and energy */
    {"power_w", MS_V_NUM, "W", "power of one accelerator: TDP x (0.30 + 0.70 x MFU)"},
    {"energy_j", MS_V_NUM, "J", "one step of one accelerator; with ops, the whole run (facility)"},
    {"step_energy_j", MS_V_NUM, "J", "one step (with ops)"},
    /* memory per accelerator */
    {"memory_per_accelerator_bytes", MS_V_NUM, "B", "memory one accelerator needs"},
    {"memory_capacity_bytes", MS_V_NUM, "B", "memory one accelerator offers the workload (less hardware.memory_reserve)"},
    {"memory_reserve_fraction", MS_V_NUM, "", "fraction of memory kept free (hardware.memory_reserve)"},
    {"memory_utilization", MS_V_NUM, "", "needed / capacity"},
    {"memory_weights_bytes", MS_V_NUM, "B", "weights"},
    {"memory_gradients_bytes", MS_V_NUM, "B", "gradients"},
    {"memory_optimizer_bytes", MS_V_NUM, "B", "optimizer state"},
    {"memory_activations_bytes", MS_V_NUM, "B", "activations"},
    {"memory_buffers_bytes", MS_V_NUM, "B", "pipeline and ZeRO-3 buffers"},
    {"memory_kv_cache_bytes", MS_V_NUM, "B", "KV cache"},
    {"kv_cache_bytes", MS_V_NUM, "B", "KV cache of the batch (decode)"},
    {"memory_state_bytes", MS_V_NUM, "B", "SSM: the recurrent state of the batch (constant in the context; it replaces the KV cache)"},
    {"state_per_sequence_bytes", MS_V_NUM, "B", "SSM: the recurrent state of one sequence, all layers"},
    /* diffusion and recommenders */
    {"image_px", MS_V_INT, "", "diffusion: image side in pixels"},
    {"denoising_steps", MS_V_INT, "", "diffusion: U-Net steps per image"},
    {"cfg", MS_V_BOOL, "", "diffusion: classifier-free guidance (two U-Net passes per step)"},
    {"unet_params", MS_V_NUM, "", "diffusion: U-Net parameters"},
    {"unet_step_flop", MS_V_NUM, "FLOP", "diffusion: one denoising step of the batch (both guidance passes)"},
    {"text_encoder_flop", MS_V_NUM, "FLOP", "diffusion: the text encoder over the batch's prompts"},
    {"vae_decoder_flop", MS_V_NUM, "FLOP", "diffusion: the VAE decoder over the batch's latents"},
    {"embedding_table_bytes", MS_V_NUM, "B", "recommender: the embedding tables"},
    {"embedding_gather_bytes", MS_V_NUM, "B", "recommender: embedding rows the batch gathers"},
    {"feasible", MS_V_BOOL, "", "fits in memory"},
    /* ops: reliability, energy, carbon, cost over the run */
    {"mtbf_s", MS_V_NUM, "s", "cluster mean time between failures"},
    {"checkpoint_write_s", MS_V_NUM, "s", "one checkpoint write"},
    {"checkpoint_interval_s", MS_V_NUM, "s", "Young-Daly checkpoint interval"},
    {"failure_probability", MS_V_NUM, "", "P(at least one failure during the run)"},
    {"goodput", MS_V_NUM, "", "useful fraction of wall time"},
    {"wall_time_s", MS_V_NUM, "s", "wall time of the run"},
    {"region", MS_V_STR, "", "grid region"},
    {"duration_s", MS_V_NUM, "s", "run length"},
    {"energy_it_j", MS_V_NUM, "J", "IT energy of the run: accelerators + node overhead (before PUE)"},
    {"energy_node_j", MS_V_NUM, "J", "node overhead energy of the run: host CPUs, NICs, switches, fans (system entry's power beyond its accelerators)"},
    {"carbon_kg", MS_V_NUM, "kg", "operational carbon of the run"},
    {"water_l", MS_V_NUM, "L", "water of the run"},
    {"capex_usd", MS_V_NUM, "USD", "amortised purchase cost"},
    {"energy_cost_usd", MS_V_NUM, "USD", "electricity cost"},
    {"maintenance_usd", MS_V_NUM, "USD", "maintenance cost"},
    {"cost_usd", MS_V_NUM, "USD", "total cost of the run"},
    {"cost_per_million_tokens_usd", MS_V_NUM, "USD", "cost per million tokens"},
    /* constraints */
    {"status", MS_V_STR, "", "ok, sla_failed or error"},
    {"reason", MS_V_STR, "", "why the plan was refused (status error)"},
    {"asserts_checked", MS_V_INT, "", "constraints checked"},
    {"asserts_failed", MS_V_INT, "", "constraints violated"},
    {"violations", MS_V_RAW, "", "the violated constraints"},
};

size_t ms_result_key_count(void) { return sizeof keys / sizeof keys[0]; }

const ms_result_key *ms_result_key_at(size_t i) { return i < ms_result_key_count() ? &keys[i] : NULL; }

const ms_result_key *ms_result_key_find(const char *name)
{
    for (size_t i = 0; name && i < ms_result_key_count(); i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}
