"""Probability calibration: temperature scaling fitted on validation, and the calibration error."""

from __future__ import annotations

import numpy as np
import torch


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising validation log-loss of sigmoid(logit / T)."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.float64)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def expected_calibration_error(scores: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE over equal-width bins of the probability of the predicted class."""
    predicted = scores >= 0.5
    confidence = np.where(predicted, scores, 1.0 - scores)
    correct = predicted == (labels == 1)
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)


def reliability(scores: np.ndarray, labels: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin of predicted P(positive): mean score, observed positive rate, count."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    mean_score = np.full(bins, np.nan)
    observed = np.full(bins, np.nan)
    counts = np.bincount(which, minlength=bins)
    for b in range(bins):
        if counts[b]:
            mean_score[b] = scores[which == b].mean()
            observed[b] = labels[which == b].mean()
    return mean_score, observed, counts
