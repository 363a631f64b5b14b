"""PyTorch parity: the same MLP, CNN and recurrent nets (torch.nn.GRU, LSTM,
RNN, batch first, then a Linear at every step; nn::gru, nn::lstm, nn::rnn
then nn::dense) in PyTorch and in ctgrad, from one set of weights exchanged
through .npz and .safetensors (the recurrent ones under the prefixes "rnn"
and "out": rnn.weight_ih_l0, ...), give the same
predictions, loss and gradients; ctgrad's files load back into PyTorch with
load_state_dict, bit for bit.

    /usr/bin/python3 torch_parity.py PATH/TO/ctgrad_torch_parity WORKDIR

Then both train each net from the same weights on the same 100 batches with
SGD, momentum, Nesterov momentum, Adam, AdamW, RMSProp (plain; centered,
with momentum and decay), Adagrad (with lr_decay, decay and an initial
accumulator), SGD under CosineAnnealingLR and Adam under a LinearLR warm-up
(torch.optim's definitions: Adam's bias correction, AdamW's decoupled
decay, ...), and the parameters are compared; the learning-rate schedules'
rates are compared over 30 steps (1e-12).

PyTorch computes in float64 (float32 for the comparison with ctgrad in
float after training).  Tolerances, relative to max(1, |value|): one
evaluation 1e-12 (double) and 1e-5 (float); after 100 steps 1e-12 (double)
and 2e-5 (float).  Prints the largest difference of each kind; exits 1 if
one is over its tolerance.
"""
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch


def save_safetensors(tensors, path):
    """The safetensors format, from its specification (no package needed)."""
    header, blobs, at = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(array.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    dtypes = {"F32": "<f4", "F64": "<f8"}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return out


def load_file(path):
    if str(path).endswith(".npz"):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    return load_safetensors(path)


class Recurrent(torch.nn.Module):
    """A recurrent layer (batch first) and a linear readout at every step:
    nn::sequential<nn::input_shape<T, I>, nn::gru<H> (or lstm), nn::dense<O>>,
    its tensors under the prefixes "rnn" and "out"."""

    def __init__(self, layer, hidden, outputs):
        super().__init__()
        self.rnn = layer
        self.out = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.out(self.rnn(x)[0])


def nets():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2)
    ).double()
    gru = Recurrent(torch.nn.GRU(2, 5, batch_first=True), 5, 2).double()
    lstm = Recurrent(torch.nn.LSTM(2, 4, batch_first=True), 4, 2).double()
    rnn = Recurrent(torch.nn.RNN(2, 4, batch_first=True), 4, 2).double()
    return {
        "mlp": (mlp, (4, 3), (4, 2)),
        "cnn": (cnn, (4, 2, 6, 6), (4, 2)),
        "gru": (gru, (4, 6, 2), (4, 6, 2)),
        "lstm": (lstm, (4, 6, 2), (4, 6, 2)),
        "rnn": (rnn, (4, 6, 2), (4, 6, 2)),
    }


def main():
    exe, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    tolerance = {"double": 1e-12, "float": 1e-5}
    worst = {}
    failed = False
    batches = {}
    for name, (net, x_shape, t_shape) in nets().items():
        state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
        if name == "mlp":
            # What numpy.savez keeps as it is: a Fortran-ordered array, a big-endian one.
            variants = dict(state)
            variants["0.weight"] = np.asfortranarray(state["0.weight"])
            variants["2.weight"] = state["2.weight"].astype(">f8")
            np.savez(work / "mlp.npz", **variants)
        else:
            np.savez_compressed(work / f"{name}.npz", **state)
        save_safetensors(state, work / f"{name}.safetensors")
        rng = np.random.default_rng(1)
        x = rng.uniform(-1, 1, x_shape)
        t = rng.uniform(-1, 1, t_shape)
        np.savetxt(work / f"batch_{name}_x.txt", x.reshape(-1), fmt="%.17g")
        np.savetxt(work / f"batch_{name}_t.txt", t.reshape(-1), fmt="%.17g")
        batches[name] = (net, state, x, t)
        steps = 100
        np.savetxt(work / f"train_{name}_x.txt", rng.uniform(-1, 1, (steps,) + x_shape).reshape(-1), fmt="%.17g")
        np.savetxt(work / f"train_{name}_t.txt", rng.uniform(-1, 1, (steps,) + t_shape).reshape(-1), fmt="%.17g")

    # Softmax cross-entropy with integer class labels (torch.nn.functional.cross_entropy, mean).
    torch.manual_seed(1)
    ce_net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5)).double()
    np.savez(work / "ce.npz", **{k: v.detach().numpy() for k, v in ce_net.state_dict().items()})
    ce_x = np.random.default_rng(2).uniform(-1, 1, (4, 3))
    ce_labels = np.array([4, 0, 2, 4])
    np.savetxt(work / "batch_ce_x.txt", ce_x.reshape(-1), fmt="%.17g")
    np.savetxt(work / "labels_ce.txt", ce_labels, fmt="%d")

    # Each activation, with PyTorch's module of the same definition, in an MLP whose
    # first layer has units at exactly 0 before the activation (the kinks of relu,
    # leaky_relu, elu) and at 25 to 40 (beyond Softplus's default threshold of 20).
    activations = {
        "tanh": torch.nn.Tanh(),
        "sigmoid": torch.nn.Sigmoid(),
        "relu": torch.nn.ReLU(),
        "leaky_relu": torch.nn.LeakyReLU(0.01),
        "elu": torch.nn.ELU(1.0),
        "gelu": torch.nn.GELU(approximate="tanh"),
        "softplus": torch.nn.Softplus(beta=1.0, threshold=1000.0),  # exact, as ctgrad's
    }
    act_x = batches["mlp"][2]
    act_nets = {}
    for act_name, module in activations.items():
        torch.manual_seed(2)
        act_net = torch.nn.Sequential(torch.nn.Linear(3, 6), module, torch.nn.Linear(6, 2)).double()
        with torch.no_grad():
            act_net[0].weight[0].zero_()  # unit 0: exactly 0 for every row
            act_net[0].bias[0] = 0.0
            act_net[0].weight[1].zero_()  # unit 1: 25 to 40
            act_net[0].weight[1, 0] = 5.0
            act_net[0].bias[1] = 32.0
        np.savez(work / f"act_{act_name}.npz", **{k: v.detach().numpy() for k, v in act_net.state_dict().items()})
        act_nets[act_name] = act_net

    subprocess.run([exe, str(work)], check=True)

    for act_name, act_net in act_nets.items():
        y = act_net(torch.from_numpy(act_x))
        loss = torch.nn.functional.mse_loss(y, torch.from_numpy(batches["mlp"][3]))
        loss.backward()
        got = np.loadtxt(work / f"out_act_{act_name}.txt")
        grads = {k: p.grad.numpy() for k, p in act_net.named_parameters()}
        diffs = {
            f"{act_name} pred.": rel(got[:-1], y.detach().numpy()),
            f"{act_name} loss": rel(got[-1:], np.array([loss.item()])),
            f"{act_name} grad.": max(rel(g, grads[k]) for k, g in load_file(work / f"grad_act_{act_name}.npz").items()),
        }
        for what, d in diffs.items():
            worst[("act", "double", what)] = d
            if d > tolerance["double"]:
                print(f"FAIL activation {act_name}: {what} differs by {d:.3g}")
                failed = True
    # The documented difference: PyTorch's default Softplus (threshold 20) is x
    # itself beyond 20, ctgrad's (and threshold=1000's) is x + log1p(exp(-x)).
    z = torch.tensor([25.0, 32.0, 40.0], dtype=torch.float64)
    default_gap = float(torch.max(torch.abs(torch.nn.Softplus()(z) - torch.nn.Softplus(threshold=1000.0)(z))))
    if not 0 < default_gap <= np.exp(-25.0):
        print(f"FAIL softplus: default-threshold difference {default_gap:.3g}, documented as log1p(exp(-x)) < exp(-x)")
        failed = True

    ce_loss = torch.nn.functional.cross_entropy(ce_net(torch.from_numpy(ce_x)), torch.from_numpy(ce_labels))
    ce_loss.backward()
    ce_grads = {k: p.grad.numpy().copy() for k, p in ce_net.named_parameters()}
    # L1, Huber (delta 1/2) on the MLP; NLL of log_softmax with class labels.
    mlp_net, _, mlp_x, mlp_t = batches["mlp"]
    F = torch.nn.functional
    for tag, make_loss, net in (
        ("l1", lambda: F.l1_loss(mlp_net(torch.from_numpy(mlp_x)), torch.from_numpy(mlp_t)), mlp_net),
        ("huber", lambda: F.huber_loss(mlp_net(torch.from_numpy(mlp_x)), torch.from_numpy(mlp_t), delta=0.5), mlp_net),
        ("nll", lambda: F.nll_loss(F.log_softmax(ce_net(torch.from_numpy(ce_x)), dim=1), torch.from_numpy(ce_labels)), ce_net),
    ):
        net.zero_grad()
        value = make_loss()
        value.backward()
        expected = {k: p.grad.numpy() for k, p in net.named_parameters()}
        d_loss = rel(np.loadtxt(work / f"out_loss_{tag}.txt"), np.array([value.item()]))
        d_grad = max(rel(g, expected[k]) for k, g in load_file(work / f"grad_loss_{tag}.npz").items())
        worst[("loss", "double", f"{tag} loss")] = d_loss
        worst[("loss", "double", f"{tag} gradient")] = d_grad
        if max(d_loss, d_grad) > tolerance["double"]:
            print(f"FAIL loss {tag}: loss differs by {d_loss:.3g}, gradients by {d_grad:.3g}")
            failed = True
    ce_net.zero_grad()

    for kind in ("double", "float"):
        got = np.loadtxt(work / f"out_ce_{kind}.txt")
        diffs = {
            "ce loss": rel(got, np.array([ce_loss.item()])),
            "ce gradient": max(rel(g, ce_grads[k]) for k, g in load_file(work / f"grad_ce_{kind}.npz").items()),
        }
        for what, d in diffs.items():
            worst[("mlp", kind, what)] = d
            if d > tolerance[kind]:
                print(f"FAIL cross-entropy {kind}: {what} differs by {d:.3g} (tolerance {tolerance[kind]:g})")
                failed = True

    for name, (net, state, x, t) in batches.items():
        net.zero_grad()
        y = net(torch.from_numpy(x))
        loss = torch.nn.functional.mse_loss(y, torch.from_numpy(t))
        loss.backward()
        expected_y = y.detach().numpy().reshape(-1)
        grads = {k: p.grad.numpy() for k, p in net.named_parameters()}
        for kind in ("double", "float"):
            for fmt in ("npz", "safetensors"):
                tag = f"{name}_{kind}_{fmt}"
                out = np.loadtxt(work / f"out_{tag}.txt")
                diffs = {
                    "prediction": rel(out[:-1], expected_y),
                    "loss": rel(out[-1:], np.array([loss.item()])),
                    "gradient": max(rel(g, grads[k]) for k, g in load_file(work / f"grad_{tag}.{fmt}").items()),
                }
                # ctgrad's file back into PyTorch: the same bits (float: rounded once).
                back = load_file(work / f"back_{tag}.{fmt}")
                fresh = nets()[name][0]
                fresh.load_state_dict({k: torch.from_numpy(np.array(v, dtype="<f8")) for k, v in back.items()})
                for k, v in fresh.state_dict().items():
                    want = state[k] if kind == "double" else state[k].astype(np.float32).astype(np.float64)
                    if not np.array_equal(v.numpy(), want):
                        print(f"FAIL {tag}: {k} did not come back bit for bit")
                        failed = True
                for what, d in diffs.items():
                    key = (name, kind, what)
                    worst[key] = max(worst.get(key, 0.0), d)
                    if d > tolerance[kind]:
                        print(f"FAIL {tag}: {what} differs by {d:.3g} (tolerance {tolerance[kind]:g})")
                        failed = True
    sched = torch.optim.lr_scheduler
    optimizers = {  # name: (optimizer, scheduler or None), as torch_parity.cpp's
        "sgd": (lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01), None),
        "momentum": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01), None),
        "nesterov": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True), None),
        "adam": (lambda p: torch.optim.Adam(p, lr=0.01), None),
        "adamw": (lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01), None),
        "rmsprop": (lambda p: torch.optim.RMSprop(p, lr=0.01), None),
        "rmsprop_centered": (
            lambda p: torch.optim.RMSprop(p, lr=0.005, weight_decay=0.01, momentum=0.5, centered=True),
            None,
        ),
        "adagrad": (
            lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
            None,
        ),
        "sgd_cosine": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: sched.CosineAnnealingLR(o, T_max=100)),
        "adam_warmup": (
            lambda p: torch.optim.Adam(p, lr=0.01),
            lambda o: sched.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=20),
        ),
    }
    for name, (_, state, x, t) in batches.items():
        xs = np.loadtxt(work / f"train_{name}_x.txt").reshape((-1,) + x.shape)
        ts = np.loadtxt(work / f"train_{name}_t.txt").reshape((-1,) + t.shape)
        for kind, dtype in (("double", torch.float64), ("float", torch.float32)):
            for opt_name, (make, make_schedule) in optimizers.items():
                net = nets()[name][0].to(dtype)
                net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
                opt = make(net.parameters())
                schedule = make_schedule(opt) if make_schedule else None
                for bx, bt in zip(xs, ts):
                    opt.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(torch.from_numpy(bx).to(dtype)), torch.from_numpy(bt).to(dtype))
                    loss.backward()
                    opt.step()
                    if schedule:
                        schedule.step()
                trained = load_file(work / f"trained_{name}_{kind}_{opt_name}.npz")
                d = max(rel(trained[k], v.detach().numpy()) for k, v in net.state_dict().items())
                key = (name, kind, f"trained {opt_name}")
                worst[key] = d
                limit = 1e-12 if kind == "double" else 2e-5
                if d > limit:
                    print(f"FAIL {name} {kind}: parameters after 100 steps of {opt_name} differ by {d:.3g} (tolerance {limit:g})")
                    failed = True
    # Learning-rate schedules: the rate PyTorch's scheduler gives at t = 0 .. 29.
    got = np.loadtxt(work / "schedules.txt")
    made = [
        lambda o: sched.StepLR(o, step_size=7, gamma=0.5),
        lambda o: sched.ExponentialLR(o, gamma=0.9),
        lambda o: sched.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
        lambda o: sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8),
    ]
    for row, make_schedule in enumerate(made):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        schedule = make_schedule(opt)
        rates = []
        for _ in range(30):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            schedule.step()
        d = rel(got[row], np.array(rates))
        worst[("sched", "double", type(schedule).__name__)] = d
        if d > 1e-12:
            print(f"FAIL schedule {type(schedule).__name__}: rates differ by {d:.3g}")
            failed = True
    for (name, kind, what), d in sorted(worst.items()):
        print(f"{name:4} {kind:6} {what:16} largest relative difference {d:.3g}")
    sys.exit(1 if failed else 0)


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64).reshape(-1), np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b))))) if a.size else 0.0


if __name__ == "__main__":
    main()
