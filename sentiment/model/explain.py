"""Per-word attributions: which words pushed the score up or down, in logit units.

Both shares are exact decompositions of the logit, computed in the same forward pass:
- the wide n-gram branch is linear: a word gets its unigram weight plus its share of each
  bigram (half) and trigram (a third) it is in;
- the recurrent branch's head is linear in its pooled states (max and mean, attention, or the
  last step's), and each state of a direction is the sum of the changes the words it has read
  made to it: every word gets the changes it made, weighted by how much of the pooling reads the
  states that carry them (SentimentNetwork.deep_contributions). With a convolution first, a
  "word's" change comes from its window of words, so the credit is per window.
So an explanation costs about one plain prediction, not one pass per word as occlusion would,
and needs no gradients: the same computation exports as a graph (sentiment/model/export.py).
"""

from __future__ import annotations

import torch

from sentiment.model.network import Outputs, SentimentNetwork


def explained(model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[Outputs, torch.Tensor]:
    """The model's outputs (logits, stars) and attributions (B, T) (zeros after each length), from one
    pass (eval mode)."""
    model.eval()
    mask = model.real_positions(ids, lengths)
    with torch.inference_mode():
        states = model.states(model.embed(ids), lengths)
        pooled = model.pool(states, mask, lengths)
        deep_share = model.deep_contributions(states, mask, lengths)
        if not model.config.ngram_buckets:
            return model.combine(ids, mask, lengths, pooled, model.head(pooled).squeeze(-1)), deep_share
        wide_shares = model.wide_contributions(ids, mask, lengths)
        outputs = model.combine(ids, mask, lengths, pooled, model.head(pooled).squeeze(-1), wide_shares)
        mix = model.get_buffer("mix")
        return outputs, mix[0] * deep_share + mix[1] * wide_shares


def attributions(
    model: SentimentNetwork, ids: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B,), attributions (B, T)); zeros after each length."""
    outputs, shares = explained(model, ids, lengths)
    return outputs.logits, shares
