#!/usr/bin/env bash
# Compile time and peak compiler memory of a benchmark translation unit,
# with g++-12 and clang++-14 at -O2, as the user would build it.
#   bash bench/compile_time.sh [source ...]     (default: bench/w1.cpp)
# Prints one row per compiler and source: wall seconds and peak RSS in MB,
# the best of 3 runs (the machine is shared; the minimum is the stable figure).
set -euo pipefail
cd "$(dirname "$0")/.."
sources=("$@")
[ ${#sources[@]} -gt 0 ] || sources=(bench/w1.cpp)
printf '%-24s %-12s %8s %8s\n' source compiler seconds MB
for src in "${sources[@]}"; do
  for cxx in g++-12 clang++-14; do
    best_s=; best_mb=
    for _ in 1 2 3; do
      out=$( { /usr/bin/time -f "%e %M" "$cxx" -std=c++20 -O2 -Iinclude -Idocs/examples -Ibench -c "$src" -o /dev/null; } 2>&1 | tail -n 1)
      s=${out% *}; kb=${out#* }
      mb=$((kb / 1024))
      if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
      if [ -z "$best_mb" ] || [ "$mb" -lt "$best_mb" ]; then best_mb=$mb; fi
    done
    printf '%-24s %-12s %8s %8s\n' "$src" "$cxx" "$best_s" "$best_mb"
  done
done
