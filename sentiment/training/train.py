"""Training: length-bucketed batches, validation every epoch, early stopping, best checkpoint."""

from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from sentiment.core.errors import ConfigError
from sentiment.model.inference import batch_tensors, device_of, predict_logits, resolve_device, to_device
from sentiment.model.network import NetworkConfig, SentimentNetwork
from sentiment.training.calibration import fit_temperature
from sentiment.training.encoded import EncodedSet, concatenate
from sentiment.training.ngram import fit_wide_branch
from sentiment.training.rating import fit_rating_head
from sentiment.training.wide_fit import ExtraRows, WideFit, fit_wide, recurrent_training_rows


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation hyperparameters (the network's own live in NetworkConfig)."""

    epochs: int = 2  # with three times the rows (self-training), the first epoch is usually the best
    batch_size: int = 64
    learning_rate: float = 2e-3
    ngram_c: float = 0.1  # inverse L2 strength of the n-gram branch's logistic regression
    sentence_weight: float = 0.3  # weight of a sentence crop in the n-gram fit (a review's: 1)
    pseudo_margin: float = 2.0  # |logit| of the n-gram branch an unlabelled review's pseudo-label needs
    unlabelled_rows: int = 30_000  # pseudo-labelled reviews the recurrent branch trains on (0: no self-training)
    refit_wide: bool = False  # fit the n-gram branch again on training + validation rows, last
    weight_decay: float = 1e-5
    patience: int = 2
    seed: int = 42
    max_minutes: float = 14.0
    threads: int = 0
    chunk_batches: int = 50
    device: str = "auto"  # auto: CUDA when there is a GPU (mixed precision there), else MPS, else the CPU

    def validate(self) -> None:
        if min(self.epochs, self.batch_size, self.patience) < 1:
            raise ConfigError("epochs, batch_size and patience must be at least 1")
        if self.learning_rate <= 0 or self.ngram_c <= 0 or self.max_minutes <= 0:
            raise ConfigError("learning_rate, ngram_c and max_minutes must be positive")
        if min(self.sentence_weight, self.pseudo_margin, self.unlabelled_rows) < 0:
            raise ConfigError("sentence_weight, pseudo_margin and unlabelled_rows must not be negative")


@dataclass
class EpochRecord:
    branch: str
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    seconds: float
    mixed_val_loss: float | None = None  # of both branches mixed (what ships): the recurrent epochs' yardstick


@dataclass
class TrainResult:
    model: SentimentNetwork
    temperature: float
    best_epoch: int  # of the recurrent branch
    seconds: float
    history: list[EpochRecord] = field(default_factory=list)
    rating: dict[str, float] = field(default_factory=dict)  # the rating head's fit, if any
    extra_rows: dict[str, float] = field(default_factory=dict)  # sentence crops and self-training

    def summary(self) -> dict[str, object]:
        return {
            "extra_rows": self.extra_rows,
            "best_epoch": self.best_epoch,
            "seconds": round(self.seconds, 1),
            "temperature": round(self.temperature, 4),
            "mix": [round(float(x), 4) for x in getattr(self.model, "mix", torch.zeros(0)).tolist()],
            "rating_head": self.rating,
            "history": [asdict(r) for r in self.history],
        }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def bucketed_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, chunk_batches: int
) -> list[np.ndarray]:
    """Shuffled batches of indices with similar lengths: shuffle, sort within chunks, cut, shuffle batches."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * chunk_batches
    batches: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def _loss(logits: np.ndarray, labels: np.ndarray) -> float:
    x = torch.from_numpy(logits)
    return float(nn.functional.binary_cross_entropy_with_logits(x, torch.from_numpy(labels).double()))


def _record(
    branch: str, epoch: int, train_loss: float, val_logits: np.ndarray, validation_set: EncodedSet, started: float
) -> EpochRecord:
    return EpochRecord(
        branch=branch,
        epoch=epoch,
        train_loss=round(train_loss, 5),
        val_loss=round(_loss(val_logits, validation_set.labels), 5),
        val_accuracy=round(float(((val_logits > 0) == (validation_set.labels == 1)).mean()), 5),
        seconds=round(time.perf_counter() - started, 1),
    )


def _schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first 5% of steps, then cosine decay."""
    warmup = max(1, total_steps // 20)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
        ),
    )


def _precision(device: torch.device) -> tuple[Any, torch.amp.GradScaler]:
    """Mixed precision on CUDA: bfloat16 where the GPU has it (no scaling needed), else float16 with
    gradient scaling; full precision elsewhere (the scaler then passes everything through)."""
    if device.type != "cuda":
        return contextlib.nullcontext, torch.amp.GradScaler("cuda", enabled=False)
    bf16 = torch.cuda.is_bf16_supported(including_emulation=False)  # native (A100, L4, A10G, H100), not T4/V100
    dtype = torch.bfloat16 if bf16 else torch.float16
    return lambda: torch.autocast("cuda", dtype=dtype), torch.amp.GradScaler("cuda", enabled=not bf16)


def _train_recurrent(
    model: SentimentNetwork,
    data: tuple[EncodedSet, EncodedSet],
    config: TrainConfig,
    deadline: float,
    progress: bool,
) -> list[EpochRecord]:
    """Train the recurrent branch on its own logit, on the model's device; keep its best-validation
    weights (early stopping)."""
    train_set, validation_set = data
    branch, epochs = "deep", config.epochs
    params = [p for n, p in model.named_parameters() if not n.startswith("wide")]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = _schedule(optimizer, math.ceil(len(train_set) / config.batch_size) * epochs)
    loss_fn = nn.BCEWithLogitsLoss()
    device = device_of(model)
    autocast, scaler = _precision(device)
    rng = np.random.default_rng(config.seed)
    history: list[EpochRecord] = []
    best_state, best_loss, stale = copy.deepcopy(model.state_dict()), math.inf, 0
    wide_val = predict_logits(model, validation_set, branch="wide") if model.config.ngram_buckets else None
    for epoch in range(1, epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        batches = bucketed_batches(train_set.lengths, config.batch_size, rng, config.chunk_batches)
        bar = tqdm(batches, desc=f"{branch} epoch {epoch}/{epochs}", unit="batch", disable=not progress, leave=False)
        running = 0.0
        for step, index in enumerate(bar, 1):
            ids, lengths = batch_tensors(train_set, index, device)
            labels = to_device(torch.from_numpy(train_set.labels[index]).float(), device)
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = loss_fn(model.branch_logit(branch, ids, lengths).float(), labels)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # so that clipping sees the true gradients
            nn.utils.clip_grad_norm_(params, 5.0)
            scaler.step(optimizer)
            scaler.update()
            schedule.step()
            running += (loss.item() - running) / min(step, 50)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{running:.4f}")
        deep_val = predict_logits(model, validation_set, branch=branch)
        record = _record(branch, epoch, running, deep_val, validation_set, epoch_started)
        if wide_val is not None:  # the epoch that makes the best mixed model, not the best branch alone
            record.mixed_val_loss = round(mix_weights(deep_val, wide_val, validation_set.labels)[1], 5)
        history.append(record)
        if progress:
            mixed = f"  mixed val loss {record.mixed_val_loss:.4f}" if record.mixed_val_loss is not None else ""
            tqdm.write(
                f"{branch} epoch {epoch}: train loss {record.train_loss:.4f}  val loss {record.val_loss:.4f}  "
                f"val acc {record.val_accuracy:.2%}{mixed}  ({record.seconds:.0f} s)"
            )
        yardstick = record.mixed_val_loss if record.mixed_val_loss is not None else record.val_loss
        if yardstick < best_loss:
            best_state, best_loss, stale = copy.deepcopy(model.state_dict()), yardstick, 0
        else:
            stale += 1
            if stale >= config.patience:
                break
        if time.perf_counter() + record.seconds > deadline and epoch < epochs:
            if progress:
                tqdm.write(f"stopping {branch}: another epoch would pass the {config.max_minutes:g}-minute budget")
            break
    model.load_state_dict(best_state)
    return history


def _fit_wide(
    model: SentimentNetwork,
    data: tuple[EncodedSet, EncodedSet],
    extra: ExtraRows,
    config: TrainConfig,
    progress: bool,
) -> tuple[EpochRecord, WideFit]:
    """The n-gram branch in one exact fit (NB-weighted logistic regression), with the sentence crops
    and the pseudo-labelled unlabelled reviews (wide_fit.py)."""
    started = time.perf_counter()
    train_set, validation_set = data
    fit = fit_wide(
        model,
        train_set,
        validation_set,
        extra,
        c=config.ngram_c,
        sentence_weight=config.sentence_weight,
        margin=config.pseudo_margin,
        unlabelled_rows=config.unlabelled_rows,
        seed=config.seed,
        progress=progress,
    )
    train_loss = _loss(predict_logits(model, train_set, branch="wide"), train_set.labels)
    record = _record(
        "wide", 1, train_loss, predict_logits(model, validation_set, branch="wide"), validation_set, started
    )
    if progress:
        pseudo = fit.summary.get("pseudo_labelled")
        more = f", {pseudo:,.0f} unlabelled reviews pseudo-labelled" if pseudo else ""
        tqdm.write(
            f"n-gram branch (NB logistic regression{more}): val loss {record.val_loss:.4f}  "
            f"val acc {record.val_accuracy:.2%}  ({record.seconds:.0f} s)"
        )
    return record, fit


def mix_weights(deep: np.ndarray, wide: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, float]:
    """Weights of the two branches' logits and a bias (logistic regression), and its log-loss."""
    features = torch.tensor(np.c_[deep, wide])
    target = torch.from_numpy(labels).double()
    mix = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([mix], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def objective() -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(features @ mix[:2] + mix[2], target)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = objective() + 1e-3 * (mix[:2] ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return mix.detach(), float(objective())


def fit_mix(model: SentimentNetwork, validation_set: EncodedSet) -> None:
    """Set the mix of the two branches' logits (and a bias), fitted on validation."""
    deep, wide = (predict_logits(model, validation_set, branch=b) for b in ("deep", "wide"))
    mix, _ = mix_weights(deep, wide, validation_set.labels)
    with torch.no_grad():
        model.get_buffer("mix").copy_(mix.float())


def train(
    network: NetworkConfig,
    train_set: EncodedSet,
    validation_set: EncodedSet,
    config: TrainConfig,
    progress: bool = True,
    embeddings: np.ndarray | None = None,
    ratings: tuple[np.ndarray, np.ndarray] | None = None,
    deep_ids: list[int] | None = None,
    extra: ExtraRows | None = None,
) -> TrainResult:
    """Train (the wide branch first, then the recurrent one), keep the best validation weights,
    fit the branches' mix and a temperature on validation, then the rating head.

    `embeddings` (vocab_size, embedding_dim), when given, initialises the embedding layer;
    `ratings` (train, validation), the stars of each row, are needed by a network with a rating head;
    `deep_ids` (WordDict.unmarked_ids) by one whose recurrent branch reads negated words unmarked.
    `extra` rows (sentence crops, unlabelled reviews) join the fit of a network with an n-gram branch:
    see wide_fit.py (the recurrent branch trains on the crops and the pseudo-labelled reviews too).
    With `config.refit_wide`, the n-gram branch is fitted again last, on training and validation rows
    together, without the extra rows (its strength was chosen on validation; the mix and temperature
    stay as fitted).
    On `config.device` (auto: a GPU when there is one): the n-gram branch is fitted on the CPU
    (scikit-learn), everything else on the device; the model comes back on the CPU, as it is saved.
    """
    if network.rating_head and ratings is None:
        raise ConfigError("this network has a rating head: its training data needs ratings.json (`sentiment data`)")
    config.validate()
    seed_everything(config.seed)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    model = SentimentNetwork(network)
    if network.deep_unmarked:
        if deep_ids is None:
            raise ConfigError("this network reads negated words unmarked: give the word dictionary's unmarked ids")
        model.set_deep_ids(deep_ids)
    if embeddings is not None:
        rows, dim = model.embedding.weight.shape
        if embeddings.shape[1] != dim or embeddings.shape[0] < rows:
            raise ConfigError(
                f"pretrained embeddings have shape {embeddings.shape}, the network needs ({rows}, {dim}): "
                "match --embedding-dim to `sentiment data --embedding-dim`"
            )
        with torch.no_grad():  # the first `rows` ids: the recurrent branch embeds the most frequent words
            model.embedding.weight.copy_(torch.from_numpy(embeddings[:rows]))
            model.embedding.weight[0].zero_()
    started = time.perf_counter()
    deadline = started + config.max_minutes * 60
    history: list[EpochRecord] = []
    recurrent_rows, extra_rows = train_set, {}
    if network.ngram_buckets:
        record, fit = _fit_wide(model, (train_set, validation_set), extra or ExtraRows(), config, progress)
        history.append(record)
        recurrent_rows, extra_rows = recurrent_training_rows(train_set, fit), fit.summary
    device = resolve_device(config.device)
    if progress and device.type != "cpu":
        tqdm.write(f"training on {torch.cuda.get_device_name(device) if device.type == 'cuda' else device}")
    model.to(device)
    history += _train_recurrent(model, (recurrent_rows, validation_set), config, deadline, progress)
    if network.ngram_buckets:
        fit_mix(model, validation_set)
    model.eval()
    temperature = fit_temperature(predict_logits(model, validation_set), validation_set.labels)
    rating: dict[str, float] = {}
    if network.rating_head and ratings is not None:
        rating = fit_rating_head(model, train_set, ratings[0], validation_set, ratings[1])
    model.to("cpu")  # saved, exported and served from the CPU
    if network.ngram_buckets and config.refit_wide:
        fit_wide_branch(model, concatenate(train_set, validation_set), config.ngram_c)
    deep_history = [r for r in history if r.branch == "deep"]
    best_epoch = min(deep_history, key=lambda r: r.mixed_val_loss if r.mixed_val_loss is not None else r.val_loss).epoch
    seconds = time.perf_counter() - started
    return TrainResult(model, temperature, best_epoch, seconds, history, rating, extra_rows)
