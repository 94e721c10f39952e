#!/usr/bin/env python3
"""safetensors fixtures for test_checkpoint.c, written independently of the C code from the format's
specification (8-byte little-endian header length, JSON header, packed little-endian data).

    /usr/bin/python3 tinytorch/tests/golden/make_checkpoint_golden.py          # writes tests/data/data_ckpt_*
    /usr/bin/python3 tinytorch/tests/golden/make_checkpoint_golden.py --check F # validates a file F and
                                                                                # prints its tensors
Uses torch (Debian's python3-torch) for the reference values and, when installed, the `safetensors`
package to cross-check; otherwise the header is validated here with json + struct.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data")


def write_st(path, tensors, metadata=None, order=None):
    """tensors: list of (name, dtype, shape, raw bytes). order: data order (indices), default as listed."""
    order = order if order is not None else list(range(len(tensors)))
    header, off, blob = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    offs = {}
    for i in order:
        name, dtype, shape, raw = tensors[i]
        offs[i] = (off, off + len(raw))
        off += len(raw)
        blob += raw
    for i, (name, dtype, shape, raw) in enumerate(tensors):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": list(offs[i])}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + blob)


def check(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    spans = sorted(tuple(v["data_offsets"]) for v in header.values())
    at = 0
    for b, e in spans:
        assert b == at, "gap or overlap at %d" % at
        at = e
    assert at == len(data), "data section is %d bytes, tensors cover %d" % (len(data), at)
    print("metadata:", meta)
    for name, v in header.items():
        assert v["dtype"] == "F32"
        b, e = v["data_offsets"]
        count = (e - b) // 4
        vals = struct.unpack("<%df" % count, data[b:e])
        numel = 1
        for d in v["shape"]:
            numel *= d
        assert numel == count, name
        print("%s %s %s first=%s" % (name, v["dtype"], v["shape"], vals[:3]))
    try:
        from safetensors.numpy import load_file  # optional
        load_file(path)
        print("safetensors package: loads OK")
    except ImportError:
        print("safetensors package not installed: header checked with json + struct")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        return
    import torch
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, generator=g, dtype=torch.float32)
    b = torch.tensor([1.0, -0.0, float("inf")], dtype=torch.float32)
    s = torch.tensor(2.5, dtype=torch.float32)  # 0-d
    le = lambda t: t.contiguous().numpy().astype("<f4").tobytes()
    tensors = [("layer.weight", "F32", w.shape, le(w)), ("layer.bias", "F32", b.shape, le(b)),
               ("scale", "F32", (), le(s))]
    # data stored in an order different from the header's key order
    write_st(os.path.join(OUT, "data_ckpt_ref.safetensors"), tensors, {"format": "pt", "epoch": "3"},
             order=[2, 0, 1])
    # the values, as text, for the C test to compare against
    with open(os.path.join(OUT, "data_ckpt_ref.txt"), "w") as f:
        for name, t in (("layer.weight", w), ("layer.bias", b), ("scale", s)):
            f.write("%s %d %s\n" % (name, t.numel(), " ".join("%.9g" % v for v in t.flatten().tolist())))
    # a tensor of another dtype
    h = torch.tensor([1.0, 2.0], dtype=torch.float16)
    write_st(os.path.join(OUT, "data_ckpt_f16.safetensors"),
             [("layer.weight", "F32", w.shape, le(w)), ("layer.bias", "F16", (3,), h.numpy().tobytes() + b"\0\0")])


if __name__ == "__main__":
    main()
