"""Where benchmark scripts put their figures: benchmarks/results/NAME.json, also printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def write_results(name: str, results: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(text)
