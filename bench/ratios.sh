#!/usr/bin/env bash
# ctgrad / baseline ratios, measured in the same run: medians of 10
# repetitions of each benchmark, for each compiler preset that has been built
# (cmake --build --preset gcc|clang), in two binaries:
#   ctgrad_bench       ctgrad kernels pick SSE2, AVX2 or AVX-512 at run time; the
#                      baselines are plain -O2 code (SSE2)
#   ctgrad_bench_sse2  everything on SSE2: the same instruction set
#   bash bench/ratios.sh [filter]     e.g. bash bench/ratios.sh 'W2|W3'
# `*/ctgrad` is train_step as a user calls it (non-finite steps checked and
# skipped); `*/ctgrad_unchecked` is nn::unchecked (with SGD: the update fused
# into the kernel); `*/ctgrad_adam*` the same with Adam.
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-.}
# A binary its build would remake measures another ctgrad (a header changed
# since): skipped, with the command that rebuilds it.
stale() {  # preset target
  if ! ninja -C "build/$1" -n "$2" 2>/dev/null | grep -q '^ninja: no work to do'; then
    echo "$1: $2 is not up to date, skipped (cmake --build --preset $1)"
    return 0
  fi
  return 1
}
# "name median-ns" for each benchmark of binary $1 matching the filter.  (Read
# from the console output: the CSV reporter aborts when only some of the
# benchmarks report counters, as a native build's list can begin with one.)
medians_of() {
  "$1" --benchmark_filter="$filter" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
       --benchmark_min_time=0.2 --benchmark_color=false 2>/dev/null |
    awk '$1 ~ /_median$/ { name = $1; sub(/_median$/, "", name)
                           scale = $3 == "us" ? 1e3 : $3 == "ms" ? 1e6 : $3 == "s" ? 1e9 : 1
                           print name, $2 * scale }'
}
for preset in gcc clang; do
  for binary in ctgrad_bench ctgrad_bench_sse2; do
    bench=build/$preset/bench/$binary
    [ -x "$bench" ] || { echo "$preset: not built ($bench)"; continue; }
    stale "$preset" "$binary" && continue
    label=$preset
    [ "$binary" = ctgrad_bench ] || label="$preset/sse2"
    medians_of "$bench" |
      awk -v preset="$label" '
        { t[$1] = $2 }
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

# Against baselines built the way a performance-minded user builds them
# (-O3 -march=native; CTGRAD_BENCH_NATIVE=ON, e.g. the release preset): one
# row per workload with ctgrad portable (ctgrad_bench, -O2, run-time
# dispatch; and the same with CTGRAD_INSTRUCTION_SET=avx2), ctgrad native
# (ctgrad_bench_native) and each baseline native,
# then -ffast-math baselines as a reference.  Medians of 10, the binaries
# run one after the other in this script.
for preset in gcc clang release; do
  dir=build/$preset/bench
  [ -x "$dir/ctgrad_bench_native" ] || continue
  stale "$preset" ctgrad_bench && continue
  stale "$preset" ctgrad_bench_native && continue
  medians() { medians_of "$1" | awk -v tag="$2" '{ print tag, $1, $2 }'; }
  {
    medians "$dir/ctgrad_bench" portable
    CTGRAD_INSTRUCTION_SET=avx2 medians "$dir/ctgrad_bench" avx2  # the same binary, AVX-512 copy not used
    medians "$dir/ctgrad_bench_native" native
    [ -x "$dir/ctgrad_bench_native_fastmath" ] && medians "$dir/ctgrad_bench_native_fastmath" fastmath
  } | awk -v preset="$preset" '
    { split($2, p, "/"); t[$1 "," p[1] "," p[2]] = $3; w[p[1]] = 1; if (p[2] !~ /^ctgrad/) b[p[2]] = 1 }
    END {
      split("ctgrad ctgrad_unchecked", kinds, " ")
      for (x in w) for (k in kinds) {
        c = kinds[k]; cp = t["portable," x "," c]; cn = t["native," x "," c]; ca = t["avx2," x "," c]
        if (cp == "" || cn == "") continue
        if (ca == "") ca = cp
        printf "%-8s %-4s %-16s portable %10.1f ns (AVX2 at most: %10.1f ns), native %10.1f ns\n", preset, x, c, cp, ca, cn
        for (y in b) {
          bn = t["native," x "," y]; bf = t["fastmath," x "," y]
          if (bn != "") printf "%-8s %-4s %-16s   vs %-6s -O3 -march=native %10.1f ns: portable %.3fx (AVX2 %.3fx), native %.3fx\n", preset, x, c, y, bn, cp / bn, ca / bn, cn / bn
          if (bf != "") printf "%-8s %-4s %-16s   vs %-6s + -ffast-math     %10.1f ns: portable %.3fx (AVX2 %.3fx), native %.3fx\n", preset, x, c, y, bf, cp / bf, ca / bf, cn / bf
        }
      }
    }' | sort
done
