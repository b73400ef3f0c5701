"""Short synthetic reviews for the training split: negation, contrast and intensity, said plainly.

IMDB's reviews are long; a short "The pacing was not gripping." is rare in them, and a model
trained on them alone reads it by its words ("gripping": positive). A few thousand sentences
from the grammar below teach the constructions: a negation turns the sentiment of what it
governs, the clause after "but" outweighs the one before, "extremely" leaves the direction as
it is. They go into the training split only (never validation or test), with no star rating.

The words here are disjoint from the behavioural suite's (sentiment.training.behaviour), so
the suite still measures whether the model generalises the constructions to other words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

THINGS = ["picture", "screenplay", "performances", "cinematography", "dialogue", "pacing", "score", "editing",
          "finale", "premise", "characters", "visuals", "lead actor", "villain", "sequel", "humour", "twist",
          "camera work", "pace", "costumes"]  # fmt: skip
POSITIVE = ["superb", "terrific", "marvelous", "delightful", "charming", "gripping", "moving", "outstanding",
            "impressive", "engaging", "clever", "memorable", "entertaining", "compelling", "stunning", "touching",
            "funny", "smart", "solid", "lovely"]  # fmt: skip
NEGATIVE = ["dreadful", "tedious", "weak", "clumsy", "pointless", "awkward", "lifeless", "forgettable", "mediocre",
            "painful", "lazy", "annoying", "bland", "stupid", "messy", "predictable", "silly", "unbearable",
            "shallow", "sloppy"]  # fmt: skip
INTENSIFIERS = ["really", "extremely", "so", "absolutely", "remarkably"]
LIKING = [("loved", "love"), ("enjoyed", "enjoy"), ("admired", "admire"), ("adored", "adore")]
DISLIKING = [("hated", "hate"), ("disliked", "dislike"), ("loathed", "loathe"), ("despised", "despise")]
BE = ["was", "is", "felt", "seemed"]
NEGATED_BE = ["was not", "wasn't", "is not", "isn't", "was never", "never felt", "did not feel", "didn't seem"]


@dataclass(frozen=True)
class Synthetic:
    text: str
    label: int  # 1 positive, 0 negative


def _sentence(rng: random.Random) -> Synthetic:
    """One sentence of a randomly chosen construction."""
    thing, other = rng.sample(THINGS, 2)
    good, bad = rng.choice(POSITIVE), rng.choice(NEGATIVE)
    construction = rng.randrange(9)
    if construction == 0:
        return Synthetic(f"The {thing} {rng.choice(BE)} {good}.", 1)
    if construction == 1:
        return Synthetic(f"The {thing} {rng.choice(BE)} {bad}.", 0)
    if construction == 2:
        return Synthetic(f"The {thing} {rng.choice(NEGATED_BE)} {good}.", 0)
    if construction == 3:
        return Synthetic(f"The {thing} {rng.choice(NEGATED_BE)} {bad}.", 1)
    if construction == 4:
        past, base = rng.choice(LIKING)
        negated = rng.random() < 0.5
        return Synthetic(f"I {'did not ' + base if negated else past} the {thing}.", 0 if negated else 1)
    if construction == 5:
        past, base = rng.choice(DISLIKING)
        negated = rng.random() < 0.5
        return Synthetic(f"I {'did not ' + base if negated else past} the {thing}.", 1 if negated else 0)
    if construction == 6:  # the clause after "but" decides
        if rng.random() < 0.5:
            return Synthetic(f"The {thing} was {bad}, but the {other} was {good}.", 1)
        return Synthetic(f"The {thing} was {good}, but the {other} was {bad}.", 0)
    if construction == 7:  # "although" concedes the first clause
        if rng.random() < 0.5:
            return Synthetic(f"Although the {thing} was {good}, the {other} was {bad}.", 0)
        return Synthetic(f"Although the {thing} was {bad}, the {other} was {good}.", 1)
    positive = rng.random() < 0.5
    word = good if positive else bad
    return Synthetic(f"The {thing} was {rng.choice(INTENSIFIERS)} {word}.", int(positive))


def synthetic_reviews(count: int, seed: int) -> list[Synthetic]:
    """`count` sentences, half of each label, reproducible from `seed`."""
    rng = random.Random(seed)
    wanted = {0: count // 2, 1: count - count // 2}
    out: list[Synthetic] = []
    while len(out) < count:
        sentence = _sentence(rng)
        if wanted[sentence.label]:
            wanted[sentence.label] -= 1
            out.append(sentence)
    return out
