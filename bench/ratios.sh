#!/usr/bin/env bash
# ctgrad / hand-written ratios, measured in the same run: medians of 10
# repetitions of each benchmark in ctgrad_bench, for each compiler preset
# that has been built (cmake --build --preset gcc|clang).
#   bash bench/ratios.sh [filter]     e.g. bash bench/ratios.sh W1
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-.}
for preset in gcc clang; do
  bench=build/$preset/bench/ctgrad_bench
  [ -x "$bench" ] || { echo "$preset: not built ($bench)"; continue; }
  "$bench" --benchmark_filter="$filter" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
           --benchmark_min_time=0.2 --benchmark_format=csv 2>/dev/null |
    awk -F, -v preset="$preset" '
      /_median"/ { name = $1; gsub(/"/, "", name); sub(/_median$/, "", name); t[name] = $3 }
      END {
        for (n in t) if (n ~ /\/ctgrad$/) {
          base = n; sub(/\/ctgrad$/, "", base)
          for (m in t) if (m ~ ("^" base "/") && m != n)
            printf "%-6s %-8s ctgrad %8.1f ns  %-6s %8.1f ns  ratio %.3f\n", preset, base, t[n], substr(m, length(base) + 2), t[m], t[n] / t[m]
        }
      }'
done
