#!/usr/bin/env bash
# Samples per second over 1, 2 and 4 MPI ranks (4: oversubscribed on a
# 2-core machine), and the allreduce's share of a step:
#   bash bench/mpi_scaling.sh [steps]     (after cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=build/release/bench/ctgrad_mpi_scaling
[ -x "$bench" ] || { echo "not built: cmake --build --preset release --target ctgrad_mpi_scaling" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for ranks in 1 2 4; do
  mpirun --oversubscribe -np "$ranks" "$bench" "${1:-500}"
done
