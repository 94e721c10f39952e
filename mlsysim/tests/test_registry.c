/* test_registry.c - the embedded registry: sizes, sources, derived parameter counts vs published
 * ones (within 2 %), unit parsing, run-time extension and precise errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsysim/mlsysim.h"
#include "ms_test.h"

static void test_sizes_and_sources(void **state)
{
    (void)state;
    assert_true(ms_registry_hardware_count(reg) >= 30);
    assert_true(ms_registry_model_count(reg) >= 25);
    assert_true(ms_registry_node_count(reg) >= 3);
    assert_true(ms_registry_fabric_count(reg) >= 5);
    assert_true(ms_registry_grid_count(reg) >= 8);
    for (size_t i = 0; i < ms_registry_hardware_count(reg); i++)
        assert_true(strlen(ms_registry_hardware_at(reg, i)->source) > 10);
    for (size_t i = 0; i < ms_registry_model_count(reg); i++)
        assert_true(strlen(ms_registry_model_at(reg, i)->source) > 10);
    for (size_t i = 0; i < ms_registry_node_count(reg); i++)
        assert_true(strlen(ms_registry_node_at(reg, i)->source) > 10);
    for (size_t i = 0; i < ms_registry_fabric_count(reg); i++)
        assert_true(strlen(ms_registry_fabric_at(reg, i)->source) > 10);
    for (size_t i = 0; i < ms_registry_grid_count(reg); i++)
        assert_true(strlen(ms_registry_grid_at(reg, i)->source) > 10);
    /* the device classes the curriculum names are all there */
    const char *must[] = {"V100", "A100", "H100", "H200", "B200", "MI300X", "TPUv4", "TPUv5p",
                          "Gaudi3", "T4", "L4", "Jetson_AGX_Orin", "Jetson_Orin_Nano", "M3_Max",
                          "A17_Pro", "Raspberry_Pi_5", "ESP32_S3", "nRF52840", "RP2040", "STM32H7"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        if (!ms_registry_hardware(reg, must[i])) fprintf(stderr, "missing %s\n", must[i]);
        assert_non_null(ms_registry_hardware(reg, must[i]));
    }
    const char *models[] = {"Llama3_8B", "Llama3_70B", "Llama3_405B", "Llama2_7B", "GPT2_Small",
                            "GPT3_175B", "Mixtral_8x7B", "DeepSeek_V3", "BERT_Base", "ResNet50",
                            "MobileNetV2", "EfficientNetB0", "YOLOv8n", "DS_CNN", "TT_DigitMLP"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) assert_non_null(ms_registry_model(reg, models[i]));
}

/* Derived (architecture) vs published counts: the self-check the registry promises. */
static void test_derived_params_match_published(void **state)
{
    (void)state;
    int transformers = 0;
    for (size_t i = 0; i < ms_registry_model_count(reg); i++) {
        const ms_model *m = ms_registry_model_at(reg, i);
        /* a diffusion model publishes its U-Net's count ("860M UNet") */
        double derived = m->kind == MS_MODEL_DIFFUSION ? m->diffusion.unet_params : m->params;
        double rel = fabs(derived - m->published_params) / m->published_params;
        if (rel > 0.02) fprintf(stderr, "%s: derived %.6g vs published %.6g (%.2f %%)\n", m->name,
                                derived, m->published_params, 100 * rel);
        assert_true(rel <= 0.02);
        if (m->published_active_params > 0) {
            double ra = fabs(m->params_active - m->published_active_params) / m->published_active_params;
            if (ra > 0.02) fprintf(stderr, "%s active: %.6g vs %.6g\n", m->name, m->params_active,
                                   m->published_active_params);
            assert_true(ra <= 0.02);
        }
        transformers += m->kind == MS_MODEL_TRANSFORMER;
    }
    assert_true(transformers >= 15);
}

/* Exact hand counts. GPT-2 124M: HF reports 124,439,808. Llama-3.1-8B: 8,030,261,248. */
static void test_exact_counts(void **state)
{
    (void)state;
    assert_float_equal(ms_registry_model(reg, "GPT2_Small")->params, 124439808.0, 0.5);
    assert_float_equal(ms_registry_model(reg, "Llama3_8B")->params, 8030261248.0, 0.5);
    /* Llama 2 7B: HF 6,738,415,616 */
    assert_float_equal(ms_registry_model(reg, "Llama2_7B")->params, 6738415616.0, 0.5);
    /* Llama 2 70B: HF 68,976,648,192 */
    assert_float_equal(ms_registry_model(reg, "Llama2_70B")->params, 68976648192.0, 0.5);
    /* Dense model: active = total; MoE: active < total */
    const ms_model *mx = ms_registry_model(reg, "Mixtral_8x7B");
    assert_true(mx->params_active < 0.3 * mx->params);
}

/* GPT-3 175B against Narayanan et al. 2021's closed form P = 12lh²(1 + 13/(12h) + (V+s)/(12lh)). */
static void test_gpt3_closed_form(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "GPT3_175B");
    double l = 96, h = 12288, V = 50257, s = 2048;
    double p = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
    /* the closed form leaves out the final LayerNorm (2h) */
    assert_float_equal(m->params, p + 2 * h, 1.0);
}

static void test_lookup_is_forgiving(void **state)
{
    (void)state;
    assert_ptr_equal(ms_registry_model(reg, "llama3-8b"), ms_registry_model(reg, "Llama3_8B"));
    assert_ptr_equal(ms_registry_hardware(reg, "h100"), ms_registry_hardware(reg, "H100"));
    assert_null(ms_registry_hardware(reg, "H1000"));
    /* by title, as a model card names it: "Llama 3.1 8B" is Llama3_8B's title */
    assert_ptr_equal(ms_registry_model(reg, "Llama-3.1-8B"), ms_registry_model(reg, "Llama3_8B"));
    assert_ptr_equal(ms_registry_model(reg, "llama 3.1 405b"), ms_registry_model(reg, "Llama3_405B"));
    assert_ptr_equal(ms_registry_hardware(reg, "NVIDIA H100 SXM5 80GB"), ms_registry_hardware(reg, "H100"));
    /* by hub repository id: the organisation and the release words dropped, the version kept */
    assert_ptr_equal(ms_registry_model(reg, "meta-llama/Llama-3.1-8B"), ms_registry_model(reg, "Llama3_8B"));
    assert_ptr_equal(ms_registry_model(reg, "meta-llama/Meta-Llama-3.1-8B-Instruct"), ms_registry_model(reg, "Llama3_8B"));
    assert_ptr_equal(ms_registry_model(reg, "meta-llama/Llama-2-70b-chat-hf"), ms_registry_model(reg, "Llama2_70B"));
    assert_ptr_equal(ms_registry_model(reg, "mistralai/Mistral-7B-Instruct-v0.1"), ms_registry_model(reg, "Mistral_7B"));
    assert_ptr_equal(ms_registry_model(reg, "mistralai/Mixtral-8x7B-Instruct-v0.1"), ms_registry_model(reg, "Mixtral_8x7B"));
    assert_null(ms_registry_model(reg, "mistralai/Mistral-7B-Instruct-v0.3"));   /* another release */
    assert_null(ms_registry_model(reg, "meta-llama/chat-hf"));                 /* nothing left to name */
    assert_null(ms_registry_hardware(reg, "nvidia/H100-chat"));                  /* models only */
    /* an accelerator by its title without its maker's name */
    assert_ptr_equal(ms_registry_hardware(reg, "A100-SXM4-40GB"), ms_registry_hardware(reg, "A100_40GB"));
    assert_ptr_equal(ms_registry_hardware(reg, "H100 SXM5 80GB"), ms_registry_hardware(reg, "H100"));
    assert_ptr_equal(ms_registry_hardware(reg, "Instinct MI300X"), ms_registry_hardware(reg, "MI300X"));
    assert_null(ms_registry_hardware(reg, "A100 SXM4"));                         /* the title is longer */
    /* an accelerator by an alias, with or without its maker's word: as its driver names it
     * (nvidia-smi, torch.cuda.get_device_name), as MLPerf does, its short form */
    assert_ptr_equal(ms_registry_hardware(reg, "NVIDIA H100 80GB HBM3"), ms_registry_hardware(reg, "H100"));
    assert_ptr_equal(ms_registry_hardware(reg, "nvidia h100 pcie"), ms_registry_hardware(reg, "H100_PCIe"));
    assert_ptr_equal(ms_registry_hardware(reg, "Tesla V100-SXM2-32GB"), ms_registry_hardware(reg, "V100"));
    assert_ptr_equal(ms_registry_hardware(reg, "NVIDIA A100-SXM4-80GB"), ms_registry_hardware(reg, "A100"));  /* its title */
    assert_null(ms_registry_hardware(reg, "NVIDIA H100 80GB"));                  /* neither name */
    assert_ptr_equal(ms_registry_hardware(reg, "NVIDIA H100-SXM-80GB"), ms_registry_hardware(reg, "H100"));
    assert_ptr_equal(ms_registry_hardware(reg, "H100 SXM"), ms_registry_hardware(reg, "H100"));
    assert_ptr_equal(ms_registry_hardware(reg, "A100-SXM-80GB"), ms_registry_hardware(reg, "A100"));
    assert_ptr_equal(ms_registry_hardware(reg, "H200 SXM"), ms_registry_hardware(reg, "H200"));
    assert_null(ms_registry_hardware(reg, "A100 SXM"));                          /* 40 or 80 GB: neither */
    /* a title two entries share names neither, nor does a hub id both read as; a name wins over
     * another entry's title */
    char err[512];
    ms_registry *r2 = ms_registry_new(err, sizeof err);
    assert_non_null(r2);
    const char *two =
        "models:\n"
        "  - {name: TwinA, title: Twin Model, kind: transformer, params: 1.24e9, source: test,\n"
        "     arch: {layers: 16, hidden: 2048, heads: 32, kv_heads: 8, ffn: 8192, vocab: 128256, gated_ffn: true, tied_embeddings: true}}\n"
        "  - {name: TwinB, title: Twin-Model, kind: transformer, params: 1.24e9, source: test,\n"
        "     arch: {layers: 16, hidden: 2048, heads: 32, kv_heads: 8, ffn: 8192, vocab: 128256, gated_ffn: true, tied_embeddings: true}}\n"
        "  - {name: Llama 3.1 8B Copy, title: Llama3_2_1B, kind: transformer, params: 1.24e9, source: test,\n"
        "     arch: {layers: 16, hidden: 2048, heads: 32, kv_heads: 8, ffn: 8192, vocab: 128256, gated_ffn: true, tied_embeddings: true}}\n";
    assert_int_equal(ms_registry_load_buffer(r2, "twins.yaml", two, strlen(two), err, sizeof err), MS_OK);
    assert_null(ms_registry_model(r2, "twin model"));
    assert_null(ms_registry_model(r2, "acme/Twin-Model-Instruct"));           /* two entries read so */
    assert_non_null(ms_registry_model(r2, "TwinB"));
    assert_string_equal(ms_registry_model(r2, "Llama3_2_1B")->name, "Llama3_2_1B");
    ms_registry_free(r2);
}

/* A name the registry lacks: the edits from it to each entry's name, read as the lookups read names,
 * and the nearest within two named in the error's words (the first of equals), none beyond. */
static void test_unknown_names(void **state)
{
    (void)state;
    assert_int_equal(ms_name_distance("llama3-8b", "Llama3_8B"), 0);        /* case and separators */
    assert_int_equal(ms_name_distance("H10", "H100"), 1);
    assert_int_equal(ms_name_distance("Lama3_8C", "Llama3_8B"), 2);
    assert_int_equal(ms_name_distance("abc", "xyz"), 3);
    assert_int_equal(ms_name_distance("", "abcd"), 3);                        /* at most 3 */
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(ms_name_distance(longname, longname), 3);               /* beyond any name */
    char why[256];
    assert_string_equal(ms_registry_unknown_model(reg, "Lama3_8B", why, sizeof why),
                        "'Lama3_8B' (did you mean Llama3_8B? see `mlsysim zoo models`)");
    assert_string_equal(ms_registry_unknown_hardware(reg, "A10O", why, sizeof why),
                        "'A10O' (did you mean A100? see `mlsysim zoo hardware`)");
    assert_string_equal(ms_registry_unknown_model(reg, "Zzzzzz", why, sizeof why), "'Zzzzzz' (see `mlsysim zoo models`)");
    assert_string_equal(ms_registry_unknown_hardware(NULL, "H10", why, sizeof why), "'H10' (see `mlsysim zoo hardware`)");
}

static void test_units(void **state)
{
    (void)state;
    char e[200];
    double v;
    assert_int_equal(ms_parse_quantity("80 GiB", "bytes", &v, e, sizeof e), 0);
    assert_float_equal(v, 80.0 * 1073741824.0, 0);
    assert_int_equal(ms_parse_quantity("3.35 TB/s", "bytes/s", &v, e, sizeof e), 0);
    assert_float_equal(v, 3.35e12, 1);
    assert_int_equal(ms_parse_quantity("400 Gb/s", "bytes/s", &v, e, sizeof e), 0);
    assert_float_equal(v, 50e9, 1);
    assert_int_equal(ms_parse_quantity("989 TFLOPS", "flop/s", &v, e, sizeof e), 0);
    assert_float_equal(v, 989e12, 1);
    assert_int_equal(ms_parse_quantity("15 mW", "W", &v, e, sizeof e), 0);
    assert_float_equal(v, 0.015, 1e-12);
    assert_int_equal(ms_parse_quantity("23 kW", "W", &v, e, sizeof e), 0);
    assert_float_equal(v, 23000, 1e-9);
    assert_int_equal(ms_parse_quantity("5 us", "s", &v, e, sizeof e), 0);
    assert_float_equal(v, 5e-6, 1e-15);
    assert_int_equal(ms_parse_quantity("$25,000", "usd", &v, e, sizeof e), 0);
    assert_float_equal(v, 25000, 0);
    assert_int_equal(ms_parse_quantity("4.1 GMAC", "flop", &v, e, sizeof e), 0);
    assert_float_equal(v, 8.2e9, 1);
    assert_int_equal(ms_parse_quantity("80 GB/s", "bytes", &v, e, sizeof e), -1);
    assert_non_null(strstr(e, "unit"));
    assert_int_equal(ms_parse_quantity("fast", "bytes", &v, e, sizeof e), -1);
}

static void test_bandwidths_are_per_direction(void **state)
{
    (void)state;
    /* NVLink4 is quoted as 900 GB/s bidirectional: the registry keeps 450 GB/s per direction. */
    assert_float_equal(ms_registry_hardware(reg, "H100")->link_bw_bytes_per_s, 450e9, 1);
    /* dense and sparse apart: B200 dense fp16 2.25 PF, sparse 4.5 PF */
    const ms_hardware *b = ms_registry_hardware(reg, "B200");
    assert_float_equal(b->flops[MS_FP16], 2250e12, 1);
    assert_float_equal(b->sparse_flops[MS_FP16], 4500e12, 1);
    /* a precision the device does not list falls back to a listed one, never 0 */
    const ms_hardware *t = ms_registry_hardware(reg, "TPUv4");
    assert_float_equal(ms_hw_peak(t, MS_FP16), 275e12, 1);
    for (size_t i = 0; i < ms_registry_hardware_count(reg); i++)
        for (int p = 0; p < MS_PREC_COUNT; p++)
            assert_true(ms_hw_peak(ms_registry_hardware_at(reg, i), (ms_precision)p) > 0);
    /* one HBM stack, one capacity: the A100 40GB parts (SXM and PCIe) hold the same 40 GiB, and
     * the 80GB part twice that (NVIDIA's "GB" of HBM is GiB throughout the registry) */
    const ms_hardware *sxm = ms_registry_hardware(reg, "A100_40GB"), *pcie = ms_registry_hardware(reg, "A100_40GB_PCIe");
    assert_non_null(sxm);
    assert_non_null(pcie);
    assert_float_equal(pcie->mem_bytes, sxm->mem_bytes, 0);
    assert_float_equal(sxm->mem_bytes, 40.0 * 1073741824.0, 0);
    assert_float_equal(ms_registry_hardware(reg, "A100")->mem_bytes, 2 * sxm->mem_bytes, 0);
    /* a node's links: its own NVLink figures where it gives them, else its accelerator's */
    const ms_node *nd = ms_registry_node(reg, "DGX_H100");
    assert_non_null(nd);
    const ms_hardware *h = ms_registry_hardware(reg, nd->accelerator);
    ms_node_links nl;
    ms_node_links_of(h, nd->intra_bw_bytes_per_s, 3e-6, nd->accelerators, nd->nics, NULL, &nl);
    assert_float_equal(nl.intra_latency_s, 3e-6, 0);
    assert_float_equal(nl.inter_latency_s, 3e-6, 0);          /* no fabric: the node's own links */
    ms_node_links_of(h, 0, 0, nd->accelerators, nd->nics, NULL, &nl);
    assert_float_equal(nl.intra_latency_s, h->link_latency_s, 0);
    assert_float_equal(nl.intra_bw_bytes_per_s, h->link_bw_bytes_per_s, 0);
    assert_float_equal(nd->intra_latency_s, 0.5e-6, 1e-15);
}

static void test_extend_and_errors(void **state)
{
    (void)state;
    char err[512];
    const char *ok =
        "hardware:\n"
        "  - name: MyNPU\n"
        "    flops: {int8: 10 TOPS}\n"
        "    memory: 4 GB\n"
        "    memory_bw: 50 GB/s\n"
        "    tdp: 3 W\n"
        "    source: \"my lab measurement, 2026\"\n";
    assert_int_equal(ms_registry_load_buffer(reg, "extra.yaml", ok, strlen(ok), err, sizeof err), MS_OK);
    assert_non_null(ms_registry_hardware(reg, "MyNPU"));
    /* override keeps one entry */
    size_t n = ms_registry_hardware_count(reg);
    assert_int_equal(ms_registry_load_buffer(reg, "extra.yaml", ok, strlen(ok), err, sizeof err), MS_OK);
    assert_int_equal(ms_registry_hardware_count(reg), n);

    const char *bad =
        "hardware:\n"
        "  - name: Bad\n"
        "    flops: {int8: 10 TOPS}\n"
        "    memory: 4 GB\n"
        "    memory_bw: 50 GB\n"
        "    source: x\n";
    assert_int_equal(ms_registry_load_buffer(reg, "bad.yaml", bad, strlen(bad), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "bad.yaml:5:"));
    assert_non_null(strstr(err, "memory_bw"));

    const char *unknown = "hardware:\n  - name: X\n    flopz: 1\n";
    assert_int_equal(ms_registry_load_buffer(reg, "u.yaml", unknown, strlen(unknown), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "u.yaml:3:"));
    assert_non_null(strstr(err, "flopz"));

    const char *nosrc = "grids:\n  - name: G\n    carbon_g_per_kwh: 5\n";
    assert_int_equal(ms_registry_load_buffer(reg, "g.yaml", nosrc, strlen(nosrc), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "source"));

    const char *syntax = "hardware: [\n";
    assert_int_equal(ms_registry_load_buffer(reg, "s.yaml", syntax, strlen(syntax), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "s.yaml:"));

    const char *node = "nodes:\n  - name: N\n    accelerator: NoSuchGPU\n    accelerators: 8\n    source: x\n";
    assert_int_equal(ms_registry_load_buffer(reg, "n.yaml", node, strlen(node), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "NoSuchGPU"));

    assert_int_equal(ms_registry_load_file(reg, "/nonexistent/file.yaml", err, sizeof err), MS_ERR_INPUT);
}

/* Layer graphs: the graph of every CNN/MLP that has one gives exactly its published parameter
 * count (torchvision / the papers) and MAC count; saved activations match hand counts. */
static void test_layer_graphs(void **state)
{
    (void)state;
    static const struct { const char *name; double params, macs; } q[] = {
        {"ResNet50", 25557032, 4.089e9}, {"ResNet18", 11689512, 1.814e9}, {"MobileNetV2", 3504872, 300.8e6},
        {"EfficientNetB0", 5288548, 385.8e6}, {"AlexNet", 61100840, 714.2e6}, {"TT_LeNet_Digits", 810, 3312},
        {"TT_CIFAR_CNN", 612042, 4484992}, {"AnomalyDetector", 265864, 264192}, {"TT_DigitMLP", 2410, 2368},
        {"LeNet5", 61706, 416520},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        const ms_model *m = ms_registry_model(reg, q[i].name);
        assert_non_null(m);
        assert_true(m->saved_act_elems > 0);
        assert_true(fabs(m->params - q[i].params) < 0.5);
        assert_true(fabs(m->fwd_flops / 2 / q[i].macs - 1) < 0.02);   /* published FLOPs vs the graph's MACs */
    }
    /* hand count, LeNet on 8x8: input 64 + conv 8x6x6 = 288 + pool 8x3x3 output and indices 144
     * + logits 10 = 506 elements per sample */
    assert_true(ms_registry_model(reg, "TT_LeNet_Digits")->saved_act_elems == 506);
    /* LeNet-5 (28x28, padded conv1): MACs by hand 28·28·6·25 + 10·10·16·150 + 400·120 + 120·84 +
     * 84·10 = 117,600 + 240,000 + 58,920 = 416,520 exactly (the kits count the same), and the
     * largest layer's input + output is the first max pool's 6·28·28 + 6·14·14 = 5,880 elements,
     * the entry's activation_peak at int8 */
    const ms_model *lenet = ms_registry_model(reg, "lenet5");
    assert_non_null(lenet);
    ms_graph_stats gs;
    char gerr[256];
    assert_int_equal(ms_graph_eval("in 1x28x28; conv 6 k5 p2 b; relu; maxpool k2; conv 16 k5 p0 b; relu; maxpool k2; "
                                   "flatten; fc 120; relu; fc 84; relu; fc 10", &gs, gerr, sizeof gerr), 0);
    assert_true(gs.macs == 416520 && gs.params == 61706);
    assert_true(gs.peak_live_elems == 4704 + 1176);
    assert_true(lenet->act_peak_bytes == 5880);
    /* hand count, ResNet-50 (v1.5, 224x224): stem, then per bottleneck conv+bn of each 1x1, 3x3,
     * 1x1 (and the projection), the residual add */
    double h = 112, tot = 3 * 224 * 224 + 2 * 64 * h * h + 2 * 64 * 56 * 56;   /* input, conv+bn, pool+indices */
    h = 56;
    static const int blocks[4] = {3, 4, 6, 3}, width[4] = {64, 128, 256, 512};
    for (int st = 0; st < 4; st++)
        for (int b = 0; b < blocks[st]; b++) {
            double hin = h, hout = (st > 0 && b == 0) ? h / 2 : h, w = width[st], out = 4 * w;
            tot += 2 * w * hin * hin + 2 * w * hout * hout + 2 * out * hout * hout + out * hout * hout;
            if (b == 0) tot += 2 * out * hout * hout;
            h = hout;
        }
    tot += 2048 + 1000;                                      /* pooled vector, logits */
    assert_true(ms_registry_model(reg, "ResNet50")->saved_act_elems == tot);
    /* a graph that is not the model, or not a graph, is refused */
    char err[512];
    const char *y = "models:\n  - {name: Fake, source: test, kind: cnn, params: 1e6, flops: 1 GFLOP, graph: \"in 3x32x32; conv 8 k3; fc 10\"}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "g.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "graph has"));
    y = "models:\n  - {name: Fake, source: test, kind: cnn, params: 1e6, flops: 1 GFLOP, graph: \"in 3x32x32; warp 9\"}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "g.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "unknown layer 'warp'"));
    y = "models:\n  - {name: Fake, source: test, kind: cnn, params: 1e6, flops: 1 GFLOP, graph: \"in 3x4x4; conv 8 k9 p0\"}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "g.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_null(ms_registry_model(reg, "Fake"));
}

/* Scenarios: each built-in one cites a source, its plan loads and evaluates without an input
 * error (fitting or not, meeting its targets or not: that is the scenario's answer); an entry
 * without a plan or with an unknown field is refused by name. */
static void test_scenarios(void **state)
{
    (void)state;
    assert_true(ms_registry_scenario_count(reg) >= 6);
    assert_non_null(ms_registry_scenario(reg, "smart-doorbell"));
    assert_non_null(ms_registry_scenario(reg, "chatbot_service"));
    assert_non_null(ms_registry_scenario(reg, "frontier_training"));
    ms_plan *p = malloc(sizeof *p);
    ms_result *res = malloc(sizeof *res);
    assert_non_null(p);
    assert_non_null(res);
    char err[512];
    for (size_t i = 0; i < ms_registry_scenario_count(reg); i++) {
        const ms_scenario *sc = ms_registry_scenario_at(reg, i);
        assert_true(sc->source[0] && sc->question[0] && sc->title[0]);
        if (ms_plan_load_buffer(reg, sc->name, sc->plan, strlen(sc->plan), p, err, sizeof err) != MS_OK)
            fail_msg("scenario %s: %s", sc->name, err);
        ms_plan_eval(reg, p, res);
        if (res->status == MS_ERR_INPUT) fail_msg("scenario %s: %s", sc->name, res->error);
        ms_result_free(res);
    }
    free(p);
    free(res);
    const char *y = "scenarios:\n  - {name: S1, title: t, question: q, source: test}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "s.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "plan"));
    y = "scenarios:\n  - {name: S1, source: test, plan: 'version: \"1.0\"', sla: 3}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "s.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "sla"));
    assert_null(ms_registry_scenario(reg, "S1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_sources),
        cmocka_unit_test(test_derived_params_match_published),
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_gpt3_closed_form),
        cmocka_unit_test(test_lookup_is_forgiving),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_bandwidths_are_per_direction),
        cmocka_unit_test(test_extend_and_errors),
        cmocka_unit_test(test_layer_graphs),
        cmocka_unit_test(test_scenarios),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
