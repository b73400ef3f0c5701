"""The network as ONNX graphs, checked against itself: what the model server runs (no PyTorch there).

`export_graphs(folder, rows)` loads the artifact in `folder`, writes
- `scorer.onnx`: (ids int64 (B, T), lengths int64 (B,)) -> logits (B,) [, stars (B,)],
- `explainer.onnx`: the same plus shares (B, T), each position's part of the logit,
with dynamic batch and length (TorchScript exporter, opset 17), then scores `rows` (the validation
split) with both graphs under ONNX Runtime and with the PyTorch network: every label must be the same
and every logit, star rating and share within TOLERANCE, or the export fails naming the worst row.
Only then does config.json record the graphs (file, sha256, inputs, outputs), the opset, the exporter
and the check.

The embedding and n-gram tables are float16 in the graphs, gathered then cast, exactly as the
artifact stores them (model.pt keeps large tables in float16), so no score moves; both graphs read
them from one file, `graphs.weights` (ONNX external data), so they are on disk once.
"""

from __future__ import annotations

import copy
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sentiment.core.errors import DataError
from sentiment.core.files import write_atomic
from sentiment.model.artifact import Artifact, load, save_config
from sentiment.model.network import SentimentNetwork
from sentiment.scoring.chunks import Scored, score_rows
from sentiment.scoring.graphs import GraphModel
from sentiment.scoring.manifest import GRAPH_FILES, file_sha256, read_manifest
from sentiment.text.vocab import UNKNOWN_ID

OPSET = 17
TOLERANCE = 1e-4  # logits, stars and shares: graphs against the PyTorch network
WEIGHTS_FILE = "graphs.weights"  # the tables both graphs read (ONNX external data)
SHARED_BYTES = 1 << 16  # initializers this large go to WEIGHTS_FILE


class HalfTable(nn.Module):
    """An embedding table kept in float16 (as the artifact stores it), rows cast to float32 when read."""

    def __init__(self, table: nn.Embedding) -> None:
        super().__init__()
        self.register_buffer("weight", table.weight.detach().half())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(ids, self.get_buffer("weight")).float()


def graph_network(model: SentimentNetwork) -> SentimentNetwork:
    """A copy of the network for export: tables whose values are all float16 numbers become HalfTables,
    and a bidirectional GRU's two directions become one ONNX GRU (FusedGRU)."""
    network = copy.deepcopy(model).eval()
    for name in ("embedding", "wide"):
        table = getattr(network, name, None)
        if isinstance(table, nn.Embedding) and torch.equal(table.weight.half().float(), table.weight):
            setattr(network, name, HalfTable(table))
    if network.config.cell == "gru" and network.config.bidirectional:
        fused = FusedGRU(network.rnn, network.rnn_reverse)
        network.add_module("fused_gru", fused)
        object.__setattr__(network, "recurrent_states", fused)  # the instance's, before the class's method
    return network


def _onnx_gates(tensor: torch.Tensor) -> torch.Tensor:
    """PyTorch's GRU gate order (reset, update, new) -> ONNX's (update, reset, hidden), along dim 0."""
    reset, update, new = tensor.chunk(3, dim=0)
    return torch.cat([update, reset, new], dim=0)


class _BidirectionalGRU(torch.autograd.Function):
    """ONNX's GRU (direction bidirectional, sequence_lens, linear_before_reset): each
    direction reads each row within its own length, the backward one from its last real step, and
    answers zeros past it. Eager, it computes the same step by step (it runs only while the exporter
    traces a small example); exported, it is one GRU node."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lengths: torch.Tensor, w: torch.Tensor, r: torch.Tensor,
                b: torch.Tensor) -> torch.Tensor:  # fmt: skip
        batch, steps, _ = x.shape
        hidden = r.shape[-1]
        out = x.new_zeros(batch, steps, 2, hidden)
        for direction in range(2):
            wz, wr, wh = w[direction].chunk(3)
            rz, rr, rh = r[direction].chunk(3)
            bwz, bwr, bwh, brz, brr, brh = b[direction].chunk(6)
            for row in range(batch):
                h = x.new_zeros(hidden)
                length = int(lengths[row])
                for t in range(length) if direction == 0 else reversed(range(length)):
                    z = torch.sigmoid(x[row, t] @ wz.T + bwz + h @ rz.T + brz)
                    reset = torch.sigmoid(x[row, t] @ wr.T + bwr + h @ rr.T + brr)
                    n = torch.tanh(x[row, t] @ wh.T + bwh + reset * (h @ rh.T + brh))
                    h = (1 - z) * n + z * h
                    out[row, t, direction] = h
        return out.reshape(batch, steps, 2 * hidden)

    @staticmethod
    def symbolic(g: Any, x: Any, lengths: Any, w: Any, r: Any, b: Any) -> Any:
        hidden = int(r.type().sizes()[-1])
        seq_lens = g.op("Cast", lengths, to_i=6)  # int32
        time_major = g.op("Transpose", x, perm_i=[1, 0, 2])  # ONNX Runtime's GRU reads (T, B, I) only
        y, _ = g.op(
            "GRU", time_major, w, r, b, seq_lens, hidden_size_i=hidden, direction_s="bidirectional",
            linear_before_reset_i=1, outputs=2,
        )  # fmt: skip
        batch_major = g.op("Transpose", y, perm_i=[2, 0, 1, 3])  # (T, 2, B, H) -> (B, T, 2, H)
        shape = g.op("Concat", g.op("Shape", x, end_i=2), g.op("Constant", value_t=torch.tensor([-1])), axis_i=0)
        return g.op("Reshape", batch_major, shape)  # (B, T, 2H): forward units, then backward


class FusedGRU(nn.Module):
    """The network's two GRUs (forward, and forward over each row reversed within its length) as one
    bidirectional GRU, with their weights in ONNX's layout."""

    def __init__(self, *directions: nn.Module) -> None:
        super().__init__()
        params = [{name: p.detach() for name, p in d.named_parameters()} for d in directions]
        self.register_buffer("w", torch.stack([_onnx_gates(p["weight_ih_l0"]) for p in params]))
        self.register_buffer("r", torch.stack([_onnx_gates(p["weight_hh_l0"]) for p in params]))
        biases = [torch.cat([_onnx_gates(p["bias_ih_l0"]), _onnx_gates(p["bias_hh_l0"])]) for p in params]
        self.register_buffer("b", torch.stack(biases))

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        weights = (self.get_buffer(n) for n in ("w", "r", "b"))
        return _BidirectionalGRU.apply(embedded, lengths, *weights)  # type: ignore[no-any-return]


class Scorer(nn.Module):
    def __init__(self, network: SentimentNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs = self.network.outputs(ids, lengths)
        return (outputs.logits,) if outputs.stars is None else (outputs.logits, outputs.stars)


class Explainer(Scorer):
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        from sentiment.model.explain import explained

        outputs, shares = explained(self.network, ids, lengths)
        return (outputs.logits, shares) if outputs.stars is None else (outputs.logits, outputs.stars, shares)


def _graph(module: nn.Module, outputs: list[str]) -> bytes:
    ids = torch.tensor([[5, 9, 2, 7, 3, 11, 4], [8, 6, 0, 0, 0, 0, 0], [12, 0, 0, 0, 0, 0, 0]])
    lengths = torch.tensor([7, 2, 1])
    axes = {"ids": {0: "batch", 1: "steps"}, "lengths": {0: "batch"}}
    axes |= {name: {0: "batch", 1: "steps"} if name == "shares" else {0: "batch"} for name in outputs}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracing notes
        torch.onnx.export(
            module,
            (ids, lengths),
            buffer,  # type: ignore[arg-type]  # a file object is what the TorchScript exporter writes to
            dynamo=False,
            opset_version=OPSET,
            input_names=["ids", "lengths"],
            output_names=outputs,
            dynamic_axes=axes,
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class Check:
    """How the graphs compare with the PyTorch network on the check's rows."""

    rows: int
    max_logit_diff: float
    max_stars_diff: float
    max_share_diff: float
    labels_identical: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "max_abs_logit_diff": float(f"{self.max_logit_diff:.3g}"),
            "max_abs_stars_diff": float(f"{self.max_stars_diff:.3g}"),
            "max_abs_share_diff": float(f"{self.max_share_diff:.3g}"),
            "labels_identical": self.labels_identical,
            "tolerance": TOLERANCE,
        }


def _worst(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    diff = np.abs(a - b)
    return (float(diff.max()), int(diff.argmax())) if diff.size else (0.0, 0)


def compare(reference: Artifact, graphs: GraphModel, ids: np.ndarray, lengths: np.ndarray) -> Check:
    """Both graphs against the PyTorch network on the rows; DataError naming the worst row past TOLERANCE."""
    problems = []
    expected, got = score_rows(reference, ids, lengths), score_rows(graphs, ids, lengths)
    explained_expected, explained_got = (score_rows(m, ids, lengths, explain=True) for m in (reference, graphs))
    logit_diff, logit_row = _worst(expected.logits, got.logits)
    stars_diff, stars_row = _worst(*_stars(expected, got))
    share_diffs = [
        float(np.abs(a - b).max()) for a, b in zip(_shares(explained_expected), _shares(explained_got), strict=True)
    ]
    share_diff, share_row = (max(share_diffs), int(np.argmax(share_diffs))) if share_diffs else (0.0, 0)
    explained_logit_diff, explained_row = _worst(expected.logits, explained_got.logits)
    labels = bool(((expected.logits >= 0) == (got.logits >= 0)).all())
    if not labels:
        flipped = int(np.flatnonzero((expected.logits >= 0) != (got.logits >= 0))[0])
        problems.append(
            f"row {flipped} changes label (logit {expected.logits[flipped]:.6f} -> {got.logits[flipped]:.6f})"
        )
    for what, diff, row in (
        ("logit", logit_diff, logit_row),
        ("explainer's logit", explained_logit_diff, explained_row),
        ("star rating", stars_diff, stars_row),
        ("share", share_diff, share_row),
    ):
        if diff > TOLERANCE:
            problems.append(f"row {row}: {what} differs by {diff:.2e} (tolerance {TOLERANCE:g})")
    if problems:
        raise DataError("the exported graphs do not score as the network does: " + "; ".join(problems))
    return Check(len(lengths), max(logit_diff, explained_logit_diff), stars_diff, share_diff, labels)


def _stars(a: Scored, b: Scored) -> tuple[np.ndarray, np.ndarray]:
    if a.stars is None or b.stars is None:
        return np.zeros(0), np.zeros(0)
    return a.stars, b.stars


def _shares(scored: Scored) -> list[np.ndarray]:
    return scored.shares or []


def describe(check: Check) -> str:
    return (
        f"graphs: scorer.onnx + explainer.onnx (opset {OPSET}), checked on {check.rows:,} rows against the network: "
        f"max |delta logit| {check.max_logit_diff:.1e}, stars {check.max_stars_diff:.1e}, shares "
        f"{check.max_share_diff:.1e}, labels identical"
    )


def _share_tables(graphs: dict[str, bytes], folder: Path) -> dict[str, bytes]:
    """Both graphs with their large initializers moved to one external-data file they both point to."""
    import onnx
    from onnx.external_data_helper import set_external_data

    models = {role: onnx.load_from_string(data) for role, data in graphs.items()}
    placed: dict[str, tuple[bytes, int]] = {}  # name -> (bytes, offset)
    blob = io.BytesIO()
    for model in models.values():
        for tensor in model.graph.initializer:
            data = tensor.raw_data
            if len(data) < SHARED_BYTES:
                continue
            if tensor.name not in placed or placed[tensor.name][0] != data:
                if tensor.name in placed:
                    continue  # same name, other contents: keep it in its graph
                placed[tensor.name] = (data, blob.tell())
                blob.write(data)
            set_external_data(tensor, WEIGHTS_FILE, offset=placed[tensor.name][1], length=len(data))
            tensor.ClearField("raw_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
    (folder / WEIGHTS_FILE).unlink(missing_ok=True)
    if blob.tell():
        write_atomic(folder / WEIGHTS_FILE, blob.getvalue())
    return {role: model.SerializeToString() for role, model in models.items()}


def with_edge_rows(ids: np.ndarray, lengths: np.ndarray, vocab_size: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows, plus the shapes a check must not miss: a review of one word, one of only unknown words
    and one of a single word repeated, both as long as the model reads, and the highest id."""
    width = max(width, ids.shape[1] if ids.size else 1)
    edges = np.zeros((4, width), dtype=np.int64)
    edges[0, 0] = 2
    edges[1, :] = UNKNOWN_ID
    edges[2, :] = 2
    edges[3, 0] = vocab_size - 1
    padded = np.zeros((len(ids), width), dtype=np.int64)
    padded[:, : ids.shape[1]] = ids
    return np.concatenate([padded, edges]), np.concatenate([np.asarray(lengths, dtype=np.int64), [1, width, width, 1]])


def export_graphs(folder: str | Path, ids: np.ndarray, lengths: np.ndarray, source: str) -> Check:
    """Export both graphs of the artifact in `folder`, check them on the rows (`source` names them in
    config.json) and the edge rows, and record them in config.json."""
    artifact = load(folder)
    ids, lengths = with_edge_rows(ids, lengths, artifact.word_dict.size, artifact.sequence_length)
    folder = read_manifest(folder).folder
    network = graph_network(artifact.model)
    names = ["logits", "stars"] if artifact.rating_head else ["logits"]
    outputs = {"scorer": names, "explainer": [*names, "shares"]}
    modules = {"scorer": Scorer(network), "explainer": Explainer(network)}
    graphs = _share_tables({role: _graph(modules[role], outputs[role]) for role in outputs}, folder)
    files: dict[str, Any] = {}
    if (folder / WEIGHTS_FILE).is_file():
        files["weights"] = {"file": WEIGHTS_FILE, "sha256": file_sha256(folder / WEIGHTS_FILE)}
    for role, data in graphs.items():
        path = folder / GRAPH_FILES[role]
        write_atomic(path, data)
        files[role] = {
            "file": path.name,
            "sha256": file_sha256(path),
            "inputs": ["ids", "lengths"],
            "outputs": outputs[role],
        }
    artifact.graphs = {**files, "opset": OPSET, "exporter": f"torch.onnx (TorchScript), torch {torch.__version__}"}
    save_config(artifact, folder)  # the graphs are found through config.json: checked next
    try:
        check = compare(artifact, GraphModel.load(folder), ids, lengths)
    except DataError:
        artifact.graphs = {}
        save_config(artifact, folder)
        raise
    artifact.graphs["check"] = {"data": source, **check.to_dict()}
    save_config(artifact, folder)
    return check
