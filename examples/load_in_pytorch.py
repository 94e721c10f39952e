#!/usr/bin/env python3
"""Load a TinyTorch model file (safetensors) into PyTorch and evaluate it on a CSV file.

    python3 examples/load_in_pytorch.py MODEL.safetensors DATA.csv

The file alone suffices: its __metadata__ holds the architecture ("Sequential(Flatten, Linear(4, 32),
ReLU, Linear(32, 3))"), the input standardisation (input_mean, input_std) and the class names; the
tensors are named as PyTorch's nn.Sequential names its parameters ("1.weight", "3.bias"), so
load_state_dict takes them as they are. The safetensors layout (an 8-byte little-endian header length,
a JSON header, raw little-endian data) is read here directly, so no extra package is needed.
DATA.csv: a header row, features, the label (a class name) in the last column.
Prints the accuracy; exit status 0, or 1 with a message for a file it cannot use.
"""
import csv
import json
import re
import struct
import sys

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
          "I64": torch.int64, "I8": torch.int8, "U8": torch.uint8}


def fail(msg):
    print(f"load_in_pytorch: {msg}", file=sys.stderr)
    sys.exit(1)


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail(f"{path}: too short for a safetensors file")
    n = struct.unpack("<Q", blob[:8])[0]
    if n > len(blob) - 8:
        fail(f"{path}: header length {n} runs past the end of the file ({len(blob)} bytes)")
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            fail(f"{path}: tensor {name}: dtype {info['dtype']} not handled here")
        lo, hi = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return meta, tensors


def build(arch):
    """nn.Sequential from TinyTorch's architecture string (the layer kinds an MLP file holds)."""
    m = re.fullmatch(r"Sequential\((.*)\)", arch.strip())
    if not m:
        fail(f"architecture '{arch}': want Sequential(...)")
    layers = []
    for part in re.findall(r"\w+(?:\([^)]*\))?", m.group(1)):
        kind, _, args = part.partition("(")
        nums = [int(a) for a in re.findall(r"-?\d+", args)]
        if kind == "Linear" and len(nums) == 2:
            layers.append(nn.Linear(nums[0], nums[1]))
        elif kind in ("Flatten", "ReLU", "Tanh", "Sigmoid"):
            layers.append(getattr(nn, kind)())
        else:
            fail(f"layer '{part}' of '{arch}' is not one this example rebuilds (Linear, Flatten, ReLU, "
                 "Tanh, Sigmoid)")
    return nn.Sequential(*layers)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    meta, tensors = read_safetensors(sys.argv[1])
    if meta.get("format") != "tinytorch-model":
        fail(f"{sys.argv[1]}: no tinytorch-model metadata (format '{meta.get('format')}')")
    model = build(meta["architecture"])
    model.load_state_dict(tensors, strict=True)
    model.eval()
    mean = torch.tensor(json.loads(meta.get("input_mean", "[]")) or [0.0])
    std = torch.tensor(json.loads(meta.get("input_std", "[]")) or [1.0])
    classes = json.loads(meta.get("classes", "[]"))
    with open(sys.argv[2], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))[1:]
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows])
    labels = [r[-1] for r in rows]
    with torch.no_grad():
        pred = model((x - mean) / std).argmax(dim=1).tolist()
    names = [classes[p] if p < len(classes) else str(p) for p in pred]
    correct = sum(n == lab for n, lab in zip(names, labels))
    print(f"PyTorch {torch.__version__}: {meta['architecture']}, {len(rows)} samples, "
          f"accuracy {100.0 * correct / len(rows):.2f} %")


if __name__ == "__main__":
    main()
