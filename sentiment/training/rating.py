"""The star-rating head: expected stars (1-10) from what the trained network already computes.

IMDB's file names carry each review's rating (1-4 negative, 7-10 positive; the dataset holds no
5 or 6). After the two branches are trained, two ridge regressions map the pooled recurrent
states and both branches' logits to the stars of a negative review (fitted on the 1-4 star
reviews) and of a positive one (7-10); the head answers their mix by the model's own probability,
on the label's side of the scale's middle, so the rating agrees with the label. Each fit is in
closed form, its strength picked on validation. The head can only learn the ratings it saw: it
never predicts 5-6 from evidence (an uncertain review lands near the middle), and it knows nothing
of a reviewer's own scale.
"""

from __future__ import annotations

import numpy as np
import torch

from sentiment.model.inference import batch_tensors, device_of
from sentiment.model.network import SentimentNetwork, stars_on_label_side
from sentiment.training.encoded import EncodedSet

ALPHAS = (1.0, 10.0, 100.0, 1000.0, 10000.0)


def rating_inputs(model: SentimentNetwork, data: EncodedSet, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The head's features (n, features) and the model's logits (n,) for every row, eval mode."""
    model.eval()
    order = np.argsort(data.lengths, kind="stable")
    features: np.ndarray | None = None
    logits = np.empty(len(data))
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        batch_features, batch_logits = model.rating_inputs(*batch_tensors(data, index, device_of(model)))
        if features is None:
            features = np.empty((len(data), batch_features.shape[1]))
        features[index] = batch_features.double().cpu().numpy()
        logits[index] = batch_logits.double().cpu().numpy()
    assert features is not None
    return features, logits


def _ridge(z: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Weights (features + bias) of a ridge regression on standardised features `z` (bias not penalised)."""
    z = np.c_[z, np.ones(len(z))]
    penalty = alpha * np.eye(z.shape[1])
    penalty[-1, -1] = 0.0
    return np.linalg.solve(z.T @ z + penalty, z.T @ y)  # type: ignore[no-any-return]


def expected_stars(z: np.ndarray, logits: np.ndarray, negative: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """What the head answers (SentimentNetwork.expected_stars), for standardised features `z`."""
    z = np.c_[z, np.ones(len(z))]
    p, low, high = (torch.from_numpy(a) for a in (1.0 / (1.0 + np.exp(-logits)), z @ negative, z @ positive))
    return stars_on_label_side(p, low, high).numpy()  # type: ignore[no-any-return]


def fit_rating_head(
    model: SentimentNetwork,
    train: EncodedSet,
    train_ratings: np.ndarray,
    validation: EncodedSet,
    validation_ratings: np.ndarray,
) -> dict[str, float]:
    """Fit the head on the rated rows of `train`, its ridge strength by validation MAE; returns the choice
    and its MAE."""
    x, _ = rating_inputs(model, train)
    x_val, logits_val = rating_inputs(model, validation)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z, z_val = (x - mean) / scale, (x_val - mean) / scale
    y = train_ratings.astype(float)
    negative, positive = (train_ratings >= 1) & (train_ratings <= 4), train_ratings >= 7
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for alpha in ALPHAS:
        fitted = _ridge(z[negative], y[negative], alpha), _ridge(z[positive], y[positive], alpha)
        mae = float(np.abs(expected_stars(z_val, logits_val, *fitted) - validation_ratings).mean())
        if best is None or mae < best[1]:
            best = (alpha, mae, *fitted)
    assert best is not None
    alpha, mae, negative_weights, positive_weights = best
    weights = np.stack([negative_weights, positive_weights])  # (2, features + bias)
    with torch.no_grad():  # fold the standardisation into the linear head (copy_ moves it to the model's device)
        model.rating.weight.copy_(torch.from_numpy(weights[:, :-1] / scale).float())
        model.rating.bias.copy_(torch.from_numpy(weights[:, -1] - (weights[:, :-1] / scale) @ mean).float())
    return {"alpha": alpha, "validation_mae": round(mae, 4)}
