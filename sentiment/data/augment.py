"""Short synthetic reviews for the training split: negation, contrast, intensity and hedging, said plainly.

IMDB's reviews are long; a short "The pacing was not gripping." is rare in them, and a model
trained on them alone reads it by its words ("gripping": positive). A few thousand sentences
from the grammar below teach the constructions: a negation turns the sentiment of what it
governs (also from a few words away: "I wouldn't say the pacing was gripping"), the clause after
"but" outweighs the one before, "extremely" leaves the direction as it is, a hedge ("fairly
gripping") makes a sentence less sure, a negated complaint ("no regrets") is praise, and "!" or a
missing full stop changes nothing. They go into the training split only (never validation or
test), with no star rating.

A hedged sentence has a label drawn by a weighted coin (HEDGED_CONFIDENCE for its adjective's
side): the training files hold 0/1 labels, and the model learns from many such sentences that a
hedged sentence is positive with that probability, closer to neutral than the plain one.

The words here are disjoint from the behavioural suite's (sentiment.training.behaviour, checked by
the tests), so the suite still measures whether the model generalises the constructions to other
words.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

THINGS = ["picture", "screenplay", "performances", "cinematography", "dialogue", "pacing", "score", "editing",
          "finale", "premise", "characters", "visuals", "lead actor", "villain", "sequel", "humour", "twist",
          "camera work", "pace", "costumes"]  # fmt: skip
POSITIVE = ["sublime", "terrific", "marvelous", "delightful", "enchanting", "gripping", "heartfelt", "outstanding",
            "impressive", "engaging", "clever", "memorable", "entertaining", "compelling", "stunning", "touching",
            "funny", "smart", "solid", "lovely"]  # fmt: skip
NEGATIVE = ["atrocious", "plodding", "weak", "clunky", "pointless", "awkward", "lifeless", "forgettable", "mediocre",
            "painful", "lazy", "annoying", "bland", "stupid", "messy", "predictable", "silly", "unbearable",
            "shallow", "sloppy"]  # fmt: skip
INTENSIFIERS = ["really", "extremely", "so", "absolutely", "remarkably"]
HEDGES = ["fairly", "rather", "mildly", "a little", "kind of", "sort of", "moderately", "reasonably", "partly",
          "a tad", "marginally", "more or less"]  # fmt: skip
HEDGED_CONFIDENCE = 0.7  # the share of hedged sentences labelled as their adjective's side
LIKING = [("cherished", "cherish"), ("relished", "relish"), ("admired", "admire"), ("adored", "adore")]
DISLIKING = [("detested", "detest"), ("disliked", "dislike"), ("loathed", "loathe"), ("despised", "despise")]
BE = ["was", "is", "felt", "seemed"]
NEGATED_BE = ["was not", "wasn't", "is not", "isn't", "was never", "never felt", "did not feel", "didn't seem"]
# A negation that governs a clause a few words on: "I wouldn't say the pacing was gripping".
NEGATED_OPINION = ["I don't believe the {} was", "I did not find the {}", "I wouldn't say the {} was",
                   "I never found the {}", "Nobody could call the {}", "I can't say the {} was"]  # fmt: skip
# Complaints whose negation is praise, and praise whose negation is a complaint.
FAULTS = ["regrets", "flaws", "weak spots", "slow moments", "wasted minutes", "problems", "missteps", "letdowns"]
MERITS = ["redeeming qualities", "laughs", "surprises", "highlights", "bright spots", "fine moments"]
NEVER_POSITIVE = ["drags", "falters", "sags", "loses steam", "overstays its welcome", "feels long"]
NEVER_NEGATIVE = ["takes off", "comes together", "catches fire", "finds its footing", "comes alive", "clicks"]
ENDINGS = [".", ".", ".", "!", "!!", ""]  # how a sentence ends: "!" or no full stop says nothing more


@dataclass(frozen=True)
class Synthetic:
    text: str
    label: int  # 1 positive, 0 negative


def _hedged(rng: random.Random, positive: bool) -> int:
    """The label of a hedged sentence whose adjective is `positive`: its side with HEDGED_CONFIDENCE."""
    return int(positive) if rng.random() < HEDGED_CONFIDENCE else int(not positive)


def _sentence(rng: random.Random) -> Synthetic:
    """One sentence of a randomly chosen construction, ended by a random ENDINGS mark."""
    made = CONSTRUCTIONS[rng.randrange(len(CONSTRUCTIONS))](rng)
    return Synthetic(made.text.removesuffix(".") + rng.choice(ENDINGS), made.label)


def _plain(rng: random.Random) -> Synthetic:
    thing = rng.choice(THINGS)
    positive = rng.random() < 0.5
    return Synthetic(f"The {thing} {rng.choice(BE)} {_adjective(rng, positive)}.", int(positive))


def _negated(rng: random.Random) -> Synthetic:
    thing = rng.choice(THINGS)
    positive = rng.random() < 0.5
    return Synthetic(f"The {thing} {rng.choice(NEGATED_BE)} {_adjective(rng, positive)}.", int(not positive))


def _feeling(rng: random.Random) -> Synthetic:
    liking = rng.random() < 0.5
    past, base = rng.choice(LIKING if liking else DISLIKING)
    negated = rng.random() < 0.5
    return Synthetic(f"I {'did not ' + base if negated else past} the {rng.choice(THINGS)}.", int(liking != negated))


def _contrast(rng: random.Random) -> Synthetic:
    """The clause after "but" decides; "although" concedes the first clause."""
    thing, other = rng.sample(THINGS, 2)
    good, bad = _adjective(rng, True), _adjective(rng, False)
    first_good = rng.random() < 0.5
    first, second = (good, bad) if first_good else (bad, good)
    if rng.random() < 0.5:
        return Synthetic(f"The {thing} was {first}, but the {other} was {second}.", int(not first_good))
    return Synthetic(f"Although the {thing} was {first}, the {other} was {second}.", int(not first_good))


def _intensified(rng: random.Random) -> Synthetic:
    positive = rng.random() < 0.5
    word = _adjective(rng, positive)
    return Synthetic(f"The {rng.choice(THINGS)} was {rng.choice(INTENSIFIERS)} {word}.", int(positive))


def _hedged_sentence(rng: random.Random) -> Synthetic:
    positive = rng.random() < 0.5
    word = _adjective(rng, positive)
    return Synthetic(f"The {rng.choice(THINGS)} was {rng.choice(HEDGES)} {word}.", _hedged(rng, positive))


def _distant_negation(rng: random.Random) -> Synthetic:
    positive = rng.random() < 0.5
    opinion = rng.choice(NEGATED_OPINION).format(rng.choice(THINGS))
    return Synthetic(f"{opinion} {_adjective(rng, positive)}.", int(not positive))


def _negated_noun(rng: random.Random) -> Synthetic:
    """"No regrets" and "never drags" praise; "no laughs" and "never takes off" complain."""
    praise = rng.random() < 0.5
    if rng.random() < 0.5:
        noun = rng.choice(FAULTS if praise else MERITS)
        start = rng.choice(["No", "There are no", "Not a lot of" if not praise else "Hardly any", "Zero"])
        return Synthetic(f"{start} {noun}.", int(praise))
    verb = rng.choice(NEVER_POSITIVE if praise else NEVER_NEGATIVE)
    return Synthetic(f"The {rng.choice(THINGS)} never {verb}.", int(praise))


def _adjective(rng: random.Random, positive: bool) -> str:
    return rng.choice(POSITIVE if positive else NEGATIVE)


CONSTRUCTIONS: list[Callable[[random.Random], Synthetic]] = [
    _plain, _plain, _negated, _negated, _feeling, _contrast, _contrast, _intensified, _hedged_sentence,
    _hedged_sentence, _distant_negation, _negated_noun,
]  # fmt: skip


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
