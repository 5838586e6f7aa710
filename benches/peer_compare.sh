#!/usr/bin/env bash
# The peer comparison: attain's engine against ../shared/peers/numpy_mc.py on
# the same workload and number of paths, in one run, reported as ratios.
#   bash benches/peer_compare.sh [PATHS]        (default 1000000)
# Needs python3 with numpy (pip install numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
paths=${1:-1000000}
cargo build --release --example peer_workload >/dev/null 2>&1
bin=target/release/examples/peer_workload
numpy() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 ../shared/peers/numpy_mc.py --paths "$paths" "$@"; }
wall() { python3 -c 'import json,sys; print(json.load(sys.stdin)["wall_s"])'; }
# Best of 3: the least disturbed run. Each run's output is read only after it
# ends: piping it into python3 would start an interpreter on the second core
# while the run uses both (about 35 ms lost on 2 threads here).
best() {
  local b="" out t
  for _ in 1 2 3; do
    out=$("$@"); t=$(wall <<<"$out"); b=$(python3 -c "print(min(x for x in [$t${b:+,$b}]))")
  done
  echo "$b"; }
normals=$(best $bin --paths "$paths" --normals-only)
normals1=$(best $bin --paths "$paths" --normals-only --threads 1)
for w in W1 W2; do
  flag=""; [ "$w" = W2 ] && flag="--correlated"
  np=$(best numpy $flag)
  one=$(best $bin --paths "$paths" $flag --threads 1)
  two=$(best $bin --paths "$paths" $flag --threads 2)
  fan=$(best $bin --paths "$paths" $flag --threads 2 --fan)
  python3 - "$w" "$np" "$one" "$two" "$fan" "$normals" "$normals1" <<'PY'
import sys
w, np_, one, two, fan, nrm, nrm1 = sys.argv[1], *map(float, sys.argv[2:])
print(f"{w}: numpy {np_:.3f}s | attain 1 thread {one:.3f}s, 2 threads {two:.3f}s, with fan {fan:.3f}s | "
      f"speed-up vs numpy {np_/two:.1f}x | 2 vs 1 thread {one/two:.2f}x | vs normals alone {two/nrm:.2f}x (1 thread {one/nrm1:.2f}x)")
PY
done
