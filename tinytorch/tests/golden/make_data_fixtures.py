#!/usr/bin/env python3
"""Writes the small data-loader fixtures tests/data/data_* used by test_data.c (module 05).

Standard library only; deterministic (gzip mtime 0). Run from anywhere:
    /usr/bin/python3 tinytorch/tests/golden/make_data_fixtures.py
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data")


def idx(type_code, shape, values, fmt):
    head = struct.pack(">BBBB", 0, 0, type_code, len(shape)) + b"".join(struct.pack(">I", d) for d in shape)
    return head + b"".join(struct.pack(">" + fmt, v) for v in values)


def gz(data):
    return gzip.compress(data, mtime=0)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    # 3 images of 2x2 uint8 pixels and their labels: plain images, gzip labels.
    pixels = [0, 255, 51, 102,
              255, 255, 0, 0,
              10, 20, 30, 40]
    write("data_tiny-images-idx3-ubyte", idx(0x08, [3, 2, 2], pixels, "B"))
    write("data_tiny-labels-idx1-ubyte.gz", gz(idx(0x08, [3], [7, 0, 9], "B")))
    # Same images gzipped, labels with one out of range (12).
    write("data_badlabel-images-idx3-ubyte.gz", gz(idx(0x08, [3, 2, 2], pixels, "B")))
    write("data_badlabel-labels-idx1-ubyte", idx(0x08, [3], [1, 12, 3], "B"))
    # Count mismatch: 3 images, 2 labels.
    write("data_count-images-idx3-ubyte", idx(0x08, [3, 2, 2], pixels, "B"))
    write("data_count-labels-idx1-ubyte", idx(0x08, [2], [1, 2], "B"))
    # An IDX file whose header promises 3x2x2 but holds 7 pixels.
    write("data_trunc.idx", idx(0x08, [3, 2, 2], pixels, "B")[:-5])
    # Not IDX at all.
    write("data_notidx.idx", b"P5 2 2 255\n\x00\x01\x02\x03")
    # Other element types: int16 and float32.
    write("data_int16.idx", idx(0x0B, [2, 2], [-300, 5, 0, 32767], "h"))
    write("data_float.idx", idx(0x0D, [3], [1.5, -2.25, 1e-3], "f"))
    # A gzip stream cut in the middle, and one with a corrupted deflate body.
    body = gz(idx(0x08, [64, 8], [(i * 37) % 256 for i in range(512)], "B"))
    write("data_truncated.gz", body[: len(body) // 2])
    bad = bytearray(body)
    for k in range(12, 40):
        bad[k] ^= 0x5A
    write("data_corrupt.gz", bytes(bad))
    # CSVs: a good one (label last, CRLF line ends, a blank line), a bad number, a short line, a bad label.
    write("data_good.csv", b"1,2,3,0\r\n4,5,6,1\r\n\r\n7,8,9,2\r\n")
    write("data_good.csv.gz", gz(b"0.5,2,1\n0.25,4,0\n"))
    write("data_badnum.csv", b"1,2,3,0\n4,x5,6,1\n")
    write("data_short.csv", b"1,2,3,0\n4,5,6,1\n7,8,2\n")
    write("data_badlabel.csv", b"1,2,3,0\n4,5,6,1.5\n")
    write("data_header.csv", b"label,a,b\n3,0.1,0.2\n1,0.3,0.4\n")


if __name__ == "__main__":
    main()
