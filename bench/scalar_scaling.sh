#!/usr/bin/env bash
# Compile time and peak memory of scalar-level MLPs of growing size (a
# gradient kernel over every weight), g++-12 and clang++-14 at -O2.
#   bash bench/scalar_scaling.sh [I-H-O ...]     (default: 2-2-2 4-4-2 6-6-3 8-8-4)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2-2-2 4-4-2 6-6-3 8-8-4)
printf '%-8s %6s %-12s %8s %8s\n' net nodes compiler seconds MB
for size in "${sizes[@]}"; do
  python3 bench/scalar_mlp_gen.py ${size//-/ } > "$work/mlp.cpp"
  for cxx in g++-12 clang++-14; do
    out=$( { /usr/bin/time -f '%e %M' "$cxx" -std=c++20 -O2 -Iinclude "$work/mlp.cpp" -o "$work/mlp"; } 2>&1 | tail -n 1)
    nodes=$("$work/mlp" | cut -d' ' -f1)
    printf '%-8s %6s %-12s %8s %8s\n' "$size" "$nodes" "$cxx" "${out% *}" "$(( ${out#* } / 1024 ))"
  done
done
