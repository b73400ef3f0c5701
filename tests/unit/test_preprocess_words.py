"""The default preprocessing (version 2, "words") and the markup mapping both versions share: spans
always cover the characters of the original review that make the visible word."""

from __future__ import annotations

import pytest

from sentiment.core.errors import ConfigError
from sentiment.text.markup import visible_text
from sentiment.text.preprocess import CLASSIC, DEFAULT_VERSION, WORDS, preprocessor, review_to_words, tokenize


def spans(review: str, version: str = WORDS) -> list[tuple[str, str]]:
    return [(t.stem, review[t.start : t.end]) for t in tokenize(review, version)]


def test_words_is_the_default() -> None:
    assert DEFAULT_VERSION == WORDS and preprocessor("words") is preprocessor(WORDS)


def test_every_word_is_kept_lowercased_unstemmed() -> None:
    assert review_to_words("But the acting was TOO good, only the ending drags") == [
        "but",
        "the",
        "acting",
        "was",
        "too",
        "good",
        "only",
        "the",
        "ending",
        "drags",
    ]


@pytest.mark.parametrize(
    ("review", "words"),
    [
        ("I didn't like it", ["i", "did", "not", "not_like", "not_it"]),
        ("It isn’t good", ["it", "is", "not", "not_good"]),
        ("We can't, won't, shan't", ["we", "can", "not", "will", "not", "shall", "not"]),
        ("It's fine, I'm sure, they'd agree", ["it", "'s", "fine", "i", "'m", "sure", "they", "'d", "agree"]),
        ("Wow! Really? Yes!!", ["wow", "!", "really", "?", "yes", "!", "!"]),
        ("10/10, 4.5 stars", ["10", "10", "4", "5", "stars"]),
    ],
)
def test_contractions_and_punctuation(review: str, words: list[str]) -> None:
    assert review_to_words(review) == words


def test_negations_point_at_their_own_characters() -> None:
    assert spans("didn't") == [("did", "did"), ("not", "n't")]


@pytest.mark.parametrize(
    ("review", "words"),
    [
        ("The movie was not good at all.", ["the", "movie", "was", "not", "not_good", "not_at", "not_all"]),
        ("Never boring; a joy", ["never", "not_boring", "a", "joy"]),
        ("not bad but not great either", ["not", "not_bad", "but", "not", "not_great", "not_either"]),
        ("no one, nothing good", ["no", "not_one", "nothing", "not_good"]),
        (
            "I do not think that this long film is good",
            ["i", "do", "not", "not_think", "not_that", "not_this", "not_long", "not_film", "not_is", "good"],
        ),
    ],
)
def test_a_negation_marks_the_words_of_its_clause(review: str, words: list[str]) -> None:
    assert review_to_words(review) == words


@pytest.mark.parametrize("version", [CLASSIC, WORDS])
def test_entities_belong_to_the_word_they_spell(version: str) -> None:
    review = "caf&eacute; awful"
    assert [original for _, original in spans(review, version)] == ["caf&eacute;", "awful"]
    review = "<i>great</i>&#x41;wful film"
    found = dict((word, original) for word, original in spans(review, WORDS))
    assert found == {"great": "great", "awful": "&#x41;wful", "film": "film"}


@pytest.mark.parametrize("version", [CLASSIC, WORDS])
def test_astral_characters_keep_code_point_offsets(version: str) -> None:
    review = "😀😀 great movie, awful ending"
    tokens = tokenize(review, version)
    assert [review[t.start : t.end] for t in tokens][-1] == "ending"
    assert all(review[t.start : t.end].lower().startswith(t.stem[:3]) for t in tokens)


@pytest.mark.parametrize(
    ("review", "visible"),
    [
        ("a < b and <3 and </3", "a < b and <3 and </3"),
        ("x<br/>y", "x\x00y"),
        ("AT&T &amp; &nbsp; &bogus; &#0; &#x1F600;", "AT&T & \xa0 &bogus; \ufffd 😀"),
        ("good <script>bad()</script><style>p{}</style> <!-- no --> fine", "good \x00\x00 \x00 fine"),
        ("unterminated <b", "unterminated \x00"),
    ],
)
def test_visible_text(review: str, visible: str) -> None:
    seen = visible_text(review)
    assert seen.text == visible
    previous_end = 0
    for index, char in enumerate(seen.text):
        start, end = seen.span(index, index + 1)
        assert previous_end <= start < end <= len(review)
        previous_end = start
        if char != "\x00" and review[start:end] == char:
            continue
        assert end - start > 1  # an entity or markup: its whole span


def test_an_unknown_version_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="'9'"):
        preprocessor("9")
