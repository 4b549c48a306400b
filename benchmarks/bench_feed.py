"""Feed benchmark: how long a record piped into `python -m src.predict --input -` waits for its
answer, when records trickle in one at a time and when they come in a burst.

    python benchmarks/bench_feed.py [--shared ../shared/data] [--model DIR] [--trickle 40] [--burst 500]

The test file's articles are written to the tagger's standard input as JSON Lines; a thread reads
the answers and times each from the moment its record was written. Without --model, a model is
first trained on the shared train file (tracking off). Results go to stdout and
benchmarks/results/feed.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402
from benchmarks.bench_predict import train_model  # noqa: E402

PAUSE_SECONDS = 0.5  # between trickled records: the tagger is idle when each arrives


def feed_latencies(model_dir: Path, records: list[dict], trickle: int) -> tuple[list[float], list[float], float]:
    """Seconds from writing each record to reading its answer: the first `trickle` records one at a
    time, the rest at once; and the seconds until the tagger was ready."""
    started = time.perf_counter()
    tagger = subprocess.Popen([sys.executable, "-m", "src.predict", "--model", str(model_dir), "--input", "-"],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tagger.stderr.readline()  # its first line, naming the model, says it is ready
    ready = time.perf_counter() - started
    answered: list[float] = []
    reader = threading.Thread(target=lambda: answered.extend(time.perf_counter() for _ in tagger.stdout))
    reader.start()
    sent = []
    for n, record in enumerate(records):
        sent.append(time.perf_counter())
        tagger.stdin.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        if n < trickle:
            tagger.stdin.flush()
            while len(answered) <= n:
                time.sleep(0.001)
            time.sleep(PAUSE_SECONDS)
    tagger.stdin.close()
    reader.join()
    if tagger.wait() != 0 or len(answered) != len(records):
        raise SystemExit(f"the tagger answered {len(answered)} of {len(records)} records (exit {tagger.returncode})")
    waits = [done - start for start, done in zip(sent, answered)]
    return waits[:trickle], waits[trickle:], ready


def summary(waits: list[float]) -> dict[str, float]:
    ordered = sorted(waits)
    return {"records": len(waits), "median_ms": 1000 * statistics.median(ordered),
            "p90_ms": 1000 * ordered[int(0.9 * (len(ordered) - 1))], "max_ms": 1000 * ordered[-1]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--trickle", type=int, default=40)
    parser.add_argument("--burst", type=int, default=500)
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    lines = (corpus / "test.jsonl").read_text(encoding="utf-8").splitlines()
    records = [{key: json.loads(line)[key] for key in ("uid", "title", "text")}
               for line in lines[:args.trickle + args.burst]]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or Path(tmp) / "model"
        if args.model is None:
            train_model(corpus, model_dir)
        trickled, burst, ready = feed_latencies(model_dir, records, args.trickle)
    write_results("feed", {"ready_seconds": ready, "first_record_ms": 1000 * trickled[0],
                           "trickle": summary(trickled[1:]), "burst": summary(burst)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
