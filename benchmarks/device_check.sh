#!/usr/bin/env bash
# The one script for a GPU machine: CUDA tests, the GPU layer benchmark, a short Fashion-MNIST run and a one-rank
# nccl training run, in one call.  Full logs go to the folder given as $1 (default: $OUT or ./device-logs); a
# short table is printed last.  Runs from the checkout without installing (PYTHONPATH=.), so the machine's own
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

# 4. Dendritic microcircuit (issue 12) on Fashion-MNIST, 784-500-500-10 tanh, steady-state mode, next to BP on the
#    same network and budget (BENCHMARKS.md "Dendritic microcircuits": CPU 85.6% vs 88.8% after 10 epochs).
#    DENDRITIC_SUBSET=N trains on the first N images only (a CPU dry run of this script).
t0=$SECONDS
if [ -d "$FASHION" ]; then
  "$PY" - "$DEV" "$FASHION" "${FASHION_EPOCHS:-3}" "${DENDRITIC_SUBSET:-0}" >"$LOG/dendritic.txt" 2>&1 <<'PYEOF'
import sys, time
import torch
from nets import Dataset, SparseMLP, load_dataset, train
dev, root, epochs, subset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ds = load_dataset("fashion-mnist", root=root)
if subset:
    ds = Dataset.from_arrays(ds.X_train[:subset].numpy(), ds.y_train[:subset].numpy(),
                             ds.X_test[:subset].numpy(), ds.y_test[:subset].numpy())
for rule in ("bp", "dendritic"):
    torch.manual_seed(0)
    net = SparseMLP([784, 500, 500, 10], activation="tanh")
    t = time.perf_counter()
    res = train(net, rule, ds, epochs=epochs, lr=3e-4, batch_size=64, device=dev, seed=0, progress=False)
    dt = time.perf_counter() - t
    last = res.history[-1]
    extra = "" if rule == "bp" else (f" mismatch {last['interneuron_mismatch']:.1e}, angles to BP "
                                     + ", ".join(f"{a:.0f}" for a in last["angles_to_bp"][:-1]) + " deg")
    print(f"RESULT {rule}: {100 * res.final_test_accuracy:.1f}% in {dt:.1f} s ({dt / epochs:.2f} s/epoch){extra}")
PYEOF
  rc=$?
  res=$(grep "^RESULT" "$LOG/dendritic.txt" | sed 's/^RESULT //' | paste -sd ';' -)
  ROWS+=("| Fashion-MNIST 784-500-500-10 tanh, bp vs dendritic, ${FASHION_EPOCHS:-3} epochs | rc=$rc: ${res:-see dendritic.txt} | $((SECONDS - t0)) s |")
else
  ROWS+=("| dendritic on Fashion-MNIST | skipped: $FASHION not found | 0 s |")
fi

# 5. Distributed training on the device (issue 14): nccl on CUDA (gloo on the CPU), one rank, since the lent
#    machine has one GPU and nccl wants one per rank: data-parallel BP and layer-pipelined predsim against one
#    process on the same device (the backend's collectives run; the weights should agree to float rounding).
t0=$SECONDS
# (a file, not stdin: the spawned worker re-imports the main script)
cat >"$LOG/distributed_check.py" <<'PYEOF'
import sys
import torch
from nets import SparseMLP, load_dataset, train
from nets.distributed import launch
if __name__ == "__main__":
    dev = sys.argv[1]
    ds = load_dataset("digits", seed=0)
    for mode, rule in (("data", "bp"), ("layer-pipelined", "predsim")):
        ref, net = (SparseMLP([64, 256, 256, 10], seed=0).to(dev) for _ in range(2))
        r1 = train(ref, rule, ds, epochs=2, batch_size=64, seed=3, progress=False, device=dev)
        r2 = launch(1, net, rule, ds, mode=mode, epochs=2, batch_size=64, seed=3, progress=False, device=dev,
                    timeout_s=300)
        diff = max(float((a.double().cpu() - b.double().cpu()).abs().max())
                   for a, b in zip(ref.state_dict().values(), net.state_dict().values()))
        backend = "nccl" if torch.device(dev).type == "cuda" else "gloo"
        print(f"RESULT {mode} {rule} on {backend}: max weight diff {diff:.1e}, test accuracy "
              f"{100 * r2.final_test_accuracy:.1f}% vs {100 * r1.final_test_accuracy:.1f}% in one process")
PYEOF
"$PY" "$LOG/distributed_check.py" "$DEV" >"$LOG/distributed.txt" 2>&1
rc=$?
res=$(grep "^RESULT" "$LOG/distributed.txt" | sed 's/^RESULT //' | paste -sd ';' -)
ROWS+=("| distributed, 1 rank: data bp, layer-pipelined predsim | rc=$rc: ${res:-see distributed.txt} | $((SECONDS - t0)) s |")

echo
echo "device check on: $GPU (logs in $LOG)"
echo "| step | result | time |"
echo "|---|---|---|"
printf '%s\n' "${ROWS[@]}"
