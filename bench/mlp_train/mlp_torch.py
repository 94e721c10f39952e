#!/usr/bin/env python3
"""PyTorch anchor of bench/mlp_train: the same 784-128-10 MLP step as mlp_bench.c, one thread.
    mlp_torch.py DATA_DIR [batch steps reps]  -> one JSON line with samples_per_s (best window, wall
    time) and samples_per_cpu_s (best window per CPU-second of this process)
A step = take a shuffled batch, forward, cross-entropy, backward, SGD update (lr 0.01)."""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))  # run.sh: 1, then all cores


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(shape)


def main():
    data = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    x = idx(os.path.join(data, "fashion-mnist", "train-images-idx3-ubyte.gz")).astype(np.float32)
    x = torch.from_numpy(((x / 255.0 - 0.2860) / 0.3530).reshape(-1, 784).astype(np.float32))
    y = torch.from_numpy(idx(os.path.join(data, "fashion-mnist", "train-labels-idx1-ubyte.gz")).astype(np.int64))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    lossf = torch.nn.functional.cross_entropy
    g = torch.Generator().manual_seed(7)
    perm, pos = torch.randperm(len(x), generator=g), 0
    best, best_cpu, loss = 0.0, 0.0, None
    for rep in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            if pos + batch > len(x):
                perm, pos = torch.randperm(len(x), generator=g), 0
            i = perm[pos:pos + batch]
            pos += batch
            opt.zero_grad()
            loss = lossf(model(x[i]), y[i])
            loss.backward()
            opt.step()
        rate = steps * batch / (time.perf_counter() - t0)
        cpu_rate = steps * batch / (time.process_time() - c0)
        if rep > 0:
            best = max(best, rate)
            best_cpu = max(best_cpu, cpu_rate)
    print(json.dumps({"samples_per_s": round(best, 1), "samples_per_cpu_s": round(best_cpu, 1), "batch": batch,
                      "steps": steps, "reps": reps,
                      "final_loss": round(float(loss), 4), "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
