"""Behavioural checks (Made-With-ML style): negation flips, invariance to names and punctuation."""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.model.text_scorer import TextScorer

NEGATION_PAIRS = [
    ("The movie was good.", "The movie was not good."),
    ("I liked this film a lot.", "I did not like this film at all."),
    ("The acting was great and the story worked.", "The acting was not great and the story never worked."),
    ("A wonderful, memorable film.", "Not a wonderful film, and not memorable."),
    ("I would recommend it to everyone.", "I would not recommend it to anyone."),
    ("It is worth watching.", "It isn't worth watching."),
    ("The plot makes sense and the ending is satisfying.", "The plot makes no sense and the ending is not satisfying."),
    ("Everyone should see this movie.", "No one should see this movie."),
]
NAMES = ["Tom Hanks", "Meryl Streep", "Denzel Washington", "Priyanka Chopra", "Keanu Reeves", "Zhang Ziyi"]
NAME_TEMPLATES = [
    "{} gave a wonderful performance in this moving film.",
    "{} was dreadful and the film is a boring mess.",
    "The film starring {} is average, neither great nor terrible.",
]
PUNCTUATION_VARIANTS = [
    ("A great movie", "A great movie!!!", "a great movie...", "A GREAT movie?!"),
    ("Terrible film", "Terrible film!!!", "terrible film...", "TERRIBLE film?!"),
]
INVARIANCE_TOLERANCE = 0.1


def run_checks(scorer: TextScorer) -> dict[str, Any]:
    """Pass rates and the worst cases of each check."""
    positives = scorer.scores([p for p, _ in NEGATION_PAIRS])
    negatives = scorer.scores([n for _, n in NEGATION_PAIRS])
    lowered = negatives < positives
    flipped = (positives >= 0.5) & (negatives < 0.5)

    name_spreads = []
    for template in NAME_TEMPLATES:
        scores = scorer.scores([template.format(name) for name in NAMES])
        name_spreads.append(float(scores.max() - scores.min()))
    punct_spreads = []
    for variants in PUNCTUATION_VARIANTS:
        scores = scorer.scores(list(variants))
        punct_spreads.append(float(scores.max() - scores.min()))

    return {
        "negation": {
            "pairs": len(NEGATION_PAIRS),
            "score_lowered": float(lowered.mean()),
            "label_flipped": float(flipped.mean()),
            "examples": [
                {"positive": p, "negated": n, "scores": [round(float(a), 4), round(float(b), 4)]}
                for (p, n), a, b in zip(NEGATION_PAIRS, positives, negatives, strict=True)
            ],
        },
        "name_invariance": {
            "templates": len(NAME_TEMPLATES),
            "max_spread": round(max(name_spreads), 4),
            "pass_rate": float(np.mean([s <= INVARIANCE_TOLERANCE for s in name_spreads])),
        },
        "punctuation_invariance": {
            "groups": len(PUNCTUATION_VARIANTS),
            "max_spread": round(max(punct_spreads), 4),
            "pass_rate": float(np.mean([s <= INVARIANCE_TOLERANCE for s in punct_spreads])),
        },
        "tolerance": INVARIANCE_TOLERANCE,
    }
