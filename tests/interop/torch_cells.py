"""Recurrent cells against PyTorch: ctgrad::cell::rnn (tanh, relu), gru and
lstm (expr/cells.hpp), written as ordinary tensor expressions, give
torch.nn.RNNCell's, GRUCell's and LSTMCell's next state, and the gradients
of sum(next * g) by the input, the state and every weight and bias, from
the same values (PyTorch's names and layouts: weight_ih [G*H, I],
weight_hh [G*H, H], bias_ih, bias_hh), in float64, to 1e-12 relative to
max(1, |value|).  Then each cell scanned over a sequence (ctgrad::scan)
against torch.nn.RNN, GRU and LSTM (batch_first, one layer): the outputs
h[1..T], sum(h[1..T] * g) and its gradients by the sequence, the initial
state (LSTM: h0 and c0) and every weight and bias, to the same tolerance.

    /usr/bin/python3 torch_cells.py PATH/TO/ctgrad_torch_cells WORKDIR

Prints the largest difference per cell; exits 1 if one is over 1e-12.
"""
import json
import subprocess
import sys
from pathlib import Path

import torch

TOLERANCE = 1e-12


def tensor(values, *shape):
    return torch.tensor(values, dtype=torch.float64).reshape(*shape).requires_grad_(True)


def check_sequence(case):
    name, t, b, i, h = case["cell"], case["steps"], case["batch"], case["inputs"], case["hidden"]
    v = case["values"]
    gates = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}[name]
    parts = 2 if name == "lstm" else 1
    options = {"batch_first": True, "dtype": torch.float64}
    if name.startswith("rnn"):
        layer = torch.nn.RNN(i, h, nonlinearity=name[4:], **options)
    elif name == "gru":
        layer = torch.nn.GRU(i, h, **options)
    else:
        layer = torch.nn.LSTM(i, h, **options)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.tensor(v["W_ih"], dtype=torch.float64).reshape(gates * h, i))
        layer.weight_hh_l0.copy_(torch.tensor(v["W_hh"], dtype=torch.float64).reshape(gates * h, h))
        layer.bias_ih_l0.copy_(torch.tensor(v["b_ih"], dtype=torch.float64))
        layer.bias_hh_l0.copy_(torch.tensor(v["b_hh"], dtype=torch.float64))
    x = tensor(v["x"], b, t, i)
    state = tensor(v["h"], b, parts * h)
    g = torch.tensor(v["g"], dtype=torch.float64).reshape(b, t, h)
    if name == "lstm":
        out, _ = layer(x, (state[:, :h].unsqueeze(0), state[:, h:].unsqueeze(0)))
    else:
        out, _ = layer(x, state.unsqueeze(0))
    loss = (out * g).sum()
    loss.backward()
    want = {
        "x": x.grad,
        "h": state.grad,
        "W_ih": layer.weight_ih_l0.grad,
        "W_hh": layer.weight_hh_l0.grad,
        "b_ih": layer.bias_ih_l0.grad,
        "b_hh": layer.bias_hh_l0.grad,
        "next": out.detach(),
    }
    return f"{name} over {t} steps", worst_difference(case, loss, want)


def worst_difference(case, loss, want):
    worst = abs(loss.item() - case["loss"]) / max(1.0, abs(loss.item()))
    for key, expected in want.items():
        got = torch.tensor(case["gradients"][key], dtype=torch.float64)
        expected = expected.reshape(-1)
        diff = ((got - expected).abs() / expected.abs().clamp(min=1.0)).max().item()
        worst = max(worst, diff)
    return worst


def check(case):
    if "steps" in case:
        return check_sequence(case)
    name, b, i, h = case["cell"], case["batch"], case["inputs"], case["hidden"]
    v = case["values"]
    gates = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}[name]
    parts = 2 if name == "lstm" else 1
    if name.startswith("rnn"):
        cell = torch.nn.RNNCell(i, h, nonlinearity=name[4:], dtype=torch.float64)
    elif name == "gru":
        cell = torch.nn.GRUCell(i, h, dtype=torch.float64)
    else:
        cell = torch.nn.LSTMCell(i, h, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(v["W_ih"], dtype=torch.float64).reshape(gates * h, i))
        cell.weight_hh.copy_(torch.tensor(v["W_hh"], dtype=torch.float64).reshape(gates * h, h))
        cell.bias_ih.copy_(torch.tensor(v["b_ih"], dtype=torch.float64))
        cell.bias_hh.copy_(torch.tensor(v["b_hh"], dtype=torch.float64))
    x = tensor(v["x"], b, i)
    state = tensor(v["h"], b, parts * h)
    g = torch.tensor(v["g"], dtype=torch.float64).reshape(b, parts * h)
    if name == "lstm":
        hn, cn = cell(x, (state[:, :h], state[:, h:]))
        nxt = torch.cat([hn, cn], dim=1)
    else:
        nxt = cell(x, state)
    loss = (nxt * g).sum()
    loss.backward()
    want = {
        "x": x.grad,
        "h": state.grad,
        "W_ih": cell.weight_ih.grad,
        "W_hh": cell.weight_hh.grad,
        "b_ih": cell.bias_ih.grad,
        "b_hh": cell.bias_hh.grad,
        "next": nxt.detach(),
    }
    return name, worst_difference(case, loss, want)


def main():
    binary, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    out = work / "cells.json"
    subprocess.run([binary, str(out)], check=True)
    failed = False
    for case in json.loads(out.read_text()):
        name, worst = check(case)
        ok = worst <= TOLERANCE
        failed |= not ok
        print(f"{name}: the states, the loss and every gradient within {worst:.2e} of torch.nn ({'ok' if ok else 'FAIL'})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
