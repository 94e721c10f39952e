"""PyTorch anchor for bench/int8_infer: LeNet-5 with eager-mode static int8 quantization, one thread.

    OMP_NUM_THREADS=1 python3 int8_torch.py FP32_SAFETENSORS DATA_DIR [seconds_per_window]

Loads the same trained weights as int8_bench.c (the fp32 weights-only safetensors it wrote), the same
Fashion-MNIST normalisation and the same 1,000 calibration images (every 60th training image), fuses
conv+ReLU and linear+ReLU, prepares with the engine's default qconfig, calibrates, converts, and
measures test accuracy and images/s at batch 64 and 1 (best of 5 windows). Both engines of Debian's
build are measured (onednn and qnnpack; 'fbgemm'/'x86' are not in it) and the faster at batch 64 is the
anchor. Prints one JSON line; when no engine runs, "engine" is null and "error" says why.
The file's layers are matched by what they are, not by their Sequential index (which moves whenever a
layer is added or split): its weights are taken in layer order, the 4-D ones for the two convolutions
and the 2-D ones for the three Linear layers, and their shapes must be LeNet-5's.
BENCH_CPU_TIME=1 in the environment times each window with the process's CPU clock, as int8_bench.c.
"""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
MEAN, STD = 0.2860, 0.3530


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] != "F32":
            continue
        b, t = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:t], dtype="<f4").reshape(e["shape"]).copy())
    return out


LENET_SHAPES = {"c1": [6, 1, 5, 5], "c2": [16, 6, 5, 5], "f1": [120, 400], "f2": [84, 120], "f3": [10, 84]}


def lenet_state_dict(w):
    """QLeNet's state dict from the model's tensors "<index>.weight" / "<index>.bias", in index order
    (other tensors, such as a checkpoint's optimizer state, are not the model's and are skipped)."""
    layers = sorted((n[:-len(".weight")] for n in w if n.endswith(".weight") and n.split(".")[0].isdigit()
                     and n.count(".") == 1), key=int)
    convs = [n for n in layers if w[n + ".weight"].dim() == 4]
    linears = [n for n in layers if w[n + ".weight"].dim() == 2]
    if len(convs) != 2 or len(linears) != 3:
        raise ValueError("want LeNet-5's 2 conv and 3 linear weights, the file has %d 4-D and %d 2-D weights (%s)"
                         % (len(convs), len(linears), ", ".join(layers)))
    sd = {}
    for mod, src in zip(("c1", "c2", "f1", "f2", "f3"), convs + linears):
        if list(w[src + ".weight"].shape) != LENET_SHAPES[mod] or src + ".bias" not in w:
            raise ValueError("tensor '%s.weight' has shape %s (want %s with a bias for LeNet-5's %s)"
                             % (src, list(w[src + ".weight"].shape), LENET_SHAPES[mod], mod))
        sd[mod + ".weight"] = w[src + ".weight"]
        sd[mod + ".bias"] = w[src + ".bias"]
    return sd


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(data_dir, prefix):
    d = os.path.join(data_dir, "fashion-mnist")
    def find(stem):
        for ext in (".gz", ""):
            p = os.path.join(d, stem + ext)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(os.path.join(d, stem))
    x = read_idx(find(prefix + "-images-idx3-ubyte")).astype(np.float32) / 255.0
    y = read_idx(find(prefix + "-labels-idx1-ubyte")).astype(np.int64)
    x = (x - MEAN) / STD
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


class QLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.r1 = nn.ReLU()
        self.p1 = nn.MaxPool2d(2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.r2 = nn.ReLU()
        self.p2 = nn.MaxPool2d(2)
        self.f1 = nn.Linear(400, 120)
        self.r3 = nn.ReLU()
        self.f2 = nn.Linear(120, 84)
        self.r4 = nn.ReLU()
        self.f3 = nn.Linear(84, 10)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.p1(self.r1(self.c1(x)))
        x = self.p2(self.r2(self.c2(x)))
        x = torch.flatten(x, 1)
        x = self.r3(self.f1(x))
        x = self.r4(self.f2(x))
        return self.dequant(self.f3(x))


CLOCK = time.process_time if os.environ.get("BENCH_CPU_TIME", "") not in ("", "0") else time.perf_counter


def best_rate(fn, x, b, window):
    best = 0.0
    for w in range(6):
        t0, n = CLOCK(), 0
        while True:
            for i in range(0, 64, b):
                fn(x[i:i + b])
            n += 64
            t = CLOCK() - t0
            if t >= window:
                break
        if w > 0:
            best = max(best, n / t)
    return best


def main():
    fp32_path, data_dir = sys.argv[1], sys.argv[2]
    window = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
    try:
        sd = lenet_state_dict(read_safetensors(fp32_path))
    except (ValueError, KeyError, AssertionError) as e:
        print(json.dumps({"engine": None, "torch": torch.__version__, "error": "%s: %s" % (fp32_path, e)}))
        return
    xtr, _ = load_split(data_dir, "train")
    xte, yte = load_split(data_dir, "t10k")
    calib = xtr[[i * len(xtr) // 1000 for i in range(1000)]]
    errors, results = [], []
    for engine in ("onednn", "qnnpack"):
        if engine not in torch.backends.quantized.supported_engines:
            errors.append(engine + ": not in this build")
            continue
        try:
            torch.backends.quantized.engine = engine
            m = QLeNet()
            m.load_state_dict(sd)
            m.eval()
            with torch.no_grad():
                fp32_acc = (m(xte).argmax(1) == yte).float().mean().item()
            torch.ao.quantization.fuse_modules(m, [["c1", "r1"], ["c2", "r2"], ["f1", "r3"], ["f2", "r4"]],
                                               inplace=True)
            m.qconfig = torch.ao.quantization.get_default_qconfig(engine)
            torch.ao.quantization.prepare(m, inplace=True)
            with torch.no_grad():
                m(calib)
            torch.ao.quantization.convert(m, inplace=True)
            with torch.no_grad():
                acc = (m(xte).argmax(1) == yte).float().mean().item()
                x = xte[:64].contiguous()
                r64 = best_rate(m, x, 64, window)
                r1 = best_rate(m, x, 1, window)
            results.append({"engine": engine, "accuracy_fp32": round(fp32_acc, 4), "accuracy_int8": round(acc, 4),
                            "int8_b64": round(r64, 1), "int8_b1": round(r1, 1)})
        except Exception as e:  # an engine that cannot run this model: try the next one
            errors.append("%s: %s" % (engine, str(e).splitlines()[0] if str(e) else type(e).__name__))
    if not results:
        print(json.dumps({"engine": None, "torch": torch.__version__, "error": "; ".join(errors)}))
        return
    best = dict(max(results, key=lambda r: r["int8_b64"]))
    best.update({"clock": "cpu" if CLOCK is time.process_time else "wall", "torch": torch.__version__, "threads": torch.get_num_threads(), "all_engines": results,
                 "errors": errors})
    print(json.dumps(best))


main()
