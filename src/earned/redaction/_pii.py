"""Detectors for personal data: e-mail, phone, payment card, IBAN, US SSN and IP address.

Every numeric kind is validated, not just matched: cards by issuer range and Luhn, IBANs by
country length and mod-97, SSNs by the SSA's number rules, IP addresses by parsing. Phone
numbers have no checksum, so a candidate must have a phone number's shape (an international
prefix, the North American 3-3-4 layout, or a national trunk `0` with grouped digits); a bare
run of digits counts only next to a word such as "phone" or "call".
"""

from __future__ import annotations

import ipaddress
import re

from earned.redaction._checks import IBAN_LENGTHS, card_brand, iban_valid, luhn_valid, ssn_valid
from earned.redaction._detector import PatternDetector

__all__ = ["pii_detectors"]

_DIGIT = re.compile(r"\d")

# -- e-mail ---------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]{1,64}@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])"
)

# -- payment cards ----------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w.,-])\d{2,19}(?:[ -]\d{2,19}){0,7}(?![\w-])")
_GROUP = re.compile(r"\d+")


def _card_digits_ok(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_brand(digits) is not None and luhn_valid(digits)


def _locate_card(match: re.Match[str], text: str) -> tuple[int, int] | None:
    """The longest run of whole digit groups (one separator kind) that is a valid card."""
    candidate = match.group()
    seps = {ch for ch in candidate if ch in " -"}
    if len(seps) > 1:
        return None
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(candidate)]
    if len(groups) == 1:
        return match.span() if _card_digits_ok(candidate) else None
    best: tuple[int, int] | None = None
    for i in range(len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            if not 3 <= groups[j][1] - groups[j][0] <= 6:
                break  # grouped card numbers come in groups of 3 to 6 digits
            digits += candidate[groups[j][0] : groups[j][1]]
            if len(digits) > 19:
                break
            if _card_digits_ok(digits):
                span = (groups[i][0], groups[j][1])
                if best is None or span[1] - span[0] > best[1] - best[0]:
                    best = span
    if best is None:
        return None
    return match.start() + best[0], match.start() + best[1]


# -- IBAN -------------------------------------------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")


def _locate_iban(match: re.Match[str], text: str) -> tuple[int, int] | None:
    """Cut the candidate to its country's length, then check mod-97."""
    length = IBAN_LENGTHS.get(match.group()[:2])
    if length is None:
        return None
    seen, end = 0, match.start()
    for pos in range(match.start(), match.end()):
        if text[pos] != " ":
            seen += 1
            if seen == length:
                end = pos + 1
                break
    if seen < length or (end < len(text) and text[end].isalnum()):
        return None
    compact = text[match.start() : end].replace(" ", "")
    return (match.start(), end) if iban_valid(compact) else None


# -- US Social Security numbers ----------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_BARE = re.compile(
    r"(?i)\b(?:ssn|ss#|social security(?: number| no\.?| #)?)\W{0,4}(\d{3})(\d{2})(\d{4})\b"
)


def _locate_ssn(match: re.Match[str], text: str) -> tuple[int, int] | None:
    area, group, serial = match.group(1), match.group(3), match.group(4)
    return match.span() if ssn_valid(area, group, serial) else None


def _locate_bare_ssn(match: re.Match[str], text: str) -> tuple[int, int] | None:
    if not ssn_valid(match.group(1), match.group(2), match.group(3)):
        return None
    return match.start(1), match.end(3)


# -- IP addresses -----------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?:%[\w.]+)?(?![\w:])"
)
_VERSION_BEFORE = re.compile(r"(?i)(?:version|ver\.?|release|build|v)\s*$")


def _public_enough(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (address.is_loopback or address.is_unspecified)


def _locate_ipv4(match: re.Match[str], text: str) -> tuple[int, int] | None:
    try:
        address = ipaddress.IPv4Address(match.group())
    except ValueError:
        return None
    if _VERSION_BEFORE.search(text, max(0, match.start() - 10), match.start()):
        return None
    return match.span() if _public_enough(address) else None


def _locate_ipv6(match: re.Match[str], text: str) -> tuple[int, int] | None:
    candidate = match.group().split("%", 1)[0]
    if candidate.count(":") < 2 or (candidate.endswith(":") and not candidate.endswith("::")):
        return None
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
    return match.span() if _public_enough(address) else None


# -- phone numbers ----------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.,:-])(?:\+|00)?\(?\d[\d ().\-/\u00a0]{4,22}\d"
    r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w/]|[.,]\d)"
)
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$")
_NANP = re.compile(r"^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}$")
_TRUNK = re.compile(r"^\(?0\d")
_DATE = re.compile(
    r"(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.]\d\d?|\d\d?[-/.]\d\d?[-/.](?:19|20)\d\d"
)
_PHONE_WORDS = re.compile(
    r"(?i)(?:phone|tel\b|telephone|call|mobile|cell|fax|whatsapp|sms|text (?:me|us)|"
    r"reach (?:me|us)|contact|dial|ring|numéro|telefon|téléphone|handy|móvil|cellulare)"
    r"[^.\n]{0,25}$"
)


def _phone_context(text: str, start: int) -> bool:
    return _PHONE_WORDS.search(text, max(0, start - 40), start) is not None


def _locate_phone(match: re.Match[str], text: str) -> tuple[int, int] | None:
    candidate = _EXTENSION.sub("", match.group())
    digits = "".join(ch for ch in candidate if ch.isdigit())
    n = len(digits)
    if candidate.startswith("+"):
        return match.span() if 8 <= n <= 16 else None
    if _DATE.search(candidate):
        return None
    if candidate.startswith("00"):
        ok = 10 <= n <= 16
    elif _NANP.match(candidate):
        ok = True
    elif _TRUNK.match(candidate):
        ok = 9 <= n <= 12 and any(ch in candidate for ch in " -/()") and "." not in candidate
    else:
        ok = False
    if not ok and 7 <= n <= 15 and _phone_context(text, match.start()):
        ok = n >= 10 or any(not ch.isdigit() for ch in candidate)
    return match.span() if ok else None


def pii_detectors() -> list[PatternDetector]:
    """The detectors for e-mail, phone, card, IBAN, SSN and IP addresses."""
    return [
        PatternDetector(name="email", kind="EMAIL", pattern=_EMAIL, priority=70, gate="@"),
        PatternDetector(
            name="iban", kind="IBAN", pattern=_IBAN, priority=65, gate=r"[A-Z]{2}\d\d",
            locate=_locate_iban,
        ),
        PatternDetector(
            name="card", kind="CARD", pattern=_CARD, priority=60, gate=r"\d{4}",
            locate=_locate_card,
        ),
        PatternDetector(
            name="ssn", kind="SSN", pattern=_SSN, priority=55, gate=r"\d\d\d[- ]\d\d[- ]",
            locate=_locate_ssn,
        ),
        PatternDetector(
            name="ssn_labelled", kind="SSN", pattern=_SSN_BARE, priority=55,
            gate=r"(?i:ss|social)", locate=_locate_bare_ssn,
        ),
        PatternDetector(
            name="ipv4", kind="IP", pattern=_IPV4, priority=50, gate=r"\d\.\d",
            locate=_locate_ipv4,
        ),
        PatternDetector(
            name="ipv6", kind="IP", pattern=_IPV6, priority=50, gate=r"[0-9A-Fa-f]?:[0-9A-Fa-f]*:",
            locate=_locate_ipv6,
        ),
        PatternDetector(
            name="phone", kind="PHONE", pattern=_PHONE, priority=40, gate=r"\d\D?\d\D?\d\D?\d",
            locate=_locate_phone,
        ),
    ]  # fmt: skip
