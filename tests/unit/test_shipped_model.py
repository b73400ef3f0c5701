"""The default artifact committed under model/artifact: loads safely, matches its dictionary, has metrics."""

import json
import re
from pathlib import Path

import torch

from sentiment.core.config import PROJECT_ROOT
from sentiment.model import artifact
from sentiment.text.vocab import WordDict

SHIPPED = PROJECT_ROOT / "model" / "artifact"


def test_weights_load_with_weights_only() -> None:
    state = torch.load(SHIPPED / "model.pt", map_location="cpu", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_vocabulary_hash_matches_the_shipped_dictionary() -> None:
    config = json.loads((SHIPPED / "config.json").read_text())
    assert config["preprocessing"]["vocab_sha256"] == WordDict.load(SHIPPED / "word_dict.json").sha256
    loaded = artifact.load(SHIPPED)
    assert loaded.network.name == "default" and loaded.word_dict.size == config["network"]["vocab_size"]


def test_metrics_and_plots_are_shipped() -> None:
    metrics = json.loads((SHIPPED / "metrics.json").read_text())
    assert metrics["n"] == 25_000 and 0.5 < metrics["accuracy"] <= 1
    for plot in metrics["plots"]:
        assert (SHIPPED / plot).is_file()


def test_artifact_is_small_enough_to_commit() -> None:
    """Every file under 25 MB (what a repository should hold as one file); the whole under 40 MB: the
    PyTorch weights and the graphs' tables hold the same float16 tables once each (the server runs
    without PyTorch, training without ONNX Runtime's file layout)."""
    sizes = {p.name: p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file()}
    assert max(sizes.values()) <= 25 * 1024 * 1024, sizes
    assert sum(sizes.values()) <= 40 * 1024 * 1024, f"{sum(sizes.values()) / 2**20:.1f} MB"


def test_the_shipped_artifact_carries_its_checked_graphs() -> None:
    graphs = json.loads((SHIPPED / "config.json").read_text())["graphs"]
    assert {"scorer", "explainer", "weights"} <= set(graphs)
    check = graphs["check"]
    assert check["data"] == "validation.csv" and check["rows"] >= 2_500 and check["labels_identical"]
    assert max(check["max_abs_logit_diff"], check["max_abs_share_diff"]) <= check["tolerance"] <= 1e-4


def test_every_torch_load_uses_weights_only() -> None:
    calls = []
    for path in list((PROJECT_ROOT / "sentiment").rglob("*.py")) + list((PROJECT_ROOT / "training").rglob("*.py")):
        calls += [(path.name, m.group(0)) for m in re.finditer(r"torch\.load\([^)]*\)", Path(path).read_text())]
    assert calls, "expected at least one torch.load"
    assert all("weights_only=True" in call for _, call in calls), calls
