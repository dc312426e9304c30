#!/usr/bin/env bash
# Build the whole style library on a lent GPU (the device tool's H200), in one command:
#   here:   python scripts/gpu_pack.py        # .gpu/: data at 256 px + the two packages the image lacks
#   device: run(command="bash scripts/gpu_library.sh", carry=[".gpu"], timeout_s=600)
# It trains configs/library/painterly.yaml bigger than the CPU run (batch 16, 256 px crops, 4,000 steps,
# bf16; sized for about 8 minutes, not yet run on a GPU) and writes every style's ONNX, the run's metrics
# and the last sample grid to $OUT. `make library-gpu-check` runs this same script on the CPU at tiny size.
set -euo pipefail
source "$(dirname "$0")/gpu_env.sh"
OUT=${OUT:-runs/gpu-out}
RUN=${RUN:-/tmp/library-gpu}
mkdir -p "$OUT"
if [ "${TINY:-0}" = 1 ]; then
  SIZE=(--tiny --set train.device=cpu)
else
  SIZE=(--set train.device=cuda --set train.amp=bf16 --set data.batch_size=16 --set train.steps=4000
        --set train.adv_start=800 --set train.adv_ramp=800 --set train.checkpoint_every=500
        --set train.sample_every=2000 --set train.threads=0 --set data.workers=8 --set train.log_every=100)
fi
timeout "${BUDGET_S:-540}" "$PY" scripts/build_library.py --run "$RUN" --data .gpu/data --no-progress "${SIZE[@]}" \
  || echo "training stopped by the budget (a checkpoint is kept; exporting the last one)"
"$PY" scripts/build_library.py --run "$RUN" --data .gpu/data --export-only --out "$OUT/styles" --overwrite
cp "$RUN/metrics.jsonl" "$OUT/" 2>/dev/null || true
ls "$RUN"/samples/*.png 2>/dev/null | tail -1 | xargs -r -I{} cp {} "$OUT/last_samples.png"
# at most 8 files come back: pack the styles into one archive
tar -C "$OUT" -czf "$OUT/styles.tgz" styles && rm -rf "$OUT/styles"
ls -la "$OUT"
