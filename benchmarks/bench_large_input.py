"""Large-input benchmark: peak memory and time of `python -m src.predict` on a 50 MB article
(with line breaks, and on one line), a batch holding one 50 MB record, and a 100,000-record
JSONL batch. The bound is the predict issue's: peak RSS at most 600 MB.

    python benchmarks/bench_large_input.py [--shared ../shared/data] [--model DIR] [--records N]

Texts are the shared test articles, repeated. Without --model, a model is first trained on the
shared train file (tracking off). Results go to stdout and benchmarks/results/large_input.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402
from benchmarks.bench_predict import measure, train_model, write_batch  # noqa: E402

from src.config import load_taxonomy  # noqa: E402
from src.dataset import load_corpus  # noqa: E402

BOUND_MB = 600
ARTICLE_BYTES = 50 * 1024 * 1024
RECORDS = 100_000


def write_article(path: Path, pairs: list[tuple[str, str]], separator: str) -> None:
    """A title line, then article texts joined by `separator` until the file has ARTICLE_BYTES."""
    with path.open("w", encoding="utf-8") as stream:
        stream.write(pairs[0][0] + "\n")
        for _, text in cycle(pairs):
            if stream.tell() >= ARTICLE_BYTES:
                return
            stream.write(text + separator)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--records", type=int, default=RECORDS)
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    test, _ = load_corpus(corpus / "test.jsonl", load_taxonomy().category_labels)
    pairs = list(zip(test["title"], test["text"]))
    results: dict = {"bound_peak_rss_mb": BOUND_MB}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_dir = args.model or folder / "model"
        if args.model is None:
            train_model(corpus, model_dir)
        for name, separator in (("article_50mb", "\n"), ("article_50mb_one_line", " ")):
            article = folder / f"{name}.txt"
            write_article(article, pairs, separator)
            run = measure(model_dir, ["--json", str(article)], article)
            run["tagged"] = sum(1 for line in run.pop("stdout").splitlines() if '"category"' in line)
            results[name] = run
        one_record = folder / "one_record.jsonl"
        write_batch(one_record, [(pairs[0][0], (folder / "article_50mb.txt").read_text(encoding="utf-8"))], 1)
        results["batch_one_50mb_record"] = _batch(model_dir, one_record, folder, 1)
        batch = folder / "batch.jsonl"
        write_batch(batch, pairs, args.records)
        results[f"batch_{args.records}_records"] = _batch(model_dir, batch, folder, args.records)
    runs = [r for r in results.values() if isinstance(r, dict)]
    results["all_within_bound"] = all(r["peak_rss_mb"] <= BOUND_MB for r in runs)
    write_results("large_input", results)
    return 0 if results["all_within_bound"] else 1


def _batch(model_dir: Path, source: Path, folder: Path, n: int) -> dict:
    target = folder / "out.jsonl"
    run = measure(model_dir, ["--input", str(source), "--output", str(target)], source)
    del run["stdout"]
    with target.open(encoding="utf-8") as stream:
        lines = [json.loads(line) for line in stream]
    run |= {"records": n, "output_lines": len(lines), "tagged": sum("category" in r for r in lines),
            "articles_per_second": round(n / run["wall_seconds"], 1)}
    return run


if __name__ == "__main__":
    sys.exit(main())
