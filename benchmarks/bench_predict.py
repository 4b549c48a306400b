"""Predict benchmark: cold start of the CLI, batch throughput against raw kiwipiepy on the same
texts (side by side, alternating rounds), and peak memory of a 10,000-article batch.

    python benchmarks/bench_predict.py [--shared ../shared/data] [--model DIR]

Without --model, a model is first trained on the shared train file (tracking off). Results go to
stdout and benchmarks/results/predict.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402

from src.config import load_taxonomy  # noqa: E402
from src.dataset import load_corpus  # noqa: E402
from src.persistence import load_model  # noqa: E402
from src.predict import BATCH_SIZE, predict_texts  # noqa: E402

ROUNDS = 3
BATCH_ARTICLES = 10_000


def train_model(corpus: Path, model_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "src.train", f"data.train={corpus / 'train.jsonl'}",
                    f"data.test={corpus / 'test.jsonl'}", f"output.model_dir={model_dir}",
                    "tracking.enabled=false"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def cold_start(model_dir: Path, article: Path) -> float:
    """Median wall seconds of `python -m src.predict one.txt` in a new process."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "src.predict", "--model", str(model_dir), str(article)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def throughput(model, pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """Articles per second: raw `Kiwi.tokenize(list)` and the whole tagger, best of alternating rounds."""
    kiwi = model[0]._kiwi()
    joined = [f"{title}\n{text}" for title, text in pairs]
    raw, ours = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for chunk in _chunks(joined):
            list(kiwi.tokenize(chunk))
        raw.append(len(pairs) / (time.perf_counter() - started))
        started = time.perf_counter()
        for chunk in _chunks(pairs):
            predict_texts(model, chunk)
        ours.append(len(pairs) / (time.perf_counter() - started))
    return max(raw), max(ours)


def batch_memory(model_dir: Path, pairs: list[tuple[str, str]], folder: Path) -> dict:
    """Peak RSS and wall time of the CLI on a JSONL batch of BATCH_ARTICLES records."""
    source, target = folder / "batch.jsonl", folder / "out.jsonl"
    write_batch(source, pairs, BATCH_ARTICLES)
    run = measure(model_dir, ["--input", str(source), "--output", str(target)], source)
    lines = sum(1 for _ in target.open(encoding="utf-8"))
    return {"articles": BATCH_ARTICLES, "exit_code": run["exit_code"], "output_lines": lines,
            "peak_rss_mb": run["peak_rss_mb"], "wall_seconds": run["wall_seconds"],
            "articles_per_second": BATCH_ARTICLES / run["wall_seconds"]}


def write_batch(path: Path, pairs: list[tuple[str, str]], n: int) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for i, (title, text) in enumerate(islice(cycle(pairs), n)):
            stream.write(json.dumps({"uid": f"r{i}", "title": title, "text": text}, ensure_ascii=False) + "\n")


def measure(model_dir: Path, args: list[str], source: Path) -> dict:
    """Run the predict CLI under /usr/bin/time -v: exit code, peak RSS, wall time, output."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "src.predict", "--model",
                           str(model_dir), *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"input_mb": round(source.stat().st_size / 2**20, 1), "exit_code": done.returncode,
            "peak_rss_mb": round(peak_kb / 1024, 1), "wall_seconds": round(seconds, 1),
            "warnings": done.stderr.count("warning: "), "stdout": done.stdout}


def _chunks(items: list) -> list[list]:
    return [items[i:i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    taxonomy = load_taxonomy()
    test, _ = load_corpus(corpus / "test.jsonl", taxonomy.category_labels)
    pairs = list(zip(test["title"], test["text"]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_dir = args.model or folder / "model"
        if args.model is None:
            train_model(corpus, model_dir)
        article = folder / "one.txt"
        article.write_text(f"{pairs[0][0]}\n{pairs[0][1]}", encoding="utf-8")
        cold = cold_start(model_dir, article)
        model, _ = load_model(model_dir)
        raw, ours = throughput(model, pairs)
        batch = batch_memory(model_dir, pairs, folder)
    results = {
        "cold_start_seconds_median_of_5": cold,
        "raw_kiwi_articles_per_second": raw,
        "tagger_articles_per_second": ours,
        "tagger_share_of_raw_kiwi_throughput": ours / raw,
        "batch": batch,
    }
    write_results("predict", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
