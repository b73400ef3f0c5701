"""PyTorch models and their config dataclass.

Input is the endpoint contract: right-padded id arrays (B, T) and their true lengths (B,).
Output is one logit per review; nothing after a review's length is ever read, so padding
never changes a score.

- `classic`: the course project's model (embedding 32, one LSTM layer, the score read at the
  last real step), kept so its result can be reproduced beside ours.
- `default`: a bidirectional GRU (embeddings from word2vec) whose states are max- and
  mean-pooled over time, plus a wide branch: a linear model over the review's unigrams and
  hashed bigrams (binary presence), computed inside the network from the same ids and fitted
  as an NB-weighted logistic regression (see ngram.py). The two branches are trained one after
  the other and mixed with weights fitted on validation (an ensemble in one network: measured
  better than training them jointly, where the n-gram branch memorises first).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import torch
from torch import nn

from sentiment.core.errors import ConfigError

_BIGRAM_PRIME = 1_000_003


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture hyperparameters; stored inside every artifact."""

    name: str = "default"
    vocab_size: int = 25_000
    embedding_dim: int = 100
    hidden_dim: int = 96
    cell: Literal["lstm", "gru"] = "gru"
    bidirectional: bool = True
    pooling: Literal["last", "maxmean"] = "maxmean"
    dropout: float = 0.5
    ngram_buckets: int = 1 << 19  # 0: no wide branch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown network settings: {', '.join(sorted(unknown))}")
        config = cls(**data)
        config.validate()
        return config

    def validate(self) -> None:
        if self.cell not in ("lstm", "gru"):
            raise ConfigError(f"cell must be lstm or gru, got {self.cell!r}")
        if self.pooling not in ("last", "maxmean"):
            raise ConfigError(f"pooling must be last or maxmean, got {self.pooling!r}")
        for name in ("vocab_size", "embedding_dim", "hidden_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.ngram_buckets < 0:
            raise ConfigError("ngram_buckets must not be negative")


CLASSIC = NetworkConfig(
    name="classic",
    vocab_size=5_000,
    embedding_dim=32,
    hidden_dim=100,
    cell="lstm",
    bidirectional=False,
    pooling="last",
    dropout=0.0,
    ngram_buckets=0,
)
DEFAULT = NetworkConfig()
NAMED_CONFIGS = {"classic": CLASSIC, "default": DEFAULT}


def named_config(name: str, **overrides: Any) -> NetworkConfig:
    if name not in NAMED_CONFIGS:
        raise ConfigError(f"unknown model config {name!r}; choose one of {', '.join(NAMED_CONFIGS)}")
    config = replace(NAMED_CONFIGS[name], **{k: v for k, v in overrides.items() if v is not None})
    config.validate()
    return config


class SentimentNetwork(nn.Module):
    """Embedding -> recurrent layer -> pooled states -> logit, plus an optional wide n-gram branch."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        rnn = nn.LSTM if config.cell == "lstm" else nn.GRU
        self.rnn = rnn(config.embedding_dim, config.hidden_dim, batch_first=True)
        if config.bidirectional:
            self.rnn_reverse = rnn(config.embedding_dim, config.hidden_dim, batch_first=True)
        directions = 2 if config.bidirectional else 1
        pooled = config.hidden_dim * directions * (2 if config.pooling == "maxmean" else 1)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(pooled, 1)
        if config.ngram_buckets:
            self.wide = nn.Embedding(config.vocab_size + config.ngram_buckets, 1)
            nn.init.zeros_(self.wide.weight)
            self.wide_bias = nn.Parameter(torch.zeros(1))
            # logit = mix[0] * deep + mix[1] * wide + mix[2]; fitted on validation after training.
            self.register_buffer("mix", torch.tensor([0.5, 0.5, 0.0]))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (B,) for right-padded ids (B, T) with true lengths (B,), 1 <= length <= T."""
        ids, mask = self.trim(ids, lengths)
        deep = self.deep_logit(self.embedding(ids), lengths, mask)
        if not self.config.ngram_buckets:
            return deep
        wide = self.wide_contributions(ids, mask, lengths).sum(1) + self.wide_bias
        mix = self.get_buffer("mix")
        return mix[0] * deep + mix[1] * wide + mix[2]

    def branch_logit(self, branch: str, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One branch's own logit ("deep" or "wide"), as each is trained on its own."""
        ids, mask = self.trim(ids, lengths)
        if branch == "wide":
            return self.wide_contributions(ids, mask, lengths).sum(1) + self.wide_bias
        return self.deep_logit(self.embedding(ids), lengths, mask)

    @staticmethod
    def trim(ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Ids cut to the longest review, and the mask of real (non-padding) positions."""
        steps = int(lengths.max())
        ids = ids[:, :steps]
        return ids, torch.arange(steps, device=ids.device)[None, :] < lengths[:, None]

    def deep_logit(self, embedded: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The recurrent branch's logit (B,) from embedded ids (B, T, E)."""
        return self.head(self.dropout(self._pooled(self.dropout(embedded), lengths, mask))).squeeze(-1)

    def deep_contributions(self, embedded: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The recurrent branch's logit split over positions (B, T), for max+mean pooling (eval mode).

        The head is linear in the pooled features: the mean part is a sum over positions, and
        each unit's max comes from one position, so every position gets exactly its share; the
        rows sum to the logit minus the head's bias. One forward pass, no gradients.
        """
        states = self.states(embedded, lengths)
        keep = mask.unsqueeze(-1)
        width = states.shape[-1]
        weight = self.head.weight[0]
        mean_share = ((states * keep) @ weight[width:]) / lengths.unsqueeze(-1).to(states.dtype)
        peak, where = states.masked_fill(~keep, float("-inf")).max(1)
        max_share = torch.zeros_like(mean_share).scatter_add_(1, where, peak * weight[:width])
        return (mean_share + max_share) * mask

    def states(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Recurrent states (B, T, H * directions); positions at or after a review's length are junk.

        The backward direction runs forward over each review reversed within its own length, so
        both directions are causal over padded batches: no packing (several times slower on CPU),
        and nothing after a review's length can reach a state before it.
        """
        forward, _ = self.rnn(embedded)
        if not self.config.bidirectional:
            return forward
        steps = embedded.shape[1]
        flip = (lengths[:, None] - 1 - torch.arange(steps, device=lengths.device)[None, :]).clamp(min=0)
        reversed_input = embedded.gather(1, flip.unsqueeze(-1).expand(-1, -1, embedded.shape[-1]))
        backward, _ = self.rnn_reverse(reversed_input)
        backward = backward.gather(1, flip.unsqueeze(-1).expand(-1, -1, backward.shape[-1]))
        return torch.cat([forward, backward], dim=-1)

    def _pooled(self, embedded: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states = self.states(embedded, lengths)
        if self.config.pooling == "last":
            last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, states.shape[-1])
            final = states.gather(1, last).squeeze(1)  # forward: state at the last word
            if self.config.bidirectional:  # backward: its final state sits at position 0
                half = self.config.hidden_dim
                final = torch.cat([final[:, :half], states[:, 0, half:]], dim=-1)
            return final
        keep = mask.unsqueeze(-1)
        mean = (states * keep).sum(1) / lengths.unsqueeze(-1).to(states.dtype)
        peak = states.masked_fill(~keep, float("-inf")).amax(1)
        return torch.cat([peak, mean], dim=-1)

    def ngram_ids(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of the wide table for each unigram and hashed bigram, and which of them are real."""
        vocab, buckets = self.config.vocab_size, self.config.ngram_buckets
        bigrams = vocab + (ids[:, :-1] * _BIGRAM_PRIME + ids[:, 1:]) % buckets
        return torch.cat([ids, bigrams], dim=1), torch.cat([mask, mask[:, 1:]], dim=1)

    def wide_contributions(self, ids: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The wide branch's logit split over positions (B, T).

        Features are binary (an n-gram counts once per review, at its first occurrence): a word
        gets its unigram weight plus half of each bigram it takes part in. The rows sum to the
        branch's logit (without bias) exactly.
        """
        rows, real = self.ngram_ids(ids, mask)
        weights = self.wide(rows).squeeze(-1) * (real & _first_occurrence(rows, real))
        steps = ids.shape[1]
        unigram, bigram = weights[:, :steps], weights[:, steps:] / 2
        per_position = unigram.clone()
        per_position[:, :-1] += bigram
        per_position[:, 1:] += bigram
        return per_position


def _first_occurrence(rows: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """True where a row's feature id appears for the first time among its real features."""
    keyed = rows.masked_fill(~real, -1)
    ordered, order = keyed.sort(dim=1, stable=True)
    first = torch.ones_like(ordered, dtype=torch.bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    return torch.zeros_like(first).scatter(1, order, first)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
