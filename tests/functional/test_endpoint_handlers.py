"""The four SageMaker handler functions on a small trained model's graphs: content types, errors,
explanations, against the PyTorch network they were exported from."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from sentiment.model import artifact
from sentiment.model.artifact import Artifact, load
from sentiment.model.explain import attributions
from sentiment.model.export import export_graphs
from sentiment.model.network import SentimentNetwork
from sentiment.scoring.graphs import GraphModel
from sentiment.serving.handlers import (
    MAX_PAYLOAD_BYTES,
    MAX_ROWS,
    EndpointError,
    input_fn,
    model_fn,
    output_fn,
    predict_fn,
)
from tests.synthetic import VOCAB, WIDTH, encoded_set


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> GraphModel:
    return model_fn(str(tiny_model_dir))


@pytest.fixture(scope="module")
def network(tiny_model_dir: Path) -> Artifact:
    """The PyTorch network the graphs were exported from."""
    return load(tiny_model_dir)


def _json_body(rows: list[tuple[int, list[int]]], **extra: object) -> str:
    return json.dumps({"instances": [{"length": n, "ids": ids} for n, ids in rows], **extra})


def _invoke(
    model: GraphModel,
    body: str | bytes,
    content_type: str,
    accept: str = "application/json",
    attributes: str | None = None,
) -> tuple[bytes, str]:
    return output_fn(predict_fn(input_fn(body, content_type, attributes), model), accept)


ROWS = [(3, [2, 5, 30, 0, 0]), (5, [12, 13, 40, 41, 42])]


def test_json_scores_match_the_model(model: GraphModel, network: Artifact) -> None:
    body, content_type = _invoke(model, _json_body(ROWS, vocab_sha256=model.word_dict.sha256), "application/json")
    result = json.loads(body)
    assert content_type == "application/json"
    assert result["model"]["name"] == "default"
    scores = [p["score"] for p in result["predictions"]]
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)
    assert scores[0] > 0.5 > scores[1]  # positive cue words vs negative cue words
    with torch.no_grad():
        direct = network.model(torch.tensor([r[1] for r in ROWS]), torch.tensor([r[0] for r in ROWS]))
    expected = torch.sigmoid(direct.double() / model.temperature).numpy()
    np.testing.assert_allclose(scores, expected, atol=1e-5)


def test_ratings_come_with_a_rating_head_and_only_then(model: GraphModel, network: Artifact, tmp_path: Path) -> None:
    predictions = json.loads(_invoke(model, _json_body(ROWS), "application/json")[0])["predictions"]
    assert all(1 <= p["rating"] <= 10 for p in predictions)
    assert predictions[0]["rating"] > predictions[1]["rating"]  # the positive row gets more stars
    with torch.no_grad():
        stars = network.model.outputs(torch.tensor([r[1] for r in ROWS]), torch.tensor([r[0] for r in ROWS])).stars
    assert stars is not None
    np.testing.assert_allclose([p["rating"] for p in predictions], stars.numpy(), atol=1e-3)
    artifact.save(replace(network, model=_without_rating_head(network), graphs={}), tmp_path)
    rows = encoded_set(32, seed=4)
    export_graphs(tmp_path, rows.ids, rows.lengths, "synthetic")
    without = model_fn(str(tmp_path))
    predictions = json.loads(_invoke(without, _json_body(ROWS), "application/json")[0])["predictions"]
    assert all("rating" not in p for p in predictions)  # not an error: the field is left out


def _without_rating_head(model: Artifact) -> SentimentNetwork:
    network = SentimentNetwork(replace(model.network, rating_head=False))
    state = {k: v for k, v in model.model.state_dict().items() if not k.startswith("rating.")}
    network.load_state_dict(state)
    return network.eval()


def test_csv_in_csv_out_and_json_out(model: GraphModel) -> None:
    csv_body = "".join(f"{n},{','.join(map(str, ids))}\n" for n, ids in ROWS)
    as_csv, content_type = _invoke(model, csv_body, "text/csv", accept="text/csv")
    assert content_type == "text/csv"
    csv_scores = [float(x) for x in as_csv.decode().split()]
    as_json, _ = _invoke(model, csv_body, "text/csv; charset=utf-8")
    json_scores = [p["score"] for p in json.loads(as_json)["predictions"]]
    np.testing.assert_allclose(csv_scores, json_scores, atol=1e-5)


def test_rows_may_have_different_widths_and_padding_does_not_matter(model: GraphModel) -> None:
    short = json.loads(_invoke(model, _json_body([(3, [2, 5, 30])]), "application/json")[0])
    padded = json.loads(_invoke(model, _json_body([(3, [2, 5, 30] + [0] * 37)]), "application/json")[0])
    assert short["predictions"][0]["score"] == pytest.approx(padded["predictions"][0]["score"], abs=1e-5)


def test_explanations_cover_each_real_position(model: GraphModel) -> None:
    body, _ = _invoke(model, _json_body(ROWS, explain=True), "application/json")
    predictions = json.loads(body)["predictions"]
    assert [len(p["attributions"]) for p in predictions] == [3, 5]
    csv_body, _ = _invoke(model, "3,2,5,30\n", "text/csv", attributes="explain=true")
    assert len(json.loads(csv_body)["predictions"][0]["attributions"]) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("3,2,5,30", "text/plain", 415, "not supported"),
        ("{not json", "application/json", 400, "not valid JSON"),
        ('{"rows": []}', "application/json", 400, '"instances" list'),
        ('{"instances": []}', "application/json", 400, "no rows"),
        ('{"instances": [{"ids": [2]}]}', "application/json", 400, "row 0: expected an object"),
        ('{"instances": [{"length": 1, "ids": ["a"]}]}', "application/json", 400, "row 0: ids must be"),
        ('{"instances": [{"length": 1, "ids": [2]}], "explain": "yes"}', "application/json", 400, '"explain"'),
        ("3,2,5,30\n4,2,5,30\n", "text/csv", 400, "row 1: length 4 disagrees with the row's 3 ids"),
        ("0,2,5\n", "text/csv", 400, "row 0: length 0 disagrees"),
        ("3,2,x,30\n", "text/csv", 400, "row 0: every value must be a whole number"),
        ("3\n", "text/csv", 400, "row 0: expected length,id_1"),
        (f"2,2,{VOCAB}\n", "text/csv", 400, f"row 0: ids must be in 0..{VOCAB - 1}"),
        ("2,2,-3\n", "text/csv", 400, "row 0: ids must be in"),
        ("3,2,0,5\n", "text/csv", 400, "padding id 0 appears before"),
        ("1,2,0,5\n", "text/csv", 400, "ids after the row's length must be padding"),
        (f"{WIDTH + 1}," + ",".join(["2"] * (WIDTH + 1)), "text/csv", 400, f"the model reads at most {WIDTH}"),
        (b"\xff\xfe", "text/csv", 400, "not UTF-8"),
        ("1,2\n" * (MAX_ROWS + 1), "text/csv", 413, "the limit is 5,000"),
        ("1," * (MAX_PAYLOAD_BYTES // 2 + 1), "text/csv", 413, "request body is"),
    ],
)
def test_bad_requests_get_a_status_and_a_message(
    model: GraphModel, body: str | bytes, content_type: str, status: int, message: str
) -> None:
    with pytest.raises(EndpointError) as caught:
        _invoke(model, body, content_type)
    assert caught.value.status == status
    assert message in caught.value.message


def test_vocabulary_mismatch_is_refused(model: GraphModel) -> None:
    with pytest.raises(EndpointError) as caught:
        _invoke(model, _json_body(ROWS, vocab_sha256="0" * 64), "application/json")
    assert caught.value.status == 409 and caught.value.code == "vocabulary_mismatch"
    with pytest.raises(EndpointError, match="word dictionary 000000000000"):
        _invoke(model, "3,2,5,30\n", "text/csv", attributes=f"vocab_sha256={'0' * 64}")


def test_unacceptable_accept_header(model: GraphModel) -> None:
    with pytest.raises(EndpointError) as caught:
        _invoke(model, "3,2,5,30\n", "text/csv", accept="application/xml")
    assert caught.value.status == 406


def test_explanations_are_faithful(model: GraphModel, network: Artifact) -> None:
    """Removing the words with the highest positive attribution lowers the score; the graph's
    attributions are the network's."""
    data = encoded_set(60, seed=9)
    ids, lengths = torch.from_numpy(data.ids), torch.from_numpy(data.lengths)
    logits, per_position = attributions(network.model, ids, lengths)
    graph_logits, _, graph_shares = model.explained(data.ids, data.lengths)
    np.testing.assert_allclose(graph_logits, logits.numpy(), atol=1e-4)
    np.testing.assert_allclose(graph_shares, per_position.numpy(), atol=1e-4)
    with torch.no_grad():
        np.testing.assert_allclose(logits.numpy(), network.model(ids, lengths).numpy(), atol=1e-4)
    lowered = checked = 0
    for row in range(len(data)):
        n = int(lengths[row])
        if logits[row] <= 0 or n < 5:
            continue
        top = set(torch.topk(per_position[row, :n], 2).indices.tolist())
        kept = [int(t) for i, t in enumerate(ids[row, :n]) if i not in top]
        with torch.no_grad():
            after = network.model(torch.tensor([kept]), torch.tensor([len(kept)]))
        checked += 1
        lowered += int(after[0] < logits[row])
    assert checked >= 10
    assert lowered / checked >= 0.9
