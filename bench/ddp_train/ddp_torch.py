"""PyTorch anchor for bench/ddp_train: LeNet-5 with DistributedDataParallel (gloo), one thread per rank.

    OMP_NUM_THREADS=1 /usr/bin/python3 ddp_torch.py NRANKS [global_batch steps reps]

Same model and step as ddp_bench.c (conv 5x5x6 pad 2 + ReLU + maxpool -> conv 5x5x16 + ReLU + maxpool
-> 400-120-84-10, cross-entropy, SGD lr 0.01 momentum 0.9), random inputs, global batch split evenly
over the ranks. Ranks are processes started with torch.multiprocessing on this machine, talking over
loopback TCP (gloo). A window is `steps` steps between two barriers; the best of `reps` counts.
Prints one JSON line (rank 0): samples_per_s, step_s, ranks, and whether gloo was available.
BENCH_CPU_TIME=1: a window is timed by each rank's CPU time (the slowest rank's), as ddp_bench.c does.
"""
import datetime
import json
import os
import queue
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def worker(rank, world, port, batch, steps, reps, out):
    torch.set_num_threads(1)
    # a rank that dies makes the other's collectives fail after this long instead of waiting for ever
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=120))
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(lenet())
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    local = batch // world
    g = torch.Generator().manual_seed(rank)
    x = torch.rand(local, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (local,), generator=g)

    def step():
        opt.zero_grad(set_to_none=False)
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    clock = time.process_time if os.environ.get("BENCH_CPU_TIME") == "1" else time.perf_counter
    best = float("inf")
    for _ in range(reps):
        dist.barrier()
        t0 = clock()
        for _ in range(steps):
            step()
        dist.barrier()
        dt = torch.tensor([clock() - t0], dtype=torch.float64)
        dist.all_reduce(dt, op=dist.ReduceOp.MAX)
        best = min(best, float(dt))
    if rank == 0:
        out.put({"samples_per_s": batch * steps / best, "step_s": best / steps, "ranks": world,
                 "global_batch": batch, "threads_per_rank": torch.get_num_threads(), "backend": "gloo",
                 "torch": torch.__version__, "cpu_time": clock is time.process_time})
    dist.destroy_process_group()


def main():
    world = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    if not (dist.is_available() and dist.is_gloo_available()):
        print(json.dumps({"samples_per_s": None, "gloo": False}))
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, world, port, batch, steps, reps, out)) for r in range(world)]
    for p in procs:
        p.start()
    # Wait for rank 0's result; a rank that exits without one (seen on a loaded machine) ends the run
    # at once with no figure rather than after the whole timeout.
    deadline, res = time.monotonic() + 600, None
    while res is None:
        try:
            res = out.get(timeout=2)
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for p in procs:
                    if p.is_alive():
                        p.terminate()
                    p.join()
                why = "a rank exited with status %s" % dead[0] if dead else "no result within 600 s"
                print("ddp_torch: %s" % why, file=sys.stderr)
                print(json.dumps({"samples_per_s": None, "gloo": True, "error": why}))
                sys.exit(1)
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():   # a rank left in gloo's teardown after the result was in (seen on a loaded machine)
            p.terminate()
            p.join()
    res["gloo"] = True
    print(json.dumps(res))


if __name__ == "__main__":
    main()
