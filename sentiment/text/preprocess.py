"""Review text -> stemmed tokens, each with its character span in the original review.

Torch-free: the Lambda layer carries this module. The steps follow the classic SageMaker
project (BeautifulSoup removes HTML, lowercase, non-alphanumerics to spaces, English
stopwords removed, Porter stemming) with two fixes: negations are kept, because removing
"not" turns "not good" into "good", and the stopword list ships with the package instead of
being downloaded from NLTK's server (unreachable from a Lambda without internet).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

# Bump when the output of `tokenize` changes for any input: it is part of the vocabulary hash.
PREPROCESSOR_VERSION = "1"

_NEGATION_WORDS = """no nor not never none nobody nothing neither nowhere
    ain aren couldn didn doesn don hadn hasn haven isn mightn mustn needn shan shouldn wasn weren won wouldn"""
NEGATIONS = frozenset(_NEGATION_WORDS.split())


def _load_stopwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords_english.txt").read_text("utf-8")
    words = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    # Contractions like "don't" never survive "non-alphanumerics to spaces", so only the plain
    # forms matter; negations stay whatever their spelling.
    return frozenset(w for w in words if w.isalnum()) - NEGATIONS


STOPWORDS = _load_stopwords()

_WORD = re.compile(r"[^\W_]+")  # runs of letters or digits (any script)
# A lone surrogate (JSON "\ud800" decodes to one) cannot be encoded; U+FFFD keeps every offset.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Token(NamedTuple):
    """One vocabulary key and where its word stands in the original review."""

    stem: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _porter() -> Callable[[str], str]:
    from nltk.stem.porter import PorterStemmer  # imported on first use: importing nltk is slow

    return PorterStemmer().stem  # type: ignore[no-any-return]


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """Porter stem of a lowercase word (cached: a review corpus repeats its words)."""
    return _porter()(word)


def _visible_text(review: str) -> Iterator[tuple[str, int]]:
    """Yield (text, offset into `review`) for each piece of text a reader would see."""
    if "<" not in review and "&" not in review:
        yield review, 0
        return
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning  # only reviews with markup need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(review, "html.parser")
    cursor = 0
    for piece in soup.strings:
        at = review.find(piece, cursor)
        if at >= 0:
            yield piece, at
            cursor = at + len(piece)
            continue
        # The piece had entities decoded (&amp; -> &): place its words one by one.
        for match in _WORD.finditer(piece):
            word = match.group()
            at = review.find(word, cursor)
            if at < 0:  # a decoded letter (caf&eacute;): keep the word, pin it at the cursor
                yield word, cursor
            else:
                yield word, at
                cursor = at + len(word)


def tokenize(review: str) -> list[Token]:
    """Tokens of a review: HTML removed, lowercased, stopwords (not negations) dropped, stemmed."""
    tokens: list[Token] = []
    for text, offset in _visible_text(_LONE_SURROGATE.sub("\ufffd", review)):
        for match in _WORD.finditer(text):
            word = match.group().lower()
            if word in STOPWORDS:
                continue
            start = offset + match.start()
            tokens.append(Token(stem(word), start, start + len(match.group())))
    return tokens


def review_to_words(review: str) -> list[str]:
    """The stems of a review, in order (what the vocabulary encodes)."""
    return [token.stem for token in tokenize(review)]
