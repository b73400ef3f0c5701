"""Per-word attributions: which words pushed the score up or down, in logit units.

Both shares are exact decompositions of the logit, computed in the same forward pass:
- the wide n-gram branch is linear: a word gets its unigram weight plus its share of each
  bigram (half) and trigram (a third) it is in;
- the recurrent branch's head is linear in max- and mean-pooled (or attention-pooled) states,
  and each state of a direction is the sum of the changes the words it has read made to it:
  every word gets the changes it made, weighted by how much of the pooling reads the states
  that carry them (SentimentNetwork.deep_contributions). With a convolution first, a "word's"
  change comes from its window of words, so the credit is per window.
So an explanation costs about one plain prediction, not one pass per word as occlusion
would. The classic model (score at the last step) falls back to gradient x input.
"""

from __future__ import annotations

import torch

from sentiment.model.network import Outputs, SentimentNetwork


def attributions(
    model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B,), attributions (B, T')) where T' is the longest length; zeros after each length."""
    outputs, shares = explained(model, ids, lengths)
    return outputs.logits, shares


def explained(model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[Outputs, torch.Tensor]:
    """The model's outputs (logits, stars) and attributions (B, T') where T' is the longest length;
    zeros after each length. One pass for both (but for the classic model's gradients)."""
    model.eval()
    ids, mask = model.trim(ids, lengths)
    with torch.inference_mode():
        wide_shares = model.wide_contributions(ids, mask, lengths) if model.config.ngram_buckets else None
    if model.config.pooling in ("maxmean", "attention"):
        with torch.inference_mode():
            states = model.states(model.embed(ids), lengths)
            pooled = model.pool(states, mask, lengths)
            deep_share = model.deep_contributions(states, mask, lengths)
            outputs = model.combine(ids, mask, lengths, pooled, deep_share.sum(1) + model.head.bias, wide_shares)
    else:  # the last step's state: gradient x input
        with torch.enable_grad():
            embedded = model.embed(ids).detach().requires_grad_(True)
            deep = model.deep_logit(embedded, lengths, mask)
            (gradient,) = torch.autograd.grad(deep.sum(), embedded)
        deep_share = (gradient * embedded).sum(-1).detach() * mask
        with torch.inference_mode():
            outputs = model.outputs(ids, lengths)
    if wide_shares is None:
        return outputs, deep_share
    deep_weight, wide_weight, _ = model.get_buffer("mix").tolist()
    return outputs, deep_weight * deep_share + wide_weight * wide_shares
