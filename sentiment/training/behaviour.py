"""Behavioural tests in the style of CheckList (Ribeiro et al., ACL 2020): templates filled with words
give hundreds of short cases per capability, each with an expectation a reader agrees with.

- MFT (minimum functionality): the label must be the expected one;
- DIR (directional): a change to the text must move the score the expected way;
- INV (invariance): a change that does not bear on sentiment (a name, a place, punctuation) must
  move the score by at most INVARIANCE_TOLERANCE.

`run_suite` reports the pass rate per capability and overall, with the failing cases, for
`sentiment evaluate` (metrics.json) and the README.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

INVARIANCE_TOLERANCE = 0.1
DIRECTION_MARGIN = 0.0  # a directional change must move the score the right way, by any amount

THINGS = ["movie", "film", "acting", "story", "plot", "script", "ending", "cast", "soundtrack", "direction"]
POSITIVE = ["good", "great", "excellent", "wonderful", "brilliant", "enjoyable", "amazing", "fantastic"]
NEGATIVE = ["bad", "terrible", "awful", "boring", "dull", "horrible", "poor", "disappointing"]
NAMES = [
    "Tom Hanks",
    "Meryl Streep",
    "Denzel Washington",
    "Priyanka Chopra",
    "Keanu Reeves",
    "Zhang Ziyi",
    "Chiwetel Ejiofor",
    "Penélope Cruz",
]
PLACES = ["Paris", "Lagos", "Tokyo", "Ohio", "Mumbai", "Buenos Aires", "Reykjavik", "Cairo"]


@dataclass(frozen=True)
class Case:
    capability: str
    kind: str  # MFT, DIR or INV
    texts: tuple[str, ...]  # MFT: one; DIR: (before, after); INV: the variants
    expect: str  # MFT: POSITIVE/NEGATIVE; DIR: up/down/toward-neutral; INV: same


def _invariant(capability: str, templates: list[str], fillers: Sequence[str]) -> list[Case]:
    """One INV case per template: the score may not move whichever filler fills it."""
    return [Case(capability, "INV", tuple(t.format(f) for f in fillers), "same") for t in templates]


def _mft(capability: str, texts: Sequence[str], expect: str) -> list[Case]:
    return [Case(capability, "MFT", (text,), expect) for text in texts]


def _pairs(values: Sequence[str], count: int) -> list[tuple[str, str]]:
    return list(itertools.islice(itertools.product(THINGS, values), count))


def build_suite() -> list[Case]:
    """Every case of every capability (deterministic; about 300 cases)."""
    cases: list[Case] = []
    cases += _mft("negation of positive", [f"The {t} was not {a}." for t, a in _pairs(POSITIVE, 30)], "NEGATIVE")
    cases += _mft(
        "negation of positive",
        [f"I did not think the {t} was {a} at all." for t, a in _pairs(POSITIVE[:4], 10)],
        "NEGATIVE",
    )
    cases += [
        Case("negation of negative", "DIR", (f"The {t} was {a}.", f"The {t} was not {a}."), "up")
        for t, a in _pairs(NEGATIVE, 30)
    ]
    contrasts = [(THINGS[i % 10], THINGS[(i + 3) % 10], NEGATIVE[i % 8], POSITIVE[(i * 3) % 8]) for i in range(20)]
    cases += _mft(
        "contrast: X but Y", [f"The {a} was {n}, but the {b} was {p}." for a, b, n, p in contrasts], "POSITIVE"
    )
    cases += _mft(
        "contrast: X but Y", [f"The {a} was {p}, but the {b} was {n}." for a, b, n, p in contrasts], "NEGATIVE"
    )
    for word, expect in (("very", "stronger"), ("incredibly", "stronger"), ("truly", "stronger")):
        cases += [
            Case("intensifiers", "DIR", (f"The {t} was {a}.", f"The {t} was {word} {a}."), expect)
            for t, a in _pairs(POSITIVE[:4] + NEGATIVE[:4], 8)
        ]
    for word in ("somewhat", "slightly", "a bit"):
        cases += [
            Case("diminishers", "DIR", (f"The {t} was {a}.", f"The {t} was {word} {a}."), "weaker")
            for t, a in _pairs(POSITIVE[:4] + NEGATIVE[:4], 8)
        ]
    cases += _mft(
        "idioms",
        [
            "Not bad at all.",
            "No complaints whatsoever.",
            "I could not have enjoyed it more.",
            "I can't recommend it enough.",
            "It never gets boring.",
            "Not a bad film at all.",
            "It did not disappoint.",
            "I couldn't stop smiling.",
            "Nothing to complain about.",
            "I wasn't bored for a second.",
            "Worth every penny.",
        ],
        "POSITIVE",
    )
    cases += _mft(
        "idioms",
        [
            "A waste of time.",
            "Nothing special.",
            "I would not recommend it.",
            "Not worth the ticket.",
            "It could have been so much better.",
            "I want my money back.",
            "Not good at all.",
            "I couldn't wait for it to end.",
            "Don't bother.",
            "Save your money.",
            "It never gets going.",
        ],
        "NEGATIVE",
    )
    name_templates = [
        "{} gave a wonderful performance in this moving film.",
        "{} was dreadful and the film is a mess.",
        "I watched it because of {} and I loved it.",
        "Even {} could not save this boring script.",
    ]
    cases += _invariant("invariance: names", name_templates, NAMES)
    place_templates = [
        "A charming story set in {}; I enjoyed every minute.",
        "Shot in {}, and still dull as dishwater.",
        "The scenes in {} are beautiful.",
        "Set in {}, it is a tedious, clumsy film.",
    ]
    cases += _invariant("invariance: places", place_templates, PLACES)
    sentences = [f"The {t} was {a}." for t, a in _pairs(POSITIVE + NEGATIVE, 20)]
    cases += [
        Case("invariance: punctuation and case", "INV", (s, s.rstrip(".") + "!!!", s.rstrip("."), s.upper()), "same")
        for s in sentences
    ]
    cases += _mft(
        "short reviews",
        [
            "Great!",
            "Loved it.",
            "A masterpiece.",
            "Brilliant.",
            "Wonderful film.",
            "Highly recommended!",
            "Superb.",
            "Fantastic!",
            "Beautiful.",
            "10/10",
        ],
        "POSITIVE",
    )
    cases += _mft(
        "short reviews",
        [
            "Awful.",
            "Hated it.",
            "Total garbage.",
            "Boring.",
            "Terrible film.",
            "Avoid!",
            "Dreadful.",
            "Unwatchable.",
            "Rubbish.",
            "1/10",
        ],
        "NEGATIVE",
    )
    return cases


def _passes(case: Case, scores: np.ndarray) -> bool:
    if case.kind == "MFT":
        return bool((scores[0] >= 0.5) == (case.expect == "POSITIVE"))
    if case.kind == "INV":
        return bool(scores.max() - scores.min() <= INVARIANCE_TOLERANCE)
    before, after = scores
    if case.expect == "up":
        return bool(after > before + DIRECTION_MARGIN)
    if case.expect == "stronger":  # further from 0.5, on the same side
        return bool(abs(after - 0.5) >= abs(before - 0.5) and (after >= 0.5) == (before >= 0.5))
    return bool(abs(after - 0.5) <= abs(before - 0.5))  # weaker: closer to neutral


def run_suite(score: Callable[[list[str]], np.ndarray], cases: Sequence[Case] | None = None) -> dict[str, Any]:
    """Pass rates per capability and overall, with up to five failing cases each."""
    cases = list(cases or build_suite())
    texts = sorted({text for case in cases for text in case.texts})
    scored = dict(zip(texts, score(texts).tolist(), strict=True))
    by_capability: dict[str, dict[str, Any]] = {}
    passed_total = 0
    for case in cases:
        scores = np.array([scored[text] for text in case.texts])
        ok = _passes(case, scores)
        passed_total += ok
        entry = by_capability.setdefault(case.capability, {"kind": case.kind, "cases": 0, "passed": 0, "failures": []})
        entry["cases"] += 1
        entry["passed"] += ok
        if not ok and len(entry["failures"]) < 5:
            entry["failures"].append(
                {"texts": list(case.texts), "scores": [round(float(s), 4) for s in scores], "expected": case.expect}
            )
    for entry in by_capability.values():
        entry["pass_rate"] = round(entry["passed"] / entry["cases"], 4)
    return {
        "cases": len(cases),
        "pass_rate": round(passed_total / len(cases), 4),
        "capabilities": by_capability,
        "invariance_tolerance": INVARIANCE_TOLERANCE,
    }
