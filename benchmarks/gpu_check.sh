#!/usr/bin/env bash
# Issue 17: a `scaffold --gpu` image built, started on the GPU and measured, on a machine with an
# NVIDIA GPU, its driver and the NVIDIA Container Toolkit (`docker run --gpus all` works).
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      (default benchmarks/results/gpu_check)
#
# It writes a small torch.export model (an MLP, 256 -> 1024 -> 1024 -> 10), scaffolds it with
# --gpu for docker, builds the image (pulls the CUDA base and PyPI's CUDA torch: needs the
# network), starts it with --gpus all, checks that the model runs on cuda (the model's metadata,
# the server process in nvidia-smi, torch inside the container), and measures /predict with wrk
# (else `deploy-advisor loadtest`). OUT_DIR/gpu_check.md holds what it found; commit that.
# Without a GPU it says so and exits 4 (a missing environment, as deploy-advisor's exit codes).
set -euo pipefail

OUT=${1:-benchmarks/results/gpu_check}
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-32}

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu_check: no NVIDIA GPU here (nvidia-smi is not installed); run it on a machine with" \
       "an NVIDIA GPU, its driver and the NVIDIA Container Toolkit" >&2
  exit 4
fi
if ! GPUS=$(nvidia-smi -L 2>/dev/null) || [ -z "$GPUS" ]; then
  echo "gpu_check: nvidia-smi finds no GPU (is the driver loaded?); run it on a machine with" \
       "an NVIDIA GPU" >&2
  exit 4
fi
command -v docker >/dev/null || { echo "gpu_check: docker is not installed" >&2; exit 4; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
TAG="deploy-advisor-gpu-check:$(date +%s)"
NAME="deploy-advisor-gpu-check-$$"
cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "gpu_check: $GPUS"
"$PYTHON" - "$WORK/mlp.pt2" <<'EOF'
import sys

import torch

torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Linear(256, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
    torch.nn.Linear(1024, 10),
).eval()
batch = torch.export.Dim("batch", min=1, max=1024)
program = torch.export.export(net, (torch.randn(4, 256),), dynamic_shapes=({0: batch},))
torch.export.save(program, sys.argv[1])
EOF

"$PYTHON" -m deploy_advisor scaffold --model "$WORK/mlp.pt2" --target docker --gpu \
  -o "$WORK/scaffold"
docker build -t "$TAG" "$WORK/scaffold"
docker run -d --name "$NAME" --gpus all -p 127.0.0.1::8000 "$TAG" >/dev/null
PORT=$(docker port "$NAME" 8000/tcp | head -n1 | sed 's/.*://')
URL="http://127.0.0.1:$PORT"

started=$(date +%s)
until curl -fsS "$URL/readyz" >/dev/null 2>&1; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" != "true" ]; then
    docker logs "$NAME" | tail -n 20 >&2
    echo "gpu_check: the server stopped before it was ready (log above)" >&2
    exit 1
  fi
  if [ $(( $(date +%s) - started )) -gt 300 ]; then
    echo "gpu_check: not ready after 300 s" >&2
    exit 1
  fi
  sleep 1
done
ready_s=$(( $(date +%s) - started ))

device=$(curl -fsS "$URL/v2/models/mlp" | "$PYTHON" -c \
  'import json, sys; print(json.load(sys.stdin)["parameters"].get("device", "unknown"))')
torch_line=$(docker exec "$NAME" python -c \
  'import torch; print(torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0))')
apps=$(nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader || true)
case "$device" in
  cuda*) ;;
  *) echo "gpu_check: the model runs on '$device', not cuda" >&2; exit 1 ;;
esac
if [ -z "$apps" ]; then
  echo "gpu_check: nvidia-smi shows no process on the GPU" >&2
  exit 1
fi

body=$("$PYTHON" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[0]))' \
  "$WORK/scaffold/samples/payloads.json")
curl -fsS -X POST "$URL/predict" -H 'Content-Type: application/json' -d "$body" >/dev/null
if command -v wrk >/dev/null; then
  printf '%s' "$body" > "$WORK/body.json"
  cat > "$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/body.json") wrk.body = f:read("*a") f:close()
EOF
  measured=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/post.lua" \
    "$URL/predict")
  tool="wrk -t2 -c$CONNECTIONS -d$DURATION --latency (POST /predict, one sample body)"
else
  measured=$("$PYTHON" -m deploy_advisor loadtest --url "$URL" \
    --payloads "$WORK/scaffold/samples/payloads.json" --users "$CONNECTIONS" \
    --duration "$DURATION" --out "$WORK/loadtest" --force)
  tool="deploy-advisor loadtest --users $CONNECTIONS --duration $DURATION"
fi

{
  echo "# GPU check ($(date -u +%F))"
  echo
  echo "Command: \`bash benchmarks/gpu_check.sh\` on a machine with:"
  echo
  echo '```'
  echo "$GPUS"
  nvidia-smi --query-gpu=driver_version,memory.total --format=csv
  echo '```'
  echo
  echo "- image: \`$TAG\` from \`scaffold --gpu --target docker\` (base $(grep -m1 '^ARG BASE_IMAGE=' \
    "$WORK/scaffold/Dockerfile" | cut -d= -f2-))"
  echo "- ready ${ready_s} s after \`docker run --gpus all\`"
  echo "- model device (metadata): $device; torch in the container: $torch_line"
  echo "- processes on the GPU (nvidia-smi): $apps"
  echo
  echo "Measured with $tool:"
  echo
  echo '```'
  echo "$measured"
  echo '```'
} > "$OUT/gpu_check.md"
cat "$OUT/gpu_check.md"
