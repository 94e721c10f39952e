#!/usr/bin/python3
"""Golden data for TinyTorch's language modules (attention, LayerNorm, transformer block).

Run with Debian's interpreter (python3-torch, CPU):  /usr/bin/python3 tinytorch/tests/golden/make_golden_lang.py
Writes tinytorch/tests/data/lang_*.txt. Format: for each tensor a header line
"name ndim d0 d1 ..." followed by its float32 values (row-major), whitespace separated, %.9g.
Each file holds the inputs, parameters, the forward output, the weights w of the scalar
L = sum(out * w), and the gradients of L with respect to the inputs and parameters.
"""
import os
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data")


def sdpa(q, k, v, allowed):
    """softmax(q k^T / sqrt(d), masked where allowed is False) v (torch 1.13 has no fused SDPA)."""
    s = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
    s = s.masked_fill(~allowed, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def write(path, tensors):
    with open(path, "w") as f:
        for name, t in tensors:
            t = t.detach().to(torch.float32).contiguous()
            f.write("%s %d %s\n" % (name, t.dim(), " ".join(str(s) for s in t.shape)))
            vals = t.reshape(-1).tolist()
            for i in range(0, len(vals), 8):
                f.write(" ".join("%.9g" % v for v in vals[i:i + 8]) + "\n")


def attention_case():
    g = torch.Generator().manual_seed(1)
    B, H, T, d = 2, 3, 5, 4
    q = torch.randn(B, H, T, d, generator=g, requires_grad=True)
    k = torch.randn(B, H, T, d, generator=g, requires_grad=True)
    v = torch.randn(B, H, T, d, generator=g, requires_grad=True)
    # key mask: 1 = may attend; batch 1 pads its last two keys
    km = torch.ones(B, T)
    km[1, 3:] = 0
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    allowed = causal[None, None] & (km[:, None, None, :] > 0)
    out = sdpa(q, k, v, allowed)
    w = torch.randn(out.shape, generator=g)
    (out * w).sum().backward()
    write(os.path.join(OUT, "lang_attention.txt"),
          [("q", q), ("k", k), ("v", v), ("key_mask", km), ("out", out), ("w", w),
           ("dq", q.grad), ("dk", k.grad), ("dv", v.grad)])


def block_case():
    g = torch.Generator().manual_seed(2)
    B, T, C, H = 2, 5, 8, 2
    d = C // H

    def p(*shape, scale=0.3, base=0.0):
        return (base + scale * torch.randn(*shape, generator=g)).requires_grad_(True)

    x = p(B, T, C, scale=1.0)
    P = {
        "ln1.weight": p(C, scale=0.2, base=1.0), "ln1.bias": p(C, scale=0.1),
        "attn.qkv.weight": p(3 * C, C), "attn.qkv.bias": p(3 * C, scale=0.1),
        "attn.out.weight": p(C, C), "attn.out.bias": p(C, scale=0.1),
        "ln2.weight": p(C, scale=0.2, base=1.0), "ln2.bias": p(C, scale=0.1),
        "mlp.fc.weight": p(4 * C, C), "mlp.fc.bias": p(4 * C, scale=0.1),
        "mlp.proj.weight": p(C, 4 * C), "mlp.proj.bias": p(C, scale=0.1),
    }
    h = F.layer_norm(x, (C,), P["ln1.weight"], P["ln1.bias"], 1e-5)
    qkv = F.linear(h, P["attn.qkv.weight"], P["attn.qkv.bias"])
    q, k, v = qkv.split(C, dim=2)
    q, k, v = (t.reshape(B, T, H, d).transpose(1, 2) for t in (q, k, v))
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    a = sdpa(q, k, v, causal).transpose(1, 2).reshape(B, T, C)
    x1 = x + F.linear(a, P["attn.out.weight"], P["attn.out.bias"])
    h2 = F.layer_norm(x1, (C,), P["ln2.weight"], P["ln2.bias"], 1e-5)
    m = F.linear(F.gelu(F.linear(h2, P["mlp.fc.weight"], P["mlp.fc.bias"]), approximate="tanh"),
                 P["mlp.proj.weight"], P["mlp.proj.bias"])
    y = x1 + m
    w = torch.randn(y.shape, generator=g)
    (y * w).sum().backward()
    tensors = [("x", x)] + list(P.items()) + [("out", y), ("w", w), ("dx", x.grad)]
    tensors += [("d." + n, t.grad) for n, t in P.items()]
    write(os.path.join(OUT, "lang_block.txt"), tensors)


def layernorm_case():
    g = torch.Generator().manual_seed(3)
    x = (3.0 + 2.0 * torch.randn(4, 7, generator=g)).requires_grad_(True)
    gamma = (1.0 + 0.3 * torch.randn(7, generator=g)).requires_grad_(True)
    beta = (0.2 * torch.randn(7, generator=g)).requires_grad_(True)
    y = F.layer_norm(x, (7,), gamma, beta, 1e-5)
    w = torch.randn(y.shape, generator=g)
    (y * w).sum().backward()
    write(os.path.join(OUT, "lang_layernorm.txt"),
          [("x", x), ("gamma", gamma), ("beta", beta), ("out", y), ("w", w),
           ("dx", x.grad), ("dgamma", gamma.grad), ("dbeta", beta.grad)])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    attention_case()
    block_case()
    layernorm_case()
    print("wrote", ", ".join(sorted(f for f in os.listdir(OUT) if f.startswith("lang_"))))
