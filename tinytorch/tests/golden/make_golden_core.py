#!/usr/bin/python3
"""Golden data for TinyTorch's core ops (modules 01-04) and optimizers (module 07), made by PyTorch.

Run with Debian's interpreter (python3-torch, CPU):
    /usr/bin/python3 tinytorch/tests/golden/make_golden_core.py
It writes tinytorch/tests/data/core_ops.txt and core_optim.txt, read by tests/test_golden_core.c.

Format (text, one tensor per two lines):
    <name> <ndim> <d0> <d1> ...
    <v0> <v1> ...            (float32 values, %.9g, row-major)
Names are "<case>.<field>". For an op case the fields are in0.. (inputs), out (forward result),
seed (the gradient fed to backward, i.e. loss = sum(out * seed)) and grad0.. (the input gradients,
present only for inputs that require a gradient), plus extras the op needs (labels, mask).
For the optimizer runs: the MLP's initial parameters, the batch, and after 10 steps of each
configuration the loss at every step and the final parameters.
"""
import os
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
gen = torch.Generator().manual_seed(20240601)


def uniform(shape, lo, hi):
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo)


def write(f, name, t):
    t = t.detach().to(torch.float32).contiguous()
    shape = list(t.shape)
    f.write("%s %d%s\n" % (name, len(shape), "".join(" %d" % d for d in shape)))
    f.write(" ".join("%.9g" % v for v in t.reshape(-1).tolist()) + "\n")


def op_case(f, name, fn, inputs, grads=None, extras=None):
    """inputs: list of tensors; grads: list of bools (default all True)."""
    if grads is None:
        grads = [True] * len(inputs)
    ins = [x.clone().requires_grad_(g) for x, g in zip(inputs, grads)]
    out = fn(*ins)
    seed = uniform(out.shape, 0.5, 1.5)
    for k, x in enumerate(ins):
        write(f, "%s.in%d" % (name, k), x)
    for key, val in (extras or {}).items():
        write(f, "%s.%s" % (name, key), val)
    write(f, "%s.out" % name, out)
    if any(grads) and out.requires_grad:
        write(f, "%s.seed" % name, seed)
        (out * seed).sum().backward()
        for k, x in enumerate(ins):
            if grads[k]:
                write(f, "%s.grad%d" % (name, k), x.grad)


def make_ops(path):
    U = uniform
    with open(path + ".tmp", "w") as f:
        # module 01: elementwise with broadcasting
        op_case(f, "add_bcast", torch.add, [U((2, 3, 4), -2, 2), U((3, 1), -2, 2)])
        op_case(f, "sub_bcast", torch.sub, [U((2, 1, 4), -2, 2), U((3, 1), -2, 2)])
        op_case(f, "mul_bcast", torch.mul, [U((2, 3, 4), -2, 2), U((4,), -2, 2)])
        op_case(f, "div_bcast", torch.div, [U((3, 4), -2, 2), U((2, 1, 4), 0.5, 2)])
        op_case(f, "add_scalar", lambda a: a + 1.5, [U((3, 4), -2, 2)])
        op_case(f, "mul_scalar", lambda a: a * -0.75, [U((3, 4), -2, 2)])
        op_case(f, "neg", torch.neg, [U((3, 4), -2, 2)])
        op_case(f, "exp", torch.exp, [U((3, 4), -2, 2)])
        op_case(f, "log", torch.log, [U((3, 4), 0.2, 3)])
        op_case(f, "sqrt", torch.sqrt, [U((3, 4), 0.2, 3)])
        op_case(f, "pow", lambda a: torch.pow(a, 2.5), [U((3, 4), 0.2, 3)])
        mask = (U((3, 4), 0, 1) > 0.6).to(torch.float32)
        op_case(f, "masked_fill", lambda a: a.masked_fill(mask.bool(), -5.0), [U((2, 3, 4), -2, 2)],
                extras={"mask": mask})
        # matrix products
        op_case(f, "matmul_2d", torch.matmul, [U((3, 4), -1, 1), U((4, 5), -1, 1)])
        op_case(f, "matmul_batched", torch.matmul, [U((2, 3, 4), -1, 1), U((2, 4, 5), -1, 1)])
        op_case(f, "matmul_bcast", torch.matmul, [U((2, 1, 3, 4), -1, 1), U((3, 4, 2), -1, 1)])
        op_case(f, "matmul_vec", torch.matmul, [U((3, 4), -1, 1), U((4,), -1, 1)])
        op_case(f, "linear", F.linear, [U((5, 4), -1, 1), U((3, 4), -1, 1), U((3,), -1, 1)])
        op_case(f, "linear_3d", F.linear, [U((2, 5, 4), -1, 1), U((3, 4), -1, 1), U((3,), -1, 1)])
        # shape ops
        op_case(f, "reshape", lambda a: a.reshape(4, 6), [U((2, 3, 4), -2, 2)])
        op_case(f, "transpose", lambda a: a.transpose(0, 2), [U((2, 3, 4), -2, 2)])
        op_case(f, "permute", lambda a: a.permute(1, 2, 0), [U((2, 3, 4), -2, 2)])
        op_case(f, "slice", lambda a: a[:, 1:6:2], [U((4, 6), -2, 2)])
        op_case(f, "concat", lambda a, b: torch.cat([a, b], 1), [U((2, 3), -2, 2), U((2, 2), -2, 2)])
        op_case(f, "stack", lambda a, b: torch.stack([a, b], 1), [U((2, 3), -2, 2), U((2, 3), -2, 2)])
        # reductions
        op_case(f, "sum_axis_keep", lambda a: a.sum(1, keepdim=True), [U((2, 3, 4), -2, 2)])
        op_case(f, "sum_all", lambda a: a.sum(), [U((2, 3, 4), -2, 2)])
        op_case(f, "mean_last", lambda a: a.mean(-1), [U((2, 3, 4), -2, 2)])
        op_case(f, "mean_all", lambda a: a.mean(), [U((2, 3, 4), -2, 2)])
        op_case(f, "max_axis0_keep", lambda a: a.max(0, keepdim=True).values, [U((3, 4), -2, 2)])
        op_case(f, "max_all", lambda a: a.max(), [U((3, 4), -2, 2)])
        op_case(f, "argmax_axis1", lambda a: a.argmax(1).to(torch.float32), [U((3, 5), -2, 2)],
                grads=[False])
        # module 02: activations (no input exactly at the ReLU kink)
        act_in = U((3, 5), -4, 4)
        op_case(f, "relu", F.relu, [act_in])
        op_case(f, "sigmoid", torch.sigmoid, [act_in])
        op_case(f, "tanh", torch.tanh, [act_in])
        op_case(f, "gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [act_in])
        op_case(f, "gelu_erf", F.gelu, [act_in])
        op_case(f, "sigmoid_large", torch.sigmoid, [torch.tensor([-120.0, -30.0, 0.0, 30.0, 120.0])])
        op_case(f, "softmax_last", lambda a: F.softmax(a, -1), [U((3, 5), -3, 3)])
        op_case(f, "softmax_mid", lambda a: F.softmax(a, 1), [U((2, 3, 4), -3, 3)])
        op_case(f, "softmax_large", lambda a: F.softmax(a, -1), [U((2, 4), 900, 1000)])
        op_case(f, "log_softmax_last", lambda a: F.log_softmax(a, -1), [U((3, 5), -3, 3)])
        op_case(f, "log_softmax_first", lambda a: F.log_softmax(a, 0), [U((3, 4), -3, 3)])
        op_case(f, "log_softmax_large", lambda a: F.log_softmax(a, -1), [U((2, 4), -1000, 1000)])
        # module 04: losses
        op_case(f, "mse", F.mse_loss, [U((4, 3), -2, 2), U((4, 3), -2, 2)])
        labels = torch.tensor([0, 4, 2, 2, 1, 3])
        op_case(f, "cross_entropy", lambda a: F.cross_entropy(a, labels), [U((6, 5), -3, 3)],
                extras={"labels": labels.to(torch.float32)})
        op_case(f, "cross_entropy_3d",
                lambda a: F.cross_entropy(a.reshape(-1, 5), labels), [U((2, 3, 5), -3, 3)],
                extras={"labels": labels.to(torch.float32)})
        op_case(f, "cross_entropy_large", lambda a: F.cross_entropy(a, torch.tensor([0, 2])),
                [torch.tensor([[1000.0, -1000.0, 0.0], [-500.0, 200.0, 250.0]])],
                extras={"labels": torch.tensor([0.0, 2.0])})
        op_case(f, "bce_with_logits", F.binary_cross_entropy_with_logits,
                [U((4, 3), -4, 4), U((4, 3), 0, 1)])
        op_case(f, "bce_large", F.binary_cross_entropy_with_logits,
                [torch.tensor([-200.0, -20.0, 0.0, 20.0, 200.0]),
                 torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])], grads=[True, False])
    os.replace(path + ".tmp", path)


# ---- optimizers: a 4-8-3 MLP (Linear-ReLU-Linear), cross-entropy, 10 full-batch steps --------------

OPT_CONFIGS = [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("sgd_dampening", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3)),
    ("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                               weight_decay=0.001)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adam_l2", lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6,
                                           weight_decay=0.05)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
]
PARAM_NAMES = ["0.weight", "0.bias", "2.weight", "2.bias"]


def make_optim(path):
    w1 = uniform((8, 4), -0.5, 0.5)
    b1 = uniform((8,), -0.5, 0.5)
    w2 = uniform((3, 8), -0.5, 0.5)
    b2 = uniform((3,), -0.5, 0.5)
    x = uniform((6, 4), -2, 2)
    y = torch.tensor([0, 1, 2, 1, 0, 2])
    with open(path + ".tmp", "w") as f:
        for n, t in zip(PARAM_NAMES, (w1, b1, w2, b2)):
            write(f, "init." + n, t)
        write(f, "batch.x", x)
        write(f, "batch.labels", y.to(torch.float32))
        for cname, make in OPT_CONFIGS:
            params = [t.clone().requires_grad_(True) for t in (w1, b1, w2, b2)]
            opt = make(params)
            losses = []
            for _ in range(10):
                opt.zero_grad()
                h = F.relu(F.linear(x, params[0], params[1]))
                loss = F.cross_entropy(F.linear(h, params[2], params[3]), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            write(f, cname + ".loss", torch.tensor(losses))
            for n, t in zip(PARAM_NAMES, params):
                write(f, cname + "." + n, t)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    os.makedirs(DATA, exist_ok=True)
    make_ops(os.path.join(DATA, "core_ops.txt"))
    make_optim(os.path.join(DATA, "core_optim.txt"))
    print("wrote", os.path.join(DATA, "core_ops.txt"), "and core_optim.txt")
