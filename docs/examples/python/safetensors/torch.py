"""safetensors.torch.save_file / load_file for float tensors (stand-in)."""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float16: "F16", torch.float32: "F32", torch.float64: "F64"}
_NUMPY = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}


def save_file(tensors, filename, metadata=None):
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().astype(_NUMPY[_DTYPES[tensor.dtype]]).tobytes()
        header[name] = {"dtype": _DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(filename, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_file(filename):
    with open(filename, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    out = {}
    for name, entry in json.loads(raw[8 : 8 + n]).items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype=_NUMPY[entry["dtype"]]).reshape(entry["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out
