"""The redacting log filter: messages, arguments and tracebacks are redacted in place."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from earned.redaction import Redactor, redacting_log_filter


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(redacting_log_filter(Redactor()))
    logger = logging.getLogger("tests.redaction.app")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_message_and_arguments_are_redacted(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("refund for %s to card %s", "ana@example.com", "4111 1111 1111 1111")
    logger.info("payload %r", {"email": "ana@example.com", "password": "hunter2"})
    logger.warning("login from 203.0.113.7 for ana@example.com")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "INFO refund for <EMAIL_1> to card <CARD_1>"
    assert lines[1] == "INFO payload {'email': '<EMAIL_1>', 'password': '<SENSITIVE:password_1>'}"
    assert lines[2] == "WARNING login from <IP_1> for <EMAIL_1>"


def test_a_number_argument_that_is_redacted_still_formats(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.info("card %d charged %d times", 4111111111111111, 2)
    assert stream.getvalue().strip() == "INFO card <CARD_1> charged 2 times"


def test_tracebacks_are_redacted(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise ValueError("no customer ana@example.com")
    except ValueError:
        logger.exception("lookup failed")
    output = stream.getvalue()
    assert "ValueError: no customer <EMAIL_1>" in output
    assert "ana@example.com" not in output


def test_records_with_a_run_id_share_that_runs_pseudonyms() -> None:
    redactor = Redactor()
    redactor.scope("run_7").text("first@example.com")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("ana@example.com",), None)
    record.run_id = "run_7"
    assert redacting_log_filter(redactor).filter(record) is True
    assert record.getMessage() == "to <EMAIL_2>"
