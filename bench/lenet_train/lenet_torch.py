"""PyTorch anchor for bench/lenet_train: LeNet-5 training throughput, batch 64, one thread.

Same model and step as bench/lenet_train/lenet_bench.c: conv 5x5x6 (pad 2) -> ReLU -> maxpool 2
-> conv 5x5x16 -> ReLU -> maxpool 2 -> flatten -> 120 -> ReLU -> 84 -> ReLU -> 10, cross-entropy,
SGD (lr 0.01, momentum 0.9). Inputs are random (throughput does not depend on the values).
Prints one line: JSON with samples_per_s (best of the timed windows).
Run single-threaded: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python3 lenet_torch.py
"""
import os
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))  # run.sh: 1, then all cores
torch.manual_seed(0)
batch = int(sys.argv[1]) if len(sys.argv) > 1 else 64
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5

model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))


def step():
    opt.zero_grad(set_to_none=False)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss


for _ in range(10):  # warm-up
    step()


def cpu_capability():
    """ATen's vector kernels in use ("AVX2", "AVX512", "DEFAULT"), as torch's build report says."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


best = best_cpu = 0.0
for _ in range(reps):
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    best = max(best, batch * steps / dt)
    best_cpu = max(best_cpu, batch * steps / dc)
print(json.dumps({"samples_per_s": best, "samples_per_cpu_s": best_cpu, "batch": batch,
                  "threads": torch.get_num_threads(), "isa": cpu_capability()}))
