"""A stand-in for the `safetensors` package (pip install safetensors), which
Debian 12 does not ship: just enough of safetensors.torch (save_file,
load_file) for ctgrad's docs examples to run in CI.  Written from the format's
specification; with the real package installed, the examples use it instead.
"""
