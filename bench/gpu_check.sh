#!/usr/bin/env bash
# Every GPU figure of issue 7 in one run, for a session that is lent a CUDA machine. Estimated at
# 9 minutes (30 benchmark processes of 4 timed seconds plus start-up, then two time-to-quality
# runs of at most 60 and 120 s); each part writes its results as it goes, so a run cut off at the
# device's 10-minute limit still returns what it measured. Nothing here has run on a GPU yet.
#
#   bash bench/gpu_check.sh [OUT]        # results in OUT (default bench/gpu)
#
# The machine needs MNIST: without internet, point GAN_PLAYGROUND_DATA_MIRROR at a copy of
# ../shared/data (its MNIST/raw/*.gz files) carried inside the repository, for example
#   echo /.data/ >> .git/info/exclude; mkdir -p .data; cp -r ../shared/data/MNIST .data/
# and run with GAN_PLAYGROUND_DATA_MIRROR=.data (device tool: carry ".data").
#
# What it measures (targets from issue 7):
#   1. bench/throughput.py --device cuda: ours against the reference loop, batch 64, every model
#      (target 10x), fp32 and bf16; writes OUT/RESULTS.md and OUT/results.json.
#   2. `gan_playground bench` at the default batch (64) for the MLP models (target 100,000 images/s).
#   3. bench/time_to_quality.py --device cuda: ACGAN to 95% conditional accuracy (target 15 s) and
#      WGAN-GP to 5x the floor FID; appends to OUT/time_to_quality.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export GAN_PLAYGROUND_DATA=${GAN_PLAYGROUND_DATA:-/tmp/gan_playground_data}

python - <<'EOF' | tee "$out/machine.txt"
import torch
assert torch.cuda.is_available(), "no CUDA GPU visible to torch"
print(torch.cuda.get_device_name(), "| torch", torch.__version__, "| CUDA", torch.version.cuda)
from gan_playground.data import load_dataset
load_dataset("mnist")  # unpack or fail here, before any timing
EOF

python bench/throughput.py --device cuda --seconds 4 --rounds 2 --bf16 --out "$out" 2>&1 | tee "$out/throughput.log"

for model in wgan wgan-gp wgan-div aae; do  # the WGANs' default arch is the MLP; the AAEs are MLPs
  python -m gan_playground bench "$model" --device cuda --seconds 4
done 2>&1 | tee "$out/default_batch.jsonl"

python bench/time_to_quality.py acgan --device cuda --max-seconds 60 --eval-every 100 \
  --log "$out/time_to_quality.jsonl" 2>&1 | tee -a "$out/time_to_quality.log" | tail -n 1
python bench/time_to_quality.py wgan-gp --device cuda --max-seconds 120 --eval-every 500 \
  --log "$out/time_to_quality.jsonl" 2>&1 | tee -a "$out/time_to_quality.log" | tail -n 1
echo "results in $out"
