#!/usr/bin/env python3
"""Writes blobs.csv: 300 samples of 4 features in 3 overlapping Gaussian classes (seeded), with a
header row and the class in the last column. A small stand-in for a real tabular data set that the
example programs' tests can use without a download. Run: python3 make_blobs.py > blobs.csv"""
import random

random.seed(10)
centres = [(0.0, 0.0, 50.0, 1.0), (2.5, 1.0, 58.0, 3.0), (1.0, 3.0, 42.0, 2.0)]
scales = (1.0, 1.0, 5.0, 0.8)  # features on different scales: standardisation matters
print("f1,f2,f3,f4,label")
for i in range(300):
    c = i % 3
    print(",".join(f"{m + s * random.gauss(0, 1):.4f}" for m, s in zip(centres[c], scales)) + f",{c}")
