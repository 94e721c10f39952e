#!/usr/bin/python3
"""Golden data for TinyTorch module 15 (int8 inference), made by PyTorch's own quantized kernels.

Run with Debian's interpreter (python3-torch, CPU):
    /usr/bin/python3 tinytorch/tests/golden/make_quant_golden.py
It reads tinytorch/tests/data/quant_lenet.int8.safetensors (milestone 04's LeNet-5 quantized by
'tito quantize', in module 15's format: int8 per-channel weights, int32 bias, per-tensor activation
scales and zero points) and writes tinytorch/tests/data/quant_golden.txt, read by
tests/test_quant_golden.c: "x" [8, 1, 28, 28] (int8 input values, quantized with the file's input
parameters), "logits" [8, 10] (PyTorch's int8 model, dequantized) and "out_scale" [1].

PyTorch runs the same integer model: activations as quint8 (our int8 value + 128, zero point + 128:
the same real numbers), weights as per-channel qint8 from the file, bias = int32 * input_scale *
weight_scale (which PyTorch quantizes back to the same int32), each layer's output scale and zero
point from the file, conv+ReLU and linear+ReLU fused modules, max pooling on the quantized tensor.
Only the requantization differs (PyTorch scales in float, we in fixed point), so the logits may differ
by a step where a value sits near a rounding tie.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.intrinsic.quantized as nniq
import torch.nn.quantized as nnq
import torch.nn.functional as F

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def read_int8_model(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dt = {"I8": "<i1", "I32": "<i4", "F32": "<f4"}
    t = {}
    for name, e in header.items():
        if name != "__metadata__":
            b, s = e["data_offsets"]
            t[name] = np.frombuffer(data[b:s], dtype=dt[e["dtype"]]).reshape(e["shape"])
    return header["__metadata__"], t


def main():
    meta, t = read_int8_model(os.path.join(DATA, "quant_lenet.int8.safetensors"))
    assert meta["format"] == "tinytorch-int8"
    L = int(meta["num_layers"])
    a_s, a_z = t["activation_scale"], t["activation_zero_point"]
    torch.backends.quantized.engine = "onednn" if "onednn" in torch.backends.quantized.supported_engines else "qnnpack"
    # 8 inputs: smooth patterns over the whole int8 range
    i = np.arange(8 * 784, dtype=np.float64)
    xq = np.clip(np.round(127.5 * np.sin(0.013 * i + 0.7 * np.floor(i / 784)) * np.cos(0.002 * i) - 0.5), -128, 127)
    xq = xq.astype(np.int8).reshape(8, 1, 28, 28)
    q = torch._make_per_tensor_quantized_tensor(torch.from_numpy(xq.astype(np.int32) + 128).to(torch.uint8),
                                                float(a_s[0]), int(a_z[0]) + 128)
    for k in range(L):
        desc = meta["layers.%d" % k].split()
        s_in, s_out, z_out = float(a_s[k]), float(a_s[k + 1]), int(a_z[k + 1]) + 128
        if desc[0] in ("conv2d", "linear"):
            w = torch.from_numpy(t["layers.%d.weight" % k].astype(np.float32))
            ws = torch.from_numpy(t["layers.%d.weight_scale" % k].astype(np.float64))
            wq = torch.quantize_per_channel(w * ws.to(torch.float32).view(-1, *([1] * (w.dim() - 1))), ws,
                                            torch.zeros(len(ws), dtype=torch.int64), 0, torch.qint8)
            assert torch.equal(wq.int_repr(), w.to(torch.int8)), "weights do not round-trip"
            bias = torch.from_numpy((t["layers.%d.bias" % k].astype(np.float64) * s_in * ws.numpy()).astype(np.float32))
            opts = dict(x.split("=") for x in desc[1:])
            relu = opts.get("relu") == "1"
            if desc[0] == "conv2d":
                cls = nniq.ConvReLU2d if relu else nnq.Conv2d
                m = cls(w.shape[1], w.shape[0], (w.shape[2], w.shape[3]), stride=int(opts["stride"]),
                        padding=int(opts["padding"]))
            else:
                cls = nniq.LinearReLU if relu else nnq.Linear
                m = cls(w.shape[1], w.shape[0])
            m.set_weight_bias(wq, bias)
            m.scale, m.zero_point = s_out, z_out
            q = m(q)
            if desc[0] == "conv2d" and opts.get("pool") == "1":
                q = F.max_pool2d(q, 2)
        elif desc[0] == "maxpool2":
            q = F.max_pool2d(q, 2)
        elif desc[0] == "relu":
            q = F.relu(q)
        elif desc[0] == "flatten":
            q = q.reshape(q.shape[0], -1)
        else:
            raise SystemExit("unknown op " + desc[0])
    logits = q.dequantize()
    with open(os.path.join(DATA, "quant_golden.txt"), "w") as f:
        for name, v in (("x", torch.from_numpy(xq.astype(np.float32))), ("logits", logits),
                        ("out_scale", torch.tensor([float(a_s[L])]))):
            shape = list(v.shape)
            f.write("%s %d%s\n" % (name, len(shape), "".join(" %d" % d for d in shape)))
            f.write(" ".join("%.9g" % x for x in v.reshape(-1).tolist()) + "\n")
    print("engine %s: wrote quant_golden.txt, logits[0] = %s" % (torch.backends.quantized.engine,
                                                                  logits[0].tolist()))


main()
