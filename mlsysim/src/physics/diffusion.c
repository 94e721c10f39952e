/* diffusion.c - latent diffusion (Stable Diffusion: Rombach et al., CVPR 2022) counted from its
 * architecture: a text encoder (a transformer encoder, counted by transformer.c), a U-Net walked
 * block by block at the latent resolution, and a VAE decoder walked the same way.
 *
 * U-Net (the diffusers UNet2DConditionModel layout SD 1.x uses): timestep MLP C0 -> 4·C0 -> 4·C0;
 * conv_in; per level `layers_per_block` ResNet blocks (each followed by a transformer block where
 * the level has attention) and a stride-2 conv between levels; a middle ResNet + transformer +
 * ResNet; per level going up `layers_per_block + 1` ResNet blocks on [x, skip] (concatenated
 * channels), transformer blocks where the level has attention, nearest x2 + 3x3 conv between
 * levels; GroupNorm and conv_out. Parameters per block (C channels, T = 4·C0, X = context width):
 *   ResNet cin -> cout   GN 2·cin + 3x3 conv 9·cin·cout + cout + time proj T·cout + cout + GN 2·cout
 *                        + 3x3 conv 9·cout² + cout (+ 1x1 shortcut cin·cout + cout when cin != cout)
 *   transformer C        GN 2C, proj_in C² + C, LN, self-attention 4C² + C, LN, cross-attention
 *                        2C² + 2·X·C + C, LN, GEGLU feed-forward C·8C + 8C + 4C·C + C, proj_out
 *                        C² + C: 20·C² + 2·X·C + 21·C
 * SD 1.5 gives 859,520,964 (the U-Net's count, "860M" in the model card); the VAE decoder
 * 49,490,179 + its post-quant 1x1 conv 20; CLIP ViT-L/14's text encoder 123,060,480.
 * FLOPs: 2 per multiply-accumulate of convs, linears and attention (norms, activations and
 * element-wise ops are not counted, as for transformers); a transformer block on n = h·w tokens
 * with m context tokens does 20·C²·n + 2·n²·C (self-attention scores and values) + 2·X·C·m +
 * 2·n·m·C MACs. Attention is fused (FlashAttention-style): no n x n score matrix is stored.
 * Saved activations (training, per sample, elements): every conv, linear, norm, SiLU/GEGLU and
 * residual-add output, the concatenations of the up path, and q, k, v, o of each attention; a
 * transformer block keeps 31·C·n + 2·C·m, a ResNet block 2·cin·hw + 5·cout·hw (+ cout·hw for a
 * shortcut). Inference activations: the skip tensors the up path waits for + the largest
 * input + output of one operation.
 * One image (inference, B images, passes P = 2 with classifier-free guidance, else 1):
 *   FLOPs  = B·(P·text + steps·P·U-Net + VAE decoder)
 *   bytes  = text weights + steps·U-Net weights + VAE weights (one read per batched pass)
 *            + each pass's activations written and read once (2 x saved elements x bytes)
 * Training: one U-Net step (forward + backward = 3 x forward) on latents encoded beforehand (the
 * VAE encoder is not counted), the text encoder forward, U-Net gradients and optimizer state.
 */
#include "kinds.h"

#include <math.h>
#include <string.h>

typedef struct {
    double params, macs;     /* per sample */
    double act;              /* saved activation elements (every op output) */
    double skip;             /* skip tensors held for the up path */
    double peak;             /* largest input + output of one op */
    int blocks;
    double stack_c[128], stack_hw[128]; /* skip stack: channels and h·w (<= 1 + 6·16 + 5 entries) */
    int sp;
} walk;

static void peak(walk *w, double elems) { if (elems > w->peak) w->peak = elems; }

/* 2-D conv k x k, cin -> cout, output h·w = hw, with bias */
static void conv(walk *w, double cin, double cout, double k, double hw)
{
    w->params += cin * cout * k * k + cout;
    w->macs += cin * cout * k * k * hw;
    w->act += cout * hw;
}

/* ResNet block at h·w = hw; temb = 0: none (VAE) */
static void resnet(walk *w, double cin, double cout, double hw, double temb)
{
    w->params += 2 * cin + 2 * cout;                       /* two GroupNorms */
    conv(w, cin, cout, 3, hw);
    conv(w, cout, cout, 3, hw);
    if (temb > 0) { w->params += temb * cout + cout; w->macs += temb * cout; }
    if (cin != cout) conv(w, cin, cout, 1, hw);
    w->act += 2 * cin * hw + 3 * cout * hw;                /* GN1, SiLU, GN2, SiLU, add (+ the convs) */
    peak(w, (cin + cout) * hw);
    w->blocks++;
}

/* transformer block (SD 1.x Transformer2DModel with one BasicTransformerBlock): C channels, n
 * tokens, context of m tokens of width x */
static void transformer(walk *w, double C, double n, double x, double m)
{
    w->params += 20 * C * C + 2 * x * C + 21 * C;
    w->macs += 20 * C * C * n + 2 * n * n * C + 2 * x * C * m + 2 * n * m * C;
    w->act += 31 * C * n + 2 * C * m;
    peak(w, 9 * C * n);                                    /* GEGLU: input C, output 8C per token */
    w->blocks++;
}

/* VAE mid-block attention: one head over n tokens, GN + q, k, v, o with biases */
static void vae_attention(walk *w, double C, double n)
{
    w->params += 2 * C + 4 * (C * C + C);
    w->macs += 4 * C * C * n + 2 * n * n * C;
    w->act += 6 * C * n;                                   /* GN, q, k, v, o, add */
    peak(w, 4 * C * n);
    w->blocks++;
}

static void push(walk *w, double c, double hw)
{
    if (w->sp < 128) { w->stack_c[w->sp] = c; w->stack_hw[w->sp] = hw; w->sp++; }
    w->skip += c * hw;
}

static void unet(const ms_diffusion_arch *d, walk *w)
{
    memset(w, 0, sizeof *w);
    double c0 = d->channels[0], T = 4 * c0, x = d->context_dim, m = d->context_len;
    /* timestep embedding MLP */
    w->params += c0 * T + T + T * T + T;
    w->macs += c0 * T + T * T;
    double side = d->latent, hw = side * side, cur = c0;
    conv(w, d->latent_channels, c0, 3, hw);
    w->blocks++;
    push(w, c0, hw);
    for (int i = 0; i < d->levels; i++) {
        double c = d->channels[i];
        for (int j = 0; j < d->layers_per_block; j++) {
            resnet(w, cur, c, hw, T);
            cur = c;
            if (d->attention[i]) transformer(w, c, hw, x, m);
            push(w, c, hw);
        }
        if (i < d->levels - 1) {
            side = ceil(side / 2);
            hw = side * side;
            conv(w, c, c, 3, hw);                          /* stride 2 */
            w->blocks++;
            push(w, c, hw);
        }
    }
    resnet(w, cur, cur, hw, T);
    transformer(w, cur, hw, x, m);
    resnet(w, cur, cur, hw, T);
    for (int i = d->levels - 1; i >= 0; i--) {
        double c = d->channels[i];
        for (int j = 0; j < d->layers_per_block + 1 && w->sp > 0; j++) {
            w->sp--;
            double cin = cur + w->stack_c[w->sp];
            w->act += cin * hw;                            /* the concatenation */
            resnet(w, cin, c, hw, T);
            cur = c;
            if (d->attention[i]) transformer(w, c, hw, x, m);
        }
        if (i > 0 && w->sp > 0) {
            double to = w->stack_hw[w->sp - 1];            /* the next skip's resolution */
            w->act += c * to;                              /* nearest x2 */
            conv(w, c, c, 3, to);
            peak(w, 2 * c * to);
            hw = to;
            w->blocks++;
        }
    }
    w->params += 2 * c0;                                   /* GroupNorm */
    w->act += 2 * c0 * hw;
    conv(w, c0, d->latent_channels, 3, hw);
    w->blocks++;
}

static void vae_decoder(const ms_diffusion_arch *d, walk *w)
{
    memset(w, 0, sizeof *w);
    double lc = d->latent_channels, side = d->latent, hw = side * side;
    int L = d->vae_levels;
    double cur = d->vae_channels[L - 1];
    conv(w, lc, lc, 1, hw);                                /* post-quant conv */
    conv(w, lc, cur, 3, hw);
    w->blocks += 2;
    resnet(w, cur, cur, hw, 0);
    vae_attention(w, cur, hw);
    resnet(w, cur, cur, hw, 0);
    for (int i = L - 1; i >= 0; i--) {
        double c = d->vae_channels[i];
        for (int j = 0; j < d->vae_layers_per_block + 1; j++) {
            resnet(w, cur, c, hw, 0);
            cur = c;
        }
        if (i > 0) {
            side *= 2;
            hw = side * side;
            w->act += c * hw;
            conv(w, c, c, 3, hw);
            peak(w, 2 * c * hw);
            w->blocks++;
        }
    }
    w->params += 2 * cur;
    w->act += 2 * cur * hw;
    conv(w, cur, 3, 3, hw);
    w->blocks++;
}

void ms__diffusion_derive(ms_model *m)
{
    ms_diffusion_arch *d = &m->diffusion;
    walk w;
    unet(d, &w);
    d->unet_params = w.params;
    d->unet_flops = 2.0 * w.macs;
    d->unet_act_elems = w.act;
    d->unet_skip_elems = w.skip;
    d->unet_peak_elems = w.peak;
    d->unet_blocks = w.blocks;
    vae_decoder(d, &w);
    d->vae_params = w.params;
    d->vae_flops = 2.0 * w.macs;
    d->vae_peak_elems = w.peak;
    d->vae_act_elems = w.act;
    d->vae_blocks = w.blocks;
    ms_model t;
    memset(&t, 0, sizeof t);
    t.kind = MS_MODEL_TRANSFORMER;
    t.arch = d->text;
    t.layers = d->text.layers;
    ms_model_derive(&t);
    d->text_params = t.params;
    d->text_flops = ms_forward_flops(&t, d->context_len);
    d->text_layers = d->text.layers;
    int passes = d->guidance ? 2 : 1;
    m->params = m->params_active = d->unet_params + d->text_params + d->vae_params;
    m->fwd_flops = passes * d->text_flops + (double)d->steps * passes * d->unet_flops + d->vae_flops;
    m->params_matmul = m->fwd_flops / 2.0;
    m->layers = d->unet_blocks;
    m->attn_flops_per_pair = 0;
    m->kv_elems_per_token = 0;
}

void ms_diffusion_schedule(const ms_model *m, const ms_workload *w, int *steps, int *passes)
{
    const ms_diffusion_arch *d = &m->diffusion;
    *steps = w && w->steps > 0 ? w->steps : d->steps > 0 ? d->steps : 1;
    int cfg = w && w->cfg == MS_CFG_ON ? 1 : w && w->cfg == MS_CFG_OFF ? 0 : d->guidance;
    *passes = cfg ? 2 : 1;
}

int ms_diffusion_image_px(const ms_model *m)
{
    const ms_diffusion_arch *d = &m->diffusion;
    return d->latent << (d->vae_levels > 0 ? d->vae_levels - 1 : 0);
}

void ms__diffusion_step(const ms_model *m, const ms_workload *w, ms__step *s)
{
    const ms_diffusion_arch *d = &m->diffusion;
    double b = ms_precision_bytes(w->precision);
    double wb = w->mode == MS_MODE_INFERENCE && w->weight_bytes > 0 ? w->weight_bytes : b;
    double B = w->batch_size > 0 ? w->batch_size : 1;
    double text_w = d->text_params * wb, unet_w = d->unet_params * wb, vae_w = d->vae_params * wb;
    /* text encoder activations: each layer's output written and read (the encoder convention) */
    double text_act = 2.0 * d->context_len * d->text.hidden * d->text_layers * b;
    memset(s, 0, sizeof *s);
    if (w->mode == MS_MODE_TRAINING) {
        double unet = B * d->unet_flops;
        s->flops = B * d->text_flops + 3.0 * unet;
        s->hw_flops = s->flops + (w->recompute == MS_RECOMPUTE_FULL ? unet : 0.0);
        s->weights = text_w + unet_w;
        s->gradients = unet_w;
        s->optimizer = d->unet_params * ms_optimizer_bytes_per_param(w->optimizer, w->precision);
        double kept = w->recompute == MS_RECOMPUTE_FULL ? d->unet_skip_elems + d->unet_peak_elems : d->unet_act_elems;
        s->activations = B * kept * b;
        s->bytes = 2.0 * (unet_w + s->gradients + s->optimizer) + text_w + B * text_act + 2.0 * B * d->unet_act_elems * b;
        s->items = B;
        s->overhead_layers = d->text_layers + 3.0 * d->unet_blocks;
        return;
    }
    int steps, passes;
    ms_diffusion_schedule(m, w, &steps, &passes);
    double P = passes;
    s->flops = B * (P * d->text_flops + steps * P * d->unet_flops + d->vae_flops);
    s->hw_flops = s->flops;
    s->weights = text_w + unet_w + vae_w;
    double unet_live = P * B * (d->unet_skip_elems + d->unet_peak_elems) * b;
    double vae_live = B * d->vae_peak_elems * b;
    s->activations = unet_live > vae_live ? unet_live : vae_live;
    s->bytes = text_w + P * B * text_act + steps * (unet_w + 2.0 * P * B * d->unet_act_elems * b) + vae_w +
               2.0 * B * d->vae_act_elems * b;
    s->items = B;
    s->overhead_layers = d->text_layers + (double)steps * d->unet_blocks + d->vae_blocks;
}
