"""The Python side of docs/interop.md, run by ctest (docs.example.interop):

    /usr/bin/python3 interop.py PATH/TO/ctgrad_example_interop WORKDIR

1. a torch.nn.Sequential goes to .npz and .safetensors;
2. the C++ program (interop.cpp) loads it, checks its predictions, fine-tunes
   it and saves it back;
3. the fine-tuned weights load into PyTorch, which predicts what ctgrad does.
"""
import os
import subprocess
import sys

import numpy as np
import torch

try:
    from safetensors.torch import load_file, save_file
except ImportError:  # Debian 12 has no safetensors package: the docs' stand-in
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
    from safetensors.torch import load_file, save_file

exe, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
os.chdir(work)

# [export]
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
state = net.state_dict()  # keys 0.weight, 0.bias, 2.weight, 2.bias

np.savez("net.npz", **{name: tensor.numpy() for name, tensor in state.items()})
save_file(state, "net.safetensors")
# [export]

x = torch.linspace(-1, 1, 4).reshape(1, 4)
np.savetxt("x.txt", x.numpy().reshape(-1))
np.savetxt("torch_prediction.txt", net(x).detach().numpy().reshape(-1))

subprocess.run([exe], check=True)  # interop.cpp, in this directory

# [import]
tuned = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
tuned.load_state_dict(load_file("tuned.safetensors"))
# or from the .npz:
with np.load("tuned.npz") as z:
    tuned.load_state_dict({name: torch.from_numpy(z[name]) for name in z.files})
# [import]

ctgrad_prediction = np.loadtxt("ctgrad_tuned_prediction.txt")
torch_prediction = tuned(x).detach().numpy().reshape(-1)
difference = float(np.max(np.abs(ctgrad_prediction - torch_prediction)))
print(f"fine-tuned in ctgrad, predicted by PyTorch: largest difference {difference:.3g}")
sys.exit(0 if difference < 1e-5 else 1)
