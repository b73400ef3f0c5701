"""Per-word attributions: which words pushed the score up or down, in logit units.

Both shares are exact decompositions of the logit, computed in the same forward pass:
- the wide n-gram branch is linear: a word gets its unigram weight plus half of each bigram
  it is in;
- the recurrent branch's head is linear in max- and mean-pooled states: a position gets its
  state's share of the mean, plus the max of every unit it holds (class activation mapping
  for pooled RNNs); its state summarises the words around it, centred on it.
So an explanation costs about one plain prediction, not one pass per word as occlusion
would. The classic model (score at the last step) falls back to gradient x input.
"""

from __future__ import annotations

import torch

from sentiment.model.network import SentimentNetwork


def attributions(
    model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B,), attributions (B, T')) where T' is the longest length; zeros after each length."""
    model.eval()
    ids, mask = model.trim(ids, lengths)
    if model.config.pooling == "maxmean":
        with torch.inference_mode():
            deep_share = model.deep_contributions(model.embedding(ids), lengths, mask)
            deep = deep_share.sum(1) + model.head.bias
    else:
        with torch.enable_grad():
            embedded = model.embedding(ids).detach().requires_grad_(True)
            deep = model.deep_logit(embedded, lengths, mask)
            (gradient,) = torch.autograd.grad(deep.sum(), embedded)
        deep_share = (gradient * embedded).sum(-1).detach() * mask
    logits = deep.detach()
    if not model.config.ngram_buckets:
        return logits, deep_share
    with torch.inference_mode():
        wide = model.wide_contributions(ids, mask, lengths)
        deep_weight, wide_weight, bias = model.get_buffer("mix").tolist()
        per_position = deep_weight * deep_share + wide_weight * wide
        logits = deep_weight * logits + wide_weight * (wide.sum(1) + model.wide_bias) + bias
    return logits, per_position
