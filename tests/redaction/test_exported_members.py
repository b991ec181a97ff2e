"""Pin the public API of earned.redaction: a change here must be deliberate."""

from __future__ import annotations

import inspect
import subprocess
import sys

import earned.redaction


def test_public_names() -> None:
    assert sorted(earned.redaction.__all__) == [
        "DEFAULT_SENSITIVE_FIELDS",
        "Detector",
        "ENTITY_KINDS",
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


def test_every_public_class_and_function_is_documented() -> None:
    for name in earned.redaction.__all__:
        member = getattr(earned.redaction, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), name


def test_importing_the_store_does_not_import_redaction() -> None:
    code = "import sys, earned.store; print('earned.redaction' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
