#!/usr/bin/env bash
# Compile time and peak compiler memory against depth: one translation unit
# holding an nn::sequential MLP, 64 wide, L tanh layers, with an Adam train
# step and predict instantiated, at -O2 with g++-12 and clang++-14 (the
# issue-9 yardstick).
#   bash bench/depth_scaling.sh [depth ...]          (default: 10 20 40 80 100)
#   REPEAT=1 bash bench/depth_scaling.sh ...         (spell the net with nn::repeat)
#   RUNS=3 ...                                       (best of RUNS; default 3)
#   COMPILERS="g++-12" ...                           (default: g++-12 clang++-14)
# Prints one row per depth and compiler: wall seconds, peak RSS in MB (the
# best of RUNS; the machine is shared, the minimum is the stable figure),
# or "fail" with the first error line.
set -euo pipefail
cd "$(dirname "$0")/.."
depths=("$@")
[ ${#depths[@]} -gt 0 ] || depths=(10 20 40 80 100)
runs=${RUNS:-3}
compilers=(${COMPILERS:-g++-12 clang++-14})
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source_for() {  # depth -> a translation unit on stdout
  local depth=$1
  echo '#include <ctgrad/nn.hpp>'
  echo 'using namespace ctgrad;'
  if [ "${REPEAT:-0}" = 1 ]; then
    echo "using net = nn::sequential<64, nn::repeat<$depth, nn::dense<64, nn::tanh>>, nn::dense<10>>;"
  else
    printf 'using net = nn::sequential<64'
    for ((i = 0; i < depth; ++i)); do printf ', nn::dense<64, nn::tanh>'; done
    echo ', nn::dense<10>>;'
  fi
  cat <<'CPP'
using model = nn::model<net, nn::softmax_cross_entropy, float, 1>;
float step(model& m, std::span<const float, 64> x, std::span<const float, 10> t) {
  static auto opt = model::make_optimizer(nn::adam{.learning_rate = 1e-3});
  return m.train_step(opt, x, t).loss;
}
float first_output(model& m, std::span<const float, 64> x) { return m.predict(x)[0]; }
CPP
}

printf '%-6s %-12s %8s %8s\n' depth compiler seconds MB
for depth in "${depths[@]}"; do
  source_for "$depth" > "$tmp/depth_$depth.cpp"
  for cxx in "${compilers[@]}"; do
    best_s=; best_mb=; failed=
    for ((r = 0; r < runs; ++r)); do
      if ! /usr/bin/time -o "$tmp/time" -f "%e %M" "$cxx" -std=c++20 -O2 -Iinclude -c "$tmp/depth_$depth.cpp" \
          -o /dev/null 2> "$tmp/err"; then
        failed=$(grep -m1 'error' "$tmp/err" | cut -c1-160); break
      fi
      out=$(tail -n 1 "$tmp/time"); s=${out% *}; mb=$(( ${out#* } / 1024 ))
      if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
      if [ -z "$best_mb" ] || [ "$mb" -lt "$best_mb" ]; then best_mb=$mb; fi
    done
    if [ -n "$failed" ]; then
      printf '%-6s %-12s %8s %8s  %s\n' "$depth" "$cxx" fail - "$failed"
    else
      printf '%-6s %-12s %8s %8s\n' "$depth" "$cxx" "$best_s" "$best_mb"
    fi
  done
done
