#!/usr/bin/python3
"""PyTorch anchor for bench/nn_ops: the same ops, shapes and timing rule (best of 7) as nn_ops.c,
one thread. Prints "op <name> <elements> <seconds>" lines.
Run as: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 nn_ops_torch.py
"""
import sys
import time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
quick = "--quick" in sys.argv
REPS = 3 if quick else 7


def best_of(iters, fn):
    best = 1e30
    for _ in range(REPS):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        best = min(best, (time.perf_counter() - t0) / iters)
    return best


def op(name, elems, secs):
    print("op %s %d %.9g" % (name, elems, secs))


g = torch.Generator().manual_seed(1)
x = torch.randn(1024, 1024, generator=g)
row = torch.randn(1, 1024, generator=g)
op("add_bcast", 1048576, best_of(10, lambda: x + row))

# MLP 784-128-10, batch 64, cross-entropy, Adam
net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
xs = torch.randn(64, 784, generator=g)
ys = torch.arange(64) % 10


def train_step():
    opt.zero_grad()
    F.cross_entropy(net(xs), ys).backward()
    opt.step()


for _ in range(5):
    train_step()
op("mlp_train_step", 64, best_of(50 if quick else 300, train_step))

it = 3 if quick else 10
acts = [("relu", F.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
        ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh")), ("gelu_erf", F.gelu),
        ("softmax", lambda a: F.softmax(a, -1)), ("log_softmax", lambda a: F.log_softmax(a, -1))]
for name, fn in acts:
    op(name, 1048576, best_of(it, lambda: fn(x)))

for n, c in ((64, 10), (512, 10000)):
    logits = torch.randn(n, c, generator=g).requires_grad_(True)
    lab = (torch.arange(n) * 7) % c

    def ce():
        logits.grad = None
        F.cross_entropy(logits, lab).backward()
    op("cross_entropy_%dx%d" % (n, c), n * c, best_of(2000 if n * c < 10000 else it, ce))

p = torch.randn(1024, 1024, generator=g).requires_grad_(True)
p.grad = 1e-3 * ((torch.arange(1048576) % 17) - 8).float().reshape(1024, 1024)
for name, make in (("sgd", lambda: torch.optim.SGD([p], lr=1e-3)),
                   ("sgd_momentum", lambda: torch.optim.SGD([p], lr=1e-3, momentum=0.9,
                                                            weight_decay=1e-4)),
                   ("adam", lambda: torch.optim.Adam([p], lr=1e-6)),
                   ("adamw", lambda: torch.optim.AdamW([p], lr=1e-6, weight_decay=0.01))):
    o = make()
    o.step()
    op(name + "_step", 1048576, best_of(5 if quick else 20, o.step))
