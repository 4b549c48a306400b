"""Sweep benchmark: the 12 configurations of benchmarks/sweep.yaml trained on the shared train
file and scored on its test file, as MLflow child runs under one parent, timed end to end.

    python benchmarks/bench_sweep.py [--shared ../shared/data]

Writes benchmarks/results/sweep.json (wall time, the ranking) and prints the comparison table.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402

from src.config import PARAMS_FILE  # noqa: E402
from src.tune import load_sweep, run_sweep  # noqa: E402



def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    corpus = args.shared / "corpus"
    sweep = load_sweep(ROOT / "benchmarks" / "sweep.yaml")
    started = time.perf_counter()
    result = run_sweep(sweep, PARAMS_FILE, [f"data.train={corpus / 'train.jsonl'}",
                                            f"data.test={corpus / 'test.jsonl'}"])
    seconds = time.perf_counter() - started
    write_results("sweep", {"configurations": len(result.rows), "wall_seconds": seconds, "ranking": result.rows})
    print(result.table)
    print(f"{len(result.rows)} configurations in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
