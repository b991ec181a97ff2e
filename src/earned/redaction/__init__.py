"""Redaction of personal data and secrets before anything is written.

```python
from earned.redaction import RedactingSink, Redactor

redactor = Redactor(sensitive_fields={"email", "customer.phone"})
scope = redactor.scope(run_id)              # one pseudonym table per trace
scope.text("mail ana@example.com")          # 'mail <EMAIL_1>'
scope.value({"card_number": "4111..."})     # {'card_number': '<CARD_1>'}
sink = RedactingSink(span_store, redactor)  # every run event, redacted in its run's scope
```

No model and no network: patterns, checksums (Luhn, IBAN mod-97, SSN rules), address
parsing and an entropy rule. See docs/redaction.md for what each detector finds, what it
misses, and the measured precision and recall.
"""

from __future__ import annotations

from earned.redaction._checks import iban_valid, luhn_valid, shannon_entropy
from earned.redaction._detector import Detector, Finding, Locate, PatternDetector, resolve
from earned.redaction._logging import RedactingLogFilter, redacting_log_filter
from earned.redaction._redactor import (
    DEFAULT_SENSITIVE_FIELDS,
    ENTITY_KINDS,
    RedactionScope,
    Redactor,
    default_detectors,
    normalize_field,
)
from earned.redaction._sink import RedactingSink

__all__ = [
    "DEFAULT_SENSITIVE_FIELDS",
    "ENTITY_KINDS",
    "Detector",
    "Finding",
    "Locate",
    "PatternDetector",
    "RedactingLogFilter",
    "RedactingSink",
    "RedactionScope",
    "Redactor",
    "default_detectors",
    "iban_valid",
    "luhn_valid",
    "normalize_field",
    "redacting_log_filter",
    "resolve",
    "shannon_entropy",
]
