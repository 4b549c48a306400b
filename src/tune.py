"""`python -m src.tune SWEEP.yaml [key=value ...]`: try many settings, compare them in MLflow.

A sweep file names `params.yaml` entries and the values to try:

    method: grid            # grid: every combination; random: `trials` of them, drawn with `seed`
    trials: 12
    seed: 0
    params:
      model.category.C: [0.1, 0.3, 1.0]
      features.char_ngram: [null, [2, 3]]

Each configuration is trained on the data of the base settings (params.yaml plus the command
line's overrides) and scored on its test articles, as one child run under a parent run that
holds the comparison table. Tokenized articles are cached, so only the first child pays for
kiwipiepy. Children log params and metrics, not models: train the winner with `python -m src.train`.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Sequence

import yaml

from src.config import PARAMS_FILE, Params, RankingMetric, load_params, load_settings, load_taxonomy
from src.cli import Once, run
from src.errors import ConfigError
from src.gazetteer import load_gazetteer
from src.train import fit_and_score, load_data

log = logging.getLogger("src.tune")


@dataclass(frozen=True)
class SweepSettings:
    """A sweep file as written."""

    params: dict = field(default_factory=dict)
    method: Literal["grid", "random"] = "grid"
    trials: Optional[int] = None  # method random: how many configurations (default 12)
    seed: int = 0
    metric: Optional[RankingMetric] = None  # defaults to the params' tracking.champion_metric

    def __post_init__(self):
        if not self.params or not all(isinstance(v, list) and v for v in self.params.values()):
            raise ConfigError("'params' must map params.yaml keys to non-empty lists of values")
        if self.trials is not None and self.method != "random":
            raise ConfigError("trials goes with method: random (a grid runs every configuration)")
        if self.trials is not None and self.trials < 1:
            raise ConfigError(f"trials: {self.trials} is not a number of configurations")


@dataclass(frozen=True)
class Sweep:
    grid: dict[str, list[Any]]
    metric: str | None = None
    configurations: list[dict[str, Any]] = field(default_factory=list)
    source: Path | None = None  # the sweep file, named in errors


@dataclass
class SweepResult:
    rows: list[dict]  # one per configuration, best first
    table: str  # the same as a Markdown table


def load_sweep(path: Path) -> Sweep:
    """Read and check a sweep file; the configurations are worked out here."""
    settings = load_settings(SweepSettings, path)
    grid = settings.params
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    if settings.method == "random":
        combos = random.Random(settings.seed).sample(combos, min(settings.trials or 12, len(combos)))
    return Sweep(grid, settings.metric, combos, path)


def run_sweep(sweep: Sweep, base_params: Path, base_overrides: Sequence[str], track: bool = True) -> SweepResult:
    """Train and score every configuration, ranked by the sweep's metric."""
    swept = {key for config in sweep.configurations for key in config}
    both = sorted(swept & {override.partition("=")[0].strip() for override in base_overrides})
    if both:
        raise ConfigError(f"{both[0]} is set on the command line and swept by {sweep.source or 'the sweep'}: "
                          "give it in one place")
    base = load_params(base_params, base_overrides)
    try:  # every configuration checked before any runs
        configured = [(config, load_params(base_params, [*base_overrides, *_as_overrides(config)]))
                      for config in sweep.configurations]
    except ConfigError as exc:
        raise ConfigError(f"{sweep.source or 'sweep'}: {exc}") from None
    metric = sweep.metric or base.tracking.champion_metric
    taxonomy, gazetteer = load_taxonomy(), load_gazetteer()
    train_frame, test_frame, _ = load_data(base, taxonomy, gazetteer)
    tracker = _tracker(base, track, len(configured))
    rows = []
    try:
        for number, (config, params) in enumerate(configured, start=1):
            fitted = fit_and_score(params, taxonomy, gazetteer, train_frame, test_frame)
            rows.append({**{k: _show(v) for k, v in config.items()}, **fitted.metrics})
            log.info("%d/%d %s: %s %.4f", number, len(configured), _describe(config), metric, fitted.metrics[metric])
            tracker.child(_describe(config), params, fitted.metrics)
    except BaseException as exc:  # the parent run must not look finished
        tracker.abandon(interrupted=isinstance(exc, KeyboardInterrupt))
        raise
    rows.sort(key=lambda row: row[metric], reverse=True)
    result = SweepResult(rows, comparison_table(rows, list(sweep.grid), metric))
    tracker.finish(rows, result.table, metric)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.tune", description="Run a sweep of settings.")
    parser.add_argument("sweep", type=Path, help="sweep file (YAML)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="base settings")
    parser.add_argument("--params", action=Once, type=Path, default=PARAMS_FILE, help="base settings file")
    parser.add_argument("--no-track", action="store_true", help="do not log MLflow runs")
    return run(parser, argv, _sweep_and_print)


def _sweep_and_print(args: argparse.Namespace) -> int:
    print(run_sweep(load_sweep(args.sweep), args.params, args.overrides, track=not args.no_track).table)
    return 0


def comparison_table(rows: list[dict], keys: list[str], metric: str) -> str:
    """Markdown table of the configurations, best first."""
    columns = list(dict.fromkeys([*keys, metric, "category_accuracy_with_alt", "municipality_accuracy",
                                  "train_seconds"]))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]:.4f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _as_overrides(config: dict[str, Any]) -> list[str]:
    return [f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"
            for key, value in config.items()]


def _describe(config: dict[str, Any]) -> str:
    return " ".join(f"{key.rsplit('.', 1)[-1]}={_show(value)}" for key, value in config.items())


def _show(value: Any) -> Any:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value


class _Untracked:
    def child(self, name: str, params: Params, metrics: dict[str, float]) -> None:
        pass

    def finish(self, rows: list[dict], table: str, metric: str) -> None:
        pass

    def abandon(self, interrupted: bool) -> None:
        pass


def _tracker(params: Params, track: bool, n_configurations: int):
    if not track or not params.tracking.enabled:
        return _Untracked()
    from src.tracking import SweepTracker, store_errors

    with store_errors("no configuration was trained", "give --no-track"):
        return SweepTracker(params.tracking.experiment, n_configurations)


if __name__ == "__main__":
    sys.exit(main())
