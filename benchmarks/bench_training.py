"""Training benchmark: quality on the shared split, training time cold and with tokens cached,
what the default model (trained on the bundled corpus only) scores on the shared test file (also
on its headlines alone), and what the bundled corpus adds when trained on together with the
shared train file.

    python benchmarks/bench_training.py [--shared ../shared/data] [--no-track]

Each training is a real `python -m src.train` run (logged to MLflow unless --no-track), timed
wall-clock from the outside. Results go to stdout and benchmarks/results/training.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402

from src.config import SAMPLE_CORPUS  # noqa: E402
from src.evaluate import evaluate_model  # noqa: E402
from src.persistence import load_card, load_model  # noqa: E402
from src.predict import predict_texts  # noqa: E402


def train(overrides: list[str], track: bool) -> tuple[float, dict]:
    """Run `python -m src.train` with overrides; wall seconds and the model card it wrote."""
    args = [sys.executable, "-m", "src.train", *overrides]
    if not track:
        args.append("tracking.enabled=false")
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    model_dir = next(o.split("=", 1)[1] for o in overrides if o.startswith("output.model_dir="))
    return seconds, load_card(Path(model_dir))


def headline_accuracy(model_dir: Path, test_file: Path) -> float:
    """Municipality accuracy when the model reads each test article's title alone."""
    model, _ = load_model(model_dir)
    records = [json.loads(line) for line in test_file.open(encoding="utf-8")]
    tagged = predict_texts(model, [(record["title"], "") for record in records])
    return sum(t["municipality"] == r["municipality"] for t, r in zip(tagged, records)) / len(records)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-track", action="store_true")
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    track = not args.no_track
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        split = [f"data.train={corpus / 'train.jsonl'}", f"data.test={corpus / 'test.jsonl'}",
                 f"data.cache_dir={tmp / 'cache'}"]
        cold_s, card = train([*split, f"output.model_dir={tmp / 'cold'}"], track)
        warm_s, warm_card = train([*split, f"output.model_dir={tmp / 'warm'}", "model.category.C=0.5"], track)
        default_s, _ = train([f"output.model_dir={tmp / 'default'}"], track)
        both = json.dumps([str(corpus / "train.jsonl"), str(SAMPLE_CORPUS)])  # JSON is YAML
        _, both_card = train([f"data.train={both}", *split[1:],
                              f"output.model_dir={tmp / 'both'}"], track)
        default = evaluate_model(str(tmp / "default"), corpus / "test.jsonl", track=track)
        default["municipality_accuracy_headlines"] = headline_accuracy(tmp / "default", corpus / "test.jsonl")

    m = card["metrics"]
    results = {
        "shared_split": {k: m[k] for k in (
            "category_macro_f1", "category_accuracy", "category_accuracy_with_alt",
            "category_calibration_error", "low_confidence_share_of_none", "low_confidence_share_of_errors",
            "low_confidence_share_of_correct", "municipality_accuracy")},
        "train_cold_wall_seconds": cold_s,
        "train_cold_fit_seconds": m["train_seconds"],
        "retrain_cached_wall_seconds": warm_s,
        "retrain_cached_fit_seconds": warm_card["metrics"]["train_seconds"],
        "retrain_cached_macro_f1_C0.5": warm_card["metrics"]["category_macro_f1"],
        "default_model_train_wall_seconds": default_s,
        "default_model_on_shared_test": {k: default[k] for k in (
            "category_macro_f1", "category_accuracy_with_alt", "municipality_accuracy",
            "municipality_accuracy_headlines")},
        "shared_train_plus_bundled": {k: both_card["metrics"][k] for k in (
            "category_macro_f1", "category_accuracy_with_alt", "municipality_accuracy")},
    }
    write_results("training", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
