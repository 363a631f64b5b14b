#!/bin/bash
# Compile time and compiler memory of a recurrent training kernel against
# the sequence length (issue 15's budget: GRU-32, T = 64, <= 6 s and
# <= 800 MB with g++-12 -O2; T = 512 within 1.2x of T = 64): user seconds
# and largest resident set of compiling bench/scan_compile.cpp (R3's kernel,
# bench/gru_train.hpp) alone.
#   bash bench/scan_compile.sh            (from the repository's root)
set -euo pipefail
cd "$(dirname "$0")/.."
for cxx in g++-12 clang++-14; do
  for steps in 16 64 512; do
    /usr/bin/time -f "$cxx -O2, T = $steps: %U s, %M KB" \
      "$cxx" -std=c++20 -O2 -DSTEPS="$steps" -Iinclude -c bench/scan_compile.cpp -o /dev/null
  done
done
