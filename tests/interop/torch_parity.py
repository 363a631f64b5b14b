"""PyTorch parity: the same MLP and CNN in PyTorch and in ctgrad, from one set
of weights exchanged through .npz and .safetensors, give the same
predictions, loss and gradients; ctgrad's files load back into PyTorch with
load_state_dict, bit for bit.

    /usr/bin/python3 torch_parity.py PATH/TO/ctgrad_torch_parity WORKDIR

Then both train each net from the same weights on the same 100 batches with
SGD, momentum, Adam and AdamW (torch.optim's definitions: Adam's bias
correction, AdamW's decoupled decay), and the parameters are compared.

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


def nets():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2)
    ).double()
    return {"mlp": (mlp, (4, 3), (4, 2)), "cnn": (cnn, (4, 2, 6, 6), (4, 2))}


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

    subprocess.run([exe, str(work)], check=True)

    ce_loss = torch.nn.functional.cross_entropy(ce_net(torch.from_numpy(ce_x)), torch.from_numpy(ce_labels))
    ce_loss.backward()
    ce_grads = {k: p.grad.numpy() for k, p in ce_net.named_parameters()}
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
    optimizers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
        "adam": lambda p: torch.optim.Adam(p, lr=0.01),
        "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
    }
    for name, (_, state, x, t) in batches.items():
        xs = np.loadtxt(work / f"train_{name}_x.txt").reshape((-1,) + x.shape)
        ts = np.loadtxt(work / f"train_{name}_t.txt").reshape((-1,) + t.shape)
        for kind, dtype in (("double", torch.float64), ("float", torch.float32)):
            for opt_name, make in optimizers.items():
                net = nets()[name][0].to(dtype)
                net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
                opt = make(net.parameters())
                for bx, bt in zip(xs, ts):
                    opt.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(torch.from_numpy(bx).to(dtype)), torch.from_numpy(bt).to(dtype))
                    loss.backward()
                    opt.step()
                trained = load_file(work / f"trained_{name}_{kind}_{opt_name}.npz")
                d = max(rel(trained[k], v.detach().numpy()) for k, v in net.state_dict().items())
                key = (name, kind, f"trained {opt_name}")
                worst[key] = d
                limit = 1e-12 if kind == "double" else 2e-5
                if d > limit:
                    print(f"FAIL {name} {kind}: parameters after 100 steps of {opt_name} differ by {d:.3g} (tolerance {limit:g})")
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
