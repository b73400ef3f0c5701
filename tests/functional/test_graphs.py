"""The exported graphs score as the PyTorch network does: the shipped artifact on reviews of every shape
(the longest, one word, only unknown words, only emoji), random id rows of any length (hypothesis), every
named architecture; explanations equal and summing to the logit; an artifact without graphs, or with a
graph that is not the exported one, refused in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentiment.core.config import SHIPPED_MODEL_DIR
from sentiment.core.errors import DataError
from sentiment.model import artifact
from sentiment.model.artifact import Artifact, load
from sentiment.model.export import TOLERANCE, export_graphs
from sentiment.model.network import NAMED_CONFIGS, named_config
from sentiment.scoring.chunks import score_rows
from sentiment.scoring.graphs import GraphModel
from sentiment.scoring.text_scorer import TextScorer
from sentiment.training.train import TrainConfig
from tests.synthetic import VOCAB, WIDTH, encoded_set, fit, word_dict

REVIEWS = [
    "A wonderful, moving film with superb acting.",
    "Dull.",
    "qwzx vbnm plokij ugyhtf rdeswa zaqxsw cdevfr bgtnhy",
    "😀😀😀 🎬🍿 👍👍",
    "I did not think the movie was good at all, but the music was lovely and the ending made up for it.",
    "Bad! " * 600,  # past the longest review the model reads
    "great " * 1000,
]


@pytest.fixture(scope="module")
def shipped() -> tuple[Artifact, GraphModel]:
    return load(SHIPPED_MODEL_DIR), GraphModel.load(SHIPPED_MODEL_DIR)


def assert_same(reference: Artifact, graphs: GraphModel, ids: np.ndarray, lengths: np.ndarray) -> None:
    for explain in (False, True):
        expected, got = (score_rows(m, ids, lengths, explain=explain) for m in (reference, graphs))
        np.testing.assert_allclose(got.logits, expected.logits, atol=TOLERANCE)
        assert ((got.logits >= 0) == (expected.logits >= 0)).all()
        if expected.stars is not None:
            assert got.stars is not None
            np.testing.assert_allclose(got.stars, expected.stars, atol=TOLERANCE)
        if explain:
            assert got.shares is not None and expected.shares is not None
            for mine, theirs, n in zip(got.shares, expected.shares, lengths, strict=True):
                assert len(mine) == n
                np.testing.assert_allclose(mine, theirs, atol=TOLERANCE)


def test_the_shipped_graphs_score_every_kind_of_review_as_the_network(shipped: tuple[Artifact, GraphModel]) -> None:
    reference, graphs = shipped
    rows = TextScorer(graphs).encode(REVIEWS)
    assert rows.lengths.max() == reference.sequence_length and rows.lengths.min() == 1
    assert_same(reference, graphs, rows.ids, rows.lengths)


def test_shares_add_up_to_the_logit(shipped: tuple[Artifact, GraphModel]) -> None:
    reference, graphs = shipped
    rows = TextScorer(graphs).encode(REVIEWS)
    logits, _, shares = graphs.explained(rows.ids[:, : rows.lengths.max()], rows.lengths)
    network = reference.model
    mix = network.get_buffer("mix")
    bias = float((mix[0] * network.head.bias + mix[1] * network.wide_bias + mix[2]).detach())
    np.testing.assert_allclose(shares.sum(1) + bias, logits, atol=1e-3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(min_value=1, max_value=87_719), min_size=1, max_size=300), min_size=1, max_size=4))
def test_random_rows_score_alike_in_both_runtimes(shipped: tuple[Artifact, GraphModel], rows: list[list[int]]) -> None:
    reference, graphs = shipped
    lengths = np.array([len(r) for r in rows])
    ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = np.minimum(row, reference.word_dict.size - 1)
    assert_same(reference, graphs, ids, lengths)


@pytest.mark.parametrize("name", sorted(NAMED_CONFIGS))
def test_every_named_architecture_exports(name: str, tmp_path: Path) -> None:
    network = named_config(name, vocab_size=VOCAB, embedding_dim=16, hidden_dim=16)
    if network.ngram_buckets:
        network = named_config(name, vocab_size=VOCAB, embedding_dim=16, hidden_dim=16, ngram_buckets=101)
    result = fit(network, TrainConfig(epochs=1, batch_size=32, learning_rate=1e-2, threads=1), 128, 64)
    artifact.save(Artifact(result.model, word_dict(), WIDTH, result.temperature, {"finished": "test"}), tmp_path)
    rows = encoded_set(64, seed=5)
    check = export_graphs(tmp_path, rows.ids, rows.lengths, "synthetic")
    assert check.labels_identical and check.max_logit_diff <= TOLERANCE and check.max_share_diff <= TOLERANCE
    recorded = json.loads((tmp_path / "config.json").read_text())["graphs"]
    assert recorded["opset"] == 17 and recorded["check"]["rows"] == 64 + 4  # and the edge rows
    assert_same(load(tmp_path), GraphModel.load(tmp_path), rows.ids, rows.lengths)


def test_an_artifact_without_graphs_is_refused_naming_the_export(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    del config["graphs"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match=rf"no exported graphs: run `sentiment export --model-dir {folder}`"):
        GraphModel.load(folder)


@pytest.mark.parametrize("file", ["scorer.onnx", "explainer.onnx", "graphs.weights"])
def test_a_graph_that_is_not_the_exported_one_is_refused(tmp_path: Path, file: str) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(SHIPPED_MODEL_DIR, folder)
    data = bytearray((folder / file).read_bytes())
    data[-1] ^= 1
    (folder / file).write_bytes(bytes(data))
    with pytest.raises(DataError, match=rf"{file} is not the file config.json records"):
        GraphModel.load(folder)


def test_a_failed_check_records_no_graphs(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentiment.model import export

    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    monkeypatch.setattr(export, "TOLERANCE", -1.0)  # nothing is close enough
    rows = encoded_set(16, seed=3)
    with pytest.raises(DataError, match=r"do not score as the network does: .*row \d+: logit differs"):
        export_graphs(folder, rows.ids, rows.lengths, "synthetic")
    assert "graphs" not in json.loads((folder / "config.json").read_text())
