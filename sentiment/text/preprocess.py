"""Review text -> tokens, each with its span in the original review: the preprocessing versions.

Every word dictionary (and so every model artifact) names the version it was built with; the
Lambda layer, batch scoring and training apply exactly that one, and refuse a version they do
not know. Both versions see the review through `markup.visible_text` (tags removed, entities
decoded) and give spans in Unicode code points of the original text.

- "1", **classic**: the classic SageMaker project's steps (HTML removed, lowercase,
  non-alphanumerics to spaces, English stopwords removed, Porter stems), with two fixes kept
  since the first release: negations are not stopwords (removing "not" turns "not good" into
  "good"), and the stopword list ships with the package. Needs NLTK's Porter stemmer (the
  `classic` dependency group), imported on first use.
- "2", **words** (the default): every word kept, stopwords and function words included
  ("but", "too", "very", "only" carry sentiment), no stemming, lowercase; contractions split so
  their negation is its own token ("didn't" -> "did" + "not", "can't" -> "can" + "not", "it's"
  -> "it" + "'s"); "!" and "?" kept as tokens; the words a negation governs are marked, up to
  the end of the clause ("was not good at all" -> "was", "not", "not_good", "not_at",
  "not_all"), so "not_good" is learnt apart from "good". Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from sentiment.core.errors import ConfigError
from sentiment.text.markup import visible_text

CLASSIC = "1"
WORDS = "2"
DEFAULT_VERSION = WORDS

_NEGATION_WORDS = frozenset({"no", "nor", "not", "never", "none", "nobody", "nothing", "neither", "nowhere"})
# Negations are never stopwords (version 1): the words, and the stems "n't" contractions leave behind.
_CONTRACTED = "ain aren couldn didn doesn don hadn hasn haven isn mightn mustn needn shan shouldn wasn weren won wouldn"
NEGATIONS = _NEGATION_WORDS | frozenset(_CONTRACTED.split())


def _load_stopwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords_english.txt").read_text("utf-8")
    words = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    # Contractions like "don't" never survive "non-alphanumerics to spaces", so only the plain
    # forms matter; negations stay whatever their spelling.
    return frozenset(w for w in words if w.isalnum()) - NEGATIONS


STOPWORDS = _load_stopwords()

# A lone surrogate (JSON "\ud800" decodes to one) cannot be encoded; U+FFFD keeps every offset.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Token(NamedTuple):
    """One vocabulary key and where its word stands in the original review."""

    stem: str
    start: int
    end: int


Part = tuple[str, int, int]  # a vocabulary key and its first and stop index in the visible text


@dataclass(frozen=True)
class Preprocessor:
    """One version of review text -> tokens: `parts` finds the keys in the visible text."""

    version: str
    name: str
    parts: Callable[[str], Iterator[Part]]
    requirements: tuple[str, ...] = ()  # dependency groups of pyproject.toml it needs

    def tokenize(self, review: str) -> list[Token]:
        """The keys of a review with their spans in the original text."""
        seen = visible_text(_LONE_SURROGATE.sub("\ufffd", review))
        if seen.text is review:  # no markup: visible and source indices are the same
            return [Token(key, first, stop) for key, first, stop in self.parts(review)]
        return [Token(key, *seen.span(first, stop)) for key, first, stop in self.parts(seen.text)]

    def words(self, review: str) -> list[str]:
        """The vocabulary keys of a review, in order (what the dictionary encodes; no spans needed)."""
        return [key for key, _, _ in self.parts(visible_text(_LONE_SURROGATE.sub("\ufffd", review)).text)]


# ---- version 1: classic


@lru_cache(maxsize=1)
def _porter() -> Callable[[str], str]:
    from nltk.stem.porter import PorterStemmer  # imported on first use: importing nltk is slow

    return PorterStemmer().stem  # type: ignore[no-any-return]


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """Porter stem of a lowercase word (cached: a review corpus repeats its words)."""
    return _porter()(word)


_CLASSIC_WORD = re.compile(r"[^\W_]+")  # runs of letters or digits (any script)


def _classic_parts(text: str) -> Iterator[Part]:
    """Lowercased, stopwords (not negations) dropped, Porter-stemmed."""
    for match in _CLASSIC_WORD.finditer(text):
        word = match.group().lower()
        if word not in STOPWORDS:
            yield stem(word), match.start(), match.end()


# ---- version 2: words

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[!?]")  # words with their inner apostrophes, "!", "?"
_NOT = re.compile(r"n['’]t$", re.IGNORECASE)
_IRREGULAR = {"wo": "will", "ca": "can", "sha": "shall", "ai": "is"}  # won't, can't, shan't, ain't


def _word_parts(text: str) -> Iterator[Part]:
    """Every word, lowercased, contractions split, "!" and "?" kept, negated words marked."""
    return _mark_negation(_plain_word_parts(text), text)


def _plain_word_parts(text: str) -> Iterator[Part]:
    for match in _WORD.finditer(text):
        word = match.group()
        if "'" not in word and "’" not in word:
            yield word.lower(), match.start(), match.end()
            continue
        first, stop = match.span()
        negation = _NOT.search(word)
        if negation and negation.start() > 0:  # didn't -> did + not
            head = word[: negation.start()].lower()
            yield _IRREGULAR.get(head, head), first, first + negation.start()
            yield "not", first + negation.start(), stop
            continue
        cut = min(i for i in (word.find("'"), word.find("’")) if i >= 0)  # it's -> it + 's
        yield word[:cut].lower(), first, first + cut
        yield "'" + word[cut + 1 :].lower(), first + cut, stop


NEGATORS = _NEGATION_WORDS | {"cannot"}  # what starts a negation's scope (version 2 splits "n't" into "not")
_CONTRAST = frozenset({"but", "however", "although", "though", "yet", "except"})
_CLAUSE_END = re.compile(r"[.,;:!?()\[\]\"\x00\n]")
NEGATION_SCOPE = 6  # words after a negation that carry its mark, at most (a clause usually ends first)
NEGATION_MARK = "not_"


def unmarked(key: str) -> str:
    """The word a key stands for without its negation mark ("not_good" -> "good")."""
    return key.removeprefix(NEGATION_MARK)


def _mark_negation(parts: Iterator[Part], text: str) -> Iterator[Part]:
    """Words after a negation, up to the end of the clause (punctuation, "but", at most NEGATION_SCOPE
    words), get the prefix "not_": "not good" -> "not", "not_good". A negated word is then another word,
    whose sentiment the model learns from the reviews ("not_bad" is not "bad")."""
    scope, previous = 0, 0
    for key, first, stop in parts:
        if _CLAUSE_END.search(text, previous, first) or key in _CONTRAST or key in ("!", "?"):
            scope = 0
        previous = stop
        if key in NEGATORS:
            scope = NEGATION_SCOPE
            yield key, first, stop
        elif scope and not key.startswith("'"):
            scope -= 1
            yield NEGATION_MARK + key, first, stop
        else:
            yield key, first, stop


PREPROCESSORS = {
    CLASSIC: Preprocessor(CLASSIC, "classic", _classic_parts, requirements=("classic",)),
    WORDS: Preprocessor(WORDS, "words", _word_parts),
}


def preprocessor(version: str) -> Preprocessor:
    """The preprocessing of this version (or name); ConfigError naming it if this code does not know it."""
    found = PREPROCESSORS.get(version) or next((p for p in PREPROCESSORS.values() if p.name == version), None)
    if found is None:
        known = ", ".join(f"{v} ({p.name})" for v, p in PREPROCESSORS.items())
        raise ConfigError(
            f"preprocessing version {version!r} is unknown to this code (it knows {known}): "
            "use the release that trained the model, or retrain"
        )
    return found


def tokenize(review: str, version: str = DEFAULT_VERSION) -> list[Token]:
    """The tokens of a review under preprocessing `version`."""
    return preprocessor(version).tokenize(review)


def review_to_words(review: str, version: str = DEFAULT_VERSION) -> list[str]:
    """The vocabulary keys of a review under preprocessing `version`, in order."""
    return preprocessor(version).words(review)
