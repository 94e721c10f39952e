#!/usr/bin/env python3
"""Anchor for the MLSys·im sweep benchmark: the same single-node roofline evaluation as
mlsysim/src/physics/roofline.c (and memory.c for training memory), written the way upstream
MLSys·im's Engine.solve is written, in Python, but with plain floats instead of pint quantities
(so it is a lower bound on upstream's cost per evaluation).

usage: anchor.py INPUTS.json [--seconds S]
INPUTS.json comes from `mlsysim_sweep --dump`: the resolved registry numbers. The sweep order is
the C program's, so the checksum of one sweep must match the C checksum.
Prints one JSON object: evaluations, seconds, evals_per_s, checksum.
"""
import json
import math
import sys
import time


def make_eval(d):
    PB = d["precision_bytes"]
    TAX = d["layer_tax_s"]
    ETA = d["efficiency"]

    def forward(m, S):
        if not m["transformer"]:
            return m["fwd_flops"]
        pairs = S * S if m["encoder"] else S * (S + 1.0) / 2.0
        return 2.0 * m["params_matmul"] * S + m["attn"] * pairs

    def moe_fraction(m, tokens):
        if not m["transformer"] or m["experts"] == 0:
            return 1.0
        E = float(m["experts"])
        k = float(m["experts_active"])
        if E <= k:
            return 1.0
        hit = E * (1.0 - (1.0 - k / E) ** tokens)
        per_expert = (m["params"] - m["params_active"]) / (E - k)
        touched = m["params_active"] + (hit - k) * per_expert
        return min(1.0, touched / m["params"])

    def train_memory(m, B, S, b):
        # Adam, no recompute, tp = pp = dp = 1, ZeRO 0 (memory.c)
        opt = 8.0 + (4.0 if b < 4.0 else 0.0)
        w = m["params"] * b
        g = m["params"] * b
        o = m["params"] * opt
        if m["transformer"]:
            h = float(m["hidden"])
            per_layer = S * B * h * (10.0 + 24.0 + 5.0 * m["heads"] * S / h) * (b / 2.0)
            act = per_layer * math.ceil(m["layers"] / 1.0)
            if not m["encoder"]:
                act += 4.0 * S * B * m["vocab"]
        else:
            if m["saved_act"] > 0:
                per_sample = m["saved_act"] * b
            else:
                per_sample = m["act_peak"] * b if m["act_peak"] > 0 else 0.1 * m["params"] * b
            act = per_sample * B
        return w, g, o, act

    def evaluate(m, hw, B, S, p, mode):
        b = PB[p]
        peak = hw["peak"][p]
        xf = m["transformer"]
        W = m["params"] * b
        mw, mg, mo, ma, mkv = W, 0.0, 0.0, 0.0, 0.0
        attn_flops = attn_bytes = 0.0
        if mode == 1:
            fwd = B * forward(m, S)
            flops = 3.0 * fwd
            hw_flops = flops
            mw, mg, mo, ma = train_memory(m, B, S, b)
            nbytes = 2.0 * (mw + mg + mo) + 2.0 * ma
            items = B * S if xf else B
        elif xf and not m["encoder"]:
            flops = B * (2.0 * m["params_matmul"] + m["attn"] * S)
            hw_flops = flops
            mkv = m["kv"] * S * B * b
            ma = 4.0 * B * m["hidden"] * b
            nbytes = W * moe_fraction(m, B) + mkv
            items = B
            attn_flops, attn_bytes = B * m["attn"] * S, mkv   # the attention kernel of a decode step
        else:
            flops = B * forward(m, S)
            hw_flops = flops
            if xf:
                ma = 4.0 * B * S * m["hidden"] * b
                nbytes = W + 2.0 * B * S * m["hidden"] * b * m["layers"]
            else:
                ma = (m["act_peak"] * b if m["act_peak"] > 0 else 0.1 * W) * B
                nbytes = W * (1.0 + 0.1 * B)
            items = B
        mem = mw + mg + mo + ma + mkv
        if hw["flash"] > 0:
            cap = hw["mem"]
            feasible = W <= hw["flash"] and mem - mw <= cap
            t_w = W / (hw["flash_bw"] if hw["flash_bw"] > 0 else hw["bw"])
            rest = nbytes - W if nbytes > W else 0.0
            bw = nbytes / (t_w + rest / hw["bw"])
            mem -= mw
        else:
            cap = hw["mem"]
            feasible = mem <= cap
            bw = hw["bw"]
            if hw["sram"] > 0 and hw["sram_bw"] > 0 and mem <= hw["sram"]:
                bw = hw["sram_bw"]
        tc = hw_flops / (peak * ETA)
        tm = nbytes / bw
        decode = mode == 0 and xf and not m["encoder"]
        tov = (0.0 if decode else hw["dispatch"]) + m["layers"] * TAX * (3.0 if mode == 1 else 1.0)
        body = max(tc, tm)
        if attn_bytes > 0:   # decode: GEMMs, then attention, each on its own roofline
            tac, tam = attn_flops / (peak * ETA), attn_bytes / bw
            body = max(tc - tac, tm - tam) + max(tac, tam)
        lat = body + tov
        tput = items / lat
        mfu = min(1.0, flops / (lat * peak))
        power = hw["tdp"] * (0.30 + 0.70 * mfu)
        energy = power * lat
        bottleneck = 1 if tm > tc else 0
        return lat, mem, mfu, energy, tput, feasible, bottleneck

    return evaluate


def sweep(d, evaluate):
    S = d["seq_len"]
    acc = 0.0
    n = 0
    for m in d["models"]:
        for hw in d["hardware"]:
            for B in d["batches"]:
                for p in range(len(d["precision_bytes"])):
                    for mode in (0, 1):
                        lat, mem, mfu, energy, tput, feasible, bottleneck = evaluate(m, hw, B, S, p, mode)
                        acc += (lat + mem * 1e-12 + mfu + energy * 1e-3 + tput * 1e-9
                                + (1.0 if feasible else 0.0) + bottleneck)
                        n += 1
    return acc, n


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    seconds = 1.0
    if "--seconds" in sys.argv:
        seconds = float(sys.argv[sys.argv.index("--seconds") + 1])
    with open(sys.argv[1]) as f:
        d = json.load(f)
    evaluate = make_eval(d)
    checksum, _ = sweep(d, evaluate)
    count = 0
    t0 = time.perf_counter()
    while True:
        _, n = sweep(d, evaluate)
        count += n
        t = time.perf_counter() - t0
        if t >= seconds:
            break
    print(json.dumps({"evaluations": count, "seconds": t, "evals_per_s": count / t,
                      "checksum": checksum}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
