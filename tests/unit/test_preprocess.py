"""The classic preprocessing (version 1): the classic project's steps, negations kept."""

import subprocess
import sys
from functools import partial

import pytest

from sentiment.data import corpus
from sentiment.text import preprocess
from sentiment.text.preprocess import CLASSIC, NEGATIONS, STOPWORDS, stem

review_to_words = partial(preprocess.review_to_words, version=CLASSIC)
tokenize = partial(preprocess.tokenize, version=CLASSIC)
reviews_to_words = partial(corpus.reviews_to_words, version=CLASSIC)


def spans(review: str) -> list[str]:
    return [review[t.start : t.end] for t in tokenize(review)]


def test_html_is_removed_and_br_separates_words() -> None:
    assert review_to_words("Great<br /><br />acting") == ["great", "act"]
    assert review_to_words("<i>Superb</i> <b>film</b>") == ["superb", "film"]


def test_script_and_comments_are_not_text() -> None:
    assert review_to_words("good <script>var evil = 1;</script> film <!-- hidden words -->") == ["good", "film"]


def test_lowercase_and_non_alphanumerics_split_words() -> None:
    assert review_to_words("WONDERFUL!!!...movie-going 10/10") == ["wonder", "movi", "go", "10", "10"]


def test_stopwords_removed_but_negations_kept() -> None:
    words = review_to_words("This is not good and I don't like it, it was never funny, nor clever, no.")
    assert words == ["not", "good", "don", "like", "never", "funni", "nor", "clever", "no"]
    assert {"not", "no", "nor", "don", "isn", "wasn", "didn"} <= NEGATIONS
    assert NEGATIONS.isdisjoint(STOPWORDS)
    assert {"the", "a", "and", "is"} <= STOPWORDS


@pytest.mark.parametrize("contraction", ["isn't", "wasn't", "didn't", "doesn't", "couldn't", "wouldn't", "aren't"])
def test_negated_contractions_keep_their_negation(contraction: str) -> None:
    assert review_to_words(f"It {contraction} good") == [contraction.split("'")[0], "good"]


def test_porter_stemming() -> None:
    assert review_to_words("running runs easily") == ["run", "run", "easili"]
    assert stem("movies") == "movi"


def test_spans_point_at_the_original_words() -> None:
    review = "An <b>AMAZING</b> film.<br /><br />I wasn't bored &amp; never looked away!"
    assert spans(review) == ["AMAZING", "film", "wasn", "bored", "never", "looked", "away"]


def test_spans_survive_decoded_entities_and_attributes() -> None:
    review = '<a href="awful">Caf&eacute; scenes</a> were lovely'
    tokens = tokenize(review)
    assert [t.stem for t in tokens] == ["café", "scene", "love"]
    assert [review[t.start : t.end] for t in tokens[1:]] == ["scenes", "lovely"]
    assert all(0 <= t.start <= t.end <= len(review) for t in tokens)


def test_unicode_letters_are_words() -> None:
    review = "Amélie est magnifique — naïve, 東京 😀 ok"
    assert review_to_words(review) == ["améli", "est", "magnifiqu", "naïv", "東京", "ok"]
    assert spans(review) == ["Amélie", "est", "magnifique", "naïve", "東京", "ok"]


@pytest.mark.parametrize("review", ["", "   ", "<br /><br />", "<p></p>", "the and of", "!!! ???"])
def test_empty_or_wordless_reviews_give_no_tokens(review: str) -> None:
    assert tokenize(review) == []


def test_many_reviews_in_parallel_match_one_by_one() -> None:
    reviews = [f"Review {i}: not a bad <br />movie at all, {i} stars" for i in range(200)]
    assert reviews_to_words(reviews, workers=2) == [review_to_words(r) for r in reviews]


def test_torch_free_modules_do_not_import_torch() -> None:
    modules = "sentiment.text.preprocess, sentiment.text.vocab, sentiment.api.service, sentiment.api.endpoint_client"
    code = f"import sys, {modules}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
