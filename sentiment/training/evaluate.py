"""Evaluation on the test set: metrics, star ratings, plots, the behavioural suite; stored with the model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn import metrics as skm
from sklearn.isotonic import IsotonicRegression

from sentiment.model.artifact import Artifact, save_metrics
from sentiment.model.inference import predict_logits, predict_outputs
from sentiment.scoring.chunks import calibrated
from sentiment.scoring.text_scorer import TextScorer
from sentiment.training import plots
from sentiment.training.behaviour import run_suite
from sentiment.training.calibration import expected_calibration_error
from sentiment.training.encoded import EncodedSet

PLOTS_FOLDER = "evaluation"
ShortTexts = tuple[list[str], np.ndarray]  # texts and their 0/1 labels


def score_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Classification metrics of probabilities `scores` against 0/1 `labels`."""
    predicted = (scores >= 0.5).astype(int)
    return {
        "n": len(labels),
        "accuracy": float(skm.accuracy_score(labels, predicted)),
        "precision": float(skm.precision_score(labels, predicted, zero_division=0)),
        "recall": float(skm.recall_score(labels, predicted, zero_division=0)),
        "f1": float(skm.f1_score(labels, predicted, zero_division=0)),
        "roc_auc": float(skm.roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan"),
        "log_loss": float(skm.log_loss(labels, np.clip(scores, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "ece": expected_calibration_error(scores, labels),
        "confusion_matrix": skm.confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
    }


def rating_metrics(predicted: np.ndarray, ratings: np.ndarray) -> dict[str, float]:
    """Mean absolute error (stars) and Spearman correlation of predicted against true ratings."""
    return {
        "mae": round(float(np.abs(predicted - ratings).mean()), 4),
        "spearman": round(float(spearmanr(predicted, ratings).statistic), 4),
    }


def evaluate_ratings(
    artifact: Artifact,
    stars: np.ndarray | None,
    test_ratings: np.ndarray,
    test_scores: np.ndarray,
    validation: tuple[EncodedSet, np.ndarray],
) -> dict[str, Any]:
    """The rating head's MAE and Spearman on test (its `stars`; None without a head), beside the
    baseline of the same run: the calibrated score mapped to stars by isotonic regression fitted on
    validation."""
    validation_set, validation_ratings = validation
    validation_scores = calibrated(predict_logits(artifact.model, validation_set), artifact.temperature)
    isotonic = IsotonicRegression(y_min=1, y_max=10, out_of_bounds="clip").fit(validation_scores, validation_ratings)
    result: dict[str, Any] = {"baseline_isotonic": rating_metrics(isotonic.predict(test_scores), test_ratings)}
    if stars is not None:
        result["head"] = rating_metrics(stars, test_ratings)
    result["note"] = "IMDB has no 5- or 6-star reviews: neither model ever saw one"
    return result


def short_text_metrics(
    artifact: Artifact, test: EncodedSet, scores: np.ndarray, first_sentences: ShortTexts | None
) -> dict[str, Any]:
    """How the model reads short texts: the test reviews' first sentences alone (scored from their
    text with the artifact's own preprocessing), the shortest tenth of the reviews, and the accuracy
    of every tenth by length (the plot)."""
    labels = test.labels.astype(int)
    edges = np.quantile(test.lengths, np.linspace(0, 1, 11))
    tenth = np.clip(np.searchsorted(edges[1:-1], test.lengths, side="right"), 0, 9)
    by_length = [
        {
            "max_tokens": int(test.lengths[tenth == k].max()),
            "n": int((tenth == k).sum()),
            "accuracy": round(float(((scores[tenth == k] >= 0.5) == (labels[tenth == k] == 1)).mean()), 4),
        }
        for k in range(10)
        if (tenth == k).any()
    ]
    shortest = test.lengths <= edges[1]  # never empty, however many reviews tie at the shortest length
    result: dict[str, Any] = {
        "shortest_tenth": {
            "max_tokens": int(test.lengths[shortest].max()),
            **_slice(scores[shortest], labels[shortest]),
        },
        "by_length": by_length,
    }
    if first_sentences is not None:
        texts, first_labels = first_sentences
        result["first_sentences"] = _slice(TextScorer(artifact).scores(texts), first_labels.astype(int))
    return result


def _slice(scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    metrics = score_metrics(scores, labels)
    return {
        k: round(metrics[k], 4) if k != "n" else metrics[k] for k in ("n", "accuracy", "roc_auc", "log_loss", "ece")
    }


def evaluate(
    artifact: Artifact,
    test: EncodedSet,
    folder: Path | None = None,
    test_ratings: np.ndarray | None = None,
    validation: tuple[EncodedSet, np.ndarray] | None = None,
    first_sentences: ShortTexts | None = None,
) -> dict[str, Any]:
    """Metrics of `artifact` on `test` (and its star ratings, with `test_ratings` and the `validation`
    rows and ratings for the baseline; the short-text slice with the test reviews' `first_sentences`);
    with `folder`, also plots there and metrics.json in it."""
    started = time.perf_counter()
    logits, stars = predict_outputs(artifact.model, test)
    seconds = time.perf_counter() - started
    scores = calibrated(logits, artifact.temperature)
    labels = test.labels.astype(int)
    result = score_metrics(scores, labels)
    result["ece_uncalibrated"] = expected_calibration_error(calibrated(logits, 1.0), labels)
    result["temperature"] = artifact.temperature
    result["inference_reviews_per_s"] = round(len(test) / seconds, 1)
    if test_ratings is not None and validation is not None:
        result["rating"] = evaluate_ratings(artifact, stars, test_ratings, scores, validation)
    result["short_text"] = short_text_metrics(artifact, test, scores, first_sentences)
    result["behaviour"] = run_suite(TextScorer(artifact).scores)
    result["model"] = {"name": artifact.name, "version": artifact.version}
    if folder is not None:
        out = Path(folder) / PLOTS_FOLDER
        fpr, tpr, _ = skm.roc_curve(labels, scores)
        drawn = [
            plots.roc(fpr, tpr, result["roc_auc"], out / "roc.png"),
            plots.confusion(np.array(result["confusion_matrix"]), out / "confusion_matrix.png"),
            plots.reliability_diagram(scores, labels, result["ece"], out / "reliability.png"),
            plots.score_histogram(scores, labels, out / "score_histogram.png"),
            plots.behaviour(result["behaviour"], out / "behaviour.png"),
            plots.by_length(result["short_text"], out / "short_texts.png"),
        ]
        if "head" in result.get("rating", {}) and stars is not None and test_ratings is not None:
            drawn.append(plots.ratings(stars, test_ratings, result["rating"]["head"], out / "ratings.png"))
        result["plots"] = [str(p.relative_to(folder)) for p in drawn]
        save_metrics(folder, result)
    return result
