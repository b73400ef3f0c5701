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
    "one-direction": named_config("default", vocab_size=VOCAB, bidirectional=False, ngram_buckets=0, hidden_dim=8),
    "attention": named_config(
        "default", vocab_size=VOCAB, pooling="attention", ngram_buckets=0, embedding_dim=16, hidden_dim=8
    ),
    "cnn-rnn": named_config(
        "default", vocab_size=VOCAB, conv_kernel=3, ngram_buckets=53, embedding_dim=16, hidden_dim=8
    ),
    "trigrams-small-embedding": named_config(
        "default",
        vocab_size=VOCAB,
        ngram_buckets=211,
        ngram_order=3,
        deep_vocab_size=20,
        embedding_dim=16,
        hidden_dim=8,
    ),
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


def test_wide_shares_add_up_to_the_branch_logit(model: SentimentNetwork) -> None:
    if not model.config.ngram_buckets:
        pytest.skip("no wide branch")
    ids = torch.randint(1, VOCAB, (3, 25))
    ids[0, 10:14] = ids[0, :4]  # repeated n-grams count once
    lengths = torch.tensor([25, 2, 1])
    with torch.no_grad():
        trimmed, mask = model.trim(ids, lengths)
        shares = model.wide_contributions(trimmed, mask, lengths)
        logit = model.branch_logit("wide", ids, lengths)
    assert torch.allclose(shares.sum(1) + model.wide_bias, logit, atol=1e-5)
    assert (shares[1, 2:] == 0).all() and (shares[2, 1:] == 0).all()


def test_rare_words_read_as_unknown_in_the_recurrent_branch() -> None:
    config = CONFIGS["trigrams-small-embedding"]
    model = SentimentNetwork(config).eval()
    rare = torch.tensor([[25, 30, 40]])
    unknown = torch.tensor([[1, 1, 1]])
    assert model.embedding.num_embeddings == 20
    with torch.no_grad():
        assert torch.equal(model.embed(rare), model.embed(unknown))


def test_explanations_add_up_to_the_logit(model: SentimentNetwork) -> None:
    from sentiment.model.explain import attributions

    ids = torch.randint(1, VOCAB, (3, 20))
    lengths = torch.tensor([20, 7, 1])
    logits, shares = attributions(model, ids, lengths)
    with torch.no_grad():
        assert torch.allclose(logits, model(ids, lengths), atol=1e-4)
    if model.config.pooling != "last":  # exact decompositions (gradient x input is not)
        bias = model.head.bias * (model.get_buffer("mix")[0] if model.config.ngram_buckets else 1)
        extra = (
            model.get_buffer("mix")[1] * model.wide_bias + model.get_buffer("mix")[2]
            if model.config.ngram_buckets
            else 0
        )
        assert torch.allclose(shares.sum(1) + bias + extra, logits, atol=1e-4)


def test_explanations_ignore_whatever_lies_past_a_reviews_length(model: SentimentNetwork) -> None:
    from sentiment.model.explain import attributions

    torch.manual_seed(1)
    ids = torch.randint(1, VOCAB, (2, 12))
    lengths = torch.tensor([12, 5])
    padded = torch.cat([ids, torch.randint(1, VOCAB, (2, 9))], dim=1)  # junk past every length
    _, shares = attributions(model, ids, lengths)
    _, padded_shares = attributions(model, padded, lengths)
    assert torch.allclose(shares, padded_shares[:, :12], atol=1e-5)
    assert (padded_shares[1, 5:] == 0).all() and (padded_shares[:, 12:] == 0).all()


def test_a_rating_stays_on_its_labels_side_of_the_scale() -> None:
    """ "meh" at P(positive) 0.487 once got 6.9 stars: below 0.5 the stars stay below the middle (5.5),
    from 0.5 at or above it, and the ends are the two fits' own ratings."""
    import torch

    from sentiment.model.network import MIDDLE_STARS, stars_on_label_side

    p = torch.linspace(0, 1, 201, dtype=torch.float64)
    negative, positive = torch.full_like(p, 4.0), torch.full_like(p, 10.0)  # the most hopeful fits
    stars = stars_on_label_side(p, negative, positive)
    assert (stars[p < 0.5] < MIDDLE_STARS).all() and (stars[p >= 0.5] >= MIDDLE_STARS).all()
    assert float(stars[0]) == 4.0 and float(stars[-1]) == 10.0
    assert (stars.diff() >= 0).all()  # more positive, more stars
