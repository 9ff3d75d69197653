#!/usr/bin/env bash
# The speech issues' GPU checks as one script, for a lent GPU machine that has torch,
# torchaudio, pyarrow, pandas and scikit-learn but not this project's venv:
#   training throughput (tiny log-mel objectives; the paper's raw-waveform BASE recipe),
#   the ridge solver against scikit-learn and himalaya on CUDA, and longer training runs
#   judged by the held-out checks and the phone probe.
# Data comes from $CARRY (default .devcarry): en/ (an utterance/1 collection: index.json
# + shards), stimuli/*.parquet (utterance/1 with phones), whl/ (optional wheels, e.g.
# himalaya). Results go to $OUT. SCALE=small shrinks every part for a dry run on a CPU.
set -u
OUT=${OUT:-/tmp/device-checks}
CARRY=${CARRY:-.devcarry}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
export PYTHONPATH=src PYTHONUNBUFFERED=1
PY=${PY:-python3}
if compgen -G "$CARRY/whl/*.whl" > /dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$CARRY"/whl/*.whl \
        && export PYTHONPATH=src:/tmp/site
fi
if [ "${SCALE:-full}" = small ]; then
    T_STEPS=3; B_STEPS=2; B_PRESET=tiny; B_CROP=4; RIDGE="--rows 600 --vertices 2000"; L_STEPS=5
else
    T_STEPS=30; B_STEPS=20; B_PRESET=base; B_CROP=15.6; RIDGE=""; L_STEPS=${L_STEPS:-2000}
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/gpu.txt"
timeout 100 "$PY" benchmarks/training_throughput.py --corpus "$CARRY/en" --device "$DEVICE" \
    --steps "$T_STEPS" 2>&1 | tee "$OUT/throughput_tiny.txt"
timeout 130 "$PY" benchmarks/training_throughput.py --corpus "$CARRY/en" --device "$DEVICE" \
    --family waveform --preset "$B_PRESET" --objectives wav2vec2 hubert --quantizer paper \
    --mask-prob 0.65 --mask-span 10 10 --crop-seconds "$B_CROP" --steps "$B_STEPS" \
    2>&1 | tee "$OUT/throughput_base.txt"
# shellcheck disable=SC2086  # RIDGE is a list of options
timeout 110 "$PY" benchmarks/ridge_benchmark.py --device "$DEVICE" $RIDGE 2>&1 | tee "$OUT/ridge.txt"
timeout 230 "$PY" benchmarks/learning_at_scale.py --corpus "$CARRY/en" \
    --stimuli "$CARRY"/stimuli/*.parquet --steps "$L_STEPS" --device "$DEVICE" \
    --out "$OUT/learning.json" 2>&1 | tee "$OUT/learning.txt"
