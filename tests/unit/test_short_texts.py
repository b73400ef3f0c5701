"""Sentences of a review, and the synthetic sentences' words kept apart from the behavioural suite's."""

import random
import re
from collections import Counter

import numpy as np

from sentiment.data.augment import HEDGED_CONFIDENCE, HEDGES, synthetic_reviews
from sentiment.data.sentences import crop, first_sentence, sentences
from sentiment.training.behaviour import build_suite
from sentiment.training.encoded import EncodedSet

# The only words the synthetic sentences and the suite share: words of grammar, no sentiment.
FUNCTION_WORDS = {"a", "are", "but", "can't", "could", "did", "don't", "i", "is", "more", "never", "no", "not", "of",
                  "so", "the", "was", "wasn't", "it", "at", "in", "for", "to", "and"}  # fmt: skip


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def test_sentences_end_at_stops_and_line_breaks() -> None:
    review = 'Great film!! I loved <i>Jaws</i> too.<br /><br />"Wow." Then... ok. 10/10'
    assert sentences(review) == ["Great film!!", "I loved  Jaws  too.", '"Wow."', "Then...", "ok.", "10/10"]
    assert first_sentence("<br />  ...  <br />Mr. Smith is here. He acts.") == "Mr."
    assert first_sentence("!!!") == "!!!" and sentences("") == []


def test_a_crop_is_a_run_of_whole_sentences() -> None:
    review = "One. Two! Three? Four."
    rng = random.Random(0)
    seen = {crop(review, rng) for _ in range(200)}
    assert seen == {"One.", "Two!", "Three?", "Four.", "One. Two!", "Two! Three?", "Three? Four."}
    assert crop("no stop at all", rng) == "no stop at all"


def test_synthetic_words_are_not_the_suites() -> None:
    suite = set().union(*(_words(t) for case in build_suite() for t in case.texts))
    made = set().union(*(_words(s.text) for s in synthetic_reviews(20_000, 1)))
    assert suite & made <= FUNCTION_WORDS, sorted(suite & made - FUNCTION_WORDS)


def test_synthetic_sentences_are_balanced_and_hedged_ones_less_sure() -> None:
    made = synthetic_reviews(20_000, 3)
    assert Counter(s.label for s in made) == {0: 10_000, 1: 10_000}
    assert made == synthetic_reviews(20_000, 3)
    assert {s.text[-1] for s in made} >= {".", "!"} and any(s.text[-1].isalpha() for s in made)
    hedged = [s for s in made if any(f" was {h} " in s.text for h in HEDGES) and s.text.startswith("The ")]
    from sentiment.data.augment import POSITIVE

    on_side = [s.label == int(any(f" {w}" in s.text for w in POSITIVE)) for s in hedged]
    assert len(hedged) > 2000 and abs(np.mean(on_side) - HEDGED_CONFIDENCE) < 0.03


def test_rows_narrow_and_widen() -> None:
    rows = EncodedSet(np.array([1, 0]), np.array([2, 3]), np.array([[5, 6, 0, 0], [7, 8, 9, 0]]))
    assert rows.narrowed().ids.tolist() == [[5, 6, 0], [7, 8, 9]]
    wide = rows.widened(6)
    assert wide.ids.tolist() == [[5, 6, 0, 0, 0, 0], [7, 8, 9, 0, 0, 0]] and wide.lengths.tolist() == [2, 3]
    cut = rows.widened(2)
    assert cut.ids.tolist() == [[5, 6], [7, 8]] and cut.lengths.tolist() == [2, 2]
