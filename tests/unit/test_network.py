import numpy as np
import pytest
import torch

from sentiment.core.errors import ConfigError
from sentiment.model.network import CLASSIC, SentimentNetwork, named_config
from tests.synthetic import VOCAB

CONFIGS = {
    "classic": named_config("classic", vocab_size=VOCAB),
    "default": named_config("default", vocab_size=VOCAB, ngram_buckets=97, embedding_dim=16, hidden_dim=8),
    "lstm-maxmean": named_config("default", vocab_size=VOCAB, cell="lstm", ngram_buckets=0, hidden_dim=8),
}


@pytest.fixture(params=sorted(CONFIGS))
def model(request: pytest.FixtureRequest) -> SentimentNetwork:
    torch.manual_seed(0)
    net = SentimentNetwork(CONFIGS[request.param])
    for p in net.parameters():  # non-zero wide weights so the branch matters in the checks
        torch.nn.init.normal_(p, std=0.3)
    return net.eval()


def test_forward_shape(model: SentimentNetwork) -> None:
    ids = torch.randint(1, VOCAB, (5, 30))
    assert model(ids, torch.tensor([30, 1, 7, 12, 29])).shape == (5,)


def test_padding_never_changes_a_score(model: SentimentNetwork) -> None:
    rng = np.random.default_rng(0)
    for length in (1, 2, 17, 123):
        words = torch.as_tensor(rng.integers(1, VOCAB, length))
        padded = torch.zeros(1, 500, dtype=torch.long)
        padded[0, :length] = words
        with torch.no_grad():
            long_score = model(padded, torch.tensor([length]))
            short_score = model(words[None, :], torch.tensor([length]))
            # garbage after the length must not matter either
            padded[0, length:] = 5
            garbage_score = model(padded, torch.tensor([length]))
        assert torch.allclose(long_score, short_score, atol=1e-5)
        assert torch.allclose(long_score, garbage_score, atol=1e-5)


def test_batch_composition_never_changes_a_score(model: SentimentNetwork) -> None:
    ids = torch.randint(1, VOCAB, (4, 50))
    lengths = torch.tensor([50, 3, 20, 9])
    with torch.no_grad():
        together = model(ids, lengths)
        alone = torch.cat([model(ids[i : i + 1, : lengths[i]], lengths[i : i + 1]) for i in range(4)])
    assert torch.allclose(together, alone, atol=1e-5)


def test_tiny_model_overfits_a_tiny_batch(model: SentimentNetwork) -> None:
    torch.manual_seed(1)
    ids = torch.randint(2, VOCAB, (8, 12))
    lengths = torch.tensor([12, 5, 9, 12, 3, 7, 11, 6])
    labels = torch.tensor([1, 0, 1, 0, 1, 0, 1, 0]).float()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(ids, lengths), labels)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05


def test_classic_config_is_the_course_project() -> None:
    assert (CLASSIC.embedding_dim, CLASSIC.cell, CLASSIC.bidirectional, CLASSIC.pooling) == (32, "lstm", False, "last")
    assert CLASSIC.vocab_size == 5000 and 100 <= CLASSIC.hidden_dim <= 200


@pytest.mark.parametrize("override", [{"cell": "transformer"}, {"dropout": 1.5}, {"hidden_dim": 0}])
def test_bad_configs_are_refused(override: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        named_config("default", **override)


def test_unknown_config_name() -> None:
    with pytest.raises(ConfigError, match="unknown model config 'huge'"):
        named_config("huge")
