"""The redactor: detectors, sensitive field names, and one pseudonym table per trace.

`Redactor` holds what to look for; `redactor.scope(trace_id)` gives the `RedactionScope` of
one trace (one run), whose pseudonyms are stable: the first e-mail address it sees becomes
`<EMAIL_1>`, the second `<EMAIL_2>`, and the first again is `<EMAIL_1>` wherever it recurs.
Numbering follows the order values are seen, so a replayed run that emits the same events in
the same order gets the same pseudonyms. Scopes are independent of each other.

A scope remembers a digest of each value (BLAKE2b), never the value itself, and at most
`max_values` of them; past that, new values get an unnumbered pseudonym (`<EMAIL>`). The
redactor keeps at most `max_scopes` scopes, dropping the least recently used, so a process
that runs for months does not grow.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_core import to_jsonable_python

from earned.errors import UserError
from earned.redaction._address import address_detectors
from earned.redaction._detector import Detector, Finding, resolve
from earned.redaction._pii import pii_detectors
from earned.redaction._secrets import secret_detectors

__all__ = [
    "DEFAULT_SENSITIVE_FIELDS",
    "ENTITY_KINDS",
    "RedactionScope",
    "Redactor",
    "default_detectors",
    "normalize_field",
]

#: The kinds the built-in detectors find, in the order the docs list them.
ENTITY_KINDS: tuple[str, ...] = (
    "EMAIL",
    "PHONE",
    "CARD",
    "IBAN",
    "SSN",
    "IP",
    "ADDRESS",
    "SECRET",
)

#: Field names whose values are always replaced whole (compared after `normalize_field`).
DEFAULT_SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "client_secret",
        "secret_key",
        "api_key",
        "apikey",
        "x_api_key",
        "access_key",
        "private_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "authorization",
        "cookie",
        "set_cookie",
        "ssn",
        "social_security_number",
        "card_number",
        "cvv",
        "cvc",
        "pin",
        "iban",
    }
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9.]+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
_PSEUDONYM = re.compile(r"<[A-Z][A-Z_]*(?::[a-z0-9_.]+)?(?:_\d+)?>")
#: Integers this long may be card or account numbers; shorter ones are counts and amounts.
_SCANNED_INT_DIGITS = 12


#: How many texts' findings the redactor remembers (by digest) before it starts over.
_SEEN_MAX_ENTRIES = 8192


def _combined_gate(detectors: Sequence[Detector]) -> re.Pattern[str] | None:
    """One pattern that matches wherever any detector's gate does (None: some has no gate)."""
    gates: list[str] = []
    for detector in detectors:
        gate = getattr(detector, "compiled_gate", None)
        if not isinstance(gate, re.Pattern):
            return None
        gates.append(f"(?:{gate.pattern})")
    return re.compile("|".join(gates)) if gates else None


def normalize_field(name: str) -> str:
    """`cardNumber`, `Card-Number` and `card number` all become `card_number`."""
    return _NON_WORD.sub("_", _CAMEL.sub("_", name).lower()).strip("_")


def default_detectors(kinds: Iterable[str] | None = None) -> list[Detector]:
    """The built-in detectors, optionally only those of the given kinds (see ENTITY_KINDS)."""
    detectors: list[Detector] = [*secret_detectors(), *pii_detectors(), *address_detectors()]
    if kinds is None:
        return detectors
    wanted = set(kinds)
    unknown = wanted - set(ENTITY_KINDS)
    if unknown:
        raise UserError(
            f"unknown entity kinds {sorted(unknown)}; the built-in detectors find "
            f"{', '.join(ENTITY_KINDS)} (add your own Detector for anything else)",
            kinds=sorted(unknown),
        )
    return [d for d in detectors if d.kind in wanted]


def _canonical(kind: str, value: str) -> str:
    """The form two spellings of one value share (`4111 1111...` and `4111-1111...`)."""
    if kind == "EMAIL":
        return value.lower()
    if kind in ("PHONE", "CARD", "IBAN", "SSN"):
        return _NON_ALNUM.sub("", value).upper()
    if kind == "IP":
        try:
            return ipaddress.ip_address(value.split("%", 1)[0]).compressed
        except ValueError:
            return value
    return value


class Redactor:
    """Finds personal data and secrets and replaces them with stable pseudonyms.

    `detectors` defaults to every built-in one (`default_detectors()`); pass your own list to
    drop kinds or add detectors. `sensitive_fields` are field names whose values are replaced
    whole wherever they occur (an agent's tools' `sensitive` names go here); they add to
    DEFAULT_SENSITIVE_FIELDS unless `default_fields=False`. A name with a dot
    (`customer.email`) matches that path; a plain name matches the key at any depth.
    """

    def __init__(
        self,
        *,
        detectors: Sequence[Detector] | None = None,
        sensitive_fields: Iterable[str] = (),
        default_fields: bool = True,
        max_scopes: int = 1024,
        max_values: int = 1000,
        min_length: int = 6,
    ) -> None:
        if max_scopes < 1 or max_values < 1:
            raise UserError(
                f"max_scopes and max_values must be at least 1, got {max_scopes} and {max_values}",
                max_scopes=max_scopes,
                max_values=max_values,
            )
        self.detectors: tuple[Detector, ...] = tuple(
            default_detectors() if detectors is None else detectors
        )
        names = {normalize_field(n) for n in sensitive_fields}
        if default_fields:
            names |= DEFAULT_SENSITIVE_FIELDS
        self.sensitive_fields: frozenset[str] = frozenset(n for n in names if "." not in n)
        self.sensitive_paths: frozenset[str] = frozenset(n for n in names if "." in n)
        self.max_scopes = max_scopes
        self.max_values = max_values
        self.min_length = min_length
        self._scopes: OrderedDict[str, RedactionScope] = OrderedDict()
        self._lock = threading.Lock()
        self._field_cache: dict[str, bool] = {}
        self._gate = _combined_gate(self.detectors)
        # What was found in texts seen before, keyed by a digest of the text: offsets and
        # kinds only, never the text or its values.
        self._seen: dict[bytes, tuple[tuple[int, int, str, str], ...]] = {}

    def __repr__(self) -> str:
        return (
            f"Redactor(detectors={len(self.detectors)}, "
            f"sensitive_fields={len(self.sensitive_fields) + len(self.sensitive_paths)}, "
            f"scopes={len(self._scopes)}/{self.max_scopes})"
        )

    def find(self, text: str) -> list[Finding]:
        """Every entity in `text`, non-overlapping, in text order (stronger detectors win)."""
        if len(text) < self.min_length:
            return []
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        spans = self._seen.get(key)
        if spans is None:
            spans = self._detect(text)
            if len(self._seen) >= _SEEN_MAX_ENTRIES:
                self._seen.clear()
            self._seen[key] = spans
        return [
            Finding(kind=kind, start=start, end=end, detector=name, value=text[start:end])
            for start, end, kind, name in spans
        ]

    def _detect(self, text: str) -> tuple[tuple[int, int, str, str], ...]:
        if self._gate is not None and self._gate.search(text) is None:
            return ()
        found = [f for detector in self.detectors for f in detector.find(text)]
        return tuple((f.start, f.end, f.kind, f.detector) for f in resolve(found))

    def is_sensitive(self, field: str, path: str | None = None) -> bool:
        """True when a value under `field` (at dotted `path`) must be replaced whole."""
        hit = self._field_cache.get(field)
        if hit is None:
            hit = normalize_field(field) in self.sensitive_fields
            if len(self._field_cache) < 4096:
                self._field_cache[field] = hit
        if hit or not self.sensitive_paths or path is None:
            return hit
        normalized = normalize_field(path)
        return any(normalized == p or normalized.endswith("." + p) for p in self.sensitive_paths)

    def scope(self, trace_id: str) -> RedactionScope:
        """The scope of one trace: created on first use, kept while recently used."""
        with self._lock:
            scope = self._scopes.get(trace_id)
            if scope is not None:
                self._scopes.move_to_end(trace_id)
                return scope
            scope = RedactionScope(self, trace_id)
            self._scopes[trace_id] = scope
            if len(self._scopes) > self.max_scopes:
                self._scopes.popitem(last=False)
            return scope

    def forget(self, trace_id: str) -> None:
        """Drop a trace's scope (a later `scope(trace_id)` starts numbering afresh)."""
        with self._lock:
            self._scopes.pop(trace_id, None)

    @property
    def live_scopes(self) -> int:
        """How many scopes are held now (at most `max_scopes`)."""
        return len(self._scopes)


class RedactionScope:
    """The pseudonym table of one trace; get it from `Redactor.scope(trace_id)`."""

    def __init__(self, redactor: Redactor, trace_id: str) -> None:
        self.redactor = redactor
        self.trace_id = trace_id
        self._names: dict[bytes, str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedactionScope({self.trace_id!r}, values={len(self._names)})"

    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of `value` as an entity of `kind`: `<EMAIL_1>`, `<EMAIL_2>`, ..."""
        key = hashlib.blake2b(
            f"{kind}\0{_canonical(kind, value)}".encode(), digest_size=16
        ).digest()
        with self._lock:
            name = self._names.get(key)
            if name is not None:
                return name
            if len(self._names) >= self.redactor.max_values:
                return f"<{kind}>"
            count = self._counts.get(kind, 0) + 1
            self._counts[kind] = count
            name = f"<{kind}_{count}>"
            self._names[key] = name
            return name

    def text(self, text: str) -> str:
        """`text` with every entity found replaced by its pseudonym."""
        findings = self.redactor.find(text)
        if not findings:
            return text
        parts: list[str] = []
        pos = 0
        for f in findings:
            parts.append(text[pos : f.start])
            parts.append(self.pseudonym(f.kind, f.value))
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)

    def value(self, value: Any, *, field: str | None = None) -> Any:
        """A redacted copy of a JSON-like value (dicts and lists walked, strings scanned).

        A value under a sensitive field name (`field`, or a key on the way down) is replaced
        whole: by the entity's pseudonym when the whole value is one entity (so `<EMAIL_1>`
        stays `<EMAIL_1>` everywhere), else by `<SENSITIVE:field_n>`.
        """
        if field is not None and self.redactor.is_sensitive(field, field):
            return self._sensitive(field, value)
        return self._walk(value, field)

    def _walk(self, value: Any, path: str | None) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | float):
            return value
        if isinstance(value, int):
            return self._integer(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    out[key] = self._walk(item, path)
                    continue
                sub = key if path is None else f"{path}.{key}"
                if self.redactor.is_sensitive(key, sub):
                    out[self.text(key)] = self._sensitive(key, item)
                else:
                    out[self.text(key)] = self._walk(item, sub)
            return out
        if isinstance(value, list | tuple):
            return [self._walk(item, path) for item in value]
        return self._walk(to_jsonable_python(value, fallback=str), path)

    def _integer(self, value: int) -> Any:
        digits = str(value)
        if len(digits.lstrip("-")) < _SCANNED_INT_DIGITS:
            return value
        redacted = self.text(digits)
        return value if redacted == digits else redacted

    def _sensitive(self, field: str, value: Any) -> Any:
        if value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, str) and _PSEUDONYM.fullmatch(value):
            return value  # already redacted
        text = value if isinstance(value, str) else _stable_text(value)
        whole = self.redactor.find(text.strip())
        if len(whole) == 1 and whole[0].start == 0 and whole[0].end == len(text.strip()):
            return self.pseudonym(whole[0].kind, whole[0].value)
        name = normalize_field(field.rsplit(".", 1)[-1]) or "field"
        return self.pseudonym(f"SENSITIVE:{name}", text)


def _stable_text(value: Any) -> str:
    return json.dumps(to_jsonable_python(value, fallback=str), sort_keys=True, default=str)
