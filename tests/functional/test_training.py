"""Training, artifact and evaluation on a small synthetic task; the SageMaker entry point."""

import json
import os
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sentiment.cli import main
from sentiment.core.config import PROJECT_ROOT
from sentiment.core.errors import ConfigError, DataError
from sentiment.model import artifact
from sentiment.model.inference import predict_logits, resolve_device
from sentiment.model.network import SentimentNetwork, named_config
from sentiment.text.vocab import WordDict
from sentiment.training.encoded import SHORT_TEXTS_FILE, EncodedSet, read_csv
from sentiment.training.evaluate import short_text_metrics
from sentiment.training.train import TrainConfig, bucketed_batches
from sentiment.training.wide_fit import ExtraRows, fit_wide, recurrent_training_rows
from sentiment.training.workflow import evaluate_artifact, read_short_texts
from tests.synthetic import VOCAB, encoded_set, fit, unlabelled_set, write_prepared

SMALL = named_config("default", vocab_size=VOCAB, embedding_dim=16, hidden_dim=16, ngram_buckets=101, dropout=0.1)
FAST = TrainConfig(epochs=2, batch_size=32, learning_rate=1e-2, patience=5, threads=1)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_prepared(tmp_path_factory.mktemp("prepared"))


@pytest.fixture(scope="module")
def trained(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artifact")
    sizes = ["--embedding-dim", "16", "--hidden-dim", "16", "--ngram-buckets", "101", "--threads", "1", "--quiet"]
    code = main(["train", "--data", str(prepared), "--output", str(out), "--epochs", "3", "--batch-size", "32", *sizes])
    assert code == 0
    return out


def test_bucketed_batches_cover_every_row_once() -> None:
    import numpy as np

    lengths = np.random.default_rng(0).integers(1, 500, 1000)
    batches = bucketed_batches(lengths, 32, np.random.default_rng(1), chunk_batches=16)
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(1000))
    spreads = [lengths[b].max() - lengths[b].min() for b in batches]
    assert np.median(spreads) < 60  # rows of similar length share a batch (unbucketed: about 480)


def test_two_epochs_lower_validation_loss() -> None:
    result = fit(SMALL, FAST)
    recurrent = [r for r in result.history if r.branch == "deep"]
    assert [r.branch for r in result.history] == ["wide", "deep", "deep"]
    assert len(recurrent) == 2 and recurrent[1].val_loss < recurrent[0].val_loss
    assert recurrent[-1].val_accuracy > 0.6


def test_self_training_labels_unlabelled_rows_as_the_truth_would() -> None:
    unlabelled, truth = unlabelled_set(400, 7)
    extra = ExtraRows(sentences=encoded_set(128, 8, width=8), unlabelled=unlabelled)
    settings = replace(FAST, unlabelled_rows=150, pseudo_margin=1.0)
    result = fit(SMALL, settings, extra=extra)
    rows = result.extra_rows
    assert rows["sentence_crops"] == 128 and rows["unlabelled"] == 400
    assert 150 < rows["pseudo_labelled"] <= 400 and rows["recurrent_pseudo_rows"] == 150
    assert rows["validation_accuracy_when_sure"] > 0.9
    # the pseudo-labels agree with the labels the rows really have
    fit_again = fit_wide(
        SentimentNetwork(SMALL),
        encoded_set(256, 1),
        encoded_set(64, 2),
        extra,
        c=0.1,
        sentence_weight=0.3,
        margin=1.0,
        unlabelled_rows=150,
        seed=0,
        progress=False,
    )
    pseudo = fit_again.recurrent_rows[-1]
    rows_of = {tuple(r): i for i, r in enumerate(unlabelled.ids.tolist())}
    agreement = np.mean(
        [truth[rows_of[tuple(r)]] == label for r, label in zip(pseudo.ids.tolist(), pseudo.labels, strict=True)]
    )
    assert agreement > 0.9
    assert len(recurrent_training_rows(encoded_set(256, 1), fit_again)) == 256 + 128 + 150


def test_a_margin_no_review_passes_leaves_the_first_fit() -> None:
    extra = ExtraRows(unlabelled=unlabelled_set(64, 7)[0])
    rows = fit(SMALL, replace(FAST, unlabelled_rows=50, pseudo_margin=1e9), 128, 32, extra).extra_rows
    assert rows["pseudo_labelled"] == 0 and rows["validation_share_sure"] == 0
    assert "validation_accuracy_when_sure" not in rows and "recurrent_pseudo_rows" not in rows
    assert all(np.isfinite(v) for v in rows.values())  # nothing NaN in config.json


def test_without_extra_rows_nothing_changes() -> None:
    plain = fit(SMALL, FAST, 128, 32)
    no_pseudo = fit(SMALL, replace(FAST, unlabelled_rows=0), 128, 32, ExtraRows(unlabelled=unlabelled_set(64, 7)[0]))
    assert [r.val_loss for r in plain.history] == [r.val_loss for r in no_pseudo.history]
    assert plain.extra_rows.keys() == {"seconds"}


def test_cuda_is_refused_clearly_without_a_gpu() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="no CUDA device is available here"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="must be auto, cpu, cuda or mps"):
        resolve_device("tpu")
    if not torch.backends.mps.is_available():
        with pytest.raises(ConfigError, match="MPS is not available here"):
            resolve_device("mps")
    assert resolve_device("auto").type in ("cpu", "mps") and resolve_device("cpu").type == "cpu"


def test_device_check_says_it_needs_a_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    from sentiment.training.device_check import main as device_check

    assert device_check(["--data", "nowhere"]) == 2
    assert "needs a GPU" in capsys.readouterr().err


def test_training_is_seeded() -> None:
    first = fit(SMALL, FAST, 128, 32)
    second = fit(SMALL, FAST, 128, 32)
    assert [r.val_loss for r in first.history] == [r.val_loss for r in second.history]


def test_artifact_files_and_round_trip(trained: Path, prepared: Path) -> None:
    assert {p.name for p in trained.iterdir()} >= {"model.pt", "config.json", "word_dict.json", "training_curve.png"}
    loaded = artifact.load(trained)
    config = json.loads((trained / "config.json").read_text())
    assert config["preprocessing"]["vocab_sha256"] == loaded.word_dict.sha256
    assert config["preprocessing"]["sequence_length"] == 40
    assert 0.05 < loaded.temperature < 20
    test = read_csv(prepared / "test.csv")
    again = artifact.load(trained)
    assert (predict_logits(loaded.model, test) == predict_logits(again.model, test)).all()
    state = torch.load(trained / "model.pt", weights_only=True)
    assert "embedding.weight" in state


def test_evaluate_writes_metrics_and_plots(trained: Path, prepared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--model", str(trained), "--data", str(prepared)]) == 0
    assert "| accuracy" in capsys.readouterr().out
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.8 and metrics["n"] == 64
    assert set(metrics) >= {"precision", "recall", "f1", "roc_auc", "log_loss", "ece", "confusion_matrix", "behaviour"}
    rating = metrics["rating"]
    assert set(rating) >= {"head", "baseline_isotonic"} and "no 5- or 6-star" in rating["note"]
    assert 0 <= rating["head"]["mae"] < 3 and -1 <= rating["head"]["spearman"] <= 1
    assert set(metrics["behaviour"]["capabilities"]) >= {"negation of positive", "contrast: X but Y", "idioms"}
    short = metrics["short_text"]
    assert short["first_sentences"]["n"] == 64 and 0 <= short["first_sentences"]["accuracy"] <= 1
    assert sum(t["n"] for t in short["by_length"]) == 64 and short["shortest_tenth"]["n"] >= 6
    assert trained_config(trained)["training"]["extra_rows"]["pseudo_labelled"] > 0  # from unlabelled.csv
    for plot in ("roc", "confusion_matrix", "reliability", "score_histogram", "ratings", "behaviour", "short_texts"):
        png = trained / "evaluation" / f"{plot}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mismatched_word_dictionary_is_refused(trained: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    data = json.loads((copy / "word_dict.json").read_text())
    other = artifact.WordDict(tuple(reversed(data["words"])))
    other.save(copy / "word_dict.json")
    with pytest.raises(DataError, match="not the one the model was trained with"):
        artifact.load(copy)


def trained_config(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "config.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "line", ['{"text": "Fine.", "label": 0.7}', '{"text": "Fine.", "label": true}', '{"text": 3, "label": 1}', "[1]"]
)
def test_a_short_text_slice_with_odd_labels_is_refused(tmp_path: Path, line: str) -> None:
    (tmp_path / SHORT_TEXTS_FILE).write_text('{"text": "Good.", "label": 1}\n' + line + "\n")
    with pytest.raises(DataError, match='"label": 0 or 1'):
        read_short_texts(tmp_path)


def test_the_shortest_tenth_is_never_empty_when_many_reviews_tie_at_the_shortest_length() -> None:
    lengths = np.array([5] * 30 + list(range(6, 76)))
    rows = EncodedSet(np.arange(100) % 2, lengths, np.ones((100, 80), dtype=np.int64))
    short = short_text_metrics(None, rows, np.full(100, 0.9), None)  # type: ignore[arg-type]
    assert short["shortest_tenth"]["n"] == 30 and short["shortest_tenth"]["max_tokens"] == 5
    assert short["shortest_tenth"]["accuracy"] == 0.5 and sum(t["n"] for t in short["by_length"]) == 100


def test_evaluation_refuses_data_of_another_dictionary(trained: Path, prepared: Path, tmp_path: Path) -> None:
    import shutil

    other = shutil.copytree(prepared, tmp_path / "other")
    WordDict(tuple(f"x{i}" for i in range(2, VOCAB))).save(other / "word_dict.json")
    with pytest.raises(DataError, match="another word dictionary"):
        evaluate_artifact(trained, other, tmp_path / "out")


class _Payload:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch pwned-by-pickle",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_crafted_pickle_weights_run_no_code(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    copy = tmp_path / "evil"
    shutil.copytree(trained, copy)
    (copy / "model.pt").write_bytes(pickle.dumps({"embedding.weight": _Payload()}))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="cannot be loaded"):
        artifact.load(copy)
    assert not (tmp_path / "pwned-by-pickle").exists()


def test_missing_training_files_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", str(tmp_path), "--output", str(tmp_path / "out"), "--quiet"]) == 2
    assert "word_dict.json not found" in capsys.readouterr().err


def test_sagemaker_entry_point_uses_sm_variables(prepared: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "opt-ml-model"
    env = {
        **os.environ,
        "SM_CHANNEL_TRAIN": str(prepared),
        "SM_CHANNEL_VALIDATION": str(prepared),
        "SM_MODEL_DIR": str(model_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    args = ["--epochs", "1", "--embedding-dim", "8", "--hidden-dim", "8", "--ngram-buckets", "0", "--threads", "1"]
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "training" / "train.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    loaded = artifact.load(model_dir)
    assert loaded.network.embedding_dim == 8 and loaded.training["best_epoch"] == 1


def test_a_folder_holding_sagemakers_model_tar_gz_loads(trained: Path, tmp_path: Path) -> None:
    import tarfile

    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        for path in trained.iterdir():
            tar.add(path, arcname=path.name)
    loaded = artifact.load(tmp_path)
    assert loaded.word_dict.sha256 == artifact.load(trained).word_dict.sha256
