"""Evaluation on the test set: metrics, plots, behavioural checks; stored in the artifact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics as skm

from sentiment.model.artifact import Artifact, save_metrics
from sentiment.model.inference import calibrated, predict_logits
from sentiment.model.text_scorer import TextScorer
from sentiment.training import plots
from sentiment.training.behaviour import run_checks
from sentiment.training.calibration import expected_calibration_error
from sentiment.training.encoded import EncodedSet

PLOTS_FOLDER = "evaluation"


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


def evaluate(artifact: Artifact, test: EncodedSet, folder: Path | None = None) -> dict[str, Any]:
    """Metrics of `artifact` on `test`; with `folder`, also plots there and metrics.json in it."""
    started = time.perf_counter()
    logits = predict_logits(artifact.model, test)
    seconds = time.perf_counter() - started
    scores = calibrated(logits, artifact.temperature)
    labels = test.labels.astype(int)
    result = score_metrics(scores, labels)
    result["ece_uncalibrated"] = expected_calibration_error(calibrated(logits, 1.0), labels)
    result["temperature"] = artifact.temperature
    result["inference_reviews_per_s"] = round(len(test) / seconds, 1)
    result["behaviour"] = run_checks(TextScorer(artifact))
    result["model"] = {"name": artifact.name, "version": artifact.version}
    if folder is not None:
        out = Path(folder) / PLOTS_FOLDER
        fpr, tpr, _ = skm.roc_curve(labels, scores)
        result["plots"] = [
            str(p.relative_to(folder))
            for p in (
                plots.roc(fpr, tpr, result["roc_auc"], out / "roc.png"),
                plots.confusion(np.array(result["confusion_matrix"]), out / "confusion_matrix.png"),
                plots.reliability_diagram(scores, labels, result["ece"], out / "reliability.png"),
                plots.score_histogram(scores, labels, out / "score_histogram.png"),
            )
        ]
        save_metrics(folder, result)
    return result
