#!/usr/bin/env bash
# The one script for a GPU machine: CUDA tests, the GPU layer benchmark and a short Fashion-MNIST run,
# in one call.  Full logs go to the folder given as $1 (default: $OUT or ./device-logs); a short table
# is printed last.  Runs from the checkout without installing (PYTHONPATH=.), so the machine's own
# torch (2.11 on the lent GPUs) is used.
#
#   bash benchmarks/device_check.sh "$OUT"            # on the device machine
#   SMALLWORLD_FASHION_DIR=/path/to/fashion-mnist bash benchmarks/device_check.sh logs
#
# Fashion-MNIST: the Debian package dataset-fashion-mnist installs it under
# /usr/share/datasets/fashion-mnist/; on a machine without apt, copy those four .gz files into a
# folder of the checkout and point SMALLWORLD_FASHION_DIR at it.  Without it that step is skipped
# (and says so in the table).
set -uo pipefail
cd "$(dirname "$0")/.."
LOG="${1:-${OUT:-./device-logs}}"
mkdir -p "$LOG"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
DEV="${SMALLWORLD_CHECK_DEVICE:-cuda}"  # cpu only to dry-run this script on a machine without a GPU
declare -a ROWS

"$PY" - <<'PYEOF' 2>&1 | tee "$LOG/env.txt"
import torch, platform
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
PYEOF
GPU=$("$PY" -c "import torch;print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none')" 2>/dev/null)

# 1. CUDA tests: every test parametrised by the `device` fixture, cuda cases only.
t0=$SECONDS
"$PY" -m pytest -q -p no:cacheprovider tests/nets -k "cuda" -o addopts="" >"$LOG/cuda_tests.txt" 2>&1
rc=$?
summary=$(tail -n 1 "$LOG/cuda_tests.txt")
ROWS+=("| CUDA tests (tests/nets -k cuda) | rc=$rc: $summary | $((SECONDS - t0)) s |")

# 2. Layer benchmark on the GPU: SparseLinear vs dense nn.Linear, 4096x4096, batch 256.
t0=$SECONDS
"$PY" benchmarks/bench_layer.py --device "$DEV" --repeats 20 >"$LOG/bench_layer_cuda.md" 2>&1
rc=$?
best=$(grep -E "^\| *0\.01 " "$LOG/bench_layer_cuda.md" | head -n 1)
best="${best//|/ }"  # the row's own pipes would split the cell
ROWS+=("| layer bench, density 0.01 row | rc=$rc: ${best:-see bench_layer_cuda.md} | $((SECONDS - t0)) s |")

# 3. Short Fashion-MNIST run (Nokland & Eidnes mlp 3x1024 recipe, few epochs): predsim and BP.
FASHION="${SMALLWORLD_FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
for rule in bp predsim; do
  t0=$SECONDS
  if [ -d "$FASHION" ]; then
    rm -rf "$LOG/fashion_$rule"
    "$PY" -m smallworld train --data "$FASHION" --wiring dense --hidden 1024,1024,1024 --rule "$rule" \
      --epochs "${FASHION_EPOCHS:-3}" --batch-size 128 --lr 5e-4 --device "$DEV" --seed 0 --no-progress \
      --out "$LOG/fashion_$rule" >"$LOG/fashion_$rule.txt" 2>&1
    rc=$?
    acc=$(grep -iE "final test accuracy" "$LOG/fashion_$rule.txt" | tail -n 1)
    ROWS+=("| Fashion-MNIST mlp 3x1024, $rule, ${FASHION_EPOCHS:-3} epochs | rc=$rc: ${acc:-see fashion_$rule.txt} | $((SECONDS - t0)) s |")
  else
    ROWS+=("| Fashion-MNIST $rule | skipped: $FASHION not found | 0 s |")
  fi
done

echo
echo "device check on: $GPU (logs in $LOG)"
echo "| step | result | time |"
echo "|---|---|---|"
printf '%s\n' "${ROWS[@]}"
