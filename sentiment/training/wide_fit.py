"""The n-gram branch's fit with the short texts and the unlabelled reviews (self-training).

1. The NBSVM (ngram.py) is fitted on the labelled training reviews and, weighted by
   `sentence_weight`, on a crop of a few sentences of each (train_sentences.csv): the crops teach
   the branch what a sentence alone says, at no cost to whole reviews (measured on validation).
2. It scores the unlabelled reviews (unlabelled.csv); those it is sure of (|logit| above
   `pseudo_margin`) take its label, and it is fitted again with them.
3. A sample of `unlabelled_rows` of those pseudo-labelled reviews joins the recurrent branch's
   training rows, with the crops: the recurrent branch learns from three times the reviews.

The test set takes no part: the labels come from the branch fitted on training rows alone, and
validation only measures (the pseudo-labels' expected accuracy is the branch's accuracy on the
validation reviews it is as sure of).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from sentiment.model.network import SentimentNetwork
from sentiment.training.encoded import EncodedSet, concatenate
from sentiment.training.ngram import fit_nbsvm, presence_matrix, set_wide_branch, wide_logits


@dataclass(frozen=True)
class ExtraRows:
    """Training rows beyond the labelled reviews (each may be absent)."""

    sentences: EncodedSet | None = None  # crops of training reviews, their review's label
    unlabelled: EncodedSet | None = None  # labels -1


@dataclass
class WideFit:
    """What the fit found: the rows the recurrent branch trains on besides the labelled ones."""

    recurrent_rows: list[EncodedSet] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)


def fit_wide(
    model: SentimentNetwork,
    train_set: EncodedSet,
    validation_set: EncodedSet,
    extra: ExtraRows,
    *,
    c: float,
    sentence_weight: float,
    margin: float,
    unlabelled_rows: int,
    seed: int,
    progress: bool,
) -> WideFit:
    """Fit the n-gram branch (steps 1-2 above) with inverse L2 strength `c`; the recurrent branch's
    extra rows (step 3)."""
    started = time.perf_counter()
    bar = "n-grams" if progress else None
    parts = [presence_matrix(model, train_set, progress=bar)]
    labels, weights = [train_set.labels], [np.ones(len(train_set))]
    fit = WideFit()
    if extra.sentences is not None and sentence_weight > 0:
        parts.append(presence_matrix(model, extra.sentences, progress=bar))
        labels.append(extra.sentences.labels)
        weights.append(np.full(len(extra.sentences), sentence_weight))
        fit.recurrent_rows.append(extra.sentences)
        fit.summary["sentence_crops"] = len(extra.sentences)
    table, bias = fit_nbsvm(sp.vstack(parts).tocsr(), np.concatenate(labels), c, np.concatenate(weights))
    if extra.unlabelled is not None and unlabelled_rows > 0:
        unlabelled = presence_matrix(model, extra.unlabelled, progress="unlabelled n-grams" if progress else None)
        logits = wide_logits(unlabelled, table, bias)
        sure = np.flatnonzero(np.abs(logits) > margin)
        validation_logits = wide_logits(presence_matrix(model, validation_set), table, bias)
        sure_validation = np.abs(validation_logits) > margin
        fit.summary.update(
            unlabelled=len(extra.unlabelled),
            pseudo_labelled=len(sure),
            validation_share_sure=round(float(sure_validation.mean()), 4),
        )
        if sure_validation.any():
            # what a pseudo-label is worth: the first fit's accuracy on the validation reviews it is as sure of
            agreement = ((validation_logits > 0) == (validation_set.labels == 1))[sure_validation].mean()
            fit.summary["validation_accuracy_when_sure"] = round(float(agreement), 4)
        if len(sure):  # a margin no review passes leaves the first fit as it is
            pseudo = (logits[sure] > 0).astype(np.int64)
            parts.append(unlabelled[sure])
            labels.append(pseudo)
            weights.append(np.ones(len(sure)))
            table, bias = fit_nbsvm(sp.vstack(parts).tocsr(), np.concatenate(labels), c, np.concatenate(weights))
            rng = np.random.default_rng(seed)
            pick = np.sort(rng.choice(len(sure), min(unlabelled_rows, len(sure)), replace=False))
            chosen = sure[pick]
            rows = extra.unlabelled
            fit.recurrent_rows.append(EncodedSet(pseudo[pick], rows.lengths[chosen], rows.ids[chosen]))
            fit.summary.update(pseudo_positive_share=round(float(pseudo.mean()), 4), recurrent_pseudo_rows=len(chosen))
    set_wide_branch(model, table, bias)
    fit.summary["seconds"] = round(time.perf_counter() - started, 1)
    return fit


def recurrent_training_rows(train_set: EncodedSet, fit: WideFit) -> EncodedSet:
    """The labelled rows and the fit's extra rows, at the labelled rows' width."""
    width = train_set.ids.shape[1]
    return concatenate(train_set, *(rows.widened(width) for rows in fit.recurrent_rows))
