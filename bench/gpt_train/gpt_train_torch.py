#!/usr/bin/python3
"""PyTorch anchor for bench/gpt_train: the same GPT (4 layers, width 128, 4 heads, context 128,
vocabulary 96, tied head, GELU tanh form, pre-norm blocks, fused qkv projection, causal attention
written with masked_fill + softmax as torch 1.13 has no fused attention), batch 16, AdamW
(lr 3e-4, weight decay 0.1). Prints "tokens_per_s <best per-step rate>" (and the median).
Run single-threaded: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 (set by run.sh)."""
import os
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))  # run.sh: 1, then all cores
B, T, V, C, L, H = 16, 128, 96, 128, 4, 4


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(C)
        self.qkv = nn.Linear(C, 3 * C)
        self.out = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C)
        self.fc = nn.Linear(C, 4 * C)
        self.proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        s = s.masked_fill(~self.mask[:t, :t], float("-inf"))
        a = (F.softmax(s, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.out(a)
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(C)
        for name, p in self.named_parameters():   # GPT-2 initialisation, as TinyTorch's tt_gpt_new
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith(("out.weight", "proj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    torch.manual_seed(1234)
    model = GPT()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    rates = []
    for s in range(-3, steps):
        x = torch.randint(0, V, (B, T))
        y = torch.randint(0, V, (B, T))
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = model(x, y)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if s >= 0:
            rates.append(B * T / dt)
    rates.sort()
    print("params %d, loss %.4f" % (sum(p.numel() for p in model.parameters()), loss.item()))
    print("tokens_per_s_median %.1f" % rates[len(rates) // 2])
    print("tokens_per_s %.1f" % rates[-1])


if __name__ == "__main__":
    main()
