"""PNG plots a person would rather look at than read: training curve, ROC, confusion, reliability, scores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sentiment.training.calibration import reliability

POSITIVE, NEGATIVE = "#2e7d32", "#c62828"


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def training_curve(history: Sequence[dict[str, Any]], path: Path, title: str) -> Path:
    """Loss and validation accuracy per epoch, one line per branch (each is trained on its own)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for branch, style in (("wide", "s--"), ("deep", "o-")):
        rows = [h for h in history if h["branch"] == branch]
        if not rows:
            continue
        epochs = [h["epoch"] for h in rows]
        name = "n-gram branch" if branch == "wide" else "recurrent branch"
        left.plot(epochs, [h["train_loss"] for h in rows], style, label=f"{name}, train")
        left.plot(epochs, [h["val_loss"] for h in rows], style, label=f"{name}, validation")
        right.plot(epochs, [100 * h["val_accuracy"] for h in rows], style, label=name)
    left.set(xlabel="epoch", ylabel="log-loss", title="loss")
    right.set(xlabel="epoch", ylabel="accuracy (%)", title="validation accuracy")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    return _save(fig, path)


def roc(fpr: np.ndarray, tpr: np.ndarray, auc: float, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, color=POSITIVE, lw=2, label=f"model (AUC {auc:.4f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve, IMDB test set")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def confusion(matrix: np.ndarray, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(matrix, cmap="Blues")
    labels = ["negative", "positive"]
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=labels, yticklabels=labels)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix, IMDB test set")
    total = matrix.sum()
    for (i, j), value in np.ndenumerate(matrix):
        colour = "white" if value > matrix.max() / 2 else "black"
        ax.text(j, i, f"{value:,}\n{value / total:.1%}", ha="center", va="center", color=colour, fontsize=12)
    return _save(fig, path)


def reliability_diagram(scores: np.ndarray, labels: np.ndarray, ece: float, path: Path) -> Path:
    mean_score, observed, counts = reliability(scores, labels)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    keep = counts > 0
    ax.plot(mean_score[keep], observed[keep], "o-", color=POSITIVE, label=f"model (ECE {ece:.4f})")
    ax.bar(np.linspace(0.05, 0.95, len(counts)), counts / counts.sum(), width=0.09, alpha=0.2, label="share of reviews")
    ax.set(xlabel="predicted P(positive)", ylabel="observed share positive", title="reliability diagram")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def score_histogram(scores: np.ndarray, labels: np.ndarray, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41).tolist()
    ax.hist(scores[labels == 1], bins=bins, alpha=0.6, color=POSITIVE, label="positive reviews")
    ax.hist(scores[labels == 0], bins=bins, alpha=0.6, color=NEGATIVE, label="negative reviews")
    ax.axvline(0.5, color="black", lw=1)
    ax.set(xlabel="predicted P(positive)", ylabel="reviews", title="score distribution, IMDB test set")
    ax.legend()
    return _save(fig, path)


def behaviour(suite: dict[str, Any], path: Path) -> Path:
    """Pass rate per capability of the behavioural suite, worst first."""
    items = sorted(suite["capabilities"].items(), key=lambda kv: kv[1]["pass_rate"])
    names = [f"{name} ({entry['kind']}, {entry['cases']})" for name, entry in items]
    rates = [100 * entry["pass_rate"] for _, entry in items]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(items) + 1.2))
    colours = [POSITIVE if rate >= 90 else "#f9a825" if rate >= 70 else NEGATIVE for rate in rates]
    ax.barh(names, rates, color=colours)
    ax.axvline(90, color="grey", ls="--", lw=1, label="target 90%")
    for y, rate in enumerate(rates):
        ax.text(min(rate + 1, 101), y, f"{rate:.0f}%", va="center", fontsize=9)
    ax.set(
        xlim=(0, 110),
        xlabel="cases passed (%)",
        title=f"behavioural suite: {100 * suite['pass_rate']:.1f}% of {suite['cases']} cases",
    )
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def ratings(predicted: np.ndarray, true: np.ndarray, metrics: dict[str, float], path: Path) -> Path:
    """Predicted stars for each true rating of the test set (IMDB has no 5 or 6)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    present = sorted(set(true.tolist()))
    ax.boxplot([predicted[true == r] for r in present], positions=present, widths=0.6, showfliers=False)
    ax.plot([1, 10], [1, 10], "--", color="grey", label="perfect")
    ax.set(
        xlabel="true stars",
        ylabel="predicted stars",
        xticks=range(1, 11),
        ylim=(0.5, 10.5),
        title=f"star ratings, IMDB test set: MAE {metrics['mae']:.2f}, Spearman {metrics['spearman']:.3f}",
    )
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def by_length(short_text: dict[str, Any], path: Path) -> Path:
    """Accuracy on the test reviews by length (tenths, shortest first) beside the first-sentence slice."""
    bars = [(f"≤{t['max_tokens']}", 100 * t["accuracy"], POSITIVE) for t in short_text["by_length"]]
    if "first_sentences" in short_text:
        bars.append(("first\nsentence", 100 * short_text["first_sentences"]["accuracy"], NEGATIVE))
    fig, ax = plt.subplots(figsize=(9, 4))
    positions = np.arange(len(bars), dtype=float)
    ax.bar(positions, [b[1] for b in bars], color=[b[2] for b in bars], alpha=0.85)
    for x, (_, value, _) in zip(positions, bars, strict=True):
        ax.text(x, value + 0.4, f"{value:.1f}", ha="center", fontsize=8)
    ax.set_xticks(positions, [b[0] for b in bars], fontsize=8)
    ax.set(
        xlabel="whole test reviews by length in tokens (tenths), and their first sentences alone",
        ylabel="accuracy (%)",
        title="accuracy on short and long texts (test set)",
    )
    ax.set_ylim(max(0.0, min(b[1] for b in bars) - 10), 100)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)
