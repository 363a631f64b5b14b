#!/usr/bin/env bash
# ctgrad / baseline ratios, measured in the same run: medians of 10
# repetitions of each benchmark, for each compiler preset that has been built
# (cmake --build --preset gcc|clang), in two binaries:
#   ctgrad_bench       ctgrad kernels pick SSE2 or AVX2 at run time; the
#                      baselines are plain -O2 code (SSE2)
#   ctgrad_bench_sse2  everything on SSE2: the same instruction set
#   bash bench/ratios.sh [filter]     e.g. bash bench/ratios.sh 'W2|W3'
# `*/ctgrad` is train_step as a user calls it (non-finite steps checked and
# skipped); `*/ctgrad_unchecked` is nn::unchecked (with SGD: the update fused
# into the kernel); `*/ctgrad_adam*` the same with Adam.
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-.}
for preset in gcc clang; do
  for binary in ctgrad_bench ctgrad_bench_sse2; do
    bench=build/$preset/bench/$binary
    [ -x "$bench" ] || { echo "$preset: not built ($bench)"; continue; }
    label=$preset
    [ "$binary" = ctgrad_bench ] || label="$preset/sse2"
    "$bench" --benchmark_filter="$filter" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
             --benchmark_min_time=0.2 --benchmark_format=csv 2>/dev/null |
      awk -F, -v preset="$label" '
        /_median"/ { name = $1; gsub(/"/, "", name); sub(/_median$/, "", name); t[name] = $3 }
        END {
          for (n in t) if (n ~ /\/ctgrad$/) {
            base = n; sub(/\/ctgrad$/, "", base)
            for (m in t) if (m ~ ("^" base "/") && m !~ /\/ctgrad/)
              printf "%-10s %-6s ctgrad %10.1f ns  %-6s %10.1f ns  ratio %.3f\n", preset, base, t[n], substr(m, length(base) + 2), t[m], t[n] / t[m]
            # The non-finite check: checked / unchecked, with SGD (where
            # unchecked is the fused update) and with Adam (the check alone).
            split("ctgrad ctgrad_adam", kinds, " ")
            for (k in kinds) {
              c = base "/" kinds[k]; u = c "_unchecked"
              if ((c in t) && (u in t))
                printf "%-10s %-6s %-11s checked %10.1f ns  unchecked %10.1f ns  ratio %.3f\n", preset, base, kinds[k], t[c], t[u], t[c] / t[u]
            }
          }
        }' | sort
  done
done
