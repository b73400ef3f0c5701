"""Per-word attributions: which words pushed the score up or down, in logit units.

The wide n-gram branch is linear, so its share of each word is exact (its unigram weight plus
half of each bigram it is in). The recurrent branch gets gradient x input on the word's
embedding (padding's embedding is zero, the baseline). One forward and one backward pass: a
few times the cost of a plain prediction, instead of one pass per word for occlusion.
"""

from __future__ import annotations

import torch

from .network import SentimentNetwork


def attributions(
    model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B,), attributions (B, T')) where T' is the longest length; zeros after each length."""
    model.eval()
    ids, mask = model.trim(ids, lengths)
    with torch.enable_grad():
        embedded = model.embedding(ids).detach().requires_grad_(True)
        deep = model.deep_logit(embedded, lengths, mask)
        (gradient,) = torch.autograd.grad(deep.sum(), embedded)
    per_position = (gradient * embedded).sum(-1).detach() * mask
    logits = deep.detach()
    if model.config.ngram_buckets:
        with torch.no_grad():
            wide = model.wide_contributions(ids, mask, lengths)
            deep_weight, wide_weight, bias = model.get_buffer("mix").tolist()
            per_position = deep_weight * per_position + wide_weight * wide
            logits = deep_weight * logits + wide_weight * (wide.sum(1) + model.wide_bias) + bias
    return logits, per_position
