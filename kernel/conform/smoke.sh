#!/bin/sh
# Conformance smoke for CI (`npm run conform:smoke`, after `npm run build` and
# `npm run kernel:setup`): generated scripts on both Debian kernels, at least
# 200 hugetlb and 50 THP scripts per kernel, in about 4 minutes on 2 cores
# (hugetlb: ~25 s per 100 scripts per kernel under TCG, plus the boots).
#
# The seed is fixed so CI runs the same scripts every time (set CONFORM_SEED
# to explore others; the seed is printed either way). CI fails when the
# implementation does not model a kernel (kernel-vs-model, model-error: exit 1),
# or when a boot fails or scripts cannot be run (exit 3). Disagreements where
# kernel and implementation agree against the spec are kernel bugs the model
# predicts: reported in full, not a CI failure (--fail-on diverged).
set -u
cd "$(dirname "$0")/../.."
SEED="${CONFORM_SEED:-20261205}"
OUT="${CONFORM_OUT:-traces/out/conform-smoke}"
status=0
smoke() {
  node bin/mmcheck.js conform "$@" --kernel 6.1 --kernel 6.12 --seed "$SEED" --fail-on diverged \
    --max-shrinks 2 --shrink-boots 6 --out "$OUT" || status=1
}
# Arguments: the subsystems to run (default: hugetlb thp). A subsystem without a kernel mapping fails.
for sub in ${*:-hugetlb thp}; do
  case "$sub" in
    hugetlb) runs=200 ;;
    *) runs=50 ;;
  esac
  if node -e "import('./dist/subsystems/probes.js').then((m) => process.exit(m.kernelMappings['$sub'] ? 0 : 1))"; then
    smoke "$sub" --runs "$runs"
  else
    echo "conform $sub: NOT RUN: subsystems/$sub has no op->C mapping (subsystems/probes.ts) yet"
    status=1
  fi
done
exit "$status"
