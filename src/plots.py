"""Figures for run reports. Hangul labels render through the bundled Korean font."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import koreanize_matplotlib  # noqa: F401  (registers the Korean font on import)
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str],
                          names: dict[str, str], path: Path) -> Path:
    """Row-normalised confusion matrix with counts, labelled `행정·자치 (admin)` etc."""
    plt = _pyplot()
    counts = confusion_matrix(y_true, y_pred, labels=list(labels))
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    ticks = [f"{names.get(label, label)} ({label})" for label in labels]
    fig, ax = plt.subplots(figsize=(9, 8))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(counts):
        if count:
            ax.text(col, row, str(count), ha="center", va="center",
                    color="white" if shares[row, col] > 0.5 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), ticks, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), ticks)
    ax.set_xlabel("예측 (predicted)")
    ax.set_ylabel("정답 (true)")
    ax.set_title("분류 혼동 행렬 (confusion matrix)")
    return _save(fig, path)


def plot_reliability(centres: np.ndarray, accuracy: np.ndarray, share: np.ndarray, path: Path) -> Path:
    """Accuracy against stated confidence per bin (empty bins as NaN), and the share of answers."""
    plt = _pyplot()
    width = centres[1] - centres[0]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="완벽한 보정 (perfect)")
    top.bar(centres, np.nan_to_num(accuracy), width=width, edgecolor="black", alpha=0.7,
            label="정확도 (accuracy)")
    top.set_ylabel("정확도 (accuracy)")
    top.set_title("신뢰도 보정 (reliability)")
    top.legend(loc="upper left")
    bottom.bar(centres, share, width=width, edgecolor="black")
    bottom.set_xlabel("예측 확률 (confidence)")
    bottom.set_ylabel("비율 (share)")
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path
