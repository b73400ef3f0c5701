"""`sentiment drift CAPTURE_LOCATION`: is the endpoint asked what the model was trained on?

SageMaker Data Capture (real-time endpoints; `deploy_endpoint.py --data-capture s3://...`) writes
each request and answer as JSON lines. This report reads them (a local folder or an s3:// prefix)
and compares the traffic with the validation reviews (held out from the training data the model
learnt from, drawn the same way, and never augmented; on the training reviews themselves every word
is known by construction), signal by signal, with a verdict each:

| signal | measure | watch | drift |
| --- | --- | --- | --- |
| review length (ids per review) | PSI over the validation lengths' deciles | >= 0.10 | >= 0.25 |
| unknown words (id 1) | share of ids, traffic minus validation | >= +2 points | >= +5 points |
| infrequent words (past the 10,000 most frequent) | share of ids, minus validation | >= +5 points | >= +10 points |
| scores | PSI over ten equal bins, against the model's scores on validation | >= 0.10 | >= 0.25 |
| positive rate | share of scores >= 0.5, traffic minus validation | >= 8 points | >= 15 points |

PSI (population stability index) = sum over bins of (traffic - reference) * ln(traffic / reference);
0.1 and 0.25 are the customary thresholds. A PNG report draws the four comparisons.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.core.errors import DataError
from sentiment.data import storage
from sentiment.scoring.chunks import ServableModel, calibrated, score_rows
from sentiment.scoring.graphs import GraphModel
from sentiment.serving.handlers import EndpointError, RowLimits, check_batch, input_fn
from sentiment.text.vocab import RESERVED, UNKNOWN_ID
from sentiment.training.encoded import EncodedSet

MAX_CAPTURE_FILE_BYTES = 256 * 1024 * 1024  # SageMaker rolls capture files over long before this
INFREQUENT_RANK = 10_000  # words past the most frequent 10,000 count as infrequent
PSI_WATCH, PSI_DRIFT = 0.10, 0.25
MIN_EVENTS = 1


@dataclass
class Traffic:
    """What the captured requests held: ids per row, and the scores the endpoint answered."""

    rows: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    events: int = 0
    files: int = 0
    refused: int = 0  # captured requests the endpoint refused: not its traffic, not counted


@dataclass(frozen=True)
class Signal:
    name: str
    measure: str
    value: float
    verdict: str  # "stable", "watch" or "drift"

    def line(self) -> str:
        return f"{self.verdict.upper():6} {self.name}: {self.measure}"


def _capture_lines(location: str) -> Iterator[tuple[str, str]]:
    """(file name, line) of every capture file (*.jsonl) under a local folder or an s3:// prefix, each
    read with a bound (a link to a device, a folder named like a file: one line of error)."""
    if storage.is_s3(location):
        names: list[str] = storage.list_s3(location, suffix=".jsonl")
    else:
        root = Path(location)
        if not root.exists():
            raise DataError(f"no capture location {location}")
        names = [str(root)] if not root.is_dir() else [str(p) for p in sorted(root.rglob("*.jsonl"))]
    for name in names:
        data = storage.read_bounded(name, MAX_CAPTURE_FILE_BYTES, what="capture file")
        for line in data.decode("utf-8", errors="replace").split("\n"):
            yield name, line.removesuffix("\r")


def _payload(part: dict[str, Any]) -> tuple[str, str]:
    """(content type, text) of a captured endpointInput / endpointOutput."""
    data, encoding = part.get("data"), str(part.get("encoding", "")).upper()
    if not isinstance(data, str):
        raise ValueError("no data")
    text = base64.b64decode(data).decode("utf-8") if encoding == "BASE64" else data
    return str(part.get("observedContentType", "")).split(";")[0].strip().lower(), text


def _rows(content_type: str, text: str, model: ServableModel | None) -> list[np.ndarray]:
    """The reviews' ids of a captured request, read and checked as the model server reads and checks them
    (one parser, the served model's limits): what the endpoint refused is not its traffic."""
    batch = input_fn(text, content_type, limits=RowLimits.of(model) if model else RowLimits())
    if model is not None:
        check_batch(batch, model)
    return [row[:length] for row, length in zip(batch.ids, batch.lengths, strict=True)]


def _scores(content_type: str, text: str) -> list[float]:
    """The scores of a captured answer (the model server's JSON or CSV); ValueError if not scores."""
    if content_type == "text/csv":
        scores = [float(line) for line in text.split()]
    else:
        scores = [float(p["score"]) for p in json.loads(text)["predictions"]]
    if not all(0.0 <= s <= 1.0 for s in scores):
        raise ValueError("a score outside 0..1")
    return scores


def read_traffic(location: str, model: ServableModel | None = None) -> Traffic:
    """Every captured request and answer under `location`, read with `model`'s limits; DataError naming the
    file for what is not a SageMaker capture of this endpoint (one line)."""
    traffic = Traffic()
    seen: set[str] = set()
    for name, line in _capture_lines(location):
        if not line.strip():
            continue
        seen.add(name)
        try:
            event = json.loads(line)
            captured = event["captureData"]
            rows = _rows(*_payload(captured["endpointInput"]), model)
            scores = _scores(*_payload(captured["endpointOutput"])) if "endpointOutput" in captured else []
        except EndpointError:
            traffic.refused += 1  # the endpoint answered it with an error: nothing was scored
            continue
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
            raise DataError(
                f"{name}: not a SageMaker Data Capture line of this endpoint ({type(exc).__name__})"
            ) from None
        traffic.rows.extend(rows)
        traffic.scores.extend(scores)
        traffic.events += 1
    traffic.files = len(seen)
    if traffic.events < MIN_EVENTS or not traffic.rows:
        refused = f" but {traffic.refused:,} the endpoint refused" if traffic.refused else ""
        raise DataError(
            f"no captured requests under {location}{refused}: is Data Capture on, and has the endpoint been called?"
        )
    return traffic


def psi(reference: np.ndarray, traffic: np.ndarray, edges: np.ndarray) -> float:
    """Population stability index of `traffic` against `reference` over the bins `edges`."""
    expected = np.histogram(reference, edges)[0] + 0.5
    actual = np.histogram(traffic, edges)[0] + 0.5
    expected, actual = expected / expected.sum(), actual / actual.sum()
    return float(((actual - expected) * np.log(actual / expected)).sum())


def _verdict(value: float, watch: float, drift: float) -> str:
    return "drift" if value >= drift else "watch" if value >= watch else "stable"


@dataclass(frozen=True)
class Report:
    signals: list[Signal]
    traffic: Traffic
    reference_lengths: np.ndarray
    reference_scores: np.ndarray
    shares: dict[str, tuple[float, float]]  # signal -> (reference share, traffic share)

    @property
    def verdict(self) -> str:
        worst = max(("stable", "watch", "drift").index(s.verdict) for s in self.signals)
        return ("stable", "watch", "drift")[worst]


def _id_shares(rows: list[np.ndarray]) -> tuple[float, float]:
    ids = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    if not len(ids):
        return 0.0, 0.0
    return float((ids == UNKNOWN_ID).mean()), float((ids >= RESERVED + INFREQUENT_RANK).mean())


def compare(traffic: Traffic, validation: EncodedSet, model: GraphModel) -> Report:
    """Every signal of the traffic against the validation reviews and the model's scores on them."""
    reference_rows = [row[:length] for row, length in zip(validation.ids, validation.lengths, strict=True)]
    reference_lengths = validation.lengths.astype(float)
    lengths = np.array([len(row) for row in traffic.rows], dtype=float)
    edges = np.unique(np.quantile(reference_lengths, np.linspace(0, 1, 11)))
    edges[0], edges[-1] = 0, max(edges[-1], lengths.max(initial=0)) + 1
    signals = []
    value = psi(reference_lengths, lengths, edges)
    signals.append(
        Signal(
            "review length",
            f"PSI {value:.3f} (median {np.median(lengths):.0f} ids, {np.median(reference_lengths):.0f} on validation)",
            value,
            _verdict(value, PSI_WATCH, PSI_DRIFT),
        )
    )
    reference_unknown, reference_rare = _id_shares(reference_rows)
    unknown, rare = _id_shares(traffic.rows)
    for name, ref, now, watch, drift in (
        ("unknown words", reference_unknown, unknown, 0.02, 0.05),
        ("infrequent words", reference_rare, rare, 0.05, 0.10),
    ):
        signals.append(
            Signal(name, f"{now:.1%} of ids vs {ref:.1%} on validation", now - ref, _verdict(now - ref, watch, drift))
        )
    reference = score_rows(model, validation.ids, validation.lengths, parallel=os.cpu_count() or 1)
    reference_scores = calibrated(reference.logits, model.temperature)
    scores = np.asarray(traffic.scores, dtype=float)
    if len(scores):
        value = psi(reference_scores, scores, np.linspace(0, 1, 11))
        signals.append(Signal("scores", f"PSI {value:.3f}", value, _verdict(value, PSI_WATCH, PSI_DRIFT)))
        positive, expected = float((scores >= 0.5).mean()), float((reference_scores >= 0.5).mean())
        signals.append(
            Signal(
                "positive rate",
                f"{positive:.1%} vs {expected:.1%} on validation",
                abs(positive - expected),
                _verdict(abs(positive - expected), 0.08, 0.15),
            )
        )
    shares = {"unknown": (reference_unknown, unknown), "infrequent": (reference_rare, rare)}
    return Report(signals, traffic, reference_lengths, reference_scores, shares)


def text(report: Report, location: str, plot: Path | None) -> str:
    lines = [
        f"{report.traffic.events:,} captured requests ({len(report.traffic.rows):,} reviews) in "
        f"{report.traffic.files:,} files under {location}:"
    ]
    if report.traffic.refused:
        lines.append(f"  ({report.traffic.refused:,} captured requests the endpoint refused are not counted)")
    lines += ["  " + s.line() for s in report.signals]
    if not report.traffic.scores:
        lines.append("  (no captured answers: Data Capture's Output mode is off; scores not compared)")
    lines.append(f"verdict: {report.verdict.upper()}" + (f"; report {plot}" if plot else ""))
    return "\n".join(lines)


def plot(report: Report, path: Path) -> Path:
    """Four panels a person can read at a glance: lengths, unknown and infrequent words, scores, verdicts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colour = {"stable": "#2e7d32", "watch": "#f9a825", "drift": "#c62828"}
    by_name = {s.name: s for s in report.signals}
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    lengths = np.array([len(row) for row in report.traffic.rows])
    top = max(np.quantile(report.reference_lengths, 0.99), np.quantile(lengths, 0.99), 10)
    bins = np.linspace(0, top, 40)
    ax = axes[0, 0]
    ax.hist(report.reference_lengths, bins, density=True, alpha=0.5, label="validation", color="grey")
    ax.hist(lengths, bins, density=True, alpha=0.6, label="traffic", color=colour[by_name["review length"].verdict])
    ax.set(title=f"review length: {by_name['review length'].verdict}", xlabel="ids per review", ylabel="density")
    ax.legend()
    ax = axes[0, 1]
    names = ["unknown words", "infrequent words"]
    reference = [100 * report.shares[n.split()[0]][0] for n in names]
    traffic = [100 * report.shares[n.split()[0]][1] for n in names]
    x = np.arange(2)
    ax.bar(x - 0.2, reference, 0.4, label="validation", color="grey")
    ax.bar(x + 0.2, traffic, 0.4, label="traffic", color=[colour[by_name[n].verdict] for n in names])
    ax.set(xticks=x, xticklabels=names, ylabel="% of ids", title="words the model does not know well")
    ax.legend()
    ax = axes[1, 0]
    if report.traffic.scores:
        edges = np.linspace(0, 1, 21)
        ax.hist(report.reference_scores, edges, density=True, alpha=0.5, label="validation", color="grey")
        ax.hist(
            report.traffic.scores,
            edges,
            density=True,
            alpha=0.6,
            label="traffic",
            color=colour[by_name["scores"].verdict],
        )
        ax.legend()
    ax.set(
        title="scores" + (f": {by_name['scores'].verdict}" if "scores" in by_name else " (not captured)"),
        xlabel="P(positive)",
    )
    ax = axes[1, 1]
    ax.axis("off")
    for i, signal in enumerate(report.signals):
        ax.text(
            0,
            0.9 - 0.16 * i,
            f"{signal.verdict.upper()}  {signal.name}",
            color=colour[signal.verdict],
            fontsize=12,
            weight="bold",
            transform=ax.transAxes,
        )
        ax.text(0.02, 0.83 - 0.16 * i, signal.measure, fontsize=9, transform=ax.transAxes)
    fig.suptitle(f"drift report: {report.verdict.upper()} ({report.traffic.events:,} captured requests)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
