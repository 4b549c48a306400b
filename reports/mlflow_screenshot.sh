#!/usr/bin/env bash
# The README's MLflow figure: headless Chromium photographs `mlflow ui` comparing the two latest
# training runs on the shared corpus (those of `python benchmarks/bench_training.py`).
# Needs Debian's chromium (`apt-get install chromium`). Usage: reports/mlflow_screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port=5057
.venv/bin/mlflow ui --backend-store-uri sqlite:///mlflow.db --port "$port" > /dev/null 2>&1 &
ui=$!
trap 'kill "$ui"' EXIT
query=$(.venv/bin/python - <<'PY'
import json, urllib.parse
from mlflow import MlflowClient
client = MlflowClient("sqlite:///mlflow.db")
experiment = client.get_experiment_by_name("local-news-tagger").experiment_id
runs = client.search_runs([experiment], "tags.kind = 'training' and params.`data.train` LIKE '%shared%'",
                          order_by=["attributes.start_time DESC"], max_results=2)
ids = json.dumps([r.info.run_id for r in runs])
print(f"runs={urllib.parse.quote(ids)}&experiments={urllib.parse.quote(json.dumps([experiment]))}")
PY
)
for _ in $(seq 30); do curl -fs "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d)" --window-size=1500,1300 --virtual-time-budget=20000 \
  --screenshot=reports/figures/mlflow-compare.png "http://127.0.0.1:$port/#/compare-runs?$query"
