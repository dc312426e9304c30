#!/usr/bin/env bash
# A sweep of library variants on a lent GPU, all at once on the one chip, in one command:
#   here:   python scripts/gpu_pack.py        # .gpu/: data + the packages the device image lacks
#   device: run(command="bash scripts/gpu_sweep.sh", carry=[".gpu"], timeout_s=590)
# Every variant continues the shipped library (configs/library/gpu_continue.yaml: each row starts
# from its shipped tables) at batch 16, for MINUTES of training time each, in parallel processes;
# then each is exported and packed as $OUT/<variant>.tgz (styles, metrics, last sample grid, log).
# Compare them on the CPU afterwards: unpack, then `huafeng eval --protocol heldout --styles <the .onnx
# files>` against the shipped ones (docs/styles.md). TINY=1: the same at tiny size on the CPU
# (make library-sweep-check).
set -uo pipefail
source "$(dirname "$0")/gpu_env.sh"
OUT=${OUT:-runs/gpu-sweep}
RUN=${RUN:-/tmp/library-sweep}
MINUTES=${MINUTES:-6}
RECIPE=configs/library/gpu_continue.yaml
mkdir -p "$OUT" "$RUN"
# name | overrides (on top of the recipe and COMMON)
VARIANTS=(
  "tables_c4|loss.content=4 loss.adversarial=0.1"
  "tables_c2|loss.content=2.5 loss.adversarial=0.3"
  "convs_c4|loss.content=4 loss.adversarial=0.1 model.generator_kw.train_convs=true optim.lr_convs=0.00003"
  "convs_c2|loss.content=2.5 loss.adversarial=0.3 model.generator_kw.train_convs=true optim.lr_convs=0.0001"
)
if [ "${TINY:-0}" = 1 ]; then
  COMMON=(--tiny --set train.device=cpu --set train.amp=off)
  VARIANTS=("${VARIANTS[0]}" "${VARIANTS[3]}")
else
  COMMON=(--set train.device=cuda --set train.amp=bf16 --set data.batch_size=16 --set train.steps=3000
          --set train.adv_start=0 --set train.adv_ramp=300 --set optim.lr_g=0.005 --set train.checkpoint_every=250
          --set train.sample_every=1000 --set train.threads=0 --set data.workers=3 --set train.log_every=50
          --set data.image_size=288 --set data.style_size=288)
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
pids=()
for v in "${VARIANTS[@]}"; do
  name=${v%%|*}; sets=()
  for kv in ${v#*|}; do sets+=(--set "$kv"); done
  "$PY" scripts/build_library.py --recipe "$RECIPE" --run "$RUN/$name" --data .gpu/data --no-progress \
    --minutes "$MINUTES" "${COMMON[@]}" "${sets[@]}" >"$RUN/$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || echo "a variant exited with $?"; done
for v in "${VARIANTS[@]}"; do  # exports in parallel (CPU work, one core each)
  name=${v%%|*}; mkdir -p "$RUN/pack/$name"
  CUDA_VISIBLE_DEVICES= "$PY" scripts/build_library.py --recipe "$RECIPE" --run "$RUN/$name" --data .gpu/data \
    --export-only --out "$RUN/pack/$name/styles" --overwrite >>"$RUN/$name.log" 2>&1 || echo "$name: export failed" &
done
wait
for v in "${VARIANTS[@]}"; do
  name=${v%%|*}; dir="$RUN/pack/$name"
  cp "$RUN/$name.log" "$dir/"; cp "$RUN/$name/metrics.jsonl" "$dir/" 2>/dev/null
  ls "$RUN/$name"/samples/*.png 2>/dev/null | tail -1 | xargs -r -I{} cp {} "$dir/last_samples.png"
  tail -3 "$RUN/$name.log"; tail -1 "$RUN/$name/metrics.jsonl" 2>/dev/null
  tar -C "$RUN/pack" -czf "$OUT/$name.tgz" "$name"
done
ls -la "$OUT"
