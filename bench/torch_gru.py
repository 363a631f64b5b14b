"""R3's LibTorch line (bench/rnn.cpp, docs/performance.md#recurrences): a
GRU-32 over sequences of 64 steps of 1 feature, batch 8, a linear readout
per step, MSE; one training step (forward, backward, SGD) with torch 1.13
on one thread, as a user writes it in Python (nn.GRU runs PyTorch's fused
C++ recurrence; Python's share is a few operator calls per step).

    /usr/bin/python3 bench/torch_gru.py
"""
import time

import torch

torch.set_num_threads(1)
B, T, I, H = 8, 64, 1, 32
gru = torch.nn.GRU(I, H, batch_first=True)
readout = torch.nn.Linear(H, 1)
optimizer = torch.optim.SGD(list(gru.parameters()) + list(readout.parameters()), lr=0.01)
x, y = torch.randn(B, T, I), torch.randn(B, T, 1)


def step():
    optimizer.zero_grad()
    out, _ = gru(x)
    loss = ((readout(out) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    return loss


for _ in range(20):
    step()
for _ in range(5):
    start = time.perf_counter()
    for _ in range(200):
        step()
    print(f"R3/libtorch: {(time.perf_counter() - start) / 200 * 1e6:.0f} us per training step (one thread)")
