"""PyTorch models and their config dataclass.

Input is the endpoint contract: right-padded id arrays (B, T) and their true lengths (B,).
Output is one logit per review; nothing after a review's length is ever read, so padding
never changes a score (callers cut batches to their longest review, `trim`, to save the work).

Every method the scoring path calls is exportable as a graph (sentiment/model/export.py): shapes
follow the input, never a Python number read from the data, and every operation has an ONNX
counterpart (no stable sort, no in-place slice updates).

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
from typing import Any, Literal, NamedTuple

import torch
from torch import nn

from sentiment.core.errors import ConfigError
from sentiment.text.vocab import UNKNOWN_ID

_BIGRAM_PRIME = 1_000_003
_TRIGRAM_PRIME = 999_983  # ids < 2^20: (a * 1_000_003 + b) * 999_983 + c stays far below 2^63


class Outputs(NamedTuple):
    logits: torch.Tensor  # (B,)
    stars: torch.Tensor | None  # (B,) expected star rating 1..10, for a network with a rating head


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture hyperparameters; stored inside every artifact."""

    name: str = "default"
    vocab_size: int = 25_000
    embedding_dim: int = 100
    hidden_dim: int = 96
    cell: Literal["lstm", "gru"] = "gru"
    bidirectional: bool = True
    pooling: Literal["last", "maxmean", "attention"] = "maxmean"
    dropout: float = 0.5
    ngram_buckets: int = 1 << 19  # 0: no wide branch
    ngram_order: int = 2  # the wide branch's longest n-gram: 2 (bigrams) or 3 (trigrams)
    deep_vocab_size: int = 0  # ids the recurrent branch embeds (rarer ones read as unknown); 0: all
    conv_kernel: int = 0  # > 0: a 1-D convolution of this width over the embeddings, before the recurrent layer
    rating_head: bool = False  # a second output: the expected star rating (1-10), fitted after training
    # True: the recurrent branch reads a negation-marked word ("not_good") as the word itself ("good"),
    # after the negation it sees as a token; the n-gram branch keeps the mark (table from the word dict)
    deep_unmarked: bool = False

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
        if self.pooling not in ("last", "maxmean", "attention"):
            raise ConfigError(f"pooling must be last, maxmean or attention, got {self.pooling!r}")
        if self.conv_kernel < 0 or (self.conv_kernel and self.conv_kernel % 2 == 0):
            raise ConfigError(f"conv_kernel must be 0 or an odd width, got {self.conv_kernel}")
        for name in ("vocab_size", "embedding_dim", "hidden_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.ngram_buckets < 0:
            raise ConfigError("ngram_buckets must not be negative")
        if self.ngram_order not in (2, 3):
            raise ConfigError(f"ngram_order must be 2 or 3, got {self.ngram_order}")
        if self.deep_vocab_size < 0:
            raise ConfigError(f"deep_vocab_size must not be negative, got {self.deep_vocab_size}")

    @property
    def embedded_ids(self) -> int:
        """Rows of the recurrent branch's embedding."""
        return min(self.deep_vocab_size or self.vocab_size, self.vocab_size)


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
# The shipped model: the recurrent network and the wide n-gram branch, mixed, with a rating head.
# (NetworkConfig's own defaults stay what older artifacts mean when a setting is missing.)
DEFAULT = NetworkConfig(
    name="default",
    vocab_size=100_000,
    ngram_buckets=1 << 22,
    ngram_order=3,
    deep_vocab_size=40_000,
    rating_head=True,
    deep_unmarked=True,
)
# The architectures the seeds list, recurrent branch alone, on the default data (bench-model).
BIGRU = replace(DEFAULT, name="bigru", ngram_buckets=0, rating_head=False)
ATTENTION = replace(BIGRU, name="attention", pooling="attention")
CNN_RNN = replace(BIGRU, name="cnn-rnn", conv_kernel=3)
# For a GPU (`sentiment train --config gpu --device cuda`): the default with a recurrent branch three
# times as wide that embeds every word of the dictionary; too slow for make train's CPU budget.
GPU = replace(DEFAULT, name="gpu", hidden_dim=256, deep_vocab_size=0)
NAMED_CONFIGS = {c.name: c for c in (CLASSIC, DEFAULT, BIGRU, ATTENTION, CNN_RNN, GPU)}


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
        self.embedding = nn.Embedding(config.embedded_ids, config.embedding_dim, padding_idx=0)
        if config.deep_unmarked:  # id -> the id the recurrent branch reads (set_deep_ids)
            self.register_buffer("deep_ids", torch.arange(config.vocab_size))
        if config.conv_kernel:
            width = config.embedding_dim
            self.conv = nn.Conv1d(width, width, config.conv_kernel, padding=config.conv_kernel // 2)
        rnn = nn.LSTM if config.cell == "lstm" else nn.GRU
        self.rnn = rnn(config.embedding_dim, config.hidden_dim, batch_first=True)
        if config.bidirectional:
            self.rnn_reverse = rnn(config.embedding_dim, config.hidden_dim, batch_first=True)
        directions = 2 if config.bidirectional else 1
        pooled = config.hidden_dim * directions * (2 if config.pooling == "maxmean" else 1)
        self.dropout = nn.Dropout(config.dropout)
        if config.pooling == "attention":
            state = config.hidden_dim * directions
            self.attention = nn.Sequential(
                nn.Linear(state, state // 2), nn.Tanh(), nn.Linear(state // 2, 1, bias=False)
            )
        self.head = nn.Linear(pooled, 1)
        if config.ngram_buckets:
            self.wide = nn.Embedding(config.vocab_size + config.ngram_buckets, 1)
            nn.init.zeros_(self.wide.weight)
            self.wide_bias = nn.Parameter(torch.zeros(1))
            # logit = mix[0] * deep + mix[1] * wide + mix[2]; fitted on validation after training.
            self.register_buffer("mix", torch.tensor([0.5, 0.5, 0.0]))
        if config.rating_head:  # stars of a negative and of a positive review, each linear in the pooled
            self.rating = nn.Linear(pooled + 2, 2)  # states and both branches' logits (ridge fits)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (B,) for right-padded ids (B, T) with true lengths (B,), 1 <= length <= T."""
        return self.outputs(ids, lengths).logits

    def outputs(self, ids: torch.Tensor, lengths: torch.Tensor) -> Outputs:
        """Logits (B,) and, with a rating head, expected stars (B,), from one pass."""
        mask = self.real_positions(ids, lengths)
        pooled = self.pool(self.states(self.dropout(self.embed(ids)), lengths), mask, lengths)
        deep = self.head(self.dropout(pooled)).squeeze(-1)
        return self.combine(ids, mask, lengths, pooled, deep)

    def combine(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor,
        lengths: torch.Tensor,
        pooled: torch.Tensor,
        deep: torch.Tensor,
        wide_shares: torch.Tensor | None = None,
    ) -> Outputs:
        """The model's outputs from the recurrent branch's pooled states and logit (and the n-gram
        branch's per-position shares, when already computed)."""
        if not self.config.ngram_buckets:
            logits, wide = deep, torch.zeros_like(deep)
        else:
            if wide_shares is None:
                wide_shares = self.wide_contributions(ids, mask, lengths)
            wide = wide_shares.sum(1) + self.wide_bias
            mix = self.get_buffer("mix")
            logits = mix[0] * deep + mix[1] * wide + mix[2]
        stars = None
        if self.config.rating_head:
            stars = self.expected_stars(self.rating_features(pooled, deep, wide), logits)
        return Outputs(logits, stars)

    @staticmethod
    def rating_features(pooled: torch.Tensor, deep: torch.Tensor, wide: torch.Tensor) -> torch.Tensor:
        """What the rating head reads (B, pooled + 2): pooled states, the recurrent and n-gram logits."""
        return torch.cat([pooled, deep.unsqueeze(-1), wide.unsqueeze(-1)], dim=-1)

    def expected_stars(self, features: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """Expected stars (B,) from the stars-if-negative (1-4) and stars-if-positive (7-10) fits, on the
        label's side of the scale (`stars_on_label_side`)."""
        negative, positive = self.rating(features).unbind(-1)
        return stars_on_label_side(torch.sigmoid(logits), negative, positive)

    @torch.inference_mode()
    def rating_inputs(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rating head's features and the model's logits (eval mode), for fitting the head."""
        mask = self.real_positions(ids, lengths)
        pooled = self.pool(self.states(self.embed(ids), lengths), mask, lengths)
        deep = self.head(pooled).squeeze(-1)
        wide_shares = self.wide_contributions(ids, mask, lengths) if self.config.ngram_buckets else None
        outputs = self.combine(ids, mask, lengths, pooled, deep, wide_shares)
        wide = torch.zeros_like(deep) if wide_shares is None else wide_shares.sum(1) + self.wide_bias
        return self.rating_features(pooled, deep, wide), outputs.logits

    def branch_logit(self, branch: str, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One branch's own logit ("deep" or "wide"), as each is trained on its own."""
        mask = self.real_positions(ids, lengths)
        if branch == "wide":
            return self.wide_contributions(ids, mask, lengths).sum(1) + self.wide_bias
        return self.deep_logit(self.embed(ids), lengths, mask)

    @staticmethod
    def trim(ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Ids cut to the longest review, and the mask of real (non-padding) positions (for callers:
        the length read here is data, so the network itself never does this)."""
        ids = ids[:, : int(lengths.max())]
        return ids, SentimentNetwork.real_positions(ids, lengths)

    @staticmethod
    def real_positions(ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T): True at each review's real (non-padding) positions."""
        return torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None]

    def deep_logit(self, embedded: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The recurrent branch's logit (B,) from embedded ids (B, T, E)."""
        pooled = self.pool(self.states(self.dropout(embedded), lengths), mask, lengths)
        return self.head(self.dropout(pooled)).squeeze(-1)

    def deep_contributions(self, states: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The recurrent branch's logit split over positions (B, T), for any pooling of `states` (eval
        mode).

        The head is linear in the pooled features: the mean part is a sum over positions, each
        unit's max comes from the position that reaches it (shared, by a softmax of temperature
        PEAK_TAU, between positions within about PEAK_TAU of it: a review that repeats itself
        reaches the same state more than once, and two runtimes differ in the last bits, so a hard
        argmax would move the credit between them), the last step's state from one position per
        direction. A state summarises every word its direction has read so far, so the credit for a
        unit's value at position t is split over the words that built it, as telescoping
        differences: a forward state is the sum of the changes the words up to t made (a backward
        one, of the words from t on). Every word gets exactly the changes it made, weighted by how
        much of the pooling reads them; the rows sum to the logit minus the head's bias (to within
        PEAK_TAU per unit where a max is shared). No gradients needed.
        """
        weight = self.head.weight[0]
        keep = mask.unsqueeze(-1)
        states = states * keep
        if self.config.pooling == "attention":  # the head is linear in sum_t a_t h_t
            reads = self._attention_weights(states, mask).unsqueeze(-1) * weight  # (B, T, units)
        elif self.config.pooling == "last":  # forward: the state at the last word; backward: at the first
            steps = torch.arange(states.shape[1], device=states.device)[None, :, None]
            units = torch.arange(states.shape[-1], device=states.device)[None, None, :]
            at = torch.where(units < self.config.hidden_dim, (lengths - 1)[:, None, None], torch.zeros_like(units))
            reads = (steps == at).to(states.dtype) * weight
        else:
            width = states.shape[-1]
            reads = keep * weight[width:] / lengths[:, None, None].to(states.dtype)
            near_peak = torch.softmax(states.masked_fill(~keep, float("-inf")) / PEAK_TAU, dim=1)
            reads = reads + near_peak * weight[:width]
        forward_units = states.shape[-1] // 2 if self.config.bidirectional else states.shape[-1]
        zero = torch.zeros_like(states[:, :1])
        forward, backward = states[..., :forward_units], states[..., forward_units:]
        forward_changes = forward - torch.cat([zero[..., :forward_units], forward[:, :-1]], dim=1)
        backward_changes = backward - torch.cat([backward[:, 1:], zero[..., forward_units:]], dim=1)
        forward_reads = reads[..., :forward_units].flip(1).cumsum(1).flip(1)  # positions t >= k read word k
        backward_reads = reads[..., forward_units:].cumsum(1)  # positions t <= k read word k
        shares = (forward_changes * forward_reads).sum(-1) + (backward_changes * backward_reads).sum(-1)
        return shares * mask

    def states(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Recurrent states (B, T, H * directions); positions at or after a review's length are junk.

        The backward direction runs forward over each review reversed within its own length, so
        both directions are causal over padded batches: no packing (several times slower on CPU),
        and nothing after a review's length can reach a state before it. With a convolution, its
        input past each review's length is zeroed first, so padding never reaches a real position.
        """
        if self.config.conv_kernel:
            steps = embedded.shape[1]
            real = (torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]).unsqueeze(-1)
            embedded = torch.relu(self.conv((embedded * real).transpose(1, 2))).transpose(1, 2)
        return self.recurrent_states(embedded, lengths)

    def recurrent_states(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The recurrent layer's states (B, T, H * directions) over its input (the export replaces this
        with one bidirectional ONNX GRU: sentiment/model/export.py)."""
        forward, _ = self.rnn(embedded)
        if not self.config.bidirectional:
            return forward
        steps = embedded.shape[1]
        flip = (lengths[:, None] - 1 - torch.arange(steps, device=lengths.device)[None, :]).clamp(min=0)
        reversed_input = embedded.gather(1, flip.unsqueeze(-1).expand(-1, -1, embedded.shape[-1]))
        backward, _ = self.rnn_reverse(reversed_input)
        backward = backward.gather(1, flip.unsqueeze(-1).expand(-1, -1, backward.shape[-1]))
        return torch.cat([forward, backward], dim=-1)

    def pool(self, states: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One vector per review from its states: the last step's, max+mean, or attention-weighted."""
        if self.config.pooling == "last":
            last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, states.shape[-1])
            final = states.gather(1, last).squeeze(1)  # forward: state at the last word
            if self.config.bidirectional:  # backward: its final state sits at position 0
                half = self.config.hidden_dim
                final = torch.cat([final[:, :half], states[:, 0, half:]], dim=-1)
            return final
        if self.config.pooling == "attention":
            return (self._attention_weights(states, mask).unsqueeze(-1) * states).sum(1)
        keep = mask.unsqueeze(-1)
        mean = (states * keep).sum(1) / lengths.unsqueeze(-1).to(states.dtype)
        peak = states.masked_fill(~keep, float("-inf")).amax(1)
        return torch.cat([peak, mean], dim=-1)

    def _attention_weights(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Softmax over each review's real positions of a learnt score per state (B, T)."""
        scores = self.attention(states).squeeze(-1).masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=1)

    def set_deep_ids(self, table: list[int]) -> None:
        """What the recurrent branch reads for each id (WordDict.unmarked_ids), for `deep_unmarked`."""
        buffer = self.get_buffer("deep_ids")
        if len(table) != len(buffer):
            raise ConfigError(f"deep id table has {len(table)} entries, the network {len(buffer)} ids")
        buffer.copy_(torch.tensor(table, dtype=buffer.dtype))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """The recurrent branch's input: marked words as their plain word (`deep_unmarked`), ids past its
        embedding (rarer words) as unknown."""
        if self.config.deep_unmarked:
            ids = self.get_buffer("deep_ids")[ids]
        if self.config.embedded_ids < self.config.vocab_size:
            ids = ids.masked_fill(ids >= self.config.embedded_ids, UNKNOWN_ID)
        return self.embedding(ids)

    def ngram_ids(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of the wide table for each unigram and hashed bigram (and trigram), and which are real:
        (B, T + (T - 1) [+ (T - 2)]), unigrams first."""
        vocab, buckets = self.config.vocab_size, self.config.ngram_buckets
        pairs = ids[:, :-1] * _BIGRAM_PRIME + ids[:, 1:]
        rows, real = [ids, vocab + pairs % buckets], [mask, mask[:, 1:]]
        if self.config.ngram_order == 3:
            triples = pairs[:, :-1] * _TRIGRAM_PRIME + ids[:, 2:]
            rows.append(vocab + triples % buckets)
            real.append(mask[:, 2:])
        return torch.cat(rows, dim=1), torch.cat(real, dim=1)

    def wide_contributions(self, ids: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The wide branch's logit split over positions (B, T).

        Features are binary (an n-gram counts once per review, at its first occurrence): a word
        gets its unigram weight plus its share of each bigram (half) and trigram (a third) it takes
        part in. The rows sum to the branch's logit (without bias) exactly.
        """
        rows, real = self.ngram_ids(ids, mask)
        weights = self.wide(rows).squeeze(-1) * (real & _first_occurrence(rows, real))
        steps = ids.shape[1]
        per_position = weights[:, :steps]
        # n-gram k covers positions k .. k+n-1: each position adds the n-grams that start up to n-1
        # before it, read from the n-gram weights padded with zeros (any T, no in-place updates).
        for order, start in ((2, steps), (3, 2 * steps - 1))[: self.config.ngram_order - 1]:
            shares = torch.nn.functional.pad(
                weights[:, start : start + steps - order + 1] / order, (order - 1, order - 1)
            )
            for shift in range(order):
                per_position = per_position + shares[:, order - 1 - shift : order - 1 - shift + steps]
        return per_position


PEAK_TAU = 1e-4  # states within about this of a unit's max share its credit (deep_contributions)
MIDDLE_STARS = 5.5  # the middle of IMDB's 1-10 scale: below it negative, from it positive


def stars_on_label_side(p: torch.Tensor, negative: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """Stars for P(positive) `p`: from the stars-if-negative fit (clamped to 1-4) at p = 0 to the middle
    of the scale at p = 0.5, then to the stars-if-positive fit (7-10) at p = 1. A rating never contradicts
    its label (IMDB has no 5-6 star reviews; a review the model is unsure of lands near the middle)."""
    negative, positive = negative.clamp(1.0, 4.0), positive.clamp(7.0, 10.0)
    below = negative + 2 * p * (MIDDLE_STARS - negative)
    above = MIDDLE_STARS + (2 * p - 1) * (positive - MIDDLE_STARS)
    return torch.where(p < 0.5, below, above)


def _first_occurrence(rows: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """True where a row's feature id appears for the first time among its real features.

    The features are sorted by (feature, position), a key unique within the row, so no stable sort
    is needed and the first of equal features is the earliest; padding features sort first as -1."""
    features = rows.shape[1]
    keyed = rows.masked_fill(~real, -1)
    key = keyed * features + torch.arange(features, device=rows.device)[None, :]
    order = key.argsort(dim=1)
    ordered = keyed.gather(1, order)
    first = torch.cat([torch.ones_like(ordered[:, :1], dtype=torch.bool), ordered[:, 1:] != ordered[:, :-1]], dim=1)
    return torch.zeros_like(first).scatter(1, order, first)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
