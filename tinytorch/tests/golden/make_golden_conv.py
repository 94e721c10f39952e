#!/usr/bin/python3
"""Golden data for TinyTorch module 09 (convolutions, pooling, batch norm), made by PyTorch.

Run with Debian's interpreter (python3-torch, CPU):
    /usr/bin/python3 tinytorch/tests/golden/make_golden_conv.py
It writes tinytorch/tests/data/conv_golden.txt, read by tests/test_conv_golden.c.

Format (text, one tensor per two lines, as make_golden_core.py):
    <name> <ndim> <d0> <d1> ...
    <v0> <v1> ...            (float32 values, %.9g, row-major)
Per case "<case>.<field>": cfg (the op's integer settings, see below), in0.. (inputs), out,
seed (loss = sum(out * seed)), grad0.. (input gradients).
  conv cfg: [stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, has_bias]; in0 x, in1 w, in2 b
  pool cfg: [is_max, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w]
  bn cfg:   [training]; in0 x, in1 gamma, in2 beta, rm0/rv0 running stats before, rm1/rv1 after
The "lenet" case: LeNet-5 (conv5x5x6 pad 2, ReLU, maxpool 2, conv5x5x16, ReLU, maxpool 2, 400-120-84-10
with ReLU), parameters k = 0..9 in PyTorch's order set to fan_in^-0.5 * sin(0.7*i + k) (i = flat
index; fan_in of the layer), input x = 0.5 + 0.5*sin(0.7*i + 0.5) of shape [4, 1, 28, 28], trained
3 steps of SGD (lr 0.05, momentum 0.9); losses holds the loss before each step and p<k>_final_head the
first 40 values of each parameter afterwards (the file stays small).
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
gen = torch.Generator().manual_seed(20240909)


def uniform(shape, lo, hi):
    return torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo


def write(f, name, t):
    t = torch.as_tensor(t).detach().to(torch.float32).contiguous()
    shape = list(t.shape)
    f.write("%s %d%s\n" % (name, len(shape), "".join(" %d" % d for d in shape)))
    f.write(" ".join("%.9g" % v for v in t.reshape(-1).tolist()) + "\n")


def run_case(f, name, cfg, fn, inputs, extras_before=None, extras_after=None):
    ins = [x.clone().requires_grad_(True) for x in inputs]
    write(f, name + ".cfg", torch.tensor(cfg, dtype=torch.float32))
    for k, x in enumerate(ins):
        write(f, "%s.in%d" % (name, k), x)
    for key, val in (extras_before or {}).items():
        write(f, "%s.%s" % (name, key), val.clone())
    out = fn(*ins)
    write(f, name + ".out", out)
    seed = uniform(out.shape, 0.5, 1.5)
    write(f, name + ".seed", seed)
    (out * seed).sum().backward()
    for k, x in enumerate(ins):
        write(f, "%s.grad%d" % (name, k), x.grad)
    for key, val in (extras_after or {}).items():
        write(f, "%s.%s" % (name, key), val)


# (name, N, Cin, H, W, Cout, kh, kw, stride, pad, dil, groups, bias)
CONV = [
    ("conv_basic", 2, 3, 7, 7, 4, 3, 3, (1, 1), (0, 0), (1, 1), 1, True),
    ("conv_pad1", 2, 3, 6, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, True),
    ("conv_stride2", 2, 2, 9, 8, 3, 3, 3, (2, 2), (1, 1), (1, 1), 1, True),
    ("conv_stride3_pad2", 1, 2, 10, 11, 2, 4, 4, (3, 3), (2, 2), (1, 1), 1, False),
    ("conv_dilation2", 1, 2, 9, 9, 2, 3, 3, (1, 1), (2, 2), (2, 2), 1, True),
    ("conv_groups2", 1, 4, 6, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1), 2, True),
    ("conv_depthwise", 2, 4, 5, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1), 4, True),
    ("conv_depthwise_x2", 1, 3, 6, 6, 6, 3, 3, (2, 2), (1, 1), (1, 1), 3, False),
    ("conv_asym", 2, 2, 7, 8, 3, 2, 3, (2, 1), (1, 0), (1, 2), 1, False),
    ("conv_lenet1", 2, 1, 9, 9, 3, 5, 5, (1, 1), (2, 2), (1, 1), 1, True),
    ("conv_1x1", 2, 5, 4, 4, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1, True),
]

# (name, is_max, N, C, H, W, kh, kw, stride, pad, dil)
POOL = [
    ("max_2x2", 1, 2, 3, 8, 8, 2, 2, (2, 2), (0, 0), (1, 1)),
    ("max_2x2_odd", 1, 1, 2, 7, 9, 2, 2, (2, 2), (0, 0), (1, 1)),
    ("max_3x3_s2_p1", 1, 2, 2, 7, 7, 3, 3, (2, 2), (1, 1), (1, 1)),
    ("max_3x3_dil2", 1, 1, 2, 9, 9, 3, 3, (1, 1), (1, 1), (2, 2)),
    ("max_2x3_s1", 1, 1, 2, 5, 6, 2, 3, (1, 2), (1, 1), (1, 1)),
    ("avg_2x2", 0, 2, 3, 6, 6, 2, 2, (2, 2), (0, 0), (1, 1)),
    ("avg_3x3_s2_p1", 0, 2, 2, 7, 7, 3, 3, (2, 2), (1, 1), (1, 1)),
    ("avg_3x2_s1", 0, 1, 2, 5, 5, 3, 2, (1, 1), (1, 1), (1, 1)),
]


def make(path):
    with open(path + ".tmp", "w") as f:
        for (name, N, C, H, W, Co, kh, kw, s, p, d, g, bias) in CONV:
            x = uniform((N, C, H, W), -1, 1)
            w = uniform((Co, C // g, kh, kw), -0.5, 0.5)
            ins = [x, w] + ([uniform((Co,), -0.5, 0.5)] if bias else [])
            cfg = [s[0], s[1], p[0], p[1], d[0], d[1], g, int(bias)]
            run_case(f, name, cfg,
                     lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, s, p, d, g), ins)
        for (name, is_max, N, C, H, W, kh, kw, s, p, d) in POOL:
            x = uniform((N, C, H, W), -1, 1)
            cfg = [is_max, kh, kw, s[0], s[1], p[0], p[1], d[0], d[1]]
            if is_max:
                fn = lambda x: F.max_pool2d(x, (kh, kw), s, p, d)
            else:
                fn = lambda x: F.avg_pool2d(x, (kh, kw), s, p, count_include_pad=True)
            run_case(f, name, cfg, fn, [x])
        for training in (1, 0):
            N, C, H, W = 2, 3, 4, 4
            x = uniform((N, C, H, W), -1, 2)
            gamma, beta = uniform((C,), 0.5, 1.5), uniform((C,), -0.5, 0.5)
            rm, rv = uniform((C,), -0.2, 0.2), uniform((C,), 0.5, 1.5)
            rm0, rv0 = rm.clone(), rv.clone()
            fn = lambda x, g_, b_: F.batch_norm(x, rm, rv, g_, b_, bool(training), 0.1, 1e-5)
            run_case(f, "bn_train" if training else "bn_eval", [training], fn, [x, gamma, beta],
                     {"rm0": rm0, "rv0": rv0}, {"rm1": rm, "rv1": rv})
        make_lenet(f)
    os.replace(path + ".tmp", path)


def formula(shape, k, scale):
    """Deterministic values both sides can compute: scale * sin(0.7 * i + k), i = flat index."""
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64)
    return (scale * torch.sin(0.7 * i + k)).to(torch.float32).reshape(shape)


def make_lenet(f):
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    params = list(model.parameters())
    with torch.no_grad():
        for k, p in enumerate(params):
            fan_in = p.shape[1] * (p.shape[2] * p.shape[3] if p.dim() == 4 else 1) if p.dim() > 1 \
                else params[k - 1].shape[1] * (params[k - 1].shape[2] * params[k - 1].shape[3]
                                               if params[k - 1].dim() == 4 else 1)
            p.copy_(formula(p.shape, k, fan_in ** -0.5))
    x = (formula((4, 1, 28, 28), 0.5, 0.5) + 0.5)
    labels = torch.tensor([3, 0, 7, 9])
    write(f, "lenet.labels", labels)
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    write(f, "lenet.losses", torch.tensor(losses))
    for k, p in enumerate(params):
        write(f, "lenet.p%d_final_head" % k, p.reshape(-1)[:40])


if __name__ == "__main__":
    os.makedirs(DATA, exist_ok=True)
    out = os.path.join(DATA, "conv_golden.txt")
    make(out)
    print("wrote", out, os.path.getsize(out), "bytes")
