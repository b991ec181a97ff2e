"""Make clean sentences look typed by people: typos, casing, punctuation, emphasis."""

from __future__ import annotations

import random
import re

__all__ = ["add_typos", "shout", "sloppy"]

_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "u": "yi",
    "n": "bm",
    "r": "et",
    "t": "ry",
    "s": "ad",
    "d": "sf",
    "l": "k",
    "h": "gj",
    "c": "xv",
    "m": "n",
    "p": "o",
    "g": "fh",
}


def add_typos(text: str, rng: random.Random, rate: float) -> str:
    """Swap, drop, double or mistype letters in about `rate` of the words."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) < 4 or rng.random() >= rate or any(c in word for c in "_#0123456789"):
            continue
        chars = list(word)
        pos = rng.randrange(1, len(chars) - 1)
        kind = rng.choice(("swap", "drop", "double", "neighbour"))
        if kind == "swap":
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
        elif kind == "drop":
            del chars[pos]
        elif kind == "double":
            chars.insert(pos, chars[pos])
        elif chars[pos].lower() in _KEYBOARD_NEIGHBOURS:
            chars[pos] = rng.choice(_KEYBOARD_NEIGHBOURS[chars[pos].lower()])
        words[i] = "".join(chars)
    return " ".join(words)


def sloppy(text: str, rng: random.Random) -> str:
    """Lowercase everything and drop some punctuation, as in a quick chat message."""
    out = text.lower()
    if rng.random() < 0.6:
        out = out.replace(",", "").replace("'", "")
    if rng.random() < 0.5:
        out = out.replace(". ", " ").rstrip(".")
    return out


def shout(text: str, rng: random.Random) -> str:
    """Angry emphasis: some words in capitals and extra exclamation marks."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 3 and rng.random() < 0.25 and "_" not in word:
            words[i] = word.upper()
    out = " ".join(words)
    if rng.random() < 0.7:
        bang = rng.choice(("!", "!!", "!!!"))
        out = re.sub(r"\.(?=\s|$)", bang, out)
    return out
