"""Checksums and measures that validate candidates: Luhn, IBAN, SSN rules, card ranges.

Also Shannon entropy and character-class switches for the generic secret rule. Pure
functions, no state.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

__all__ = [
    "IBAN_LENGTHS",
    "card_brand",
    "class_changes",
    "iban_valid",
    "luhn_valid",
    "shannon_entropy",
    "ssn_valid",
]

#: Length of an IBAN by country (the ISO 13616 registry, SWIFT release 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check that card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card scheme whose issuer range and length fit `digits`, or None.

    Covers Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay, Maestro
    and Mir; a Luhn-valid number outside every range is not treated as a card. Thirteen-digit
    Visa numbers (no longer issued) are left out: they collide with EAN-13 barcodes, which
    start with 4 in Germany and are Luhn-valid one time in ten.
    """
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if n in (16, 19) else None
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard" if n == 16 else None
    if two in (34, 37):
        return "amex" if n == 15 else None
    if 2200 <= four <= 2204:
        return "mir" if 16 <= n <= 19 else None
    if four == 6011 or 644 <= int(digits[:3]) <= 649 or two == 65 or 622126 <= six <= 622925:
        return "discover" if 16 <= n <= 19 else None
    if two == 35:
        return "jcb" if 16 <= n <= 19 else None
    if four in (1800, 2131):
        return "jcb" if n == 15 else None
    if 300 <= int(digits[:3]) <= 305 or two in (36, 38, 39):
        return "diners" if 14 <= n <= 19 else None
    if two == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if two == 50 or 56 <= two <= 69:
        return "maestro" if 12 <= n <= 19 else None
    return None


def iban_valid(iban: str) -> bool:
    """True when `iban` (no spaces, upper case) has its country's length and mod-97 == 1."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """The SSA's rules: no area 000, 666 or 900-999, no group 00, no serial 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def shannon_entropy(text: str) -> float:
    """Bits of Shannon entropy per character of `text`."""
    n = len(text)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _char_class(ch: str) -> int:
    if ch.isdigit():
        return 0
    return 1 if ch.isupper() else 2


def class_changes(text: str) -> float:
    """Share of adjacent letters and digits that change class (digit, upper, lower).

    Symbols are skipped. Random base62/base64 tokens change class at about 60% of
    positions; words, camelCase identifiers and paths change far less often.
    """
    classes = [_char_class(ch) for ch in text if ch.isalnum()]
    if len(classes) < 2:
        return 0.0
    changes = sum(1 for a, b in pairwise(classes) if a != b)
    return changes / (len(classes) - 1)
